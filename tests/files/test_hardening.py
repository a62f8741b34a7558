"""Bad input and awkward outputs give a clear error or the right result, never a
traceback, a rewritten value or a replaced device."""

from __future__ import annotations

import codecs
import gzip
import io
import json
import os
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from unitcalc import InvalidServiceError, ServiceLine, iter_findings
from unitcalc.cli import main
from unitcalc.files.output import atomic_output

HEADER = "patient_id,date_of_service,code,minutes,billed_units\n"


def audit(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["audit", *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("code", ["9 7 1 1 0", "97\t140"], ids=["spaces", "tab"])
def test_white_space_inside_a_code_is_refused(code: str) -> None:
    with pytest.raises(InvalidServiceError, match="white space inside the code"):
        ServiceLine(code, 33)


def test_white_space_inside_a_code_in_a_file_is_a_row_error(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_text(HEADER + "P1,2026-01-05,9 7 1 1 0,33,2\n", encoding="utf-8")
    [finding] = iter_findings(path)
    assert finding.status == "invalid"
    assert "white space inside the code" in finding.message


def test_an_unclosed_quote_on_the_last_line_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_text(HEADER + 'P1,2026-01-05,97110,33,"2\n', encoding="utf-8")
    [finding] = iter_findings(path)
    assert finding.status == "invalid"
    assert "a quote opened on line 2 is never closed: the file ends inside it" in finding.message


@pytest.mark.parametrize("column", ["minutes", "billed_units"])
def test_a_number_of_thousands_of_digits_is_a_clear_row_error(tmp_path: Path, column: str) -> None:
    huge = "9" * 5000
    minutes, billed = (huge, "2") if column == "minutes" else ("33", huge)
    path = tmp_path / "v.csv"
    path.write_text(HEADER + f"P1,2026-01-05,97110,{minutes},{billed}\n", encoding="utf-8")
    [finding] = iter_findings(path)
    assert finding.status == "invalid"
    assert "more than the 1440 minutes" in finding.message or "more units than" in finding.message


def test_a_json_number_of_thousands_of_digits_is_a_clear_row_error(tmp_path: Path) -> None:
    path = tmp_path / "v.jsonl"
    path.write_text(
        '{"patient_id": "P1", "date_of_service": "2026-01-05", "code": "97110", '
        f'"minutes": {"9" * 5000}, "billed_units": 1}}\n',
        encoding="utf-8",
    )
    [finding] = iter_findings(path)
    assert "minutes: a number of more than 4,300 digits" in finding.message


def test_a_key_twice_in_one_json_record_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "v.jsonl"
    path.write_text(
        '{"patient_id": "P1", "date_of_service": "2026-01-05", "code": "97110", '
        '"minutes": 10, "minutes": 40, "billed_units": 1}\n',
        encoding="utf-8",
    )
    [finding] = iter_findings(path)
    assert "the key 'minutes' appears twice in one object; keep one" in finding.message


@pytest.mark.parametrize("encoding", ["rot13", "hex", "base64", "zlib"])
def test_an_encoding_that_is_no_text_encoding_is_refused(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "v.csv"
    path.write_text(HEADER + "P1,2026-01-05,97110,33,2\n", encoding="utf-8")
    code, _, err = audit(str(path), "--encoding", encoding)
    assert code == 2
    assert "is not a text encoding" in err


@pytest.mark.parametrize("encoding", ["idna", "punycode", "unicode_escape"])
def test_an_encoding_made_for_other_things_is_refused(tmp_path: Path, encoding: str) -> None:
    # Codecs Python counts as text encodings but made for host names or Python literals:
    # they cannot read a file line by line (a traceback before).
    path = tmp_path / "v.csv"
    path.write_text(HEADER + "P1,2026-01-05,97110,33,2\n", encoding="utf-8")
    code, _, err = audit(str(path), "--encoding", encoding)
    assert code == 2
    assert "is not an encoding text files are saved in" in err


def test_a_utf16_file_with_its_byte_order_mark_is_read_as_utf16(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_bytes((HEADER + "P1,2026-01-05,97110,33,2\n").encode("utf-16"))
    assert path.read_bytes()[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    [finding] = iter_findings(path)
    assert finding.status == "ok"


@pytest.mark.parametrize("delimiter", ['"', "'", "\\", " "])
def test_a_delimiter_that_cannot_separate_fields_is_refused(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "v.csv"
    path.write_text(HEADER, encoding="utf-8")
    code, _, err = audit(str(path), "--delimiter", delimiter)
    assert code == 2
    assert "cannot separate fields" in err


def test_a_pretty_printed_json_object_is_told_apart_from_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "v.json"
    path.write_text('{\n  "code": "97110",\n  "minutes": 33\n}\n', encoding="utf-8")
    code, _, err = audit(str(path))
    assert code == 2
    assert "one JSON object written over several lines" in err


def test_standard_input_is_never_the_output(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    text = HEADER + "P1,2026-01-05,97110,33,2\n"
    path.write_text(text, encoding="utf-8")
    with path.open("rb") as handle:
        result = subprocess.run(
            [sys.executable, "-m", "unitcalc.cli", "batch", "-", "--output", str(path)],
            stdin=handle,
            capture_output=True,
            text=True,
            check=False,
        )
    assert result.returncode == 2
    assert "is the file on standard input" in result.stderr
    assert path.read_text(encoding="utf-8") == text


def test_a_device_is_written_through_not_replaced() -> None:
    null = Path("/dev/null")
    before = os.stat(null)
    with atomic_output(null) as out:
        out.write("report\n")
    after = os.stat(null)
    assert stat.S_ISCHR(after.st_mode)
    assert (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


def test_a_rewritten_report_keeps_its_mode_and_its_link(tmp_path: Path) -> None:
    target = tmp_path / "report.csv"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o600)
    link = tmp_path / "latest.csv"
    link.symlink_to(target)
    with atomic_output(link) as out:
        out.write("new\n")
    assert link.is_symlink()
    assert target.read_text(encoding="utf-8") == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_named_pipe_is_read_once(tmp_path: Path) -> None:
    fifo = tmp_path / "visits.csv"
    os.mkfifo(fifo)
    text = HEADER + "P1,2026-01-05,97110,33,3\n"
    writer = subprocess.Popen([sys.executable, "-c", f"open({str(fifo)!r}, 'w').write({text!r})"])
    try:
        code, out, _ = audit(str(fifo))
    finally:
        writer.wait(timeout=30)
    assert code == 1
    assert out.startswith("Audit of 1 row in 1 group; 0 rows could not be used.")


def test_standard_input_is_read_without_a_copy_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    private = tmp_path / "temporary"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    code, out, _ = audit("-", stdin=HEADER + "P1,2026-01-05,97110,33,2\n")
    assert code == 0
    assert out.startswith("Audit of 1 row in 1 group")
    assert list(private.iterdir()) == []


@pytest.mark.parametrize("ending", ["SIGTERM", "SIGHUP"])
def test_an_ending_signal_leaves_no_half_written_report(tmp_path: Path, ending: str) -> None:
    import signal
    import time

    number = getattr(signal, ending)

    report = tmp_path / "report.csv"
    script = (
        "import signal, sys, time\n"
        "from pathlib import Path\n"
        "from unitcalc.cli.file_run import _terminated\n"
        "from unitcalc.files.output import atomic_output\n"
        f"signal.signal(signal.{ending}, _terminated)\n"
        f"with atomic_output(Path({str(report)!r})) as out:\n"
        "    out.write('half a report')\n"
        "    out.flush()\n"
        "    time.sleep(60)\n"
    )
    run = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 30
    while not list(tmp_path.glob(".report.csv.*.partial")):
        assert time.monotonic() < deadline, "the report was never started"
        time.sleep(0.02)
    run.send_signal(number)
    assert run.wait(timeout=30) == 128 + number
    assert list(tmp_path.iterdir()) == []


def test_json_lines_values_are_never_overwritten_by_computed_columns(tmp_path: Path) -> None:
    import json

    path = tmp_path / "v.jsonl"
    path.write_text(
        '{"patient_id": "P1", "date_of_service": "2026-01-05", "code": "97110", "minutes": 33}\n'
        '{"patient_id": "P2", "date_of_service": "2026-01-05", "code": "97110", "minutes": 8,'
        ' "status": "seen", "units": "two", "message": "kept"}\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["batch", str(path), "--format", "jsonl", "--per-row"])
    assert result.exit_code == 0
    second = json.loads(result.stdout.splitlines()[1])
    assert (second["status"], second["units"], second["message"]) == ("seen", "two", "kept")
    assert (second["unitcalc_status"], second["unitcalc_units"]) == ("ok", 1)


def test_json_keys_that_differ_only_in_case_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "v.jsonl"
    path.write_text(
        '{"patient_id": "P1", "date_of_service": "2026-01-05", "code": "97110", '
        '"CODE": "97140", "minutes": 10, "billed_units": 1}\n',
        encoding="utf-8",
    )
    [finding] = iter_findings(path)
    assert finding.status == "invalid"
    assert "the keys 'code' and 'CODE' differ only in letter case" in finding.message


def test_json_lines_keys_are_carried_through_as_written(tmp_path: Path) -> None:
    import json

    path = tmp_path / "v.jsonl"
    path.write_text(
        '{"Patient_ID": "P1", "Date_of_Service": "2026-01-05", "Code": "97110", '
        '"Minutes": 33, "ChartNote": "kept as written"}\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["batch", str(path), "--format", "jsonl", "--per-row"])
    assert result.exit_code == 0
    row = json.loads(result.stdout)
    assert row["ChartNote"] == "kept as written"
    assert (row["Code"], row["unitcalc_units"]) == ("97110", 2)


def test_a_terminal_gets_capped_findings_and_the_summary_last(tmp_path: Path) -> None:
    from unitcalc.files import Options, run_groups
    from unitcalc.files.write_audit import AuditWriter

    rows = "".join(f"P{i},2026-01-05,97110,33,3\n" for i in range(5))
    path = tmp_path / "v.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    writer = AuditWriter("table", show_all=False, terminal_cap=2)
    summary = run_groups(path, Options(need_billed=True, only_findings=True), writer.consume)
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out:
        writer.finish(out, summary)
        writer.close()
        out.seek(0)
        text = out.read()
    assert text.startswith("Findings:\n")
    assert text.count("[over]") == 2
    assert "... and 3 more findings: write them all with --output FILE" in text
    assert text.index("more findings") < text.index("Audit of 5 rows in 5 groups")


def test_summary_only(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_text(HEADER + "P1,2026-01-05,97110,33,3\n", encoding="utf-8")
    code, out, _ = audit(str(path), "--summary-only")
    assert code == 1
    assert out.startswith("Audit of 1 row in 1 group")
    assert "Findings" not in out


def test_the_progress_reaches_the_whole_file(tmp_path: Path) -> None:
    from unitcalc.files import Options, run_groups

    rows = "".join(f"P{i % 97},2026-01-0{1 + i % 3},97110,{8 + i % 40},1\n" for i in range(3000))
    path = tmp_path / "v.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    size = path.stat().st_size
    for partition_bytes in (1 << 30, 2048):  # read whole, and in parts
        calls: list[tuple[int, int, int]] = []
        run_groups(
            path,
            Options(need_billed=True, only_findings=True),
            lambda group: None,
            on_progress=lambda *args, seen=calls: seen.append(args),
            partition_bytes=partition_bytes,
        )
        positions = [position for _, position, _ in calls]
        assert positions == sorted(positions)
        assert calls[-1] == (3000, size, size)


def test_a_failing_writer_ends_a_run_in_parts_and_leaves_no_parts_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The writer fails (a full disk, say) while the next part is being settled in the
    # second thread: the error reaches the caller and the parts' folder is removed.
    import tempfile

    from unitcalc.files import Options, run_groups

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    rows = "".join(f"P{i % 97},2026-01-05,97110,{8 + i % 40},9\n" for i in range(3000))
    path = tmp_path / "v.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    seen: list[object] = []

    def consume(group: object) -> None:
        seen.append(group)
        if len(seen) == 3:
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        run_groups(
            path, Options(need_billed=True, only_findings=True), consume, partition_bytes=2048
        )
    assert len(seen) == 3
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("v.csv", HEADER + "P1,2026-01-05,97110,33,2\n\n,,,,\n  \nP2,2026-01-05,97110,33,2\n"),
        # Cells of white space as str.strip() strips it (a tab, U+001C to U+001F): blank.
        (
            "s.csv",
            HEADER
            + "P1,2026-01-05,97110,33,2\n\t,\x1c, ,\x1f,\x1d\n\x1e,,,,\nP2,2026-01-05,97110,33,2\n",
        ),
        (
            "v.jsonl",
            '{"patient_id":"P1","date_of_service":"2026-01-05","code":"97110","minutes":33,'
            '"billed_units":2}\n\n   \n{"patient_id":"P2","date_of_service":"2026-01-05",'
            '"code":"97110","minutes":33,"billed_units":2}\n',
        ),
    ],
)
def test_blank_lines_are_counted_so_every_line_is_accounted_for(
    tmp_path: Path, name: str, text: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    code, out, _ = audit(str(path), "--format", "json")
    summary = json.loads(out)["summary"]
    assert code == 0
    assert summary["rows_read"] == 2
    header = 1 if name.endswith(".csv") else 0
    # Lines as a file has them (str.splitlines() would also break at U+001C to U+001E).
    assert header + summary["rows_read"] + summary["blank_lines"] == text.count("\n")
    code, out, _ = audit(str(path))
    assert "blank lines skipped (no record)" in out.splitlines()[0]


def test_a_file_without_blank_lines_says_nothing_of_them(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_text(HEADER + "P1,2026-01-05,97110,33,2\n", encoding="utf-8")
    _, out, _ = audit(str(path), "--format", "json")
    assert "blank_lines" not in json.loads(out)["summary"]


def test_a_provider_just_under_15_minutes_a_unit_is_flagged() -> None:
    # 14.96 minutes a unit is under 15: flagged for review, and never shown as 15.00.
    from unitcalc.files import Summary

    summary = Summary()
    summary.tally("prov12", 110572, 7389)
    summary.tally("prov13", 150, 10)
    rows = {row["provider"]: row for row in summary.provider_rows()}
    assert rows["prov12"]["minutes_per_unit"] == 14.96
    assert rows["prov12"]["review"] is True
    assert rows["prov13"]["review"] is False


@pytest.mark.parametrize(
    ("rows", "order"),
    [
        (
            "P1,2026-01-05,97110,33,2\n\nP1,2026-01-05,97140,10,1\nP2,2026-01-05,97110,20,1\n",
            "contiguous",
        ),
        (
            "P1,2026-01-05,97110,33,2\n\nP2,2026-01-05,97110,20,1\nP1,2026-01-05,97140,10,1\n",
            "scattered",
        ),
    ],
)
def test_a_blank_line_inside_a_group_does_not_scatter_it(
    tmp_path: Path, rows: str, order: str
) -> None:
    path = tmp_path / "v.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    _, out, _ = audit(str(path), "--format", "json")
    assert json.loads(out)["summary"]["order"] == order


def test_parts_settled_side_by_side_come_in_their_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two threads settle the parts ahead; whichever finishes first, the groups are handed
    # on part by part in the parts' order, as one thread hands them.
    from unitcalc.files import Options, run, run_groups

    rows = "".join(f"P{i % 211},2026-01-0{1 + i % 3},97110,{8 + i % 40},9\n" for i in range(4000))
    path = tmp_path / "v.csv"
    path.write_text(HEADER + rows, encoding="utf-8")

    def order() -> list[tuple[int, ...]]:
        seen: list[tuple[int, ...]] = []
        run_groups(
            path,
            Options(need_billed=True, only_findings=True),
            lambda group: seen.append(group.finding.lines if group.finding else ()),
            partition_bytes=2048,
        )
        return seen

    monkeypatch.setattr(run, "AHEAD", 1)
    one = order()
    monkeypatch.setattr(run, "AHEAD", 2)
    # The first part of every pair settles last: the threads finish out of order.
    import threading
    import time

    settle = run._settle_part
    calls = iter(range(1_000_000))
    lock = threading.Lock()

    def slow_then_fast(loaded: Any, options: Any) -> Any:
        with lock:
            call = next(calls)
        if call % 2 == 0:
            time.sleep(0.05)
        return settle(loaded, options)

    monkeypatch.setattr(run, "_settle_part", slow_then_fast)
    assert order() == one
    assert len(one) == 633  # every group: each bills 9 units


def _parquet_bytes() -> bytes:
    import polars as pl

    out = io.BytesIO()
    pl.read_csv((HEADER + "P1,2026-01-05,97110,33,2\n").encode()).write_parquet(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("made", "said"),
    [
        (lambda: gzip.compress((HEADER + "P1,2026-01-05,97110,33,2\n").encode()),
         "is gzip-compressed, not a text file; decompress it first (gunzip)"),
        (lambda: zipped(HEADER), "is a zip archive (an Excel .xlsx workbook is one), not a text "
         "file; unzip it, or save the sheet as CSV"),
        (_parquet_bytes, "is a Parquet file, not a text file; give --input-format parquet or "
         "name it .parquet"),
        (lambda: b"\x89PNG\r\n\x1a\n" + bytes(64), "is a PNG image, not a text file; is this the file you meant?"),
        (lambda: (HEADER + "P1,2026-01-05,97110,33,2\n").encode("utf-16-le"),
         "looks like UTF-16-LE text saved without a byte-order mark; give --encoding utf-16-le"),
        (lambda: (HEADER + "P1,2026-01-05,97110,33,2\n").encode("utf-32-be"),
         "looks like UTF-32-BE text saved without a byte-order mark; give --encoding utf-32-be"),
    ],
    ids=["gzip", "zip", "parquet", "png", "utf-16-le", "utf-32-be"],
)  # fmt: skip
def test_a_file_that_is_no_text_is_named_for_what_it_is(
    tmp_path: Path, made: Any, said: str
) -> None:
    path = tmp_path / "v.csv"
    path.write_bytes(made())
    code, out, err = audit(str(path))
    assert code == 2
    assert out == ""
    assert err == f"Error: {path} {said}\n"
    fees = tmp_path / "fees.csv"
    fees.write_bytes(made())
    visits = tmp_path / "visits.csv"
    visits.write_text(HEADER + "P1,2026-01-05,97110,33,2\n")
    code, _, err = audit(str(visits), "--fees", str(fees))
    assert code == 2
    assert f"{fees} " in err
    assert "not a text file" in err or "save it as UTF-8" in err


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-32-be"])
def test_a_file_without_a_byte_order_mark_reads_in_the_encoding_given(
    tmp_path: Path, encoding: str
) -> None:
    path = tmp_path / "v.csv"
    path.write_bytes((HEADER + "P1,2026-01-05,97110,33,2\n").encode(encoding))
    code, out, _ = audit(str(path), "--encoding", encoding)
    assert code == 0
    assert "ok                   1" in out


def zipped(text: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("visits.csv", text)
    return out.getvalue()


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_modifier_that_is_none_makes_its_row_invalid(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"v{suffix}"
    if suffix == ".csv":
        path.write_text(HEADER.rstrip("\n") + ",modifiers\nP1,2026-01-05,97110,33,2,ZZZZZZ\n")
    else:
        path.write_text(
            '{"patient_id": "P1", "date_of_service": "2026-01-05", "code": "97110", '
            '"minutes": 33, "billed_units": 2, "modifiers": "GP;ZZZZZZ"}\n'
        )
    [finding] = iter_findings(path)
    assert finding.status == "invalid"
    assert "modifier 'ZZZZZZ' is not a two-character modifier such as GP or CQ" in finding.message


@pytest.mark.parametrize(
    ("fees", "said"),
    [
        ("code,modifier,amount\n97110,ZZZZZZ,30.00\n",
         "line 2: modifier: modifier 'ZZZZZZ' is not a two-character modifier"),
        ("code,modifier,amount\n97110,GP;CQ,30.00\n",
         "line 2: modifier: a fee row is priced for one modifier"),
        ('code,amount\n97110,30.00\n"97112,35.00\n',
         "line 3: a quote opened on this line is never closed: the file ends inside it"),
    ],
    ids=["long-modifier", "two-modifiers", "unclosed-quote"],
)  # fmt: skip
def test_a_fee_file_row_that_cannot_be_read_is_refused(
    tmp_path: Path, fees: str, said: str
) -> None:
    visits, schedule = tmp_path / "v.csv", tmp_path / "fees.csv"
    visits.write_text(HEADER + "P1,2026-01-05,97110,33,2\n")
    schedule.write_text(fees)
    code, out, err = audit(str(visits), "--fees", str(schedule))
    assert code == 2
    assert out == ""
    assert f"{schedule}, {said}" in err


def test_a_file_run_ends_on_a_closed_terminal_as_on_sigterm(tmp_path: Path) -> None:
    import signal

    from unitcalc.cli.file_run import _terminated

    path = tmp_path / "v.csv"
    path.write_text(HEADER + "P1,2026-01-05,97110,33,2\n")
    before = {name: signal.getsignal(name) for name in (signal.SIGTERM, signal.SIGHUP)}
    try:
        code, _, _ = audit(str(path))
        assert code == 0
        assert signal.getsignal(signal.SIGHUP) is _terminated
        assert signal.getsignal(signal.SIGTERM) is _terminated
    finally:
        for name, handler in before.items():
            signal.signal(name, handler)
