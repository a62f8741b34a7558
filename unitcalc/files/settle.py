"""The columnar pipeline: every group of a file counted and audited in columns (polars).

It reads top-down in the order of the one-visit engine (:mod:`unitcalc.engine.count`),
calling the columnar form of each step's module once:

1. the code table joined, each code's kind on the group's date of service
   (:mod:`unitcalc.core.windows`);
2. the rule and the pooling in force for each row, its payer's terms
   (:mod:`unitcalc.engine.settings`, :mod:`unitcalc.engine.caps`; the terms as frames:
   :mod:`.terms`);
3. the pools, and the days past what a day holds (:mod:`unitcalc.engine.pools`);
4. the items (a code in a pool), a payer's minimum minutes (:mod:`unitcalc.engine.caps`);
5. each rule's columnar form (:mod:`unitcalc.rules`), one unit for an untimed code;
6. unitcalc's pick, the closest compliant allocation (:mod:`unitcalc.engine.compliance`),
   then a payer's caps (:mod:`unitcalc.engine.caps`);
7. compliance and status (:mod:`unitcalc.engine.compliance`), the edits
   (:mod:`unitcalc.engine.edits`).

A group holding what the columns do not count is marked ``__odd`` and evaluated one by
one by the one-visit engine (:mod:`.evaluate`): an unreadable row, a code that cannot be
counted that day, an add-on family, assistant minutes or modifiers, rules or payers that
differ within the day or conflict, a line without a discipline beside named ones, a code
documented under two disciplines in one pool, a tie under a payer's cap, a tie
preference not in force on the day. ``tests/property/test_file_engine.py`` holds the two
engines to the same findings on any file.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import attrs

from ..core.codes import CodeTable
from ..core.windows import kind_column
from ..engine.caps import cap_columns, counted_minutes_column
from ..engine.compliance import allocation_columns, compliant_column, status_column
from ..engine.edits import edit_columns
from ..engine.pools import blank_beside_named, day_limit_problems, pool_column
from ..engine.settings import terms_columns
from ..rules import RULES
from .check import (
    ASSISTED,
    BILLED,
    CODE,
    DATE_FORMAT,
    DISCIPLINE,
    MINUTES,
    MODIFIERS,
    PAYER,
    PROVIDER,
    RULE,
)
from .group import GROUP
from .options import Options
from .read import END, ERROR, LINE
from .terms import item_terms, payer_rules, refused_preference

if TYPE_CHECKING:
    import polars as pl


@attrs.frozen(eq=False)
class Settled:
    """The columnar engine's answer: per group, whether the one-visit engine must
    evaluate it (``__odd``), its status and edits; per item (a code in a pool), the units;
    per row, its pool."""

    groups: pl.DataFrame
    items: pl.DataFrame
    rows: pl.DataFrame


def settle(
    grouped: pl.DataFrame,
    options: Options,
    *,
    date_column: str | None = None,
    modifiers: bool = False,
) -> Settled:
    """Count and audit every group in columns (see the module's docstring).
    ``date_column`` holds the date of service, when the key has one: a code counts only
    inside its window (a deleted code as it counted then). ``modifiers``: the file has a
    modifiers column, and each line's discipline modifiers are checked."""
    import polars as pl

    table = options.settings.codes
    if not grouped.get_column(GROUP).is_sorted():
        grouped = grouped.sort(GROUP, LINE)  # a scattered file: its groups' rows together
    rows = _terms(_windows(grouped, table, date_column), options, date_column)
    rows = _pools(rows)
    too_long = day_limit_problems(
        rows.select(GROUP, LINE, CODE, "__minutes0", "__timed"),
        group=GROUP,
        line=LINE,
        code=CODE,
        minutes="__minutes0",
        timed="__timed",
    )
    caps = any(profile.has_caps for profile in options.profiles.values())
    items = _allowed(_allocated(_items(rows, options)), caps=caps)
    groups = _statuses(items)
    flags = (
        rows.with_columns(pl.col(GROUP).set_sorted())  # items are ordered by group
        .group_by(GROUP, maintain_order=True)
        .agg(pl.col("__odd").first(), pl.col("__counting").first())
    )
    settings = options.settings
    edits = edit_columns(
        rows.lazy(),
        settings.mue,
        group=GROUP,
        code=CODE,
        billed=BILLED,
        ptp=settings.ptp,
        claim=(MODIFIERS, PROVIDER, "__day"),
        modifier_on=settings.ptp_modifier_on,
        modifier_codes=(table, DISCIPLINE) if modifiers else None,
    )
    groups = (
        flags.join(groups, on=GROUP, how="left")
        .join(too_long, on=GROUP, how="left")
        .join(edits.collect(engine="in-memory"), on=GROUP, how="left")
        .with_columns(
            __odd=pl.col("__odd") | pl.col("__group_odd").fill_null(False),
            __edits=pl.col("__edits").fill_null(False),
        )
        .with_columns(
            __status=pl.when(pl.col("__problem").is_not_null())
            .then(pl.lit("invalid"))
            .otherwise(pl.col("__status")),
            __edits=pl.col("__edits") & pl.col("__problem").is_null(),
        )
        .with_columns(__scalar=pl.col("__odd") | (pl.col("__status") != "ok") | pl.col("__edits"))
        .sort(GROUP)
    )
    return Settled(groups, items, rows)


def _code_frame(table: CodeTable) -> pl.DataFrame:
    import polars as pl

    entries = list(table)
    return pl.DataFrame(
        {
            CODE: [info.code for info in entries],
            "__kind": [info.kind for info in entries],
            "unit_minutes": [info.unit_minutes for info in entries],
            "__family": [
                info.addon_of is not None or bool(table.addons(info.code)) for info in entries
            ],
            "__code_index": list(range(1, len(entries) + 1)),
            "__valid_from": [info.valid_from for info in entries],
            "__valid_to": [info.valid_to for info in entries],
            "__valid_kind": [info.valid_kind for info in entries],
        },
        schema={
            CODE: pl.String,
            "__kind": pl.String,
            "unit_minutes": pl.Int64,
            "__family": pl.Boolean,
            "__code_index": pl.Int64,
            "__valid_from": pl.Date,
            "__valid_to": pl.Date,
            "__valid_kind": pl.String,
        },
    )


def _windows(grouped: pl.DataFrame, table: CodeTable, date_column: str | None) -> pl.DataFrame:
    """Step 1: the code table joined; each row's code's kind on its date of service."""
    import polars as pl

    rows = grouped.drop(DATE_FORMAT).join(
        _code_frame(table), on=CODE, how="left", maintain_order="left"
    )
    day = (
        pl.col(date_column).str.to_date("%Y-%m-%d", strict=False)
        if date_column is not None
        else pl.lit(None, dtype=pl.Date)
    )
    return rows.with_columns(
        __kind=kind_column(
            pl.col("__kind"),
            pl.col("__valid_from"),
            pl.col("__valid_to"),
            pl.col("__valid_kind"),
            day,
        ),
        __day=day,
    ).with_columns(pl.col(GROUP).set_sorted())


def _terms(rows: pl.DataFrame, options: Options, date_column: str | None) -> pl.DataFrame:
    """Step 2: each row's rule and pooling in force, its payer's caps, minimum minutes
    and tie preference, and whether the row is one the columns do not count."""
    import polars as pl

    if options.profiles:
        rows = rows.join(payer_rules(options.profiles), on=PAYER, how="left", maintain_order="left")
    else:
        rows = rows.with_columns(
            __payer_rule=pl.lit(None, dtype=pl.String),
            __payer_pooling=pl.lit(None, dtype=pl.String),
        )
    refused = refused_preference(rows, options, date_column)
    rows = rows.with_columns(__refused=pl.lit(False))
    if refused is not None:
        rows = rows.drop("__refused").join(
            refused, on=[PAYER, "__day"], how="left", maintain_order="left", nulls_equal=True
        )
    counting, pooling = terms_columns(
        pl.col(RULE),
        pl.col("__payer_rule"),
        pl.col("__payer_pooling"),
        pooling=options.settings.pooling,
    )
    timed = pl.col("__kind") == "timed"
    rows = rows.with_columns(
        __counting=counting,
        __pooling=pooling,
        __timed=timed.fill_null(False),
        __minutes0=pl.col(MINUTES).fill_null(0),
        __first_rule=pl.col(RULE).first().over(GROUP),
        __first_payer=pl.col(PAYER).first().over(GROUP),
    )
    odd_row = (
        pl.col(ERROR).is_not_null()
        | pl.col(ASSISTED)
        | pl.col("__kind").is_null()
        | pl.col("__family").fill_null(True)
        | (timed & (pl.col(MINUTES).is_null() | pl.col("unit_minutes").is_null()))
        | (
            pl.col(RULE).is_not_null()
            & pl.col(PAYER).is_not_null()
            & (pl.col(RULE) != pl.col("__payer_rule"))
        )
        | pl.col(RULE).ne_missing(pl.col("__first_rule"))
        | pl.col(PAYER).ne_missing(pl.col("__first_payer"))
        | pl.col("__refused").fill_null(False)
    )
    return rows.with_columns(
        __unusable=pl.col(ERROR).is_not_null() | pl.col("__kind").is_null(),
        __odd_row=odd_row,
    )


_ROW_COLUMNS = (
    GROUP, LINE, END, CODE, MINUTES, DISCIPLINE, BILLED, PROVIDER, MODIFIERS, "__day",
    "__minutes0", "unit_minutes", "__kind", "__timed", "__counting", "__odd", "__unusable", RULE,
    PAYER, "pool", "__item",
)  # fmt: skip
"""The columns of the rows the later steps read (with the key's, ``__k0`` ...)."""
_KEY = re.compile(r"__k[0-9]+")


def _pools(rows: pl.DataFrame) -> pl.DataFrame:
    """Step 3: each row's pool, and whether its group is one the columns do not count."""
    import polars as pl

    blank = blank_beside_named(GROUP, pl.col(DISCIPLINE), pl.col("__pooling"))
    pool = pool_column(pl.col(GROUP), pl.col(DISCIPLINE), pl.col("__pooling"))
    return (
        rows.with_columns(__odd=pl.col("__odd_row").any().over(GROUP) | blank, pool=pool)
        # One integer per item (a code in a pool), so that one sort brings items together.
        .with_columns(__item=pl.col("pool") * 4096 + pl.col("__code_index").fill_null(0))
        .select(*_ROW_COLUMNS, *(name for name in rows.columns if _KEY.fullmatch(name)))
        .sort("__item")
        .with_columns(pl.col("pool").set_sorted(), pl.col("__item").set_sorted())
    )


def _items(rows: pl.DataFrame, options: Options) -> pl.DataFrame:
    """Step 4: one row per item (a code in a pool): its minutes as they count (a payer's
    minimum), its billed units, its first line, its payer's terms."""
    import polars as pl

    items = rows.group_by("__item", maintain_order=True).agg(
        pl.col(GROUP).first(),
        pl.col("pool").first(),
        pl.col(CODE).first(),
        pl.col("__minutes0").sum().alias("minutes"),
        pl.col(BILLED).fill_null(0).sum().alias("billed"),
        pl.col("unit_minutes").first(),
        pl.col("__kind").first(),
        pl.col("__timed").first().alias("timed"),
        pl.col("__counting").first(),
        pl.col(LINE).min().alias("first"),
        pl.col(DISCIPLINE).n_unique().alias("__disciplines"),
        pl.col(MINUTES).is_not_null().any().alias("__zero"),
        pl.col("__odd").first(),
        pl.col(PAYER).first(),
    )
    items = item_terms(items, options)
    counted = counted_minutes_column(pl.col("minutes"), pl.col("__minimum"))
    return items.with_columns(
        minutes=pl.when(pl.col("timed")).then(counted).otherwise(pl.col("minutes"))
    )


def _allocated(items: pl.DataFrame) -> pl.DataFrame:
    """Step 5: each rule's columnar form on its timed items; an untimed code one unit."""
    import polars as pl

    timed = items.filter(pl.col("timed"))
    counted = [
        counting.columnar(timed.filter(pl.col("__counting") == name).lazy()).collect(
            engine="in-memory"
        )
        for name, counting in RULES.items()
    ]
    untimed = items.filter(~pl.col("timed")).with_columns(
        base=pl.lit(1, dtype=pl.Int64), tied=pl.lit(False), shared=pl.lit(0, dtype=pl.Int64)
    )
    return pl.concat([*counted, untimed], how="diagonal_relaxed")


def _allowed(items: pl.DataFrame, *, caps: bool) -> pl.DataFrame:
    """Step 6: the closest compliant allocation, then, when a payer has caps, unitcalc's
    pick and what the caps keep of it on the timed items; ``allowed`` is the closest
    allocation, or what the caps keep in a group whose cap removed units. The items come
    sorted by pool."""
    import polars as pl

    items = allocation_columns(items, pool="pool", chosen=caps)
    if not caps:  # nothing kept from unitcalc's pick: the closest allocation stands
        closest = pl.col("closest")
        return items.with_columns(
            pl.col("pool").set_sorted(),
            __capped=pl.lit(False),
            allowed=closest,
            chosen=closest,
            kept=closest,
        )
    timed = cap_columns(
        items.filter(pl.col("timed")),
        group=GROUP,
        pool="pool",
        units="chosen",
        first="first",
        daily="__daily_cap",
        visit="__visit_cap",
        largest="__largest",
    )
    untimed = items.filter(~pl.col("timed")).with_columns(kept=pl.col("chosen"))
    items = pl.concat([timed, untimed], how="vertical_relaxed").sort("pool", "first")
    capped = (pl.col("kept") < pl.col("chosen")).any().over(GROUP)
    return items.with_columns(
        pl.col("pool").set_sorted(),
        __capped=capped,
        allowed=pl.when(capped & pl.col("timed")).then(pl.col("kept")).otherwise(pl.col("closest")),
    )


def _statuses(items: pl.DataFrame) -> pl.DataFrame:
    """Step 7: per group, compliance, the totals and the status; ``__group_odd`` for what
    the columns do not word (a code under two disciplines in one pool, a tie under a
    cap)."""
    import polars as pl

    pools = items.group_by("pool", maintain_order=True).agg(
        pl.col(GROUP).first(),
        compliant_column(pl.col("__capped")).alias("compliant"),
        pl.col("allowed").sum().alias("__allowed"),
        pl.col("billed").sum().alias("__billed"),
        pl.col("tied").any().alias("__tie"),
        (pl.col("__disciplines") > 1).any().alias("__two"),
        pl.col("__capped").any(),
    )
    groups = (
        pools.with_columns(pl.col(GROUP).set_sorted())
        .group_by(GROUP, maintain_order=True)
        .agg(
            pl.col("compliant").all().alias("__compliant"),
            pl.col("__allowed").sum(),
            pl.col("__billed").sum(),
            pl.col("__tie").any(),
            (pl.col("__two").any() | (pl.col("__tie").any() & pl.col("__capped").any())).alias(
                "__group_odd"
            ),
            pl.col("__capped").any(),
        )
    )
    difference = pl.col("__billed") - pl.col("__allowed")
    return groups.with_columns(__status=status_column(difference, pl.col("__compliant")))
