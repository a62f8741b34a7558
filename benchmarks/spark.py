"""The audit on Spark (``--engine spark --master local[2]``) against the local engine on
the same machine, both as ratios to a bare csv.reader pass over the same file, in one
run so machine noise cancels (the habits of benchmarks/run.py: each command in a child
process of its own, seeded files generated once into --workdir and reused).

    python benchmarks/spark.py --lines 1000000
    python benchmarks/spark.py --lines 10000000 --runs 1 --json spark-10m.json
    python benchmarks/spark.py --lines 1000000 --file /tmp/unitcalc-bench/findings-1000000.csv

Spark's fixed cost (starting the JVM and the session, planning) is measured on a file
of 1,000 lines and taken off to give the throughput of one core on a partition, the
figure docs/scale.md's cluster estimate starts from.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from run import CSV_PASS, PY, UNITCALC, Run, generate, run_child

SPARK_CORES = 2


def spark_command(data: Path, folder: Path) -> list[str]:
    return [
        UNITCALC, "audit", "--engine", "spark", "--master", f"local[{SPARK_CORES}]",
        str(data), "--format", "parquet", "--output", str(folder),
    ]  # fmt: skip


def local_command(data: Path, report: Path) -> list[str]:
    return [UNITCALC, "audit", str(data), "--format", "csv", "--output", str(report)]


def best(runs: list[Run]) -> Run:
    return min(runs, key=lambda run: run.wall_s)


def measure(work: Path, data: Path, runs: int) -> dict[str, Any]:
    passes: list[Run] = []
    local: list[Run] = []
    spark: list[Run] = []
    for index in range(runs):
        passes.append(run_child([PY, "-c", CSV_PASS, str(data)]))
        local.append(run_child(local_command(data, work / "local.csv"), ok_codes=(0, 1)))
        folder = work / f"spark-{index}"
        shutil.rmtree(folder, ignore_errors=True)
        spark.append(run_child(spark_command(data, folder), ok_codes=(0, 1)))
        shutil.rmtree(folder, ignore_errors=True)
    base, here, there = best(passes), best(local), best(spark)
    return {
        "file": data.name,
        "csv_reader_s": round(base.wall_s, 2),
        "local_s": round(here.wall_s, 2),
        "local_ratio": round(here.wall_s / base.wall_s, 2),
        "local_cpu_percent": round(here.cpu_percent),
        "spark_s": round(there.wall_s, 2),
        "spark_ratio": round(there.wall_s / base.wall_s, 2),
        "spark_driver_peak_mb": round(there.peak_mb),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--seed", default="1")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/unitcalc-bench"))
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    parser.add_argument(
        "--file", type=Path, help="Measure this visit file (of --lines lines) instead."
    )
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    options = ["--seed", args.seed, "--profile", "findings"]
    data = args.file or generate(
        args.workdir / f"findings-seed{args.seed}-{args.lines}.csv", args.lines, options
    )
    small = generate(args.workdir / f"findings-seed{args.seed}-1000.csv", 1000, options)
    with tempfile.TemporaryDirectory(prefix="unitcalc-spark-bench-") as scratch:
        work = Path(scratch)
        fixed = best(
            [run_child(spark_command(small, work / f"small-{i}"), ok_codes=(0, 1)) for i in (1, 2)]
        )
        figures = measure(work, data, args.runs)
    figures["lines"] = args.lines
    figures["spark_fixed_s"] = round(fixed.wall_s, 2)
    # Every core busy on the partitions once the fixed cost is paid.
    per_core = args.lines / max(figures["spark_s"] - fixed.wall_s, 1e-9) / SPARK_CORES
    figures["spark_lines_per_core_s"] = round(per_core)
    figures["cores"] = os.cpu_count()
    print(
        f"{args.lines:,} lines ({data.name}), best of {args.runs}, {os.cpu_count()} cores\n"
        f"  csv.reader pass       {figures['csv_reader_s']:8.2f} s   1.00\n"
        f"  local engine          {figures['local_s']:8.2f} s   {figures['local_ratio']:.2f}"
        f"   ({figures['local_cpu_percent']}% CPU)\n"
        f"  spark local[{SPARK_CORES}]        {figures['spark_s']:8.2f} s   "
        f"{figures['spark_ratio']:.2f}\n"
        f"  spark fixed cost (1,000 lines) {figures['spark_fixed_s']:.2f} s; "
        f"{figures['spark_lines_per_core_s']:,} lines a second a core after it"
    )
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
