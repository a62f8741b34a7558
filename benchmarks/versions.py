"""Two installations of unitcalc side by side on the same files: this one and another
(an earlier release, a branch), alternating runs, the outputs compared first.

    python benchmarks/versions.py --against /path/to/other/venv/bin/unitcalc
    python benchmarks/versions.py --against OTHER --lines 100000 --runs 5 --fees

Each of run.py's four audit files (generated once into --workdir; ``--files`` picks
some) is audited by both installations with ``--format csv``; their outputs must be
byte-identical, then the audits alternate, ``--runs`` times each, and the best wall time
of each is compared (this one's over the other's: below 1.0 is faster), and their least
CPU seconds, which a busy machine disturbs less. ``--fees`` adds ``audit --fees`` on the
default file with fees.py's fee CSV. The cold start of ``unitcalc calc`` is compared too
(median of ``max(10, --runs)``). Every figure is a child process's own (``os.wait4``),
as in run.py.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from fees import FEES
from run import AUDIT_FILES, BenchmarkError, Run, generate, run_child


def audit(unitcalc: str, data: Path, out: Path, extra: list[str]) -> list[str]:
    return [unitcalc, "audit", str(data), "--format", "csv", "--output", str(out), *extra]


def cpu_seconds(runs: list[Run]) -> float:
    """The least CPU time (user + system) of the runs: less noisy than wall time when
    other work shares the machine."""
    return min(run.wall_s * run.cpu_percent / 100 for run in runs)


def compare(
    ours: str, other: str, data: Path, work: Path, runs: int, extra: list[str]
) -> tuple[Run, Run, bool, float, float]:
    """The best run of each, alternating, whether their outputs are identical, and each
    one's least CPU seconds."""
    mine, theirs = work / "ours.csv", work / "other.csv"
    run_child(audit(ours, data, mine, extra), ok_codes=(0, 1))
    run_child(audit(other, data, theirs, extra), ok_codes=(0, 1))
    same = filecmp.cmp(mine, theirs, shallow=False)
    a: list[Run] = []
    b: list[Run] = []
    for _ in range(runs):
        a.append(run_child(audit(ours, data, mine, extra), ok_codes=(0, 1)))
        b.append(run_child(audit(other, data, theirs, extra), ok_codes=(0, 1)))
    best_a, best_b = min(a, key=lambda r: r.wall_s), min(b, key=lambda r: r.wall_s)
    return best_a, best_b, same, cpu_seconds(a), cpu_seconds(b)


def cold(unitcalc: str, runs: int) -> float:
    return statistics.median(
        run_child([unitcalc, "calc", "97110=33", "97140=7"]).wall_s for _ in range(runs)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", required=True, help="the other installation's unitcalc")
    parser.add_argument("--unitcalc", default=shutil.which("unitcalc") or "unitcalc")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fees", action="store_true", help="also compare audit --fees")
    parser.add_argument(
        "--files",
        default=",".join(AUDIT_FILES),
        help=f"which audit files, of {', '.join(AUDIT_FILES)} (default all)",
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/unitcalc-bench"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(
        f"{args.unitcalc} (this) against {args.against} (other), {args.lines:,} lines, "
        f"best of {args.runs} alternating runs"
    )
    print(f"   {'file':<20} {'this s':>7} {'other s':>8} {'ratio':>6} {'CPU ratio':>9} "
          f"{'this MB':>8} {'other MB':>9}  outputs")  # fmt: skip
    wanted = [name.strip() for name in args.files.split(",") if name.strip()]
    cases = [(name, AUDIT_FILES[name][1], []) for name in wanted]
    if args.fees:
        fees = args.workdir / "fees.csv"
        fees.write_text(FEES, encoding="utf-8")
        cases.append(("default --fees", AUDIT_FILES["default"][1], ["--fees", str(fees)]))
    failed = False
    with tempfile.TemporaryDirectory(dir=args.workdir) as scratch:
        for name, options, extra in cases:
            stem = name.split()[0]
            data = generate(args.workdir / f"{stem}-{args.lines}.csv", args.lines, options)
            try:
                mine, theirs, same, mine_cpu, theirs_cpu = compare(
                    args.unitcalc, args.against, data, Path(scratch), args.runs, extra
                )
            except BenchmarkError as exc:
                print(f"   {name:<20} ERROR: {exc}", file=sys.stderr)
                failed = True
                continue
            failed |= not same
            print(
                f"   {name:<20} {mine.wall_s:>7.2f} {theirs.wall_s:>8.2f} "
                f"{mine.wall_s / theirs.wall_s:>6.2f} {mine_cpu / theirs_cpu:>9.2f} "
                f"{mine.peak_mb:>8.0f} {theirs.peak_mb:>9.0f}  {'identical' if same else 'DIFFER'}"
            )
    count = max(10, args.runs)
    this_cold, other_cold = cold(args.unitcalc, count), cold(args.against, count)
    print(
        f"   cold start of calc: this {this_cold * 1000:.0f} ms, other "
        f"{other_cold * 1000:.0f} ms, ratio {this_cold / other_cold:.2f} (median of {count})"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
