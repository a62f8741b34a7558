"""A tie's other compliant allocations, in units per code, and how many there are.

When leftovers tie (CMS 20.2, Examples 2 and 5) every combination of the pools'
compliant allocations is compliant. They are listed lazily, at most ``limit`` of them,
and counted (distinct allocations per code, enumerating only when one code ties in two
pools, and only up to :data:`COUNT_LIMIT`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence

from ..rules import PoolAllocation
from .items import PoolEvaluation, split_family

COUNT_LIMIT = 100_000
"""Past this many line allocations the count of line allocations, an upper bound, is
given instead of enumerating distinct ones."""

Transform = Callable[[Sequence[tuple[int, ...]]], Sequence[tuple[int, ...]]]


def alternatives(
    pools: Sequence[PoolEvaluation],
    chosen: Mapping[str, int],
    limit: int,
    *,
    transform: Transform | None = None,
) -> tuple[list[dict[str, int]], bool]:
    """The other compliant allocations in code space, at most ``limit`` of them, and
    whether more exist."""
    if not any(pool.allocation.tied for pool in pools):
        return [], False
    fixed = _fixed_units(pools, chosen)
    found: list[dict[str, int]] = []
    seen = {tuple(sorted(chosen.items()))}
    for combination in _lazy_product([pool.allocation for pool in pools]):
        units = _code_units(
            pools, fixed, transform(combination) if transform is not None else combination
        )
        key = tuple(sorted(units.items()))
        if key in seen:
            continue
        if len(found) == limit:
            return found, True
        seen.add(key)
        found.append(units)
    return found, False


def _code_units(
    pools: Sequence[PoolEvaluation],
    fixed: Mapping[str, int],
    combination: Sequence[tuple[int, ...]],
) -> dict[str, int]:
    """One combination of pool allocations, as units per code."""
    units = dict(fixed)
    for pool, pool_units in zip(pools, combination, strict=True):
        for item_members, count in zip(pool.members, pool_units, strict=True):
            for code, share in split_family(item_members, count).items():
                units[code] += share
    return units


def count_allocations(
    pools: Sequence[PoolEvaluation],
    chosen: Mapping[str, int],
    *,
    transform: Transform | None = None,
) -> int:
    """How many distinct allocations per code are compliant.

    Pools multiply, except where one code ties in two discipline pools: then two
    allocations of the lines can give the same units per code (97110-GP x2 with
    97110-GO x1 and the reverse), and only distinct ones are counted. Counting them
    means enumerating; past ``COUNT_LIMIT`` line allocations (a day no clinic
    documents) the count of line allocations, an upper bound, is returned instead.
    """
    line_allocations = math.prod(pool.allocation.count for pool in pools)
    tied_codes: list[str] = []
    for pool in pools:
        for index in pool.allocation.tied:
            tied_codes.extend(code for code, _ in pool.members[index])
    distinct = len(tied_codes) == len(set(tied_codes)) and transform is None
    if distinct or line_allocations > COUNT_LIMIT:
        return line_allocations
    fixed = _fixed_units(pools, chosen)
    return len(
        {
            tuple(
                sorted(
                    _code_units(
                        pools, fixed, transform(combination) if transform else combination
                    ).items()
                )
            )
            for combination in _lazy_product([pool.allocation for pool in pools])
        }
    )


def _fixed_units(
    pools: Sequence[PoolEvaluation],
    chosen: Mapping[str, int],
) -> dict[str, int]:
    """Units that are the same in every allocation: untimed codes keep their unit;
    timed codes start from 0 and take their pools' units."""
    timed = {code for pool in pools for item in pool.members for code, _ in item}
    return {code: 0 if code in timed else count for code, count in chosen.items()}


def _lazy_product(
    allocations: Sequence[PoolAllocation],
) -> Iterator[tuple[tuple[int, ...], ...]]:
    """Every combination of the pools' compliant allocations, generated lazily: a large
    tie can have more allocations than fit in memory, and only the first few are read."""
    if not allocations:
        yield ()
        return
    head, *rest = allocations
    for first in head.allocations():
        for tail in _lazy_product(rest):
            yield (first, *tail)
