"""What a run killed outright (SIGKILL) leaves behind, and the next run removes: the
partition folder of a large file and a half-written report (issue 16)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

import unitcalc
from tests.conftest import run
from unitcalc.files.leftovers import remove_stale
from unitcalc.files.run import PARTS_FOLDER

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL and process ids: POSIX")

HEADER = "patient_id,date_of_service,code,minutes,billed_units\n"
VISITS = HEADER + "".join(f"P{n},2026-01-05,97110,33,3\n" for n in range(40))  # over

# Runs `unitcalc audit FILE --output OUT` with parts of 64 bytes, and stops where asked
# (consume: while the parts are on disk; finish: while the report is half written),
# saying so by creating READY, until it is killed.
KILLED_RUN = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path

    import unitcalc.files
    from unitcalc.files import run
    from unitcalc.files.write_audit import AuditWriter
    from unitcalc.cli import main

    visits, out, ready, where = sys.argv[1:]
    real = run.run_groups

    def in_small_parts(*args, **kwargs):
        return real(*args, **{**kwargs, "partition_bytes": 64})

    def stop(*args):
        if where == "finish":
            args[1].write("half a report")
            args[1].flush()
        Path(ready).touch()
        time.sleep(600)

    unitcalc.files.run_groups = in_small_parts
    setattr(AuditWriter, where, stop)
    main(["audit", visits, "--output", out])
    """
)


def _killed_run(tmp_path: Path, where: str) -> tuple[int, Path, Path]:
    """Start the run, wait until it stops where asked, kill it with SIGKILL. Returns its
    process id, its temporary folder and its output."""
    temporary = tmp_path / "tmp"
    temporary.mkdir(exist_ok=True)
    visits, out, ready = tmp_path / "v.csv", tmp_path / "out.csv", tmp_path / "ready"
    visits.write_text(VISITS, encoding="utf-8")
    script = tmp_path / "killed_run.py"
    script.write_text(KILLED_RUN, encoding="utf-8")
    package_root = str(Path(unitcalc.__file__).resolve().parents[1])
    env = os.environ | {"TMPDIR": str(temporary), "PYTHONPATH": package_root}
    process = subprocess.Popen(
        [sys.executable, str(script), str(visits), str(out), str(ready), where],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the run never reached the point to kill it"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        if process.stderr is not None:
            process.stderr.close()
    return process.pid, temporary, out


def test_parts_a_killed_run_left_are_removed_by_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid, temporary, _ = _killed_run(tmp_path, "consume")
    left = [p.name for p in temporary.iterdir() if p.name.startswith(f"unitcalc-{pid}-")]
    assert len(left) == 1  # the parts of the killed run, in a folder named for it
    assert (temporary / left[0]).stat().st_mode & 0o077 == 0  # private to its user
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    other = tmp_path / "other.csv"
    other.write_text(HEADER + "P1,2026-01-05,97110,33,2\n", encoding="utf-8")
    assert run("audit", str(other)).exit_code == 0
    assert list(temporary.iterdir()) == []


def test_a_half_written_report_of_a_killed_run_is_removed_by_the_next_run(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out.csv"
    out.write_text("the report of an earlier run\n", encoding="utf-8")
    pid, _, _ = _killed_run(tmp_path, "finish")
    [partial] = [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]
    assert partial.name.startswith(f".out.csv.{pid}.")
    assert partial.stat().st_mode & 0o077 == 0  # private to its user
    assert out.read_text(encoding="utf-8") == "the report of an earlier run\n"
    result = run("audit", str(tmp_path / "v.csv"), "--output", str(out))
    assert result.exit_code == 1, result.output  # done: every group bills a unit over
    assert not partial.exists()
    assert out.read_text(encoding="utf-8").startswith("Audit of 40 rows in 40 groups")


def _gone_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_only_this_users_leftovers_of_gone_processes_are_removed(tmp_path: Path) -> None:
    gone = _gone_pid()
    (tmp_path / f"unitcalc-{gone}-abcd1234").mkdir()
    (tmp_path / f"unitcalc-{gone}-abcd1234" / "part-0.csv").write_text("P1,97110\n")
    (tmp_path / f"unitcalc-{os.getpid()}-efgh5678").mkdir()  # a run still going
    (tmp_path / f"unitcalc-{os.getppid()}-ijkl9012").mkdir()  # another run still going
    (tmp_path / "unitcalc-notapid-mnop3456").mkdir()
    (tmp_path / "kept.csv").write_text("mine\n")
    (tmp_path / f"unitcalc-{gone}-qrst7890").symlink_to(tmp_path / "kept.csv")
    removed = remove_stale(tmp_path, PARTS_FOLDER)
    assert removed == [f"unitcalc-{gone}-abcd1234"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [
            f"unitcalc-{os.getpid()}-efgh5678",
            f"unitcalc-{os.getppid()}-ijkl9012",
            "unitcalc-notapid-mnop3456",
            "kept.csv",
            f"unitcalc-{gone}-qrst7890",
        ]
    )
    assert (tmp_path / "kept.csv").read_text() == "mine\n"


def test_a_partial_of_another_output_is_left_alone(tmp_path: Path) -> None:
    gone = _gone_pid()
    other = tmp_path / f".other.csv.{gone}.abcd1234.partial"
    other.write_text("another output's\n")
    out = tmp_path / "out.csv"
    visits = tmp_path / "v.csv"
    visits.write_text(HEADER + "P1,2026-01-05,97110,33,2\n", encoding="utf-8")
    assert run("audit", str(visits), "--output", str(out)).exit_code == 0
    assert other.exists()
    assert out.read_text(encoding="utf-8").startswith("Audit of 1 row in 1 group")
