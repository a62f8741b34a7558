"""Pricing the groups the columns settle, in columns: the columnar form of
:meth:`unitcalc.files.price.Pricer.price` for the groups that need no Python object:
those settled ok (no finding to print, no ``--explain``, nothing the columns cannot
settle) and those whose findings the columns write (:mod:`.rendered`).

A part of the file gives :func:`price_groups` the rows of those groups; it reads them as
:meth:`~unitcalc.files.price.Pricer.price` reads a group's rows, in polars:

1. each group's date of service (its first row's), payer profile and fee file; each
   row's modifiers, CQ/CO units, locality and patient (:mod:`.price_rows`);
2. the billed lines (one per row billing units) and the lines of the units allowed (a
   group settled ok is allowed what it bills, a finding's group the units its finding
   allows: one line per code, with the modifiers of its first row and the group's first
   locality), each joined to its fee's unit amounts
   (:func:`unitcalc.payment.fees.day.fee_frame`, one lookup per distinct fee) and priced
   by :func:`unitcalc.payment.fees.day.day_totals_columns`;
3. what the pricer adds up (:meth:`PricedGroups.prices`): the groups' amounts
   (:func:`.sums.sums_columns`), the codes unpriced, and the claim lines for the KX
   accrual as a frame (:meth:`.accrual.KxLines.keep_columns`); and for the findings the
   columns write, their amounts and notes (:meth:`PricedGroups.amounts`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import attrs

from ..core.assistant import MEDICARE_PAYMENT
from ..engine.modifiers import parse_modifiers
from ..engine.payers import PayerProfile
from ..payment.fees.day import day_totals_columns, fee_frame
from .accrual import ClaimColumns, claim_columns
from .amounts import unpriced_note
from .check import BILLED, CODE, DISCIPLINE, PAYER
from .evaluate import PRIOR_COLUMN_NAMES
from .group import GROUP
from .layout import Layout
from .price_rows import Fees, read_rows, schedule_of
from .read import LINE
from .split import holds_patients
from .sums import sums_columns

if TYPE_CHECKING:
    import polars as pl

    from .options import ColumnPricer
    from .settle import Settled


@attrs.frozen(eq=False)
class ColumnPrices:
    """What a part's groups priced in columns give the pricer."""

    sums: pl.DataFrame
    """The groups' amounts added per status, provider and payer
    (:func:`.sums.sums_columns`)."""
    claims: ClaimColumns | None
    """The claim lines for :meth:`.accrual.KxLines.keep_columns`; None without a
    patient column."""
    amounts: pl.DataFrame | None
    """Each billed line's ``line`` and ``amount`` (cents), with ``claims``."""
    unpriced: dict[str, int]
    """Codes the fee file lacks, with the number of groups that have them."""
    national: bool
    """A row named a locality that a PPRRVU file without its GPCI file cannot price."""
    undated: bool
    """Some group has no patient column or no date of service: not accrued."""


@attrs.frozen(eq=False)
class PricedGroups:
    """Groups priced in columns (:func:`price_groups`), before the pricer adds them."""

    groups: pl.DataFrame
    """One row per group priced: its amounts in cents (``__billed``, ``__allowed``,
    ``__difference``), the codes unpriced on either side, its payer and provider."""
    billed: pl.DataFrame
    """The billed lines, priced (``__total``), with the group's day."""
    priors: list[str]
    """The ``kx_prior_*`` columns the rows carry."""
    patient: bool
    """The layout has a patient column (else no claim line is kept for the accrual)."""
    sources: Mapping[str, str]
    """Each payer's fee file, as the fees' notes name it."""

    def prices(self, statuses: pl.DataFrame | None = None) -> ColumnPrices:
        """What the pricer adds of the groups: all of them, settled ok; or those of
        ``statuses`` (a group and its ``status`` per row)."""
        import polars as pl

        groups, billed = self.groups, self.billed
        if statuses is None:
            groups = groups.with_columns(pl.lit("ok").alias("__status"))
        else:
            groups = groups.join(
                statuses.select(GROUP, pl.col("status").alias("__status")), on=GROUP, how="inner"
            )
            billed = billed.join(groups.select(GROUP), on=GROUP, how="semi")
        sides = [pl.col(name).fill_null([]) for name in ("__unpriced", "__unpriced_allowed")]
        lacking = groups.filter(pl.any_horizontal(side.list.len() > 0 for side in sides))
        codes = pl.concat_list(sides).list.unique().alias("__codes")  # each once a group
        unpriced = lacking.select(codes.explode().drop_nulls().value_counts(sort=True))
        # As the scalar pricer: a PPRRVU file without GPCIs, a row naming a locality.
        national = (
            billed.join(groups.filter("__national").select(GROUP), on=GROUP, how="semi")
            .get_column("__locality")
            .drop_nulls()
            .len()
            > 0
        )
        lines = None
        if self.patient:
            lines = billed.join(
                groups.select(GROUP, "__medicare", "__name"), on=GROUP, how="left"
            ).select(
                pl.col("__patient").alias("patient"),
                pl.col("__day").alias("day"),
                pl.col(LINE).alias("line"),
                pl.col("__total").alias("amount"),
                pl.col("__kx").alias("kx"),
                pl.col("__name").alias("group"),
                pl.col(BILLED).alias("billed"),
                pl.col("__medicare").alias("medicare"),
                pl.when(pl.col(DISCIPLINE).fill_null("") != "")
                .then(pl.col(DISCIPLINE))
                .otherwise(pl.col("__mod_discipline"))
                .alias("discipline"),
                pl.col(GROUP).alias("__first"),
                *self.priors,
            )
        sums = groups.select(
            pl.col("__status").alias("status"),
            pl.col("__provider").alias("provider"),
            pl.col(PAYER).fill_null("").replace("", "(none)").alias("payer"),
            pl.col("__billed").alias("billed"),
            pl.col("__allowed").alias("allowed"),
            pl.col("__difference").alias("difference"),
        )
        return ColumnPrices(
            sums_columns(sums),
            None if lines is None else claim_columns(lines, priors=bool(self.priors)),
            None if lines is None else lines.select("line", "amount"),
            dict(unpriced.unnest("__codes").iter_rows()),
            national,
            groups.get_column("__day").null_count() > 0 or (lines is None and groups.height > 0),
        )

    def amounts(self, only: pl.DataFrame) -> pl.DataFrame:
        """Per group of ``only`` whose amounts the columns write (a finding's, with no
        CQ/CO units carried over to the allowed side): ``billed_amount``,
        ``allowed_amount``, ``amount_difference`` in cents and ``__note``, the note on
        the codes the fee file lacks (:func:`.amounts.unpriced_note`, once per distinct
        note)."""
        import polars as pl

        groups = self.groups.join(only.select(GROUP), on=GROUP, how="semi")
        groups = groups.filter(~pl.col("__carried")).select(
            GROUP,
            pl.col("__billed").alias("billed_amount"),
            pl.col("__allowed").alias("allowed_amount"),
            pl.col("__difference").alias("amount_difference"),
            pl.col("__unpriced").fill_null([]),
            pl.col("__unpriced_allowed").fill_null([]),
            "__payer",
        )
        sides = ["__payer", "__unpriced", "__unpriced_allowed"]
        distinct = groups.select(sides).unique(maintain_order=True)
        notes = [
            None if note is None else note.text
            for payer, billed, allowed in distinct.iter_rows()
            for note in [unpriced_note(billed, allowed, self.sources[payer])]
        ]
        noted = distinct.with_columns(pl.Series("__note", notes, dtype=pl.String))
        noted = groups.join(noted, on=sides, how="left", nulls_equal=True, maintain_order="left")
        return noted.drop(sides)


def price_groups(
    rows: pl.DataFrame,
    raw: pl.DataFrame,
    layout: Layout,
    fees: Fees,
    allowed: pl.DataFrame | None = None,
) -> PricedGroups:
    """The groups of ``rows`` priced from their columns and the input's ``raw`` text:
    groups settled ok, allowed what they bill; the groups of ``allowed`` (findings'),
    the units it gives (per group and code: ``units``, and ``__index``, the code's
    place among the finding's allowed units), priced as :func:`.amounts.allowed_lines`
    gives them: each code with the modifiers of its first billed row, the group's first
    locality, and the units billed with CQ/CO carried over, up to those allowed
    (``__carried`` marks the groups that have some)."""
    import polars as pl

    rows, groups = read_rows(rows, raw, layout, fees)
    rows = rows.join(groups.select(GROUP), on=GROUP, how="semi")
    # A line's place in its day is its row's line (the allowed: its code's first row's).
    billed = rows.filter(pl.col(BILLED).is_not_null()).with_columns(__index=pl.col(LINE))
    first = billed.group_by(GROUP, maintain_order=True).agg(
        pl.col("__locality").first().alias("__first_locality")
    )
    helped = pl.min_horizontal(pl.col("__assisted").fill_null(0), BILLED)  # units with CQ/CO
    codes = billed.group_by(GROUP, CODE, maintain_order=True).agg(
        pl.col(BILLED).sum(),
        pl.col("__mods").first(),
        pl.col(LINE).first().alias("__index"),
        helped.clip(0).sum().alias("__helped"),
    )
    sides, alike = _allowed_sides(billed, codes, allowed)
    sides = sides.join(first, on=GROUP, how="left", maintain_order="left").with_columns(
        __locality=pl.col("__first_locality")
    )
    carried = sides.group_by(GROUP).agg((pl.col("__assisted") > 0).any().alias("__carried"))
    rates = _rates(groups.select("__payer", "__day").unique(), fees)
    day = groups.select(GROUP, "__payer", "__day").join(
        rates, on=["__payer", "__day"], how="left", nulls_equal=True
    )
    billed = billed.join(day, on=GROUP, how="left", maintain_order="left")
    sides = sides.join(day, on=GROUP, how="left", maintain_order="left")
    keys = ["__payer", CODE, "__mods", "__locality", "__share", "__percent"]
    table = _fee_table(pl.concat([billed.select(keys), sides.select(keys)]).unique(), fees)
    billed_lines, billed_days = _priced(billed.join(table, on=keys, how="left", nulls_equal=True))
    _, allowed_days = _priced(sides.join(table, on=keys, how="left", nulls_equal=True))
    # A day allowed what it bills line for line: its allowed day is its billed day.
    allowed_days = pl.concat([allowed_days, billed_days.join(alike, on=GROUP, how="semi")])
    groups = _totals(groups, billed_days, allowed_days).join(
        carried, on=GROUP, how="left", maintain_order="left"
    )
    payers = groups.get_column("__payer").unique().to_list()
    return PricedGroups(
        groups.with_columns(pl.col("__carried").fill_null(False)),
        billed_lines,
        [name for name in PRIOR_COLUMN_NAMES if name in rows.columns],
        layout.roles.get("patient_id") is not None,
        {payer: schedule_of(fees, payer).source for payer in payers},
    )


def _allowed_sides(
    billed: pl.DataFrame, codes: pl.DataFrame, allowed: pl.DataFrame | None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The lines of the units allowed, each code's (``codes``: its units, its first
    row's modifiers and line, its units with CQ/CO) of the groups of ``allowed`` and of
    the groups settled ok whose lines differ from their ``billed`` ones; and the groups
    settled ok whose allowed lines are their billed lines (each code on one row, one
    locality, no CQ/CO unit): priced once."""
    import polars as pl

    side = [GROUP, CODE, BILLED, "__mods", "__index", "__assisted"]
    # Settled ok: allowed what they bill, no assistant units due.
    settled = codes.with_columns(__assisted=pl.lit(0, dtype=pl.Int64)).select(side)
    if allowed is not None:
        billed = billed.join(allowed.select(GROUP).unique(), on=GROUP, how="anti")
        settled = settled.join(allowed.select(GROUP).unique(), on=GROUP, how="anti")
    same = (  # (n_unique counts a null as a value: one locality, or none)
        (pl.col(CODE).n_unique() == pl.len())
        & (pl.col("__locality").n_unique() == 1)
        & (pl.col("__assisted").fill_null(0) <= 0).all()
    )
    flags = billed.group_by(GROUP).agg(same.alias("__same"))
    alike = flags.filter("__same").select(GROUP)
    sides = settled.join(alike, on=GROUP, how="anti")
    if allowed is None:
        return sides, alike
    found = (
        allowed.join(codes.select(GROUP).unique(), on=GROUP, how="semi")
        .join(codes.select(GROUP, CODE, "__mods", "__helped"), on=[GROUP, CODE], how="left")
        .select(GROUP, CODE, pl.col("units").alias(BILLED), "__mods", "__index",
                pl.min_horizontal(pl.col("__helped").fill_null(0), "units").alias("__assisted"))
        .cast({BILLED: sides.schema[BILLED], "__index": sides.schema["__index"]})
    )  # fmt: skip
    return pl.concat([sides, found]), alike


def priced_part(
    groups: pl.DataFrame,
    settled: Settled,
    raw: pl.DataFrame,
    layout: Layout,
    profiles: Mapping[str, PayerProfile],
    pricer: ColumnPricer,
    *,
    findings: bool,
) -> tuple[PricedGroups | None, Callable[[], None]]:
    """The groups of a part settled in columns (``groups``, their ``settled`` rows and
    items) priced by ``pricer`` (None: there are none), and the function adding those
    settled ok to the pricer's. With ``findings`` (the columns write findings) the
    findings' groups are priced too, added as the columns write them; else the one-visit
    pricer prices them."""
    import polars as pl

    whole = holds_patients(layout)  # the KX accrual may close the parts before
    chosen = groups.filter(~pl.col("__odd"))
    if not findings:
        chosen = chosen.filter(~pl.col("__scalar"))
    rows = settled.rows.join(chosen.select(GROUP), on=GROUP, how="semi")
    if rows.height == 0:
        return None, pricer.adding(None, part=True, whole=whole)
    found = chosen.filter(pl.col("__scalar"))
    allowed = found_allowed(found, settled.items, rows) if findings else None
    prices = pricer.price_groups(rows, raw, layout, profiles, allowed)
    ok = chosen.filter(~pl.col("__scalar")).select(GROUP, pl.lit("ok").alias("status"))
    return prices, pricer.adding(prices.prices(ok), part=True, whole=whole)


def found_allowed(found: pl.DataFrame, items: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """The units the findings' groups of ``found`` allow per code, as
    :func:`price_groups` reads them: per group and code of its ``rows``, ``units``
    (those of its ``items``, summed; the billed ones for a group ok) and ``__index``
    (the code's first line: its place in the finding's ``allowed``). Groups the rule
    did not evaluate (invalid) are left out."""
    import polars as pl

    evaluated = found.filter(pl.col("__problem").is_null() & (pl.col("__status") != "invalid"))
    evaluated = evaluated.select(GROUP, "__status")
    side = pl.when(pl.col("__status") == "ok").then(pl.col("billed")).otherwise(pl.col("allowed"))
    units = (
        items.join(evaluated, on=GROUP, how="inner")
        .group_by(GROUP, CODE)
        .agg(side.sum().alias("units"))
    )
    return (
        rows.join(evaluated, on=GROUP, how="semi")
        .filter(pl.col(CODE).is_not_null())
        .group_by(GROUP, CODE)
        .agg(pl.col(LINE).min().alias("__index"))
        .join(units, on=[GROUP, CODE], how="left")
        .with_columns(pl.col("units").fill_null(0))
    )


def _rates(days: pl.DataFrame, fees: Fees) -> pl.DataFrame:
    """What each distinct payer and day changes in a price: the MPPR's share of the PE
    (``__share``, null: no reduction) and the assistant's percent (``__percent``)."""
    import polars as pl

    rows = []
    for payer, day in days.iter_rows():
        schedule = schedule_of(fees, payer)
        profile = fees.profiles[payer] if payer else None
        assistant = (profile.assistant_payment if profile else None) or MEDICARE_PAYMENT
        share = fees.data.pe_paid_percent(day, schedule.setting)
        rows.append((payer, day, share, assistant.percent_on(day)))
    schema = {"__payer": pl.String, "__day": pl.Date, "__share": pl.Int64, "__percent": pl.Int64}
    return pl.DataFrame(rows, schema=schema, orient="row")


def _fee_table(keys: pl.DataFrame, fees: Fees) -> pl.DataFrame:
    """The :data:`~unitcalc.payment.fees.day.FEE_COLUMNS` of each distinct payer, code,
    modifiers, locality, MPPR share and assistant percent of ``keys``: each fee looked
    up once."""
    import polars as pl

    found = []
    for payer, code, mods, locality, _, _ in keys.iter_rows():
        schedule = schedule_of(fees, payer)
        found.append(schedule.fee(code, parse_modifiers(str(mods or "")), locality))
    shares = keys.get_column("__share").to_list()
    table = fee_frame(found, shares, keys.get_column("__percent").to_list())
    return pl.concat([keys, table], how="horizontal")


def _priced(lines: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """:func:`~unitcalc.payment.fees.day.day_totals_columns` of a group's lines."""
    return day_totals_columns(
        lines, day=GROUP, index="__index", units=BILLED, assisted="__assisted", code=CODE
    )


def _totals(groups: pl.DataFrame, billed: pl.DataFrame, allowed: pl.DataFrame) -> pl.DataFrame:
    """The groups with their billed and allowed totals, their difference (null when a
    code of either side is unpriced)."""
    import polars as pl

    sides = billed.join(allowed, on=GROUP, how="left", suffix="_allowed")
    groups = groups.join(sides, on=GROUP, how="left", maintain_order="left")
    priced_all = (pl.col("__unpriced").list.len().fill_null(0) == 0) & (
        pl.col("__unpriced_allowed").list.len().fill_null(0) == 0
    )
    money = groups.get_column("__total").dtype
    # Null for a group without rows billed; 0 for one allowed no unit.
    priced = pl.when(pl.col("__total").is_not_null()).then(
        pl.col("__total_allowed").fill_null(pl.lit(0, dtype=money))
    )
    return groups.with_columns(
        __billed=pl.col("__total").fill_null(pl.lit(0, dtype=money)),
        __allowed=priced,
        __difference=pl.when(priced_all).then(pl.col("__total") - priced),
    )
