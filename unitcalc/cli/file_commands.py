"""``unitcalc batch`` and ``unitcalc audit``: every group of a visit file counted, or its
billed units checked, and the audit's findings priced with ``--fees``.

Each command reads its options into :class:`unitcalc.files.Options`
(:mod:`.file_options`), runs the file here (:mod:`.file_run`) or, for the audit, on Spark
(:mod:`.spark_run`), and exits 1 when a group could not be counted (batch), or when a
group is not ok or a line needs KX (audit). The files package and its polars are loaded
inside the commands, never by ``unitcalc calc``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs
import click

from .config import envvar
from .file_options import (
    _checks_option,
    _excel_bom_option,
    _file_options,
    _manifest_option,
    _options,
)
from .file_run import _run
from .sections import SectionedCommand, Sections
from .spark_run import _run_spark

if TYPE_CHECKING:
    from ..files import Options, Summary
    from ..files.price import Pricer
    from ..files.write_audit import AuditFormat, AuditWriter
    from ..files.write_batch import BatchFormat
    from ..payment.fees import FeeSchedule
    from ..payment.threshold import FirstDay

READING = ("file", "group_by", "input_format", "encoding", "delimiter", "column_map", "strict")
COUNTING = ("rule", "pool_by", "prefer", "codes_file", "definitions", "rtm_blocks", "rtm_set_up")
PAYERS = ("payers_file", "payer", "mue_file", "ptp_files", "ptp_modifier_on")
BATCH_SECTIONS: Sections = (
    ("Input", READING),
    ("Counting", COUNTING),
    ("Payer and edits", PAYERS),
    ("Output", ("output", "output_format", "per_row", "excel_bom", "manifest_path")),
)
AUDIT_SECTIONS: Sections = (
    ("Input", READING),
    ("Counting", COUNTING),
    ("Payer and edits", ("checks", *PAYERS)),
    ("Pricing", ("fees_file", "gpci_file", "locality", "fee_setting", "kx_start_file",
                 "kx_first_day")),
    ("Output", ("output", "output_format", "show_all", "explain", "summary_only", "report",
                "report_paper", "excel_bom", "manifest_path")),
    ("Engine", ("engine", "master")),
)  # fmt: skip
"""The sections of ``audit --help`` and ``batch --help`` (:mod:`.sections`)."""
BATCH_EXAMPLES = """Examples (from the project's folder):

\b
  unitcalc batch docs/examples/visits.csv
  unitcalc batch docs/examples/visits.csv --per-row --output units.csv
  unitcalc batch docs/examples/ehr_export.csv --format jsonl --output units.jsonl
"""
AUDIT_EXAMPLES = """Examples (from the project's folder):

\b
  unitcalc audit docs/examples/visits.csv --explain
  unitcalc audit docs/examples/visits.csv --format csv --output findings.csv
  unitcalc audit docs/examples/kx_visits.csv --fees docs/examples/fees.csv \\
      --format xlsx --output audit.xlsx --report audit.html
  unitcalc audit docs/examples/ptp_visits.csv --ptp tests/fixtures/ptp_sample.txt
"""
TERMINAL_FINDINGS = 50
"""Findings shown on a terminal before the note saying how to get them all."""
FeeSetting = Literal["office", "institutional", "facility", "non-facility"]
"""``--fee-setting``: the biller's setting (unitcalc.payment.fees.setting), or its old name."""


@click.command(cls=SectionedCommand, sections=BATCH_SECTIONS, epilog=BATCH_EXAMPLES)
@_file_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["csv", "jsonl", "parquet"]),
    default="csv",
    show_default=True,
    help="Output format.",
)
@_excel_bom_option
@_manifest_option
@click.option(
    "--per-row",
    is_flag=True,
    help="Write every input row back with a units column (a code's units on its first row "
    "in the group), instead of one row per group and code.",
)
@click.pass_context
def batch(
    ctx: click.Context,
    /,
    file: str,
    output: Path | None,
    output_format: BatchFormat,
    per_row: bool,
    excel_bom: bool,
    manifest_path: Path | None,
    **reading: Any,
) -> None:
    """Units for every group of a visit file (CSV or JSON Lines).

    One output row per group and code (the claim line), or with --per-row every input
    row with its units. Exit codes: 0 every group counted; 1 some groups could not be
    counted (status invalid, with the reason); 2 the run could not be done.
    """
    from ..files.write_batch import BatchWriter

    options = _options(need_billed=False, **reading)
    _binary_to_terminal(output_format, output)
    settings = {
        "format": output_format,
        "output": output,
        "per_row": per_row,
        "excel_bom": excel_bom,
        "manifest": manifest_path,
        **reading,
    }
    summary = _run(
        file,
        options,
        BatchWriter(output_format, per_row=per_row),
        output,
        bom=excel_bom and output_format == "csv",
        settings=settings,
        manifest_path=manifest_path,
    )
    from ..files.texts import reading_text

    note = reading_text(summary)
    if note:
        # batch has no summary of its own: how the file was read goes to stderr.
        click.echo(note.rstrip("\n"), err=True)
    if summary.counts.get("invalid"):
        ctx.exit(1)


@click.command(cls=SectionedCommand, sections=AUDIT_SECTIONS, epilog=AUDIT_EXAMPLES)
@_file_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "csv", "json", "parquet", "xlsx"]),
    default="table",
    show_default=True,
    help="A report for people, CSV of the findings, JSON with summary and findings, a "
    "Parquet table of the findings, or an Excel workbook (summary, findings, providers) "
    "(give --output for parquet and xlsx).",
)
@click.option(
    "--report",
    type=click.Path(path_type=Path),
    help="Also write the audit as a document: one self-contained HTML file (opens offline, "
    "prints to landscape Letter or A4), or PDF when FILE ends in .pdf: headline, charts, "
    "findings by provider, the findings and the run manifest.",
)
@click.option(
    "--report-paper",
    type=click.Choice(["letter", "a4"]),
    # Read by the report's writer (file_run._extras) from the context, on every run path.
    expose_value=False,
    callback=lambda ctx, param, value: ctx.meta.update({"unitcalc.report_paper": value}),
    help="The --report's page, in landscape, for the PDF and for the HTML printed: US "
    "Letter (the default) or A4. Both hold every column.",
)
@_excel_bom_option
@_manifest_option
@_checks_option
@click.option("--all", "show_all", is_flag=True, help="List ok groups too (with the reasoning).")
@click.option(
    "--explain", is_flag=True, help="Give each finding the step-by-step reasoning of its count."
)
@click.option("--summary-only", is_flag=True, help="Write the summary only, without the findings.")
@click.option(
    "--fees",
    "fees_file",
    envvar=envvar("fees"),
    show_envvar=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Price the findings: the CMS PPRRVU or PFALL file as downloaded, or a CSV "
    "code,amount[,modifier] (see docs/payment.md). Adds dollars and the KX threshold.",
)
@click.option(
    "--gpci",
    "gpci_file",
    envvar=envvar("gpci"),
    show_envvar=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="With a PPRRVU --fees file: the GPCI file of the same release (locality amounts; "
    "without it, national amounts).",
)
@click.option(
    "--locality",
    envvar=envvar("locality"),
    show_envvar=True,
    metavar="MAC-NN",
    help="The payment locality for rows without a locality column, e.g. 01112-05 (or 05 "
    "when one contractor uses it).",
)
@click.option(
    "--fee-setting",
    type=click.Choice(["office", "institutional", "facility", "non-facility"]),
    default="office",
    show_default=True,
    help="Where and how the therapy is billed: office (private practice or physician "
    "office, professional claim, section 1848: the non-facility amounts), institutional "
    "(hospital outpatient, SNF, CORF or rehab agency, institutional claim, section 1834(k)) "
    "or facility (professional claim at the facility amounts). non-facility is the old "
    "name of office. It picks PFALL's therapy-reduced amount and the 2011-2013 MPPR rate.",
)
@click.option(
    "--kx-start",
    "kx_start_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A CSV patient_id,year,pt_slp,ot of amounts already incurred that year elsewhere "
    "(counted toward the KX threshold).",
)
@click.option(
    "--kx-first-day",
    type=click.Choice(["patient", "bucket", "off"]),
    default="patient",
    show_default=True,
    help="With --fees: flag KX on the patient's first date of service of a year in the "
    "file (patient), on each bucket's first (bucket: PT/SLP and OT apart), or not (off). "
    "UNCONFIRMED: the OIG measure's scope (docs/payment.md).",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "spark"]),
    default="local",
    show_default=True,
    help="Count here, or on Apache Spark (pip install 'unitcalc[spark]', Java 17+): FILE is "
    "then a Parquet or CSV file or folder, and --format parquet writes a folder.",
)
@click.option(
    "--master",
    default="local[*]",
    show_default=True,
    help="With --engine spark: the Spark master URL (local[N], spark://HOST:PORT, yarn ...).",
)
@click.pass_context
def audit(
    ctx: click.Context,
    /,
    file: str,
    output: Path | None,
    output_format: AuditFormat,
    show_all: bool,
    explain: bool,
    summary_only: bool,
    engine: str,
    master: str,
    report: Path | None,
    excel_bom: bool,
    manifest_path: Path | None,
    fees_file: Path | None,
    gpci_file: Path | None,
    locality: str | None,
    fee_setting: FeeSetting,
    kx_start_file: Path | None,
    kx_first_day: FirstDay,
    checks: frozenset[str] | None,
    **reading: Any,
) -> None:
    """Check billed units (column billed_units) against the rule, group by group.

    Statuses: ok, over, under, misallocated (right total, wrong codes), invalid (could
    not be evaluated). With --fees each finding carries dollars and lines past the KX
    threshold without KX are listed. Exit codes: 0 every group ok; 1 some group is not
    ok, or a KX threshold finding; 2 the run could not be done.
    """
    options = _options(need_billed=True, checks=checks, **reading)
    kx = (kx_start_file, kx_first_day)
    pricer = _pricer(fees_file, gpci_file, locality, fee_setting, kx, options)
    if pricer is not None:
        pricer.explanations = explain or show_all
    # Pricing sees every group (ok ones too, in columns); the writer lists the findings.
    options = attrs.evolve(
        options,
        only_findings=not show_all,
        explain=explain,
        price_columns=pricer is not None,
        column_pricer=pricer,
    )
    if output_format == "xlsx" and output is None:
        raise click.UsageError("--format xlsx writes a workbook: give --output FILE.xlsx")
    _binary_to_terminal(output_format, output)
    settings = {
        "format": output_format,
        "all": show_all,
        "explain": explain,
        "output": output,
        "report": report,
        "excel_bom": excel_bom,
        "manifest": manifest_path,
        **({"checks": ",".join(sorted(checks))} if checks is not None else {}),
        **reading,
    }
    writer = _audit_writer(
        output_format,
        output,
        show_all=show_all,
        summary_only=summary_only,
        report=report,
        amounts=pricer is not None,
    )
    summary = _run_on(
        engine,
        master,
        file,
        options,
        writer,
        output,
        bom=excel_bom and output_format == "csv",
        report=report,
        settings=settings,
        manifest_path=manifest_path,
        pricer=pricer,
    )
    if not _all_ok(summary):
        ctx.exit(1)


def _run_on(
    engine: str,
    master: str,
    file: str,
    options: Options,
    writer: AuditWriter,
    output: Path | None,
    *,
    bom: bool,
    report: Path | None,
    settings: dict[str, Any],
    manifest_path: Path | None,
    pricer: Pricer | None,
) -> Summary:
    """The audit run here, or on Spark (``--engine spark``, which its manifest records
    with the master URL)."""
    if engine == "spark":
        return _run_spark(
            file,
            options,
            writer,
            output,
            master=master,
            bom=bom,
            report=report,
            settings=settings | {"engine": engine, "master": master},
            manifest_path=manifest_path,
            priced=pricer is not None,
        )
    # Here, the findings the columns word are written by the columns as text, and a
    # workbook lists every input line.
    lines = writer.claim_lines if writer.format == "xlsx" else None
    return _run(
        file,
        attrs.evolve(options, rendered=writer.rendering, claim_lines=lines),
        writer,
        output,
        bom=bom,
        report=report,
        settings=settings,
        manifest_path=manifest_path,
        pricer=pricer,
    )


def _audit_writer(
    output_format: AuditFormat,
    output: Path | None,
    *,
    show_all: bool,
    summary_only: bool,
    report: Path | None,
    amounts: bool,
) -> AuditWriter:
    """The audit's writer: on a terminal the findings are capped and the summary comes
    last, where it stays in sight; a file or a pipe gets everything, the summary first."""
    from ..files.write_audit import AuditWriter

    terminal = output is None and output_format == "table" and sys.stdout.isatty()
    return AuditWriter(
        output_format,
        show_all=show_all,
        keep_findings=report is not None,
        summary_only=summary_only,
        terminal_cap=TERMINAL_FINDINGS if terminal else None,
        amounts=amounts,
    )


def _all_ok(summary: Summary) -> bool:
    """Every group ok, no edit and no KX threshold finding: the audit exits 0."""
    kx = summary.payment["kx"]["findings"] if summary.payment else []
    return not (
        summary.edits
        or kx
        or any(count for status, count in summary.counts.items() if status != "ok")
    )


def _binary_to_terminal(output_format: str, output: Path | None) -> None:
    """Refuse to write Parquet (binary) to a terminal."""
    if output_format == "parquet" and output is None and sys.stdout.isatty():
        raise click.UsageError(
            "--format parquet writes binary data: give --output FILE.parquet (or redirect "
            "standard output to a file)"
        )


def _pricer(
    fees_file: Path | None,
    gpci_file: Path | None,
    locality: str | None,
    setting: FeeSetting,
    kx: tuple[Path | None, FirstDay],
    options: Options,
) -> Pricer | None:
    """The audit's pricing, when --fees or a payer profile names a fee file; ``kx``: the
    --kx-start file and --kx-first-day."""
    kx_start_file, first_day = kx
    given = {
        "--gpci": gpci_file,
        "--locality": locality,
        "--kx-start": kx_start_file,
        "--kx-first-day": None if first_day == "patient" else first_day,
    }
    from ..files.price import Pricer, profile_schedules
    from ..files.starting import load_starting
    from ..payment.fees import load_fees

    def load(path: str | Path) -> FeeSchedule:
        return load_fees(path, gpci=gpci_file, locality=locality, setting=setting)

    schedules = profile_schedules(options.profiles, load)
    if fees_file is None and not schedules:
        unused = [name for name, value in given.items() if value is not None]
        if unused:
            raise click.UsageError(f"{unused[0]} prices findings: give --fees FILE too")
        return None
    return Pricer(
        load(fees_file) if fees_file is not None else None,
        starting=load_starting(kx_start_file) if kx_start_file is not None else {},
        schedules=schedules,
        first_day=first_day,
        kx_check=options.runs("kx"),
    )
