"""Deprecated path: :mod:`unitcalc.engine.assistant` and :mod:`unitcalc.engine.modifiers`
hold this module now (docs/changelog.md)."""

from ._moved import forward

__getattr__ = forward(
    "unitcalc.assistant", "unitcalc.engine.assistant", "unitcalc.engine.modifiers"
)
