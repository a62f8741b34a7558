"""The extrapolation held to a published worked example: the 1992 U.S. Census of
Agriculture samples of Sharon L. Lohr, *Sampling: Design and Analysis*, 3rd ed. (CRC
Press, 2021), worked in the book's Examples 2.6, 2.7 and 2.11 (a simple random sample:
the mean-per-unit estimator) and 3.2 and 3.6 (a stratified random sample). The same
examples are worked with R in Y. Lu and S. L. Lohr, *R Companion for Sampling: Design and
Analysis, 3rd Edition* (CRC Press, 2021), chapters 2 and 3.

The data (tests/fixtures/published, see its README.md) are the book's own, from its data
package SDAResources 0.1.1 (https://CRAN.R-project.org/package=SDAResources; datasets
``agsrs`` and ``agstrat``, column ``acres92``): the acres devoted to farms in 1992 of 300
of the N = 3,078 counties, drawn as a simple random sample, and of 300 counties drawn as
a stratified random sample of the four census regions (proportional allocation: NC 103
of 1,054, NE 21 of 220, S 135 of 1,382, W 41 of 422). The estimator does not care what the unit of the amount is: an acre is read as a
dollar.

The published figures, which the book prints rounded to the whole acre (and the stratum
means to the hundredth):

- simple random sample: sample mean 297,897.0 and standard deviation 344,551.9 (s), SE of
  the mean 18,898.434; the estimated total 916,927,110 with standard error 58,169,381;
- stratified sample, per region n_h, mean and variance s_h^2: NC 103, 300,504.16,
  29,618,183,543; NE 21, 97,629.81, 7,647,472,708; S 135, 211,315.04, 53,587,487,856;
  W 41, 662,295.51, 396,185,950,266; the estimated total 909,736,035 with standard error
  50,417,248.

The book's confidence intervals are two-sided 95 percent ones on Student's t with n - 1
(Example 2.11) and n - H (Example 3.6: 300 - 4 = 296, unitcalc's ``n-minus-strata``)
degrees of freedom, as the R Companion's code for those examples computes them
(``qt(.975, n - 1)``; ``confint(..., df = degf(dstr))``); the lower end of a two-sided 95
percent interval is the lower limit of a one-sided 97.5 percent one, which is what
``--confidence 0.975`` gives. Those lower ends, 802,453,859 and 810,514,350, are as that
code prints them in public reproductions of these examples; the book's pages themselves
could not be read here, so the limits are checked as well by the independent computation
of tests/payment/test_estimate.py (fractions, and the t quantile by bisection on the
closed-form distribution), to the cent, beside the PIM's own one-sided 90 percent limit.
"""

from __future__ import annotations

import csv
import math
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from tests.payment.test_estimate import by_hand, cents
from unitcalc.payment.estimate import Estimate, StratumTotals, estimate, stratum_totals

PUBLISHED = Path(__file__).parents[1] / "fixtures" / "published"
REGIONS = {"NC": 1054, "NE": 220, "S": 1382, "W": 422}
"""Lohr, Example 3.2: the counties of each census region in the frame (N_h)."""


def acres(name: str) -> dict[str, list[int]]:
    """A fixture's values by stratum (``all`` when it has no stratum column), in cents."""
    found: dict[str, list[int]] = {}
    with (PUBLISHED / name).open(newline="") as handle:
        for row in csv.DictReader(handle):
            value = Decimal(row["overpayment"]) * 100
            found.setdefault(row.get("stratum", "all"), []).append(int(value))
    return found


def whole(value: Fraction | float | Decimal) -> int:
    """A figure as the book prints it: rounded to the whole acre."""
    exact = Decimal(value) if isinstance(value, (float, Decimal)) else _decimal(value)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def published_stratum(totals: StratumTotals) -> tuple[int, Decimal, int]:
    """n_h, the mean to the hundredth and s_h^2 to the unit, in acres."""
    mean = _decimal(totals.mean / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return totals.sample_size, mean, whole(totals.variance / 10_000)


def as_dollars(values: dict[str, list[int]]) -> dict[str, tuple[int, list[Fraction]]]:
    sizes = REGIONS if len(values) > 1 else {"all": 3078}
    return {
        name: (sizes[name], [Fraction(v, 100) for v in cells]) for name, cells in values.items()
    }


def test_the_fixtures_are_the_books_samples() -> None:
    srs, stratified = acres("lohr_agsrs.csv"), acres("lohr_agstrat.csv")
    assert [len(v) for v in srs.values()] == [300]
    assert {name: len(v) for name, v in stratified.items()} == {
        "NC": 103,
        "NE": 21,
        "S": 135,
        "W": 41,
    }
    assert sum(REGIONS.values()) == 3078


def test_mean_per_unit_reproduces_lohr_examples_2_6_2_7_and_2_11() -> None:
    values = acres("lohr_agsrs.csv")["all"]
    totals = stratum_totals("all", 3078, values)
    assert round(float(totals.mean) / 100, 1) == 297_897.0
    assert round(math.sqrt(totals.variance) / 100, 1) == 344_551.9
    result = estimate([totals], confidence=Fraction(975, 1000))
    assert (result.estimator, result.frame_size, result.sample_size) == ("mean-per-unit", 3078, 300)
    assert result.degrees_of_freedom == 299
    assert whole(result.point_estimate) == 916_927_110
    assert whole(result.standard_error) == 58_169_381
    assert round(result.standard_error / 3078, 3) == 18_898.434
    assert whole(result.lower_limit) == 802_453_859
    _to_the_cent(result, as_dollars({"all": values}), 0.975)


def test_stratified_reproduces_lohr_examples_3_2_and_3_6() -> None:
    values = acres("lohr_agstrat.csv")
    totals = [stratum_totals(name, REGIONS[name], values[name]) for name in REGIONS]
    assert [published_stratum(t) for t in totals] == [
        (103, Decimal("300504.16"), 29_618_183_543),
        (21, Decimal("97629.81"), 7_647_472_708),
        (135, Decimal("211315.04"), 53_587_487_856),
        (41, Decimal("662295.51"), 396_185_950_266),
    ]
    result = estimate(totals, confidence=Fraction(975, 1000))
    assert (result.estimator, result.frame_size, result.sample_size) == ("stratified", 3078, 300)
    assert (result.degrees_of_freedom, result.degrees_of_freedom_rule) == (296, "n-minus-strata")
    assert whole(result.point_estimate) == 909_736_035
    assert whole(result.standard_error) == 50_417_248
    assert whole(result.lower_limit) == 810_514_350
    _to_the_cent(result, as_dollars(values), 0.975)


@pytest.mark.parametrize("fixture", ["lohr_agsrs.csv", "lohr_agstrat.csv"])
def test_the_pims_one_sided_90_percent_limit_to_the_cent(fixture: str) -> None:
    values = acres(fixture)
    sizes = REGIONS if len(values) > 1 else {"all": 3078}
    result = estimate([stratum_totals(name, sizes[name], values[name]) for name in values])
    assert result.confidence == Fraction(9, 10)
    _to_the_cent(result, as_dollars(values), 0.9)


def _to_the_cent(
    result: Estimate, reviewed: dict[str, tuple[int, list[Fraction]]], level: float
) -> None:
    point, error, lower = by_hand(reviewed, level)
    assert cents(result.point_estimate) == point
    assert cents(result.standard_error) == error
    assert cents(result.lower_limit) == lower
