"""Nothing rewritten, nothing invented: every value a file carries comes out as it went
in, and every output row is an input row (issue 22's reproductions, each a test that
failed before its fix)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.conftest import run

BLANK_DISCIPLINE = (
    "patient_id,date_of_service,code,minutes,discipline,billed_units\n"
    "P1,2026-03-02,97110,33,PT,2\nP1,2026-03-02,97140,7,,1\n"
)


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_a_line_without_a_discipline_keeps_what_it_billed(tmp_path: Path) -> None:
    # 97140 has no discipline and joins the day's PT pool: its claim line bills the 1 unit
    # the input billed (not 0), and is looked up under PT.
    path = tmp_path / "visits.csv"
    path.write_text(BLANK_DISCIPLINE, encoding="utf-8")
    result = run("batch", str(path))
    assert result.exit_code == 0, result.output
    lines = {row["code"]: row for row in rows_of(result.stdout)}
    assert (lines["97140"]["billed_units"], lines["97140"]["units"]) == ("1", "1")
    assert lines["97140"]["discipline"] == "PT"


def test_per_row_output_rows_are_the_input_rows(tmp_path: Path) -> None:
    # With --per-row every output row is an input row, carried as it went in (a blank
    # discipline stays blank), with its units: no row the input does not hold.
    path = tmp_path / "visits.csv"
    path.write_text(BLANK_DISCIPLINE, encoding="utf-8")
    result = run("batch", str(path), "--per-row")
    assert result.exit_code == 0, result.output
    rows = rows_of(result.stdout)
    inputs = rows_of(BLANK_DISCIPLINE)
    assert len(rows) == len(inputs)
    for row, given in zip(rows, inputs, strict=True):
        assert {name: row[name] for name in given} == given
    assert [row["units"] for row in rows] == ["2", "1"]


def test_one_stray_byte_in_a_utf8_file_is_named_not_guessed_away(tmp_path: Path) -> None:
    # José in UTF-8 on line 2, a lone cp1252 é on line 3: reading the whole file as
    # cp1252 would rewrite every accented value (and part one patient in two); the stray
    # byte is refused instead, with its line, its byte and the fix.
    path = tmp_path / "visits.csv"
    path.write_bytes(
        b"patient_id,date_of_service,code,minutes,billed_units,provider\n"
        b"P1,2026-03-02,97110,33,2,Jos\xc3\xa9\nP2,2026-03-02,97110,33,2,Jos\xe9\n"
    )
    result = run("audit", str(path))
    assert result.exit_code == 2
    assert "line 3: byte 0xe9 cannot be decoded as utf-8" in result.stderr
    assert "--encoding" in result.stderr


def test_a_file_all_in_cp1252_is_still_read_as_such(tmp_path: Path) -> None:
    path = tmp_path / "visits.csv"
    path.write_bytes(
        b"patient_id,date_of_service,code,minutes,billed_units,provider\n"
        b"P1,2026-03-02,97110,33,2,Jos\xe9\nP2,2026-03-02,97110,33,2,M\xfcller\n"
    )
    result = run("batch", str(path), "--per-row")
    assert result.exit_code == 0, result.output
    assert [row["provider"] for row in rows_of(result.stdout)] == ["José", "Müller"]


def test_output_columns_never_take_an_input_columns_name(tmp_path: Path) -> None:
    # A batch output fed back in carries status and unitcalc_status: both come out as
    # they went in, and the computed columns take other names.
    path = tmp_path / "visits.csv"
    path.write_text(
        "patient_id,date_of_service,code,minutes,billed_units,status,unitcalc_status\n"
        "P1,2026-03-02,97110,33,2,mine,theirs\n",
        encoding="utf-8",
    )
    result = run("batch", str(path), "--per-row")
    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[0].split(",")
    assert len(header) == len(set(header))
    [row] = rows_of(result.stdout)
    assert (row["status"], row["unitcalc_status"]) == ("mine", "theirs")
    assert (row["unitcalc_units_2"], row["unitcalc_status_2"]) == ("2", "ok")


def test_a_json_lines_key_named_like_the_other_fields_column_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "visits.jsonl"
    path.write_text(
        '{"patient_id":"P1","date_of_service":"2026-03-02","code":"97110","minutes":33,'
        '"other_fields":"keep me"}\n'
        '{"patient_id":"P2","date_of_service":"2026-03-02","code":"97110","minutes":20,"zzz":1}\n',
        encoding="utf-8",
    )
    result = run("batch", str(path), "--per-row", "--format", "csv")
    assert result.exit_code == 0, result.output
    first, second = rows_of(result.stdout)
    assert first["other_fields"] == "keep me"
    assert second["other_fields_2"] == '{"zzz": 1}'


def test_a_later_record_with_an_output_columns_name_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "visits.jsonl"
    path.write_text(
        '{"patient_id":"P1","date_of_service":"2026-03-02","code":"97110","minutes":33}\n'
        '{"patient_id":"P2","date_of_service":"2026-03-02","code":"97110","minutes":20,'
        '"unitcalc_units":1}\n',
        encoding="utf-8",
    )
    result = run("batch", str(path), "--per-row", "--format", "jsonl")
    assert result.exit_code == 2
    assert "line 2: the input's 'unitcalc_units' is the name of an output column" in result.stderr
    assert result.stdout == ""
