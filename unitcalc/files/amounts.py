"""A finding's two sides as priced: the day lines billed, the lines of the units the rule
allows (with the CQ/CO units they are due), the difference of their amounts and the
notes a finding carries about them (docs/payment.md, "Step 3" and "Findings in
dollars")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from ..core.model import Note

Line = tuple[str, int, int, tuple[str, ...], str | None]
"""A :class:`~unitcalc.payment.fees.DayLine`'s fields: code, units, assistant units,
modifiers, locality."""


def billed_assistant_units(lines: Sequence[Line]) -> dict[str, int]:
    """The units billed with CQ or CO, per code (each line: code, units, assistant
    units, ...)."""
    out: dict[str, int] = {}
    for code, units, assisted, *_ in lines:
        count = min(assisted, units)
        if count > 0:
            out[code] = out.get(code, 0) + count
    return out


def allowed_assistant_units(
    allowed: Mapping[str, int],
    billed_assisted: Mapping[str, int],
    due: Mapping[str, int] | None,
) -> tuple[dict[str, int], dict[str, int]]:
    """The allowed units of each code that carry CQ or CO, and those of them carried over
    from the billed lines.

    ``due`` is what the rule engine assigned (from the visit file's assistant minutes);
    without it (``None``: no assistant minutes documented), the units billed with CQ/CO
    carry to the allowed units of the same code, up to the units allowed.

    >>> allowed_assistant_units({"97110": 1, "97140": 2}, {"97110": 2}, None)
    ({'97110': 1}, {'97110': 1})
    >>> allowed_assistant_units({"97110": 1}, {"97110": 2}, {"97110": 0})
    ({'97110': 0}, {})
    """
    if due is not None:
        return dict(due), {}
    carried = {
        code: min(billed_assisted.get(code, 0), units)
        for code, units in allowed.items()
        if min(billed_assisted.get(code, 0), units) > 0
    }
    return dict(carried), carried


def carried_note(carried: Mapping[str, int]) -> Note:
    """The finding's note that the allowed units carry the billed CQ/CO units."""
    units = ", ".join(f"{code} x{count}" for code, count in carried.items())
    return Note(
        f"Fees: without assistant_minutes the rule gives no unit CQ/CO, so the allowed "
        f"units carry the CQ/CO units billed ({units}), priced with the assistant reduction",
        kind="assistant-carried",
        codes=tuple(carried),
    )


def amount_difference(billed: Decimal, allowed: Decimal | None, unpriced: bool) -> Decimal | None:
    """Billed less allowed; ``None`` without an allowed amount, or when a code of either
    side is missing from the fee file (a $0 there would make the difference wrong)."""
    if allowed is None or unpriced:
        return None
    return billed - allowed


def unpriced_note(billed: Sequence[str], allowed: Sequence[str], source: str) -> Note | None:
    """The finding's note naming the codes of either side the fee file lacks.

    >>> print(unpriced_note(["97161"], ["97161", "97140"], "fees.csv"))
    Fees: 97161, 97140 not in fees.csv: priced at $0 (97140 in the allowed units
    only); no amount_difference
    """
    codes = tuple(dict.fromkeys((*billed, *allowed)))
    if not codes:
        return None
    only = [code for code in allowed if code not in billed]
    where = f" ({', '.join(only)} in the allowed units only)" if only else ""
    return Note(
        f"Fees: {', '.join(codes)} not in {source}: priced at $0{where}; no amount_difference",
        kind="unpriced",
        codes=codes,
    )


def allowed_lines(
    allowed: Mapping[str, int],
    due: Mapping[str, int],
    billed: Sequence[Line],
    modifiers: Sequence[tuple[str, ...]],
) -> tuple[Line, ...]:
    """The day lines of the units the rule allows: each code's units with the assistant
    units ``due``, the modifiers of the code's first billed line (``modifiers``: each
    billed line's) and the locality of the first billed line."""
    first_modifiers: dict[str, tuple[str, ...]] = {}
    for line, mods in zip(billed, modifiers, strict=True):
        first_modifiers.setdefault(line[0], mods)
    locality = billed[0][4]
    return tuple(
        (code, units, due.get(code, 0), first_modifiers.get(code, ()), locality)
        for code, units in allowed.items()
    )
