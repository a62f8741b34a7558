"""Edge cases of real exports: each must be read right or refused clearly, and no row
may be lost or silently changed."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import unitcalc
from unitcalc import FileProblem, iter_findings
from unitcalc.cli import main

HEADER = "patient_id,date_of_service,code,minutes,billed_units,note\n"


def write(tmp_path: Path, text: str | bytes, name: str = "v.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def findings(path: Path, **options: object) -> dict[str, unitcalc.Finding]:
    return {f.group: f for f in iter_findings(path, **options)}  # type: ignore[arg-type]


def test_unclosed_quote_in_the_last_column_is_not_swallowed_silently(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER
        + 'P1,2026-01-05,97110,33,2,"oops\nP1,2026-01-05,97140,7,1,\nP2,2026-01-05,97110,20,1,\n',
    )
    [finding] = findings(path).values()
    assert finding.status == "invalid"
    assert "a quote opened on line 2 is never closed: the record swallowed lines 3-4" in (
        finding.message
    )


def test_a_true_multi_line_note_is_kept(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER + 'P1,2026-01-05,97110,33,2,"first line\nsecond line"\nP1,2026-01-05,97140,7,1,\n',
    )
    [finding] = findings(path).values()
    assert (finding.status, finding.lines) == ("ok", (2, 3, 4))


def test_json_lines_keys_found_in_any_record_and_any_case(tmp_path: Path) -> None:
    rows = [
        {"patient_id": "P1", "date_of_service": "2026-01-05", "code": "97110", "minutes": 10, "billed_units": 1},
        {"Patient_ID": "P1", "date_of_service": "2026-01-05", "code": 97116, "minutes": 10, "billed_units": 1, "RULE": "ama"},
    ]  # fmt: skip
    path = write(tmp_path, "\n".join(json.dumps(r) for r in rows) + "\n", "v.jsonl")
    [finding] = findings(path).values()
    assert finding.status == "invalid"  # one row says ama, the other nothing: two rules
    rows[0]["rule"] = "ama"
    path = write(tmp_path, "\n".join(json.dumps(r) for r in rows) + "\n", "v.jsonl")
    [finding] = findings(path).values()
    assert (finding.status, finding.rule) == ("ok", "ama")


@pytest.mark.parametrize("value", [None, True, {"a": 1}], ids=["null", "true", "object"])
def test_json_lines_keys_must_be_plain_values(tmp_path: Path, value: object) -> None:
    row = {
        "patient_id": value,
        "date_of_service": "2026-01-05",
        "code": "97110",
        "minutes": 20,
        "billed_units": 1,
    }
    path = write(tmp_path, json.dumps(row) + "\n" + json.dumps(row) + "\n", "v.jsonl")
    found = findings(path)
    assert set(found) == {"line 1", "line 2"}
    assert all("patient_id is empty or not text" in f.message for f in found.values())


def test_an_unreadable_csv_line_makes_its_group_invalid(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        (HEADER + "P1,2026-01-05,97110,33,2,bad\rnote\nP1,2026-01-05,97140,7,1,\n").encode(),
    )
    found = findings(path)
    assert list(found) == ["P1 / 2026-01-05"]
    assert found["P1 / 2026-01-05"].status == "invalid"
    assert "carriage return inside an unquoted field" in found["P1 / 2026-01-05"].message


def test_old_mac_line_ends_are_refused_clearly(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER.replace("\n", "\r") + "P1,2026-01-05,97110,33,2,\r")
    with pytest.raises(FileProblem, match="carriage return only"):
        findings(path)


def test_excel_artefacts(tmp_path: Path) -> None:
    text = (
        "patient_id,date_of_service,code,minutes,billed_units,,\n"
        "P1,2026-01-05,97110,33,2,,\n,,,,,,\n   \nP1,2026-01-05,97140,7,1,,\n"
    )
    found = findings(write(tmp_path, text))
    assert list(found) == ["P1 / 2026-01-05"]
    assert found["P1 / 2026-01-05"].status == "ok"


def test_semicolons_detected_or_given(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER.replace(",", ";") + "P1;2026-01-05;97110;33;2;\n")
    result = CliRunner().invoke(main, ["audit", str(path), "--delimiter", ","])
    assert result.exit_code == 2
    assert "--delimiter" in result.stderr
    assert CliRunner().invoke(main, ["audit", str(path), "--delimiter", ";"]).exit_code == 0
    detected = CliRunner().invoke(main, ["audit", str(path), "--format", "json"])
    assert detected.exit_code == 0
    assert json.loads(detected.stdout)["summary"]["input"]["detected"] == ["delimiter"]


def test_utf16(tmp_path: Path) -> None:
    path = write(tmp_path, (HEADER + "P1,2026-01-05,97110,33,2,café\n").encode("utf-16"))
    assert findings(path, encoding="utf-16")["P1 / 2026-01-05"].status == "ok"


def test_a_utf8_bom_with_another_encoding_is_explained(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbf" + (HEADER + "P1,2026-01-05,97110,33,2,\n").encode())
    with pytest.raises(FileProblem, match="UTF-8 byte-order mark"):
        findings(path, encoding="cp1252")


def test_json_array_and_json_in_a_csv(tmp_path: Path) -> None:
    with pytest.raises(FileProblem, match="this is a JSON array"):
        findings(write(tmp_path, '[{"code": "97110"}]\n', "v.json"))
    with pytest.raises(FileProblem, match=re.escape("input_format='jsonl'")) as caught:
        findings(write(tmp_path, '{"code": "97110", "minutes": 5}\n', "v.csv"))
    assert caught.value.argument == "input_format"


def test_rows_interrupting_a_group_come_after_it(tmp_path: Path) -> None:
    text = HEADER + "P1,2026-01-05,97110,33,2,\n,d,97110,8,1,\nP1,2026-01-05,97140,7,1,\n"
    assert list(findings(write(tmp_path, text))) == ["P1 / 2026-01-05", "line 3"]


def test_identical_rows_are_pointed_out(tmp_path: Path) -> None:
    text = HEADER + "P1,2026-01-05,97110,20,1,\nP1,2026-01-05,97110,20,1,\n"
    finding = findings(write(tmp_path, text))["P1 / 2026-01-05"]
    assert finding.status == "under"
    assert any("lines 2 and 3 are identical" in w.text for w in finding.warnings)


def test_warnings_reach_the_findings(tmp_path: Path) -> None:
    text = "patient_id,date_of_service,code,minutes,discipline,billed_units\nP1,2026-01-05,97110,10,GP,1\nP1,2026-01-05,97140,10,,1\n"
    finding = findings(write(tmp_path, text))["P1 / 2026-01-05"]
    assert any("97140 has no discipline while other lines do" in w.text for w in finding.warnings)


def test_billed_units_with_a_zero_fraction(tmp_path: Path) -> None:
    assert (
        findings(write(tmp_path, HEADER + "P1,2026-01-05,97110,33,2.0,\n"))[
            "P1 / 2026-01-05"
        ].status
        == "ok"
    )


class TestOutput:
    def test_output_must_not_be_the_input(self, tmp_path: Path) -> None:
        path = write(tmp_path, HEADER + "P1,2026-01-05,97110,33,2,\n")
        before = path.read_text()
        result = CliRunner().invoke(main, ["batch", str(path), "--output", str(path)])
        assert result.exit_code == 2
        assert "is the input file" in result.stderr
        assert path.read_text() == before

    @pytest.mark.parametrize("target", ["nodir/out.csv", "."], ids=["missing-folder", "a-folder"])
    def test_unwritable_outputs_are_refused_up_front(self, tmp_path: Path, target: str) -> None:
        path = write(tmp_path, HEADER + "P1,2026-01-05,97110,33,2,\n")
        result = CliRunner().invoke(main, ["audit", str(path), "--output", str(tmp_path / target)])
        assert result.exit_code == 2
        assert "Traceback" not in result.stderr
        assert result.stderr.startswith("Error: --output")

    def test_dash_is_standard_output(self, tmp_path: Path) -> None:
        path = write(tmp_path, HEADER + "P1,2026-01-05,97110,33,2,\n")
        result = CliRunner().invoke(main, ["audit", str(path), "--output", "-"])
        assert result.stdout.startswith("Audit of 1 row")
        assert not (Path.cwd() / "-").exists()

    def test_reports_get_ordinary_permissions(self, tmp_path: Path) -> None:
        path = write(tmp_path, HEADER + "P1,2026-01-05,97110,33,2,\n")
        out = tmp_path / "r.txt"
        CliRunner().invoke(main, ["audit", str(path), "--output", str(out)])
        umask = os.umask(0)
        os.umask(umask)
        assert out.stat().st_mode & 0o777 == 0o666 & ~umask

    def test_header_only_batch_writes_the_header(self, tmp_path: Path) -> None:
        result = CliRunner().invoke(main, ["batch", str(write(tmp_path, HEADER))])
        assert result.exit_code == 0
        assert result.stdout.startswith("patient_id,date_of_service,code,discipline,minutes,units")

    def test_claim_lines_add_up_billed_units(self, tmp_path: Path) -> None:
        path = write(tmp_path, HEADER + "P1,2026-01-05,97110,20,1,a\nP1,2026-01-05,97110,13,1,b\n")
        rows = list(
            csv.DictReader(io.StringIO(CliRunner().invoke(main, ["batch", str(path)]).stdout))
        )
        assert [
            (r["code"], r["minutes"], r["units"], r["billed_units"], r["note"]) for r in rows
        ] == [("97110", "33", "2", "2", "a")]

    def test_group_by_needs_a_column_name(self, tmp_path: Path) -> None:
        path = write(tmp_path, HEADER + "P1,2026-01-05,97110,33,2,\n")
        result = CliRunner().invoke(main, ["batch", str(path), "--group-by", ","])
        assert result.exit_code == 2
        assert "--group-by names no column" in result.stderr


def test_audit_api_accepts_a_discipline_on_a_code_documented_without_one() -> None:
    assert unitcalc.audit({"97110": 33}, {"97110-GP": 2}).status == "ok"


def test_iter_findings_checks_its_arguments_at_once(tmp_path: Path) -> None:
    with pytest.raises(unitcalc.UnknownRuleError):
        iter_findings(tmp_path / "v.csv", rule="nope")


def test_claim_lines_never_rewrite_billed_units_they_cannot_add(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER
        + "P1,2026-01-05,97110,20,two,\nP1,2026-01-05,97110,13,1,\nP2,2026-01-05,97140,8,1.5,\n",
    )
    rows = list(csv.DictReader(io.StringIO(CliRunner().invoke(main, ["batch", str(path)]).stdout)))
    assert [(r["patient_id"], r["billed_units"]) for r in rows] == [("P1", "two+1"), ("P2", "1.5")]


def test_batch_puts_each_warning_on_the_lines_it_is_about(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "P1,2026-01-05,97110,33,2,\nP1,2026-01-05,97140,7,1,\n")
    rows = list(csv.DictReader(io.StringIO(CliRunner().invoke(main, ["batch", str(path)]).stdout)))
    assert rows[0]["message"] == ""
    assert rows[1]["message"].startswith("97140 bills 1 unit for 7 min, fewer than 8")


SHORT = "line 3: wrong number of fields: expected 6 as in the header, found 5; check for an unquoted delimiter"


@pytest.mark.parametrize(
    "second",
    [
        "P1,2026-01-05,97110,33,2,ann",  # a file without quotes: proved by its delimiters
        'P1,2026-01-05,97110,33,2,"ann"',  # a file with quotes: read by the careful reader
    ],
)
def test_a_short_row_is_reported_never_filled(tmp_path: Path, second: str) -> None:
    """Issue 22: polars fills a short row's missing fields with empty text; those values
    would be invented (an optional column taken as given empty), so the row is reported
    as the careful reader reports it, in a clean file as in a broken one."""
    path = tmp_path / "v.csv"
    path.write_text(
        f"patient_id,date_of_service,code,minutes,billed_units,provider\n{second}\n"
        "P1,2026-01-05,97140,8,1\n"
    )
    result = CliRunner().invoke(main, ["audit", str(path), "--format", "json"])
    finding = json.loads(result.stdout)["findings"][0]
    assert finding["status"] == "invalid"
    assert finding["errors"] == [SHORT]


def test_a_quoted_file_with_empty_last_cells_counts_them(tmp_path: Path) -> None:
    """A file with quotes whose last column holds empty cells is read by the careful
    reader, which tells a cell written empty from a missing one: it counts the rows."""
    path = tmp_path / "v.csv"
    path.write_text(
        "patient_id,date_of_service,code,minutes,billed_units,provider\n"
        'P1,2026-01-05,97110,33,2,"ann"\nP1,2026-01-05,97140,8,1,\n'
    )
    result = CliRunner().invoke(main, ["audit", str(path), "--format", "json", "--all"])
    data = json.loads(result.stdout)
    assert data["summary"]["counts"]["ok"] == 1
    assert data["summary"]["invalid_rows"] == 0
