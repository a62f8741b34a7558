"""Dates of service against the code table's windows, the codes in use since 2024,
monthly codes, lines without a discipline and the warnings of a plain count.

Sources: the windows and counting cited in unitcalc/data/codes.toml (domain reference
sections 1, 4 and 9); CMS Pub. 100-04 Ch. 5 section 20.2 Example 3 for the pooled
blank line.
"""

from __future__ import annotations

import datetime

import pytest

from unitcalc import (
    CodeTable,
    DeletedCodeError,
    InvalidServiceError,
    Note,
    ServiceLine,
    calculate,
)
from unitcalc.core.errors import CodeNotInForceError, MonthlyCodeError

TABLE = CodeTable.default()
DAY = datetime.timedelta(days=1)


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


# (code, last valid day) for every code whose window closes; the day after is refused.
CLOSING = {
    "97001": "2016-12-31",
    "97002": "2016-12-31",
    "97003": "2016-12-31",
    "97004": "2016-12-31",
    "97532": "2017-12-31",
    "97762": "2017-12-31",
    "97127": "2019-12-31",
    "G0515": "2019-12-31",
}
# (code, first valid day) for every code whose window opens; the day before is refused.
OPENING = {
    **dict.fromkeys(["97161", "97162", "97163", "97164"], "2017-01-01"),
    **dict.fromkeys(["97165", "97166", "97167", "97168"], "2017-01-01"),
    "97763": "2018-01-01",
    "97127": "2018-01-01",
    "G0515": "2018-01-01",
    "97129": "2020-01-01",
    "97130": "2020-01-01",
    "97550": "2024-01-01",
    "97551": "2024-01-01",
    "97552": "2024-01-01",
    **dict.fromkeys(["92521", "92522", "92523", "92524"], "2014-01-01"),
}
# Monthly codes: their window is checked first, then they are refused for a day.
MONTHLY_OPENING = {
    **dict.fromkeys(["98975", "98976", "98977", "98980", "98981"], "2022-01-01"),
    **dict.fromkeys(["98979", "98984", "98985", "98986"], "2026-01-01"),
}


class TestWindowEdges:
    @pytest.mark.parametrize("code", sorted(CLOSING), ids=lambda c: f"{c}-to-{CLOSING[c]}")
    def test_last_valid_day_counts_and_the_next_is_refused(self, code: str) -> None:
        last = day(CLOSING[code])
        assert TABLE.lookup(code, on=last).code == code
        with pytest.raises(DeletedCodeError) as caught:
            TABLE.lookup(code, on=last + DAY)
        assert caught.value.valid_to == last
        assert last.isoformat() in str(caught.value)

    @pytest.mark.parametrize("code", sorted(OPENING), ids=lambda c: f"{c}-from-{OPENING[c]}")
    def test_first_valid_day_counts_and_the_day_before_is_refused(self, code: str) -> None:
        first = day(OPENING[code])
        assert TABLE.lookup(code, on=first).code == code
        with pytest.raises(CodeNotInForceError) as caught:
            TABLE.lookup(code, on=first - DAY)
        assert caught.value.valid_from == first
        assert f"{code} is valid from {first.isoformat()}" in str(caught.value)

    @pytest.mark.parametrize(
        "code", sorted(MONTHLY_OPENING), ids=lambda c: f"{c}-from-{MONTHLY_OPENING[c]}"
    )
    def test_monthly_codes_open_on_their_first_day(self, code: str) -> None:
        first = day(MONTHLY_OPENING[code])
        with pytest.raises(MonthlyCodeError):
            TABLE.lookup(code, on=first)
        with pytest.raises(CodeNotInForceError) as caught:
            TABLE.lookup(code, on=first - DAY)
        assert not isinstance(caught.value, MonthlyCodeError)

    def test_92506_closes_with_its_counting_unknown(self) -> None:
        with pytest.raises(CodeNotInForceError, match="give its valid_kind"):
            TABLE.lookup("92506", on=day("2013-12-31"))
        with pytest.raises(DeletedCodeError, match="92521"):
            TABLE.lookup("92506", on=day("2014-01-01"))

    def test_window_is_data_on_each_entry(self) -> None:
        info = TABLE.codes["G0515"]
        assert (info.valid_from, info.valid_to) == (day("2018-01-01"), day("2019-12-31"))
        assert info.valid_sources
        assert info.to_dict()["valid_to"] == "2019-12-31"
        assert TABLE.codes["97110"].window == ""


class TestDatedVisits:
    def test_a_2016_visit_counts_97001_as_untimed(self) -> None:
        result = calculate({"97001": None, "97110": 23}, date_of_service="2016-06-01")
        assert dict(result.units) == {"97001": 1, "97110": 2}
        assert any("97001 is valid to 2016-12-31" in step for step in result.explanation)

    def test_a_date_object_is_accepted(self) -> None:
        assert calculate({"97001": None}, date_of_service=day("2016-06-01")).total_units == 1

    def test_97161_in_2016_names_the_window_and_the_code_in_force(self) -> None:
        with pytest.raises(CodeNotInForceError) as caught:
            calculate({"97161": None}, date_of_service="2016-06-01")
        assert str(caught.value) == (
            "97161 is valid from 2017-01-01, not on 2016-06-01; the code in force on that "
            "date is 97001 (to 2016-12-31)"
        )
        assert caught.value.in_force == ("97001",)

    def test_a_code_between_replacements_names_the_ones_in_force(self) -> None:
        with pytest.raises(DeletedCodeError) as caught:
            calculate({"97532": 30}, date_of_service="2019-06-01")
        assert caught.value.in_force == ("97127", "G0515")
        assert "97127 (2018-01-01 to 2019-12-31)" in str(caught.value)

    def test_a_deleted_timed_code_counts_in_its_window(self) -> None:
        result = calculate({"G0515": 23, "97110": 15}, date_of_service="2019-06-01")
        assert dict(result.units) == {"G0515": 2, "97110": 1}  # 38 pooled min = 3 units
        assert result.lines[0].timed

    def test_without_a_date_deleted_codes_are_refused_as_before(self) -> None:
        with pytest.raises(DeletedCodeError, match=r"^97001 was deleted on 2017-01-01; its "):
            calculate({"97001": None})

    def test_a_window_without_the_counting_asks_for_it(self) -> None:
        with pytest.raises(CodeNotInForceError, match="give its valid_kind"):
            calculate({"92506": None}, date_of_service="2013-06-01")

    @pytest.mark.parametrize("value", ["06/01/2016", "2016-13-01", "yesterday", 20160601], ids=str)
    def test_a_bad_date_is_refused(self, value: object) -> None:
        with pytest.raises(InvalidServiceError) as caught:
            calculate({"97110": 23}, date_of_service=value)  # type: ignore[arg-type]
        assert caught.value.field == "date_of_service"

    def test_dated_results_are_cached_apart(self) -> None:
        assert calculate({"97001": None}, date_of_service="2016-06-01").total_units == 1
        with pytest.raises(DeletedCodeError):
            calculate({"97001": None}, date_of_service="2017-06-01")


class TestFamiliesOfDifferentUnitLengths:
    @pytest.mark.parametrize(
        ("minutes", "units"),
        [
            (15, {"97550": 0, "97551": 0}),
            (16, {"97550": 1, "97551": 0}),
            (37, {"97550": 1, "97551": 0}),
            (38, {"97550": 1, "97551": 1}),
            (52, {"97550": 1, "97551": 1}),
            (53, {"97550": 1, "97551": 2}),
        ],
        ids=["15min-none", "16min-first", "37min-first", "38min-addon", "52min-addon", "53min-2addons"],
    )  # fmt: skip
    @pytest.mark.parametrize("rule", ["cms", "ama"])
    def test_caregiver_training_by_midpoint_per_unit(
        self, rule: str, minutes: int, units: dict[str, int]
    ) -> None:
        assert dict(calculate({"97550": minutes}, rule=rule).units) == units

    def test_cms_warns_that_pooling_is_unconfirmed(self) -> None:
        result = calculate({"97550": 38})
        assert any(w.text.startswith("97550: UNCONFIRMED") for w in result.warnings)
        assert any("first 30-minute unit, attained at 16 min" in s for s in result.explanation)

    def test_the_add_on_may_be_listed_without_minutes(self) -> None:
        result = calculate([ServiceLine("97550", 45), ServiceLine("97551")])
        assert dict(result.units) == {"97550": 1, "97551": 1}

    def test_an_add_on_alone_without_minutes_is_refused(self) -> None:
        with pytest.raises(InvalidServiceError, match="give the family's minutes on 97550"):
            calculate([ServiceLine("97551")])

    def test_the_15_minute_codes_still_pool_beside_the_family(self) -> None:
        result = calculate({"97550": 38, "97110": 23})
        assert dict(result.units) == {"97550": 1, "97551": 1, "97110": 2}

    @pytest.mark.parametrize(
        ("minutes", "units"),
        [(60, 0), (61, 1), (150, 1), (151, 2)],
        ids=["60min-none", "61min-first", "150min-first", "151min-addon"],
    )
    def test_work_hardening_two_hours_then_hours(self, minutes: int, units: int) -> None:
        assert calculate({"97545": minutes}).total_units == units

    def test_round_up_counts_every_started_unit_of_the_family(self) -> None:
        assert dict(calculate({"97550": 31}, rule="commercial-15").units) == {
            "97550": 1,
            "97551": 1,
        }

    def test_a_user_table_can_pool_caregiver_training(self) -> None:
        from unitcalc import define_code

        table = TABLE.with_codes(define_code("97550=timed/15"))
        result = calculate({"97550": 7, "97110": 8}, codes=table)
        assert result.total_units == 1  # 15 pooled minutes under the total-time rule


class TestMonthlyCodes:
    @pytest.mark.parametrize("code", ["98975", "98977", "98980", "98981", "98979", "98985"])
    def test_monthly_codes_are_refused_for_a_day_with_the_reason(self, code: str) -> None:
        with pytest.raises(MonthlyCodeError) as caught:
            calculate({code: 20, "97110": 23})
        assert "is a monthly code" in str(caught.value)
        assert "never a day's minutes" in str(caught.value)
        assert caught.value.counting == TABLE.codes[code].monthly_counting

    def test_98979_before_2026_is_outside_its_window(self) -> None:
        with pytest.raises(CodeNotInForceError, match="valid from 2026-01-01"):
            calculate({"98979": 10}, date_of_service="2025-12-31")


class TestLinesWithoutDiscipline:
    def test_cms_example_3_with_a_blank_discipline(self) -> None:
        lines = [ServiceLine("97110", 33, discipline="PT"), ServiceLine("97140", 7)]
        result = calculate(lines)
        assert result.total_units == 3
        assert result.lines[1].discipline == "PT"

    def test_two_named_disciplines_make_a_blank_line_an_error(self) -> None:
        lines = [
            ServiceLine("97110", 33, discipline="PT"),
            ServiceLine("97530", 10, discipline="OT"),
            ServiceLine("97140", 7),
        ]
        with pytest.raises(InvalidServiceError) as caught:
            calculate(lines)
        assert caught.value.field == "discipline"
        assert str(caught.value).startswith(
            "service 3 (97140, 7 min) has no discipline and the day names OT and PT"
        )

    def test_default_discipline_decides(self) -> None:
        lines = [
            ServiceLine("97110", 33, discipline="PT"),
            ServiceLine("97530", 10, discipline="OT"),
            ServiceLine("97140", 7),
        ]
        result = calculate(lines, default_discipline="GP")
        assert result.lines[2].discipline == "PT"
        assert result.total_units == 4  # PT 40 min = 3, OT 10 min = 1

    def test_the_codes_own_discipline_settles_it(self) -> None:
        lines = [
            ServiceLine("97110", 33, discipline="PT"),
            ServiceLine("97530", 10, discipline="OT"),
            ServiceLine("97161"),
        ]
        result = calculate(lines)
        assert result.lines[2].discipline == "PT"

    def test_a_code_of_another_discipline_is_an_error(self) -> None:
        lines = [ServiceLine("97530", 10, discipline="OT"), ServiceLine("97161")]
        with pytest.raises(InvalidServiceError, match="97161 is a PT code"):
            calculate(lines)

    def test_the_file_commands_pooling_apart_is_kept_for_evaluate(self) -> None:
        from unitcalc.engine.count import evaluate

        lines = [ServiceLine("97110", 33, discipline="PT"), ServiceLine("97140", 7)]
        apart = evaluate(lines).result
        assert apart.total_units == 2
        assert any("counted in a pool of their own" in w.text for w in apart.warnings)
        assert evaluate(lines, blank_discipline="join").result.total_units == 3

    def test_an_unknown_blank_discipline_mode_is_refused(self) -> None:
        with pytest.raises(ValueError, match="blank_discipline must be"):
            calculate({"97110": 8}, blank_discipline="pool")  # type: ignore[arg-type]

    def test_day_pooling_needs_no_discipline(self) -> None:
        lines = [
            ServiceLine("97110", 33, discipline="PT"),
            ServiceLine("97530", 10, discipline="OT"),
            ServiceLine("97140", 7),
        ]
        assert calculate(lines, pooling="day").total_units == 3


class TestPlainWarnings:
    def test_five_minutes_warns_of_no_unit(self) -> None:
        result = calculate({"97110": 5})
        assert result.total_units == 0
        assert result.warnings == (
            Note(
                "No timed unit: 5 timed min in all (97110 5), fewer than 8 (CMS 20.2)",
                kind="no-timed-unit",
            ),
        )

    def test_ama_warns_of_a_code_under_its_midpoint(self) -> None:
        result = calculate({"97110": 33, "97140": 7}, rule="ama")
        assert any(w.text.startswith("97140 has 7 min but gets no unit") for w in result.warnings)

    def test_untimed_code_with_zero_minutes_is_flagged(self) -> None:
        result = calculate({"97161": 0})
        assert result.total_units == 1
        [note] = result.warnings
        assert note.text.startswith("97161 is untimed and bills 1 unit, but 0 minutes")
        assert (note.kind, note.codes) == ("untimed-no-minutes", ("97161",))

    def test_untimed_code_without_minutes_is_not_flagged(self) -> None:
        assert calculate({"97161": None}).warnings == ()
