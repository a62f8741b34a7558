"""Deprecated path: :mod:`unitcalc.engine.audit` holds this module now (docs/changelog.md)."""

from ._moved import forward

__getattr__ = forward("unitcalc.auditing", "unitcalc.engine.audit")
