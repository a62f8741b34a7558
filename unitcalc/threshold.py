"""Deprecated path: :mod:`unitcalc.payment.threshold` holds this module now (docs/changelog.md)."""

from ._moved import forward

__getattr__ = forward("unitcalc.threshold", "unitcalc.payment.threshold")
