"""The findings the columns word, written by the columns: the groups settled in columns
whose every word the columns put together (:mod:`.worded`), with no edit to check and no
row entered twice, reach the writer as their text (:func:`.render.rendered_findings`),
never as Python objects."""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from ..core.text import stripped_column
from .check import PAYER, PROVIDER, key_names
from .evaluate import Group, Rendered
from .group import GROUP
from .read import END, LINE
from .render import AMOUNTS, Rendering, rendered_findings

if TYPE_CHECKING:
    import polars as pl

    from .layout import Layout


def rendered_frame(
    found: pl.DataFrame,
    words: pl.LazyFrame,
    rows: pl.DataFrame,
    layout: Layout,
    form: Rendering,
    amounts: pl.DataFrame | None = None,
) -> pl.LazyFrame | None:
    """The groups of ``found`` written by the columns: each one's group, ``status`` and
    ``text``, in group order; None when the key's columns are not those the columns
    write. ``words`` are the groups' words (:func:`.worded.worded_frame`), ``rows``
    their rows sorted by group and line, with ``__twice`` (a row entered twice).
    With ``amounts`` (a fee file: per group, its ``billed_amount``, ``allowed_amount``
    and ``amount_difference`` in cents and ``__note``, the fees' note or null;
    :meth:`.price_frame.PricedGroups.amounts`) only the groups it holds are written,
    with their dollars and the note after their warnings."""
    import polars as pl

    names = key_names(layout)
    pad = len(layout.key_roles) - len(names)
    if len(layout.key_columns) != len(names) or pad < 0:
        return None
    per_group = (
        rows.lazy()
        .join(words.select(GROUP), on=GROUP, how="semi", maintain_order="left")
        .group_by(GROUP, maintain_order=True)
        .agg(
            *(pl.col(name).first() for name in names),
            providers_named().alias("providers"),
            pl.col(PAYER).first().fill_null("").alias("payer"),
            pl.int_ranges(pl.col(LINE), pl.col(END) + 1)
            .list.explode(keep_nulls=False, empty_as_null=False)
            .alias("lines"),
            pl.col("__twice").any(),
        )
    )
    frame = (
        found.lazy()
        .select(
            GROUP,
            pl.col("__status").alias("status"),
            pl.col("__counting").alias("rule"),
            pl.col("__edits").fill_null(False).alias("__edits"),
        )
        .join(words, on=GROUP, how="inner")
        .join(per_group, on=GROUP, how="inner")
        .filter(~pl.col("__edits") & ~pl.col("__twice") & pl.col("texts").is_not_null())
    )
    dollars: list[str] = []
    if amounts is not None:
        dollars = list(AMOUNTS)
        noted = pl.concat_list(pl.col("texts"), pl.col("__note"))
        noted = pl.when(pl.col("__note").is_null()).then(pl.col("texts")).otherwise(noted)
        frame = frame.join(amounts.lazy(), on=GROUP, how="inner", maintain_order="left")
        frame = frame.with_columns(noted.alias("texts"))
    frame = frame.select(
        GROUP,
        pl.concat_str(*names, separator=" / ").alias("group"),
        "status",
        "rule",
        pl.col("code").alias("codes"),
        "billed",
        "allowed",
        (pl.col("billed").list.sum() - pl.col("allowed").list.sum()).alias("difference"),
        "message",
        "lines",
        pl.col("texts").alias("warnings"),
        "providers",
        "payer",
        *names,
        *dollars,
    )
    frame = frame.collect(engine="in-memory").lazy()
    keys = list(zip(layout.key_columns, names, strict=True))
    texts = rendered_findings(
        frame, keys, form, pad=pad, keep=(GROUP, "status"), amounts=amounts is not None
    )
    return texts.filter(pl.col("text").is_not_null())


def provider_named() -> pl.Expr:
    """Per row: the provider it names, read as :attr:`.evaluate.Group.provider_names`
    reads it (stripped; "" for none)."""
    import polars as pl

    return stripped_column(pl.col(PROVIDER).fill_null(""))


def providers_named() -> pl.Expr:
    """Per group (an aggregation): the providers its rows name, in row order, each once;
    :attr:`.evaluate.Group.provider_names` of a group read one by one."""
    who = provider_named()
    return who.filter(who != "").unique(maintain_order=True)


class Runs:
    """Findings written by the columns, handed on as one group a run: the run ends where
    a group not written so, or the first line of another stream's group (``barriers``,
    sorted), comes between two of them, so that the groups stay in file order."""

    def __init__(self, layout: Layout, barriers: Sequence[int]) -> None:
        self.layout, self.barriers = layout, barriers
        self.first, self.zone = 0, 0
        self.texts: list[str] = []
        self.counts: dict[str, int] = {}

    def add(self, first: int, status: str, text: str) -> Iterator[tuple[int, Group]]:
        zone = bisect.bisect(self.barriers, first)
        if self.texts and zone != self.zone:
            yield from self.ended()
        if not self.texts:
            self.first, self.zone = first, zone
        self.texts.append(text)
        self.counts[status] = self.counts.get(status, 0) + 1

    def ended(self) -> Iterator[tuple[int, Group]]:
        if self.texts:
            run = Rendered(self.texts, self.counts)
            yield self.first, Group(None, self.layout, (), None, (), rendered=run)
            self.texts, self.counts = [], {}
