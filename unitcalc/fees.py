"""Deprecated path: :mod:`unitcalc.payment.fees` holds this module now (docs/changelog.md)."""

from ._moved import forward

__getattr__ = forward("unitcalc.fees", "unitcalc.payment.fees")
