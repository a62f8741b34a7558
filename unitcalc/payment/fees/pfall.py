"""The CMS locality payment file (PFALL): one row per code, modifier and payment locality,
with no header.

Its fields, in the order of CMS's record layout (Annual Physician Fee Schedule Payment
Amount File, CY 2026): year, carrier, locality, HCPCS code, modifier, the non-facility
fee schedule amount, the facility fee schedule amount, a filler, the PC/TC indicator, the
status code, the multiple surgery indicator, two "50% Therapy Reduction Amount" fields
("Pricing amount that reflects 50 percent payment for the PE", the first "for services
furnished in office and other noninstitutional settings (services paid under section
1848 of the Act)", the second "for services furnished in an institutional setting
(services paid under section 1834 of the Act)"), the OPPS indicator and the two OPPS
amounts. unitcalc reads the fee amount and the therapy-reduced amount of the biller's
setting (:mod:`.setting`) and prices a reduced unit at the published amount, as it is.
The notice lines the file ends with are skipped; text between rows of fees is reported
by its line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from ...core.errors import FeeFileError, Mention, message_of
from ...core.sidefiles import SideRow
from .money import read_amount
from .schedule import Fee
from .setting import FEE_COLUMN, INSTITUTIONAL, Setting

# Where the fields are among a row's 16 (the layout's filler, 8th, is a field too).
_PFALL = {"code": 3, "modifier": 4, "non-facility": 5, "facility": 6}
_SECTION_1848_REDUCED, _SECTION_1834_REDUCED = 11, 12


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
    """The fee of each payment locality, code and modifier, for the ``setting``: its
    fee amount, and for a code subject to the therapy reduction the reduced amount of
    the setting's section (1848 or 1834)."""
    if FEE_COLUMN[setting] == "facility":
        raise FeeFileError(
            message_of(
                f"{shown} is a PFALL file: its therapy-reduced amounts are for office and "
                "other non-institutional settings (section 1848) and for institutional "
                "ones (section 1834), none at the facility amount; choose ",
                Mention("setting", "office", owner="load_fees"),
                " or ",
                Mention("setting", "institutional", owner="load_fees"),
                ", or give the PPRRVU file for the facility amounts",
            ),
            path=shown,
            field="setting",
            argument="setting",
        )
    column = _SECTION_1834_REDUCED if setting in INSTITUTIONAL else _SECTION_1848_REDUCED
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
        amount = read_amount(row[_PFALL[FEE_COLUMN[setting]]], shown, line, "fee amount")
        reduced = read_amount(
            row[column + shift], shown, line, "therapy reduction amount", blank=True
        )
        fees[(locality, code, modifier)] = _fee(code, modifier, amount, reduced, shown, line)
    return fees


def _fee(code: str, modifier: str, amount: Decimal, reduced: Decimal, shown: str, line: int) -> Fee:
    """A row's fee. A reduced amount between nothing and the fee marks a code the
    reduction cuts; it is priced as published. Its PE payment, which only ranks the day's
    units (the unit with the highest is paid in full), is the one the 50% cut implies:
    twice the difference, at most the whole fee."""
    mppr = Decimal(0) < reduced < amount
    practice = (amount - reduced) * 2 if mppr else None
    if reduced > amount or (practice is not None and practice > amount):
        raise FeeFileError(
            f"{shown}, line {line}: the therapy reduction amount {reduced} does not fit "
            f"the fee amount {amount} (a reduced fee lies between half the fee and the "
            "fee, as the practice expense part is at most the whole fee): the columns "
            "are not in the PFALL layout unitcalc reads; give the file as downloaded or "
            "a fee CSV with code, amount and pe_amount",
            path=shown,
            line=line,
            field="therapy reduction amount",
        )
    return Fee(code, amount, practice, mppr, modifier, reduced=reduced if mppr else None)
