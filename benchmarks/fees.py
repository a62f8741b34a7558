"""``unitcalc audit --fees`` against the plain audit and against the pricing it replaced
(every group through the one-visit engine, each day priced unit by unit), each in a
child process of its own, best of ``--runs`` alternating runs; the outputs of the two
pricings are compared too (they must be the same JSON, the run's manifest aside).

    python benchmarks/fees.py                         # 100,000 lines, seed 1
    python benchmarks/fees.py --lines 1000000 --runs 1

Run it from the repository's root (``python -m unitcalc.cli`` then runs this tree).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import PY, generate, run_child  # noqa: E402

FEES = (
    "code,amount\n97110,30.00\n97112,33.00\n97140,28.00\n97530,36.00\n97116,30.00\n"
    "97535,33.00\n97010,5.00\n97032,15.00\n97035,14.00\n"
)


def reference(data: Path, fees: Path, output: Path) -> None:
    """The audit with fees as it was priced before the columns priced it: every group
    evaluated by the one-visit engine (``only_findings`` off), ``Pricer.memo`` off."""
    from unitcalc.files import Options, run_groups
    from unitcalc.files.price import Pricer
    from unitcalc.files.write_audit import AuditWriter
    from unitcalc.payment.fees import load_fees

    pricer = Pricer(load_fees(fees), explanations=False, memo=False)
    writer = AuditWriter("json", show_all=False, amounts=True)
    with contextlib.closing(writer):
        summary = run_groups(data, Options(need_billed=True), pricer.wrap(writer.consume))
        pricer.finish(summary)
        with output.open("w", encoding="utf-8") as out:
            writer.finish(out, summary)


def without_manifest(path: Path) -> dict[str, Any]:
    data = dict(json.loads(path.read_text(encoding="utf-8")))
    data["summary"].pop("manifest", None)
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/unitcalc-bench"))
    parser.add_argument("--reference", nargs=3, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reference:
        reference(*args.reference)
        return 0
    args.workdir.mkdir(parents=True, exist_ok=True)
    data = generate(args.workdir / f"default-{args.lines}.csv", args.lines, ["--seed", "1"])
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        fees = work / "fees.csv"
        fees.write_text(FEES, encoding="utf-8")
        outs = {name: work / f"{name}.json" for name in ("plain", "fees", "before")}
        commands = {
            "plain": [PY, "-m", "unitcalc.cli", "audit", str(data), "--format", "json",
                      "--output", str(outs["plain"])],
            "fees": [PY, "-m", "unitcalc.cli", "audit", str(data), "--fees", str(fees),
                     "--format", "json", "--output", str(outs["fees"])],
            "before": [PY, str(Path(__file__).resolve()), "--reference", str(data), str(fees),
                       str(outs["before"])],
        }  # fmt: skip
        best: dict[str, float] = {}
        for _ in range(args.runs):
            for name, command in commands.items():
                run = run_child(command, ok_codes=(0, 1))
                best[name] = min(best.get(name, run.wall_s), run.wall_s)
        same = without_manifest(outs["fees"]) == without_manifest(outs["before"])
    print(f"{args.lines:,} lines ({data}), best of {args.runs} runs, wall seconds:")
    rows = [("audit without fees", "plain"), ("audit --fees", "fees"),
            ("all-scalar pricing (before)", "before")]  # fmt: skip
    for title, name in rows:
        print(f"  {title:<28} {best[name]:6.2f}  ({best[name] / best['plain']:.1f}x)")
    print(f"  --fees output the same as before: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
