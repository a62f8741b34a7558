"""A full disk, for the output or for the temporary data, ends a run with one clear line
and exit code 2, never a traceback, and leaves the output that was there intact (issue
16)."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import unitcalc
import unitcalc.cli.calc_command
from tests.conftest import run
from unitcalc.files.write_audit import AuditWriter
from unitcalc.files.write_batch import BatchWriter

HEADER = "patient_id,date_of_service,code,minutes,billed_units\n"
VISITS = HEADER + "P1,2026-01-05,97110,33,3\nP2,2026-01-05,97110,33,2\n"
EARLIER = "the report of an earlier run\n"


def _no_space(*args: Any, **kwargs: Any) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.fixture
def visits(tmp_path: Path) -> Path:
    path = tmp_path / "v.csv"
    path.write_text(VISITS, encoding="utf-8")
    return path


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize(
    "args",
    [
        ["calc", "97110=33", "97140=7"],
        ["calc", "97110=33", "--format", "json"],
        ["codes"],
        ["rules"],
        ["batch", "{visits}"],
        ["audit", "{visits}", "--format", "json"],
    ],
    ids=["calc", "calc-json", "codes", "rules", "batch", "audit"],
)
def test_standard_output_on_a_full_disk_is_one_line(visits: Path, args: list[str]) -> None:
    package_root = str(Path(unitcalc.__file__).resolve().parents[1])
    with open("/dev/full", "w") as full:  # every write to it fails with ENOSPC
        done = subprocess.run(
            [sys.executable, "-c", "from unitcalc.cli import main; main()"]
            + [arg.format(visits=visits) for arg in args],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ | {"PYTHONPATH": package_root},
            check=False,
        )
    assert done.returncode == 2
    assert done.stderr.startswith("Error: cannot finish the ")
    assert done.stderr.rstrip().endswith("No space left on device")
    assert done.stderr.count("\n") == 1  # one line, no traceback


@pytest.mark.parametrize("command", ["audit", "batch"])
def test_an_output_file_on_a_full_disk_keeps_the_earlier_output(
    tmp_path: Path, visits: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    out = tmp_path / "out.csv"
    out.write_text(EARLIER, encoding="utf-8")
    writer = AuditWriter if command == "audit" else BatchWriter
    real_finish = writer.finish

    def finish_on_a_full_disk(self: Any, handle: Any, summary: Any) -> None:
        handle.write("the start of a new report\n")
        real_finish(self, handle, summary)
        _no_space()

    monkeypatch.setattr(writer, "finish", finish_on_a_full_disk)
    result = run(command, str(visits), "--output", str(out), "--format", "csv")
    assert result.exit_code == 2
    assert result.stderr == "Error: cannot finish the run: No space left on device\n"
    assert out.read_text(encoding="utf-8") == EARLIER
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "v.csv"]  # no .partial


def test_a_full_temporary_folder_keeps_the_earlier_output(
    tmp_path: Path, visits: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The rows wait in a temporary file until the run is over: that file's disk is full.
    out = tmp_path / "out.csv"
    out.write_text(EARLIER, encoding="utf-8")
    monkeypatch.setattr(BatchWriter, "consume", _no_space)
    result = run("batch", str(visits), "--output", str(out))
    assert result.exit_code == 2
    assert result.stderr == "Error: cannot finish the run: No space left on device\n"
    assert out.read_text(encoding="utf-8") == EARLIER


@pytest.mark.parametrize(
    ("failure", "exit_code", "stderr"),
    [
        (OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), 2, "Error: cannot finish the "
         "command: No space left on device\n"),
        (BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE)), 1, ""),
    ],
    ids=["full-disk", "reader-gone"],
)  # fmt: skip
def test_writing_the_result_fails_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, failure: OSError, exit_code: int, stderr: str
) -> None:
    def fail(*args: Any, **kwargs: Any) -> str:
        raise failure

    monkeypatch.setattr(unitcalc.cli.calc_command, "render_result", fail)
    result = run("calc", "97110=33")
    assert (result.exit_code, result.stderr) == (exit_code, stderr)
