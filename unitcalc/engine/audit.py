"""Audit billed units against the rule: one group (one patient's day) at a time.

A finding's status is ``ok`` when the billed units are the chosen allocation or any
other compliant one, ``over`` or ``under`` when the billed total differs from what the
minutes support, ``misallocated`` when the total is right but the units sit on codes
the rule does not allow, and ``invalid`` when the group could not be evaluated.

Compliance is tested directly against each pool's allocation (every item keeps its
floor; exactly the tie's shared units go to tied items), never against a capped list of
alternatives.

References:
    CMS Pub. 100-04 Ch. 5 section 20.2 (allocation and ties: "choose either code").

>>> finding = audit({"97110": 33, "97140": 7}, {"97110": 3, "97140": 0})
>>> finding.status, dict(finding.allowed)
('misallocated', {'97110': 2, '97140': 1})
>>> audit({"97112": 20, "97110": 20}, {"97112": 1, "97110": 2}).status
'ok'
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, overload

import attrs

from ..core.codeinfo import normalize_code
from ..core.codes import CodeTable
from ..core.disciplines import normalize_discipline
from ..core.errors import InvalidServiceError
from ..core.frozen import frozen
from ..core.model import Note
from ..core.mue import MueTable
from ..core.ptp import PtpTable
from ..core.values import parse_date_of_service, parse_units
from ..rules import Rule, RuleName
from .caps import capped_message
from .compliance import STATUSES, Status, closest, fits, ok_allowed, status
from .count import evaluate
from .edits import check_edits
from .items import Evaluation, PoolEvaluation, split_family
from .payers import PayerProfile
from .pools import Services
from .ptp import ClaimLine, ModifierPlacement
from .settings import DEFAULT_MAX_ALTERNATIVES, Pooling
from .wording import LineKey, by_code, message

if TYPE_CHECKING:
    from ..core import dicts

__all__ = ["STATUSES", "Finding", "LineKey", "Status", "audit", "check"]


def _amount(value: object) -> Decimal | None:
    """A dollar amount (a float read back from JSON as its shortest text)."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value))


@attrs.frozen
class Finding:
    """The audit of one group.

    ``billed`` and ``allowed`` map codes to units (summed across disciplines);
    ``allowed`` is the compliant allocation closest to what was billed. ``difference``
    is billed minus allowed units in total. ``lines`` are the input's line numbers.
    """

    group: str
    status: Status
    rule: str | None
    billed: Mapping[str, int] = attrs.field(converter=frozen)
    allowed: Mapping[str, int] = attrs.field(converter=frozen)
    difference: int
    message: str
    lines: tuple[int, ...] = ()
    explanation: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    edits: tuple[str, ...] = ()
    """MUE and NCCI edits the billed units trip."""
    warnings: tuple[Note, ...] = ()
    """What may surprise a biller in the rule's count (see Result.warnings), the edits
    apart."""
    billed_amount: Decimal | None = attrs.field(default=None, converter=_amount)
    """With a fee file: the allowed amount of the units billed (docs/payment.md)."""
    allowed_amount: Decimal | None = attrs.field(default=None, converter=_amount)
    """With a fee file: the allowed amount of the units the rule allows."""
    amount_difference: Decimal | None = attrs.field(default=None, converter=_amount)
    """``billed_amount`` minus ``allowed_amount``: an overpayment when positive."""

    @property
    def flagged(self) -> bool:
        """Needs a look: not ok, or an edit tripped."""
        return self.status != "ok" or bool(self.edits)

    @overload
    def to_dict(self, *, whole: Literal[False] = False) -> dicts.Finding: ...
    @overload
    def to_dict(self, *, whole: Literal[True]) -> dict[str, Any]: ...
    def to_dict(self, *, whole: bool = False) -> dicts.Finding | dict[str, Any]:
        """The finding as the audit's JSON shows it; ``whole``: its warnings as whole
        notes (kind, codes, text), so that :meth:`from_dict` rebuilds it."""
        out: dicts.Finding = {
            "group": self.group,
            "status": self.status,
            "rule": self.rule,
            "billed": dict(self.billed),
            "allowed": dict(self.allowed),
            "difference": self.difference,
            "message": self.message,
            "lines": list(self.lines),
            "explanation": list(self.explanation),
            "errors": list(self.errors),
            "edits": list(self.edits),
            "warnings": [note.text for note in self.warnings],
        }
        if self.billed_amount is not None:
            out["billed_amount"] = _money(self.billed_amount)
            out["allowed_amount"] = _money(self.allowed_amount)
            out["amount_difference"] = _money(self.amount_difference)
        if whole:  # the same keys in the same order, the warnings whole
            return {**out, "warnings": [note.to_dict() for note in self.warnings]}
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        """The finding :meth:`to_dict` gave with ``whole``.

        >>> finding = audit({"97110": 33, "97140": 7}, {"97110": 3}, group="P1")
        >>> Finding.from_dict(finding.to_dict(whole=True)) == finding
        True
        """
        fields = dict(data)
        for name in ("lines", "explanation", "errors", "edits"):
            fields[name] = tuple(fields[name])
        fields["warnings"] = tuple(Note(**note) for note in fields["warnings"])
        return cls(**fields)


def _money(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def parse_line_key(key: str) -> tuple[str, str | None]:
    """``"97110"`` or ``"97110-GP"`` as (code, discipline)."""
    code, dash, discipline = key.partition("-")
    return normalize_code(code), normalize_discipline(discipline) if dash else None


def audit(
    services: Services,
    billed: Mapping[str, object],
    rule: RuleName | Rule | None = None,
    *,
    payer: PayerProfile | None = None,
    group: str = "",
    lines: Sequence[int] = (),
    tie_preference: Sequence[str] | None = None,
    pooling: Pooling | None = None,
    codes: CodeTable | None = None,
    mue: MueTable | None = None,
    date_of_service: datetime.date | str | None = None,
    default_discipline: str | None = None,
    ptp: PtpTable | None = None,
    ptp_modifier_on: ModifierPlacement = "either",
) -> Finding:
    """Audit one group's billed units against ``rule``.

    ``billed`` maps codes to units: ``{"97110": 2}``, or per discipline when a code was
    billed under more than one (``{"97110-GP": 2, "97110-GO": 1}``). Other options are
    those of :func:`~unitcalc.calculate`. Invalid input raises, as ``calculate`` does;
    the file audit turns such errors into ``invalid`` findings.
    """
    evaluation = evaluate(
        services,
        rule,
        payer=payer,
        tie_preference=tie_preference,
        pooling=pooling,
        codes=codes,
        max_alternatives=DEFAULT_MAX_ALTERNATIVES,
        date_of_service=date_of_service,
        default_discipline=default_discipline,
        blank_discipline="join",
    )
    billed_lines: dict[LineKey, int] = {}
    for key, value in billed.items():
        code, discipline = parse_line_key(key)
        billed_lines[(code, discipline)] = billed_lines.get((code, discipline), 0) + parse_units(
            value, code=code
        )
    return check(
        evaluation,
        _to_pool_keys(evaluation, billed_lines),
        group=group,
        lines=lines,
        mue=mue,
        ptp=ptp,
        ptp_on=(parse_date_of_service(date_of_service), ptp_modifier_on),
    )


def _to_pool_keys(evaluation: Evaluation, billed: Mapping[LineKey, int]) -> dict[LineKey, int]:
    """Billed units keyed by (code, pool discipline); a plain code goes to the one pool
    holding it, and is an error when the code sits in several pools."""
    pools_of: dict[str, list[str | None]] = {}
    for pool in evaluation.pools:
        for code in _pool_codes(pool):
            pools_of.setdefault(code, []).append(pool.discipline)
    out: dict[LineKey, int] = {}
    for (code, discipline), units in billed.items():
        homes = pools_of.get(code, [None])
        if (
            discipline is not None
            and evaluation.pooling == "discipline"
            and (discipline in homes or len(homes) != 1)
        ):
            key: LineKey = (code, discipline)
        elif None in homes and evaluation.pooling == "discipline":
            key = (code, None)  # the code's line without a discipline
        else:
            if len(homes) > 1:
                shown = ", ".join(f"{code}-{d}" for d in homes if d)
                raise InvalidServiceError(
                    f"{code} was counted under several disciplines: give its billed units "
                    f"per discipline ({shown})",
                    code=code,
                    field="billed_units",
                    value=units,
                )
            key = (code, homes[0])
        out[key] = out.get(key, 0) + units
    return out


def _pool_codes(pool: PoolEvaluation) -> list[str]:
    return [code for item in pool.members for code, _ in item] + list(pool.untimed)


def check(
    evaluation: Evaluation,
    billed: Mapping[LineKey, int],
    *,
    group: str = "",
    lines: Sequence[int] = (),
    mue: MueTable | None = None,
    claim_lines: Sequence[tuple[str, str | None, int] | ClaimLine] | None = None,
    ptp: PtpTable | None = None,
    ptp_on: tuple[datetime.date | None, ModifierPlacement] = (None, "either"),
    modifier_codes: CodeTable | None = None,
) -> Finding:
    """Compare billed units per (code, pool discipline) with an evaluation.

    Under a payer cap that removed units, billed units comply when their total is the
    capped total and they fit under some compliant allocation: which lines a biller
    trims to meet a cap is the biller's choice. ``claim_lines`` are the billed lines as
    submitted, for the per-line MUE check and the PTP edits of ``ptp`` (default: one line
    per code and pool, no modifier); ``ptp_on`` is the date of service and where a
    modifier bypasses an indicator 1 PTP edit. With ``modifier_codes`` (the code table,
    where ``claim_lines`` carry their modifiers as billed) each line's discipline
    modifiers are checked too.
    """
    result = evaluation.result
    allowed_lines, compliant = _allowed(evaluation, billed)
    billed_total = sum(billed.values())
    allowed_total = result.total_units
    found = status(billed_total - allowed_total, compliant=compliant)
    if found == "ok":
        allowed_lines = ok_allowed(allowed_lines, billed)
    # Show the billed lines with the codes billed nothing too, as `billed` does.
    shown = {key: billed.get(key, 0) for key in allowed_lines} | dict(billed)
    words = message(
        found, result.rule, shown, allowed_lines, billed_total, allowed_total, result.tie
    )
    if result.removed and result.payer:
        words += capped_message(result.payer, result.removed)
    if claim_lines is None:
        claim_lines = [(code, discipline, units) for (code, discipline), units in billed.items()]
    day, modifier_on = ptp_on
    edits = tuple(
        note.text
        for note in check_edits(
            claim_lines,
            mue=mue,
            ptp=ptp,
            date_of_service=day,
            modifier_on=modifier_on,
            modifier_codes=modifier_codes,
        )
    )
    return Finding(
        group=group,
        status=found,
        rule=result.rule,
        billed=by_code(billed, order=result.units),
        allowed=by_code(allowed_lines, order=result.units),
        difference=billed_total - allowed_total,
        message=words,
        lines=tuple(lines),
        explanation=result.explanation,
        edits=edits,
        warnings=tuple(note for note in result.warnings if note.kind != "edit"),
    )


def _allowed(
    evaluation: Evaluation, billed: Mapping[LineKey, int]
) -> tuple[dict[LineKey, int], bool]:
    """The closest compliant allocation per line, and whether the billed units are one
    (:mod:`.compliance`): untimed codes bill exactly their unit, an add-on family its
    first unit on the primary, and a code with no minutes here nothing."""
    capped = bool(evaluation.result.removed)
    allowed_lines: dict[LineKey, int] = {}
    compliant = True
    for pool, kept in zip(evaluation.pools, evaluation.chosen, strict=True):
        key = pool.discipline
        billed_items = [
            sum(billed.get((code, key), 0) for code, _ in members) for members in pool.members
        ]
        compliant &= fits(pool.allocation, billed_items, capped=capped)
        ranks = [item.rank for item in pool.items]
        nearest = kept if capped else closest(pool.allocation, billed_items, ranks)
        for members, units, got in zip(pool.members, nearest, billed_items, strict=True):
            split = split_family(members, units)
            if len(members) > 1 and split_family(members, got) != {
                code: billed.get((code, key), 0) for code, _ in members
            }:
                compliant = False  # e.g. 97130 billed without 97129's first unit
            for code, count in split.items():
                allowed_lines[(code, key)] = count
        for code in pool.untimed:
            allowed_lines[(code, key)] = 1
            compliant &= billed.get((code, key), 0) == 1
    for line in billed:
        if line not in allowed_lines:
            allowed_lines[line] = 0  # billed on a code with no minutes documented here
            compliant &= billed[line] == 0
    return allowed_lines, compliant
