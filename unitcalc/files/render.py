"""A finding as the audit's JSON and CSV outputs write it, in both forms side by side.

:func:`finding_json` and :func:`finding_csv` write one finding (the writer calls them for
each finding it is handed); :func:`rendered_findings` writes many at once from their
columns, with polars string expressions, for the findings the columns word (:mod:`.worded`):
they reach the writer as text and never become Python objects. The columns write only
findings whose text is printable ASCII (what JSON writes as it is, and what needs no
escape in CSV beyond quoting); the others are null there, and written one by one.
``tests/files/test_render.py`` holds the two forms equal.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from ..engine.audit import Finding
from .amount_texts import csv_amount_column, json_amount_column
from .cells import CsvRows, safe_column, safe_row
from .texts import finding_text_column

if TYPE_CHECKING:
    import polars as pl

    from ..core import dicts

Rendering = Literal["json", "csv", "spool", "text"]
"""How findings are written as text: a JSON object of the audit's ``findings``, a row of
its CSV output (spreadsheet-safe), a row of the CSV it spools for Parquet (as is), a
block of its text output (:func:`.texts.finding_text`)."""

RENDER_COLUMNS = (
    "group", "status", "rule", "codes", "billed", "allowed", "difference", "message",
    "lines", "warnings", "providers", "payer",
)  # fmt: skip
"""The columns :func:`rendered_findings` reads (beside the key's), as a finding's
fields: ``codes`` with ``billed`` and ``allowed`` units per code, ``lines`` and
``warnings`` lists, ``providers`` the group's list of providers."""
AMOUNTS = ("billed_amount", "allowed_amount", "amount_difference")
"""With dollars, the columns of a finding's amounts (in cents) that follow."""


def finding_json(
    finding: Finding, key: Mapping[str, str], providers: Sequence[str], payer: str
) -> str:
    """One finding of the audit's JSON ``findings``: its fields, the group's key (by
    column), its providers and payer."""
    data: dicts.FileFinding = {
        **finding.to_dict(),
        "key": dict(key),
        "provider": "; ".join(providers),
        "payer": payer,
    }
    return json.dumps(data)


def finding_csv(row: Sequence[Any], *, safe: bool) -> str:
    """One row of the findings table as CSV (``safe``: spreadsheet-safe, as the CSV
    output writes it; else as the CSV spooled for Parquet)."""
    out = io.StringIO()
    CsvRows(out).writerow(safe_row(row) if safe else row)
    return out.getvalue()


def rendered_findings(
    frame: pl.LazyFrame,
    keys: Sequence[tuple[str, str]],
    form: Rendering,
    *,
    pad: int = 0,
    keep: Sequence[str] = (),
    amounts: bool = False,
) -> pl.LazyFrame:
    """The columnar form of :func:`finding_json` (``form`` json) and :func:`finding_csv`
    over the findings table's row (csv, spool): one ``text`` per row of ``frame``
    (:data:`RENDER_COLUMNS`, and each key's column), null where the text is not plain.
    ``keys`` pairs each key's name in the output with its column in ``frame``; ``pad``
    empty key cells follow them in CSV (the table's key columns outnumber the group's);
    ``keep``: columns of ``frame`` kept beside ``text``; ``amounts``: the findings'
    dollars follow (:data:`AMOUNTS`, in cents), as with a fee file."""
    import polars as pl

    if form == "text":  # no escape: every text is written as it is
        return finding_text_column(frame, keep, amounts=amounts)
    texts = [pl.col(name) for name in ("group", "status", "rule", "message", "payer")]
    texts += [pl.col(column) for _, column in keys]
    lists = [pl.col(name) for name in ("codes", "warnings", "providers")]
    plain = pl.all_horizontal(
        *(_plain(text) for text in texts),
        *(column.list.eval(_plain(pl.element())).list.all().fill_null(False) for column in lists),
    )
    units = _units_text(frame, form)
    if form == "json":
        text = _json_text(keys, amounts=amounts)
    else:
        text = _csv_text(keys, pad, safe=form == "csv", amounts=amounts)
    return (
        frame.with_row_index("__at")
        .join(units, on="__at", how="left", maintain_order="left")
        .select(*keep, pl.when(plain).then(text).alias("text"))
    )


def _units_text(frame: pl.LazyFrame, form: Rendering) -> pl.LazyFrame:
    """Per row (``__at``): its billed and allowed units per code, as JSON objects or as
    the CSV's ``97110x2 97140x1``."""
    import polars as pl

    code = pl.col("codes")
    exploded = frame.select("codes", "billed", "allowed").with_row_index("__at")
    exploded = exploded.explode("codes", "billed", "allowed", empty_as_null=True)

    def units(name: str) -> pl.Expr:
        count = pl.col(name).cast(pl.String)
        if form == "json":
            return pl.concat_str(_json_string(code), pl.lit(": "), count)
        return pl.concat_str(code, pl.lit("x"), count)

    separator = ", " if form == "json" else " "
    joined = exploded.group_by("__at", maintain_order=True).agg(
        *(
            units(name).drop_nulls().str.join(separator).alias(f"__{name}")
            for name in ("billed", "allowed")
        )
    )
    if form == "json":
        return joined.with_columns(
            pl.concat_str(pl.lit("{"), pl.col(f"__{name}"), pl.lit("}")).alias(f"__{name}")
            for name in ("billed", "allowed")
        )
    return joined


def _json_text(keys: Sequence[tuple[str, str]], *, amounts: bool) -> pl.Expr:
    import polars as pl

    def field(name: str, value: pl.Expr, *, first: bool = False) -> list[pl.Expr]:
        return [pl.lit(("" if first else ", ") + json.dumps(name) + ": "), value]

    key = pl.concat_str(
        pl.lit("{"),
        *(
            part
            for at, (name, column) in enumerate(keys)
            for part in field(name, _json_string(pl.col(column)), first=at == 0)
        ),
        pl.lit("}"),
    )
    return pl.concat_str(
        pl.lit("{"),
        *field("group", _json_string(pl.col("group")), first=True),
        *field("status", _json_string(pl.col("status"))),
        *field("rule", _json_string(pl.col("rule"))),
        *field("billed", pl.col("__billed")),
        *field("allowed", pl.col("__allowed")),
        *field("difference", pl.col("difference").cast(pl.String)),
        *field("message", _json_string(pl.col("message"))),
        *field("lines", _json_list(pl.col("lines").list.eval(pl.element().cast(pl.String)))),
        pl.lit(', "explanation": [], "errors": [], "edits": []'),
        *field("warnings", _json_list(pl.col("warnings").list.eval(_json_string(pl.element())))),
        *(part for name in AMOUNTS * amounts for part in field(name, _json_amount(name))),
        *field("key", key),
        *field("provider", _json_string(pl.col("providers").list.join("; "))),
        *field("payer", _json_string(pl.col("payer"))),
        pl.lit("}"),
    )


def _json_amount(name: str) -> pl.Expr:
    import polars as pl

    return json_amount_column(pl.col(name))


def _csv_text(keys: Sequence[tuple[str, str]], pad: int, *, safe: bool, amounts: bool) -> pl.Expr:
    import polars as pl

    def cell(value: pl.Expr) -> pl.Expr:
        return _csv_cell(safe_column(value) if safe else value)

    cells = [
        cell(pl.col("group")), cell(pl.col("status")), cell(pl.col("rule")),
        cell(pl.col("__billed")), cell(pl.col("__allowed")),
        pl.col("difference").cast(pl.String),
        cell(pl.col("lines").list.eval(pl.element().cast(pl.String)).list.join(" ")),
        cell(pl.col("message")), pl.lit(""),
        *(cell(pl.col(column)) for _, column in keys),
        *(pl.lit("") for _ in range(pad)),
        cell(pl.col("providers").list.join("; ")), cell(pl.col("payer")),
        *(csv_amount_column(pl.col(name)) for name in AMOUNTS * amounts),
    ]  # fmt: skip
    return pl.concat_str(*cells, separator=",") + pl.lit("\n")


def _plain(text: pl.Expr) -> pl.Expr:
    """Printable ASCII: JSON writes it as it is, CSV quotes it at most."""
    return text.str.contains(r"^[ -~]*$").fill_null(False)


def _json_string(text: pl.Expr) -> pl.Expr:
    """A plain text (:func:`_plain`) as a JSON string."""
    import polars as pl

    escaped = text.str.replace_all("\\", "\\\\", literal=True).str.replace_all(
        '"', '\\"', literal=True
    )
    return pl.concat_str(pl.lit('"'), escaped, pl.lit('"'))


def _json_list(items: pl.Expr) -> pl.Expr:
    import polars as pl

    return pl.concat_str(pl.lit("["), items.list.join(", "), pl.lit("]"))


def _csv_cell(text: pl.Expr) -> pl.Expr:
    """A plain text as the csv module writes it: quoted (its quotes doubled) when it
    holds a comma or a quote."""
    import polars as pl

    quoted = pl.concat_str(pl.lit('"'), text.str.replace_all('"', '""', literal=True), pl.lit('"'))
    return pl.when(text.str.contains('[,"]')).then(quoted).otherwise(text)
