"""``unitcalc audit --format json`` and ``unitcalc batch --format jsonl`` against their
packaged JSON Schemas: the shipped files are what the models give, the commands' output
validates and carries ``schema_version``, and the schemas refuse what the output never
holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator, ValidationError

from unitcalc.cli import main
from unitcalc.core.shapes import GENERATED, SCHEMAS, schema_text
from unitcalc.files.write_audit import AUDIT_SCHEMA_VERSION, audit_output_schema
from unitcalc.files.write_batch import BATCH_SCHEMA_VERSION, batch_record_schema

EXAMPLES = Path("docs/examples")
AUDIT = json.loads(audit_output_schema().read_text(encoding="utf-8"))
BATCH = json.loads(batch_record_schema().read_text(encoding="utf-8"))
AUDIT_VALIDATOR = Draft202012Validator(AUDIT)
BATCH_VALIDATOR = Draft202012Validator(BATCH)


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_the_shipped_schema_is_the_models(name: str) -> None:
    shipped = (SCHEMAS / name).read_text(encoding="utf-8")
    assert shipped == schema_text(name), f"run: python -m unitcalc.core.shapes ({name})"
    Draft202012Validator.check_schema(json.loads(shipped))


def test_the_paths_are_the_shipped_files() -> None:
    assert {audit_output_schema().name, batch_record_schema().name} == set(GENERATED)
    assert AUDIT["properties"]["schema_version"]["const"] == AUDIT_SCHEMA_VERSION
    for record in BATCH["$defs"].values():
        version = next(key for key in record["properties"] if key.endswith("schema_version"))
        assert record["properties"][version]["const"] == BATCH_SCHEMA_VERSION


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code in (0, 1), result.output
    return result.stdout


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["visits.csv"], id="findings"),
        pytest.param(["visits.csv", "--all"], id="all"),
        pytest.param(["visits.csv", "--fees", "docs/examples/fees.csv", "--all"], id="fees"),
        pytest.param(["kx_visits.csv", "--fees", "docs/examples/fees.csv", "--all"], id="kx"),
        pytest.param(["ehr_export.csv", "--all"], id="providers-us-dates"),
        pytest.param(["rtm_visits.csv", "--all"], id="months"),
        pytest.param(["ptp_visits.csv", "--all"], id="edits"),
    ],
)
def test_audit_json_validates_against_its_schema(args: list[str]) -> None:
    path, *options = args
    document = json.loads(run("audit", str(EXAMPLES / path), "--format", "json", *options))
    AUDIT_VALIDATOR.validate(document)
    assert next(iter(document)) == "schema_version"
    assert document["schema_version"] == AUDIT_SCHEMA_VERSION
    assert document["findings"]


def test_audit_json_of_invalid_rows_and_blank_lines_validates(tmp_path: Path) -> None:
    path = tmp_path / "visits.csv"
    path.write_text(
        "patient_id,date_of_service,code,minutes,billed_units\n"
        "P1,2026-03-02,97110,33,2\n\n"
        "P2,03/02/2026,97110,seven,1\n",
        encoding="utf-8",
    )
    document = json.loads(run("audit", str(path), "--format", "json", "--all"))
    AUDIT_VALIDATOR.validate(document)
    assert document["summary"]["counts"]["invalid"] == 1
    assert document["summary"]["blank_lines"] == 1


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda d: d.pop("schema_version"), id="no-version"),
        pytest.param(lambda d: d.update(schema_version=2), id="other-version"),
        pytest.param(lambda d: d["summary"].update(order="random"), id="unknown-order"),
        pytest.param(lambda d: d["findings"][0].update(status="fine"), id="unknown-status"),
        pytest.param(lambda d: d["findings"][0].pop("key"), id="finding-without-key"),
        pytest.param(lambda d: d["findings"][0].update(extra=1), id="unknown-finding-key"),
    ],
)
def test_the_audit_schema_refuses_what_audit_never_writes(change: Any) -> None:
    document = json.loads(run("audit", str(EXAMPLES / "visits.csv"), "--format", "json"))
    change(document)
    with pytest.raises(ValidationError):
        AUDIT_VALIDATOR.validate(document)


def batch_records(*args: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in run("batch", *args, "--format", "jsonl").splitlines()]


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["visits.csv"], id="claim-lines"),
        pytest.param(["visits.csv", "--per-row"], id="per-row"),
        pytest.param(["ehr_export.csv"], id="units-column-sets-apart"),
        pytest.param(["rtm_visits.csv"], id="months"),
        pytest.param(["rtm_visits.csv", "--per-row"], id="months-per-row"),
    ],
)
def test_batch_jsonl_records_validate_against_their_schema(args: list[str]) -> None:
    path, *options = args
    records = batch_records(str(EXAMPLES / path), *options)
    assert records
    # An input column named like a computed key (ehr_export's Units) sets them apart.
    version = "unitcalc_schema_version" if "ehr" in path else "schema_version"
    for record in records:
        BATCH_VALIDATOR.validate(record)
        assert next(iter(record)) == version
        assert record[version] == BATCH_SCHEMA_VERSION


def test_batch_of_json_lines_sets_the_version_apart_with_the_computed_keys(
    tmp_path: Path,
) -> None:
    path = tmp_path / "visits.jsonl"
    rows = [
        {"patient_id": "P1", "date_of_service": "2026-03-02", "code": "97110", "minutes": 33},
        {"patient_id": "P1", "date_of_service": "2026-03-02", "code": "97140", "minutes": 7},
        {"patient_id": "P2", "date_of_service": "2026-03-02", "code": "97110", "minutes": "x"},
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    for per_row in ([], ["--per-row"]):
        records = batch_records(str(path), *per_row)
        for record in records:
            BATCH_VALIDATOR.validate(record)
            assert "schema_version" not in record
            assert record["unitcalc_schema_version"] == BATCH_SCHEMA_VERSION
        assert [record["unitcalc_status"] for record in records][-1] == "invalid"


def test_an_input_column_named_schema_version_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "visits.csv"
    path.write_text(
        "patient_id,date_of_service,code,minutes,schema_version\nP1,2026-03-02,97110,33,7\n",
        encoding="utf-8",
    )
    (record,) = batch_records(str(path))
    assert record["schema_version"] == "7"
    assert record["unitcalc_schema_version"] == BATCH_SCHEMA_VERSION
    assert record["unitcalc_units"] == 2
    BATCH_VALIDATOR.validate(record)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda r: r.pop("schema_version"), id="no-version"),
        pytest.param(lambda r: r.update(schema_version=2), id="other-version"),
        pytest.param(lambda r: r.update(units="2"), id="units-as-text"),
        pytest.param(lambda r: r.update(status="over"), id="audit-status"),
        pytest.param(lambda r: r.pop("edits"), id="no-edits"),
    ],
)
def test_the_batch_schema_refuses_what_batch_never_writes(change: Any) -> None:
    record = batch_records(str(EXAMPLES / "visits.csv"))[0]
    change(record)
    with pytest.raises(ValidationError):
        BATCH_VALIDATOR.validate(record)


def test_the_csv_output_has_no_version_column() -> None:
    header = run("batch", str(EXAMPLES / "visits.csv")).splitlines()[0]
    assert "schema_version" not in header
