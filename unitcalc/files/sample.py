"""A sampling frame of a visit file and a reproducible random draw from it.

The sampling unit is the audit's group (:mod:`.group`): a patient day by default (patient
+ date of service, and who bills when the file says), a visit, or whatever ``--group-by``
names (a claim column, say), so that ``unitcalc audit`` of the sample's rows counts
exactly the units drawn. A row with no key is a unit of its own, as in the audit: every
row of the file is in exactly one unit of the frame.

The frame lists every unit in file order (unit 1 is the one whose first row comes
first), with its lines, its amount (with ``--amount COLUMN``: the sum of its rows'
dollars) and its stratum (:mod:`.strata`).

The draw: Python's ``random.Random(seed)`` (the Mersenne Twister, whose ``random()``
sequence for an integer seed the Python documentation guarantees across versions) gives
each unit of the frame, in frame order, one random number; each stratum's sample is its
n_h units with the smallest numbers (a simple random sample without replacement, since
every ordering of the numbers is equally likely), drawn in that order.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import attrs

from ..core.errors import FileProblem
from .check import key_names
from .group import GROUP, assign_groups
from .read import LINE
from .strata import SampleError, allocate, band_of, given_sizes

if TYPE_CHECKING:
    import polars as pl

    from .load import Loaded

GENERATOR = (
    "Python random.Random(seed) (Mersenne Twister): one random() for each unit of the "
    "frame in frame order; each stratum's sample is its units with the smallest numbers"
)


@attrs.frozen
class Unit:
    """A sampling unit of the frame."""

    number: int
    key: str
    lines: tuple[int, ...]
    stratum: str
    amount_cents: int | None
    random: float = 0.0
    order: int | None = None
    """The unit's place in its stratum's draw (1 first), None when not drawn."""


@attrs.frozen
class Design:
    """How to draw: the seed, the total size (proportional allocation) or each
    stratum's, the amount column and the strata (a column, or dollar bands)."""

    seed: int
    size: int | None = None
    stratum_sizes: Mapping[str, int] = attrs.field(factory=dict)
    amount: str | None = None
    strata_column: str | None = None
    bands: tuple[Decimal, ...] = ()

    @property
    def strata_definition(self) -> str:
        if self.strata_column:
            return f"the value of column {self.strata_column}"
        if self.bands:
            return "dollar bands of the unit's amount: " + ",".join(f"{b:f}" for b in self.bands)
        return "none (one stratum, 'all')"


@attrs.frozen
class Draw:
    """The frame with its random numbers, and the sizes of each stratum."""

    units: tuple[Unit, ...]
    frame_sizes: Mapping[str, int]
    sample_sizes: Mapping[str, int]
    design: Design
    key_roles: tuple[str, ...]

    @property
    def sampled(self) -> list[Unit]:
        chosen = [unit for unit in self.units if unit.order is not None]
        return sorted(
            chosen, key=lambda unit: (list(self.frame_sizes).index(unit.stratum), unit.order)
        )


AMOUNT, STRATUM = "__amount", "__stratum"
"""A row's dollars (in cents) and stratum value, beside the parsed columns."""


def frame_units(loaded: Loaded, design: Design, *, display: str) -> list[Unit]:
    """Every unit of the file, in file order, with its lines, amount and stratum."""
    import polars as pl

    keys = key_names(loaded.layout)
    grouped = assign_groups(loaded.parsed, keys)
    values = _row_values(loaded, design, grouped.get_column(LINE).to_list(), display)
    if values is not None:
        grouped = grouped.join(values, on=LINE, how="left")
    summed = [pl.col(LINE).sort().alias("lines"), *(pl.col(name).first() for name in keys)]
    if design.amount:
        summed.append(pl.col(AMOUNT).sum())
    if design.strata_column:
        summed.append(pl.col(STRATUM).unique().sort().alias("strata"))
    units = grouped.group_by(GROUP).agg(summed).sort(GROUP)
    built = []
    for number, row in enumerate(units.iter_rows(named=True), start=1):
        unit_lines = tuple(row["lines"])
        key_parts = [row[name] for name in keys]
        key = " / ".join(key_parts) if all(key_parts) and keys else f"line {unit_lines[0]}"
        cents = row[AMOUNT] if design.amount else None
        stratum = _stratum(design, row.get("strata"), unit_lines, cents, display)
        built.append(Unit(number, key, unit_lines, stratum, cents))
    return built


def _row_values(
    loaded: Loaded, design: Design, lines: Sequence[int], display: str
) -> pl.DataFrame | None:
    """Each row's amount in cents and stratum value, by line, when the design asks."""
    import polars as pl

    if not design.amount and not design.strata_column:
        return None
    found: dict[str, Any] = {LINE: lines}
    schema: dict[str, Any] = {LINE: pl.Int64}
    if design.amount:
        column = _column(loaded, design.amount, display)
        cells = _cells(loaded, column, lines)
        found[AMOUNT] = [_cents(v, n, column, display) for v, n in zip(cells, lines, strict=True)]
        schema[AMOUNT] = pl.Int64
    if design.strata_column:
        column = _column(loaded, design.strata_column, display)
        found[STRATUM] = [str(v or "").strip() for v in _cells(loaded, column, lines)]
        schema[STRATUM] = pl.String
    return pl.DataFrame(found, schema=schema)


def _cells(loaded: Loaded, column: str, lines: Sequence[int]) -> list[Any]:
    """One column's values as read, line by line."""
    import polars as pl

    if loaded.raw is None:
        return [loaded.records[line].values.get(column) for line in lines]
    chosen = pl.DataFrame({LINE: list(lines)}, schema={LINE: pl.Int64})
    return (
        chosen.join(loaded.raw.select(LINE, column), on=LINE, how="left")
        .get_column(column)
        .to_list()
    )


def _column(loaded: Loaded, name: str, display: str) -> str:
    """The file's column of this name, whatever its case."""
    for column in loaded.layout.columns:
        if column.lower() == name.lower():
            return column
    if loaded.layout.open_ended:
        return name.lower()
    raise FileProblem(
        f"{display}: no column {name!r}; its columns are {', '.join(loaded.layout.columns)}",
        path=display,
    )


def _cents(value: Any, line: int, column: str, display: str) -> int:
    """A row's dollars (``125.40``, ``$1,125.40``) as whole cents."""
    text = "" if value is None else str(value).strip().replace(",", "").removeprefix("$")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise FileProblem(
            f"{display}, line {line}, column {column}: {value!r} is no dollar amount: write "
            "dollars and cents such as 125.40 (0 for none)",
            path=display,
            line=line,
        )
    return int(amount * 100)


def _stratum(
    design: Design,
    strata: Sequence[str] | None,
    lines: Sequence[int],
    cents: int | None,
    display: str,
) -> str:
    if design.strata_column:
        assert strata is not None
        if len(strata) != 1 or "" in strata:
            raise FileProblem(
                f"{display}, lines {', '.join(map(str, lines))}, column {design.strata_column}: "
                f"one unit's rows give the strata {list(strata)}: give each unit's rows one "
                "stratum",
                path=display,
                line=lines[0],
            )
        return strata[0]
    if design.bands:
        assert cents is not None
        band = band_of(cents, design.bands)
        if band is None:
            raise FileProblem(
                f"{display}, lines {', '.join(map(str, lines))}: the unit's amount "
                f"{Decimal(cents) / 100} is below the first band ({design.bands[0]:f}): "
                "start --strata-bands lower",
                path=display,
                line=lines[0],
            )
        return band
    return "all"


def draw(units: Sequence[Unit], design: Design, key_roles: Sequence[str]) -> Draw:
    """The draw: random numbers for every unit, and each stratum's smallest n_h."""
    frame_sizes: dict[str, int] = {}
    if design.bands:
        frame_sizes = dict.fromkeys(_band_names(design.bands), 0)
    for unit in units:
        frame_sizes[unit.stratum] = frame_sizes.get(unit.stratum, 0) + 1
    frame_sizes = {name: size for name, size in frame_sizes.items() if size}
    if design.stratum_sizes:
        sample_sizes = given_sizes(frame_sizes, design.stratum_sizes)
    elif design.size is not None:
        sample_sizes = allocate(frame_sizes, design.size)
    else:
        raise SampleError("give --size N, or --stratum-size for every stratum")
    _estimable(frame_sizes, sample_sizes, given=bool(design.stratum_sizes))
    generator = random.Random(design.seed)
    numbered = [attrs.evolve(unit, random=generator.random()) for unit in units]
    by_stratum: dict[str, list[Unit]] = {}
    for unit in numbered:
        by_stratum.setdefault(unit.stratum, []).append(unit)
    order: dict[int, int] = {}
    for name, size in sample_sizes.items():
        members = sorted(by_stratum[name], key=lambda unit: (unit.random, unit.number))
        order |= {unit.number: place for place, unit in enumerate(members[:size], start=1)}
    drawn = tuple(
        attrs.evolve(unit, order=order[unit.number]) if unit.number in order else unit
        for unit in numbered
    )
    return Draw(drawn, frame_sizes, sample_sizes, design, tuple(key_roles))


def _estimable(
    frame_sizes: Mapping[str, int], sample_sizes: Mapping[str, int], *, given: bool
) -> None:
    """Each stratum's variance needs 2 units drawn, or all of it: refuse a design that
    draws fewer (proportional allocation may round a small stratum down to 0 or 1). A
    size of 0 given on purpose leaves the stratum out of the estimate."""
    for name, size in sample_sizes.items():
        if size >= min(2, frame_sizes[name]) or (given and size == 0):
            continue
        fix = (
            "give a size of at least 2 for it"
            if given
            else ("give --stratum-size for every stratum, a larger --size or fewer strata")
        )
        raise SampleError(
            f"stratum {name!r} gets {size} of its {frame_sizes[name]} units, too few to "
            f"estimate its variance (at least 2, or all): {fix}"
        )


def _band_names(bounds: Sequence[Decimal]) -> list[str]:
    from .strata import band_name

    return [band_name(bounds, index) for index in range(len(bounds))]
