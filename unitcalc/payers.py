"""Deprecated path: :mod:`unitcalc.engine.payers` holds this module now (docs/changelog.md)."""

from ._moved import forward

__getattr__ = forward("unitcalc.payers", "unitcalc.engine.payers")
