"""Audits through the library: billed units as written by billing scripts, codes billed
under several disciplines, codes billed without minutes, and audits under a payer cap;
the checks on the library's own arguments."""

from __future__ import annotations

from decimal import Decimal

import pytest

from unitcalc import InvalidServiceError, ServiceLine, audit, calculate, get_rule
from unitcalc.core.values import parse_units
from unitcalc.engine.payers import PayerProfile, parse_profiles


@pytest.mark.parametrize(
    ("value", "units"),
    [(0, 0), (2, 2), (9999, 9999), (2.0, 2), (" 3 ", 3), ("3.00", 3), ("3.", 3)],
    ids=["zero", "int", "largest", "float-whole", "padded-text", "text-zero-fraction", "text-trailing-dot"],
)  # fmt: skip
def test_billed_units_accepted(value: object, units: int) -> None:
    assert parse_units(value, code="97110") == units


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (True, "billed_units True is true/false; give a whole number of units"),
        (2.5, "billed_units 2.5 is not a whole number of units"),
        (float("nan"), "billed_units nan is not a whole number of units"),
        (float("inf"), "billed_units inf is not a whole number of units"),
        ([2], "billed_units [2] is a list; give a whole number of units"),
        (-1, "billed_units -1 is negative"),
        (10000, "billed_units 10000 is more units than one day can hold"),
        ("3.5", "billed_units '3.5' is not a whole number of units 0 or more"),
        ("-1", "billed_units '-1' is not a whole number of units 0 or more"),
        ("two", "billed_units 'two' is not a whole number of units 0 or more"),
        ("  ", "billed_units '  ' is empty; write 0 if no unit was billed"),
    ],
    ids=["true", "fraction", "nan", "infinity", "list", "negative", "too-many",
         "text-fraction", "text-negative", "word", "blank"],
)  # fmt: skip
def test_billed_units_refused_name_the_code_and_value(value: object, problem: str) -> None:
    with pytest.raises(InvalidServiceError) as caught:
        parse_units(value, code="97110")
    assert str(caught.value) == f"97110: {problem}"
    assert (caught.value.code, caught.value.field) == ("97110", "billed_units")


def test_billed_units_without_a_code_say_service() -> None:
    with pytest.raises(InvalidServiceError, match=r"^service: billed_units -2 is negative$"):
        parse_units(-2, code=None)


TWO_DISCIPLINES = [
    ServiceLine("97110", 20, discipline="GP"),
    ServiceLine("97110", 20, discipline="GO"),
]


def test_a_code_counted_in_two_disciplines_needs_billed_units_per_discipline() -> None:
    with pytest.raises(InvalidServiceError) as caught:
        audit(TWO_DISCIPLINES, {"97110": 2})
    assert str(caught.value) == (
        "97110 was counted under several disciplines: give its billed units per discipline "
        "(97110-PT, 97110-OT)"
    )
    assert (caught.value.code, caught.value.field, caught.value.value) == (
        "97110",
        "billed_units",
        2,
    )


def test_billed_per_discipline_the_same_code_is_audited_in_each_pool() -> None:
    finding = audit(TWO_DISCIPLINES, {"97110-GP": 1, "97110-GO": 1})
    assert finding.status == "ok"
    assert dict(finding.billed) == {"97110": 2}


def test_pooled_by_day_a_plain_code_is_enough() -> None:
    # 40 minutes in the day: 3 units, not the 2 of two 20-minute pools.
    finding = audit(TWO_DISCIPLINES, {"97110": 2}, pooling="day")
    assert finding.status == "under"
    assert finding.difference == -1
    assert "the documented minutes support 3 under cms: 1 unit under" in finding.message


@pytest.mark.parametrize(
    ("billed", "status", "allowed_97140"),
    [
        ({"97110": 2, "97140": 1}, "over", 0),
        ({"97110": 2, "97140": 0}, "ok", 0),
        ({"97110": 1, "97140": 1}, "misallocated", 0),
    ],
    ids=["unit-on-undocumented-code", "zero-on-undocumented-code", "moved-to-undocumented-code"],
)
def test_units_billed_on_a_code_with_no_documented_minutes(
    billed: dict[str, int], status: str, allowed_97140: int
) -> None:
    finding = audit({"97110": 33}, billed)
    assert finding.status == status
    assert finding.allowed["97140"] == allowed_97140
    assert finding.allowed["97110"] == 2


def test_misallocation_says_which_units_to_move() -> None:
    finding = audit({"97110": 33}, {"97110": 1, "97140": 1})
    assert finding.message == (
        "Billed 2 units (97110 x1, 97140 x1): the right total, on the wrong codes. cms allows "
        "2 units as 97110 x2, 97140 x0: move units from 97140 to 97110."
    )


TIE = {"97110": 23, "97112": 23}  # 46 min: 3 units, the third tied; a cap of 2 keeps 2


@pytest.fixture
def cap2() -> object:
    return parse_profiles("[payers.p]\ndaily_unit_cap = 2\n", source_name="t")["p"]


class TestUnderACap:
    @pytest.mark.parametrize(
        ("billed", "status"),
        [
            ({"97110": 2, "97112": 0}, "ok"),
            ({"97110": 1, "97112": 1}, "ok"),
            ({"97110": 0, "97112": 2}, "ok"),
            ({"97110": 3, "97112": 0}, "over"),
            ({"97110": 1, "97112": 0}, "under"),
        ],
        ids=["extra-on-97110", "one-each", "extra-on-97112", "over-the-cap", "under-the-cap"],
    )
    def test_any_trim_of_a_tie_to_the_cap_is_compliant(
        self, cap2: object, billed: dict[str, int], status: str
    ) -> None:
        finding = audit(TIE, billed, payer=cap2)  # type: ignore[arg-type]
        assert finding.status == status
        assert finding.message.endswith(
            "p's cap applies: the minutes support more (97112 x1 removed)."
        )

    def test_two_extra_units_on_one_code_are_not(self) -> None:
        cap = parse_profiles("[payers.p]\ndaily_unit_cap = 4\n", source_name="t")["p"]
        visit = {"97110": 40, "97140": 30, "97530": 20}  # 3 + 2 + 1, capped to 4
        finding = audit(visit, {"97110": 4, "97140": 0, "97530": 0}, payer=cap)
        assert finding.status == "misallocated"
        assert "move units from 97110 to 97140" in finding.message


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"pooling": "week"}, ValueError, "pooling must be one of discipline, day, not 'week'"),
        ({"max_alternatives": -1}, ValueError, "max_alternatives must be 0 or more"),
        ({"max_alternatives": 2.0}, TypeError, "max_alternatives must be a whole number, not 2.0"),
    ],
    ids=["unknown-pooling", "negative-alternatives", "fractional-alternatives"],
)
def test_calculate_checks_its_options(
    options: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as caught:
        calculate({"97110": 33}, **options)  # type: ignore[arg-type]
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("minutes", "problem"),
    [
        (Decimal("NaN"), "is not a number"),
        (Decimal("Infinity"), "is not a number"),
        (Decimal("7.5"), "has a fraction"),
        (Decimal("-3"), "is negative"),
    ],
    ids=["decimal-nan", "decimal-infinity", "decimal-fraction", "decimal-negative"],
)
def test_decimal_minutes_are_checked_exactly(minutes: Decimal, problem: str) -> None:
    with pytest.raises(InvalidServiceError, match=f"^97110: minutes .* {problem}") as caught:
        ServiceLine("97110", minutes)  # type: ignore[arg-type]
    assert caught.value.field == "minutes"


def test_decimal_minutes_with_a_zero_fraction_count() -> None:
    assert ServiceLine("97110", Decimal("33.00")).minutes == 33  # type: ignore[arg-type]


@pytest.mark.parametrize("discipline", [3, ["PT"]], ids=["number", "list"])
def test_a_discipline_must_be_text(discipline: object) -> None:
    with pytest.raises(InvalidServiceError) as caught:
        ServiceLine("97110", 20, discipline=discipline)  # type: ignore[arg-type]
    assert f"discipline {discipline!r} must be text: PT, OT or SLP (or GP, GO, GN)" in str(
        caught.value
    )
    assert caught.value.field == "discipline"


def test_a_rule_object_is_accepted_where_a_name_is() -> None:
    ama = get_rule("per-code")
    assert get_rule(ama) is ama
    result = calculate({"97110": 8, "97140": 8}, rule=ama)
    assert (result.rule, result.total_units) == ("ama", 2)  # cms would give 1


def test_an_ok_capped_day_is_allowed_what_it_bills() -> None:
    # Under a visit cap of 4 in claim order the closest allocation kept would be 97110 x2,
    # 97112 x2; billing 97110 x1, 97112 x3 also fits under the cap and is ok: it is its own
    # allowed allocation, as a tie's billed choice is.
    payer = PayerProfile("cap4", rule="ama", visit_unit_cap=4)
    finding = audit({"97110": 30, "97112": 38}, {"97110": 1, "97112": 3}, payer=payer)
    assert finding.status == "ok"
    assert dict(finding.allowed) == {"97110": 1, "97112": 3}
    over = audit({"97110": 30, "97112": 38}, {"97110": 2, "97112": 3}, payer=payer)
    assert (over.status, dict(over.allowed)) == ("over", {"97110": 2, "97112": 2})
