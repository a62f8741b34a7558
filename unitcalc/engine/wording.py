"""A finding's words: what was billed, what the rule allows, and what to change.

Written once and used by both engines: the one-visit audit (:func:`unitcalc.audit`) and
the file engine, which words the findings of the groups it settled in columns from their
columns with these same functions. Lines are keyed by code and the discipline pool they
were counted in; the discipline is shown only when the group has lines of more than one.

>>> billed = {("97110", None): 3, ("97140", None): 0}
>>> allowed = {("97110", None): 2, ("97140", None): 1}
>>> message("misallocated", "cms", billed, allowed, 3, 3, None)
'Billed 3 units (97110 x3, 97140 x0): the right total, on the wrong codes. cms allows 3 \
units as 97110 x2, 97140 x1: move units from 97110 to 97140.'
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from ..core.model import Note
from ..core.text import count_of, count_of_column
from .compliance import Status

if TYPE_CHECKING:
    import polars as pl

LineKey = tuple[str, str | None]
"""A claim line: a code and the discipline pool it was counted in."""


def by_code(lines: Mapping[LineKey, int], *, order: Iterable[str]) -> dict[str, int]:
    """Units per code (summed over disciplines), codes of ``order`` first."""
    out = dict.fromkeys(order, 0)
    for (code, _), units in lines.items():
        out[code] = out.get(code, 0) + units
    return out


def shown(lines: Mapping[LineKey, int]) -> str:
    """``97110 x2, 97140 x1`` (``97110-PT x2`` when the lines have several disciplines)."""
    with_discipline = len({d for _, d in lines}) > 1
    parts = [
        f"{code}-{discipline} x{units}" if with_discipline and discipline else f"{code} x{units}"
        for (code, discipline), units in lines.items()
    ]
    return ", ".join(parts) or "nothing"


def message(
    status: Status,
    rule: str,
    billed: Mapping[LineKey, int],
    allowed: Mapping[LineKey, int],
    billed_total: int,
    allowed_total: int,
    tie: object,
) -> str:
    """The finding's message: the billed units, what ``rule`` allows, and the closest
    compliant allocation (or the moves that reach it); ``tie``: the allocation is not
    unique."""
    billed_text = f"Billed {count_of(billed_total, 'unit')} ({shown(billed)})"
    allowed_text = f"{rule} allows {count_of(allowed_total, 'unit')}"
    if status == "ok":
        tie_note = "; a tie, and the billed choice is one of the compliant ones" if tie else ""
        return f"{billed_text}: compliant; {allowed_text}{tie_note}."
    closest = f"Closest compliant allocation: {shown(allowed)}."
    if status == "over":
        excess = billed_total - allowed_total
        return (
            f"{billed_text}, but the documented minutes support {allowed_total} under {rule}: "
            f"{count_of(excess, 'unit')} over. {closest}"
        )
    if status == "under":
        missing = allowed_total - billed_total
        return (
            f"{billed_text}; the documented minutes support {allowed_total} under {rule}: "
            f"{count_of(missing, 'unit')} under, revenue not claimed. {closest}"
        )
    return (
        f"{billed_text}: the right total, on the wrong codes. {allowed_text} as "
        f"{shown(allowed)}{_moves(billed, allowed)}."
    )


def _moves(billed: Mapping[LineKey, int], allowed: Mapping[LineKey, int]) -> str:
    keys = list(dict.fromkeys([*allowed, *billed]))
    with_discipline = len({d for _, d in keys}) > 1

    def name(key: LineKey) -> str:
        return f"{key[0]}-{key[1]}" if with_discipline and key[1] else key[0]

    too_many = [name(k) for k in keys if billed.get(k, 0) > allowed.get(k, 0)]
    too_few = [name(k) for k in keys if billed.get(k, 0) < allowed.get(k, 0)]
    if not too_many or not too_few:
        return ""
    return f": move units from {', '.join(too_many)} to {', '.join(too_few)}"


WORDED_UNITS = 1_000
"""The columns word counts below this (``count_of`` puts thousands apart above it): a
group with a larger total is worded by :func:`message`."""


def message_columns(lines: pl.LazyFrame, groups: pl.LazyFrame, *, group: str) -> pl.LazyFrame:
    """The columnar form of :func:`message`, for many groups at once.

    ``lines`` holds one row per claim line of each group (``group``), in the order the
    mappings given to :func:`message` hold them, with ``code``, ``discipline`` (the pool's
    label, null for none), ``billed`` and ``allowed`` units. ``groups`` holds, per group,
    ``status``, ``rule``, ``billed_total``, ``allowed_total`` and ``tie``. The answer is
    ``group`` and ``message``, null where a total is :data:`WORDED_UNITS` or more (or
    negative): :func:`message` words those groups."""
    import polars as pl

    code, discipline = pl.col("code"), pl.col("discipline")
    billed, allowed = pl.col("billed"), pl.col("allowed")
    several = discipline.n_unique().over(group) > 1
    name = (
        pl.when(several & discipline.is_not_null())
        .then(pl.concat_str(code, pl.lit("-"), discipline))
        .otherwise(code)
    )
    shown = (
        lines.with_columns(__name=name)
        .group_by(group, maintain_order=True)
        .agg(
            pl.concat_str(pl.col("__name"), pl.lit(" x"), billed.cast(pl.String))
            .str.join(", ")
            .alias("__billed_shown"),
            pl.concat_str(pl.col("__name"), pl.lit(" x"), allowed.cast(pl.String))
            .str.join(", ")
            .alias("__allowed_shown"),
            pl.col("__name").filter(billed > allowed).str.join(", ").alias("__too_many"),
            pl.col("__name").filter(billed < allowed).str.join(", ").alias("__too_few"),
        )
    )
    worded = groups.join(shown, on=group, how="left", maintain_order="left").with_columns(
        pl.col("__billed_shown", "__allowed_shown").fill_null("").replace("", "nothing")
    )
    return worded.select(group, _message(pl.col("billed_total"), pl.col("allowed_total")))


def _message(billed_total: pl.Expr, allowed_total: pl.Expr) -> pl.Expr:
    """:func:`message` as one expression over :func:`message_columns`' joined frame."""
    import polars as pl

    status, rule = pl.col("status"), pl.col("rule")
    billed_text = pl.concat_str(
        pl.lit("Billed "),
        count_of_column(billed_total, "unit"),
        pl.lit(" ("),
        pl.col("__billed_shown"),
        pl.lit(")"),
    )
    allowed_text = pl.concat_str(rule, pl.lit(" allows "), count_of_column(allowed_total, "unit"))
    closest = pl.concat_str(
        pl.lit("Closest compliant allocation: "), pl.col("__allowed_shown"), pl.lit(".")
    )
    tie = (
        pl.when(pl.col("tie"))
        .then(pl.lit("; a tie, and the billed choice is one of the compliant ones"))
        .otherwise(pl.lit(""))
    )
    support = pl.concat_str(
        pl.lit("the documented minutes support "), allowed_total.cast(pl.String),
        pl.lit(" under "), rule, pl.lit(": "),
    )  # fmt: skip
    moves = (
        pl.when((pl.col("__too_many") != "") & (pl.col("__too_few") != ""))
        .then(
            pl.concat_str(
                pl.lit(": move units from "),
                pl.col("__too_many"),
                pl.lit(" to "),
                pl.col("__too_few"),
            )
        )
        .otherwise(pl.lit(""))
    )
    worded = (
        pl.when(status == "ok")
        .then(pl.concat_str(billed_text, pl.lit(": compliant; "), allowed_text, tie, pl.lit(".")))
        .when(status == "over")
        .then(
            pl.concat_str(
                billed_text,
                pl.lit(", but "),
                support,
                count_of_column(billed_total - allowed_total, "unit"),
                pl.lit(" over. "),
                closest,
            )
        )
        .when(status == "under")
        .then(
            pl.concat_str(
                billed_text,
                pl.lit("; "),
                support,
                count_of_column(allowed_total - billed_total, "unit"),
                pl.lit(" under, revenue not claimed. "),
                closest,
            )
        )
        .otherwise(
            pl.concat_str(
                billed_text,
                pl.lit(": the right total, on the wrong codes. "),
                allowed_text,
                pl.lit(" as "),
                pl.col("__allowed_shown"),
                moves,
                pl.lit("."),
            )
        )
    )
    plain = pl.all_horizontal(
        [total.is_between(0, WORDED_UNITS - 1) for total in (billed_total, allowed_total)]
    )
    return pl.when(plain).then(worded).alias("message")


def at_lines(lines: Sequence[int], problem: str) -> str:
    """A group's problem with the lines it is about: ``lines 3, 7: ...``."""
    return f"line{'s' * (len(lines) != 1)} {', '.join(map(str, lines))}: {problem}"


def invalid_message(errors: Sequence[str]) -> str:
    """The message of a group that could not be evaluated."""
    return "Could not be evaluated: " + "; ".join(errors)


def identical_notes(signatures: Iterable[tuple[int, Hashable]]) -> Iterator[Note]:
    """Rows entered twice are counted twice, as documented minutes add up; say so.
    ``signatures`` are each row's line and what it documents and bills."""
    seen: dict[Hashable, int] = {}
    for line, signature in signatures:
        if signature in seen:
            yield Note(
                f"lines {seen[signature]} and {line} are identical; both are counted: check "
                "that the service was not entered twice",
                kind="identical-rows",
            )
        else:
            seen[signature] = line
