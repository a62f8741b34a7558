"""The assistant modifiers CQ/CO billed in a visit file (docs/rules.md, Assistant modifiers CQ and CO, CMS Pub.
100-04 Ch. 5 section 20.1): a `modifiers` or `cq_units` column checked against the units
due with the modifier, computed from an `assistant_minutes` column."""

from __future__ import annotations

from pathlib import Path

import pytest

from unitcalc import iter_findings

HEADER = "patient_id,date_of_service,code,minutes,assistant_minutes,discipline,billed_units,{}\n"


def edits(tmp_path: Path, column: str, rows: str) -> dict[str, tuple[str, ...]]:
    path = tmp_path / "visits.csv"
    path.write_text(HEADER.format(column) + rows, encoding="utf-8")
    return {finding.group: finding.edits for finding in iter_findings(path)}


def test_a_missing_modifier_is_found(tmp_path: Path) -> None:
    # docs/rules.md, Assistant modifiers CQ and CO, DERIVED: 97110 A 23, T 13; 97140 T 30: one 97110 unit takes CQ.
    found = edits(
        tmp_path,
        "modifiers",
        "P1,2026-03-02,97110,13,23,PT,2,GP\nP1,2026-03-02,97140,30,,PT,2,GP\n",
    )
    [message] = found["P1 / 2026-03-02"]
    assert message.startswith("Modifier: 97110: 1 unit furnished in whole or in part")
    assert "billed without CQ" in message


def test_a_modifier_where_none_is_due_is_found(tmp_path: Path) -> None:
    found = edits(tmp_path, "modifiers", "P2,2026-03-02,97110,30,,PT,2,GP;CQ\n")
    [message] = found["P2 / 2026-03-02"]
    assert "billed with CQ where none is due" in message


def test_cq_without_gp_is_found(tmp_path: Path) -> None:
    # 97110 A 10, T 5 (docs/rules.md, Assistant modifiers CQ and CO, proposed-rule Example A): CQ due, but not paired.
    found = edits(tmp_path, "modifiers", "P3,2026-03-02,97110,5,10,PT,1,CQ\n")
    # The pairing is the discipline modifier edit's (engine/therapy_modifiers), reported once.
    [message] = found["P3 / 2026-03-02"]
    assert message.startswith("Therapy modifier: 97110-PT billed with CQ but without GP")


@pytest.mark.parametrize(
    ("cq_units", "expected"),
    [("1", ()), ("0", ("billed without CQ",)), ("2", ("where none is due",))],
    ids=["right-count", "missing", "too-many"],
)
def test_a_cq_units_count(tmp_path: Path, cq_units: str, expected: tuple[str, ...]) -> None:
    found = edits(tmp_path, "cq_units", f"P4,2026-03-02,97110,5,10,PT,1,{cq_units}\n")
    messages = found.get("P4 / 2026-03-02", ())
    assert len(messages) == len(expected)
    for message, words in zip(messages, expected, strict=True):
        assert words in message


def test_no_modifier_before_2020(tmp_path: Path) -> None:
    found = edits(tmp_path, "modifiers", "P5,2019-03-02,97110,5,10,PT,1,GP\n")
    assert found["P5 / 2019-03-02"] == ()
