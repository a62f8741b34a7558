"""A seeded generator of realistic visit files for benchmarks and large-file checks.

Each visit (one patient's day) has 1 to 5 codes drawn from common timed and untimed
codes with 0 to 60 minutes each; billed units are the CMS count, except for a share of
visits billed wrong (a unit added, removed or moved). With --scatter, a share of
visits has one row moved far away in the file.

    python benchmarks/generate.py --lines 1000000 --seed 1 > visits.csv
"""

from __future__ import annotations

import argparse
import csv
import random
import sys

import unitcalc

TIMED = ["97110", "97112", "97116", "97140", "97530", "97535", "97035", "97032"]
UNTIMED = ["97161", "97162", "97164", "97010", "97014", "97150"]
HEADER = [
    "patient_id", "date_of_service", "code", "minutes", "discipline", "billed_units", "provider",
]  # fmt: skip


def visits(seed: int, wrong_share: float):
    rng = random.Random(seed)
    cache: dict[tuple[tuple[str, int | None], ...], dict[str, int]] = {}
    number = 0
    while True:
        number += 1
        count = rng.randint(1, 5)
        codes = rng.sample(TIMED, k=min(count, len(TIMED)))
        if rng.random() < 0.2:
            codes[-1] = rng.choice(UNTIMED)
        services = tuple(
            (c, None if c in UNTIMED and rng.random() < 0.5 else rng.randint(0, 60)) for c in codes
        )
        key = services
        units = cache.get(key)
        if units is None:
            units = dict(unitcalc.calculate(dict(services)).units)
            if len(cache) < 200_000:
                cache[key] = units
        billed = dict(units)
        if rng.random() < wrong_share:
            code = rng.choice(list(billed))
            billed[code] = max(0, billed[code] + rng.choice([-1, 1]))
        patient = f"P{number:08d}"
        day = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        provider = f"prov{rng.randint(1, 50):02d}"
        yield [
            [patient, day, code, "" if minutes is None else minutes, "PT", billed[code], provider]
            for code, minutes in services
        ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="data rows to write")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--wrong", type=float, default=0.05, help="share of visits billed wrong")
    parser.add_argument(
        "--scatter", type=float, default=0.0, help="share of visits with a row moved away"
    )
    args = parser.parse_args()
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(HEADER)
    rng = random.Random(args.seed + 1)
    held: list[list[object]] = []
    written = 0
    for rows in visits(args.seed, args.wrong):
        if args.scatter and len(rows) > 1 and rng.random() < args.scatter:
            held.append(rows.pop())
        for row in rows:
            if written == args.lines:
                break
            writer.writerow(row)
            written += 1
        if held and rng.random() < 0.01 and written < args.lines:
            writer.writerow(held.pop(0))
            written += 1
        if written >= args.lines:
            break


if __name__ == "__main__":
    main()
