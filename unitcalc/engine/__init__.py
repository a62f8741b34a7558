"""The one-visit engine: a patient's day of services in, units and findings out.

A visit's lines are pooled (one pool per discipline by default), each pool's timed
minutes are handed to the counting rule (:mod:`unitcalc.rules`), payer terms and the
assistant modifiers are applied, and the result is assembled with its reasoning
(:mod:`.count`). An audit compares billed units with that count (:mod:`.audit`) and runs
the edits (:mod:`.edits`).
"""
