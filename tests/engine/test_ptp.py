"""NCCI procedure-to-procedure (PTP) edits: the user's CMS PTP file read as published,
the pairs a day's claim lines trip (both forms held equal), and --ptp on the commands."""

from __future__ import annotations

import csv
import datetime
import io
import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import example, given
from hypothesis import strategies as st

import unitcalc
from unitcalc.cli import main
from unitcalc.core.errors import PtpTableError
from unitcalc.core.ptp import PtpEdit, PtpTable
from unitcalc.engine.ptp import ClaimLine, check_ptp, ptp_columns

from ..property import strategies as ts

FIXTURES = Path(__file__).parents[1] / "fixtures"
PTP = FIXTURES / "ptp_sample.txt"
DAY = datetime.date(2026, 3, 2)


@pytest.fixture(scope="module")
def table() -> PtpTable:
    return PtpTable.load(PTP)


# --- the file as CMS publishes it --------------------------------------------------------


def test_reads_the_cms_layout(table: PtpTable) -> None:
    # Notice lines first, then the header naming the CMS columns; tab-delimited.
    assert table.source == str(PTP)
    assert len(table.edits) == 9
    [edit] = table.edits[("97530", "97150")]
    assert edit == PtpEdit("97530", "97150", datetime.date(2020, 1, 1), None, 1, "Test pair")
    [deleted] = table.edits[("97112", "97116")]
    assert deleted.deletion == datetime.date(2020, 1, 1)
    # The common therapy pairs are in the sample, as the issue asks.
    for pair in [("97161", "97140"), ("97162", "97140"), ("97163", "97140"), ("97164", "97530")]:
        assert pair in table.edits


def test_in_force_from_effective_up_to_deletion(table: PtpTable) -> None:
    # [effective, deletion): the deletion date itself is outside; indicator 9 never applies.
    assert table.in_force("97112", "97116", datetime.date(2019, 12, 31)) is not None
    assert table.in_force("97112", "97116", datetime.date(2020, 1, 1)) is None
    assert table.in_force("97530", "97150", datetime.date(2019, 12, 31)) is None
    assert table.in_force("97530", "97150", datetime.date(2020, 1, 1)) is not None
    assert table.in_force("97035", "97032", DAY) is None
    assert table.in_force("97150", "97530", DAY) is None  # column order matters
    # Without a date of service: the edits without a deletion date.
    assert table.in_force("97112", "97116", None) is None
    assert table.in_force("97530", "97150", None) is not None


def _same_columns(text: str) -> list[list[str]]:
    return [line.split("\t") for line in text.splitlines()]


def test_csv_and_xlsx_read_as_the_text(table: PtpTable, tmp_path: Path) -> None:
    rows = _same_columns(PTP.read_text(encoding="utf-8"))
    as_csv = tmp_path / "ptp.csv"
    with as_csv.open("w", newline="", encoding="utf-8") as stream:
        csv.writer(stream).writerows(rows)
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        # A workbook holds the dates as numbers, as Excel opens the text file.
        sheet.append([int(cell) if cell.isdigit() and len(cell) == 8 else cell for cell in row])
    as_xlsx = tmp_path / "ptp.xlsx"
    book.save(as_xlsx)
    for path in (as_csv, as_xlsx):
        assert dict(PtpTable.load(path).edits) == dict(table.edits)


def test_several_parts_read_as_one(tmp_path: Path) -> None:
    lines = PTP.read_text(encoding="utf-8").splitlines(keepends=True)
    first, second = tmp_path / "f1.txt", tmp_path / "f2.txt"
    first.write_text("".join(lines[:6]), encoding="utf-8")
    second.write_text("".join(lines[:3] + lines[6:]), encoding="utf-8")
    both = PtpTable.load_all([first, second])
    assert dict(both.edits) == dict(PtpTable.load(PTP).edits)


HEADER = (
    "Column 1\tColumn 2\t*=in existence prior to 1996\tEffective Date\t"
    "Deletion Date *=no data\tModifier 0=not allowed 1=allowed 9=not applicable\t"
    "PTP Edit Rationale\n"
)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("97530\t97150\t\t2020011\t*\t1\tx", "line 3: Effective Date '2020011' is not a date"),
        ("97530\t97150\t\t20200101\t2020-13-01\t1\tx", "line 3: Deletion Date '2020-13-01'"),
        ("97530\t97150\t\t20200101\t*\t2\tx", "line 3: Modifier indicator '2' is not 0, 1 or 9"),
        ("97530\t9715\t\t20200101\t*\t1\tx", "line 3: Column 2 '9715' is not a CPT/HCPCS code"),
        ("9753\t97150\t\t20200101\t*\t1\tx", "line 3: Column 1 '9753' is not a CPT/HCPCS code"),
    ],
    ids=["effective", "deletion", "indicator", "column-2", "column-1"],
)
def test_a_bad_field_names_the_file_line_and_field(tmp_path: Path, row: str, message: str) -> None:
    path = tmp_path / "ptp.txt"
    path.write_text("notice\n" + HEADER + row + "\n", encoding="utf-8")
    with pytest.raises(PtpTableError, match=message) as caught:
        PtpTable.load(path)
    assert caught.value.path == str(path)
    assert caught.value.line == 3
    result = CliRunner().invoke(main, ["calc", "97110=30", "--ptp", str(path)])
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"Error: {path}, line 3: ")


def test_a_file_without_the_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ptp.txt"
    path.write_text("97530\t97150\t\t20200101\t*\t1\n", encoding="utf-8")
    with pytest.raises(PtpTableError, match="no header row naming 'Column 1', 'Column 2'"):
        PtpTable.load(path)
    result = CliRunner().invoke(main, ["calc", "97110=30", "--ptp", str(tmp_path / "none.txt")])
    assert result.exit_code == 2
    assert "cannot read PTP edit file" in result.stderr


def test_a_note_under_the_table_is_not_an_edit(tmp_path: Path) -> None:
    path = tmp_path / "ptp.txt"
    path.write_text(HEADER + "97530\t97150\t\t20200101\t*\t1\tx\n\nEnd of file\n")
    assert list(PtpTable.load(path).edits) == [("97530", "97150")]


# --- the pairs a day trips ---------------------------------------------------------------


def lines_of(*specs: str, provider: str = "") -> list[ClaimLine]:
    """Claim lines from CODE[xUNITS][/MODIFIERS]: 97150x1/GP;59."""
    out = []
    for spec in specs:
        head, _, modifiers = spec.partition("/")
        code, _, units = head.partition("x")
        out.append(ClaimLine(code, "PT", int(units or 1), modifiers, provider))
    return out


@pytest.mark.parametrize(
    ("specs", "modifier_on", "tripped"),
    [
        (["97530", "97150"], "either", ["97530-97150"]),
        (["97530", "97150/GP;59"], "either", []),
        (["97530/XU", "97150"], "either", []),
        (["97530/XU", "97150"], "column2", ["97530-97150"]),
        (["97530", "97150/XS"], "column2", []),
        (["97530", "97150/GP", "97150/59"], "either", ["97530-97150"]),
        (["97530x0", "97150"], "either", []),
        (["97110/XU", "97530/59"], "either", ["97110-97530"]),
        (["97035", "97032"], "either", []),
        (["97161", "97140", "97164"], "either", ["97161-97140"]),
        (["97164", "97530", "97150"], "either", ["97164-97530", "97530-97150"]),
    ],
    ids=[
        "indicator-1-no-modifier", "59-on-column-2", "XU-on-column-1", "column2-only",
        "XS-on-column-2", "one-line-without", "no-units", "indicator-0-whatever",
        "indicator-9", "evaluation-and-manual-therapy", "two-pairs",
    ],
)  # fmt: skip
def test_pairs_tripped(
    table: PtpTable, specs: list[str], modifier_on: str, tripped: list[str]
) -> None:
    notes = check_ptp(
        lines_of(*specs),
        table,
        date_of_service=DAY,
        modifier_on=modifier_on,  # type: ignore[arg-type]
    )
    assert ["-".join(note.codes) for note in notes] == tripped


def test_the_words_name_the_indicator_and_the_modifier_used(table: PtpTable) -> None:
    [one] = check_ptp(lines_of("97530", "97150/GP"), table, date_of_service=DAY)
    assert one.kind == "edit"
    assert one.text == (
        "NCCI PTP: 97530 with 97150 on one date of service: column 2 code 97150 is not paid "
        "with 97530 without a modifier (indicator 1; modifier used: none)"
    )
    [zero] = check_ptp(lines_of("97110/XU", "97530/59"), table, date_of_service=DAY)
    assert zero.text.endswith(
        "column 2 code 97530 is not paid with 97110 whatever the modifier "
        "(indicator 0; modifier used: XU on 97110, 59 on 97530)"
    )
    [partly] = check_ptp(
        lines_of("97530/XU", "97150", provider="dr a"),
        table,
        date_of_service=DAY,
        modifier_on="column2",
    )
    assert partly.text == (
        "NCCI PTP: 97530 with 97150 on one date of service by dr a: column 2 code 97150 is "
        "not paid with 97530 without a modifier on it (indicator 1; modifier used: XU on 97530)"
    )


def test_only_one_providers_lines_make_a_pair(table: PtpTable) -> None:
    lines = [*lines_of("97530", provider="dr a"), *lines_of("97150", provider="dr b")]
    assert list(check_ptp(lines, table, date_of_service=DAY)) == []
    lines = [*lines_of("97530", provider="dr a"), *lines_of("97150", provider=" dr a")]
    assert len(list(check_ptp(lines, table, date_of_service=DAY))) == 1


def test_dates_of_service_around_the_edit(table: PtpTable) -> None:
    pair = lines_of("97112", "97116")
    assert len(list(check_ptp(pair, table, date_of_service=datetime.date(2019, 12, 31)))) == 1
    assert list(check_ptp(pair, table, date_of_service=datetime.date(2020, 1, 1))) == []
    future = lines_of("97140", "97530")
    assert list(check_ptp(future, table, date_of_service=DAY)) == []
    assert len(list(check_ptp(future, table, date_of_service=datetime.date(2027, 1, 1)))) == 1


# --- the two forms held equal ------------------------------------------------------------


@example(lines=[("97530", "PT", 1, "XU", ""), ("97150", "PT", 1, "", "")], day=3, on="column2")
@example(
    lines=[("97530", "PT", 1, "", "dr a"), ("97150", "PT", 1, "59", " dr a")], day=2, on="either"
)
# One provider, written once with U+001C before the name: the pair is one provider's.
@example(
    lines=[("97530", "PT", 1, "", "dr a"), ("97150", "PT", 1, "", "\x1cdr a")], day=2, on="either"
)
@given(
    st.lists(ts.ptp_claim_lines(), min_size=1, max_size=8),
    st.sampled_from(range(len(ts.PTP_DAYS) + 1)),
    st.sampled_from(("either", "column2")),
)
def test_ptp_in_both_forms(
    table: PtpTable, lines: list[tuple[str, str, int, str, str]], day: int, on: str
) -> None:
    # Whether any PTP pair trips: the words of check_ptp for one group's claim lines, the
    # flag of ptp_columns for the same rows (``day`` past the list: no date of service).
    date = datetime.date.fromisoformat(ts.PTP_DAYS[day]) if day < len(ts.PTP_DAYS) else None
    frame = pl.DataFrame(
        {
            "group": [1] * len(lines),
            "code": [line[0] for line in lines],
            "billed": [line[2] for line in lines],
            "modifiers": [line[3] for line in lines],
            "provider": [line[4] for line in lines],
            "day": [date] * len(lines),
        },
        schema={
            "group": pl.Int64, "code": pl.String, "billed": pl.Int64, "modifiers": pl.String,
            "provider": pl.String, "day": pl.Date,
        },
    )  # fmt: skip
    found = ptp_columns(
        frame.lazy(), table, group="group", code="code", billed="billed",
        modifiers="modifiers", provider="provider", day="day", modifier_on=on,  # type: ignore[arg-type]
    ).collect()  # fmt: skip
    flagged = bool(found.height and found.item(0, "__ptp"))
    claim = [ClaimLine(*line) for line in lines]
    words = list(check_ptp(claim, table, date_of_service=date, modifier_on=on))  # type: ignore[arg-type]
    assert flagged == bool(words)


# --- the commands ------------------------------------------------------------------------

VISITS = (
    "patient_id,date_of_service,code,minutes,discipline,billed_units,modifiers,provider\n"
    "P1,2026-03-02,97530,30,PT,2,GP,Avery Lee\n"
    "P1,2026-03-02,97150,20,PT,1,GP,Avery Lee\n"
    "P2,2026-03-02,97530,30,PT,2,GP,Avery Lee\n"
    "P2,2026-03-02,97150,20,PT,1,GP;59,Avery Lee\n"
    "P3,2026-03-02,97161,45,PT,1,GP,Avery Lee\n"
    "P3,2026-03-02,97140,15,PT,1,GP,Jordan Kim\n"
    "P4,2026-03-02,97530,30,PT,2,GP;XU,Avery Lee\n"
    "P4,2026-03-02,97150,20,PT,1,GP,Avery Lee\n"
)


def run(tmp_path: Path, *args: str) -> tuple[int, str]:
    path = tmp_path / "visits.csv"
    path.write_text(VISITS)
    result = CliRunner().invoke(main, [args[0], str(path), "--ptp", str(PTP), *args[1:]])
    return result.exit_code, result.stdout


def test_audit_reports_the_pairs(tmp_path: Path) -> None:
    code, out = run(tmp_path, "audit", "--format", "json")
    assert code == 1
    data = json.loads(out)
    edits = {f["group"]: f["edits"] for f in data["findings"]}
    assert data["summary"]["edits"] == 1  # P2 bills 59; P3's codes are two providers'; P4 XU
    assert edits == {
        "P1 / 2026-03-02": [
            "NCCI PTP: 97530 with 97150 on one date of service by Avery Lee: column 2 code "
            "97150 is not paid with 97530 without a modifier (indicator 1; modifier used: none)"
        ]
    }
    code, out = run(tmp_path, "audit", "--format", "json", "--ptp-modifier-on", "column2")
    groups = [f["group"] for f in json.loads(out)["findings"]]
    assert groups == ["P1 / 2026-03-02", "P4 / 2026-03-02"]  # XU on column 1 no longer does


@pytest.mark.parametrize("output_format", ["csv", "table"])
def test_audit_formats_carry_the_edit(tmp_path: Path, output_format: str) -> None:
    code, out = run(tmp_path, "audit", "--format", output_format)
    assert code == 1
    assert out.count("NCCI PTP: 97530 with 97150") == 1


def test_batch_reads_the_rows_as_claimed(tmp_path: Path) -> None:
    # batch reads each row's modifiers and provider as audit does: P2's 59 and P4's XU
    # bypass the indicator 1 edit, P3's two codes are two providers'; its edit is the
    # audit's, word for word.
    code, out = run(tmp_path, "batch")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    edits = {row["patient_id"]: row["edits"] for row in rows}
    _, audited = run(tmp_path, "audit", "--format", "json")
    [finding] = json.loads(audited)["findings"]
    assert edits == {"P1": finding["edits"][0], "P2": "", "P3": "", "P4": ""}
    assert "by Avery Lee" in edits["P1"]
    assert "modifier used: none" in edits["P1"]
    code, out = run(tmp_path, "batch", "--ptp-modifier-on", "column2")
    flagged = {row["patient_id"] for row in csv.DictReader(io.StringIO(out)) if row["edits"]}
    assert flagged == {"P1", "P4"}  # XU on column 1 no longer does


def test_batch_without_modifiers_or_providers_reads_the_codes_it_counts(tmp_path: Path) -> None:
    # Without a modifiers or provider column, the pairs among the codes counted are
    # checked as calc checks them: billed with no modifier, by no one in particular.
    path = tmp_path / "plain.csv"
    path.write_text(
        "patient_id,date_of_service,code,minutes,discipline\n"
        "P1,2026-03-02,97530,30,PT\nP1,2026-03-02,97150,20,PT\n"
    )
    result = CliRunner().invoke(main, ["batch", str(path), "--ptp", str(PTP)])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["edits"] for row in rows] == [
        "NCCI PTP: 97530 with 97150 on one date of service: column 2 code 97150 is not paid "
        "with 97530 without a modifier (indicator 1; modifier used: none)"
    ] * 2


def test_calc_and_the_python_api(table: PtpTable) -> None:
    result = CliRunner().invoke(
        main, ["calc", "97530=30", "97150", "--date", "2026-03-02", "--ptp", str(PTP)]
    )
    assert result.exit_code == 0
    assert "NCCI PTP: 97530 with 97150" in result.stdout
    day = unitcalc.calculate({"97161": None, "97140": 20}, ptp=table, date_of_service=DAY)
    assert [edit[:27] for edit in day.edits] == ["NCCI PTP: 97161 with 97140 "]
    finding = unitcalc.audit(
        {"97530": 30, "97150": None}, {"97530": 2, "97150": 1}, ptp=table, date_of_service=DAY
    )
    assert finding.flagged
    assert finding.edits[0].startswith("NCCI PTP: 97530 with 97150")
    month = CliRunner().invoke(main, ["calc", "--month", "2026-03", "98980=25", "--ptp", str(PTP)])
    assert month.exit_code == 2
    assert "--ptp does not apply to a month" in month.stderr
