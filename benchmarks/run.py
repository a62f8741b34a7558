"""unitcalc's four benchmarks, each measured side by side with its baseline in one run so
machine noise cancels, and reported as a ratio with the command that reproduces it.

    python benchmarks/run.py                 # all four (the 10M-line file takes minutes)
    python benchmarks/run.py --only audit    # one of: audit, memory, cold, calculate
    python benchmarks/run.py --lines 200000 --skip-10m

Files are generated with benchmarks/generate.py (seeded) into --workdir.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = sys.executable
UNITCALC = shutil.which("unitcalc") or "unitcalc"


def generate(path: Path, lines: int, seed: int) -> Path:
    if not path.exists():
        print(f"generating {path} ({lines:,} lines)...", file=sys.stderr)
        with path.open("w", encoding="utf-8") as out:
            subprocess.run(
                [PY, str(HERE / "generate.py"), "--lines", str(lines), "--seed", str(seed)],
                stdout=out,
                check=True,
            )
    return path


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def interleaved(a: list[str], b: list[str], runs: int) -> tuple[list[float], list[float]]:
    """Run a and b alternately, so both see the same machine."""
    first, second = [], []
    for _ in range(runs):
        first.append(timed(a))
        second.append(timed(b))
    return first, second


def peak_rss_mb(command: list[str]) -> float:
    """Peak resident memory of a command, read by a fresh parent process."""
    probe = (
        "import resource, subprocess, sys; "
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([PY, "-c", probe, *command], capture_output=True, text=True, check=True)
    return int(out.stdout.strip()) / 1024


CSV_PASS = "import csv, sys\nfor _ in csv.reader(open(sys.argv[1], newline='')): pass"


def bench_audit(work: Path, lines: int, runs: int) -> None:
    data = generate(work / f"visits-{lines}.csv", lines, seed=1)
    audit = [UNITCALC, "audit", str(data)]
    bare = [PY, "-c", CSV_PASS, str(data)]
    ours, base = interleaved(audit, bare, runs)
    ratio = min(ours) / min(base)
    print(
        f"1. audit of {lines:,} lines: {min(ours):.2f} s; csv.reader pass: {min(base):.2f} s; "
        f"ratio {ratio:.1f} (target <= 3.0)"
    )
    print(f'   reproduce: {" ".join(audit)}  vs  python -c "{CSV_PASS}" {data}')


def bench_memory(work: Path, lines: int, skip_big: bool) -> None:
    small = generate(work / f"visits-{lines}.csv", lines, seed=1)
    small_mb = peak_rss_mb([UNITCALC, "audit", str(small)])
    print(f"2. peak memory, audit of {lines:,} lines: {small_mb:.1f} MB")
    if skip_big:
        print("   (10x file skipped: --skip-10m)")
        return
    big = generate(work / f"visits-{lines * 10}.csv", lines * 10, seed=3)
    big_mb = peak_rss_mb([UNITCALC, "audit", str(big)])
    print(
        f"   audit of {lines * 10:,} lines: {big_mb:.1f} MB; ratio {big_mb / small_mb:.2f} "
        "(targets: <= 1.2 and < 150 MB)"
    )
    print(f"   reproduce: python benchmarks/run.py --only memory --lines {lines}")


def bench_cold(runs: int) -> None:
    ours, base = interleaved(
        [UNITCALC, "calc", "97110=33", "97140=7"], [PY, "-c", "import click"], runs
    )
    ratio = statistics.median(ours) / statistics.median(base)
    print(
        f"3. cold start, unitcalc calc 97110=33 97140=7: {statistics.median(ours) * 1000:.0f} ms;"
        f" python -c 'import click': {statistics.median(base) * 1000:.0f} ms; ratio {ratio:.2f} "
        "(target <= 2.5)"
    )


def bench_calculate() -> None:
    import itertools

    import unitcalc

    visit = {"97110": 33, "97140": 7, "97112": 20, "97161": None}
    unitcalc.calculate(visit)
    repeats = 20_000
    start = time.perf_counter()
    for _ in range(repeats):
        unitcalc.calculate(visit)
    cached = (time.perf_counter() - start) / repeats * 1e6
    distinct = [
        {"97110": a, "97140": b, "97112": c, "97161": None}
        for a, b, c in itertools.islice(itertools.product(range(61), range(30), range(30)), 20_000)
    ]
    start = time.perf_counter()
    for one in distinct:
        unitcalc.calculate(one)
    fresh = (time.perf_counter() - start) / len(distinct) * 1e6
    print(
        f"4. unitcalc.calculate, 4-code visit: {cached:.1f} us a call repeated (cached), "
        f"{fresh:.1f} us a call all distinct (warmed; {len(distinct):,} visits)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["audit", "memory", "cold", "calculate"])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-10m", action="store_true", help="skip the 10x-size file")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/unitcalc-bench"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(
        f"# {platform.python_implementation()} {platform.python_version()} on "
        f"{platform.machine()}, {platform.system()}"
    )
    if args.only in (None, "audit"):
        bench_audit(args.workdir, args.lines, args.runs)
    if args.only in (None, "memory"):
        bench_memory(args.workdir, args.lines, args.skip_10m)
    if args.only in (None, "cold"):
        bench_cold(max(10, args.runs))
    if args.only in (None, "calculate"):
        bench_calculate()


if __name__ == "__main__":
    main()
