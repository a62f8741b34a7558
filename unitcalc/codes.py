"""Deprecated path: :mod:`unitcalc.core.codes`, :mod:`unitcalc.core.codeinfo` and
:mod:`unitcalc.core.codefile` hold this module now (docs/changelog.md)."""

from ._moved import forward

__getattr__ = forward(
    "unitcalc.codes",
    "unitcalc.core.codes",
    "unitcalc.core.codeinfo",
    "unitcalc.core.codefile",
    "unitcalc.core.definitions",
)
