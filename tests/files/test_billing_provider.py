"""Issue 21, grouping by who bills: a billing provider column (``billing_npi``, ``Billing
NPI``, ``billing_provider``, ``TIN`` ...) is part of the default group key, so two
unrelated providers seeing one patient on one day are two claims; the summary says which
columns made the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from unitcalc.cli import main
from unitcalc.files.layout import find_roles

TWO_BILLERS = (
    "P1,2026-01-05,97161,,1,{a}\n"
    "P1,2026-01-05,97110,20,1,{a}\n"
    "P1,2026-01-05,97161,,1,{b}\n"
    "P1,2026-01-05,97110,20,1,{b}\n"
)


def audit_json(path: Path, *options: str) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(main, ["audit", str(path), "--format", "json", "--all", *options])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize("header", ["billing_npi", "Billing NPI", "billing_provider", "TIN"])
def test_two_billing_providers_on_one_day_are_two_claims(tmp_path: Path, header: str) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(
        f"patient_id,date_of_service,code,minutes,billed_units,{header}\n"
        + TWO_BILLERS.format(a="1111111111", b="2222222222")
    )
    data = audit_json(path)
    # Each provider bills its own evaluation and its own 20 minutes: both claims ok
    # (one group would be one evaluation too many and a unit misplaced).
    assert data["summary"]["counts"]["ok"] == 2
    assert data["summary"]["groups"] == 2
    assert data["summary"]["input"]["key"] == ["patient_id", "date_of_service", header]
    keys = sorted(finding["key"][header] for finding in data["findings"])
    assert keys == ["1111111111", "2222222222"]
    assert all(not finding["edits"] for finding in data["findings"])


def test_without_the_column_the_day_is_one_group(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(
        "patient_id,date_of_service,code,minutes,billed_units,note\n"
        + TWO_BILLERS.format(a="x", b="y")
    )
    data = audit_json(path)
    assert data["summary"]["groups"] == 1
    assert data["summary"]["input"]["key"] == ["patient_id", "date_of_service"]
    assert data["summary"]["counts"]["ok"] == 0


def test_the_table_says_which_columns_make_the_key(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(
        "patient_id,date_of_service,code,minutes,billed_units,Billing NPI\n"
        + TWO_BILLERS.format(a="1", b="2")
    )
    result = CliRunner().invoke(main, ["audit", str(path)])
    assert "groups by patient_id, date_of_service, Billing NPI." in result.output
    assert "columns billing_provider=Billing NPI" in result.output


def test_the_visit_key_takes_the_billing_provider_too(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(
        "visit_id,code,minutes,billed_units,billing_npi\nV1,97110,20,1,1\nV1,97110,20,1,2\n"
    )
    data = audit_json(path)
    assert data["summary"]["input"]["key"] == ["visit_id", "billing_npi"]
    assert data["summary"]["counts"]["ok"] == 2


def test_group_by_leaves_the_billing_provider_out(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(
        "patient_id,date_of_service,code,minutes,billed_units,billing_npi\n"
        + TWO_BILLERS.format(a="1", b="2")
    )
    data = audit_json(path, "--group-by", "patient_id,date_of_service")
    assert data["summary"]["groups"] == 1
    assert data["summary"]["input"]["key"] == ["patient_id", "date_of_service"]


def test_an_empty_billing_provider_names_the_field_and_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(
        "patient_id,date_of_service,code,minutes,billed_units,billing_npi\n"
        "P1,2026-01-05,97110,25,2,1\nP1,2026-01-05,97110,25,2,\n"
    )
    data = audit_json(path)
    invalid = [f for f in data["findings"] if f["status"] == "invalid"]
    assert [f["lines"] for f in invalid] == [[3]]
    assert invalid[0]["message"].endswith(
        "line 3: billing_npi is empty or not text: write who bills the line, or group "
        "without it with --group-by patient_id,date_of_service"
    )


def test_the_rtm_month_is_counted_per_billing_provider(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(
        "patient_id,date_of_service,code,minutes,billed_units,billing_npi\n"
        "P1,2026-03-02,98980,25,1,1\nP1,2026-03-09,98980,25,1,2\n"
    )
    data = audit_json(path)
    # Each provider's 25 minutes of the month bill one 98980; as one month the second
    # 98980 would be over.
    assert data["summary"]["counts"]["ok"] == 2


def test_billing_aliases_are_one_role() -> None:
    roles = find_roles(["Patient ID", "DOS", "CPT", "Mins", "Tax ID"], {}, display="f")
    assert roles["billing_provider"] == "Tax ID"


def test_a_description_where_a_code_belongs_names_the_column_of_codes(tmp_path: Path) -> None:
    """Issue 25, item 4: 'ther ex' in the code column is said to be a description, and
    the record's column that holds codes is named with the option that counts by it."""
    path = tmp_path / "v.csv"
    path.write_text(
        "patient_id,date_of_service,Description,CPT Code,minutes,billed_units\n"
        "P1,2026-01-05,ther ex,97110,33,2\n"
    )
    data = audit_json(path, "--columns", "code=Description")
    assert data["findings"][0]["errors"] == [
        "line 2: 'ther ex' reads as a description of a service, not a CPT/HCPCS code "
        "(5 characters, such as 97110); column 'CPT Code' holds codes (97110): count by it "
        "with --columns code=CPT Code"
    ]
