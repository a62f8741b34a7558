"""Months as values (unitcalc/core/months.py): a date's month in both forms held equal,
``YYYY-MM`` read or refused, and a code table's ``month`` tables checked key by key."""

from __future__ import annotations

import datetime

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from unitcalc import CodeTable, CodeTableError, InvalidServiceError
from unitcalc.core.codefile import parse_table
from unitcalc.core.months import last_day, month_column, month_of, parse_month


@given(st.lists(st.dates(datetime.date(1900, 1, 1), datetime.date(2199, 12, 31)), min_size=1))
def test_month_of_in_both_forms(days: list[datetime.date]) -> None:
    found = pl.DataFrame({"day": days}).select(month_column(pl.col("day"))).to_series()
    assert found.to_list() == [month_of(day) for day in days]


@given(st.dates(datetime.date(1900, 1, 1), datetime.date(2199, 12, 31)))
def test_a_month_holds_its_days(day: datetime.date) -> None:
    first = parse_month(month_of(day))
    assert first <= day <= last_day(first)
    assert (last_day(first) + datetime.timedelta(days=1)).day == 1


@pytest.mark.parametrize(
    ("text", "first"),
    [("2026-03", datetime.date(2026, 3, 1)), (" 2026-3 ", datetime.date(2026, 3, 1)),
     (datetime.date(2026, 3, 17), datetime.date(2026, 3, 1))],
    ids=["plain", "short-and-spaced", "a-date"],
)  # fmt: skip
def test_months_read(text: object, first: datetime.date) -> None:
    assert parse_month(text) == first


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "03/2026", "", "2026-03-01", None, 202603])
def test_months_refused_say_how_to_write_one(text: object) -> None:
    with pytest.raises(InvalidServiceError, match="is not a month: write YYYY-MM") as caught:
        parse_month(text)
    assert caught.value.field == "month"


ENTRY = '[codes."0999T"]\nlabel = "x"\nkind = "monthly"\nmonthly_counting = "the month"\n'


@pytest.mark.parametrize(
    ("month", "message"),
    [
        ('"x"', "must be a table such as"),
        ('{ role = "device", colour = 1 }', "unknown key 'colour'"),
        ('{ role = "daily" }', "role must be one of set-up, device, management"),
        ('{ role = "set-up", minutes = 20 }', "minutes is not for a set-up code"),
        ('{ role = "management" }', "minutes must be whole minutes or days above 0"),
        ('{ role = "management", minutes = 20, after = 98980 }', "after must be a code"),
        ('{ role = "management", minutes = 20, after = "989" }', "after: '989' is not a CPT"),
        ('{ role = "device", days = [2, 15], period_days = 30 }', "needs its system"),
        ('{ role = "device", system = "x", days = [2, 15] }', "period_days must be whole"),
        ('{ role = "device", system = "x", days = [16, 31], period_days = 30 }',
         "days must be [FIRST, LAST] days of data within 1-30"),
        ('{ role = "device", system = "x", days = [15, 2], period_days = 30 }', "days must be"),
    ],
    ids=["not-a-table", "unknown-key", "bad-role", "minutes-on-set-up", "no-minutes",
         "after-not-text", "after-not-a-code", "no-system", "no-period", "days-past-period",
         "days-reversed"],
)  # fmt: skip
def test_bad_month_tables_name_the_key(month: str, message: str) -> None:
    with pytest.raises(CodeTableError) as caught:
        parse_table(ENTRY + f"month = {month}\n", source_name="mine.toml", require_sources=False)
    assert message in str(caught.value)
    assert caught.value.key == "month"


def test_month_tables_only_for_monthly_codes() -> None:
    text = '[codes."0999T"]\nlabel = "x"\nkind = "untimed"\nmonth = { role = "set-up" }\n'
    with pytest.raises(CodeTableError, match="month: only for monthly codes"):
        parse_table(text, source_name="mine.toml", require_sources=False)


def test_a_management_code_follows_a_first_block_code() -> None:
    text = ENTRY + 'month = { role = "management", minutes = 20, after = "98977" }\n'
    [info] = parse_table(text, source_name="mine.toml", require_sources=False)
    with pytest.raises(CodeTableError, match="0999T counts after 98977, which must be a monthly"):
        CodeTable.default().with_codes(info, source_name="mine.toml")


def test_a_users_monthly_code_counts_by_its_month_table() -> None:
    text = ENTRY + 'month = { role = "management", minutes = 30 }\n'
    [info] = parse_table(text, source_name="mine.toml", require_sources=False)
    assert info.month is not None
    assert info.month.minutes == 30
    assert info.to_dict()["month"]["role"] == "management"


def test_every_packaged_monthly_code_says_how_it_counts() -> None:
    monthly = [info for info in CodeTable.default() if info.monthly]
    assert {info.code for info in monthly} == {
        "98975", "98976", "98977", "98978", "98979", "98980", "98981", "98984", "98985",
        "98986",
    }  # fmt: skip
    assert all(info.month is not None and info.sources for info in monthly)
    assert all(info.valid_from is not None and info.valid_sources for info in monthly)
