"""``unitcalc audit`` with every check on against the plain audit of the same file
(``--checks units``), each in a child process of its own, alternating, best of
``--runs`` (issue 24: at most 1.5x). The file is the generator's default profile with a
``claim_id`` column added (one claim a patient-day), every 97th row billed again under
a second claim, and ``start_time``/``end_time`` columns (30 minutes from a time drawn
from the row's number), so that the patterns check finds lines billed twice and
overlapping patients.

    python benchmarks/checks.py                       # 1,000,000 lines, seed 1
    python benchmarks/checks.py --lines 100000 --runs 1

Run it from the repository's root (``python -m unitcalc.cli`` then runs this tree).
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import PY, generate, run_child  # noqa: E402


def with_claims(source: Path, path: Path) -> Path:
    """``source`` with a ``claim_id`` column, the patient-day's claim, and every 97th row
    written again right after it under another claim."""
    if path.exists():
        return path
    partial = path.with_name(path.name + ".partial")
    with (
        source.open(encoding="utf-8", newline="") as given,
        partial.open("w", encoding="utf-8", newline="") as out,
    ):
        reader, writer = csv.reader(given), csv.writer(out, lineterminator="\n")
        writer.writerow([*next(reader), "claim_id", "start_time", "end_time"])
        for number, row in enumerate(reader):
            start = 420 + number * 37 % 600
            times = [f"{at // 60:02}:{at % 60:02}" for at in (start, start + 30)]
            writer.writerow([*row, f"{row[0]}-{row[1]}", *times])
            if number % 97 == 0:
                writer.writerow([*row, f"{row[0]}-{row[1]}-b", *times])
    partial.replace(path)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/unitcalc-bench"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    plain = generate(args.workdir / f"default-{args.lines}.csv", args.lines, ["--seed", "1"])
    data = with_claims(plain, args.workdir / f"claims-times-{args.lines}.csv")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "audit.json"
        base = [PY, "-m", "unitcalc.cli", "audit", str(data), "--format", "json",
                "--output", str(out)]  # fmt: skip
        commands = {"plain (--checks units)": [*base, "--checks", "units"], "every check": base}
        best: dict[str, float] = {}
        cpu: dict[str, float] = {}
        for _ in range(args.runs):
            for name, command in commands.items():
                run = run_child(command, ok_codes=(0, 1))
                best[name] = min(best.get(name, run.wall_s), run.wall_s)
                cpu[name] = max(cpu.get(name, 0.0), run.cpu_percent)
    first = best["plain (--checks units)"]
    print(f"{args.lines:,} lines ({data}), best of {args.runs} alternating runs, wall seconds:")
    for name, seconds in best.items():
        print(f"  {name:<24} {seconds:6.2f}  ({seconds / first:.2f}x, CPU {cpu[name]:.0f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
