"""A load test of `unitcalc serve`: a bounded run of mixed requests against a server on
this machine's loopback address, reporting requests per second, latency, server errors
and the server's resident memory before and after.

    python benchmarks/load.py                          # 20,000 requests, 64 at a time
    python benchmarks/load.py --baseline /tmp/before   # the same run against an older copy
    python benchmarks/load.py --requests 2000 --workers 1

The server is started here (`unitcalc serve` on 127.0.0.1 and a free port) and stopped
when the run ends; traffic goes to 127.0.0.1 only, never to another address. The run
stops by itself: after --requests requests, or after --time-limit seconds, whichever
comes first. --baseline DIR names a source tree of unitcalc (e.g. from
`git archive REV | tar -x -C DIR`) to serve first with the same requests, so both sets of
figures come from one run on the same machine.

Needs aiohttp (`pip install '.[bench]'`): an asyncio HTTP client whose per-request cost
is low enough that the client, sharing the machine's cores with the server, does not
set the pace.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
"""The only address this script sends traffic to."""

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Request:
    kind: str
    method: str
    path: str
    body: bytes | None = None


def _calculate(rng: random.Random) -> bytes:
    codes = ["97110", "97112", "97140", "97530", "97116", "97535", "97129", "97130"]
    services = [
        {"code": code, "minutes": rng.randint(0, 60)}
        for code in rng.sample(codes[:6], rng.randint(1, 4))
    ]
    if rng.random() < 0.2:
        services.append({"code": "97161"})
    body: dict[str, object] = {"services": services}
    if rng.random() < 0.3:
        body["rule"] = rng.choice(["cms", "ama", "commercial-15"])
    if rng.random() < 0.2:
        body["date_of_service"] = "2026-11-02"
    return json.dumps(body).encode()


def _audit(rng: random.Random) -> bytes:
    groups = []
    for g in range(rng.randint(1, 10)):
        services = [
            {"code": code, "minutes": rng.randint(0, 60), "billed_units": rng.randint(0, 4)}
            for code in rng.sample(["97110", "97112", "97140", "97530"], rng.randint(1, 3))
        ]
        groups.append({"group": f"P{g} / 2026-11-02", "services": services})
    return json.dumps({"groups": groups}).encode()


def _invalid(rng: random.Random) -> bytes:
    bad = rng.choice(
        [
            {"services": [{"code": "97110", "minutes": 7.5}]},
            {"services": [{"code": "97111", "minutes": 5}]},
            {"services": [{"code": "97110", "minutes": "9" * 5000}]},
            {"rule": "eights", "services": []},
        ]
    )
    return json.dumps(bad).encode()


def mixed_requests(count: int, seed: int) -> list[Request]:
    """The mix: mostly calculations, some audits, the lists the page loads, invalid input."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.55:
            out.append(Request("calculate", "POST", "/api/calculate", _calculate(rng)))
        elif roll < 0.75:
            out.append(Request("audit", "POST", "/api/audit", _audit(rng)))
        elif roll < 0.80:
            out.append(Request("codes", "GET", "/api/codes?kind=timed"))
        elif roll < 0.85:
            out.append(Request("rules", "GET", "/api/rules"))
        elif roll < 0.90:
            out.append(Request("page", "GET", "/"))
        else:
            out.append(Request("invalid", "POST", "/api/calculate", _invalid(rng)))
    return out


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0
    done: int = 0


async def drive(port: int, requests: list[Request], concurrency: int, time_limit: float) -> Outcome:
    import aiohttp

    outcome = Outcome()
    queue = iter(requests)
    base = f"http://{HOST}:{port}"
    deadline = time.monotonic() + time_limit
    headers = {"content-type": "application/json"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=30)

    async def worker(session: aiohttp.ClientSession) -> None:
        for request in queue:
            if time.monotonic() > deadline:
                return
            start = time.perf_counter()
            try:
                async with session.request(
                    request.method, base + request.path, data=request.body, headers=headers
                ) as response:
                    await response.read()
                    outcome.statuses[response.status] += 1
            except (aiohttp.ClientError, TimeoutError) as exc:
                outcome.failures[type(exc).__name__] += 1
                continue
            finally:
                outcome.done += 1
            outcome.latencies.append(time.perf_counter() - start)

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        start = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        outcome.elapsed = time.perf_counter() - start
    return outcome


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def tree(pid: int) -> list[int]:
    """A process and its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants, in MB."""
    total_kb = 0
    for member in tree(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
    return total_kb / 1024


def tree_cpu_seconds(pid: int) -> float:
    """CPU time (user and system) used so far by a process and its descendants."""
    ticks = 0
    for member in tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def wait_ready(port: int, server: subprocess.Popen[bytes], limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=1) as conn:
                conn.sendall(f"GET /api/rules HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
                if conn.recv(12).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not start in time")


def run_one(
    label: str, source: Path, python: str, extra: list[str], args: argparse.Namespace
) -> dict[str, object]:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(source))
    command = [python, "-c", "from unitcalc.cli import main; main()", "serve"]
    command += ["--host", HOST, "--port", str(port), *extra]
    name = "baseline" if label.startswith("baseline") else "this-tree"
    log = Path(args.log_dir) / f"unitcalc-load-{name}-{port}.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            command, env=env, cwd=source, stdout=out, stderr=out, start_new_session=True
        )
    try:
        wait_ready(port, server)
        time.sleep(1)  # let every worker finish importing
        rss_before = tree_rss_mb(server.pid)
        requests = mixed_requests(args.requests, args.seed)
        server_cpu, client_cpu = tree_cpu_seconds(server.pid), time.process_time()
        outcome = asyncio.run(drive(port, requests, args.concurrency, args.time_limit))
        server_cpu = tree_cpu_seconds(server.pid) - server_cpu
        client_cpu = time.process_time() - client_cpu
        rss_after = tree_rss_mb(server.pid)
    finally:
        # Stop the server started above (its own process group: the workers too).
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        except ProcessLookupError:
            pass
    latencies = sorted(outcome.latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan")
    server_errors = sum(n for status, n in outcome.statuses.items() if status >= 500)
    return {
        "label": label,
        "requests": outcome.done,
        "seconds": outcome.elapsed,
        "rps": outcome.done / outcome.elapsed if outcome.elapsed else 0.0,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p99_ms": p99 * 1000,
        "server_errors": server_errors,
        "failures": dict(outcome.failures),
        "statuses": dict(sorted(outcome.statuses.items())),
        "server_cpu_ms": server_cpu * 1000 / max(outcome.done, 1),
        "client_cpu_ms": client_cpu * 1000 / max(outcome.done, 1),
        "rss_before_mb": rss_before,
        "rss_after_mb": rss_after,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--time-limit", type=float, default=300, help="seconds, per server")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, help="unitcalc serve --workers (default: its own)")
    parser.add_argument("--baseline", type=Path, help="a source tree of unitcalc to run first")
    parser.add_argument(
        "--baseline-python",
        default=sys.executable,
        help="the Python (of a virtual environment) to run the baseline with, so that it "
        "runs with its own dependencies",
    )
    parser.add_argument("--rounds", type=int, default=1, help="runs of each server, alternated")
    parser.add_argument("--log-dir", default="/tmp", help="where the servers' output goes")
    args = parser.parse_args(argv)
    if not 0 < args.requests <= 1_000_000 or not 0 < args.concurrency <= 1024:
        parser.error("--requests must be 1..1,000,000 and --concurrency 1..1024")
    if not 0 < args.time_limit <= 3600:
        parser.error("--time-limit must be more than 0 and at most 3600 seconds")

    runs = []
    extra = ["--workers", str(args.workers)] if args.workers else []
    for _ in range(max(1, min(args.rounds, 10))):
        if args.baseline:
            label = f"baseline ({args.baseline})"
            runs.append(run_one(label, args.baseline.resolve(), args.baseline_python, [], args))
        runs.append(run_one("this tree", ROOT, sys.executable, extra, args))

    print(
        f"{args.requests:,} mixed requests, {args.concurrency} at a time, to {HOST}; "
        f"{os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}"
    )
    print(
        "| server | requests/s | p50 ms | p99 ms | 5xx | failed | RSS before -> after MB "
        "| CPU ms/request: server, client |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for run in runs:
        failed = sum(run["failures"].values())  # type: ignore[attr-defined]
        print(
            f"| {run['label']} | {run['rps']:.0f} | {run['p50_ms']:.1f} | {run['p99_ms']:.1f} "
            f"| {run['server_errors']} | {failed} "
            f"| {run['rss_before_mb']:.0f} -> {run['rss_after_mb']:.0f} "
            f"| {run['server_cpu_ms']:.2f}, {run['client_cpu_ms']:.2f} |"
        )
    for run in runs:
        print(f"{run['label']}: statuses {run['statuses']}, failures {run['failures']}")
    if args.baseline:
        best = {
            label: max(float(run["rps"]) for run in runs if run["label"] == label)  # type: ignore[arg-type]
            for label in dict.fromkeys(str(run["label"]) for run in runs)
        }
        before, after = best.values()
        print(f"best requests/s: {before:.0f} -> {after:.0f}, {after / before:.1f}x")
    bad = any(
        run["server_errors"] or run["failures"] for run in runs if run["label"] == "this tree"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
