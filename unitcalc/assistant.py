"""Deprecated path: :mod:`unitcalc.engine.assistant` holds this module now (docs/changelog.md)."""

from ._moved import forward

__getattr__ = forward("unitcalc.assistant", "unitcalc.engine.assistant")
