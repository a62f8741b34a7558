"""A plain fee CSV of the user's own: a header naming ``code`` and ``amount``, and
optionally ``modifier``, ``locality``, ``pe_amount`` (the practice-expense part of the
amount) and ``mppr`` (``yes``/``no``: the code takes the therapy reduction)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ...core.errors import FeeFileError
from .money import read_amount
from .rows import cell
from .schedule import Fee

_TRUE = {"1", "y", "yes", "true", "5"}
_FALSE = {"", "0", "n", "no", "false"}


def read_plain(rows: Sequence[Sequence[str]], shown: str) -> dict[tuple[str, str, str], Fee]:
    header = [cell.lower() for cell in rows[0]]
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
    for index in range(1, len(rows)):
        row, line = rows[index], index + 1
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
        code = cell(row, at["code"]).upper()
        if not re.fullmatch(r"[0-9A-Z]{5}", code):
            raise FeeFileError(
                f"{shown}, line {line}: code {cell(row, at['code'])!r} is not a 5-character "
                "CPT/HCPCS code such as 97110",
                path=shown,
                line=line,
                field="code",
            )
        amount = read_amount(cell(row, at["amount"]), shown, line, "amount")
        modifier = cell(row, at["modifier"]).upper() if "modifier" in at else ""
        locality = cell(row, at["locality"]) if "locality" in at else ""
        practice = None
        if "pe_amount" in at and cell(row, at["pe_amount"]):
            practice = read_amount(cell(row, at["pe_amount"]), shown, line, "pe_amount")
            if practice > amount:
                raise FeeFileError(
                    f"{shown}, line {line}: pe_amount {practice} is more than the amount "
                    f"{amount}; the practice-expense part is a share of the amount",
                    path=shown,
                    line=line,
                    field="pe_amount",
                )
        flag = cell(row, at["mppr"]).lower() if "mppr" in at else ""
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
