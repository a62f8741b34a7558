"""Episodes of care and time in and out over a file: each part's rows made into compact
facts in columns (:func:`part_facts`), the visits' minutes against their span checked
part by part (:func:`part_visits`, a visit is whole in a part), and the episodes decided
once the whole file was read (:func:`decide`), since a patient's days may lie in
different parts of an unsorted file. The checks themselves are
:mod:`unitcalc.engine.episodes` and :mod:`unitcalc.engine.visit_span`.

Optional columns, found by their header (letter case ignored): ``poc_start`` and
``certified_through`` (the plan of care a line is furnished under), ``progress_report``
(the date a progress report was written, or ``yes`` on a line of the day it was),
``visit_start`` and ``visit_end`` (``HH:MM``), ``treatment_minutes`` (the visit's total
treatment time). A value that cannot be read stops the run with the file, line, field
and fix; a column that is absent skips its check, and :func:`checks` says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ..core.clock import clock_column
from ..core.disciplines import THERAPY_MODIFIERS
from ..core.errors import FileProblem
from ..core.text import echo, stripped_column
from ..core.values import date_column, minutes_column
from ..engine.episode_facts import EVALUATIONS, FACT_SCHEMA, KINDS, PROGRESS_DAYS
from ..engine.episodes import episode_frame, word
from ..engine.visit_span import span_frame
from .check import CODE, DISCIPLINE, MINUTES, MODIFIERS, MONTHLY, PAYER, key_names
from .read import ERROR, LINE
from .split import holds_patients

if TYPE_CHECKING:
    import polars as pl

    from .layout import Layout
    from .load import Loaded
    from .options import Options

PLAN = ("poc_start", "certified_through")
PROGRESS = "progress_report"
TIMES = ("visit_start", "visit_end")
TOTAL = "treatment_minutes"
COLUMNS = (*PLAN, PROGRESS, *TIMES, TOTAL)
"""The optional columns these checks read."""

VISIT_KINDS = ("minutes_exceed_visit", "visit_times_missing")
"""The kinds of the time in and out findings, listed after the episodes'."""

_YES = ("yes", "y", "true", "1", "x")
_NO = ("", "no", "n", "false", "0")


def found_columns(layout: Layout) -> dict[str, str]:
    """The optional columns the file has: name -> its header."""
    by_lower = {column.lower(): column for column in layout.columns}
    return {name: by_lower[name] for name in COLUMNS if name in by_lower}


def _patient_index(layout: Layout) -> int | None:
    roles = layout.key_roles
    return roles.index("patient_id") if "patient_id" in roles else None


def checks(layout: Layout | None) -> dict[str, str]:
    """Which checks ran and which were skipped, and why.

    ``episodes`` needs the patient and the date of service in the group key; ``plan of
    care`` a ``poc_start`` or ``certified_through`` column; ``progress reports`` a
    ``progress_report`` column; ``visit times`` ``visit_start`` and ``visit_end`` or
    ``treatment_minutes``."""
    if layout is None:
        return {}
    columns = found_columns(layout)
    keyed = _patient_index(layout) is not None and layout.date_index is not None
    no_key = "skipped (no patient_id and date_of_service in the group key)"
    return {
        "episodes": "ran" if keyed else no_key,
        "plan of care": (
            ("ran" if keyed else no_key)
            if any(name in columns for name in PLAN)
            else "skipped (no poc_start or certified_through column)"
        ),
        "progress reports": (
            ("ran" if keyed else no_key)
            if PROGRESS in columns
            else "skipped (no progress_report column)"
        ),
        "visit times": (
            "ran"
            if all(name in columns for name in TIMES) or TOTAL in columns
            else "skipped (no visit_start and visit_end, or treatment_minutes, column)"
        ),
    }


def _texts(loaded: Loaded, headers: Sequence[str]) -> pl.DataFrame:
    """The line and the text of each optional column (empty for none), every row."""
    import polars as pl

    if loaded.raw is not None:
        return loaded.raw.select(
            LINE, *(pl.col(header).cast(pl.String).fill_null("") for header in headers)
        )
    rows = [
        [line, *("" if record.values.get(h) is None else str(record.values[h]) for h in headers)]
        for line, record in sorted(loaded.records.items())
    ]
    schema = {LINE: pl.Int64, **dict.fromkeys(headers, pl.String)}
    return pl.DataFrame(rows, schema=schema, orient="row")


def _unreadable(
    texts: pl.DataFrame, field: str, header: str, bad: pl.Expr, fix: str, display: str
) -> None:
    """Stop at the first row whose ``field`` cannot be read."""
    first = texts.filter(bad).select(LINE, header).head(1)
    if first.height:
        line, value = first.row(0)
        raise FileProblem(
            f"{display}, line {line}: {field} {echo(value)} {fix}", path=display, line=line
        )


_DATE_FIX = (
    "is not a date: write YYYY-MM-DD (2026-01-05) or MM/DD/YYYY (01/05/2026), or leave it empty"
)


def _date(texts: pl.DataFrame, field: str, header: str, display: str) -> pl.Expr:
    import polars as pl

    text = stripped_column(pl.col(header))
    value, _, plain = date_column(text)
    extra = _YES + _NO if field == PROGRESS else ("",)
    bad = ~text.str.to_lowercase().is_in(list(extra)) & ~plain.fill_null(False)
    fix = _DATE_FIX
    if field == PROGRESS:
        fix = (
            "is neither a date nor yes/no: write the report's date (YYYY-MM-DD or "
            "MM/DD/YYYY), yes on a line of the day it was written, or leave it empty"
        )
    _unreadable(texts, field, header, bad, fix, display)
    return pl.when(plain.fill_null(False)).then(value)


@attrs.frozen(eq=False)
class PartChecks:
    """What one file or part adds: its episode facts (None without a patient and date
    in the key) and its visits' time findings."""

    facts: pl.DataFrame | None
    visits: list[dict[str, Any]]


def part_checks(loaded: Loaded, options: Options) -> PartChecks | None:
    """:func:`part_facts` and :func:`part_visits` of one file or part; None outside an
    audit (``unitcalc batch`` counts, and carries these columns through untouched) or
    when ``--checks`` leaves ``episodes`` out."""
    if not options.need_billed or not options.runs("episodes"):
        return None
    facts = part_facts(loaded, options)
    if facts is not None and holds_patients(loaded.layout):
        # Only the patients who can have a finding are kept until the end.
        facts = with_a_start(facts)
    return PartChecks(facts, part_visits(loaded, options))


def with_a_start(facts: pl.DataFrame) -> pl.DataFrame:
    """The facts of the patients with an evaluation, a progress report or a plan of care
    among ``facts``: a patient without one has no finding (each kind counts from one)."""
    import polars as pl

    said = (pl.col("kind") != "treatment") | pl.any_horizontal(
        pl.col(name).is_not_null() for name in ("poc_start", "certified_through", "progress")
    )
    patients = facts.filter(said).select("patient").unique()
    return facts.join(patients, on="patient", how="semi", maintain_order="left")


def part_facts(loaded: Loaded, options: Options) -> pl.DataFrame | None:
    """One file's or part's service lines as episode facts
    (:data:`~unitcalc.engine.episodes.FACT_SCHEMA`); None when the group key has no
    patient and date of service."""
    import polars as pl

    layout = loaded.layout
    patient_at, date_at = _patient_index(layout), layout.date_index
    if patient_at is None or date_at is None:
        return None
    keys = key_names(layout)
    patient, date = pl.col(keys[patient_at]), pl.col(keys[date_at])
    columns = {
        name: header for name, header in found_columns(layout).items() if name in (*PLAN, PROGRESS)
    }
    rows = loaded.parsed.filter(
        pl.col(ERROR).is_null()
        & pl.col(CODE).is_not_null()
        & ~pl.col(MONTHLY).fill_null(False)
        & patient.is_not_null()
        & date.is_not_null()
    )
    dated: dict[str, pl.Expr] = {}
    if columns:
        texts = _texts(loaded, list(columns.values())).join(rows.select(LINE), on=LINE, how="semi")
        display = loaded.display
        dated = {
            name: _date(texts, name, header, display).alias(name)
            for name, header in columns.items()
        }
        rows = rows.join(texts.select(LINE, *dated.values()), on=LINE, how="left")
        if PROGRESS in columns:
            flag = texts.select(
                LINE,
                stripped_column(pl.col(columns[PROGRESS]))
                .str.to_lowercase()
                .is_in(list(_YES))
                .alias("__said"),
            )
            rows = rows.join(flag, on=LINE, how="left")
    only = {
        info.code: info.disciplines[0]
        for info in options.settings.codes
        if len(info.disciplines) == 1
    }
    by_modifier = pl.lit(None, dtype=pl.String)
    for name, modifier in THERAPY_MODIFIERS.items():
        said = pl.col(MODIFIERS).fill_null("").str.contains(f"(?i)\\b{modifier}\\b")
        by_modifier = pl.when(said).then(pl.lit(name)).otherwise(by_modifier)
    discipline = pl.coalesce(
        pl.col(DISCIPLINE),
        pl.col(CODE).replace_strict(only, default=None, return_dtype=pl.String),
        by_modifier,
    )
    kind = pl.col(CODE).replace_strict(
        {code: kind for code, (_, kind) in EVALUATIONS.items()},
        default="treatment",
        return_dtype=pl.String,
    )
    none = pl.lit(None, dtype=pl.String)
    progress = none
    if PROGRESS in columns:
        progress = pl.when(pl.col("__said")).then(date).otherwise(pl.col(PROGRESS))
    return rows.select(
        patient.alias("patient"),
        discipline.alias("discipline"),
        date.alias("date"),
        kind.alias("kind"),
        (pl.col(PLAN[0]) if PLAN[0] in columns else none).alias("poc_start"),
        (pl.col(PLAN[1]) if PLAN[1] in columns else none).alias("certified_through"),
        progress.alias("progress"),
        pl.col(LINE).alias("line"),
    ).cast({name: getattr(pl, dtype) for name, dtype in FACT_SCHEMA.items()})


def part_visits(loaded: Loaded, options: Options) -> list[dict[str, Any]]:
    """The visits (groups) of one file or part whose minutes exceed their span or total
    treatment time, and with a payer profile that asks for them (``requires_visit_times``)
    the lines without visit times: findings as :func:`decide` lists them."""
    import polars as pl

    layout = loaded.layout
    columns = found_columns(layout)
    has_times = all(name in columns for name in TIMES)
    asking = [name for name, profile in options.profiles.items() if profile.requires_visit_times]
    if not has_times and TOTAL not in columns and not asking:
        return []
    keys = key_names(layout)
    rows = loaded.parsed.filter(
        pl.col(ERROR).is_null() & pl.all_horizontal(pl.col(k).is_not_null() for k in keys)
    )
    wanted = [columns[name] for name in (*TIMES, TOTAL) if name in columns]
    texts = _texts(loaded, wanted).join(rows.select(LINE), on=LINE, how="semi")
    display = loaded.display
    parsed: dict[str, pl.Expr] = {}
    for name in (*TIMES, TOTAL):
        if name not in columns:
            parsed[name] = pl.lit(None, dtype=pl.Int64).alias(name)
            continue
        text = stripped_column(pl.col(columns[name]))
        if name == TOTAL:
            value, plain = minutes_column(text)
            fix = "is not a number of minutes: write whole minutes (45), or leave it empty"
        else:
            value = clock_column(text)
            plain = value.is_not_null()
            fix = (
                "is not a time of day: write HH:MM on a 24-hour clock (08:05, 17:40), or "
                "leave it empty"
            )
        _unreadable(
            texts, name, columns[name], (text != "") & ~plain.fill_null(False), fix, display
        )
        parsed[name] = pl.when(text != "").then(value).alias(name)
    date = pl.lit(None, dtype=pl.String)
    if layout.date_index is not None:
        date = pl.col(keys[layout.date_index])
    rows = rows.join(texts.select(LINE, *parsed.values()), on=LINE, how="left").with_columns(
        pl.concat_str([pl.col(k) for k in keys], separator=" / ").alias("__visit"),
        date.alias("__date"),
    )
    over = span_frame(
        rows, group="__visit", line=LINE, minutes=MINUTES, start=TIMES[0], end=TIMES[1], total=TOTAL
    )
    days = rows.select("__visit", "__date").unique("__visit")
    over = over.join(days, on="__visit", how="left")
    out = [_visit_row(found) for found in over.sort("__visit").iter_rows(named=True)]
    if asking:
        given = pl.col(TOTAL).is_not_null() | (
            pl.col(TIMES[0]).is_not_null() & pl.col(TIMES[1]).is_not_null()
        )
        # A visit whose start and end (or total) are on any of its lines has them.
        missing = rows.filter(pl.col(PAYER).is_in(asking) & ~given.any().over("__visit"))
        gathered = (
            missing.group_by("__visit")
            .agg(pl.col(LINE).sort(), pl.col(PAYER).first(), pl.col("__date").first())
            .sort("__visit")
        )
        for visit, lines, payer, day in gathered.iter_rows():
            out.append(
                {
                    "patient": visit, "discipline": None, "kind": "visit_times_missing",
                    "dates": [day] if day else [], "lines": lines,
                    "message": f"payer {payer} asks each visit's time in and out (visit_start, "
                    "visit_end) or its total treatment time (treatment_minutes): none on "
                    "these lines",
                }
            )  # fmt: skip
    return out


def _visit_row(found: Mapping[str, Any]) -> dict[str, Any]:
    against = []
    if found["span"] is not None:
        against.append(f"the visit's span of {found['span']} min (visit_start to visit_end)")
    if found["total"] is not None:
        against.append(f"the total treatment time of {found['total']} min")
    return {
        "patient": found["__visit"],
        "discipline": None,
        "kind": "minutes_exceed_visit",
        "dates": [found["__date"]] if found["__date"] else [],
        "lines": found["lines"],
        "message": f"{found['minutes']} min of timed and untimed treatment is more than "
        + " and ".join(against),
    }


def decide(facts: Sequence[pl.DataFrame], layout: Layout | None) -> list[dict[str, Any]]:
    """The episode findings over every part's facts, each with its message."""
    import polars as pl

    if not facts:
        return []
    ran = checks(layout)
    progress = None if ran.get("progress reports", "").startswith("skipped") else PROGRESS_DAYS
    every = with_a_start(pl.concat(facts, how="vertical"))
    found = episode_frame(every, progress_days=progress)
    out = []
    for row in found.iter_rows(named=True):
        out.append(
            {
                "patient": row["patient"],
                "discipline": row["discipline"],
                "kind": row["kind"],
                "dates": row["dates"],
                "lines": row["lines"],
                "message": word(row),
            }
        )
    return out


def finding_order(row: Mapping[str, Any]) -> tuple[Any, ...]:
    """The order findings are listed in: the episodes' by patient, discipline and kind,
    then the visits' by their key; whichever part or process found them."""
    kinds = (*KINDS, *VISIT_KINDS)
    visit = row["kind"] in VISIT_KINDS
    who = (row["patient"], row["discipline"] or "", kinds.index(row["kind"]))
    return (visit, *who, row["dates"], row["lines"])
