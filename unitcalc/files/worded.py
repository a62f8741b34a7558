"""The words of the groups settled in columns, put together in columns.

A finding's message and its units per code depend only on the group's items (code,
pool, billed and allowed units) and totals: they are put together here for every group
of a part at once, with polars string expressions (:func:`unitcalc.engine.wording.
message_columns`, the columnar form of the one-visit audit's message), so that
:mod:`.word` builds each finding from ready values. Whether a group can have notes (a
code's note under its rule, an untimed code without minutes, a warning of the rule's
allocation) is decided here too, and the code's notes and the rules' warnings worded:
only the groups with an untimed code without minutes are asked for them one by one. A group
whose cap removed units, or whose totals the columns do not word, is worded by
:mod:`.word` alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from ..engine.compliance import allocation_columns
from ..engine.explain import rule_note
from ..engine.pools import POOL_LABELS, POOLS_PER_GROUP
from ..engine.wording import message_columns
from ..rules import RULES
from .check import CODE
from .group import GROUP

if TYPE_CHECKING:
    import polars as pl

    from ..core.codes import CodeTable


class Words(NamedTuple):
    """A group's finding as the columns word it."""

    message: str
    codes: Sequence[str | None]
    """The group's codes in order of first line, as its rows hold them."""
    billed: Sequence[int]
    """Units billed per code of ``codes``."""
    allowed: Sequence[int]
    """Units allowed per code of ``codes``."""
    notes: Sequence[tuple[str, str, str]] | None
    """The group's notes (text, kind, codes joined by ``+``), worded in columns; None
    when :mod:`.word` words them (an untimed code without minutes, a warning the rule
    words only for one pool)."""


def worded_frame(
    found: pl.DataFrame, items: pl.DataFrame, rows: pl.DataFrame, table: CodeTable
) -> pl.LazyFrame:
    """The words of the groups of ``found`` that the columns word, one row per group:
    ``message``; ``code``, ``billed`` and ``allowed``, lists of the units per code;
    ``texts``, ``kinds`` and ``codes``, lists of its notes (null when :mod:`.word` words
    them). ``items`` are the groups' items sorted by group and first line, ``rows``
    their rows sorted by group and line; ``table`` the code table whose notes the rules
    name. One plan, collected with what else reads it (:mod:`.rendered`)."""
    import polars as pl

    plain = (
        found.lazy()
        .filter(pl.col("__problem").is_null())
        .select(
            GROUP,
            pl.col("__status").alias("status"),
            pl.col("__counting").alias("rule"),
            pl.col("__billed").alias("billed_total"),
            pl.col("__allowed").alias("allowed_total"),
            pl.col("__tie").fill_null(False).alias("tie"),
        )
    )
    worded = (
        items.lazy()
        .join(plain.select(GROUP, "status", "rule"), on=GROUP, how="inner", maintain_order="left")
        .filter(~pl.col("__capped").any().over(GROUP))
        .collect(engine="in-memory")  # read by every step below: made once
        .lazy()
    )
    plain = plain.join(worded.select(GROUP).unique(), on=GROUP, how="semi")
    allowed = pl.when(pl.col("status") == "ok").then(pl.col("billed")).otherwise(pl.col("allowed"))
    # A finding's lines: pool by pool (in order of each pool's first line), each pool's
    # timed codes, then its untimed ones, each in order of first line.
    lines = worded.sort(
        GROUP, pl.col("first").min().over(GROUP, "pool"), ~pl.col("timed"), "first"
    ).select(GROUP, pl.col(CODE).alias("code"), _label(), "billed", allowed.alias("allowed"))
    lines = lines.collect(engine="in-memory").lazy()
    messages = message_columns(lines.rename({"label": "discipline"}), plain, group=GROUP)
    units = lines.group_by(GROUP, "code").agg(pl.col("billed", "allowed").sum())
    codes = (
        rows.lazy()
        .join(plain.select(GROUP), on=GROUP, how="semi", maintain_order="left")
        .select(GROUP, pl.col(CODE).alias("code"))
        .unique(maintain_order=True)
        .join(units, on=[GROUP, "code"], how="left", maintain_order="left")
        .group_by(GROUP, maintain_order=True)
        .agg("code", pl.col("billed", "allowed").fill_null(0))
    )
    return (
        messages.join(codes, on=GROUP, how="left")
        .join(_notes(worded, table), on=GROUP, how="left")
        .filter(pl.col("message").is_not_null())
    )


def words_of(frame: pl.DataFrame) -> dict[int, Words]:
    """The rows of :func:`worded_frame` by group."""
    return {
        group: Words(message, codes, billed, allowed, _listed(texts, kinds, joined))
        for group, message, codes, billed, allowed, texts, kinds, joined in frame.iter_rows()
    }


def _listed(
    texts: list[str] | None, kinds: list[str] | None, codes: list[str] | None
) -> list[tuple[str, str, str]] | None:
    if texts is None or kinds is None or codes is None:
        return None
    return list(zip(texts, kinds, codes, strict=True))


NOTE_COLUMNS = ("texts", "kinds", "codes")


def _label() -> pl.Expr:
    """Per item: its pool's discipline (null for none), as ``label``."""
    import polars as pl

    return (
        (pl.col("pool") % POOLS_PER_GROUP)
        .replace_strict(range(len(POOL_LABELS)), POOL_LABELS, return_dtype=pl.String)
        .alias("label")
    )


def _notes(items: pl.LazyFrame, table: CodeTable) -> pl.LazyFrame:
    """Per group: its notes' ``texts``, ``kinds`` and ``codes`` (:data:`NOTE_COLUMNS`),
    null when the columns do not word them; empty when it can have none."""
    import polars as pl

    first = pl.col("first").min().over(GROUP, "pool").alias("__at")
    items = (
        items.with_columns(first, __other=_other_notes(), __note=_rule_note(table))
        .with_columns(__may=pl.col("__other") | pl.col("__note").is_not_null() | _may_warn())
        .sort(GROUP, "__at", "first")
        .collect(engine="in-memory")
        .lazy()
    )
    warned = _pool_warnings(items)
    # The code table's notes come first, item by item (pools in order of first line).
    noted = (
        items.filter(pl.col("__note").is_not_null())
        .group_by(GROUP, maintain_order=True)
        .agg(
            pl.col("__note").alias("__noted_texts"),
            pl.lit("rule-note").repeat_by(pl.len()).explode().alias("__noted_kinds"),
            pl.col(CODE).alias("__noted_codes"),
        )
    )
    said = items.group_by(GROUP).agg(pl.col("__may", "__other").any())
    empty = pl.lit([], dtype=pl.List(pl.String))
    asked = pl.col("__other") | ~pl.col("worded").fill_null(True)
    return (
        said.join(warned, on=GROUP, how="left")
        .join(noted, on=GROUP, how="left")
        .select(
            GROUP,
            *(
                pl.when(~pl.col("__may"))
                .then(empty)
                .when(~asked)
                .then(
                    pl.concat_list(
                        pl.col(f"__noted_{name}").fill_null(empty), pl.col(name).fill_null(empty)
                    )
                )
                .alias(name)
                for name in NOTE_COLUMNS
            ),
        )
    )


def _pool_warnings(items: pl.LazyFrame) -> pl.LazyFrame:
    """Per group: whether each rule words its pools' warnings in columns
    (:meth:`unitcalc.rules.Rule.warnings_columns`), and the warnings, pool by pool."""
    import polars as pl

    several = pl.col("pool").n_unique().over(GROUP) > 1
    timed = items.with_columns(
        _label().fill_null(pl.when(several).then(pl.lit("no discipline"))),
        pl.col(CODE).alias("name"),
    ).filter(pl.col("timed") & pl.col("__may"))
    # The rule's own pick in a tie (its warnings name it), not the closest allocation.
    timed = allocation_columns(timed.drop("chosen"), pool="pool").sort("pool", "first")
    timed = timed.collect(engine="in-memory").lazy()
    listed = pl.List(pl.String)
    parts = [
        pl.LazyFrame(
            schema={"pool": pl.Int64, "worded": pl.Boolean, **dict.fromkeys(NOTE_COLUMNS, listed)}
        )
    ]
    for name, counting in RULES.items():
        of_rule = timed.filter(pl.col("rule") == name)
        found = counting.warnings_columns(of_rule)
        if found is None:
            found = of_rule.select("pool").unique().with_columns(worded=pl.lit(False))
        parts.append(found)
    pools = timed.select(GROUP, "pool", "__at").unique()
    return (
        pools.join(pl.concat(parts, how="diagonal_relaxed"), on="pool", how="left")
        .sort(GROUP, "__at")
        .group_by(GROUP, maintain_order=True)
        .agg(
            pl.col("worded").all(),
            *(
                pl.col(name).list.explode(keep_nulls=False, empty_as_null=False)
                for name in NOTE_COLUMNS
            ),
        )
    )


def _other_notes() -> pl.Expr:
    """Per item: it gives its group a note that the columns do not word: it is untimed
    and was given no minutes."""
    import polars as pl

    return ~pl.col("timed") & (pl.col("minutes") == 0) & pl.col("__zero")


def _rule_note(table: CodeTable) -> pl.Expr:
    """Per item: the text of its code's note under its rule
    (:func:`unitcalc.engine.explain.rule_note`), null when it has none."""
    import polars as pl

    notes = {
        f"{code}\t{rule}": rule_note(code, note).text
        for code, info in table.codes.items()
        for rule, note in info.rule_notes.items()
        if note
    }
    keys = pl.concat_str(pl.col(CODE), pl.lit("\t"), pl.col("rule"))
    return keys.replace_strict(notes, default=None, return_dtype=pl.String)


def _may_warn() -> pl.Expr:
    """Per item: its rule may warn about its pool
    (:meth:`unitcalc.rules.Rule.may_warn_columns`)."""
    import polars as pl

    timed, minutes = pl.col("timed"), pl.col("minutes")
    warns = pl.lit(False)
    for name, counting in RULES.items():
        pool_may_warn = (
            counting.may_warn_columns(minutes, pl.col("base"), pl.col("tied"))
            .and_(timed)
            .any()
            .over(GROUP, "pool")
        )
        warns = warns | ((pl.col("rule") == name) & pool_may_warn)
    return warns
