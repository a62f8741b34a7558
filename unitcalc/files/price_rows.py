"""What the fee pricer reads of each row of the groups priced in columns
(:mod:`.price_frame`), in columns, as :meth:`unitcalc.files.price.Pricer.price` reads a
group's rows: its modifiers (KX, the discipline they name, CQ/CO), CQ/CO units,
locality and patient, every distinct value read once in Python by the scalar reader;
and each group's date of service, payer, fee file and providers."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ..core.disciplines import BY_MODIFIER
from ..core.text import stripped_column
from ..engine.modifiers import parse_modifiers
from ..engine.payers import PayerProfile
from ..payment.fees import ASSISTANT_MODIFIERS, FeeSchedule, PaymentData
from .accrual import follows_kx
from .check import BILLED, CODE, DISCIPLINE, PAYER, PROVIDER, key_names
from .evaluate import LOCALITY_COLUMN, PRIOR_COLUMN_NAMES
from .group import GROUP
from .layout import Layout
from .read import LINE
from .rendered import provider_named, providers_named

if TYPE_CHECKING:
    import polars as pl


@attrs.frozen(eq=False)
class Fees:
    """The fee files and payment data of an audit, as the pricer holds them."""

    schedule: FeeSchedule | None
    schedules: Mapping[str, FeeSchedule]
    profiles: Mapping[str, PayerProfile]
    data: PaymentData
    read_date: Callable[[str], datetime.date | None]


def schedule_of(fees: Fees, payer: str) -> FeeSchedule:
    schedule = fees.schedules.get(payer, fees.schedule)
    assert schedule is not None  # groups without one are not priced
    return schedule


def read_rows(
    rows: pl.DataFrame, raw: pl.DataFrame, layout: Layout, fees: Fees
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows with what the scalar pricer reads of each (``__mods``: the modifiers'
    text, ``__kx``, ``__mod_discipline``, ``__assisted``, ``__locality``, ``__patient``),
    and one row per group priced (its ``__day``, ``__payer``, ``__medicare``, ``__name``,
    ``__provider``, ``__national``); groups without a fee file are left out."""
    import polars as pl

    names = key_names(layout)
    wanted = {
        "__mods": layout.known.get("modifiers"),
        "__cq": layout.known.get("cq_units"),
        "__patient": layout.roles.get("patient_id"),
        "__date": layout.roles.get("date_of_service"),
        "__locality": LOCALITY_COLUMN,
        **{name: name for name in PRIOR_COLUMN_NAMES},
    }
    present = {new: old for new, old in wanted.items() if old is not None and old in raw.columns}
    picked = raw.select(LINE, *(pl.col(old).alias(new) for new, old in present.items()))
    rows = rows.select(GROUP, LINE, CODE, BILLED, DISCIPLINE, PAYER, PROVIDER, *names)
    rows = rows.sort(GROUP, LINE).join(picked, on=LINE, how="left", maintain_order="left")
    for name in ("__mods", "__cq", "__patient", "__date", "__locality"):
        if name not in rows.columns:
            rows = rows.with_columns(pl.lit(None, dtype=pl.String).alias(name))
    fields = pl.Struct(
        {"__kx": pl.Boolean, "__mod_discipline": pl.String, "__assisting": pl.Boolean}
    )
    rows = rows.with_columns(
        _mapped("__mods", lambda text: _modifier_fields(str(text or "")), fields).alias("__read"),
        _mapped("__cq", whole_units, pl.Int64).alias("__cq_units"),
        stripped_column(pl.col("__locality")).replace("", None),
        stripped_column(pl.col("__patient").fill_null("")),
    )
    rows = rows.unnest("__read").with_columns(
        __assisted=pl.when("__assisting").then(pl.col(BILLED)).otherwise(pl.col("__cq_units"))
    )
    groups = rows.group_by(GROUP, maintain_order=True).agg(
        pl.col("__date").first(),
        pl.col(PAYER).first(),
        pl.concat_str([pl.col(name).first() for name in names], separator=" / ").alias("__name"),
        *_first_provider(),
    )
    return rows, _payers(_providers(groups, rows), fees)


def _first_provider() -> tuple[pl.Expr, pl.Expr]:
    """Per group (aggregations): the first provider its rows name, and how many they
    name (:func:`_providers` joins them where there are several)."""
    import polars as pl

    who = provider_named()
    named = pl.when(who != "").then(who).drop_nulls()
    return named.first().alias("__provider"), named.n_unique().alias("__providers")


def _providers(groups: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """The groups with ``__provider``, the providers their rows name, in row order, each
    once, joined by "; " ("(none)": none), as the scalar pricer names a group's."""
    import polars as pl

    several = groups.filter(pl.col("__providers") > 1).select(GROUP)
    if several.height:  # few: their names gathered apart
        joined = (
            rows.join(several, on=GROUP, how="semi")
            .group_by(GROUP, maintain_order=True)
            .agg(providers_named().str.join("; ").alias("__all"))
        )
        groups = groups.join(joined, on=GROUP, how="left", maintain_order="left")
        groups = groups.with_columns(pl.coalesce("__all", "__provider").alias("__provider"))
    return groups.select(pl.exclude("__providers", "__all")).with_columns(
        pl.col("__provider").fill_null("(none)")
    )


def _payers(groups: pl.DataFrame, fees: Fees) -> pl.DataFrame:
    """Each group's date of service and what its payer decides: its fee file (groups
    without one are left out), whether it follows the KX threshold."""
    import polars as pl

    payers = groups.get_column(PAYER).fill_null("").unique().to_list()
    chosen = {payer: fees.schedules.get(payer, fees.schedule) for payer in payers}  # or None
    priced = [payer for payer, schedule in chosen.items() if schedule is not None]
    medicare = {payer: follows_kx(fees.profiles[payer] if payer else None) for payer in priced}
    national = {
        payer: chosen[payer].kind == "pprrvu" and not chosen[payer].gpcis  # type: ignore[union-attr]
        for payer in priced
    }
    return (
        groups.with_columns(__payer=pl.col(PAYER).fill_null(""))
        .filter(pl.col("__payer").is_in(priced))
        .with_columns(
            _mapped("__date", lambda text: fees.read_date(str(text or "")), pl.Date).alias("__day"),
            pl.col("__payer").replace_strict(medicare, return_dtype=pl.Boolean).alias("__medicare"),
            pl.col("__payer").replace_strict(national, return_dtype=pl.Boolean).alias("__national"),
        )
    )


def _mapped(
    name: str, read: Callable[[Any], Any], dtype: pl.DataType | type[pl.DataType] | None = None
) -> pl.Expr:
    """``name`` read by ``read`` (a Python function), each distinct value once."""
    import polars as pl

    column = pl.col(name)
    return column.map_batches(
        lambda series: _read_each(series, read, dtype), return_dtype=dtype, is_elementwise=True
    )


def _read_each(
    series: pl.Series, read: Callable[[Any], Any], dtype: pl.DataType | type[pl.DataType] | None
) -> pl.Series:
    import polars as pl

    distinct = series.unique()
    answers = [read(value) for value in distinct.to_list()]
    mapping = pl.DataFrame({"__from": distinct, "__to": pl.Series(answers, dtype=dtype)})
    return (
        pl.DataFrame({"__from": series})
        .join(mapping, on="__from", how="left", nulls_equal=True, maintain_order="left")
        .get_column("__to")
        .alias(series.name)
    )


def _modifier_fields(text: str) -> dict[str, Any]:
    """What the pricer reads of a row's modifiers: KX, the discipline they name, whether
    they bill an assistant's units (then all the row's units carry CQ/CO)."""
    mods = parse_modifiers(text)
    return {
        "__kx": "KX" in mods,
        "__mod_discipline": next((BY_MODIFIER[m] for m in mods if m in BY_MODIFIER), None),
        "__assisting": bool(mods) and not ASSISTANT_MODIFIERS.isdisjoint(mods),
    }


def whole_units(value: Any) -> int:
    """A ``cq_units`` cell as the pricer reads it: its whole units, 0 when none."""
    text = str(value or "0").strip().split(".")[0]
    return int(text) if text.isdigit() else 0


def locality_of(value: Any) -> str | None:
    """A ``locality`` cell: its text stripped, None when blank or absent."""
    return str(value).strip() or None if value is not None else None
