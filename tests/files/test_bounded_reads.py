"""What is read is bounded: a device that never ends, a file of one enormous line or an
enormous side file is refused naming its line, in every face, before it fills memory;
standard input is read as a file on disk is."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import run
from unitcalc import iter_findings
from unitcalc.core.bounded import MAX_LINE_BYTES

HEADER = "patient_id,date_of_service,code,minutes,billed_units\n"
ROW = "P1,2026-01-05,97110,33,2\n"
TOO_LONG = "a line longer than 8,388,608 bytes (8 MiB); is this the file you meant?"


@pytest.mark.parametrize(
    "extra",
    [[], ["--input-format", "jsonl"], ["--encoding", "cp1252"], ["--encoding", "utf-16"]],
    ids=["csv", "jsonl", "careful", "wide"],
)
@pytest.mark.parametrize("command", ["audit", "batch"])
def test_a_device_that_never_ends_is_refused_at_its_first_line(
    command: str, extra: list[str]
) -> None:
    result = run(command, "/dev/zero", *extra)
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"Error: /dev/zero, line 1: {TOO_LONG} (no line of a visit, fee or code file is near that long)\n"
    )


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"], ids=["columnar", "careful"])
def test_a_line_past_the_limit_in_a_file_is_named(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "v.csv"
    path.write_text(HEADER + ROW + "P1,2026-01-05,97110,33," + "1" * MAX_LINE_BYTES + "\n" + ROW)
    result = run("audit", str(path), "--encoding", encoding)
    assert result.exit_code == 2
    assert f"v.csv, line 3: {TOO_LONG}" in result.stderr


@pytest.mark.parametrize("option", ["--fees", "--mue", "--kx-start"])
def test_a_side_file_that_never_ends_is_refused(tmp_path: Path, option: str) -> None:
    path, fees = tmp_path / "v.csv", tmp_path / "fees.csv"
    path.write_text(HEADER + ROW)
    fees.write_text("code,amount\n97110,30.00\n")
    given = ["--fees", str(fees)] if option == "--kx-start" else []
    result = run("audit", str(path), *given, option, "/dev/zero")
    assert result.exit_code == 2
    assert f"/dev/zero, line 1: {TOO_LONG}" in result.stderr


def test_a_side_file_past_its_size_is_refused_by_its_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("unitcalc.core.sidefiles.MAX_SIDE_BYTES", 100)
    path, fees = tmp_path / "v.csv", tmp_path / "fees.csv"
    path.write_text(HEADER + ROW)
    fees.write_text("code,amount\n" + "97110,30.00\n" * 20)
    result = run("audit", str(path), "--fees", str(fees))
    assert result.exit_code == 2
    assert f"{fees} holds more than 100 bytes; give the CSV file itself" in result.stderr


def test_calc_input_that_never_ends_is_refused() -> None:
    result = run("calc", "--input", "/dev/zero")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: /dev/zero: holds more than 16,777,216 characters")


def test_standard_input_is_read_as_the_same_file_by_path(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_text(HEADER + ROW + "P1,2026-01-05,97140,7,1\nP2,2026-01-06,97530,20,2\n")
    by_path = run("audit", str(path), "--format", "csv")
    by_stdin = run("audit", "-", "--format", "csv", stdin=path.read_text())
    assert by_path.exit_code == by_stdin.exit_code == 1  # findings
    assert by_stdin.stdout == by_path.stdout


def test_standard_input_is_copied_to_a_file_without_a_name(tmp_path: Path) -> None:
    # The copy that lets standard input be read in parts, as a file is, has no name on
    # disk: nothing of it is left in the temporary folder, whatever ends the run.
    before = set(os.listdir(tempfile.gettempdir()))
    seen: list[tuple[bool, bytes]] = []
    from unitcalc.cli import file_run

    with (
        CliRunner().isolation(input=HEADER + ROW),
        file_run._input_path("-") as (source, display),
    ):
        assert isinstance(source, Path)
        seen.append((source.is_file(), source.read_bytes()))
        during = set(os.listdir(tempfile.gettempdir()))
    assert display == "<stdin>"
    assert seen == [(True, (HEADER + ROW).encode())]
    assert during == before


def test_a_named_pipe_is_read_as_a_file(tmp_path: Path) -> None:
    fifo = tmp_path / "v.csv"
    os.mkfifo(fifo)
    pid = os.fork()
    if pid == 0:  # the writer
        with fifo.open("w") as stream:
            stream.write(HEADER + ROW)
        os._exit(0)
    try:
        [finding] = iter_findings(fifo)
    finally:
        os.waitpid(pid, 0)
    assert finding.status == "ok"
    assert finding.lines == (2,)
