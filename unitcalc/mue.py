"""Deprecated path: :mod:`unitcalc.core.mue` holds this module now (docs/changelog.md)."""

from ._moved import forward

__getattr__ = forward("unitcalc.mue", "unitcalc.core.mue")
