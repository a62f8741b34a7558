"""A finding written as JSON and CSV in both forms: :func:`finding_json` and
:func:`finding_csv` for one finding, :func:`rendered_findings` for many from columns;
and the whole audit, whose findings the columns write, against the same audit whose
findings are all written one by one (a report keeps them, so none is written by the
columns)."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.conftest import run
from unitcalc.core.model import Note
from unitcalc.engine.audit import Finding
from unitcalc.files.findings_table import finding_row
from unitcalc.files.render import RENDER_COLUMNS, finding_csv, finding_json, rendered_findings
from unitcalc.files.texts import finding_text

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import generate

KEYS = (("patient_id", "__k0"), ("date_of_service", "__k1"))

texts = st.one_of(
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12),
    st.sampled_from(["a,b", 'say "no"', "back\\slash", "=SUM(1)", "-2", "-x", "+1", "@me"]),
    st.text(max_size=6),  # anything: line breaks, tabs, non-ASCII
)


@st.composite
def findings(draw: st.DrawFn) -> dict[str, Any]:
    codes = draw(st.lists(st.one_of(texts, st.sampled_from(("97110", "97140"))), max_size=4,
                          unique=True))  # fmt: skip
    return {
        "group": draw(texts),
        "status": draw(st.sampled_from(("over", "under", "misallocated", "ok"))),
        "rule": draw(st.sampled_from(("cms", "ama"))),
        "codes": codes,
        "billed": [draw(st.integers(0, 9)) for _ in codes],
        "allowed": [draw(st.integers(0, 9)) for _ in codes],
        "message": draw(texts),
        "lines": draw(st.lists(st.integers(1, 12), min_size=1, max_size=6)),
        "warnings": draw(st.lists(texts, max_size=3)),
        "providers": draw(st.lists(texts, max_size=2)),
        "payer": draw(texts),
        "__k0": draw(texts),
        "__k1": draw(texts),
    }


def _scalar(drawn: dict[str, Any], form: str, pad: int) -> str:
    finding = Finding(
        group=drawn["group"],
        status=drawn["status"],
        rule=drawn["rule"],
        billed=dict(zip(drawn["codes"], drawn["billed"], strict=True)),
        allowed=dict(zip(drawn["codes"], drawn["allowed"], strict=True)),
        difference=sum(drawn["billed"]) - sum(drawn["allowed"]),
        message=drawn["message"],
        lines=tuple(drawn["lines"]),
        warnings=tuple(Note(text, kind="no-unit") for text in drawn["warnings"]),
    )
    key = {name: drawn[column] for name, column in KEYS}
    if form == "text":
        return finding_text(finding)
    if form == "json":
        return finding_json(finding, key, drawn["providers"], drawn["payer"])
    group = SimpleNamespace(
        key=tuple(key.values()), provider_names=drawn["providers"], payer_name=drawn["payer"]
    )
    roles = [*key, *(f"extra{i}" for i in range(pad))]
    row = finding_row(group, finding, roles, amounts=False)  # type: ignore[arg-type]
    return finding_csv(row, safe=form == "csv")


def _plain(drawn: dict[str, Any]) -> bool:
    values = [drawn[name] for name in ("group", "message", "payer", "__k0", "__k1")]
    values += [*drawn["codes"], *drawn["warnings"], *drawn["providers"]]
    return all(value.isascii() and value.isprintable() for value in values)


@settings(max_examples=200, deadline=None)
@given(st.lists(findings(), min_size=1, max_size=6),
       st.sampled_from(("json", "csv", "spool", "text")),
       st.integers(0, 2))  # fmt: skip
@example([{"group": "P1 / 2026-01-02", "status": "over", "rule": "cms", "codes": ["97110"],
           "billed": [3], "allowed": [2], "message": 'Billed "3", units', "lines": [2, 3],
           "warnings": ["a \\ b"], "providers": ["=cmd", "Ann, PT"], "payer": "",
           "__k0": "-P1", "__k1": "2026-01-02"}], "csv", 0)  # fmt: skip
@example([{"group": "é", "status": "ok", "rule": "cms", "codes": [], "billed": [],
           "allowed": [], "message": "m", "lines": [1], "warnings": [], "providers": [],
           "payer": "", "__k0": "é", "__k1": "d"}], "json", 0)  # fmt: skip
def test_the_columns_write_each_plain_finding_as_one_finding_is_written(
    drawn: list[dict[str, Any]], form: str, pad: int
) -> None:
    list_of = pl.List(pl.String)
    schema = {
        "group": pl.String, "status": pl.String, "rule": pl.String, "codes": list_of,
        "billed": pl.List(pl.Int64), "allowed": pl.List(pl.Int64), "difference": pl.Int64,
        "message": pl.String, "lines": pl.List(pl.Int64), "warnings": list_of,
        "providers": list_of, "payer": pl.String, "__k0": pl.String, "__k1": pl.String,
    }  # fmt: skip
    assert set(RENDER_COLUMNS) <= set(schema)
    rows = [{**each, "difference": sum(each["billed"]) - sum(each["allowed"])} for each in drawn]
    frame = pl.DataFrame(rows, schema=schema).lazy()
    rendered = rendered_findings(frame, KEYS, form, pad=pad)  # type: ignore[arg-type]
    written = rendered.collect().get_column("text").to_list()
    for each, text in zip(drawn, written, strict=True):
        plain = _plain(each) or form == "text"  # a text block escapes nothing
        assert text == (_scalar(each, form, pad) if plain else None)


def _audit(path: Path, output: Path, form: str, *extra: str) -> bytes:
    result = run("audit", str(path), "--format", form, "--output", str(output), *extra)
    assert result.exit_code == 1, result.output
    return output.read_bytes()


@pytest.mark.parametrize("profile", ["findings", "findings-scattered"])
def test_findings_written_by_the_columns_are_those_written_one_by_one(
    tmp_path: Path, profile: str
) -> None:
    path = tmp_path / "visits.csv"
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(generate.HEADER)
        table = list(generate.table(4000, 3, 0.3, 0.0, profile, False))
        for row in table[::40]:  # a provider the columns do not write: one by one
            row[6] = "pr\u00f3v\u00e9"
        for row in table[7::53]:  # groups the one-visit engine counts, between the runs
            row[3] = "twelve"
        writer.writerows(table)
    report = tmp_path / "report.html"
    for form in ("json", "csv", "table"):
        by_columns = _audit(path, tmp_path / f"a.{form}", form)
        one_by_one = _audit(path, tmp_path / f"b.{form}", form, "--report", str(report))
        if form == "table":
            assert by_columns == one_by_one
        elif form == "json":
            a, b = json.loads(by_columns), json.loads(one_by_one)
            assert a["findings"] == b["findings"]
            assert len(a["findings"]) > 200
            assert a["summary"]["counts"] == b["summary"]["counts"]
        else:
            assert by_columns == one_by_one
            rows = list(csv.reader(io.StringIO(by_columns.decode())))
            assert any("pr\u00f3v\u00e9" in row[-2] for row in rows)
    by_columns_frame = pl.read_parquet(io.BytesIO(_audit(path, tmp_path / "a.parquet", "parquet")))
    one_by_one_frame = pl.read_parquet(
        io.BytesIO(_audit(path, tmp_path / "b.parquet", "parquet", "--report", str(report)))
    )
    assert by_columns_frame.equals(one_by_one_frame)
