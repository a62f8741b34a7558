"""The CMS locality payment file (PFALL): one row per code, modifier and payment locality,
with no header.

unitcalc reads the year, carrier, locality, code, modifier, the non-facility and facility
amounts and the therapy-reduced amounts, in the order the R package ``cms``
(``mpfs20_oh``) lists the fields; that order is UNCONFIRMED against CMS's record layout
(docs/payment.md). The notice lines the file ends with are skipped; text between rows of
fees is reported by its line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from ...core.errors import FeeFileError
from ...core.sidefiles import SideRow
from .money import read_amount
from .schedule import Fee, Setting

# The PFALL columns (no header): year, carrier, locality, HCPCS, modifier, non-facility
# fee, facility fee, filler, PC/TC indicator, status, multiple surgery indicator, the
# therapy-reduced amounts (non-institutional, institutional), OPPS indicator, OPPS fees.
_PFALL = {"code": 3, "modifier": 4, "non-facility": 5, "facility": 6}
_PFALL_REDUCED = {"non-facility": 11, "facility": 12}


def is_pfall(rows: Sequence[SideRow]) -> bool:
    """Whether the rows are a PFALL file's: the first has its 16 fields (15 without the
    filler) and starts with a year."""
    first = rows[0].cells
    return len(first) in (15, 16) and bool(re.fullmatch(r"[0-9]{4}", first[0]))


def _pfall_footer(rows: Sequence[SideRow]) -> int:
    """Where the notices a PFALL file ends with begin (copyright lines, after the last
    row of fees): the index of the first row after the last row that starts with a
    year; rows of text before it stay, to be reported."""
    last = max(
        (index for index, row in enumerate(rows) if re.fullmatch(r"[0-9]{4}", row.cell(0))),
        default=-1,
    )
    return last + 1


def read_pfall(
    rows: Sequence[SideRow], shown: str, setting: Setting
) -> dict[tuple[str, str, str], Fee]:
    """The fee of each payment locality, code and modifier, for the ``setting``; a code
    subject to the therapy reduction has its PE payment from the reduced amount."""
    fees: dict[tuple[str, str, str], Fee] = {}
    footer = _pfall_footer(rows)
    for side in rows[:footer]:
        row, line = side.cells, side.line
        if not any(row):
            continue
        if len(row) not in (15, 16):
            raise FeeFileError(
                f"{shown}, line {line}: {len(row)} fields, where the PFALL layout has 16 "
                "(year, carrier, locality, HCPCS, modifier, fees ...); give the file as "
                "downloaded",
                path=shown,
                line=line,
            )
        shift = 0 if len(row) == 16 else -1  # without the filler column
        locality = f"{row[1]}-{row[2].zfill(2)}"
        code, modifier = row[_PFALL["code"]].upper(), row[_PFALL["modifier"]].upper()
        amount = read_amount(row[_PFALL[setting]], shown, line, f"{setting} fee")
        reduced = read_amount(
            row[_PFALL_REDUCED[setting] + shift],
            shown,
            line,
            "therapy reduction amount",
            blank=True,
        )
        # The file gives the amount of a unit after the 50% PE cut: the PE payment is
        # twice the difference, and lies between nothing and the whole fee.
        mppr = Decimal(0) < reduced < amount
        practice = (amount - reduced) * 2 if mppr else None
        if reduced > amount or (practice is not None and practice > amount):
            raise FeeFileError(
                f"{shown}, line {line}: the therapy reduction amount {reduced} does not fit "
                f"the {setting} fee {amount} (a reduced fee lies between half the fee and "
                "the fee, as the practice expense part is at most the whole fee): "
                "the columns are not in the PFALL layout unitcalc reads; give the file as "
                "downloaded or a fee CSV with code, amount and pe_amount",
                path=shown,
                line=line,
                field="therapy reduction amount",
            )
        fees[(locality, code, modifier)] = Fee(code, amount, practice, mppr, modifier)
    return fees
