"""Strata of a sampling frame and the sample size each gets.

A unit's stratum is the value of a column (``--strata COLUMN``), or the dollar band its
amount falls in (``--strata-bands 0,100,500``: [0, 100), [100, 500), [500, and up)).
The band of one amount (:func:`band_of`, the scalar form) and of a column of amounts
(:func:`band_expression`, polars) stand side by side, held equal by a property test.

Allocation: proportional to the strata's frame sizes (Cochran, *Sampling Techniques*,
3rd ed., section 5.5), the fractions rounded by largest remainder so that the sizes add up
to the sample size asked for; or the sizes given stratum by stratum.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from ..core.errors import UnitcalcError

if TYPE_CHECKING:
    import polars as pl


class SampleError(UnitcalcError, ValueError):
    """A sample cannot be drawn as asked (a size larger than the frame, a stratum named
    that the frame has not, bands not in order)."""


def band_name(bounds: Sequence[Decimal], index: int) -> str:
    """The band's name: ``100-500`` (dollars, the upper bound left out), ``500+``."""
    low = f"{bounds[index]:f}"
    return f"{low}+" if index == len(bounds) - 1 else f"{low}-{bounds[index + 1]:f}"


def parse_bands(text: str) -> tuple[Decimal, ...]:
    """``0,100,500`` as dollar bounds, strictly increasing.

    >>> parse_bands("0, 100,500")
    (Decimal('0'), Decimal('100'), Decimal('500'))
    """
    try:
        bounds = tuple(Decimal(part.strip()) for part in text.split(","))
    except ArithmeticError:
        raise SampleError(
            f"--strata-bands {text!r}: write increasing dollar amounts, e.g. 0,100,500"
        ) from None
    if any(not bound.is_finite() for bound in bounds) or any(
        low >= high for low, high in itertools.pairwise(bounds)
    ):
        raise SampleError(
            f"--strata-bands {text!r}: write increasing dollar amounts, e.g. 0,100,500"
        )
    return bounds


def band_of(cents: int, bounds: Sequence[Decimal]) -> str | None:
    """The scalar form: the band of an amount in cents, None below the first bound.

    >>> band_of(15000, parse_bands("0,100,500"))
    '100-500'
    """
    found = None
    for index, bound in enumerate(bounds):
        if cents >= bound * 100:
            found = band_name(bounds, index)
    return found


def band_expression(cents: pl.Expr, bounds: Sequence[Decimal]) -> pl.Expr:
    """The columnar form: the band of each amount in cents, null below the first bound."""
    import polars as pl

    expression: pl.Expr = pl.lit(None, dtype=pl.String)
    for index, bound in enumerate(bounds):
        # Bounds in whole cents compare exactly with the integer amounts.
        floor = _cents_ceiling(bound)
        expression = (
            pl.when(cents >= floor).then(pl.lit(band_name(bounds, index))).otherwise(expression)
        )
    return expression


def _cents_ceiling(bound: Decimal) -> int:
    """The least whole number of cents at or above a bound in dollars."""
    scaled = Fraction(bound) * 100
    return -((-scaled.numerator) // scaled.denominator)


def allocate(frame_sizes: Mapping[str, int], sample_size: int) -> dict[str, int]:
    """Proportional allocation: n * N_h / N for each stratum, rounded by largest
    remainder (ties to the stratum first in the frame) so that they add up to n.

    >>> allocate({"a": 50, "b": 30, "c": 20}, 10)
    {'a': 5, 'b': 3, 'c': 2}
    """
    total = sum(frame_sizes.values())
    if sample_size > total:
        raise SampleError(
            f"--size {sample_size}: the frame has {total} units; give at most {total}"
        )
    shares = {name: Fraction(sample_size * size, total) for name, size in frame_sizes.items()}
    sizes = {name: int(share) for name, share in shares.items()}
    left = sample_size - sum(sizes.values())
    order = sorted(shares, key=lambda name: shares[name] - sizes[name], reverse=True)
    for name in order[:left]:
        sizes[name] += 1
    return sizes


def given_sizes(frame_sizes: Mapping[str, int], given: Mapping[str, int]) -> dict[str, int]:
    """Sizes given stratum by stratum (``--stratum-size NAME=N``): every stratum of the
    frame named once, none larger than its frame."""
    unknown = [name for name in given if name not in frame_sizes]
    if unknown:
        raise SampleError(
            f"--stratum-size {unknown[0]}: the frame has no such stratum; its strata are "
            + ", ".join(frame_sizes)
        )
    missing = [name for name in frame_sizes if name not in given]
    if missing:
        raise SampleError(
            f"--stratum-size: no size for stratum {missing[0]!r}: give one for every "
            f"stratum ({', '.join(frame_sizes)}), 0 to leave one out of the sample"
        )
    for name, size in given.items():
        if size > frame_sizes[name]:
            raise SampleError(
                f"--stratum-size {name}={size}: the stratum has {frame_sizes[name]} units; "
                f"give at most {frame_sizes[name]}"
            )
    return {name: given[name] for name in frame_sizes}
