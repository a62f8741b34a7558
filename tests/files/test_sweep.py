"""A generated sweep of malformed files across the file commands (``batch``, ``audit``,
``audit --fees``, ``--format xlsx``, JSON Lines in and out): whatever a file holds, a run
ends without a traceback, either refused in one line (exit 2) or with every record
counted, and every value a row carries comes out as it went in."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from unitcalc.cli import main

ROLES = ("patient_id", "date_of_service", "code", "minutes", "billed_units", "discipline")
OPTIONAL = ("modifiers", "provider", "payer")
EXTRAS = ("claim_id", "note", "amount", "Code ", "unitcalc_status", "other_fields")

NASTY = [
    "", " ", "a,b", 'q"uote', "line\nbreak", "cr\rhere", "=1+1", "+1", "-45.00", "@SUM(A1)",
    "émigré", "日本", "\t", "x" * 300, "0" * 5000 + "33", "1e3", "٣٣", "null", "true",
]  # fmt: skip
VALUES: dict[str, list[str]] = {
    "patient_id": ["P1", "P2", "", " P1", "p1"],
    "date_of_service": ["2026-01-05", "01/05/2026", "2026-1-5", "2026-02-30", "", "yesterday"],
    "code": ["97110", "97140", "97530", "97161", "97001", "9711", "97139", "g0283", "97110 "],
    "minutes": ["33", "8", "7", "0", "-1", "1441", "33.0", "33.5", "", " 15 ", "x"],
    "billed_units": ["2", "1", "0", "-1", "1.0", "", "99999", "two"],
    "discipline": ["PT", "OT", "SLP", "GP", "", "pt ", "XX"],
    "modifiers": ["GP", "GP;CQ", "ZZZZZZ", "", "59 KX", "CO"],
    "provider": ["ann", "bob", ""],
    "payer": ["", "medicare", "nosuch"],
}


def cell(column: str) -> st.SearchStrategy[str]:
    return st.sampled_from(VALUES.get(column.strip(), []) + NASTY)


@st.composite
def visit_files(draw: st.DrawFn) -> tuple[str, list[str], list[list[str]], bool]:
    """CSV text, its header and rows as written, and whether it was written well (by the
    csv module) or broken on purpose."""
    columns = list(ROLES[: draw(st.integers(3, len(ROLES)))])
    columns += draw(st.lists(st.sampled_from(OPTIONAL + EXTRAS), max_size=3, unique=True))
    columns = draw(st.permutations(columns))
    rows = draw(st.lists(st.tuples(*(cell(c) for c in columns)).map(list), max_size=6))
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    text = "".join(csv_line(row) + ending for row in [columns, *rows])
    broken = draw(st.sampled_from(["", "", "quote", "cut", "ragged", "nul", "bom"]))
    if broken == "quote":
        text += '"P9,2026-01-05,97110\n'
    elif broken == "cut":
        text = text[: draw(st.integers(0, len(text)))]
    elif broken == "ragged":
        text += "P1,2026-01-05\nP1,2026-01-05,97110,33,2,PT,x,y,z,w\n"
    elif broken == "nul":
        text = text.replace(",", ",\x00", 1)
    elif broken == "bom":
        text = "\ufeff" + text
    return text, list(columns), rows, not broken


def csv_line(values: list[str]) -> str:
    """A CSV line as RFC 4180 writes it: a value holding a comma, a quote or a line break
    (a carriage return too) quoted, its quotes doubled."""
    return ",".join(
        '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\r\n') else value
        for value in values
    )


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def assert_ended_cleanly(result: Result) -> None:
    """No traceback: refused in one line (exit 2) or run (0, or 1 for findings)."""
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1, 2), result.output
    if result.exit_code == 2:
        assert result.stderr.startswith("Error:"), result.stderr
        assert result.stderr.count("\n") == 1, result.stderr


def records(columns: list[str], rows: list[list[str]]) -> list[list[str]]:
    """The rows that hold a record (a row of only empty cells holds none)."""
    return [row for row in rows if any(value.strip() for value in row)]


SWEEP = settings(
    max_examples=60,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SWEEP
@given(visit_files())
def test_batch_per_row_carries_every_value_of_every_record(
    tmp_path_factory: Any, made: tuple[str, list[str], list[list[str]], bool]
) -> None:
    text, columns, rows, well = made
    folder = Path(tmp_path_factory.mktemp("sweep"))
    path, out, manifest = folder / "v.csv", folder / "out.jsonl", folder / "m.json"
    path.write_bytes(text.encode("utf-8"))
    result = invoke(
        "batch", str(path), "--per-row", "--format", "jsonl", "--output", str(out),
        "--manifest", str(manifest),
    )  # fmt: skip
    assert_ended_cleanly(result)
    if result.exit_code == 2:
        return
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(written) == json.loads(manifest.read_text())["rows_read"]
    if well and len({c.strip().lower() for c in columns}) == len(columns):
        # Rows come out group by group: compared as a whole, not line by line.
        kept = records(columns, rows)
        assert sorted([row[c] for c in columns] for row in written) == sorted(kept)


CARRIAGE_RETURN = (
    "patient_id,date_of_service,provider,minutes,billed_units,code\n"
    'P1,2026-01-05,ann,33,2,97110\nP1,2026-01-05,"cr\rhere",33,2,97110\n',
    ["patient_id", "date_of_service", "provider", "minutes", "billed_units", "code"],
    [
        ["P1", "2026-01-05", "ann", "33", "2", "97110"],
        ["P1", "2026-01-05", "cr\rhere", "33", "2", "97110"],
    ],
    True,
)
"""A provider holding a carriage return: the spooled findings once split the row there."""


@SWEEP
@given(visit_files(), st.sampled_from(["json", "csv", "table", "xlsx"]))
@example(CARRIAGE_RETURN, "xlsx")
@example(CARRIAGE_RETURN, "csv")
def test_audit_counts_every_record_or_refuses_the_file(
    tmp_path_factory: Any, made: tuple[str, list[str], list[list[str]], bool], output: str
) -> None:
    text, columns, rows, well = made
    folder = Path(tmp_path_factory.mktemp("sweep"))
    path, manifest = folder / "v.csv", folder / "m.json"
    path.write_bytes(text.encode("utf-8"))
    given_output = ["--output", str(folder / "a.xlsx")] if output == "xlsx" else []
    result = invoke(
        "audit", str(path), "--all", "--format", output, "--manifest", str(manifest),
        *given_output,
    )  # fmt: skip
    assert_ended_cleanly(result)
    if result.exit_code == 2:
        return
    rows_read = json.loads(manifest.read_text())["rows_read"]
    if well and len({c.strip().lower() for c in columns}) == len(columns):
        assert rows_read == len(records(columns, rows))
    if output == "json":
        data = json.loads(result.stdout)
        # Every group has its finding (--all), and no line is in two groups.
        lines = [line for finding in data["findings"] for line in finding["lines"]]
        assert len(lines) == len(set(lines))
        assert len(data["findings"]) == data["summary"]["groups"]
        assert sum(data["summary"]["counts"].values()) == data["summary"]["groups"]
    if output == "csv":
        # Every line a reader finds is a whole row: no value broke a row in two.
        table = list(csv.reader(io.StringIO(result.stdout, newline="")))
        assert {len(row) for row in table} == {len(table[0])}
    if output == "xlsx":
        from openpyxl import load_workbook

        book = load_workbook(folder / "a.xlsx")
        assert book.sheetnames[:2] == ["Summary", "Findings"]


FEE_VALUES = ["97110", "97140", "9711", "", "30.00", "-1", "abc", "1e3", "GP", "ZZZZZZ", '"']


@SWEEP
@given(
    visit_files(),
    st.lists(st.lists(st.sampled_from(FEE_VALUES + NASTY), min_size=1, max_size=4), max_size=4),
    st.sampled_from(["code,amount", "code,modifier,amount", "code,amount,pe_amount,mppr", "x"]),
)
def test_audit_with_any_fee_file_prices_or_refuses(
    tmp_path_factory: Any,
    made: tuple[str, list[str], list[list[str]], bool],
    fee_rows: list[list[str]],
    fee_header: str,
) -> None:
    text, _, _, _ = made
    folder = Path(tmp_path_factory.mktemp("sweep"))
    path, fees = folder / "v.csv", folder / "fees.csv"
    path.write_bytes(text.encode("utf-8"))
    fees.write_text(fee_header + "\n" + "\n".join(",".join(row) for row in fee_rows) + "\n")
    result = invoke("audit", str(path), "--fees", str(fees), "--format", "json")
    assert_ended_cleanly(result)
    if result.exit_code != 2:
        assert "payment" in json.loads(result.stdout)["summary"]


JSON_VALUES = st.one_of(
    st.sampled_from(["P1", "2026-01-05", "97110", "97140", "33", "", "PT", "GP;CQ"]),
    st.integers(-5, 2000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["a", "b"]), st.integers(), max_size=2),
    st.sampled_from(NASTY),
)


@st.composite
def json_lines(draw: st.DrawFn) -> tuple[str, list[str]]:
    """JSON Lines text, and each line as written (some broken on purpose)."""
    keys = list(ROLES) + list(EXTRAS[:3])
    lines = []
    for _ in range(draw(st.integers(1, 5))):
        record = {
            key: draw(JSON_VALUES)
            for key in draw(st.lists(st.sampled_from(keys), min_size=3, max_size=8, unique=True))
        }
        line = json.dumps(record, ensure_ascii=draw(st.booleans()))
        line = draw(st.sampled_from([line, line, line, line[:-1], line + line, "[1]", "{}"]))
        lines.append(line)
    return "\n".join(lines) + "\n", lines


SCATTERED = (
    '{"patient_id": "P1", "code": "P1", "date_of_service": "2026-01-05"}\n'
    '{"patient_id": "P1", "date_of_service": "P1", "code": "P1"}\n'
    '{"patient_id": "P1", "date_of_service": "P1", "code": "P1"}\n'
    '{"patient_id": "P1", "code": "P1", "date_of_service": "2026-01-05"}\n'
)
"""A group's rows (lines 1 and 4) around another's: found by this sweep, when the rows
came out a group at a time."""


@SWEEP
@given(json_lines())
@example(made=(SCATTERED, SCATTERED.splitlines()))
def test_json_lines_records_come_out_as_they_went_in(
    tmp_path_factory: Any, made: tuple[str, list[str]]
) -> None:
    text, lines = made
    folder = Path(tmp_path_factory.mktemp("sweep"))
    path, out = folder / "v.jsonl", folder / "out.jsonl"
    path.write_text(text, encoding="utf-8")
    result = invoke("batch", str(path), "--per-row", "--format", "jsonl", "--output", str(out))
    assert_ended_cleanly(result)
    if result.exit_code == 2:
        return
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(written) == len(lines)
    for row, line in zip(written, lines, strict=True):
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if isinstance(record, dict) and "unreadable_record" not in row:
            for key, value in record.items():
                assert row[key] == value or (value != value and row[key] != row[key])
        else:
            assert row["unreadable_record"] == line
            assert row["unitcalc_status"] == "invalid"
