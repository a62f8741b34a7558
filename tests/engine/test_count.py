"""The engine: untimed codes, disciplines, ties, validation, explanation and warnings."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from fractions import Fraction

import pytest

import unitcalc
from unitcalc import InvalidServiceError, Note, ServiceLine, calculate


class TestUntimed:
    @pytest.mark.parametrize(
        "minutes", [None, 0, 45, 300], ids=["absent", "0min", "45min", "300min"]
    )
    def test_one_unit_per_day_whatever_the_minutes(self, minutes: int | None) -> None:
        result = calculate({"97161": minutes, "97110": 8})
        assert result.units == {"97161": 1, "97110": 1}
        assert result.total_units == 2

    def test_untimed_minutes_never_pool_with_timed(self) -> None:
        # 7 timed minutes alone bill nothing, however long the evaluation was.
        result = calculate({"97110": 7, "97161": 45})
        assert result.units["97110"] == 0
        assert result.total_timed_minutes == 7
        assert result.total_untimed_minutes == 45

    def test_listed_twice_is_still_one_unit(self) -> None:
        result = calculate([ServiceLine("97150", 30), ServiceLine("97150", 30)])
        assert result.units == {"97150": 1}
        assert any("listed 2 times, still 1 unit" in step for step in result.explanation)

    def test_untimed_per_discipline_pool(self) -> None:
        lines = [ServiceLine("97150", discipline="PT"), ServiceLine("97150", discipline="OT")]
        assert calculate(lines).units == {"97150": 2}
        assert calculate(lines, pooling="day").units == {"97150": 1}


class TestDisciplines:
    def test_disciplines_pool_apart_by_default(self) -> None:
        lines = [
            ServiceLine("97110", 10, discipline="GP"),
            ServiceLine("97530", 10, discipline="GO"),
        ]
        result = calculate(lines)
        assert result.units == {"97110": 1, "97530": 1}
        assert [(line.code, line.discipline) for line in result.lines] == [
            ("97110", "PT"),
            ("97530", "OT"),
        ]

    def test_day_pooling_counts_the_whole_day(self) -> None:
        lines = [
            ServiceLine("97110", 10, discipline="PT"),
            ServiceLine("97530", 10, discipline="OT"),
        ]
        result = calculate(lines, pooling="day")
        assert result.total_units == 1
        assert result.tie is not None

    def test_a_line_without_discipline_joins_the_only_named_one(self) -> None:
        lines = [ServiceLine("97110", 10, discipline="PT"), ServiceLine("97112", 10)]
        result = calculate(lines)
        assert result.total_units == 1  # 20 PT minutes, not two pools of 10
        assert [line.discipline for line in result.lines] == ["PT", "PT"]

    def test_same_code_two_disciplines_sums_in_units(self) -> None:
        lines = [
            ServiceLine("97110", 23, discipline="PT"),
            ServiceLine("97110", 8, discipline="OT"),
        ]
        result = calculate(lines)
        assert result.units == {"97110": 3}
        assert [line.units for line in result.lines] == [2, 1]

    def test_day_pooling_warns_when_a_code_spans_disciplines(self) -> None:
        lines = [
            ServiceLine("97110", 23, discipline="PT"),
            ServiceLine("97110", 8, discipline="OT"),
        ]
        result = calculate(lines, pooling="day")
        assert result.units == {"97110": 2}
        assert result.lines[0].discipline is None
        assert any("OT and PT" in warning.text for warning in result.warnings)

    def test_lines_of_one_code_add_up(self) -> None:
        result = calculate([ServiceLine("97110", 4), ServiceLine("97110", 4)])
        assert result.units == {"97110": 1}
        assert result.lines[0].minutes == 8


class TestTies:
    def test_default_pick_is_more_minutes_then_input_order(self) -> None:
        # 97110 and 97112 tie on 5 leftover minutes; 97110 has more minutes in all.
        result = calculate({"97112": 20, "97110": 35, "97140": 0})
        assert result.tie is not None
        assert result.units == {"97112": 1, "97110": 3, "97140": 0}
        assert [dict(a) for a in result.alternatives] == [{"97112": 2, "97110": 2, "97140": 0}]

    def test_more_minutes_does_not_break_the_tie_away(self) -> None:
        result = calculate({"97112": 20, "97110": 35})
        assert result.tie is not None
        assert result.tie.allocations == 2
        assert result.tie.groups[0].leftover_minutes == 5

    def test_preference_order_decides(self) -> None:
        result = calculate({"97112": 20, "97110": 20}, tie_preference=["97110"])
        assert result.units == {"97112": 1, "97110": 2}
        assert result.tie is not None
        assert result.tie.groups[0].chosen == ("97110",)

    def test_tie_with_a_larger_leftover_above_the_cut(self) -> None:
        # 13 + 5 + 5 = 23 min = 2 units: 97140 (13 left) takes one, the 5s tie for one.
        result = calculate({"97140": 13, "97110": 5, "97112": 5})
        assert result.units == {"97140": 1, "97110": 1, "97112": 0}
        assert result.tie is not None
        group = result.tie.groups[0]
        assert (group.codes, group.units, group.leftover_minutes) == (("97110", "97112"), 1, 5)

    def test_ties_in_two_pools_multiply(self) -> None:
        lines = [
            ServiceLine("97110", 20, discipline="PT"),
            ServiceLine("97112", 20, discipline="PT"),
            ServiceLine("97530", 20, discipline="OT"),
            ServiceLine("97535", 20, discipline="OT"),
        ]
        result = calculate(lines)
        assert result.tie is not None
        assert len(result.tie.groups) == 2
        assert result.tie.allocations == 4
        assert len(result.alternatives) == 3

    def test_alternatives_are_truncated_at_the_limit(self) -> None:
        codes = ["97110", "97112", "97116", "97140", "97530", "97535", "97542", "97750"]
        # 8 codes x 7 min = 56 min = 4 units among 8 equal leftovers: C(8, 4) = 70.
        result = calculate(dict.fromkeys(codes, 7), max_alternatives=10)
        assert result.tie is not None
        assert result.tie.allocations == math.comb(8, 4)
        assert len(result.alternatives) == 10
        assert result.alternatives_truncated
        everything = calculate(dict.fromkeys(codes, 7), max_alternatives=100)
        assert len(everything.alternatives) == 69
        assert not everything.alternatives_truncated

    def test_default_limit_is_documented_and_at_least_100(self) -> None:
        assert unitcalc.DEFAULT_MAX_ALTERNATIVES >= 100

    def test_ama_never_ties(self) -> None:
        result = calculate({"97112": 20, "97110": 20}, rule="ama")
        assert result.tie is None
        assert result.units == {"97112": 1, "97110": 1}


BAD_MINUTES = [
    (7.5, "has a fraction"),
    ("7.5", "has a fraction"),
    (Fraction(15, 2), "has a fraction"),
    (-1, "is negative"),
    ("-3", "is negative"),
    (True, "true/false"),
    (math.nan, "not a number"),
    (math.inf, "not a number"),
    ("abc", "not a number"),
    ("", "is empty"),
    ("  ", "is empty"),
    (1441, "1440"),
    ("1" + "0" * 309, "1440"),
    (-7.5, "is negative"),
    ([15], "list"),
]


@pytest.mark.parametrize(("minutes", "message"), BAD_MINUTES, ids=[repr(m) for m, _ in BAD_MINUTES])
def test_bad_minutes_name_the_code_and_the_value(minutes: object, message: str) -> None:
    with pytest.raises(InvalidServiceError, match=message) as caught:
        calculate({"97110": minutes})
    assert caught.value.code == "97110"
    assert caught.value.field == "minutes"
    assert str(caught.value).startswith("97110: ")


@pytest.mark.parametrize(
    "minutes", [33, 33.0, "33", " 33 ", "33.0", Decimal("33"), Fraction(66, 2)], ids=repr
)
def test_whole_minutes_in_any_form(minutes: object) -> None:
    assert calculate({"97110": minutes}).lines[0].minutes == 33


def test_timed_code_without_minutes_is_an_error() -> None:
    with pytest.raises(
        InvalidServiceError, match="97110 is a timed code and its minutes are missing"
    ):
        calculate({"97110": None})


def test_a_code_over_a_day_of_minutes_is_an_error() -> None:
    with pytest.raises(InvalidServiceError, match="more than the 1440 minutes"):
        calculate([ServiceLine("97110", 1000), ServiceLine("97110", 441)])


def test_a_day_of_more_than_1440_timed_minutes_is_an_error() -> None:
    with pytest.raises(InvalidServiceError, match="the day's timed minutes add up to 2000"):
        calculate({"97110": 1000, "97140": 1000})


def test_tie_preference_must_name_countable_codes() -> None:
    with pytest.raises(InvalidServiceError, match="tie preference: 97001 was deleted"):
        calculate({"97110": 20}, tie_preference=["97001"])
    with pytest.raises(TypeError, match="tie_preference must be a list"):
        calculate({"97110": 20}, tie_preference="97110")
    with pytest.raises(TypeError, match="max_alternatives"):
        calculate({"97110": 20}, max_alternatives="5")  # type: ignore[arg-type]


def test_bad_discipline() -> None:
    with pytest.raises(InvalidServiceError, match="not PT, OT or SLP") as caught:
        ServiceLine("97110", 10, discipline="XX")
    assert caught.value.field == "discipline"


def test_unknown_rule() -> None:
    with pytest.raises(unitcalc.UnknownRuleError, match="choose one of"):
        calculate({"97110": 10}, rule="rule-of-eights")


@pytest.mark.parametrize("alias", ["medicare", "CMS", " cms-8-minute "])
def test_rule_aliases(alias: str) -> None:
    assert calculate({"97110": 10}, rule=alias).rule == "cms"


def test_services_must_be_a_mapping_or_service_lines() -> None:
    with pytest.raises(TypeError):
        calculate("97110=33")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        calculate([("97110", 33)])  # type: ignore[list-item]


def test_empty_visit_is_zero_units() -> None:
    result = calculate({})
    assert (result.total_units, dict(result.units)) == (0, {})


class TestExplanation:
    def test_example_3_is_explained_step_by_step(self) -> None:
        steps = calculate({"97110": 33, "97140": 7}).explanation
        text = "\n".join(steps)
        assert "97110 33 + 97140 7 = 40 min" in text
        assert "38-52 min band" in text
        assert "97110: 2 full units, 3 min left; 97140: 0 full units, 7 min left" in text
        assert "1 unit remains and goes to 97140, the largest leftover (CMS 20.2)" in text
        assert steps[-1] == "Total: 3 timed units + 0 untimed units = 3 units."

    def test_tie_is_explained(self) -> None:
        text = "\n".join(calculate({"97112": 20, "97110": 20}).explanation)
        assert "97112 and 97110 tie with 5 min left each for the last unit" in text
        assert "Examples 2 and 5" in text

    def test_warns_for_8_minutes_without_a_unit(self) -> None:
        result = calculate({"97110": 18, "97140": 13, "97116": 10, "97035": 8})
        assert any(w.text.startswith("97035 has 8 min but gets no unit") for w in result.warnings)

    def test_warns_for_a_unit_under_8_minutes(self) -> None:
        result = calculate({"97110": 33, "97140": 7})
        assert result.warnings == (
            Note(
                "97140 bills 1 unit for 7 min, fewer than 8: compliant because the day's total "
                "supports the unit (CMS 20.2, Examples 3 and 5); counted on its own it would "
                "get none",
                kind="under-eight",
                codes=("97140",),
            ),
        )

    def test_example_2_is_no_surprise(self) -> None:
        assert calculate({"97112": 20, "97110": 20}).warnings == ()

    def test_tied_code_without_a_unit_names_its_rivals(self) -> None:
        result = calculate({"97110": 8, "97112": 8, "97140": 8})
        assert any(
            w.text.startswith("97140 has 8 min but gets no unit")
            and "it tied with 97110 and 97112" in w.text
            for w in result.warnings
        )

    def test_lines_without_discipline_beside_disciplined_ones_are_flagged(self) -> None:
        # CMS Example 3 with the discipline left off 97140: still 3 units.
        lines = [ServiceLine("97110", 33, discipline="PT"), ServiceLine("97140", 7)]
        result = calculate(lines)
        assert result.units == {"97110": 2, "97140": 1}
        assert any(
            w.text.startswith("97140 has no discipline while other lines do (PT): counted with PT")
            for w in result.warnings
        )

    def test_rule_notes_from_the_code_table(self) -> None:
        [note] = calculate({"97014": 15}).warnings
        assert "97014: Medicare does not recognise 97014" in note.text
        assert (note.kind, note.codes) == ("rule-note", ("97014",))
        assert calculate({"97014": 15}, rule="ama").warnings == ()

    def test_added_family_member_is_flagged(self) -> None:
        result = calculate({"97130": 30})
        assert result.units == {"97129": 1, "97130": 1}
        assert any(
            w.text.startswith("97129 was not entered but bills units") for w in result.warnings
        )
        assert [line.code for line in result.lines] == ["97129", "97130"]

    def test_lines_keep_input_order_across_disciplines(self) -> None:
        lines = [
            ServiceLine("97110", 10, discipline="PT"),
            ServiceLine("97530", 10, discipline="OT"),
            ServiceLine("97161", discipline="PT"),
        ]
        assert [line.code for line in calculate(lines).lines] == ["97110", "97530", "97161"]

    def test_no_warnings_when_nothing_surprises(self) -> None:
        assert calculate({"97110": 30, "97140": 15}).warnings == ()

    def test_under_8_total_minutes(self) -> None:
        result = calculate({"97110": 4, "97140": 3})
        assert result.total_units == 0
        assert any("Fewer than 8 timed minutes" in step for step in result.explanation)

    def test_ama_names_the_midpoint(self) -> None:
        text = "\n".join(calculate({"97110": 7}, rule="ama").explanation)
        assert "97110: 7 min = 0 units" in text
        assert "attained at 8 min" in text


def test_to_dict_is_the_documented_json() -> None:
    result = calculate(
        [ServiceLine("97112", 20, discipline="PT"), ServiceLine("97110", 20, discipline="PT")]
    )
    data = json.loads(json.dumps(result.to_dict()))
    assert list(data) == [
        "rule", "total_timed_minutes", "total_untimed_minutes", "total_units", "units",
        "lines", "tie", "alternatives", "alternatives_truncated", "explanation", "warnings",
        "payer", "removed", "edits",
    ]  # fmt: skip
    assert data["lines"][0] == {
        "code": "97112", "label": "neuromuscular re-education", "minutes": 20, "units": 2,
        "timed": True, "discipline": "PT",
    }  # fmt: skip
    assert data["tie"]["groups"][0]["codes"] == ["97112", "97110"]
    assert data["alternatives"] == [{"97112": 1, "97110": 2}]
    assert calculate({"97110": 30}).to_dict()["tie"] is False


def test_result_is_immutable() -> None:
    result = calculate({"97110": 30})
    with pytest.raises(AttributeError):
        result.total_units = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        result.units["97110"] = 5  # type: ignore[index]


def test_repeated_visits_share_one_result_and_types_stay_apart() -> None:
    first = calculate({"97110": 33, "97140": 7})
    assert calculate({"97110": 33, "97140": 7}) is first
    assert calculate({"97110": 33.0, "97140": 7}) == first
    with pytest.raises(InvalidServiceError, match="true/false"):
        calculate({"97110": True})
    assert calculate({"97110": 1}).units["97110"] == 0
    with pytest.raises(InvalidServiceError, match="true/false"):
        calculate({"97110": True})  # still refused after 1 was counted


def test_the_file_api_loads_on_first_use() -> None:
    import unitcalc.files  # a submodule import must not shadow the function

    assert callable(unitcalc.audit)
    assert unitcalc.audit({"97110": 8}, {"97110": 1}).status == "ok"
    assert unitcalc.Finding.__name__ == "Finding"
    assert unitcalc.__version__
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = unitcalc.nothing  # type: ignore[attr-defined]
