"""``python -m unitcalc.cli``: the ``unitcalc`` command."""

from . import main

main()
