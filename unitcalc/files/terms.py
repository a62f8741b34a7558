"""A file's payer terms in columns: the rule and the pooling each row's payer profile
counts by, each item's minimum minutes, tie preference rank and caps, and the days on
which the tie preference in force names a code the table cannot count.

The terms are those of :class:`unitcalc.engine.settings.Settings` resolved for each row's
payer (the options as given win over the payer's), as frames joined to the rows or the
items of :mod:`.settle`; their columnar forms are the engine's (:func:`terms_columns
<unitcalc.engine.settings.terms_columns>`, :mod:`unitcalc.engine.caps`).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..core.codes import CodeTable
from ..core.errors import UnitcalcError
from ..engine.payers import PayerProfile
from ..rules import RULES
from .check import CODE, PAYER
from .options import Options

if TYPE_CHECKING:
    import polars as pl


def payer_rules(profiles: Mapping[str, PayerProfile]) -> pl.DataFrame:
    """The rule and the pooling of each payer profile, one row per payer."""
    import polars as pl

    payers = list(profiles.values())
    return pl.DataFrame(
        {
            PAYER: [profile.name for profile in payers],
            "__payer_rule": [RULES[profile.rule].name for profile in payers],
            "__payer_pooling": [profile.pooling for profile in payers],
        },
        schema={PAYER: pl.String, "__payer_rule": pl.String, "__payer_pooling": pl.String},
    )


def item_terms(items: pl.DataFrame, options: Options) -> pl.DataFrame:
    """The items with their payer's terms: the minimum minutes and the tie preference
    rank in force for their code, and the payer's caps."""
    import polars as pl

    if not options.profiles:  # the tie preference given; no caps, no minimums
        ranks = _ranks(options, None)
        return items.with_columns(
            preference=pl.col(CODE).replace_strict(
                ranks, default=len(ranks), return_dtype=pl.Int64
            ),
            __minimum=pl.lit(None, dtype=pl.Int64),
            __daily_cap=pl.lit(None, dtype=pl.Int64),
            __visit_cap=pl.lit(None, dtype=pl.Int64),
            __largest=pl.lit(False),
        )
    return items.join(
        _payer_codes(options), on=[PAYER, CODE], how="left", maintain_order="left",
        nulls_equal=True,
    ).join(
        _payer_caps(options.profiles), on=PAYER, how="left", maintain_order="left"
    ).with_columns(pl.col("__largest").fill_null(False))  # fmt: skip


def _payer_caps(profiles: Mapping[str, PayerProfile]) -> pl.DataFrame:
    """The caps of each payer profile, one row per payer."""
    import polars as pl

    payers = list(profiles.values())
    return pl.DataFrame(
        {
            PAYER: [profile.name for profile in payers],
            "__daily_cap": [profile.daily_unit_cap for profile in payers],
            "__visit_cap": [profile.visit_unit_cap for profile in payers],
            "__largest": [profile.cap_order == "largest" for profile in payers],
        },
        schema={
            PAYER: pl.String,
            "__daily_cap": pl.Int64,
            "__visit_cap": pl.Int64,
            "__largest": pl.Boolean,
        },
    )


def _payer_codes(options: Options) -> pl.DataFrame:
    """Per payer (null: rows without one) and code: the minimum minutes and the tie
    preference rank in force, and the rank of a code the preference does not list."""
    import polars as pl

    payers: list[str | None] = [None, *options.profiles]
    rows: dict[str, list[object]] = {PAYER: [], CODE: [], "__minimum": [], "__rank": []}
    defaults: dict[str | None, int] = {}
    for name in payers:
        profile = options.profiles[name] if name is not None else None
        ranks = _ranks(options, profile)
        defaults[name] = len(ranks)
        minimums = profile.min_minutes if profile is not None else {}
        for code in dict.fromkeys([*ranks, *minimums]):
            rows[PAYER].append(name)
            rows[CODE].append(code)
            rows["__minimum"].append(minimums.get(code))
            rows["__rank"].append(ranks.get(code))
    frame = pl.DataFrame(
        rows,
        schema={PAYER: pl.String, CODE: pl.String, "__minimum": pl.Int64, "__rank": pl.Int64},
    )
    default = pl.DataFrame(
        {PAYER: list(defaults), "__unlisted": list(defaults.values())},
        schema={PAYER: pl.String, "__unlisted": pl.Int64},
    )
    codes = pl.DataFrame({CODE: [info.code for info in _table(options)]}, schema={CODE: pl.String})
    return (
        default.join(codes, how="cross")
        .join(frame, on=[PAYER, CODE], how="left", nulls_equal=True)
        .select(
            PAYER,
            CODE,
            "__minimum",
            pl.coalesce("__rank", "__unlisted").alias("preference"),
        )
    )


def _table(options: Options) -> CodeTable:
    return options.settings.codes


def _ranks(options: Options, profile: PayerProfile | None) -> dict[str, int]:
    """The tie preference in force for a payer's rows (the one given, else the payer's),
    as ranks by code, as the one-visit engine ranks them."""
    given = options.settings.tie_preference
    codes = given if given is not None else (profile.tie_preference if profile else ())
    ranks: dict[str, int] = {}
    for rank, raw in enumerate(codes):
        try:
            code = _table(options).lookup(raw).code
        except UnitcalcError:
            code = raw.strip().upper()  # refused on its day by the one-visit engine
        ranks.setdefault(code, rank)
    return ranks


def refused_preference(
    rows: pl.DataFrame, options: Options, date_column: str | None
) -> pl.DataFrame | None:
    """The payers (null: rows without one) and days on which the tie preference in force
    names a code the table cannot count that day: the one-visit engine reports it (the
    group is invalid), so such rows are not counted in columns. None when none is."""
    import polars as pl

    if not options.settings.tie_preference and not any(
        p.tie_preference for p in options.profiles.values()
    ):
        return None
    refused: list[tuple[str | None, datetime.date | None]] = []
    for payer, day in rows.select(PAYER, "__day").unique().iter_rows():
        profile = options.profiles[payer] if payer is not None else None
        try:
            options.settings.resolve(
                payer=profile,
                rule=profile.rule if profile else None,
                date_of_service=day if date_column is not None else None,
            )
        except UnitcalcError:
            refused.append((payer, day))
    if not refused:
        return None
    return pl.DataFrame(
        {
            PAYER: [payer for payer, _ in refused],
            "__day": [day for _, day in refused],
            "__refused": [True] * len(refused),
        },
        schema={PAYER: pl.String, "__day": pl.Date, "__refused": pl.Boolean},
    )
