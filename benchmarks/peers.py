"""unitcalc audit side by side with an analyst's scripts (DuckDB SQL, polars) and a bare
csv.reader pass, on the same files, after checking that they agree (issue 23).

    python benchmarks/peers.py --peers DIR                     # four 1M-line files
    python benchmarks/peers.py --peers DIR --lines 100000 --formats json --runs 1
    python benchmarks/peers.py --peers DIR --with-10m --json figures.json
    python benchmarks/peers.py --peers DIR --peer-python /other/venv/bin/python

DIR holds the peer scripts, kept outside this repository: alt_duckdb.py, alt_polars.py
(and the codes.json they read). They need duckdb and polars in --peer-python (default:
this interpreter); duckdb is not a dependency of unitcalc (pip install duckdb).

For each file: unitcalc (--format json) and each peer run once, and the set of
(patient_id, date_of_service, status) of the days that are not ok must be the same,
or the file is not timed and the difference is printed. Then unitcalc (once per
--formats), the DuckDB script, the polars script and the csv.reader pass alternate,
--runs times each; the medians are compared. Every figure is a child process's own
(os.wait4, as in run.py).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shlex
import shutil
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

from run import AUDIT_FILES, BUSY_BASELINE_CPU, CSV_PASS, BenchmarkError, Run, generate, run_child

Day = tuple[str, str, str]

# Issue 23's targets. Each 1M-line file, each format: at most 1.5x the DuckDB script
# (goal 1.0x) and at most the polars script. 10M lines (generator default): at most 1.5x
# DuckDB, peak memory under 1.5 GB, CPU above 150% of one core (both of a 2-core machine).
DUCKDB_GOAL = 1.0
DUCKDB_LIMIT = 1.5
POLARS_LIMIT = 1.0
BIG_MEMORY_MB = 1500.0
BIG_CPU = 150.0
FORMATS = ("table", "json", "csv", "parquet")
PEERS = ("duckdb", "polars")
SCRIPTS = {"duckdb": "alt_duckdb.py", "polars": "alt_polars.py"}
READER = "csv.reader"
BASELINES = (*PEERS, READER)

# name -> (what it is, generate.py options); the first two are run.py's (a) and (b).
PEER_FILES: dict[str, tuple[str, list[str]]] = {
    "default": AUDIT_FILES["default"],
    "findings": AUDIT_FILES["findings"],
    "findings-scattered": (
        "(d) findings-heavy, each patient-day's rows spread through the file",
        ["--seed", "1", "--profile", "findings-scattered"],
    ),
    "findings-scattered-by-code": (
        "(d) findings-scattered, sorted by code",
        ["--seed", "1", "--profile", "findings-scattered", "--sort-by-code"],
    ),
}
# The 10x file is run.py's memory file (generator default, seed 3), so both share it.
BIG_FILE = ("default-seed3", "(10x) generator default, seed 3", ["--seed", "3"])


def unitcalc_days(report: Path) -> set[Day]:
    """The days that are not ok in unitcalc's JSON report (a finding listed as ok carries
    an NCCI/MUE edit only: left out, as the peers know nothing of edits)."""
    data = json.loads(report.read_text(encoding="utf-8"))
    days = set()
    for finding in data["findings"]:
        if finding["status"] == "ok":
            continue
        key = finding.get("key") or {}
        days.add((key["patient_id"], key["date_of_service"], finding["status"]))
    return days


def peer_days(output: Path) -> set[Day]:
    """The days a peer script wrote: patient_id,date_of_service,status after a header."""
    with output.open(newline="", encoding="utf-8") as fh:
        rows = csv.reader(fh)
        next(rows, None)
        return {(row[0], row[1], row[2]) for row in rows}


def difference(ours: set[Day], theirs: set[Day], name: str) -> str | None:
    """None when the sets are equal, else what each has that the other has not."""
    if ours == theirs:
        return None
    extra, missing = sorted(theirs - ours), sorted(ours - theirs)
    return (
        f"{name} disagrees with unitcalc: {len(extra)} days only in {name} "
        f"(e.g. {extra[:3]}), {len(missing)} only in unitcalc (e.g. {missing[:3]})"
    )


def status_counts(days: set[Day]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for _, _, status in days:
        counts[status] = counts.get(status, 0) + 1
    return dict(sorted(counts.items()))


class Commands:
    """The command lines of one file: unitcalc per format, the peers, the csv pass."""

    def __init__(self, args: argparse.Namespace, data: Path) -> None:
        work, script = args.workdir, args.peers
        self.unitcalc = {
            fmt: [args.unitcalc, "audit", str(data), "--format", fmt, "--output", ""]
            for fmt in [*args.formats, "json"]
        }
        for fmt, command in self.unitcalc.items():
            command[-1] = str(work / f"peers-unitcalc.{fmt}")
        self.outputs = {peer: work / f"peers-{peer}.csv" for peer in PEERS}
        self.peers = {
            peer: [args.peer_python, str(script / SCRIPTS[peer]), str(data), "--output", ""]
            for peer in PEERS
        }
        for peer, command in self.peers.items():
            command[-1] = str(self.outputs[peer])
        self.csv = [sys.executable, "-c", CSV_PASS, str(data)]
        self.report = work / "peers-unitcalc.json"

    def scratch(self) -> list[Path]:
        return [Path(command[-1]) for command in self.unitcalc.values()] + list(
            self.outputs.values()
        )

    def shown(self) -> dict[str, str]:
        shown = {f"unitcalc {fmt}": shlex.join(c) for fmt, c in self.unitcalc.items()}
        shown.update({peer: shlex.join(c) for peer, c in self.peers.items()})
        shown[READER] = f'{sys.executable} -c "{CSV_PASS}" {self.csv[-1]}'
        return shown


def compare_outputs(report: Path, outputs: dict[str, Path]) -> dict[str, Any]:
    """Each peer's days that are not ok against unitcalc's: counts and differences."""
    ours = unitcalc_days(report)
    found: dict[str, Any] = {"unitcalc": status_counts(ours), "differences": []}
    for peer, output in outputs.items():
        theirs = peer_days(output)
        found[peer] = status_counts(theirs)
        problem = difference(ours, theirs, peer)
        if problem:
            found["differences"].append(problem)
    return found


def agree(commands: Commands) -> dict[str, Any]:
    """Run unitcalc and each peer once and compare the days that are not ok."""
    # Exit 1 from unitcalc means findings exist, which these files are made to have.
    run_child(commands.unitcalc["json"], ok_codes=(0, 1))
    for peer in PEERS:
        run_child(commands.peers[peer])
    # Read in a process of its own: a child's peak memory (ru_maxrss) counts its parent's
    # resident memory up to exec on Linux, and the report of a findings-heavy file takes
    # some 300 MB once parsed, which this process would keep and lend every later child.
    with ProcessPoolExecutor(max_workers=1) as pool:
        return pool.submit(compare_outputs, commands.report, commands.outputs).result()


def alternate(commands: Commands, formats: list[str], runs: int) -> dict[str, list[Run]]:
    """Each command once a round, ``runs`` rounds, so all see the same machine."""
    names = [f"unitcalc {fmt}" for fmt in formats] + list(BASELINES)
    measured: dict[str, list[Run]] = {name: [] for name in names}
    for _ in range(runs):
        for fmt in formats:
            ours = run_child(commands.unitcalc[fmt], ok_codes=(0, 1))
            measured[f"unitcalc {fmt}"].append(ours)
        for peer in PEERS:
            measured[peer].append(run_child(commands.peers[peer]))
        measured[READER].append(run_child(commands.csv))
    return measured


def median_of(runs: list[Run]) -> dict[str, float]:
    """Median wall time and CPU, largest peak memory (the one a limit is about)."""
    return {
        "wall_s": statistics.median(r.wall_s for r in runs),
        "cpu_percent": statistics.median(r.cpu_percent for r in runs),
        "cpu_s": statistics.median(r.wall_s * r.cpu_percent / 100 for r in runs),
        "peak_mb": max(r.peak_mb for r in runs),
    }


def verdicts(row: dict[str, Any], big: bool) -> str:
    """The targets this row meets or not, in words."""
    to_duckdb, to_polars = row["ratio_duckdb"], row["ratio_polars"]
    if big:
        parts = [
            "duckdb " + ("met" if to_duckdb <= DUCKDB_LIMIT else "NOT MET"),
            "memory " + ("met" if row["peak_mb"] < BIG_MEMORY_MB else "NOT MET"),
            "CPU " + ("met" if row["cpu_percent"] > BIG_CPU else "NOT MET"),
        ]
    else:
        if to_duckdb <= DUCKDB_GOAL:
            duck = "duckdb met"
        elif to_duckdb <= DUCKDB_LIMIT:
            duck = "duckdb within limit"
        else:
            duck = "duckdb NOT MET"
        parts = [duck, "polars " + ("met" if to_polars <= POLARS_LIMIT else "NOT MET")]
    return "; ".join(parts)


def summarize(
    name: str, measured: dict[str, list[Run]], formats: list[str], big: bool
) -> list[dict[str, Any]]:
    """One row per format: medians and ratios, with the peers' medians beside."""
    peers = {key: median_of(measured[key]) for key in BASELINES}
    rows = []
    for fmt in formats:
        ours = median_of(measured[f"unitcalc {fmt}"])
        row: dict[str, Any] = {
            "file": name,
            "format": fmt,
            "unitcalc_s": ours["wall_s"],
            "duckdb_s": peers["duckdb"]["wall_s"],
            "polars_s": peers["polars"]["wall_s"],
            "csv_s": peers[READER]["wall_s"],
            "ratio_duckdb": ours["wall_s"] / peers["duckdb"]["wall_s"],
            "ratio_polars": ours["wall_s"] / peers["polars"]["wall_s"],
            "cpu_percent": ours["cpu_percent"],
            "cpu_s": ours["cpu_s"],
            # CPU seconds suffer less than wall time when other work shares the machine.
            "cpu_ratio_duckdb": ours["cpu_s"] / peers["duckdb"]["cpu_s"],
            "cpu_ratio_polars": ours["cpu_s"] / peers["polars"]["cpu_s"],
            "peak_mb": ours["peak_mb"],
            "peers": peers,
        }
        row["verdict"] = verdicts(row, big)
        rows.append(row)
    return rows


def bench_file(
    args: argparse.Namespace, name: str, lines: int, options: list[str], big: bool
) -> dict[str, Any]:
    """Generate (once), check agreement, then time one file."""
    data = generate(args.workdir / f"{name}-{lines}.csv", lines, options)
    commands = Commands(args, data)
    result: dict[str, Any] = {
        "file": name,
        "lines": lines,
        "path": str(data),
        "bytes": data.stat().st_size,
        "generate": shlex.join(["python", "benchmarks/generate.py", "--lines", str(lines)])
        + " "
        + shlex.join(options),
        "commands": commands.shown(),
        "rows": [],
    }
    print(f"   {name} ({lines:,} lines): checking agreement...", file=sys.stderr, flush=True)
    try:
        result["agreement"] = agreement = agree(commands)
        if agreement["differences"]:
            for problem in agreement["differences"]:
                print(f"   NOT TIMED, {name}: {problem}")
            return result
        print(f"   {name}: duckdb and polars agree with unitcalc, {agreement['unitcalc']}")
        measured = alternate(commands, args.formats, args.runs)
    except BenchmarkError as exc:
        result["error"] = str(exc)
        print(f"   ERROR on {name}: {exc}", file=sys.stderr)
        return result
    finally:
        for path in commands.scratch():
            path.unlink(missing_ok=True)
    result["runs"] = {key: [asdict(r) for r in runs] for key, runs in measured.items()}
    result["rows"] = summarize(name, measured, args.formats, big)
    return result


def print_table(results: list[dict[str, Any]]) -> None:
    print(
        f"   {'file':<27} {'format':<8} {'unitcalc s':>10} {'duckdb s':>8} {'polars s':>8}"
        f" {'csv s':>6} {'/duckdb':>7} {'/polars':>7} {'CPU%':>5} {'peak MB':>7}  verdict"
    )
    for result in results:
        if not result["rows"]:
            why = "disagree" if result.get("agreement") else "error"
            print(f"   {result['file']:<27} NOT TIMED ({why}, see above)")
        for row in result["rows"]:
            print(
                f"   {row['file']:<27} {row['format']:<8} {row['unitcalc_s']:>10.2f}"
                f" {row['duckdb_s']:>8.2f} {row['polars_s']:>8.2f} {row['csv_s']:>6.2f}"
                f" {row['ratio_duckdb']:>7.2f} {row['ratio_polars']:>7.2f}"
                f" {row['cpu_percent']:>5.0f} {row['peak_mb']:>7.0f}  {row['verdict']}"
            )
    busy = [
        result["file"]
        for result in results
        if any(
            run["cpu_percent"] < BUSY_BASELINE_CPU for run in result.get("runs", {}).get(READER, [])
        )
    ]
    if busy:
        print(
            f"   WARNING: the machine was busy (a csv.reader pass got under "
            f"{BUSY_BASELINE_CPU:.0f}% of a core on {', '.join(busy)}): figures are noisy"
        )
    print(
        f"   targets: each 1M file and format, unitcalc <= {DUCKDB_LIMIT}x DuckDB (goal "
        f"{DUCKDB_GOAL}x) and <= the polars script; 10M: <= {DUCKDB_LIMIT}x DuckDB, peak "
        f"< {BIG_MEMORY_MB:.0f} MB, CPU > {BIG_CPU:.0f}%"
    )
    print_commands(results)


def print_commands(results: list[dict[str, Any]]) -> None:
    """Each file's generator command, its peers' figures, then the timed commands once."""
    shown: dict[str, str] = {}
    for result in results:
        print(f"   {result['file']}: {result['generate']} > {result['path']}")
        for peer in BASELINES:
            figures = result["rows"][0]["peers"][peer] if result["rows"] else None
            if figures:
                print(
                    f"      {peer}: CPU {figures['cpu_percent']:.0f}%, "
                    f"peak {figures['peak_mb']:.0f} MB"
                )
        for what, command in result["commands"].items():
            shown.setdefault(what, command.replace(result["path"], "FILE"))
    print("   commands:")
    for what, command in shown.items():
        print(f"      {what}: {command}")


def format_names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in FORMATS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"choose formats from {', '.join(FORMATS)}")
    return names


def file_names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in PEER_FILES]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown file {', '.join(unknown)}; choose from {', '.join(PEER_FILES)}"
        )
    return names


def default_unitcalc() -> str:
    """This interpreter's unitcalc (a virtual environment not on PATH), else PATH's."""
    beside = Path(sys.executable).parent / "unitcalc"
    return str(beside) if beside.exists() else shutil.which("unitcalc") or "unitcalc"


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--peers", type=Path, required=True, help="folder of alt_duckdb.py and alt_polars.py"
    )
    parser.add_argument(
        "--peer-python", default=sys.executable, help="interpreter with duckdb and polars"
    )
    parser.add_argument("--unitcalc", default=default_unitcalc())
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--formats", type=format_names, default=list(FORMATS))
    parser.add_argument(
        "--files",
        type=file_names,
        default=list(PEER_FILES),
        help=f"comma-separated (default all: {','.join(PEER_FILES)})",
    )
    parser.add_argument(
        "--with-10m", action="store_true", help="add a file of 10x --lines (generator default)"
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/unitcalc-bench"))
    parser.add_argument("--json", type=Path, help="also write every figure here as JSON")
    return parser.parse_args(argv)


def peers_ready(args: argparse.Namespace) -> str | None:
    """Why the peers cannot run, or None."""
    missing = [s for s in [*SCRIPTS.values(), "codes.json"] if not (args.peers / s).exists()]
    if missing:
        return f"{args.peers} lacks {', '.join(missing)}"
    try:
        run_child([args.peer_python, "-c", "import duckdb, polars"])
    except BenchmarkError:
        return f"{args.peer_python} cannot import duckdb and polars (pip install duckdb polars)"
    return None


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    problem = peers_ready(args)
    if problem:
        print(f"peers.py: {problem}", file=sys.stderr)
        return 2
    machine = (
        f"{platform.python_implementation()} {platform.python_version()} on "
        f"{platform.machine()}, {platform.system()}, {os.cpu_count()} cores"
    )
    load = os.getloadavg()
    print(f"# {machine}; unitcalc at {args.unitcalc}; load average {load[0]:.2f}")
    print(
        f"\nunitcalc audit against the DuckDB and polars scripts and a csv.reader pass, "
        f"median of {args.runs} alternating runs"
    )
    figures: dict[str, Any] = {
        "machine": machine,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "argv": sys.argv[1:] if argv is None else argv,
        "load_average_before": load,
    }
    results = [
        bench_file(args, name, args.lines, PEER_FILES[name][1], big=False) for name in args.files
    ]
    if args.with_10m:
        name, _, options = BIG_FILE
        results.append(bench_file(args, name, args.lines * 10, options, big=True))
    print_table(results)
    figures["files"] = results
    figures["load_average_after"] = after = os.getloadavg()
    print(f"   load average before {load[0]:.2f}, after {after[0]:.2f}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print(f"\nfigures written to {args.json}")
    if any(result.get("error") for result in results):
        return 2
    return 1 if any(not result["rows"] for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
