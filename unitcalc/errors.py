"""Deprecated path: :mod:`unitcalc.core.errors` holds this module now (docs/changelog.md)."""

from ._moved import forward

__getattr__ = forward("unitcalc.errors", "unitcalc.core.errors")
