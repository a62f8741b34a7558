"""The one-visit engine: a patient's day of services in, units and findings out.

A visit travels through :mod:`.count` in steps, each written once in its own module with,
where the file engine does the same in columns, its columnar form beside it:

- :mod:`.settings`: how to count, as given (:class:`~.settings.Settings`) and resolved
  for a visit's terms (:class:`~.settings.Counting`: the rule, the payer profile of
  :mod:`.payers`, pooling, tie preference);
- :mod:`.pools`: lines without a discipline joined to the day's, the pools, the day's
  limits;
- :mod:`.caps`: a payer's minimum minutes and caps; :mod:`.items`: the timed items of a
  pool, add-on families merged;
- the counting rule (:mod:`unitcalc.rules`) allocates each pool's units;
- :mod:`.assisting` (with the algorithm of :mod:`.assistant`): which units take CQ or CO;
- :mod:`.alternatives`: a tie's other compliant allocations; :mod:`.edits`: NCCI and MUE
  edits; :mod:`.explain`: the explanation's words.

An audit (:mod:`.audit`) compares billed units with the count: compliance, the closest
compliant allocation and the status (:mod:`.compliance`), a finding's words
(:mod:`.wording`), the modifiers billed (:mod:`.modifiers`), and the providers' minutes
per unit (:mod:`.providers`).
"""
