"""Deprecated path: :mod:`unitcalc.engine.edits` holds this module now (docs/changelog.md)."""

from ._moved import forward

__getattr__ = forward("unitcalc.edits", "unitcalc.engine.edits")
