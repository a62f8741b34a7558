"""Issue 14, the file-facing parts: any export's columns (aliases, --columns), detected
encoding and delimiter, findings for spreadsheets (key, provider and payer columns,
formula-looking cells quoted, a BOM on request), the xlsx workbook, the HTML report and
the run manifest."""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import re
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from unitcalc.cli import main
from unitcalc.core.encodings import detect_encoding
from unitcalc.files.cells import safe_column, spreadsheet_safe
from unitcalc.files.detect import detect_delimiter
from unitcalc.files.layout import find_roles

ROOT = Path(__file__).resolve().parents[2]
EHR = ROOT / "docs" / "examples" / "ehr_export.csv"
HEADER = "Patient ID,DOS,CPT,Minutes,Units"


def run(*args: str, env: dict[str, str] | None = None) -> object:
    return CliRunner(env=env).invoke(main, list(args))


def audit_json(path: Path, *options: str) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(main, ["audit", str(path), "--format", "json", *options])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_the_ehr_header_audits_with_no_option(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(f"{HEADER}\nP03,2026-03-02,97110,33,3\nP03,2026-03-02,97140,7,1\n")
    data = audit_json(path)
    assert data["summary"]["counts"]["over"] == 1
    assert data["summary"]["input"]["columns"] == {
        "patient_id": "Patient ID",
        "date_of_service": "DOS",
        "code": "CPT",
        "billed_units": "Units",
    }
    assert data["findings"][0]["key"] == {"Patient ID": "P03", "DOS": "2026-03-02"}


class TestRoles:
    def test_an_exact_role_name_wins_over_an_alias(self) -> None:
        roles = find_roles(["code", "CPT", "minutes"], {}, display="f")
        assert roles["code"] == "code"

    def test_two_aliases_of_one_role_are_an_error_naming_both(self) -> None:
        with pytest.raises(Exception, match="'CPT' and 'HCPCS' both read as code"):
            find_roles(["CPT", "HCPCS", "minutes"], {}, display="f")

    def test_columns_option_overrides(self, tmp_path: Path) -> None:
        path = tmp_path / "v.csv"
        path.write_text("Pt,Svc Date,Proc,Mins,Units\nP1,2026-03-02,97110,33,2\n")
        refused = CliRunner().invoke(main, ["audit", str(path)])
        assert refused.exit_code == 2
        assert "--columns ROLE=HEADER" in refused.stderr
        given = audit_json(path, "--columns", "patient_id=Pt, date_of_service=Svc Date,code=Proc")
        assert given["summary"]["counts"]["ok"] == 1
        assert given["summary"]["manifest"]["options"]["column_map"].startswith("patient_id")

    @pytest.mark.parametrize(
        ("given", "message"),
        [
            ("cpt=Proc", "'cpt' is not a role"),
            ("code=Nothing", "has no column 'Nothing'"),
            ("code", "write ROLE=HEADER"),
        ],
        ids=["unknown-role", "unknown-header", "no-equals"],
    )
    def test_bad_columns_option(self, tmp_path: Path, given: str, message: str) -> None:
        path = tmp_path / "v.csv"
        path.write_text("Pt,Svc Date,Proc,Mins,Units\nP1,2026-03-02,97110,33,2\n")
        result = CliRunner().invoke(main, ["audit", str(path), "--columns", given])
        assert result.exit_code == 2
        assert message in result.stderr


class TestDetection:
    def test_cp1252_and_semicolons_are_detected_and_said(self, tmp_path: Path) -> None:
        path = tmp_path / "v.csv"
        text = f"{HEADER};Rendering Provider\n".replace(",", ";")
        text += "P1;2026-03-02;97110;33;2;Müller\nP2;2026-03-02;97110;23;2;Müller\n"
        path.write_bytes(text.encode("cp1252"))
        data = audit_json(path)
        assert data["summary"]["input"]["encoding"] == "cp1252"
        assert data["summary"]["input"]["delimiter"] == ";"
        assert data["summary"]["input"]["detected"] == ["encoding", "delimiter"]
        assert data["summary"]["providers"][0]["provider"] == "Müller"
        table = CliRunner().invoke(main, ["audit", str(path)]).stdout
        assert "Read with encoding cp1252 (detected); delimiter semicolon (detected)" in table
        batch = CliRunner().invoke(main, ["batch", str(path)])
        assert batch.stderr.startswith("Read with encoding cp1252 (detected)")
        assert "Read with" not in batch.stdout

    def test_given_options_win(self, tmp_path: Path) -> None:
        path = tmp_path / "v.csv"
        path.write_bytes(b"visit_id;code;minutes;billed_units\nV1;97110;33;2\n")
        result = CliRunner().invoke(main, ["audit", str(path), "--delimiter", ","])
        assert result.exit_code == 2
        data = audit_json(path, "--encoding", "latin-1", "--delimiter", ";")
        assert data["summary"]["input"] == {
            "encoding": "latin-1",
            "delimiter": ";",
            "detected": [],
            "columns": {},
            "key": ["visit_id"],
        }

    def test_tab_and_bar(self) -> None:
        assert detect_delimiter(b"a\tb\tc\n1\t2\t3\n", "utf-8") == "\t"
        assert detect_delimiter(b"a|b|c\n1|2|3\n", "utf-8") == "|"
        assert detect_delimiter(b"a|b|c\n1|2\n1|2|3|4\n", "utf-8") == "|"
        assert detect_delimiter(b"code\n97110\n", "utf-8") == ","

    def test_encodings(self) -> None:
        assert detect_encoding("a,b\n".encode("utf-16")) == ("utf-16", False)
        assert detect_encoding(b"a,b\n") == ("utf-8", False)
        cut = ("x" * 65535 + "é").encode("utf-8")  # the sample ends inside a character
        assert detect_encoding(cut) == ("utf-8", False)


class TestSpreadsheetFindings:
    def test_key_provider_and_payer_columns_after_the_old_ones(self) -> None:
        result = CliRunner().invoke(main, ["audit", str(EHR), "--format", "csv"])
        rows = list(csv.reader(io.StringIO(result.stdout)))
        assert rows[0] == [
            "group", "status", "rule", "billed", "allowed", "difference", "lines", "message",
            "edits", "patient_id", "date_of_service", "provider", "payer",
        ]  # fmt: skip
        assert rows[1][9:] == ["P03", "2026-03-02", "Jordan Kim", ""]
        assert rows[2][5] == "-1"  # a number is not quoted

    def test_formula_cells_are_quoted_and_counting_unchanged(self, tmp_path: Path) -> None:
        path = tmp_path / "v.csv"
        path.write_text(
            "patient_id,date_of_service,code,minutes,billed_units,provider,note\n"
            "=1+1,2026-03-02,97110,33,3,@SUM(A1),+x\n"
        )
        audit = CliRunner().invoke(main, ["audit", str(path), "--format", "csv"])
        row = next(iter(csv.DictReader(io.StringIO(audit.stdout))))
        assert row["patient_id"] == "'=1+1"
        assert row["group"] == "'=1+1 / 2026-03-02"
        assert row["provider"] == "'@SUM(A1)"
        assert row["difference"] == "1"
        batch = CliRunner().invoke(main, ["batch", str(path)])
        line = next(iter(csv.DictReader(io.StringIO(batch.stdout))))
        assert (line["patient_id"], line["note"], line["units"]) == ("'=1+1", "'+x", "2")
        jsonl = CliRunner().invoke(main, ["batch", str(path), "--format", "jsonl"])
        assert json.loads(jsonl.stdout)["patient_id"] == "=1+1"  # JSON is no spreadsheet

    @pytest.mark.parametrize(
        ("value", "safe"),
        [("=A1", "'=A1"), ("-", "'-"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("ok", "ok"), (-1, -1)],
        ids=["equals", "minus", "tab", "cr", "plain", "number"],
    )
    def test_spreadsheet_safe(self, value: object, safe: object) -> None:
        assert spreadsheet_safe(value) == safe

    def test_excel_bom(self, tmp_path: Path) -> None:
        out = tmp_path / "findings.csv"
        result = run("audit", str(EHR), "--format", "csv", "--excel-bom", "--output", str(out))
        assert result.exit_code == 1  # type: ignore[attr-defined]
        assert out.read_bytes().startswith(b"\xef\xbb\xbfgroup,")
        shown = run("batch", str(EHR), "--excel-bom")
        assert shown.stdout.startswith("\ufeffPatient ID,DOS,")  # type: ignore[attr-defined]


def test_xlsx_workbook(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "audit.xlsx"
    result = run("audit", str(EHR), "--format", "xlsx", "--output", str(out))
    assert result.exit_code == 1  # type: ignore[attr-defined]
    book = load_workbook(out)
    assert book.sheetnames == [
        "Summary", "Findings", "Units by code", "Claim lines", "Providers", "Manifest",
    ]  # fmt: skip
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}" + (
            f"{sheet.max_row}"
        )
    findings = [[cell.value for cell in row] for row in book["Findings"].iter_rows()]
    assert findings[0][:2] == ["group", "status"]
    assert [row[5] for row in findings[1:]] == [1, -1]  # difference as numbers
    day = book["Findings"].cell(2, findings[0].index("date_of_service") + 1)
    assert day.value == datetime.datetime(2026, 3, 2)
    assert day.number_format == "yyyy-mm-dd"
    summary = dict(book["Summary"].iter_rows(values_only=True))
    assert summary["column code"] == "CPT"
    assert summary["rows read"] == 6
    assert summary["groups over"] == 1
    manifest = dict(book["Manifest"].iter_rows(values_only=True))
    assert manifest["input_sha256"] == hashlib.sha256(EHR.read_bytes()).hexdigest()
    assert manifest["options.format"] == "xlsx"
    assert isinstance(manifest["run_at"], datetime.datetime)
    assert "input_sha256" not in summary
    units = list(book["Units by code"].iter_rows(values_only=True))
    assert units == [
        ("group", "status", "code", "billed units", "allowed units"),
        ("P03 / 2026-03-02", "over", "97110", 3, 2),
        ("P03 / 2026-03-02", "over", "97140", 1, 1),
        ("P04 / 2026-03-03", "under", "97110", 1, 1),
        ("P04 / 2026-03-03", "under", "97140", 0, 1),
    ]
    lines = list(book["Claim lines"].iter_rows(values_only=True))
    assert lines[0] == (
        "line", "group", "status", "code", "billed units", "group billed units",
        "group allowed units",
    )  # fmt: skip
    # Every input line, in line order, with its group's status and units: those of the
    # day found ok too (its allowed units are those billed), to post corrections from.
    assert [row[0] for row in lines[1:]] == [2, 3, 4, 5, 6, 7]
    assert lines[1][1:] == ("P01 / 2026-03-02", "ok", "97110", 2, 2, 2)
    assert lines[2][1:] == ("P01 / 2026-03-02", "ok", "97140", 1, 1, 1)
    assert lines[3][1:] == ("P03 / 2026-03-02", "over", "97110", 3, 3, 2)
    assert lines[6][1:] == ("P04 / 2026-03-03", "under", "97140", 0, 0, 1)
    for sheet, numbers in (("Units by code", (3, 4)), ("Claim lines", (0, 4, 5, 6))):
        for row in book[sheet].iter_rows(min_row=2):
            assert [row[at].data_type for at in numbers] == ["n"] * len(numbers)
            assert row[2].data_type == "s"  # the status stays text
    providers = [row[0] for row in book["Providers"].iter_rows(values_only=True)]
    assert providers == ["provider", "Avery Lee", "Jordan Kim"]
    kim = next(
        row for row in book["Providers"].iter_rows(values_only=True) if row[0] == "Jordan Kim"
    )
    assert kim[5:7] == (2, 1)  # two findings, one of them over
    assert book["Findings"].column_dimensions["H"].width > 20


def test_xlsx_sheets_stop_at_the_row_limit_saying_how_many_were_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openpyxl import load_workbook

    import unitcalc.files.workbook

    monkeypatch.setattr(unitcalc.files.workbook, "MAX_ROWS", 3)  # Excel's is 1,048,576
    out = tmp_path / "audit.xlsx"
    run("audit", str(EHR), "--format", "xlsx", "--output", str(out))
    book = load_workbook(out)
    findings = list(book["Findings"].iter_rows(values_only=True))
    assert len(findings) == 3
    assert findings[1][0] == "P03 / 2026-03-02"
    assert findings[2][0].startswith("... 1 row left out: a sheet holds 3 rows")
    lines = list(book["Claim lines"].iter_rows(values_only=True))
    assert lines[2][0].startswith("... 5 rows left out")  # every input line is listed


def test_xlsx_needs_an_output_file() -> None:
    result = run("audit", str(EHR), "--format", "xlsx")
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "--output" in result.stderr  # type: ignore[attr-defined]


def report_of(tmp_path: Path, *options: str, source: Path = EHR) -> str:
    out = tmp_path / "report.html"
    env = {"SOURCE_DATE_EPOCH": "1772452800"}
    result = run("audit", str(source), "--report", str(out), *options, env=env)
    assert result.exit_code in (0, 1), result.output  # type: ignore[attr-defined]
    return out.read_text(encoding="utf-8")


def test_report_is_self_contained(tmp_path: Path) -> None:
    page = report_of(tmp_path)
    assert page.count("<svg") == 4
    # Nothing fetched: no script, no external style sheet, image or font.
    assert "<script" not in page
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", page)
    assert "@import" not in page
    assert "Jordan Kim" in page
    assert hashlib.sha256(EHR.read_bytes()).hexdigest() in page
    assert "2026-03-02T12:00:00+00:00" in page
    # The same input and time give the same file.
    assert report_of(tmp_path) == page


def test_report_with_no_findings_and_no_provider(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_text("visit_id,code,minutes,billed_units\nV1,97110,33,2\n")
    page = report_of(
        tmp_path, "--format", "json", "--output", str(tmp_path / "a.json"), source=path
    )
    assert "No findings" in page
    assert "no provider column" in page


def test_report_lists_at_most_the_table_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from unitcalc.files import report

    monkeypatch.setattr(report, "MAX_TABLE_ROWS", 1)
    page = report_of(tmp_path, "--all")
    assert "The first 1 findings are listed" in page


def test_manifest_of_standard_input() -> None:
    result = CliRunner().invoke(main, ["audit", "-", "--format", "json"], input=EHR.read_bytes())
    manifest = json.loads(result.stdout)["summary"]["manifest"]
    assert manifest["input"] == "<stdin>"
    assert manifest["input_sha256"] == hashlib.sha256(EHR.read_bytes()).hexdigest()


def test_manifest_beside_a_csv_and_inside_parquet(tmp_path: Path) -> None:
    import polars as pl

    sidecar = tmp_path / "run.json"
    result = run("batch", str(EHR), "--output", str(tmp_path / "b.csv"), "--manifest", str(sidecar))
    assert result.exit_code == 0  # type: ignore[attr-defined]
    manifest = json.loads(sidecar.read_text())
    assert manifest["input"] == EHR.name
    assert manifest["rows_read"] == 6
    assert manifest["read"]["columns"]["code"] == "CPT"
    table = tmp_path / "f.parquet"
    result = run("audit", str(EHR), "--format", "parquet", "--output", str(table))
    assert result.exit_code == 1  # type: ignore[attr-defined]
    stored = json.loads(pl.read_parquet_metadata(table)["unitcalc_manifest"])
    assert stored["input_sha256"] == hashlib.sha256(EHR.read_bytes()).hexdigest()
    assert pl.read_parquet(table).columns[-2:] == ["provider", "payer"]


def test_calc_loads_no_detector_workbook_or_plotting_library() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from unitcalc.cli import main\n"
        "try:\n    main(['calc', '97110=33', '97140=7'])\nexcept SystemExit:\n    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'charset_normalizer', 'openpyxl', 'matplotlib'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_iter_findings_detects_and_maps(tmp_path: Path) -> None:
    import unitcalc

    path = tmp_path / "v.csv"
    path.write_bytes(
        "Pt;DOS;CPT;Mins;Units;Note\nP1;2026-03-02;97110;33;3;Jos\xe9\n".encode("latin-1")
    )
    found = unitcalc.iter_findings(path, encoding=None, columns={"patient_id": "Pt"})
    assert [finding.status for finding in found] == ["over"]


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--report", "--report {out} is also --output"),
        ("--manifest", "--manifest {out} is also --output"),
    ],
    ids=["report", "manifest"],
)
def test_extra_outputs_are_checked_first(tmp_path: Path, option: str, message: str) -> None:
    out = tmp_path / "a.csv"
    result = run("audit", str(EHR), "--format", "csv", "--output", str(out), option, str(out))
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert message.format(out=out) in result.stderr  # type: ignore[attr-defined]
    assert not out.exists()
    folder = run("audit", str(EHR), option, str(tmp_path / "missing" / "r"))
    assert f"{option} " in folder.stderr  # type: ignore[attr-defined]
    assert "does not exist" in folder.stderr  # type: ignore[attr-defined]


def test_manifest_of_a_named_pipe_has_no_checksum(tmp_path: Path) -> None:
    import os
    import threading

    pipe = tmp_path / "visits.csv"
    os.mkfifo(pipe)

    def feed() -> None:
        with pipe.open("wb") as handle:
            handle.write(EHR.read_bytes())

    writer = threading.Thread(target=feed)
    writer.start()
    data = audit_json(pipe)
    writer.join(timeout=10)
    assert data["summary"]["manifest"]["input_sha256"] is None
    assert data["summary"]["manifest"]["rows_read"] == 6


@given(
    st.permutations(["Patient ID", "DOS", "CPT", "Minutes", "Units", "code", "Note"]),
    st.sampled_from(["_", " ", "-"]),
)
def test_roles_do_not_depend_on_column_order(headers: list[str], space: str) -> None:
    """The exact name ``code`` wins over ``CPT`` wherever each stands; an alias is
    matched whatever its case and its spaces or underscores."""
    written = [name.replace(" ", space).upper() for name in headers]
    roles = find_roles(written, {}, display="f")
    assert roles["code"] == "CODE"
    assert roles["patient_id"] == f"PATIENT{space}ID"
    assert {roles["date_of_service"], roles["billed_units"]} == {"DOS", "UNITS"}
    assert "CPT" not in roles.values()


@pytest.mark.parametrize(
    ("module", "args", "needed"),
    [
        (
            "openpyxl",
            ("--format", "xlsx", "--output", "audit.xlsx"),
            "a workbook (.xlsx) needs openpyxl",
        ),
        ("matplotlib", ("--report", "audit.html"), "the HTML report's charts need matplotlib"),
        ("jinja2", ("--report", "audit.html"), "the report needs Jinja2"),
        (
            "weasyprint",
            ("--report", "audit.pdf"),
            "a PDF report needs WeasyPrint (and the system's Pango library)",
        ),
    ],
)
def test_a_deliverable_without_its_extra_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str, args: tuple[str, ...], needed: str
) -> None:
    # An install without the [report] extra: the import fails, the run says so in one
    # line (exit 2), and no half-written deliverable is left.
    import sys

    monkeypatch.setitem(sys.modules, module, None)
    monkeypatch.chdir(tmp_path)
    result = run("audit", str(EHR), *args)
    assert result.exit_code == 2
    assert f"{needed}: pip install 'unitcalc[report]'" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / args[-1]).exists()


@given(
    st.lists(
        st.one_of(st.text(max_size=8), st.sampled_from(["=A1", "-2.5e3", "+", "-1+2", "@x", ".5"]))
    )
)
def test_spreadsheet_safety_in_columns_agrees_with_one_cell(cells: list[str]) -> None:
    frame = pl.DataFrame({"cell": cells}, schema={"cell": pl.String})
    safe = frame.select(safe_column(pl.col("cell"))).to_series().to_list()
    assert safe == [spreadsheet_safe(cell) for cell in cells]
