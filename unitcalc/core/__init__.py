"""The core: the values unitcalc counts with, and how each is parsed and checked.

A service line enters here. Its code is put in canonical form (:mod:`.codeinfo`) and
looked up in the code table (:mod:`.codes`, read from its TOML files by :mod:`.codefile`),
which says whether the code is timed, its unit length and the window in which it is valid;
how a code counts on a date of service is :mod:`.windows`. Its minutes, billed units and
date are parsed by :mod:`.values`, its discipline by :mod:`.disciplines` (the discipline
table as data, with the modifiers GP, GO, GN, CQ, CO); the line itself, and the result
coming out, are the value objects of :mod:`.model` (the assistant modifier's values in
:mod:`.assistant`). Errors name the line's field and the fix (:mod:`.errors`). Files the
user supplies beside a visit file (MUE tables :mod:`.mue`, fee files, starting amounts)
are read by one reader (:mod:`.sidefiles`) with the encoding detected as for visit files
(:mod:`.encodings`); TOML files' errors name their line (:mod:`.tomlfile`), and the
explanations' wording helpers are :mod:`.text`. The shape of each ``to_dict()`` is a
TypedDict of :mod:`.dicts`, imported by the library for the type checker only. The
shapes of the audit's JSON and the batch's JSON Lines, as the scripts that read them are
promised (the HTTP API's audit answer and the packaged JSON Schemas), are the pydantic
models of :mod:`.shapes`, and the visit a script sends (``calc --input``, the API) the
model of :mod:`.inputs`: both imported by the API, ``calc --input``, the tests and the
schemas' generator only.

Every parse that the file engine also does in columns has its two forms side by side in
its module (:mod:`.values`, :mod:`.disciplines`, :mod:`.windows`). Nothing here counts
units: the rules (:mod:`unitcalc.rules`) and the engine (:mod:`unitcalc.engine`) sit
above, and this package imports neither.
"""
