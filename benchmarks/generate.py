"""A seeded generator of realistic visit files for benchmarks and large-file checks.

Each visit (one patient's day) has 1 to 5 codes drawn from common timed and untimed
codes with 0 to 60 minutes each. Three profiles:

- ``default``: billed units are the CMS count, except for a share of visits billed
  wrong (a unit added, removed or moved). With --scatter, a share of visits has one
  row moved far away in the file.
- ``findings``: each line's billed units are counted on its own (the per-code midpoint:
  a unit from 8 minutes, (minutes + 7) // 15 for 15-minute codes, 1 for an untimed
  code), which the CMS count disagrees with on about 26% of visits, and a share of
  visits (--wrong, 5%) is billed one unit too many besides: about 30% of patient-days
  have a finding (about 40% with --wrong 0.2).
- ``scattered``: the default visits, but patient ``P{visit % 5000}`` and one date for
  all, so each patient-day is made of visits spread through the whole file (about
  200 rows each at 1,000,000 lines). Billed units are each visit's own, so most of
  these pooled patient-days have a finding.
- ``findings-scattered``: the rows of ``findings`` (same seed, same rows) in a seeded
  random order, so each patient-day's 1 to 5 rows are spread through the whole file
  (a third of the file apart on average) and about 30% of them have a finding.

--sort-by-code writes the same rows sorted by code (stable: file order within a code),
which scatters every patient-day of any profile.

    python benchmarks/generate.py --lines 1000000 --seed 1 > visits.csv
    python benchmarks/generate.py --lines 1000000 --profile findings > findings.csv
    python benchmarks/generate.py --lines 1000000 --profile scattered --sort-by-code > s.csv
    python benchmarks/generate.py --lines 1000000 --profile findings-scattered > fs.csv
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from collections.abc import Iterable, Iterator

import unitcalc

TIMED = ["97110", "97112", "97116", "97140", "97530", "97535", "97035", "97032"]
UNTIMED = ["97161", "97162", "97164", "97010", "97014", "97150"]
HEADER = [
    "patient_id", "date_of_service", "code", "minutes", "discipline", "billed_units", "provider",
]  # fmt: skip
PROFILES = ("default", "findings", "scattered", "findings-scattered")
SCATTERED_PATIENTS = 5000
SCATTERED_DATE = "2026-06-15"
# Every timed code above is counted in 15-minute units (the packaged code table).
UNIT_MINUTES = 15


def per_code_units(code: str, minutes: int | None) -> int:
    """The per-code midpoint count of one line, written out here rather than taken from
    unitcalc so the findings file does not lean on the code it is used to measure."""
    if code in UNTIMED:
        return 1
    assert minutes is not None
    return (minutes + UNIT_MINUTES // 2) // UNIT_MINUTES


def visits(seed: int, wrong_share: float, profile: str = "default") -> Iterator[list[list[object]]]:
    # The default profile draws from rng in the same order as it always has, so a seed
    # gives the same file byte for byte; the other profiles draw the same visits.
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
        if profile in ("findings", "findings-scattered"):
            billed = {code: per_code_units(code, minutes) for code, minutes in services}
            if rng.random() < wrong_share:
                billed[rng.choice(list(billed))] += 1
        else:
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
        if profile == "scattered":
            patient, day = f"P{number % SCATTERED_PATIENTS}", SCATTERED_DATE
        yield [
            [patient, day, code, "" if minutes is None else minutes, "PT", billed[code], provider]
            for code, minutes in services
        ]


def rows(
    lines: int, seed: int, wrong: float, scatter: float, profile: str
) -> Iterator[list[object]]:
    rng = random.Random(seed + 1)
    held: list[list[object]] = []
    written = 0
    for visit in visits(seed, wrong, profile):
        if scatter and len(visit) > 1 and rng.random() < scatter:
            held.append(visit.pop())
        for row in visit:
            if written == lines:
                break
            yield row
            written += 1
        if held and rng.random() < 0.01 and written < lines:
            yield held.pop(0)
            written += 1
        if written >= lines:
            break


def spread(generated: Iterable[list[object]], seed: int) -> list[list[object]]:
    """The rows in a seeded random order (its own stream: the rows drawn are the same),
    so the rows of each patient-day land anywhere in the file."""
    shuffled = list(generated)
    random.Random(seed + 2).shuffle(shuffled)
    return shuffled


def code_of(row: list[object]) -> str:
    return str(row[2])


def table(
    lines: int, seed: int, wrong: float, scatter: float, profile: str, sort_by_code: bool
) -> Iterable[list[object]]:
    """The data rows of a file, in the order they are written."""
    generated: Iterable[list[object]] = rows(lines, seed, wrong, scatter, profile)
    if profile == "findings-scattered":
        generated = spread(generated, seed)
    if sort_by_code:
        generated = sorted(generated, key=code_of)
    return generated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="data rows to write")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--wrong", type=float, default=0.05, help="share of visits billed wrong")
    parser.add_argument(
        "--scatter", type=float, default=0.0, help="share of visits with a row moved away"
    )
    parser.add_argument("--profile", choices=PROFILES, default="default")
    parser.add_argument(
        "--sort-by-code", action="store_true", help="write the rows sorted by code (stable)"
    )
    args = parser.parse_args()
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(
        table(args.lines, args.seed, args.wrong, args.scatter, args.profile, args.sort_by_code)
    )


if __name__ == "__main__":
    main()
