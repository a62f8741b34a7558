"""Deprecated path: :mod:`unitcalc.core.model` holds this module now (docs/changelog.md)."""

from ._moved import forward

__getattr__ = forward("unitcalc.model", "unitcalc.core.model")
