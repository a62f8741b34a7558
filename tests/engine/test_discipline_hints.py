"""Hints for lines without a discipline: the plans of care that bill the code and its
designation on CMS's therapy code list decide where such a line goes, and a hint never
steers it to the wrong plan of care (where sources disagree, the line asks, it is not
refused and not joined to a guess)."""

from __future__ import annotations

import pytest

from unitcalc import InvalidServiceError, ServiceLine, calculate


def test_97129_without_a_discipline_joins_a_pt_day() -> None:
    # Payer and vendor pages list 97129/97130 under PT too: a PT-only day is not an error.
    lines = [ServiceLine("97110", 30, discipline="PT"), ServiceLine("97129", 20)]
    result = calculate(lines)
    assert result.units == {"97110": 2, "97129": 1, "97130": 0}
    assert [line.discipline for line in result.lines][:2] == ["PT", "PT"]


def test_92526_without_a_discipline_asks_between_ot_and_slp() -> None:
    # OT bills 92526 too: on a day naming OT and SLP it must not be steered to SLP.
    lines = [
        ServiceLine("92507", 30, discipline="SLP"),
        ServiceLine("97535", 30, discipline="OT"),
        ServiceLine("92526", 20),
    ]
    with pytest.raises(InvalidServiceError) as caught:
        calculate(lines)
    assert caught.value.field == "discipline"
    assert "(92526-GO or 92526-GN)" in str(caught.value)
    assert calculate(lines, default_discipline="OT").units["92526"] == 1


def test_a_code_of_one_discipline_still_settles_it() -> None:
    lines = [
        ServiceLine("92507", 30, discipline="SLP"),
        ServiceLine("97535", 30, discipline="OT"),
        ServiceLine("92607", 60),
    ]
    result = calculate(lines)
    assert next(line for line in result.lines if line.code == "92607").discipline == "SLP"


@pytest.mark.parametrize("code", ["G0237", "G0238"])
def test_a_code_billed_without_a_therapy_modifier_joins_no_therapy_pool(code: str) -> None:
    lines = [ServiceLine("97110", 30, discipline="PT"), ServiceLine(code, 15)]
    result = calculate(lines)
    assert result.units == {"97110": 2, code: 1}
    line = next(line for line in result.lines if line.code == code)
    assert line.discipline is None
    notes = [w.text for w in result.warnings if w.kind == "no-discipline"]
    assert len(notes) == 1
    assert notes[0].startswith(f"{code} has no discipline while other lines do (PT): counted")
    assert "without a therapy modifier" in notes[0]
    assert f"{code}-GP" in notes[0]


def test_joined_with_pt_a_code_billed_without_a_modifier_pools_with_pt() -> None:
    # Apart, 97110 22 min and G0237 7 min bill 1 + 0; given PT, their 29 min bill 2.
    lines = [ServiceLine("97110", 22, discipline="PT"), ServiceLine("G0237", 7)]
    assert calculate(lines).total_units == 1
    given = [ServiceLine("97110", 22, discipline="PT"), ServiceLine("G0237", 7, discipline="PT")]
    assert calculate(given).total_units == 2
    assert calculate(lines, default_discipline="PT").lines[1].discipline == "PT"


def test_a_sometimes_therapy_code_joined_to_the_day_says_so() -> None:
    lines = [ServiceLine("97110", 30, discipline="PT"), ServiceLine("G0543")]
    result = calculate(lines, date_of_service="2026-03-02")
    [note] = [w.text for w in result.warnings if w.kind == "no-discipline"]
    assert "counted with PT" in note
    assert "'sometimes therapy' on CMS's therapy code list" in note
    always = calculate([ServiceLine("97110", 30, discipline="PT"), ServiceLine("97161")])
    [plain] = [w.text for w in always.warnings if w.kind == "no-discipline"]
    assert "sometimes therapy" not in plain
