"""MUE (from the user's CMS table) and NCCI per-day edits in calc, batch and audit,
and the provider minutes-per-unit summary."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import unitcalc
from unitcalc import Note
from unitcalc.cli import main
from unitcalc.core.mue import MueTable, MueTableError
from unitcalc.engine.edits import check_edits, edit_columns

FIXTURES = Path(__file__).parents[1] / "fixtures"
MUE = FIXTURES / "mue_sample.csv"
PAYERS = Path(__file__).resolve().parents[2] / "docs" / "payers.toml"


@pytest.fixture(scope="module")
def mue() -> MueTable:
    return MueTable.load(MUE)


def test_reads_the_cms_layout(mue: MueTable) -> None:
    # Copyright lines first, and a header cell with a line break in it.
    assert set(mue.entries) == {"97110", "97140", "97161", "97530"}
    entry = mue.get("97140")
    assert entry is not None
    assert (entry.units, entry.indicator, entry.per_line) == (2, 1, True)
    clinical = mue.get("97530")
    assert clinical is not None
    assert clinical.indicator == 3


def test_a_file_without_the_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mue.csv"
    path.write_text("code,value\n97110,4\n")
    with pytest.raises(MueTableError, match="no header row naming 'HCPCS/CPT Code'"):
        MueTable.load(path)


def test_a_bad_value_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "mue.csv"
    path.write_text(
        '"HCPCS/CPT Code","Practitioner Services MUE Values","MUE Adjudication Indicator"\n'
        "97110,four,2 Date of Service Edit: Policy\n"
    )
    with pytest.raises(MueTableError, match=r"line 2: 97110: MUE value 'four'"):
        MueTable.load(path)


def test_per_line_and_per_day(mue: MueTable) -> None:
    # 97140 is a per-line edit (2): two lines of 2 pass, one line of 3 does not.
    assert list(check_edits([("97140", "PT", 2), ("97140", "OT", 2)], mue=mue)) == []
    [edit] = check_edits([("97140", "PT", 3)], mue=mue)
    assert edit.text.startswith("MUE: 97140-PT has 3 units on one line, above its MUE of 2")
    assert (edit.kind, edit.codes) == ("edit", ("97140",))
    # 97110 is a date-of-service edit (3): lines add up.
    [edit] = check_edits([("97110", "PT", 2), ("97110", "OT", 2)], mue=mue)
    assert edit.text.startswith("MUE: 97110 has 4 units on one date of service, above its MUE of 3")


@pytest.mark.parametrize(
    ("lines", "flagged"),
    [
        ([("97161", "PT", 1)], False),
        ([("97161", "PT", 1), ("97164", "PT", 1)], True),
        ([("97163", "PT", 1), ("97165", "OT", 1)], False),
        ([("97165", "OT", 1), ("97168", "OT", 1)], True),
    ],
    ids=["one-pt", "two-pt", "pt-and-ot", "two-ot"],
)
def test_ncci_one_evaluation_per_day(lines: list[tuple[str, str, int]], flagged: bool) -> None:
    edits = list(check_edits(lines, mue=None))
    assert bool(edits) == flagged
    if flagged:
        assert edits[0].text.startswith("NCCI: ")
        assert edits[0].codes == tuple(code for code, _, _ in lines)
        assert "per date of service" in edits[0].text


def test_calc_reports_edits(mue: MueTable) -> None:
    result = unitcalc.calculate({"97110": 70, "97140": 35}, mue=mue)
    assert result.edits == (
        "MUE: 97110 has 5 units on one date of service, above its MUE of 3 "
        "(2 Date of Service Edit: Policy)",
    )
    assert Note(result.edits[0], kind="edit", codes=("97110",)) in result.warnings
    assert unitcalc.calculate({"97161": None, "97164": None}).edits[0].startswith("NCCI: ")


VISITS = (
    "patient_id,date_of_service,code,minutes,discipline,billed_units,payer,provider\n"
    "P1,2026-11-02,97110,40,PT,3,anthem-example,dr a\n"
    "P1,2026-11-02,97140,30,PT,1,anthem-example,dr a\n"
    "P1,2026-11-02,97530,20,PT,0,anthem-example,dr a\n"
    "P2,2026-11-02,97110,70,PT,5,medicare,dr b\n"
    "P2,2026-11-02,97140,35,PT,2,medicare,dr b\n"
    "P3,2026-11-02,97161,45,PT,1,medicare,dr b\n"
    "P3,2026-11-02,97164,20,PT,1,medicare,dr b\n"
    "P4,2026-11-02,97110,8,PT,1,,dr c\n"
    "P4,2026-11-02,97140,8,PT,0,,dr c\n"
)


def run(tmp_path: Path, *args: str) -> tuple[int, str]:
    path = tmp_path / "visits.csv"
    path.write_text(VISITS)
    result = CliRunner().invoke(
        main, [args[0], str(path), "--payers", str(PAYERS), "--mue", str(MUE), *args[1:]]
    )
    return result.exit_code, result.stdout


def test_audit_with_payers_mue_ncci_and_providers(tmp_path: Path) -> None:
    code, out = run(tmp_path, "audit", "--format", "json", "--all")
    data = json.loads(out)
    assert code == 1  # edits tripped, though every group is ok
    assert data["summary"]["counts"]["ok"] == 4
    assert data["summary"]["edits"] == 2
    findings = {f["group"]: f for f in data["findings"]}
    assert findings["P1 / 2026-11-02"]["status"] == "ok"  # trimmed to anthem's cap of 4
    assert "anthem-example's cap applies" in findings["P1 / 2026-11-02"]["message"]
    assert findings["P2 / 2026-11-02"]["edits"][0].startswith("MUE: 97110 has 5 units")
    assert findings["P3 / 2026-11-02"]["edits"][0].startswith("NCCI: 97161, 97164")
    providers = {p["provider"]: p for p in data["summary"]["providers"]}
    assert providers["dr a"] == {
        "provider": "dr a", "timed_minutes": 90, "timed_units_billed": 4,
        "minutes_per_unit": 22.5, "review": False,
        # A date of service in the key: the provider's days (none over 8 hours).
        "days_over_8_hours": 0, "worst_day_minutes": 90, "worst_day": "2026-11-02",
    }  # fmt: skip
    assert providers["dr c"]["minutes_per_unit"] == 16.0
    assert providers["dr b"]["minutes_per_unit"] == 15.0
    assert providers["dr b"]["review"] is False


def test_audit_table_marks_providers_for_review(tmp_path: Path) -> None:
    path = tmp_path / "visits.csv"
    path.write_text(
        "visit_id,code,minutes,billed_units,provider\nV1,97110,8,1,dr x\nV2,97110,10,1,dr x\n"
    )
    out = CliRunner().invoke(main, ["audit", str(path)]).stdout
    assert "dr x                 18              2        9.00  review" in out


def test_batch_applies_payer_and_reports_edits(tmp_path: Path) -> None:
    code, out = run(tmp_path, "batch")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    p1 = [(r["code"], r["units"]) for r in rows if r["patient_id"] == "P1"]
    assert p1 == [("97110", "3"), ("97140", "1"), ("97530", "0")]
    p2 = [r for r in rows if r["patient_id"] == "P2"]
    assert p2[0]["edits"].startswith("MUE: 97110 has 5 units")


def test_calc_with_payer_and_mue() -> None:
    result = CliRunner().invoke(
        main,
        ["calc", "97110=40", "97140=30", "97530=20", "--payers", str(PAYERS), "--payer",
         "anthem-example", "--mue", str(MUE), "--format", "json"],
    )  # fmt: skip
    data = json.loads(result.stdout)
    assert (data["payer"], data["total_units"]) == ("anthem-example", 4)
    assert data["removed"] == {"97140": 1, "97530": 1}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--payer", "medicare"], "--payer needs --payers FILE"),
        (["--payers", str(PAYERS), "--payer", "acme"], "no payer profile 'acme'"),
        (["--payers", str(PAYERS), "--payer", "medicare", "--rule", "ama"], "conflicts with payer"),
        (["--mue", "/nonexistent.csv"], "cannot read MUE table"),
    ],
)
def test_calc_option_errors(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["calc", "97110=10", *args])
    assert result.exit_code == 2
    assert message in result.stderr


# --- the two forms held equal -----------------------------------------------------------

EDIT_CODES = ("97161", "97162", "97164", "97165", "97168", "97110", "97140", "97530", "97150")


@given(
    st.lists(
        st.tuples(
            st.sampled_from(EDIT_CODES), st.sampled_from((None, "PT", "OT")), st.integers(0, 6)
        ),
        min_size=1,
        max_size=8,
    ),
    st.booleans(),
)
def test_edits_in_both_forms(lines: list[tuple[str, str | None, int]], with_mue: bool) -> None:
    # Whether any NCCI per-day limit or MUE trips: the words of check_edits for one
    # group's claim lines, the flag of edit_columns for the same rows.
    table = MueTable.load(MUE) if with_mue else None
    frame = pl.DataFrame(
        {
            "group": [1] * len(lines),
            "code": [c for c, _, _ in lines],
            "billed": [u for _, _, u in lines],
        },
        schema={"group": pl.Int64, "code": pl.String, "billed": pl.Int64},
    )
    flagged = (
        edit_columns(frame.lazy(), table, group="group", code="code", billed="billed")
        .collect()
        .item(0, "__edits")
    )
    assert flagged == bool(list(check_edits(lines, mue=table)))
