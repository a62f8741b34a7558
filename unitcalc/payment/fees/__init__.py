"""Fees from the user's files, and the price of a patient's day of therapy units.

unitcalc ships no fee, conversion factor or dollar amount: they come from the files the
user downloads from CMS (the Physician Fee Schedule relative value file PPRRVU with the
GPCI file, or the locality payment file PFALL) or from a plain CSV of the user's own
(``code,amount[,modifier]``). Only codes and numbers are read: the descriptor column of
the CMS files is skipped, never kept (CPT descriptors are the AMA's copyright).

A fee file travels through the package in this order, one module per file format as
python-stdnum has one per number format:

1. :mod:`.rows` decodes the file and splits it into rows of cells;
2. :mod:`.load` (:func:`load_fees`) recognises the layout from the rows and hands them to
   its reader: :mod:`.pprrvu` (with the GPCI file), :mod:`.pfall` or :mod:`.plain`, each
   reading its numbers with :mod:`.money`;
3. the readers fill one :class:`FeeSchedule` (:mod:`.schedule`): the fee of one unit of a
   code, by modifier and payment locality, for the biller's setting (:mod:`.setting`:
   office, institutional or facility), with the amount of a unit the therapy reduction
   cuts (the PE component reduced, rounded once; PFALL's own reduced amount).

A day's lines are then priced by :mod:`.day` (:func:`price_day`, :func:`day_totals`):
each unit's fee, the therapy multiple procedure payment reduction (MPPR), then the
assistant reduction, with the MPPR's periods and rates by setting from the packaged data
(:mod:`.packaged`, :func:`payment_data`, which also holds the KX thresholds).

References:
    AMA, "Medicare Relative Value Payment Amount" (the payment formula).
    NGS, "Multiple Procedure Payment Reduction" (physical/occupational/speech therapy).
    42 USC 1395m(v) (the assistant payment differential).
"""

from .day import DayLine, DayPrice, UnitPrice, day_totals, price_day
from .load import load_fees
from .money import AMOUNT_LIMIT, CENT, amount_of, cents
from .packaged import PaymentData, Threshold, payment_data
from .pprrvu import load_gpci
from .schedule import (
    ASSISTANT_MODIFIERS,
    CONTRACTOR_PRICED,
    PAID_STATUSES,
    Fee,
    FeeKind,
    FeeSchedule,
    Gpci,
    Rvu,
)
from .setting import SETTINGS, Setting, setting_of

__all__ = [
    "AMOUNT_LIMIT",
    "ASSISTANT_MODIFIERS",
    "CENT",
    "CONTRACTOR_PRICED",
    "PAID_STATUSES",
    "SETTINGS",
    "DayLine",
    "DayPrice",
    "Fee",
    "FeeKind",
    "FeeSchedule",
    "Gpci",
    "PaymentData",
    "Rvu",
    "Setting",
    "Threshold",
    "UnitPrice",
    "amount_of",
    "cents",
    "day_totals",
    "load_fees",
    "load_gpci",
    "payment_data",
    "price_day",
    "setting_of",
]
