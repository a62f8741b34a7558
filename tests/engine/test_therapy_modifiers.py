"""Discipline modifiers (issue 24, check 2): GP/GO/GN on each therapy line, always-therapy
codes under their one discipline, CQ/CO beside the right modifier; both forms held equal,
and the edit in every output of the file audit."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import example, given
from hypothesis import strategies as st

from unitcalc.cli import main
from unitcalc.core.codes import CodeTable
from unitcalc.engine.ptp import ClaimLine
from unitcalc.engine.therapy_modifiers import (
    PREFIX,
    check_therapy_modifiers,
    line_problems,
    therapy_modifier_columns,
)

CODES = CodeTable.default()


def problems(code: str, discipline: str | None, modifiers: str) -> tuple[str, ...]:
    return line_problems(code, discipline, tuple(modifiers.split(";")) if modifiers else (), CODES)


@pytest.mark.parametrize(
    ("code", "discipline", "modifiers", "words"),
    [
        ("97110", "PT", "GP", None),
        ("97110", "PT", "GP;CQ", None),
        ("97530", "OT", "GO;CO", None),
        ("92507", "SLP", "GN", None),
        ("97161", "PT", "GP", None),
        ("97165", "OT", "GO", None),
        ("92521", "SLP", "GN", None),
        ("97110", None, "", None),  # no discipline, no modifier: not known as therapy
        ("97110", "PT", "", "97110-PT billed without GP, GO or GN: a therapy line"),
        ("97110", "PT", "59", "97110-PT billed without GP, GO or GN: a therapy line"),
        ("97110", None, "CQ", "97110 billed with CQ but without GP, GO or GN: CQ is paired"),
        ("97161", None, "", "97161 billed without GP, GO or GN: an always-therapy code"),
        ("97110", "PT", "GP;GO", "97110-PT billed with GP and GO: a line carries one"),
        ("97165", "OT", "GP", "97165-OT billed with GP: an always-therapy code that takes GO"),
        ("97161", "PT", "GO", "97161-PT billed with GO: an always-therapy code that takes GP"),
        ("92521", "SLP", "GP", "92521-SLP billed with GP: an always-therapy code that takes GN"),
        ("97530", "OT", "GO;CQ", "97530-OT billed with CQ beside GO: CQ is paired with GP"),
        ("97110", "PT", "GP;CO", "97110-PT billed with CO beside GP: CO is paired with GO"),
        ("92507", "SLP", "GN;CQ", "92507-SLP billed with CQ beside GN: CQ is paired with GP"),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 12 else None,
)
def test_line_problems(
    code: str, discipline: str | None, modifiers: str, words: str | None
) -> None:
    found = problems(code, discipline, modifiers)
    if words is None:
        assert found == ()
    else:
        [problem] = found
        assert problem.startswith(words)
        assert "CMS" in problem  # each finding names its source


def test_sources_named() -> None:
    [missing] = problems("97110", "PT", "")
    assert missing.endswith("(CMS Pub. 100-04 Ch. 5 section 20.1)")
    [wrong] = problems("97165", "OT", "GP")
    assert "CR 10176" in wrong
    [slp] = problems("92507", "SLP", "GN;CO")
    assert "SLP has no assistant modifier" in slp


def test_one_note_per_problem() -> None:
    lines = [ClaimLine("97110", "PT", 1, ""), ClaimLine("97110", "PT", 1, "")]
    [note] = check_therapy_modifiers(lines, CODES)
    assert note.text.startswith(PREFIX + "97110-PT billed without")
    assert note.kind == "edit"
    assert note.codes == ("97110",)


CODES_SAMPLED = ("97110", "97530", "97161", "97165", "92521", "92507", "97010")
MODIFIERS_SAMPLED = ("GP", "GO", "GN", "CQ", "CO", "59", "KX")


@given(
    st.lists(
        st.tuples(
            st.sampled_from(CODES_SAMPLED),
            st.sampled_from((None, "PT", "OT", "SLP")),
            st.integers(0, 3),
            st.lists(st.sampled_from(MODIFIERS_SAMPLED), max_size=3).map(";".join),
            st.sampled_from((";", " ", ",", "; ")),
        ),
        min_size=1,
        max_size=6,
    )
)
@example([("97165", "OT", 1, "GP", ";")])
@example([("97110", None, 0, "CQ", ";")])
@example([("97110", "PT", 2, "", ";")])
def test_both_forms(lines: list[tuple[str, str | None, int, str, str]]) -> None:
    rows = [
        (code, disc, units, mods.replace(";", sep).lower())
        for code, disc, units, mods, sep in lines
    ]
    frame = pl.DataFrame(
        {
            "group": [1] * len(rows),
            "code": [row[0] for row in rows],
            "discipline": [row[1] for row in rows],
            "modifiers": [row[3] for row in rows],
        },
        schema={
            "group": pl.Int64,
            "code": pl.String,
            "discipline": pl.String,
            "modifiers": pl.String,
        },
    )
    found = therapy_modifier_columns(
        frame.lazy(), CODES, group="group", code="code", discipline="discipline",
        modifiers="modifiers",
    ).collect()  # fmt: skip
    flagged = bool(found.item(0, "__modifiers"))
    words = list(check_therapy_modifiers([ClaimLine(*row) for row in rows], CODES))
    assert flagged == bool(words)


# --- the file audit ----------------------------------------------------------------------

VISITS = (
    "patient_id,date_of_service,code,minutes,discipline,billed_units,modifiers\n"
    "P1,2026-03-02,97110,30,PT,2,GP\n"
    "P2,2026-03-02,97110,30,PT,2,\n"
    "P3,2026-03-02,97165,45,OT,1,GP\n"
    "P4,2026-03-02,97530,30,OT,2,GO;CQ\n"
)


def audit(tmp_path: Path, text: str, *args: str) -> dict[str, list[str]]:
    path = tmp_path / "visits.csv"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["audit", str(path), "--format", "json", *args])
    assert result.exit_code in (0, 1), result.output
    findings = json.loads(result.output)["findings"]
    return {finding["group"].split(" ")[0]: finding["edits"] for finding in findings}


def test_file_audit_flags_each_line(tmp_path: Path) -> None:
    edits = audit(tmp_path, VISITS)
    assert "P1" not in edits or edits["P1"] == []
    [p2] = edits["P2"]
    assert p2.startswith("Therapy modifier: 97110-PT billed without GP, GO or GN")
    [p3] = edits["P3"]
    assert p3.startswith("Therapy modifier: 97165-OT billed with GP")
    # The assistant line (scalar engine) reports the pairing once, as this edit.
    p4 = [text for text in edits["P4"] if "CQ beside GO" in text or "without GP" in text]
    assert p4 == [
        "Therapy modifier: 97530-OT billed with CQ beside GO: CQ is paired with GP only "
        "(OT has CO); claims not so paired are returned as unprocessable "
        "(CMS Pub. 100-04 Ch. 5 section 20.1)"
    ]


def test_no_modifiers_column_skips_the_check(tmp_path: Path) -> None:
    text = "\n".join(line.rsplit(",", 1)[0] for line in VISITS.splitlines()) + "\n"
    edits = audit(tmp_path, text)
    assert all(not any(e.startswith("Therapy modifier") for e in found) for found in edits.values())
