"""Assistant modifiers CQ/CO: the per-unit split, its options and dates, the engine's use
of it, payer differentials, and the audit of billed modifiers (docs/rules.md, Assistant modifiers CQ and CO)."""

from __future__ import annotations

import datetime
import itertools
import re

import pytest

import unitcalc
from unitcalc import InvalidServiceError, ServiceLine, calculate
from unitcalc.core.assistant import (
    MEDICARE_PAYMENT,
    AssistantOptions,
    AssistantPayment,
    parse_standards,
    standard_choices,
    standard_named,
    standard_on,
    standards,
)
from unitcalc.core.disciplines import assistant_modifier
from unitcalc.engine.assistant import REQUIRED_FROM, split_units
from unitcalc.engine.modifiers import (
    FINDING_KINDS,
    BilledLine,
    check_billed_lines,
    check_modifier_count,
    parse_modifiers,
)
from unitcalc.engine.payers import PayerProfile, PayerProfileError, parse_profiles

DAY = datetime.date(2026, 3, 2)


def split(units: int, therapist: int, assistant: int, **options: object) -> int:
    """How many of ``units`` take CQ (PT, timed 15-minute code, 2026)."""
    return split_units(
        code="97110",
        discipline="PT",
        units=units,
        therapist_minutes=therapist,
        assistant_minutes=assistant,
        date_of_service=DAY,
        **options,  # type: ignore[arg-type]
    ).with_modifier


# (units, therapist, assistant, with the modifier): boundaries of rules 1-4.
TIMED_CASES = [
    pytest.param(1, 5, 10, 1, id="A10-T5-rule2-example-A"),
    pytest.param(1, 7, 8, 1, id="A8-T7-rule2-assistant-8"),
    pytest.param(1, 8, 7, 0, id="A7-T8-rule2-therapist-8"),
    pytest.param(1, 8, 8, 0, id="A8-T8-rule2-therapist-wins"),
    pytest.param(1, 7, 1, 1, id="A1-T7-rule3-12pct"),
    pytest.param(1, 7, 0, 0, id="A0-T7-rule3-none"),
    pytest.param(1, 14, 1, 0, id="A1-T14-rule2"),
    pytest.param(1, 0, 15, 1, id="A15-rule1-full-unit"),
    pytest.param(1, 15, 0, 0, id="T15-rule1-full-unit"),
    pytest.param(2, 13, 23, 1, id="A23-T13-rules-1-2"),
    pytest.param(3, 30, 15, 1, id="A15-T30-full-units"),
    pytest.param(4, 30, 30, 2, id="A30-T30-full-units"),
    pytest.param(2, 12, 12, 1, id="A12-T12-rule4"),
    pytest.param(2, 9, 14, 1, id="A14-T9-rule4"),
    pytest.param(2, 6, 14, 1, id="A14-T6-two-left-derived"),
    pytest.param(2, 14, 0, 0, id="T14-two-left-no-assistant"),
    pytest.param(3, 12, 12, 1, id="three-left-one-beyond-minutes"),
    pytest.param(1, 30, 30, 1, id="capped-to-1-assistant-first"),
    pytest.param(0, 5, 2, 0, id="no-units"),
]


@pytest.mark.parametrize(("units", "therapist", "assistant", "expected"), TIMED_CASES)
def test_timed_split(units: int, therapist: int, assistant: int, expected: int) -> None:
    result = split_units(
        code="97110",
        discipline="PT",
        units=units,
        therapist_minutes=therapist,
        assistant_minutes=assistant,
        date_of_service=DAY,
    )
    assert result.with_modifier == expected
    assert result.with_modifier + result.without_modifier == units
    assert len(result.reasons) == units
    assert all("CQ" in reason for reason in result.reasons)


def test_rule_4_off_puts_the_modifier_on_both_units() -> None:
    off = AssistantOptions(split_two_final_units=False)
    assert split(2, 12, 12, options=off) == 2
    assert split(2, 6, 14, options=off) == 1  # outside the 9-14 band rule 4 does not speak


def test_de_minimis_reading_on_a_30_minute_unit() -> None:
    # Both under the 16-minute midpoint; the assistant's 1 of 10 minutes is exactly 10%.
    kwargs = {"units": 1, "therapist": 9, "assistant": 1, "unit_minutes": 30}
    assert split(**kwargs) == 0  # type: ignore[arg-type]
    at_least = AssistantOptions(de_minimis="at-least")
    assert split(**kwargs, options=at_least) == 1  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("therapist", "assistant", "reading", "expected"),
    [
        pytest.param(27, 3, "more-than", 0, id="10pct-more-than"),
        pytest.param(27, 3, "at-least", 1, id="10pct-at-least"),
        pytest.param(26, 4, "more-than", 1, id="13pct"),
        pytest.param(30, 0, "at-least", 0, id="none"),
    ],
)
def test_untimed_service_by_the_10_percent_test(
    therapist: int, assistant: int, reading: str, expected: int
) -> None:
    result = split_units(
        code="97150",
        discipline="PT",
        units=1,
        therapist_minutes=therapist,
        assistant_minutes=assistant,
        timed=False,
        unit_minutes=0,
        options=AssistantOptions(de_minimis=reading),  # type: ignore[arg-type]
    )
    assert result.with_modifier == expected
    assert "untimed" in result.reasons[0]


def test_dates() -> None:
    kwargs = {
        "code": "97110",
        "discipline": "PT",
        "units": 1,
        "therapist_minutes": 5,
        "assistant_minutes": 10,
    }
    before = split_units(**kwargs, date_of_service=datetime.date(2019, 12, 31))  # type: ignore[arg-type]
    assert (before.with_modifier, before.modifier, before.paid_percent) == (0, None, 100)
    assert "before 2020-01-01" in before.reasons[0]
    first = split_units(**kwargs, date_of_service=datetime.date(2020, 1, 1))  # type: ignore[arg-type]
    assert (first.with_modifier, first.modifier, first.paid_percent) == (1, "CQ", 100)
    reduced = split_units(**kwargs, date_of_service=datetime.date(2022, 1, 1))  # type: ignore[arg-type]
    assert reduced.paid_percent == 85
    undated = split_units(**kwargs)  # type: ignore[arg-type]
    assert undated.paid_percent == 85


def test_payment() -> None:
    assert MEDICARE_PAYMENT.percent_on(datetime.date(2021, 12, 31)) == 100
    assert MEDICARE_PAYMENT.percent_on(None) == 85
    assert AssistantPayment(applies=False).percent_on(DAY) == 100
    aetna = AssistantPayment(paid_percent=85, effective=datetime.date(2024, 3, 1))
    assert aetna.percent_on(datetime.date(2024, 2, 29)) == 100
    with pytest.raises(ValueError, match="1 to 100"):
        AssistantPayment(paid_percent=0)
    with pytest.raises(ValueError, match="de_minimis"):
        AssistantOptions(de_minimis="half")  # type: ignore[arg-type]


def test_evaluations_warn() -> None:
    result = split_units(
        code="97161",
        discipline="PT",
        units=1,
        therapist_minutes=40,
        assistant_minutes=10,
        timed=False,
        unit_minutes=0,
    )
    [note] = result.warnings
    assert "evaluation" in note.text
    assert (note.kind, note.codes) == ("assistant", ("97161",))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"discipline": "SLP"}, "SLP has no assistant modifier"),
        ({"discipline": None}, "need the discipline"),
        ({"units": -1}, "units must be a whole number 0 or more"),
        ({"assistant_minutes": True}, "assistant_minutes must be a whole number"),
        ({"unit_minutes": 0}, "needs a unit length"),
    ],
)
def test_split_errors(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {
        "code": "97110",
        "discipline": "PT",
        "units": 1,
        "therapist_minutes": 5,
        "assistant_minutes": 10,
    }
    arguments.update(kwargs)
    with pytest.raises(InvalidServiceError, match=message):
        split_units(**arguments)  # type: ignore[arg-type]


def test_modifiers() -> None:
    assert assistant_modifier("PT") == "CQ"
    assert assistant_modifier("OT") == "CO"


# --- The standard in force on the date of service ---------------------------------------

IN_2021 = datetime.date(2021, 6, 1)

# (units, therapist, assistant, with CQ in 2021 (CY 2020 standard, per unit), with CQ in
# 2026 (CY 2022 standard)): the two standards differ only on units made of minutes left
# over, where the CY 2022 exceptions apply.
BY_STANDARD_CASES = [
    pytest.param(1, 8, 7, 1, 0, id="T8-A7-issue-21"),
    pytest.param(1, 8, 8, 1, 0, id="T8-A8"),
    pytest.param(1, 13, 2, 1, 0, id="T13-A2-13pct"),
    pytest.param(1, 5, 10, 1, 1, id="A10-T5-example-A"),
    pytest.param(1, 7, 1, 1, 1, id="A1-T7-12pct"),
    pytest.param(1, 14, 1, 0, 0, id="A1-T14-7pct"),
    pytest.param(1, 9, 1, 0, 0, id="A1-T9-exactly-10pct"),
    pytest.param(1, 7, 0, 0, 0, id="no-assistant"),
    pytest.param(1, 0, 15, 1, 1, id="A15-full-unit"),
    pytest.param(1, 15, 0, 0, 0, id="T15-full-unit"),
    pytest.param(2, 13, 23, 2, 1, id="A23-T13-cms-scenario-1"),
    pytest.param(3, 30, 15, 1, 1, id="A15-T30-full-units"),
    pytest.param(2, 20, 10, 1, 1, id="T20-A10-final-unit-assistant"),
    pytest.param(2, 12, 12, 2, 1, id="A12-T12-two-left"),
    pytest.param(2, 14, 2, 2, 1, id="A2-T14-two-left-12pct"),
    pytest.param(2, 14, 1, 0, 1, id="A1-T14-two-left-7pct"),
    pytest.param(2, 14, 0, 0, 0, id="T14-two-left-no-assistant"),
    pytest.param(3, 12, 12, 2, 1, id="three-left-one-beyond-minutes"),
    pytest.param(1, 30, 30, 1, 1, id="capped-to-1-assistant-first"),
    pytest.param(2, 15, 0, 0, 0, id="T15-a-unit-beyond-the-minutes"),
    pytest.param(0, 5, 2, 0, 0, id="no-units"),
]


@pytest.mark.parametrize(
    ("units", "therapist", "assistant", "in_2021", "in_2026"), BY_STANDARD_CASES
)
def test_the_standard_of_the_date_of_service_decides(
    units: int, therapist: int, assistant: int, in_2021: int, in_2026: int
) -> None:
    for day, expected, name in ((IN_2021, in_2021, "cy2020"), (DAY, in_2026, "cy2022")):
        result = split_units(
            code="97110",
            discipline="PT",
            units=units,
            therapist_minutes=therapist,
            assistant_minutes=assistant,
            date_of_service=day,
        )
        assert (result.with_modifier, result.standard) == (expected, name), day
        assert result.with_modifier + result.without_modifier == units
        assert len(result.reasons) == units


def test_a_2021_final_unit_cites_the_cy_2020_standard() -> None:
    result = split_units(
        code="97110",
        discipline="PT",
        units=2,
        therapist_minutes=13,
        assistant_minutes=23,
        date_of_service=IN_2021,
    )
    cited = "the CY 2020 de minimis standard, per unit, in force 2020-01-01 to 2021-12-31"
    assert all(cited in reason and "84 FR 62702-62707" in reason for reason in result.reasons)
    assert not any("CY 2022" in reason or "rule 2" in reason for reason in result.reasons)
    final = result.reasons[1]
    assert final.startswith("97110 unit 2, the final unit: CQ: the assistant furnished 8 of its 21")
    assert "the therapist's minutes exempt a final unit only from 2022-01-01" in final
    # From 2022 the same minutes cite the CY 2022 rule.
    later = split_units(
        code="97110",
        discipline="PT",
        units=2,
        therapist_minutes=13,
        assistant_minutes=23,
        date_of_service=datetime.date(2022, 1, 1),
    )
    assert all("CY 2022 final rule, 86 FR 64996" in reason for reason in later.reasons)


def test_two_units_left_in_2021_are_judged_together() -> None:
    result = split_units(
        code="97110",
        discipline="PT",
        units=2,
        therapist_minutes=12,
        assistant_minutes=12,
        date_of_service=IN_2021,
        options=AssistantOptions(split_two_final_units=True),  # rule 4 is CY 2022's
    )
    assert result.with_modifier == 2
    assert all("judged together" in reason and "DERIVED" in reason for reason in result.reasons)


def test_the_de_minimis_reading_applies_in_2021_too() -> None:
    # The assistant's 1 of the final unit's 10 minutes: exactly 10%.
    kwargs = {"units": 1, "therapist_minutes": 9, "assistant_minutes": 1}
    plain = split_units(code="97110", discipline="PT", date_of_service=IN_2021, **kwargs)
    assert plain.with_modifier == 0
    at_least = AssistantOptions(de_minimis="at-least")
    result = split_units(
        code="97110", discipline="PT", date_of_service=IN_2021, options=at_least, **kwargs
    )
    assert result.with_modifier == 1
    assert "10% or more" in result.reasons[0]


def test_untimed_service_in_2021_cites_its_standard() -> None:
    result = split_units(
        code="97150",
        discipline="OT",
        units=1,
        therapist_minutes=26,
        assistant_minutes=4,
        timed=False,
        unit_minutes=0,
        date_of_service=IN_2021,
    )
    assert (result.with_modifier, result.modifier, result.paid_percent) == (1, "CO", 100)
    assert "the CY 2020 de minimis standard, per unit" in result.reasons[0]
    assert "untimed services" in result.reasons[0]


@pytest.mark.parametrize(
    ("day", "name"),
    [
        pytest.param(datetime.date(2019, 12, 31), None, id="2019-12-31-none"),
        pytest.param(datetime.date(2020, 1, 1), "cy2020", id="2020-01-01"),
        pytest.param(datetime.date(2021, 12, 31), "cy2020", id="2021-12-31"),
        pytest.param(datetime.date(2022, 1, 1), "cy2022", id="2022-01-01"),
        pytest.param(None, "cy2022", id="undated-now"),
    ],
)
def test_the_standard_in_force(day: datetime.date | None, name: str | None) -> None:
    found = standard_on(day)
    assert (found.name if found else None) == name
    split = split_units(
        code="97110",
        discipline="PT",
        units=1,
        therapist_minutes=8,
        assistant_minutes=7,
        date_of_service=day,
    )
    assert split.standard == name
    assert (split.modifier is None) == (name is None)


def test_the_standards_data() -> None:
    found = standards()
    assert found[0].valid_from == REQUIRED_FROM
    for earlier, later in itertools.pairwise(found):
        # Contiguous: every date of service from the first on has a standard.
        assert earlier.valid_to is not None
        assert later.valid_from == earlier.valid_to + datetime.timedelta(days=1)
    assert found[-1].valid_to is None
    for standard in found:
        assert standard.sources
        assert all(standard.sources)
        # What the reasons cite is among the standard's full sources.
        for cited in (standard.cite, standard.de_minimis_cite):
            register = re.search(r"\d+ FR \d+", cited)
            assert register is not None
            assert any(register.group(0) in source for source in standard.sources)
        assert standard_named(standard.name) is standard
    assert standard_choices() == ("by-date", *(standard.name for standard in found))
    assert found[0].window == "2020-01-01 to 2021-12-31"
    assert found[-1].window == "from 2022-01-01"


def document(**changes: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "name": "a",
        "label": "a standard",
        "method": "per-unit",
        "valid_from": datetime.date(2020, 1, 1),
        "cite": "a rule",
        "de_minimis_cite": "a rule",
        "source": ["rule"],
    }
    entry.update(changes)
    return {"sources": {"rule": "a rule, with its address"}, "standard": [entry]}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        pytest.param(document(method="per-code"), "unknown method 'per-code'", id="method"),
        pytest.param(document(source=["nowhere"]), "sources \\['nowhere'\\]", id="source"),
        pytest.param(document(source=[]), "sources \\[\\] not in", id="no-source"),
        pytest.param(
            {
                "sources": {"rule": "a rule"},
                "standard": [
                    *document()["standard"],  # type: ignore[misc]
                    *document(name="b", valid_from=datetime.date(2021, 1, 1))["standard"],  # type: ignore[misc]
                ],
            },
            "a and b: windows overlap",
            id="overlap",
        ),
    ],
)
def test_standards_data_errors(bad: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_standards(bad)


def test_the_standard_option() -> None:
    kwargs = {
        "code": "97110",
        "discipline": "PT",
        "units": 1,
        "therapist_minutes": 8,
        "assistant_minutes": 7,
    }
    cy2022 = AssistantOptions(standard="cy2022")
    late = split_units(**kwargs, date_of_service=IN_2021, options=cy2022)  # type: ignore[arg-type]
    assert (late.with_modifier, late.standard, late.paid_percent) == (0, "cy2022", 100)
    cy2020 = AssistantOptions(standard="cy2020")
    early = split_units(**kwargs, date_of_service=DAY, options=cy2020)  # type: ignore[arg-type]
    assert (early.with_modifier, early.standard, early.paid_percent) == (1, "cy2020", 85)
    # Before 2020 no standard applies, whichever is named.
    old = split_units(**kwargs, date_of_service=datetime.date(2019, 6, 1), options=cy2020)  # type: ignore[arg-type]
    assert (old.with_modifier, old.modifier, old.standard) == (0, None, None)
    assert AssistantOptions().standard == "by-date"
    with pytest.raises(ValueError, match="standard must be one of by-date, cy2020, cy2022"):
        AssistantOptions(standard="cy2021")
    with pytest.raises(ValueError, match="no assistant modifier standard 'cy2021'"):
        standard_named("cy2021")


def test_the_engine_and_its_cache_follow_the_date() -> None:
    lines = [ServiceLine("97110", 8, assistant_minutes=7, discipline="PT")]
    assert calculate(lines, date_of_service=IN_2021).assistant["97110"].with_modifier == 1
    assert calculate(lines, date_of_service=DAY).assistant["97110"].with_modifier == 0
    forced = AssistantOptions(standard="cy2022")
    result = calculate(lines, date_of_service=IN_2021, assistant_options=forced)
    assert result.assistant["97110"].with_modifier == 0


# --- Service lines and the engine ------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"discipline": "SLP"}, "assistant_minutes", "SLP has no assistant modifier"),
        ({}, "assistant_minutes", "97110-GP=13\\+23"),
        ({"discipline": "PT", "minutes": None}, "minutes", "give both"),
        ({"discipline": "PT", "assistant_minutes": 2.5}, "assistant_minutes", "assistant minutes"),
    ],
)
def test_service_line_errors(kwargs: dict[str, object], field: str, message: str) -> None:
    arguments: dict[str, object] = {"minutes": 13, "assistant_minutes": 23}
    arguments.update(kwargs)
    with pytest.raises(InvalidServiceError, match=message) as caught:
        ServiceLine("97110", **arguments)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_service_line_repr_and_zero() -> None:
    line = ServiceLine("97110", 13, assistant_minutes="23", discipline="GP")
    assert line.assistant_minutes == 23
    assert repr(line).endswith("assistant_minutes=23)")
    assert ServiceLine("97110", 13, assistant_minutes=0).assistant_minutes == 0


def test_the_code_total_is_the_sum_and_the_json_shape() -> None:
    result = calculate(
        [ServiceLine("97110", 13, assistant_minutes=23, discipline="PT")], date_of_service=DAY
    )
    assert result.lines[0].minutes == 36
    assert result.total_timed_minutes == 36
    data = result.to_dict()
    assert data["assistant"] == {
        "97110": {"with_modifier": 1, "without_modifier": 1, "modifier": "CQ", "paid_percent": 85}
    }
    assert data["date_of_service"] == "2026-03-02"
    assert data["lines"][0]["assistant"]["reasons"][0].startswith("97110 unit 1: CQ")
    assert "assistant" not in calculate({"97110": 36}).to_dict()


def test_several_lines_of_a_code_add_up() -> None:
    lines = [
        ServiceLine("97110", 5, assistant_minutes=10, discipline="PT"),
        ServiceLine("97110", 8, assistant_minutes=13, discipline="PT"),
    ]
    result = calculate(lines, date_of_service=DAY)
    assert (result.assistant["97110"].therapist_minutes, result.assistant["97110"].units) == (13, 2)
    assert result.assistant["97110"].assistant_minutes == 23


def test_a_code_in_two_disciplines_is_keyed_by_discipline() -> None:
    lines = [
        ServiceLine("97110", 0, assistant_minutes=15, discipline="PT"),
        ServiceLine("97110", 15, assistant_minutes=0, discipline="OT"),
    ]
    result = calculate(lines, date_of_service=DAY)
    assert result.assistant["97110-PT"].with_modifier == 1
    assert result.assistant["97110-OT"].modifier == "CO"
    assert result.assistant["97110-OT"].with_modifier == 0


def test_day_pooling_needs_one_discipline_per_code() -> None:
    lines = [
        ServiceLine("97110", 0, assistant_minutes=15, discipline="PT"),
        ServiceLine("97110", 15, assistant_minutes=5, discipline="OT"),
    ]
    with pytest.raises(
        InvalidServiceError, match=re.escape("calculate(pooling='discipline')")
    ) as caught:
        calculate(lines, pooling="day", date_of_service=DAY)
    assert caught.value.argument == "pooling"
    one = calculate([*lines[:1], ServiceLine("97140", 8)], pooling="day", date_of_service=DAY)
    assert one.assistant["97110"].with_modifier == 1


def test_untimed_code_with_assistant_minutes() -> None:
    result = calculate(
        [ServiceLine("97150", 20, assistant_minutes=20, discipline="PT")], date_of_service=DAY
    )
    assert result.assistant["97150"].with_modifier == 1
    evaluation = calculate(
        [ServiceLine("97161", 40, assistant_minutes=5, discipline="PT")], date_of_service=DAY
    )
    assert any("evaluation" in warning.text for warning in evaluation.warnings)


def test_add_on_family_places_modifier_units_on_the_add_on_first() -> None:
    result = calculate(
        [ServiceLine("97129", 10, assistant_minutes=30, discipline="OT")], date_of_service=DAY
    )
    assert dict(result.units) == {"97129": 1, "97130": 2}
    assert result.assistant["97130"].with_modifier == 2
    assert result.assistant["97129"].with_modifier == 0
    assert result.assistant["97129"].reasons
    assert not result.assistant["97130"].reasons


def test_a_cap_keeps_the_assistant_units_first_and_the_payer_rate_applies() -> None:
    payer = PayerProfile(
        name="acme",
        daily_unit_cap=1,
        assistant_payment=AssistantPayment(paid_percent=90, effective=datetime.date(2024, 3, 1)),
    )
    result = calculate(
        [ServiceLine("97110", 30, assistant_minutes=30, discipline="PT")],
        payer=payer,
        date_of_service=DAY,
    )
    assert result.units["97110"] == 1
    assert (result.assistant["97110"].with_modifier, result.assistant["97110"].paid_percent) == (
        1,
        90,
    )


def test_options_and_dates_reach_the_engine_and_the_cache() -> None:
    lines = [ServiceLine("97110", 12, assistant_minutes=12, discipline="PT")]
    assert calculate(lines, date_of_service=DAY).assistant["97110"].with_modifier == 1
    off = AssistantOptions(split_two_final_units=False)
    assert calculate(lines, assistant_options=off).assistant["97110"].with_modifier == 2
    old = calculate(lines, date_of_service=datetime.date(2019, 6, 1))
    assert old.assistant["97110"].modifier is None


def test_payer_profile_assistant_keys() -> None:
    profiles = parse_profiles(
        """
[payers.aetna-example]
rule = "ama"
assistant_paid_percent = 85
assistant_from = 2024-03-01
assistant_source = "payer bulletin"

[payers.no-differential]
assistant_differential = false

[payers.plain]
rule = "ama"
""",
        source_name="example",
    )
    payment = profiles["aetna-example"].assistant_payment
    assert payment is not None
    assert (payment.paid_percent, payment.effective) == (85, datetime.date(2024, 3, 1))
    nothing = profiles["no-differential"].assistant_payment
    assert nothing is not None
    assert nothing.percent_on(DAY) == 100
    assert profiles["plain"].assistant_payment is None


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ("assistant_differential = 1", "assistant_differential"),
        ("assistant_paid_percent = 150", "assistant_paid_percent"),
        ("assistant_paid_percent = true", "assistant_paid_percent"),
        ('assistant_from = "2024-03-01"', "assistant_from"),
        ("assistant_from = 2024-03-01T10:00:00", "assistant_from"),
        ("assistant_source = 3", "assistant_source"),
    ],
)
def test_payer_profile_assistant_errors(body: str, key: str) -> None:
    with pytest.raises(PayerProfileError) as caught:
        parse_profiles(f"[payers.acme]\n{body}\n", source_name="example")
    assert caught.value.key == key
    assert "line 2" in str(caught.value)


# --- Audit of billed modifiers ---------------------------------------------------------


def due(units: int, therapist: int, assistant: int, day: datetime.date = DAY) -> object:
    return split_units(
        code="97110",
        discipline="PT",
        units=units,
        therapist_minutes=therapist,
        assistant_minutes=assistant,
        date_of_service=day,
    )


def kinds(findings: tuple[object, ...]) -> list[str]:
    return [finding.kind for finding in findings]  # type: ignore[attr-defined]


def test_audit_accepts_the_right_modifiers() -> None:
    split = due(2, 13, 23)
    lines = [BilledLine("97110", 1, "GP;CQ"), BilledLine("97110", 1, "GP")]
    assert check_billed_lines(split, lines) == ()  # type: ignore[arg-type]
    assert check_modifier_count(split, 1) == ()  # type: ignore[arg-type]


def test_audit_finds_a_missing_modifier() -> None:
    split = due(2, 13, 23)
    (finding,) = check_billed_lines(split, [BilledLine("97110", 2, "GP")])  # type: ignore[arg-type]
    assert finding.kind == "missing-modifier"
    assert "paid 15% too much" in finding.message
    assert (finding.billed_with_modifier, finding.due_with_modifier) == (0, 1)
    assert finding.to_dict()["kind"] == "missing-modifier"


def test_audit_finds_a_modifier_not_due() -> None:
    split = due(1, 14, 1)
    (finding,) = check_billed_lines(split, [BilledLine("97110", 1, ["GP", "CQ"])])  # type: ignore[arg-type]
    assert finding.kind == "modifier-not-due"
    assert "paid 15% too little" in finding.message
    assert kinds(check_modifier_count(split, 2)) == ["modifier-not-due"]  # type: ignore[arg-type]


def test_audit_finds_unpaired_modifiers() -> None:
    split = due(1, 5, 10)
    findings = check_billed_lines(split, [BilledLine("97110", 1, "CQ")])  # type: ignore[arg-type]
    assert kinds(findings) == ["unpaired-modifier"]
    assert "rejected" in findings[0].message
    ot = split_units(
        code="97530",
        discipline="OT",
        units=1,
        therapist_minutes=0,
        assistant_minutes=15,
        date_of_service=DAY,
    )
    assert kinds(check_billed_lines(ot, [BilledLine("97530", 1, "CO")])) == ["unpaired-modifier"]
    # CQ on an OT line is a CQ without GP, and no CO for the assistant's unit.
    assert kinds(check_billed_lines(ot, [BilledLine("97530", 1, "GO;CQ")])) == [
        "unpaired-modifier",
        "missing-modifier",
    ]


def test_audit_reads_only_the_lines_of_its_code_and_discipline() -> None:
    split = due(1, 5, 10)
    lines = [
        BilledLine("97110", 1, "GP;CQ"),
        BilledLine("97140", 3, "GP"),
        BilledLine("97110", 2, "GO"),
    ]
    assert check_billed_lines(split, lines) == ()  # type: ignore[arg-type]


def test_audit_by_date() -> None:
    in_2021 = due(1, 5, 10, datetime.date(2021, 6, 1))
    (missing,) = check_modifier_count(in_2021, 0)  # type: ignore[arg-type]
    assert "no payment difference" in missing.message
    (extra,) = check_modifier_count(due(1, 14, 0, datetime.date(2021, 6, 1)), 1)  # type: ignore[arg-type]
    assert "misstates" in extra.message
    in_2019 = due(1, 5, 10, datetime.date(2019, 6, 1))
    (early,) = check_billed_lines(in_2019, [BilledLine("97110", 1, "GP;CQ")])  # type: ignore[arg-type]
    assert early.kind == "modifier-not-due"
    assert "before 2020-01-01" in early.message


def test_a_correct_2021_claim_is_not_flagged_and_a_missing_cq_is() -> None:
    in_2021 = due(1, 8, 7, IN_2021)
    assert check_billed_lines(in_2021, [BilledLine("97110", 1, "GP;CQ")]) == ()  # type: ignore[arg-type]
    (missing,) = check_billed_lines(in_2021, [BilledLine("97110", 1, "GP")])  # type: ignore[arg-type]
    assert missing.kind == "missing-modifier"
    assert "no payment difference on this date, but the modifier is required" in missing.message
    assert (
        "due under the CY 2020 de minimis standard, per unit (2020-01-01 to 2021-12-31: "
        "CY 2020 final rule, 84 FR 62702-62707)" in missing.message
    )
    # The same claim from 2022 on: the therapist's 8 minutes of the final unit, no CQ due.
    in_2022 = due(1, 8, 7, datetime.date(2022, 1, 1))
    assert check_billed_lines(in_2022, [BilledLine("97110", 1, "GP")]) == ()  # type: ignore[arg-type]
    (extra,) = check_billed_lines(in_2022, [BilledLine("97110", 1, "GP;CQ")])  # type: ignore[arg-type]
    assert extra.kind == "modifier-not-due"
    assert "due under" not in extra.message  # with a payment effect, the money is stated


def test_without_a_payment_effect_from_2022_the_message_is_as_before() -> None:
    # A payer without the differential: no payment effect, and today's standard unnamed.
    split = split_units(
        code="97110",
        discipline="PT",
        units=1,
        therapist_minutes=5,
        assistant_minutes=10,
        date_of_service=DAY,
        payment=AssistantPayment(applies=False),
    )
    (missing,) = check_modifier_count(split, 0)
    assert missing.message.endswith(
        "no payment difference on this date, but the modifier is required from 2020-01-01 "
        "(42 USC 1395m(v))"
    )


def test_a_2021_modifier_not_due_names_the_standard() -> None:
    in_2021 = due(2, 14, 1, IN_2021)
    (extra,) = check_modifier_count(in_2021, 1)  # type: ignore[arg-type]
    assert extra.kind == "modifier-not-due"
    assert "misstates who furnished it; due under the CY 2020 de minimis standard" in extra.message


@pytest.mark.parametrize("count", [-1, 1.5, True])
def test_audit_count_errors(count: object) -> None:
    with pytest.raises(InvalidServiceError, match="billed with the modifier"):
        check_modifier_count(due(1, 5, 10), count)  # type: ignore[arg-type]


def test_parse_modifiers() -> None:
    assert parse_modifiers(None) == ()
    assert parse_modifiers("GP, CQ") == ("GP", "CQ")
    assert parse_modifiers(["gp", ""]) == ("GP",)
    with pytest.raises(InvalidServiceError, match="two-character"):
        parse_modifiers("GP;CQX")
    with pytest.raises(InvalidServiceError, match="must be text"):
        parse_modifiers([3])  # type: ignore[list-item]
    assert set(FINDING_KINDS) == {"missing-modifier", "modifier-not-due", "unpaired-modifier"}


def test_public_names() -> None:
    assert unitcalc.ServiceLine is ServiceLine


@pytest.mark.parametrize(
    ("name", "home"),
    [("split_units", "engine.assistant"), ("BilledLine", "engine.modifiers")],
    ids=["split", "audit"],
)
def test_old_module_path_forwards_to_the_split_modules(name: str, home: str) -> None:
    import unitcalc.assistant as old

    with pytest.warns(DeprecationWarning, match=f"import {name} from unitcalc.{home} "):
        found = getattr(old, name)
    assert found is getattr(unitcalc, name)
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        old.nothing  # noqa: B018
    with pytest.raises(AttributeError, match="has no attribute '__wrapped__'"):
        old.__wrapped__  # noqa: B018
