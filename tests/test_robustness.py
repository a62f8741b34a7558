"""A junk-input sweep over every way in: `calc` tokens, `calc --input` JSON, CSV, JSON
Lines and Parquet files, and the HTTP endpoints. Whatever comes in, the answer is a
result or a clear error: never a traceback, never a server error, and an audit's rows
always add up."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import polars as pl
from click.testing import CliRunner
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from unitcalc.cli import main
from unitcalc.web.app import create_app

# Text that breaks naive parsers: control and non-BMP characters, quotes, delimiters,
# huge numbers, signs and fractions, code-like values.
junk_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", " ", "\t", '"', "'", ",", ";", "\\", "\x00", "\u2028", "😀", "٣٣"]),
    st.integers(min_value=-(10**6), max_value=10**6).map(str),
    st.integers(min_value=0, max_value=3).map(lambda n: "9" * (5000 * n + 1)),
    st.sampled_from(["97110", "97140", "97161", "9 7 1 1 0", "97110\n", "g0283", "1e3", "33.0"]),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
junk_json: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | junk_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(junk_text, inner, max_size=4),
    max_leaves=12,
)
COLUMNS = ["patient_id", "date_of_service", "code", "minutes", "discipline", "billed_units"]


def invoke(args: list[str], stdin: str | None = None) -> Any:
    result = CliRunner().invoke(main, args, input=stdin)
    # Exit codes are 0, 1 (findings or invalid groups) and 2 (a clear error): never a
    # traceback, which CliRunner keeps as an exception that is not SystemExit.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code in (0, 1, 2)
    if result.exit_code == 2:
        assert result.stderr.startswith(("Error:", "Usage:"))
    return result


@settings(max_examples=60)
@given(st.lists(junk_text, min_size=1, max_size=3))
def test_calc_tokens(tokens: list[str]) -> None:
    invoke(["calc", *tokens])


@settings(max_examples=60)
@given(junk_json)
def test_calc_json_input(document: Any) -> None:
    invoke(["calc", "--input", "-"], stdin=json.dumps(document))


def audit_summary(path: Path) -> dict[str, Any] | None:
    result = invoke(["audit", str(path), "--format", "json"])
    if result.exit_code == 2:
        return None
    summary: dict[str, Any] = json.loads(result.stdout)["summary"]
    assert sum(summary["counts"].values()) == summary["groups"]
    assert 0 <= summary["invalid_rows"] <= summary["rows_read"]
    return summary


@settings(max_examples=60)
@given(st.lists(st.lists(junk_text, min_size=6, max_size=6), min_size=1, max_size=6))
def test_csv_files(rows: list[list[str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "visits.csv")
        with path.open("w", encoding="utf-8", newline="") as out:
            import csv

            writer = csv.writer(out)
            writer.writerow(COLUMNS)
            writer.writerows(rows)
        summary = audit_summary(path)
        if summary is not None:
            blank = sum(1 for row in rows if not any(cell.strip() for cell in row))
            assert summary["rows_read"] <= len(rows) - blank or summary["invalid_rows"] > 0


@settings(max_examples=60)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from([*COLUMNS, "CODE", "Minutes", "status"]), junk_json, max_size=8
        ),
        min_size=1,
        max_size=5,
    )
)
def test_json_lines_files(records: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "visits.jsonl")
        path.write_text("".join(json.dumps(record) + "\n" for record in records), "utf-8")
        summary = audit_summary(path)
        if summary is not None:
            assert summary["rows_read"] == len(records)


@settings(max_examples=30)
@given(st.lists(st.lists(junk_text, min_size=6, max_size=6), min_size=1, max_size=6))
def test_parquet_files(rows: list[list[str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "visits.parquet")
        pl.DataFrame(rows, schema=COLUMNS, orient="row").write_parquet(path)
        summary = audit_summary(path)
        if summary is not None:
            assert summary["rows_read"] == len(rows)


CLIENT = TestClient(create_app(), base_url="http://127.0.0.1")


@settings(max_examples=60)
@given(junk_json, st.sampled_from(["/api/calculate", "/api/audit"]))
def test_http_endpoints(body: Any, endpoint: str) -> None:
    response = CLIENT.post(endpoint, content=json.dumps(body))
    assert response.status_code < 500
    assert response.status_code in (200, 400, 413, 422)
