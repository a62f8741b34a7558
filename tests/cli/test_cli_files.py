"""`unitcalc batch` and `unitcalc audit` wiring: formats, exit codes, output files."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pytest

from tests.conftest import run

CASES = Path(__file__).parents[1] / "fixtures" / "audit_cases.csv"
GOOD = (
    "patient_id,date_of_service,code,minutes,discipline,billed_units,clinic\n"
    "P1,2026-01-05,97110,33,GP,2,north\n"
    "P1,2026-01-05,97140,7,GP,1,north\n"
    "P2,2026-01-05,97112,20,GP,2,south\n"
    "P2,2026-01-05,97110,20,GP,1,south\n"
    "P3,2026-01-05,97130,40,GO,3,south\n"
)


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.csv"
    path.write_text(GOOD.replace("P3,2026-01-05,97130,40,GO,3,south\n", ""), encoding="utf-8")
    return path


class TestAudit:
    def test_all_ok_exits_0(self, good: Path) -> None:
        result = run("audit", str(good))
        assert result.exit_code == 0
        assert result.stdout.startswith("Audit of 4 rows in 2 groups; 0 rows could not be used.")
        assert "Findings" not in result.stdout

    def test_findings_exit_1_with_or_without_all(self) -> None:
        assert run("audit", str(CASES)).exit_code == 1
        assert run("audit", str(CASES), "--all").exit_code == 1

    def test_json(self) -> None:
        result = run("audit", str(CASES), "--format", "json")
        data = json.loads(result.stdout)
        assert data["summary"].pop("input") == {
            "encoding": "utf-8",
            "delimiter": ",",
            "detected": [],
            "columns": {},
            "key": ["patient_id", "date_of_service"],
        }
        manifest = data["summary"].pop("manifest")
        assert manifest["input"] == CASES.name
        assert manifest["input_sha256"] == hashlib.sha256(CASES.read_bytes()).hexdigest()
        assert manifest["rows_read"] == 28
        assert manifest["rule"] == "cms"
        assert manifest["options"] == {"format": "json"}
        assert manifest["unitcalc_version"]
        assert manifest["code_table_date"]
        assert manifest["run_at"].endswith("+00:00")
        assert data["summary"] == {
            "counts": {"ok": 3, "over": 3, "under": 1, "misallocated": 2, "invalid": 9},
            "rows_read": 28,
            "groups": 18,
            "invalid_rows": 8,  # 6 unreadable rows, and 97111 (unknown) and 97001 (deleted)
            "order": "contiguous",
            "edits": 1,  # A15: 97161 billed twice trips the one-evaluation-a-day edit
            # Every check whose data is present runs; the others are said skipped.
            "checks": {"units": "ran", "ptp": "skipped, no --ptp file",
                       "modifiers": "skipped, no modifiers column", "kx": "skipped, no --fees",
                       "episodes": "ran", "patterns": "ran"},
            # A06: 97110 billed a unit under each of two visits of one day (docs/audit.md,
            # Patterns across groups).
            "duplicate_claim_lines": [
                {"patient": "A06", "date_of_service": "2026-03-02", "code": "97110",
                 "claims": ["V6a", "V6b"]},
            ],
        }  # fmt: skip
        assert len(data["findings"]) == 15  # every group but the 3 ok ones
        over = next(f for f in data["findings"] if f["group"] == "A03 / 2026-03-02")
        assert over["billed"] == {"97110": 3, "97140": 1}
        assert over["allowed"] == {"97110": 2, "97140": 1}
        assert over["lines"] == [6, 7]
        assert over["key"] == {"patient_id": "A03", "date_of_service": "2026-03-02"}
        assert {"group", "status", "billed", "allowed", "message", "lines"} <= set(over)
        every = json.loads(run("audit", str(CASES), "--format", "json", "--all").stdout)
        assert len(every["findings"]) == 18

    def test_csv(self) -> None:
        result = run("audit", str(CASES), "--format", "csv")
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        assert len(rows) == 15
        first = rows[0]
        assert first["group"] == "A03 / 2026-03-02"
        assert (first["status"], first["billed"], first["allowed"]) == (
            "over",
            "97110x3 97140x1",
            "97110x2 97140x1",
        )
        assert first["lines"] == "6 7"

    def test_output_file_written_whole(self, tmp_path: Path) -> None:
        out = tmp_path / "report.json"
        result = run("audit", str(CASES), "--format", "json", "--output", str(out))
        assert result.stdout == ""
        assert json.loads(out.read_text())["summary"]["groups"] == 18
        assert [p.name for p in tmp_path.iterdir()] == ["report.json"]

    def test_failed_run_leaves_no_output(self, tmp_path: Path) -> None:
        out = tmp_path / "report.json"
        out.write_text("previous report")
        result = run("audit", str(tmp_path / "none.csv"), "--output", str(out))
        assert result.exit_code == 2
        assert out.read_text() == "previous report"
        assert [p.name for p in tmp_path.iterdir()] == ["report.json"]

    def test_strict_stops_at_the_first_bad_row(self) -> None:
        result = run("audit", str(CASES), "--strict")
        assert result.exit_code == 2
        assert result.stderr.startswith("Error: ")
        assert "line 15: 97110: minutes '7.5'" in result.stderr
        assert result.stderr.count("\n") == 1

    def test_stdin(self, good: Path) -> None:
        result = run("audit", "-", stdin=good.read_text())
        assert result.exit_code == 0
        assert "Audit of 4 rows" in result.stdout

    def test_rule_option_is_the_default_for_rows_without_one(self, tmp_path: Path) -> None:
        path = tmp_path / "v.csv"
        path.write_text("visit_id,code,minutes,billed_units\nV1,97110,10,1\nV1,97116,10,1\n")
        assert run("audit", str(path)).exit_code == 1  # cms: 20 minutes are 1 unit
        assert run("audit", str(path), "--rule", "ama").exit_code == 0

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            ("", "the file is empty"),
            ("visit_id,code,minutes\nV1,97110,10\n", "missing required column: billed_units"),
        ],
    )
    def test_files_that_cannot_be_audited_exit_2(
        self, tmp_path: Path, content: str, message: str
    ) -> None:
        path = tmp_path / "v.csv"
        path.write_text(content)
        result = run("audit", str(path))
        assert result.exit_code == 2
        assert message in result.stderr
        assert "Traceback" not in result.stderr

    def test_bad_encoding_names_the_line_and_the_option(self, tmp_path: Path) -> None:
        path = tmp_path / "v.csv"
        path.write_bytes(b"visit_id,code,minutes,billed_units\nV1,97110,10,1\nV1,97112,\xe9,0\n")
        result = run("audit", str(path), "--encoding", "utf-8")
        assert result.exit_code == 2
        assert "line 3: byte 0xe9" in result.stderr
        assert "--encoding" in result.stderr


class TestBatch:
    def test_one_row_per_group_and_code(self, tmp_path: Path) -> None:
        path = tmp_path / "v.csv"
        path.write_text(GOOD)
        result = run("batch", str(path))
        assert result.exit_code == 0
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        assert [(r["patient_id"], r["code"], r["units"]) for r in rows] == [
            ("P1", "97110", "2"),
            ("P1", "97140", "1"),
            ("P2", "97112", "2"),
            ("P2", "97110", "1"),
            ("P3", "97129", "1"),
            ("P3", "97130", "2"),
        ]
        assert rows[0]["clinic"] == "north"  # other columns carried through
        assert rows[2]["tie"].startswith("97112/97110 compete for 1 unit")
        assert rows[0]["discipline"] == "PT"
        assert list(rows[0]) == [
            "patient_id", "date_of_service", "code", "discipline", "minutes", "units", "tie",
            "status", "message", "edits", "billed_units", "clinic",
        ]  # fmt: skip

    def test_per_row_keeps_every_input_row(self, tmp_path: Path) -> None:
        path = tmp_path / "v.csv"
        path.write_text(GOOD + "P4,2026-01-05,97110,x,GP,1,east\n")
        result = run("batch", str(path), "--per-row")
        assert result.exit_code == 1  # P4 could not be counted
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        # Every input row and only input rows: 97129, counted for 97130's family, is said
        # on 97130's row.
        assert [r["units"] for r in rows] == ["2", "1", "2", "1", "2", ""]
        assert len(rows) == len(path.read_text().splitlines()) - 1
        assert rows[4]["code"] == "97130"
        assert rows[4]["message"].startswith("97129 x1 counted too, as part of this add-on family")
        assert rows[5]["status"] == "invalid"
        assert "minutes 'x' is not a number" in rows[5]["message"]
        assert rows[5]["clinic"] == "east"

    def test_jsonl_output(self, tmp_path: Path) -> None:
        path = tmp_path / "v.csv"
        path.write_text(GOOD)
        result = run("batch", str(path), "--format", "jsonl")
        rows = [json.loads(line) for line in result.stdout.splitlines()]
        assert rows[0]["units"] == 2
        assert rows[0]["code"] == "97110"

    def test_same_day_two_visits_pool(self, tmp_path: Path) -> None:
        path = tmp_path / "v.csv"
        path.write_text(
            "patient_id,date_of_service,visit_id,code,minutes\n"
            "P1,2026-01-05,V1,97110,10\nP1,2026-01-05,V2,97110,10\n"
        )
        rows = list(csv.DictReader(io.StringIO(run("batch", str(path)).stdout)))
        assert [(r["code"], r["minutes"], r["units"]) for r in rows] == [("97110", "20", "1")]

    @pytest.mark.parametrize("output_format", ["csv", "jsonl", "parquet"])
    def test_per_row_keeps_the_input_order_of_a_scattered_group(
        self, tmp_path: Path, output_format: str
    ) -> None:
        # P1's day (lines 2 and 4) around P2's (line 3): each row comes out in its place.
        path, out = tmp_path / "v.csv", tmp_path / f"out.{output_format}"
        path.write_text(
            "patient_id,date_of_service,code,minutes\n"
            "P1,2026-01-05,97110,30\nP2,2026-01-05,97110,20\nP1,2026-01-05,97140,10\n"
        )
        result = run("batch", str(path), "--per-row", "--format", output_format,
                     "--output", str(out))  # fmt: skip
        assert result.exit_code == 0, result.output
        if output_format == "csv":
            rows = list(csv.DictReader(io.StringIO(out.read_text())))
        elif output_format == "jsonl":
            rows = [json.loads(line) for line in out.read_text().splitlines()]
        else:
            import polars as pl

            rows = pl.read_parquet(out).to_dicts()
        got = [(r["patient_id"], r["code"], str(r["units"])) for r in rows]
        assert got == [("P1", "97110", "2"), ("P2", "97110", "1"), ("P1", "97140", "1")]

    def test_input_column_named_units_is_not_overwritten(self, tmp_path: Path) -> None:
        path = tmp_path / "v.csv"
        path.write_text("visit_id,code,minutes,units\nV1,97110,33,9\n")
        rows = list(csv.DictReader(io.StringIO(run("batch", str(path), "--per-row").stdout)))
        assert (rows[0]["units"], rows[0]["unitcalc_units"]) == ("9", "2")

    def test_jsonl_input_with_extra_keys_keeps_them(self, tmp_path: Path) -> None:
        path = tmp_path / "v.jsonl"
        path.write_text(
            '{"visit_id": "V1", "code": "97110", "minutes": 33}\n'
            '{"visit_id": "V1", "code": "97140", "minutes": 7, "note": "added"}\n'
        )
        rows = list(csv.DictReader(io.StringIO(run("batch", str(path), "--per-row").stdout)))
        assert json.loads(rows[1]["other_fields"]) == {"note": "added"}
