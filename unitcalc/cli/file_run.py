"""A file command's run on this machine: the input read once (a path, or standard input
into memory), the groups counted by :func:`unitcalc.files.run_groups` with a progress
bar on a terminal, then the outputs written atomically: the main one, the ``--manifest``
(how the run was made) and the audit's ``--report``. A full disk or a vanished reader
ends the run in one line, and SIGTERM or SIGHUP removes a half-written output.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..core.encodings import source_sha256
from .shared import InputError, _drop_standard_output

if TYPE_CHECKING:
    from ..files import Options, Summary
    from ..files.price import Pricer
    from ..files.write_audit import AuditWriter
    from ..files.write_batch import BatchWriter


def _progress() -> Callable[[int, int, int], None] | None:
    """A progress bar with its ETA on stderr while a file is counted, only on a
    terminal; it reaches 100% when the run is done."""
    if not sys.stderr.isatty():
        return None
    bar: Any = None

    def show(rows: int, position: int, size: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(
                length=max(size, 1), label="Counting", file=sys.stderr, show_eta=True
            )
        bar.update(max(0, min(position, size) - bar.pos))
        if position >= size:
            bar.render_finish()

    return show


@contextlib.contextmanager
def _input_path(file: str) -> Iterator[tuple[Path | bytes, str]]:
    """The input as a path; standard input ('-') copied to an unnamed temporary file,
    read as a path is (in parts when large): the copy has no name on disk and is gone
    when the process ends, whatever ends the run."""
    if file != "-":
        yield Path(file), file
        return
    from ..files.load import stream_readable

    with stream_readable(sys.stdin.buffer, "<stdin>") as path:
        yield path, "<stdin>"


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _run(
    file: str,
    options: Options,
    writer: BatchWriter | AuditWriter,
    output: Path | None,
    *,
    bom: bool = False,
    report: Path | None = None,
    settings: dict[str, Any] | None = None,
    manifest_path: Path | None = None,
    pricer: Pricer | None = None,
) -> Summary:
    from ..files import run_groups
    from ..files.output import atomic_output, check_output

    progress = _progress()
    # SIGTERM and SIGHUP (a closed terminal) end the run as an error does: a
    # half-written report is removed.
    signal.signal(signal.SIGTERM, _terminated)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, _terminated)
    with contextlib.closing(writer):
        output = check_output(
            output, input_path=None if file == "-" else Path(file), stdin=file == "-"
        )
        given = None if file == "-" else Path(file)
        _check_extras(output, given, stdin=file == "-", report=report, manifest_path=manifest_path)
        try:
            with _input_path(file) as (path, display):
                digest = _sha256_started(path)  # beside the run, on the other core
                summary = run_groups(
                    path,
                    options,
                    writer.consume if pricer is None else pricer.wrap(writer.consume),
                    reset=writer.reset,
                    on_progress=progress,
                    display=display,
                )
                if pricer is not None:
                    pricer.finish(summary)
                summary.manifest = _manifest(
                    path, display, summary, options, settings or {}, sha256=digest
                )
            with atomic_output(output, bom=bom) as out:
                writer.finish(out, summary)
            _extras(writer, summary, display, report=report, manifest_path=manifest_path)
            _say_written(writer, summary, output, report, manifest_path)
        except BrokenPipeError:
            # The reader of standard output went away (| head): stop quietly, as other
            # tools do; flushing at exit would only fail again.
            _drop_standard_output()
            raise SystemExit(1) from None
        except OSError as exc:
            # A full disk, a folder gone: said in one line, never a traceback.
            where = f" ({exc.filename})" if exc.filename else ""
            raise InputError(f"cannot finish the run: {exc.strerror or exc}{where}") from exc
    return summary


def _say_written(
    writer: BatchWriter | AuditWriter,
    summary: Summary,
    output: Path | None,
    report: Path | None,
    manifest_path: Path | None,
) -> None:
    """On stderr, one line for each file the run wrote (its path and size) and, when the
    main output went to a file, the run's headline counts: a run that wrote files says
    so, and one with findings (exit 1) reads apart from a failure."""
    from ..core.text import count_of
    from ..files.write_audit import AuditWriter

    for path in (output, report, manifest_path):
        if path is not None and path.is_file():
            click.echo(f"Wrote {path} ({count_of(path.stat().st_size, 'byte')}).", err=True)
    if output is None:
        return
    counted = f"{count_of(summary.rows_read, 'row')} in {count_of(summary.groups, 'group')}"
    if isinstance(writer, AuditWriter):
        statuses = ", ".join(f"{count:,} {status}" for status, count in summary.counts.items())
        kx = len(((summary.payment or {}).get("kx") or {}).get("findings") or ())
        threshold = f"; {count_of(kx, 'KX threshold finding')}" if kx else ""
        click.echo(f"Audit of {counted}: {statuses}{threshold}.", err=True)
    else:
        unusable = count_of(summary.invalid_rows, "row")
        click.echo(f"Counted {counted}; {unusable} could not be used.", err=True)


def _extras(
    writer: BatchWriter | AuditWriter,
    summary: Summary,
    display: str,
    *,
    report: Path | None,
    manifest_path: Path | None,
) -> None:
    """The run's other outputs, once the main one is written: --manifest and --report."""
    from ..files.output import atomic_output

    if manifest_path is not None:
        with atomic_output(manifest_path) as out:
            assert summary.manifest is not None
            json.dump(summary.manifest | {"read": summary.input_dict()}, out, indent=2)
            out.write("\n")
    if report is not None:
        from ..files.findings_table import audit_columns
        from ..files.report import PAPERS, write_report
        from ..files.write_audit import AuditWriter

        assert isinstance(writer, AuditWriter)
        assert writer.kept is not None
        # The audit's --report-paper, read here rather than passed down every run path
        # (here and on Spark); without it, the report's default paper.
        ctx = click.get_current_context(silent=True)
        paper = (ctx.meta.get("unitcalc.report_paper") if ctx else None) or PAPERS[0]
        with atomic_output(report) as out:
            write_report(
                out,
                summary,
                audit_columns(writer.key_roles, amounts=writer.amounts),
                writer.kept,
                title=f"unitcalc audit of {Path(display).name}",
                pdf=report.suffix.lower() == ".pdf",
                paper=paper,
            )


def _check_extras(
    output: Path | None,
    given: Path | None,
    *,
    stdin: bool,
    report: Path | None,
    manifest_path: Path | None,
) -> None:
    """Refuse, before any work, a --report or --manifest that cannot be written."""
    from ..files.output import check_output

    for option, other in [("--report", report), ("--manifest", manifest_path)]:
        if other is None:
            continue
        check_output(other, input_path=given, stdin=stdin, option=option)
        if output is not None and other.resolve() == output.resolve():
            raise click.UsageError(f"{option} {other} is also --output; give another file")
    if report is not None and manifest_path and report.resolve() == manifest_path.resolve():
        raise click.UsageError(f"--manifest {manifest_path} is also --report; give another file")


def _sha256_started(source: Path | bytes) -> Callable[[], str | None]:
    """:func:`~unitcalc.core.encodings.source_sha256` computed in a thread from now
    (hashlib and the file's reads leave the interpreter free, so it runs while the run
    starts, on a core the start leaves idle): call the result for the digest, or the
    error the hashing met, once done."""
    import threading
    from concurrent.futures import Future

    if isinstance(source, Path) and source.parent == Path("/dev/fd"):
        # Opened again there, standard input's copy shares its reading position with
        # the run's readers (no /proc): hashed after the run, as it reads it.
        return lambda: source_sha256(source)
    digest: Future[str | None] = Future()

    def compute() -> None:
        try:
            digest.set_result(source_sha256(source))
        except BaseException as exc:  # handed to the caller, raised in its thread
            digest.set_exception(exc)

    # A daemon thread (not an executor's, which the interpreter waits for at exit): a
    # run that fails early does not wait for the hash of a large file.
    threading.Thread(target=compute, name="unitcalc-sha256", daemon=True).start()
    return digest.result


def _manifest(
    source: Path | bytes,
    display: str,
    summary: Summary,
    options: Options,
    settings: dict[str, Any],
    *,
    sha256: Callable[[], str | None] | None = None,
) -> dict[str, Any]:
    """How the run was made: the input (name, SHA-256, or ``sha256`` when it is being
    computed already), rows read, unitcalc's version, the code table's newest date, the
    rule, the payer, the options given, the time. ``SOURCE_DATE_EPOCH`` fixes the time,
    for reproducible outputs."""
    import os

    from .. import __version__
    from ..files.texts import code_table_date
    from ..rules import DEFAULT_RULE

    digest = source_sha256(source) if sha256 is None else sha256()
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    now = (
        datetime.datetime.fromtimestamp(int(epoch), tz=datetime.UTC)
        if epoch.isdigit()
        else datetime.datetime.now(datetime.UTC)
    )
    table = options.settings.codes
    given = {
        name: (
            str(value)
            if isinstance(value, Path)
            else [str(part) for part in value]
            if isinstance(value, tuple) and all(isinstance(part, Path) for part in value)
            else value
        )
        for name, value in settings.items()
        if value not in (None, "", (), False)
    }
    return {
        "input": Path(display).name if display != "<stdin>" else display,
        "input_sha256": digest,
        "rows_read": summary.rows_read,
        "unitcalc_version": __version__,
        "code_table_date": code_table_date(table),
        "rule": options.settings.rule or DEFAULT_RULE,
        "payer": options.payer,
        "options": given,
        **_settings_sources(),
        "run_at": now.isoformat(timespec="seconds"),
    }


def _settings_sources() -> dict[str, Any]:
    """Which settings a settings file or the environment gave (:mod:`.config`)."""
    from .config import sources

    ctx = click.get_current_context(silent=True)
    return sources(ctx) if ctx is not None else {}
