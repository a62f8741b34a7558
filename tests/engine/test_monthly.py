"""Remote therapeutic monitoring by the month: each algorithm of unitcalc/engine/monthly.py
in its two forms (one patient's month, many in columns) held equal, against boundary
tables written from the sources (docs/rules.md), and the one-month engine's answers."""

from __future__ import annotations

import datetime

import polars as pl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from unitcalc import CodeTable, InvalidServiceError
from unitcalc.core.errors import CodeNotInForceError
from unitcalc.engine.month_count import MonthLine, audit_month, calculate_month
from unitcalc.engine.month_result import MonthHistory
from unitcalc.engine.monthly import (
    MonthOptions,
    counted_devices,
    counted_devices_column,
    counted_set_ups,
    device_code,
    device_code_column,
    in_force,
    management_columns,
    management_units,
    month_code_frame,
    set_up_column,
)

TABLE = CodeTable.default()
CODES = month_code_frame(TABLE)
MARCH_2026 = datetime.date(2026, 3, 1)
MARCH_2025 = datetime.date(2025, 3, 1)
months = st.dates(datetime.date(2021, 6, 1), datetime.date(2027, 12, 1)).map(
    lambda day: day.replace(day=1)
)


# --- management minutes ----------------------------------------------------------------
# The table the sources give (getorva-rtm-98979, promptengage-rtm-98979; CMS-1832-F for
# 98979 from 2026-01-01): 10-19 minutes 98979, 20-39 98980, then 98981 for each further
# full 20 minutes; before 2026 nothing under 20.
@pytest.mark.parametrize(
    ("minutes", "on", "expected"),
    [
        (0, MARCH_2026, {}),
        (9, MARCH_2026, {}),
        (10, MARCH_2026, {"98979": 1}),
        (19, MARCH_2026, {"98979": 1}),
        (20, MARCH_2026, {"98980": 1}),
        (39, MARCH_2026, {"98980": 1}),
        (40, MARCH_2026, {"98980": 1, "98981": 1}),
        (59, MARCH_2026, {"98980": 1, "98981": 1}),
        (60, MARCH_2026, {"98980": 1, "98981": 2}),
        (10, MARCH_2025, {}),
        (19, MARCH_2025, {}),
        (20, MARCH_2025, {"98980": 1}),
        (45, MARCH_2025, {"98980": 1, "98981": 1}),
        (19, datetime.date(2021, 12, 1), {}),
        (25, datetime.date(2021, 12, 1), {}),
    ],
    ids=[
        "0min-none", "9min-none", "10min-98979", "19min-98979", "20min-98980",
        "39min-98980", "40min-98980+98981", "59min-one-98981", "60min-two-98981",
        "2025-10min-none", "2025-19min-none", "2025-20min-98980", "2025-45min",
        "2021-19min", "2021-before-rtm",
    ],
)  # fmt: skip
def test_management_units_follow_the_sources(
    minutes: int, on: datetime.date, expected: dict[str, int]
) -> None:
    assert management_units(minutes, in_force(TABLE, on)) == expected


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(30, {"98980": 1}), (31, {"98980": 1, "98981": 1}), (50, {"98980": 1, "98981": 1}),
     (51, {"98980": 1, "98981": 2})],
    ids=["30min-half-not-passed", "31min-past-half", "50min", "51min"],
)  # fmt: skip
def test_midpoint_reading_counts_a_block_past_its_half(
    minutes: int, expected: dict[str, int]
) -> None:
    codes = in_force(TABLE, MARCH_2026)
    assert management_units(minutes, codes, further_blocks="midpoint") == expected


def _columns(minutes: list[int], on: list[datetime.date], blocks: str) -> list[dict[str, int]]:
    groups = pl.DataFrame(
        {"group": list(range(len(minutes))), "minutes": minutes, "on": on},
        schema={"group": pl.Int64, "minutes": pl.Int64, "on": pl.Date},
    )
    found = management_columns(
        groups, CODES, group="group", minutes="minutes", on="on", further_blocks=blocks
    )  # type: ignore[arg-type]
    out: list[dict[str, int]] = [{} for _ in minutes]
    for group, code, units in found.select("group", "code", "units").iter_rows():
        out[group][code] = units
    return out


@example([(45, MARCH_2026), (15, MARCH_2026), (15, MARCH_2025)], "full")
@example([(31, MARCH_2026), (30, MARCH_2026)], "midpoint")
@given(
    st.lists(st.tuples(st.integers(0, 400), months), min_size=1, max_size=8),
    st.sampled_from(["full", "midpoint"]),
)
def test_management_in_both_forms(groups: list[tuple[int, datetime.date]], blocks: str) -> None:
    scalar = [
        management_units(m, in_force(TABLE, on), further_blocks=blocks)  # type: ignore[arg-type]
        for m, on in groups
    ]
    assert _columns([m for m, _ in groups], [on for _, on in groups], blocks) == scalar


@given(st.integers(0, 300), months, st.sampled_from(["full", "midpoint"]))
def test_more_minutes_never_bill_fewer_units(minutes: int, on: datetime.date, blocks: str) -> None:
    codes = in_force(TABLE, on)
    fewer = management_units(minutes, codes, further_blocks=blocks)  # type: ignore[arg-type]
    more = management_units(minutes + 1, codes, further_blocks=blocks)  # type: ignore[arg-type]
    assert sum(more.values()) >= sum(fewer.values())
    first = [code for code in (*fewer, *more) if code in ("98979", "98980")]
    assert len(set(fewer) & {"98979", "98980"}) <= 1, first  # one first block a month


# --- device supply ---------------------------------------------------------------------
SYSTEMS = ["respiratory", "musculoskeletal", "cognitive behavioral therapy"]


@pytest.mark.parametrize(
    ("system", "days", "on", "expected"),
    [
        ("musculoskeletal", 1, MARCH_2026, None),
        ("musculoskeletal", 2, MARCH_2026, "98985"),
        ("musculoskeletal", 15, MARCH_2026, "98985"),
        ("musculoskeletal", 16, MARCH_2026, "98977"),
        ("musculoskeletal", 30, MARCH_2026, "98977"),
        ("respiratory", 2, MARCH_2026, "98984"),
        ("respiratory", 16, MARCH_2026, "98976"),
        ("cognitive behavioral therapy", 2, MARCH_2026, "98986"),
        ("cognitive behavioral therapy", 16, MARCH_2026, "98978"),
        ("musculoskeletal", 15, MARCH_2025, None),
        ("musculoskeletal", 16, MARCH_2025, "98977"),
        ("cognitive behavioral therapy", 20, datetime.date(2022, 12, 31), None),
        ("cognitive behavioral therapy", 20, datetime.date(2023, 1, 1), "98978"),
    ],
    ids=[
        "1day-none", "2days-98985", "15days-98985", "16days-98977", "30days-98977",
        "resp-2days-98984", "resp-16days-98976", "cbt-2days-98986", "cbt-16days-98978",
        "2025-15days-none", "2025-16days-98977", "98978-before-2023", "98978-from-2023",
    ],
)  # fmt: skip
def test_device_code_by_days_of_data(
    system: str, days: int, on: datetime.date, expected: str | None
) -> None:
    assert device_code(system, days, on, TABLE) == expected


@example([("musculoskeletal", 15, MARCH_2026), ("musculoskeletal", 15, MARCH_2025)])
@given(
    st.lists(
        st.tuples(st.sampled_from(SYSTEMS), st.integers(0, 30), st.dates(
            datetime.date(2021, 6, 1), datetime.date(2027, 12, 31)
        )),
        min_size=1,
        max_size=10,
    )
)  # fmt: skip
def test_device_code_in_both_forms(lines: list[tuple[str, int, datetime.date]]) -> None:
    rows = pl.DataFrame(
        {
            "row": list(range(len(lines))),
            "system": [s for s, _, _ in lines],
            "days": [d for _, d, _ in lines],
            "day": [on for _, _, on in lines],
        },
        schema={"row": pl.Int64, "system": pl.String, "days": pl.Int64, "day": pl.Date},
    )
    found = dict(
        device_code_column(rows, CODES, row="row", system="system", days="days", day="day")
        .select("row", "as")
        .iter_rows()
    )
    assert [found.get(i) for i in range(len(lines))] == [
        device_code(s, d, on, TABLE) for s, d, on in lines
    ]


def test_one_device_supply_per_30_day_period() -> None:
    day = datetime.date
    lines = [(day(2026, 3, 2), 30), (day(2026, 3, 20), 30), (day(2026, 4, 1), 30),
             (day(2026, 4, 5), 30), (day(2026, 5, 1), 30)]  # fmt: skip
    held, last = counted_devices(lines)
    # 03-02 counts; 03-20 is in its period; 04-01 is 30 days on and counts; 04-05 is in
    # the period 04-01 opened; 05-01 is the 30th day after 04-01 and counts.
    assert held == [None, day(2026, 3, 2), None, day(2026, 4, 1), None]
    assert last == (day(2026, 5, 1), 30)
    assert counted_devices([(day(2026, 3, 30), 30)], (day(2026, 3, 2), 30))[0] == [day(2026, 3, 2)]


@example({"a": [0, 29, 30, 31, 59]}, None)
@example({"a": [0, 5], "b": [3]}, ("a", 10))
@given(
    st.dictionaries(
        st.sampled_from(["a", "b", "c"]),
        st.lists(st.integers(0, 120), min_size=1, max_size=8),
        min_size=1,
    ),
    st.none() | st.tuples(st.sampled_from(["a", "b"]), st.integers(-40, 0)),
)
def test_device_periods_in_both_forms(
    keys: dict[str, list[int]], last: tuple[str, int] | None
) -> None:
    start = datetime.date(2026, 1, 1)
    rows, expected = [], {}
    row = 0
    for key, offsets in keys.items():
        lines = sorted(offsets)
        before = (start + datetime.timedelta(days=last[1]), 30) if last and last[0] == key else None
        held, _ = counted_devices([(start + datetime.timedelta(days=o), 30) for o in lines], before)
        for offset, covered in zip(lines, held, strict=True):
            rows.append((key, row, start + datetime.timedelta(days=offset)))
            expected[row] = covered
            row += 1
    frame = pl.DataFrame(
        {
            "key": [k for k, _, _ in rows],
            "row": [r for _, r, _ in rows],
            "day": [d for _, _, d in rows],
            "period": [30] * len(rows),
        },
        schema={"key": pl.String, "row": pl.Int64, "day": pl.Date, "period": pl.Int64},
    )
    previous = None
    if last is not None:
        previous = pl.DataFrame(
            {
                "key": [last[0]],
                "last_day": [start + datetime.timedelta(days=last[1])],
                "last_period": [30],
            },
            schema={"key": pl.String, "last_day": pl.Date, "last_period": pl.Int64},
        )
    found = counted_devices_column(
        frame.sample(fraction=1.0, shuffle=True, seed=1),
        key=["key"],
        row="row",
        day="day",
        period="period",
        last=previous,
    )
    assert dict(found.select("row", "held").iter_rows()) == expected


@given(st.lists(st.tuples(st.sampled_from([1, 2]), st.integers(0, 5)), min_size=1, max_size=8))
def test_set_ups_in_both_forms(lines: list[tuple[int, int]]) -> None:
    frame = pl.DataFrame(
        {
            "scope": [s for s, _ in lines],
            "day": [datetime.date(2026, 3, 1 + d) for _, d in lines],
            "line": list(range(len(lines))),
        }
    )
    found = frame.select(
        set_up_column(pl.col("day"), pl.col("line"), ["scope"]).alias("counts")
    ).get_column("counts")
    expected = [False] * len(lines)
    for scope in {s for s, _ in lines}:
        order = sorted((d, i) for i, (s, d) in enumerate(lines) if s == scope)
        for (_, index), counts in zip(order, counted_set_ups(len(order), done=False), strict=True):
            expected[index] = counts
    assert found.to_list() == expected


# --- the one-month engine --------------------------------------------------------------


def test_a_month_counts_management_devices_and_set_up() -> None:
    result = calculate_month(
        [
            MonthLine("98980", 25, date_of_service="2026-03-02"),
            MonthLine("98981", 20, date_of_service="2026-03-20"),
            MonthLine("98977", days_of_data=20, date_of_service="2026-03-09"),
            MonthLine("98985", days_of_data=8, date_of_service="2026-03-25"),
            MonthLine("98975", date_of_service="2026-03-02"),
        ],
        "2026-03",
    )
    assert result.management_minutes == 45
    assert dict(result.units) == {"98980": 1, "98981": 1, "98977": 1, "98985": 0, "98975": 1}
    assert result.lines[3].held == datetime.date(2026, 3, 9)
    assert any("once per episode of care" in note.text for note in result.warnings)
    assert result.history.devices == {"musculoskeletal": (datetime.date(2026, 3, 9), 30)}


def test_a_device_supply_counts_against_the_month_before() -> None:
    march = calculate_month(
        [MonthLine("98977", days_of_data=20, date_of_service="2026-03-20")], "2026-03"
    )
    april = calculate_month(
        [MonthLine("98977", days_of_data=20, date_of_service="2026-04-10")],
        "2026-04",
        history=march.history,
    )
    assert april.total_units == 0
    assert "within the 30-day period of the supply counted on 2026-03-20" in april.explanation[-1]
    alone = calculate_month(
        [MonthLine("98977", days_of_data=20, date_of_service="2026-04-10")], "2026-04"
    )
    assert alone.total_units == 1


def test_two_to_fifteen_days_bill_nothing_before_2026() -> None:
    result = calculate_month([MonthLine("98977", days_of_data=10)], "2025-11")
    assert result.total_units == 0
    assert "no musculoskeletal device supply code" in result.explanation[-1]


def test_set_up_once_per_patient_with_the_option() -> None:
    options = MonthOptions(set_up="patient")
    march = calculate_month([MonthLine("98975")], "2026-03", options=options)
    april = calculate_month([MonthLine("98975")], "2026-04", options=options, history=march.history)
    assert (march.total_units, april.total_units) == (1, 0)
    assert not april.warnings
    by_month = calculate_month([MonthLine("98975")], "2026-04", history=march.history)
    assert by_month.total_units == 1


@pytest.mark.parametrize(
    ("minutes", "billed", "status", "difference"),
    [
        (45, {"98980": 1, "98981": 1}, "ok", 0),
        (25, {"98980": 1, "98979": 1}, "over", 1),
        (45, {"98980": 1}, "under", -1),
        (45, {"98979": 1, "98981": 1}, "misallocated", 0),
        (45, {"98980": 1, "98979": 1}, "misallocated", 0),
    ],
    ids=["ok", "98979-with-98980-over", "under", "misallocated", "98979-for-98981"],
)
def test_audit_of_a_month(
    minutes: int, billed: dict[str, int], status: str, difference: int
) -> None:
    finding = audit_month([MonthLine("98980", minutes)], billed, "2026-03", group="P1 / 2026-03")
    assert (finding.status, finding.difference, finding.rule) == (status, difference, "month")
    assert finding.group == "P1 / 2026-03"
    both = any("98979 and 98980 are billed in the same month" in str(w) for w in finding.warnings)
    assert both == ("98979" in billed and "98980" in billed)


@pytest.mark.parametrize(
    ("lines", "month", "error", "words"),
    [
        ([MonthLine("98977")], "2026-03", InvalidServiceError, "give its days_of_data"),
        ([MonthLine("98977", days_of_data=31)], "2026-03", InvalidServiceError,
         "more days than its 30-day period holds"),
        ([MonthLine("98980", 20, date_of_service="2026-04-01")], "2026-03", InvalidServiceError,
         "2026-04-01 is not in 2026-03"),
        ([MonthLine("98979", 12)], "2025-12", CodeNotInForceError, "98979 is valid from 2026-01-01"),
        ([MonthLine("98978", days_of_data=20)], "2022-12", CodeNotInForceError,
         "98978 is valid from 2023-01-01"),
        ([MonthLine("97110", 30)], "2026-03", InvalidServiceError, "counted by the day"),
        ([MonthLine("98980", 20)], "2026-13", InvalidServiceError, "write YYYY-MM"),
    ],
    ids=["no-days", "too-many-days", "date-outside", "98979-2025", "98978-2022", "daily-code",
         "bad-month"],
)  # fmt: skip
def test_a_line_that_cannot_be_counted_says_why(
    lines: list[MonthLine], month: str, error: type[Exception], words: str
) -> None:
    with pytest.raises(error) as caught:
        calculate_month(lines, month)
    assert words in str(caught.value)


def test_a_monthly_code_without_month_data_is_refused() -> None:
    table = CodeTable.default().with_codes(
        type(TABLE.codes["98980"])(
            code="0999T", label="mine", kind="monthly", monthly_counting="the month"
        )
    )
    with pytest.raises(InvalidServiceError, match="does not say how it counts in a month"):
        calculate_month([MonthLine("0999T", 20)], "2026-03", codes=table)


def test_month_options_refuse_unknown_choices() -> None:
    with pytest.raises(
        InvalidServiceError, match="further_blocks 'half' is none of full, midpoint"
    ):
        MonthOptions(further_blocks="half")  # type: ignore[arg-type]
    with pytest.raises(InvalidServiceError, match="set_up 'episode' is none of month, patient"):
        MonthOptions(set_up="episode")  # type: ignore[arg-type]


def test_history_is_not_part_of_a_results_equality() -> None:
    one = calculate_month([MonthLine("98980", 20)], "2026-03")
    other = calculate_month([MonthLine("98980", 20)], "2026-03", history=MonthHistory(set_up=True))
    assert one == other
