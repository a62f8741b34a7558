"""The core: the values unitcalc counts with, and how each is parsed and checked.

A service line enters here. Its code is put in canonical form and looked up in the code
table (:mod:`.codes`), which says whether the code is timed, its unit length and the
window in which it is valid; its minutes and discipline are parsed (:mod:`.model`);
errors name the line's field and the fix (:mod:`.errors`). Nothing here counts units:
the rules (:mod:`unitcalc.rules`) and the engine (:mod:`unitcalc.engine`) sit above, and
this package imports neither.
"""
