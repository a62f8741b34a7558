"""The audit and the batch count of a DataFrame on Spark, with the arguments of the
local API (:func:`unitcalc.files.iter_findings`), and ``unitcalc audit --engine spark``'s
audit of a path: the file engine's options and layout are settled here, on the driver,
and the lines counted by :mod:`.partitions`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from ..core.codes import CodeTable
from ..core.errors import FileProblem
from ..core.mue import MueTable
from ..core.ptp import PtpTable
from ..engine.monthly import MonthOptions
from ..engine.payers import PayerProfile, load_profiles
from ..engine.ptp import ModifierPlacement
from ..engine.settings import Pooling
from ..files.check import payer_profile
from ..files.columnar import binary_column
from ..files.findings_table import audit_columns
from ..files.layout import Layout
from ..files.load import resolve
from ..files.options import Options
from ..files.run import group_columns
from ..files.summary import Summary
from ..files.write_batch import BatchWriter
from ..rules import Rule, RuleName
from .lines import ERROR_COLUMN, LINE_COLUMN, data_files, format_of, read_with_counts
from .partitions import Plan, counted, default_partitions
from .results import AuditResult, BatchResult

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def options_of(
    *,
    need_billed: bool,
    rule: RuleName | Rule | None = None,
    payer: str | None = None,
    payers: Mapping[str, PayerProfile] | str | Path | None = None,
    codes: CodeTable | None = None,
    mue: MueTable | str | Path | None = None,
    ptp: PtpTable | str | Path | None = None,
    ptp_modifier_on: ModifierPlacement = "either",
    pooling: Pooling | None = None,
    tie_preference: Sequence[str] | None = None,
    group_by: Sequence[str] = (),
    columns: Mapping[str, str] | None = None,
    month: MonthOptions | None = None,
) -> Options:
    """The file engine's options from the API's arguments (paths loaded)."""
    profiles_path = "the payer profiles given"
    if isinstance(payers, str | Path):
        profiles_path = str(payers)
        payers = load_profiles(payers)
    if isinstance(mue, str | Path):
        mue = MueTable.load(mue)
    if isinstance(ptp, str | Path):
        ptp = PtpTable.load(ptp)
    options = Options.of(
        rule=rule,
        payer=payer,
        profiles=dict(payers or {}),
        profiles_path=profiles_path,
        mue=mue,
        ptp=ptp,
        ptp_modifier_on=ptp_modifier_on,
        codes=codes,
        pooling=pooling,
        tie_preference=tie_preference,
        group_by=group_columns(group_by),
        columns=dict(columns or {}),
        month=month or MonthOptions(),
        need_billed=need_billed,
    )
    if payer is not None:
        selected = payer_profile(payer, options)  # an unknown payer fails here
        options = attrs.evolve(options, payer=selected.name if selected else None)
    return options


def audit(
    frame: DataFrame,
    *,
    rule: RuleName | Rule | None = None,
    payer: str | None = None,
    payers: Mapping[str, PayerProfile] | str | Path | None = None,
    codes: CodeTable | None = None,
    mue: MueTable | str | Path | None = None,
    ptp: PtpTable | str | Path | None = None,
    ptp_modifier_on: ModifierPlacement = "either",
    pooling: Pooling | None = None,
    tie_preference: Sequence[str] | None = None,
    group_by: Sequence[str] = (),
    columns: Mapping[str, str] | None = None,
    month: MonthOptions | None = None,
    show_all: bool = False,
    partitions: int | None = None,
) -> AuditResult:
    """Audit the service lines of ``frame`` (the columns of a visit file) as ``unitcalc
    audit`` does, with the same arguments as :func:`unitcalc.files.iter_findings`;
    ``payers``, ``mue`` and ``ptp`` (NCCI PTP edits; ``ptp_modifier_on``: where a
    modifier bypasses an indicator 1 edit) may be paths. The findings are those of
    ``unitcalc audit`` (with ``show_all``, every group's), in no particular order; remote
    therapeutic monitoring is counted by patient and month (``month``: its options).
    ``partitions``: how many the lines are hashed into (default: see :func:`default_partitions`)."""
    options = options_of(
        need_billed=True,
        rule=rule,
        payer=payer,
        payers=payers,
        codes=codes,
        mue=mue,
        ptp=ptp,
        ptp_modifier_on=ptp_modifier_on,
        pooling=pooling,
        tie_preference=tie_preference,
        group_by=group_by,
        columns=columns,
        month=month,
    )
    options = attrs.evolve(options, only_findings=not show_all)
    return audit_with(frame, options, show_all=show_all, partitions=partitions)


def audit_with(
    frame: DataFrame,
    options: Options,
    *,
    show_all: bool = False,
    detail: bool = False,
    partitions: int | None = None,
    display: str = "the DataFrame",
) -> AuditResult:
    """:func:`audit` with the file engine's :class:`~unitcalc.files.Options` (as the
    command line builds them); ``detail`` keeps each finding whole, for
    :meth:`AuditResult.groups`."""
    options = attrs.evolve(options, need_billed=True, strict=False)
    layout = _layout(frame, options, display)
    plan = Plan(
        layout,
        options,
        "audit",
        tuple(audit_columns(layout.key_roles)),
        ("difference",),
        show_all=show_all,
        detail=detail,
    )
    return AuditResult(counted(frame, plan, partitions), plan)


def batch(
    frame: DataFrame,
    *,
    per_row: bool = False,
    rule: RuleName | Rule | None = None,
    payer: str | None = None,
    payers: Mapping[str, PayerProfile] | str | Path | None = None,
    codes: CodeTable | None = None,
    mue: MueTable | str | Path | None = None,
    ptp: PtpTable | str | Path | None = None,
    ptp_modifier_on: ModifierPlacement = "either",
    pooling: Pooling | None = None,
    tie_preference: Sequence[str] | None = None,
    group_by: Sequence[str] = (),
    columns: Mapping[str, str] | None = None,
    month: MonthOptions | None = None,
    partitions: int | None = None,
) -> BatchResult:
    """Units for every group of ``frame`` as ``unitcalc batch`` counts them: its rows
    (a row per group and code, or with ``per_row`` every input row) in no particular
    order, and the summary."""
    options = options_of(
        need_billed=False,
        rule=rule,
        payer=payer,
        payers=payers,
        codes=codes,
        mue=mue,
        ptp=ptp,
        ptp_modifier_on=ptp_modifier_on,
        pooling=pooling,
        tie_preference=tie_preference,
        group_by=group_by,
        columns=columns,
        month=month,
    )
    layout = _layout(frame, options, "the DataFrame")
    empty = BatchWriter("parquet", per_row=per_row)
    try:
        header = empty.frame(layout)
    finally:
        empty.close()
    plan = Plan(
        layout,
        options,
        "batch",
        tuple(header.columns),
        tuple(empty.computed_names[:1]),
        per_row=per_row,
    )
    return BatchResult(counted(frame, plan, partitions), plan)


def _layout(frame: DataFrame, options: Options, display: str) -> Layout:
    """The layout of ``frame``'s columns; a column of binary data is refused, as the
    local engine refuses it."""
    from pyspark.sql.types import BinaryType

    for field in frame.schema.fields:
        if isinstance(field.dataType, BinaryType):
            raise binary_column(display, field.name)
    names = tuple(name for name in frame.columns if name not in (LINE_COLUMN, ERROR_COLUMN))
    return Layout.of(names, options, display=display, open_ended=False)


def audit_path(
    spark: SparkSession,
    path: str,
    options: Options,
    *,
    show_all: bool,
    detail: bool,
    partitions: int | None = None,
) -> tuple[AuditResult, Summary]:
    """``unitcalc audit --engine spark PATH``: the audit of a Parquet or CSV file or
    folder, and its summary with how the file was read (its encoding, delimiter and
    what was detected, as the local engine says them). A local CSV file's (or a
    folder's first file's) delimiter is detected unless given; it must be UTF-8."""
    local = Path(path)
    input_format = options.input_format or format_of(local)
    delimiter = options.delimiter or ","
    detected: tuple[str, ...] = ()
    settled = options
    sample = local
    if local.is_dir():
        sample = data_files(local)[0]
    if input_format == "csv" and sample.is_file():
        given = attrs.evolve(options, input_format="csv")
        _, settled, detected, _ = resolve(sample, given, display=path)
        if settled.encoding not in ("utf-8", "utf-8-sig"):
            raise FileProblem(
                f"{path}: the Spark engine reads UTF-8 CSV files; this one is "
                f"{settled.encoding}: convert it, or use the local engine",
                path=path,
            )
        delimiter = settled.delimiter or ","
    frame, lines, blank = read_with_counts(
        spark, path, input_format=input_format, delimiter=delimiter
    )
    result = audit_with(
        frame,
        options,
        show_all=show_all,
        detail=detail,
        partitions=partitions or default_partitions(frame, lines),
        display=path,
    )
    summary = result.summary()
    summary.blank_lines = blank
    if input_format == "csv":
        summary.encoding = settled.encoding
        summary.delimiter = delimiter
        summary.detected = detected
    return result, summary
