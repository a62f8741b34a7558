"""A run's summary rebuilt from its whole dict, and summaries added up."""

from __future__ import annotations

import pytest

from unitcalc.files import Summary


def part(rows: int, **counts: int) -> Summary:
    summary = Summary(rows_read=rows, blank_lines=1, invalid_rows=counts.get("invalid", 0))
    for status, count in counts.items():
        for _ in range(count):
            summary.count(status)
    summary.tally("Dr A", 45, 3)
    summary.date_formats = ("iso",)
    return summary


def test_a_summary_rebuilds_from_its_whole_dict() -> None:
    summary = part(10, ok=3, over=1)
    summary.edits = 2
    summary.order = "scattered"
    rebuilt = Summary.from_dict(summary.to_dict(whole=True))
    assert rebuilt.to_dict(whole=True) == summary.to_dict(whole=True)
    assert rebuilt.providers == {"Dr A": [45, 3]}


def test_parts_add_up() -> None:
    first, second = part(10, ok=3, over=1), part(5, ok=1, invalid=1)
    second.date_formats = ("us",)
    second.order = "scattered"
    total = first + second
    assert (total.rows_read, total.blank_lines, total.groups) == (15, 2, 6)
    assert total.counts == {"ok": 4, "over": 1, "invalid": 1}
    assert total.providers == {"Dr A": [90, 6]}
    assert total.date_formats == ("iso", "us")
    assert total.order == "scattered"
    assert first.rows_read == 10  # the parts are left as they were


def test_a_priced_summary_is_a_whole_run() -> None:
    priced = part(1, ok=1)
    priced.payment = {"by_status": {}}
    with pytest.raises(ValueError, match="whole run"):
        priced + part(1, ok=1)
