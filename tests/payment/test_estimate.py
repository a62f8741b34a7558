"""The extrapolation of a reviewed sample (PIM ch.8 section 8.4; Cochran, Sampling
Techniques, 3rd ed., 2.4-2.5 and 5.2-5.4), held to an independent computation: the
expected numbers are worked out here unit by unit with the statistics module over
fractions, and the t quantile by bisection on Student's distribution function written
in closed form for whole degrees of freedom (Abramowitz and Stegun 26.7.3-26.7.4), not
with scipy. The t quantiles are also held to the published table of critical values
(NIST/SEMATECH e-Handbook of Statistical Methods, section 1.3.6.7.2, the 0.90 column).

The published worked example (Lohr, Sampling: Design and Analysis, 3rd ed., Examples
2.6-2.11 and 3.2-3.6) is held in test_estimate_published.py, which uses :func:`by_hand`
from here for its cents.
"""

from __future__ import annotations

import math
import statistics
import sys
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import polars as pl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from unitcalc.payment.estimate import (
    EstimateError,
    StratumTotals,
    estimate,
    satterthwaite,
    stratum_totals,
    stratum_totals_frame,
    t_quantile,
)


def student_cdf(t: float, df: int) -> float:
    """P(T <= t) for Student's t with whole ``df``, by A&S 26.7.3 (odd) and 26.7.4 (even)."""
    theta = math.atan(t / math.sqrt(df))
    sin, cos = math.sin(theta), math.cos(theta)
    if df % 2:
        series, term = 0.0, cos
        for k in range(1, (df - 1) // 2 + 1):
            series += term
            term *= cos * cos * (2 * k) / (2 * k + 1)
        inside = (2 / math.pi) * (theta + sin * series) if df > 1 else 2 * theta / math.pi
    else:
        series, term = 0.0, 1.0
        for k in range(1, df // 2 + 1):
            series += term
            term *= cos * cos * (2 * k - 1) / (2 * k)
        inside = sin * series
    return (1 + inside) / 2


def quantile_by_bisection(level: float, df: int) -> float:
    low, high = 0.0, 100.0
    for _ in range(200):
        middle = (low + high) / 2
        low, high = (middle, high) if student_cdf(middle, df) < level else (low, middle)
    return (low + high) / 2


def cents(value: float | Fraction) -> Decimal:
    if isinstance(value, float):
        exact = Decimal(value)
    else:
        exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def by_hand(strata: dict[str, tuple[int, list[Fraction]]], level: float) -> tuple[Decimal, ...]:
    """Point, SE and lower limit in dollars, stratum by stratum from the units' dollars."""
    point = Fraction(0)
    variance = Fraction(0)
    for big, dollars in strata.values():
        n = len(dollars)
        point += big * statistics.mean(dollars)
        if n < big:
            variance += (
                Fraction(big) ** 2 * (1 - Fraction(n, big)) * statistics.variance(dollars) / n
            )
    df = sum(len(d) for _, d in strata.values()) - len(strata)
    error = math.sqrt(variance)
    lower = float(point) - quantile_by_bisection(level, df) * error
    return cents(point), cents(error), cents(lower)


NIST_090 = [(1, "3.078"), (2, "1.886"), (5, "1.476"), (10, "1.372"), (29, "1.311"), (100, "1.290")]


@pytest.mark.parametrize(("df", "published"), NIST_090, ids=[f"df{d}" for d, _ in NIST_090])
def test_t_quantile_matches_the_published_table(df: int, published: str) -> None:
    assert f"{t_quantile(Fraction(9, 10), df):.3f}" == published


@pytest.mark.parametrize("df", [1, 2, 3, 4, 7, 12, 29, 60])
def test_t_quantile_agrees_with_the_closed_form_distribution(df: int) -> None:
    quantile = t_quantile(Fraction(9, 10), df)
    assert student_cdf(quantile, df) == pytest.approx(0.9, abs=1e-12)
    assert quantile == pytest.approx(quantile_by_bisection(0.9, df), abs=1e-9)


def test_mean_per_unit_worked_by_hand() -> None:
    # N = 100 claims, 5 reviewed: overpayments $0, $10, $20, $30, $40. Mean $20, s^2 = 250,
    # point = 100 * 20 = $2,000; variance = 100^2 * (1 - 5/100) * 250 / 5 = 475,000;
    # SE = $689.20; t(0.90, 4) = 1.533206; lower limit = 2000 - 1056.69 = $943.31.
    result = estimate([stratum_totals("all", 100, [0, 1000, 2000, 3000, 4000])])
    assert result.estimator == "mean-per-unit"
    assert result.degrees_of_freedom == 4
    assert result.point_estimate == 2000
    assert cents(result.standard_error) == Decimal("689.20")
    assert cents(result.lower_limit) == Decimal("943.31")
    expected = by_hand({"all": (100, [Fraction(d) for d in (0, 10, 20, 30, 40)])}, 0.9)
    assert expected == (Decimal("2000.00"), Decimal("689.20"), Decimal("943.31"))


def test_stratified_worked_by_hand() -> None:
    reviewed = {
        "0-100": (400, [Fraction(c, 100) for c in (0, 2500, 1250, 0, 4999, 800)]),
        "100-500": (150, [Fraction(c, 100) for c in (10000, 0, 25075, 3300, 12000)]),
        "500+": (4, [Fraction(c, 100) for c in (90000, 0, 55012, 70000)]),
    }
    totals = [
        stratum_totals(name, big, [int(d * 100) for d in dollars])
        for name, (big, dollars) in reviewed.items()
    ]
    result = estimate(totals)
    assert result.estimator == "stratified"
    assert result.degrees_of_freedom == 15 - 3
    assert (cents(result.point_estimate), cents(result.standard_error)) == by_hand(reviewed, 0.9)[
        :2
    ]
    assert cents(result.lower_limit) == by_hand(reviewed, 0.9)[2]


amounts = st.lists(st.integers(min_value=-50_000, max_value=5_000_000), min_size=2, max_size=12)


@st.composite
def strata(draw: st.DrawFn) -> list[tuple[str, int, list[int]]]:
    count = draw(st.integers(min_value=1, max_value=4))
    found = []
    for index in range(count):
        values = draw(amounts)
        big = draw(st.integers(min_value=len(values), max_value=len(values) * 50))
        found.append((f"s{index}", big, values))
    return found


@given(strata())
@example([("s0", 2, [100, 100])])
def test_stratum_sums_in_columns_equal_the_scalar_form(
    drawn: list[tuple[str, int, list[int]]],
) -> None:
    frame = pl.DataFrame(
        {
            "stratum": [name for name, _, values in drawn for _ in values],
            "cents": [value for _, _, values in drawn for value in values],
        }
    )
    sizes = {name: big for name, big, _ in drawn}
    columnar = stratum_totals_frame(frame, sizes, stratum="stratum", cents="cents")
    assert columnar == [stratum_totals(name, big, values) for name, big, values in drawn]


@given(strata())
def test_stratified_adds_up_the_strata_each_estimated_alone(
    drawn: list[tuple[str, int, list[int]]],
) -> None:
    totals = [stratum_totals(name, big, values) for name, big, values in drawn]
    whole = estimate(totals)
    alone = [estimate([one]) for one in totals]
    assert whole.point_estimate == sum(part.point_estimate for part in alone)
    assert whole.standard_error**2 == pytest.approx(
        sum(part.standard_error**2 for part in alone), rel=1e-9, abs=1e-9
    )
    assert whole.lower_limit <= float(whole.point_estimate) + 1e-9
    assert whole.frame_size == sum(big for _, big, _ in drawn)


@given(amounts)
def test_a_frame_reviewed_whole_is_its_own_total(values: list[int]) -> None:
    result = estimate([stratum_totals("all", len(values), values)])
    assert result.point_estimate == Fraction(sum(values), 100)
    assert result.standard_error == 0
    assert result.lower_limit == float(result.point_estimate)


def test_satterthwaite_between_the_smallest_stratum_and_n_minus_strata() -> None:
    totals = [
        stratum_totals("a", 500, [0, 100, 2500, 40, 7]),
        stratum_totals("b", 80, [9000, 10, 5000]),
    ]
    df = satterthwaite(totals)
    assert min(5, 3) - 1 <= df <= 8 - 2
    result = estimate(totals, degrees_of_freedom="satterthwaite")
    assert result.degrees_of_freedom == df
    assert result.degrees_of_freedom_rule == "satterthwaite"


def test_satterthwaite_without_variance_falls_back_to_n_minus_strata() -> None:
    totals = [stratum_totals("a", 5, [1, 1, 1]), stratum_totals("b", 2, [3, 4])]
    assert satterthwaite(totals) == 5 - 2


def test_one_unit_short_of_its_stratum_is_refused() -> None:
    with pytest.raises(EstimateError, match="stratum 'b': 1 unit reviewed of 9") as caught:
        estimate([stratum_totals("a", 10, [1, 2]), stratum_totals("b", 9, [5])])
    assert caught.value.stratum == "b"


def test_more_reviewed_than_the_frame_is_refused() -> None:
    with pytest.raises(EstimateError, match="3 units reviewed, more than its 2"):
        estimate([StratumTotals("a", 2, 3, 3, 3)])


def test_no_stratum_is_refused() -> None:
    with pytest.raises(EstimateError, match="no reviewed unit"):
        estimate([])


def test_without_scipy_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "scipy.stats", None)
    with pytest.raises(EstimateError, match=r"pip install 'unitcalc\[stats\]'"):
        t_quantile(Fraction(9, 10), 4)
