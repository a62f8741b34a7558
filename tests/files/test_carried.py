"""Nothing rewritten, nothing invented: every value a file carries comes out as it went
in, and every output row is an input row (issue 22's reproductions, each a test that
failed before its fix)."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run
from unitcalc.core.errors import FileProblem
from unitcalc.files import Options

HEADER = "patient_id,date_of_service,code,minutes,discipline,billed_units\n"

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


def test_dev_stdout_appends_to_the_file_behind_it(tmp_path: Path) -> None:
    # `unitcalc batch ... --output /dev/stdout >> log.csv`: the log keeps its lines and
    # gets the output after them (the file behind the descriptor is written through it,
    # never replaced).
    import subprocess
    import sys

    path = tmp_path / "visits.csv"
    path.write_text(BLANK_DISCIPLINE, encoding="utf-8")
    log = tmp_path / "log.csv"
    log.write_text("an earlier line\n", encoding="utf-8")
    with log.open("a", encoding="utf-8") as appended:
        subprocess.run(
            [sys.executable, "-m", "unitcalc.cli", "batch", str(path), "--output", "/dev/stdout"],
            stdout=appended,
            check=True,
        )
    text = log.read_text(encoding="utf-8")
    assert text.startswith("an earlier line\npatient_id,")
    assert text.count("P1,2026-03-02") == 2


def test_numbers_are_never_guarded_as_formulas(tmp_path: Path) -> None:
    # Carried values -45.00, -1, -0, +2 are numbers: written as they are; a formula is
    # still guarded.
    path = tmp_path / "visits.csv"
    path.write_text(
        "patient_id,date_of_service,code,minutes,billed_units,balance,note\n"
        "P1,2026-03-02,97110,33,2,-45.00,=1+1\nP2,2026-03-02,97110,33,2,-1,+2\n"
        "P3,2026-03-02,97110,33,2,-0,-\n",
        encoding="utf-8",
    )
    result = run("batch", str(path), "--per-row")
    assert result.exit_code == 0, result.output
    rows = rows_of(result.stdout)
    assert [row["balance"] for row in rows] == ["-45.00", "-1", "-0"]
    assert [row["note"] for row in rows] == ["'=1+1", "+2", "'-"]


def test_a_read_only_output_is_refused_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the user could not overwrite with `>` is not replaced behind their back
    # (root may overwrite anything: the user's rights are those os.access reports).
    import os

    path = tmp_path / "visits.csv"
    path.write_text(BLANK_DISCIPLINE, encoding="utf-8")
    report = tmp_path / "report.csv"
    report.write_text("kept\n", encoding="utf-8")
    report.chmod(0o444)
    real = os.access
    monkeypatch.setattr(
        os,
        "access",
        lambda where, mode: real(where, mode) and not (Path(where) == report and mode & os.W_OK),
    )
    result = run("batch", str(path), "--output", str(report))
    assert result.exit_code == 2
    assert f"--output {report} is read-only" in result.stderr
    assert report.read_text(encoding="utf-8") == "kept\n"


def test_a_rewritten_output_keeps_its_owner_mode_and_hard_links(tmp_path: Path) -> None:
    import os

    path = tmp_path / "visits.csv"
    path.write_text(BLANK_DISCIPLINE, encoding="utf-8")
    report = tmp_path / "report.csv"
    report.write_text("old\n", encoding="utf-8")
    report.chmod(0o640)
    other = tmp_path / "linked.csv"
    os.link(report, other)
    if os.getuid() == 0:  # only root may give a file away
        os.chown(report, 1234, 1234)
    result = run("batch", str(path), "--output", str(report))
    assert result.exit_code == 0, result.output
    assert other.read_text(encoding="utf-8") == report.read_text(encoding="utf-8")
    assert report.read_text(encoding="utf-8").startswith("patient_id,")
    info = report.stat()
    assert info.st_mode & 0o777 == 0o640
    if os.getuid() == 0:
        assert (info.st_uid, info.st_gid) == (1234, 1234)


def test_symbolic_link_loops_are_named(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    back = tmp_path / "back"
    loop.symlink_to(back)
    back.symlink_to(loop)
    as_input = run("batch", str(loop))
    assert as_input.exit_code == 2
    assert "a symbolic link loop" in as_input.stderr
    path = tmp_path / "visits.csv"
    path.write_text(BLANK_DISCIPLINE, encoding="utf-8")
    as_output = run("batch", str(path), "--output", str(loop))
    assert as_output.exit_code == 2
    assert "a symbolic link loop" in as_output.stderr


def test_an_output_that_cannot_be_replaced_is_named_not_its_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An immutable file (chattr +i) refuses the rename: the error names the output, and
    # no temporary file is left beside it.
    import os

    path = tmp_path / "visits.csv"
    path.write_text(BLANK_DISCIPLINE, encoding="utf-8")
    report = tmp_path / "report.csv"

    def refused(source: object, target: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "replace", refused)
    result = run("batch", str(path), "--output", str(report))
    assert result.exit_code == 2
    assert f"{report} cannot be written: Operation not permitted" in result.stderr
    assert ".partial" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["visits.csv"]


def test_parquet_nested_columns_are_carried_as_json(tmp_path: Path) -> None:
    # A struct keeps its field names and a list its items (as JSON text), instead of
    # `{1,"x"}` or a crash; a binary column is refused by name.
    import polars as pl

    path = tmp_path / "visits.parquet"
    pl.DataFrame(
        {
            "patient_id": ["P1"],
            "date_of_service": ["2026-03-02"],
            "code": ["97110"],
            "minutes": [33],
            "billed_units": [3],
            "extra": [{"a": 1, "b": "x"}],
            "tags": [[1, 2]],
        }
    ).write_parquet(path)
    result = run("batch", str(path), "--per-row")
    assert result.exit_code == 0, result.output
    [row] = rows_of(result.stdout)
    assert (row["extra"], row["tags"]) == ('{"a": 1, "b": "x"}', "[1, 2]")
    audit = run("audit", str(path), "--format", "json")
    assert audit.exit_code == 1, audit.output  # billed 3, allowed 2
    blob = tmp_path / "blob.parquet"
    pl.DataFrame({"patient_id": ["P1"], "code": ["97110"], "blob": [b"\x00"]}).write_parquet(blob)
    refused = run("batch", str(blob))
    assert refused.exit_code == 2
    assert "column 'blob' holds binary data" in refused.stderr


def test_a_json_lines_record_with_half_a_character_is_an_invalid_row(tmp_path: Path) -> None:
    # "P\ud800" cannot be written as text: the record is counted invalid with the reason,
    # instead of a traceback.
    path = tmp_path / "visits.jsonl"
    path.write_text(
        '{"patient_id":"P\\ud800","date_of_service":"2026-03-02","code":"97110","minutes":33}\n'
        '{"patient_id":"P2","date_of_service":"2026-03-02","code":"97110","minutes":33}\n',
        encoding="utf-8",
    )
    result = run("batch", str(path))
    assert result.exit_code == 1, result.output
    assert "line 1: the record holds a lone surrogate escape" in result.stdout
    assert "P2,2026-03-02,97110" in result.stdout


def test_a_workbook_holds_a_message_longer_than_a_cell(tmp_path: Path) -> None:
    # 600 unreadable rows of one day make a message of about 45,000 characters, past the
    # 32,767 an Excel cell holds: the cell says how much more there is, instead of a crash.
    from openpyxl import load_workbook

    path = tmp_path / "visits.csv"
    path.write_text(
        "patient_id,date_of_service,code,minutes,billed_units\n"
        + "P1,2026-03-02,97110,x\x01,1\n" * 600,
        encoding="utf-8",
    )
    book = tmp_path / "audit.xlsx"
    result = run("audit", str(path), "--format", "xlsx", "--output", str(book))
    assert result.exit_code == 1, result.output
    findings = load_workbook(book)["Findings"]
    header = [cell.value for cell in findings[1]]
    message = findings.cell(row=2, column=header.index("message") + 1).value
    assert len(message) <= 32_767
    assert "characters more: see the CSV or JSON output" in message
    assert "\\x01" in message


def test_per_row_output_writes_each_rows_problem_once(tmp_path: Path) -> None:
    # Each row of a day that cannot be counted carries its own problem, not every row's:
    # the output grows with the input, not with its square.
    path = tmp_path / "visits.csv"
    path.write_text(
        "patient_id,date_of_service,code,minutes,billed_units\n"
        "P1,2026-03-02,97110,x,2\nP1,2026-03-02,97140,y,1\nP1,2026-03-02,97112,9,1\n",
        encoding="utf-8",
    )
    result = run("batch", str(path), "--per-row")
    assert result.exit_code == 1
    messages = [row["message"] for row in rows_of(result.stdout)]
    assert messages[0].startswith("line 2: 97110: minutes 'x'")
    assert messages[1].startswith("line 3: 97140: minutes 'y'")
    assert messages[2] == "; ".join(messages[:2])  # a row of its own: the group's problems


def test_a_group_of_many_unusable_rows_names_a_few_on_the_others(tmp_path: Path) -> None:
    path = tmp_path / "visits.csv"
    path.write_text(
        "patient_id,date_of_service,code,minutes,billed_units\n"
        + "P1,2026-03-02,97110,x,2\n" * 50
        + "P1,2026-03-02,97112,9,1\n",
        encoding="utf-8",
    )
    result = run("batch", str(path), "--per-row")
    last = rows_of(result.stdout)[-1]["message"]
    assert last.count("minutes 'x'") == 3
    assert last.endswith("; and 47 more lines that cannot be used")


def test_a_value_of_thousands_of_characters_is_echoed_cut(tmp_path: Path) -> None:
    path = tmp_path / "visits.csv"
    path.write_text(
        "patient_id,date_of_service,code,minutes,billed_units\n"
        f"P1,2026-03-02,{'9' * 100_000},33,2\n",
        encoding="utf-8",
    )
    result = run("batch", str(path), "--per-row")
    assert result.exit_code == 1
    [row] = rows_of(result.stdout)
    assert len(row["message"]) < 200
    assert row["code"] == "9" * 100_000  # the carried value itself is whole


def test_a_report_and_a_manifest_on_one_file_are_refused_before_any_work(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v.csv"
    path.write_text(HEADER + "P1,2026-03-02,97110,33,PT,2\n")
    both = tmp_path / "r.html"
    result = run("audit", str(path), "--report", str(both), "--manifest", str(both))
    assert result.exit_code == 2
    assert f"--manifest {both} is also --report; give another file" in result.stderr
    assert not both.exists()


@pytest.mark.parametrize("columns", ["code=code,minutes=code", "code=Code,minutes=CODE "])
def test_two_roles_naming_one_column_are_refused_before_any_work(
    tmp_path: Path, columns: str
) -> None:
    path = tmp_path / "v.csv"
    path.write_text(HEADER + "P1,2026-03-02,97110,33,PT,2\n")
    result = run("audit", str(path), "--columns", columns)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "code and minutes both name the column" in result.stderr
    with pytest.raises(FileProblem, match="code and minutes both name the column 'code'"):
        Options(columns={"code": "code", "minutes": "code"})


def test_an_input_that_cannot_be_read_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (Root reads a file of mode 000, so the refusal is made by the system call itself.)
    path = tmp_path / "v.csv"
    path.write_text(HEADER + "P1,2026-03-02,97110,33,PT,2\n")
    opened = os.open

    def refuse(name: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if str(name) == str(path):
            raise PermissionError(13, "Permission denied", str(name))
        return opened(name, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    result = run("audit", str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: cannot read {path}: Permission denied")
    assert "cannot finish the run" not in result.stderr


def test_a_file_of_60000_columns_is_carried_whole_row_by_row(tmp_path: Path) -> None:
    # Checked column by column, 60,000 columns held 1.2 GB for a 0.5 MB file: past 1,000
    # columns the file is read row by row, every value carried as it went in.
    from unitcalc.files.columnar import COLUMNAR_COLUMNS, csv_lines

    extra = [f"x{i}" for i in range(60_000)]
    path = tmp_path / "wide.csv"
    header = HEADER.rstrip("\n").split(",") + extra
    row = ["P1", "2026-03-02", "97110", "33", "PT", "2", *(str(i) for i in range(60_000))]
    path.write_text(",".join(header) + "\n" + ",".join(row) + "\n")
    result = run("batch", "--per-row", str(path))
    assert result.exit_code == 0, result.stderr
    [out] = list(csv.reader(io.StringIO(result.stdout)))[1:]
    assert out[: len(row)] == row
    assert out[len(row) :][:3] == ["2", "", "ok"]
    narrow = tmp_path / "narrow.csv"
    narrow.write_text(",".join(f"c{i}" for i in range(COLUMNAR_COLUMNS)) + "\n")
    assert csv_lines(narrow, ",") is not None
    narrow.write_text(",".join(f"c{i}" for i in range(COLUMNAR_COLUMNS + 1)) + "\n")
    assert csv_lines(narrow, ",") is None


def test_a_json_lines_record_refused_whole_keeps_its_text_in_per_row_output(
    tmp_path: Path,
) -> None:
    good = '{"patient_id": "P1", "date_of_service": "2026-03-02", "code": "97110", "minutes": 33, "billed_units": 2}'
    twice = '{"patient_id": "P1", "code": "97140", "minutes": 8, "minutes": 38}'
    path = tmp_path / "v.jsonl"
    path.write_text(f"{good}\n{twice}\nnot json\n")
    result = run("batch", "--per-row", str(path))
    assert result.exit_code == 1, result.stderr  # rows that could not be used
    rows = rows_of(result.stdout)
    assert [json.loads(r["other_fields"] or "{}") for r in rows] == [
        {},
        {"unreadable_record": twice},
        {"unreadable_record": "not json"},
    ]
    assert [r["unitcalc_status"] for r in rows] == ["ok", "invalid", "invalid"]
    lines = run("batch", "--per-row", str(path), "--format", "jsonl")
    records = [json.loads(line) for line in lines.stdout.splitlines()]
    assert [r.get("unreadable_record") for r in records] == [None, twice, "not json"]


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_line_ends_across_the_first_pass_blocks_are_counted_once(
    tmp_path: Path, offset: int
) -> None:
    """The columnar reader's first pass reads 4 MiB blocks: a CRLF split between two of
    them (``offset`` 0: the CR ends the first block) is one line end, and a carriage
    return alone there still sends the file to the careful reader."""
    from unitcalc.files.columnar import csv_lines

    block = 1 << 22
    header, row = b"a,b\r\n", b"1,2\r\n"
    where = block - 1 + offset  # where the CR of the padded row stands
    rows = (where - len(header) - 10) // len(row)
    pad = b"1," + b"9" * (where - len(header) - rows * len(row) - 2) + b"\r\n"
    data = header + row * rows + pad + row * 3
    assert data[where : where + 2] == b"\r\n"
    path = tmp_path / "crlf.csv"
    path.write_bytes(data)
    shape = csv_lines(path, ",")
    assert shape is not None
    assert shape.physical == data.count(b"\n") == rows + 5
    path.write_bytes(data[: where + 1] + b"3" + data[where + 2 :])  # a CR, then no LF
    assert csv_lines(path, ",") is None
