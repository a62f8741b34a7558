"""A plain fee CSV of the user's own: a header naming ``code`` and ``amount``, and
optionally ``modifier``, ``locality``, ``pe_amount`` (the practice-expense part of the
amount) and ``mppr`` (``yes``/``no``: the code takes the therapy reduction)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ...core.errors import FeeFileError, InvalidServiceError
from ...core.sidefiles import SideRow
from ...engine.modifiers import parse_modifiers
from .money import read_amount
from .schedule import Fee

_TRUE = {"1", "y", "yes", "true", "5"}
_FALSE = {"", "0", "n", "no", "false"}


def read_plain(rows: Sequence[SideRow], shown: str) -> dict[tuple[str, str, str], Fee]:
    """The fee of each code and modifier (and locality, with that column)."""
    header = [cell.lower() for cell in rows[0].cells]
    if "code" not in header or "amount" not in header:
        raise FeeFileError(
            f"{shown}, line 1: a fee CSV needs a header naming code and amount (e.g. "
            "code,amount,modifier), or give the CMS PPRRVU or PFALL file as downloaded",
            path=shown,
            line=1,
            field="header",
        )
    at = {name: header.index(name) for name in header}
    fees: dict[tuple[str, str, str], Fee] = {}
    for side in rows[1:]:
        row, line = side.cells, side.line
        if not any(row):
            continue
        if len(row) > len(header) and any(row[len(header) :]):
            raise FeeFileError(
                f"{shown}, line {line}: {len(row)} fields where the header names "
                f"{len(header)}; quote a value holding a comma, or remove the extra field",
                path=shown,
                line=line,
                field="fields",
            )
        code = side.cell(at["code"]).upper()
        if not re.fullmatch(r"[0-9A-Z]{5}", code):
            raise FeeFileError(
                f"{shown}, line {line}: code {side.cell(at['code'])!r} is not a 5-character "
                "CPT/HCPCS code such as 97110",
                path=shown,
                line=line,
                field="code",
            )
        amount = read_amount(side.cell(at["amount"]), shown, line, "amount")
        modifier = _modifier(side.cell(at["modifier"]), shown, line) if "modifier" in at else ""
        locality = side.cell(at["locality"]) if "locality" in at else ""
        practice = None
        if "pe_amount" in at and side.cell(at["pe_amount"]):
            practice = read_amount(side.cell(at["pe_amount"]), shown, line, "pe_amount")
            if practice > amount:
                raise FeeFileError(
                    f"{shown}, line {line}: pe_amount {practice} is more than the amount "
                    f"{amount}; the practice-expense part is a share of the amount",
                    path=shown,
                    line=line,
                    field="pe_amount",
                )
        flag = side.cell(at["mppr"]).lower() if "mppr" in at else ""
        if flag not in _TRUE | _FALSE:
            raise FeeFileError(
                f"{shown}, line {line}: mppr {flag!r}: write yes or no",
                path=shown,
                line=line,
                field="mppr",
            )
        mppr = flag in _TRUE
        if mppr and practice is None:
            raise FeeFileError(
                f"{shown}, line {line}: mppr is yes but pe_amount is empty; the reduction "
                "cuts the practice-expense part, so give pe_amount",
                path=shown,
                line=line,
                field="pe_amount",
            )
        key = (locality, code, modifier)
        if key in fees:
            raise FeeFileError(
                f"{shown}, line {line}: {code}{'-' + modifier if modifier else ''} is listed "
                "twice; keep one row per code and modifier",
                path=shown,
                line=line,
                field="code",
            )
        fees[key] = Fee(code, amount, practice, mppr, modifier)
    if not fees:
        raise FeeFileError(f"{shown}: the fee CSV has a header but no fee rows", path=shown)
    return fees


def _modifier(text: str, shown: str, line: int) -> str:
    """A fee row's one modifier (none for an empty cell), read as claim lines' are."""
    try:
        read = parse_modifiers(text)
    except InvalidServiceError as exc:
        read = (text, "")
        why = str(exc)
    else:
        why = "a fee row is priced for one modifier"
    if len(read) > 1:
        raise FeeFileError(
            f"{shown}, line {line}: modifier: {why}; write one such as 26 or GP",
            path=shown,
            line=line,
            field="modifier",
        )
    return read[0] if read else ""
