"""Deprecated path: :mod:`unitcalc.core.codes` holds this module now (docs/changelog.md)."""

from ._moved import forward

__getattr__ = forward("unitcalc.codes", "unitcalc.core.codes")
