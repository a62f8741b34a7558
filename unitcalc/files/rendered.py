"""The findings the columns word, written by the columns: the groups settled in columns
whose every word the columns put together (:mod:`.worded`), with no edit to check and no
row entered twice, reach the writer as their text (:func:`.render.rendered_findings`),
never as Python objects."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .check import PAYER, PROVIDER, key_names
from .group import GROUP
from .read import END, LINE
from .render import Rendering, rendered_findings

if TYPE_CHECKING:
    import polars as pl

    from .layout import Layout


def rendered_groups(
    found: pl.DataFrame,
    words: pl.DataFrame,
    rows: pl.DataFrame,
    layout: Layout,
    form: Rendering,
) -> dict[int, tuple[str, str]]:
    """Each group of ``found`` written by the columns: its status and text, by group.
    ``words`` are the groups' words (:func:`.worded.worded_frame`), ``rows`` their rows
    sorted by group and line, with ``__twice`` (a row entered twice)."""
    import polars as pl

    names = key_names(layout)
    pad = len(layout.key_roles) - len(names)
    if len(layout.key_columns) != len(names) or pad < 0 or words.height == 0:
        return {}
    who = pl.col(PROVIDER).fill_null("").str.strip_chars()
    per_group = (
        rows.join(words.select(GROUP), on=GROUP, how="semi")
        .group_by(GROUP, maintain_order=True)
        .agg(
            *(pl.col(name).first() for name in names),
            who.filter(who != "").unique(maintain_order=True).alias("providers"),
            pl.col(PAYER).first().fill_null("").alias("payer"),
            pl.int_ranges(pl.col(LINE), pl.col(END) + 1)
            .list.explode(keep_nulls=False, empty_as_null=False)
            .alias("lines"),
            pl.col("__twice").any(),
        )
    )
    frame = (
        found.select(
            GROUP,
            pl.col("__status").alias("status"),
            pl.col("__counting").alias("rule"),
            pl.col("__edits").fill_null(False).alias("__edits"),
        )
        .join(words, on=GROUP, how="inner")
        .join(per_group, on=GROUP, how="inner")
        .filter(~pl.col("__edits") & ~pl.col("__twice") & pl.col("texts").is_not_null())
        .select(
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
        )
    )
    texts = rendered_findings(
        frame, list(zip(layout.key_columns, names, strict=True)), form, pad=pad
    )
    return {
        group: (status, text)
        for group, status, text in zip(
            frame.get_column(GROUP).to_list(),
            frame.get_column("status").to_list(),
            texts.to_list(),
            strict=True,
        )
        if text is not None
    }
