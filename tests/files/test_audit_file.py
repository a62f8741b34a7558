"""Auditing files: a fixture with every failure mode, checked group by group, and the
reading edge cases (encodings, line endings, quotes, JSON Lines, scattered groups)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import unitcalc
from tests.conftest import run
from unitcalc import FileProblem, iter_findings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CASES = FIXTURES / "audit_cases.csv"

# group -> (status, lines, billed, allowed), worked out by hand from CMS 20.2 and docs/rules.md.
EXPECTED = {
    "A01 / 2026-03-02": ("ok", [2, 3], {"97110": 2, "97140": 1}, {"97110": 2, "97140": 1}),
    "A02 / 2026-03-02": ("ok", [4, 5], {"97112": 1, "97110": 2}, {"97112": 1, "97110": 2}),
    "A03 / 2026-03-02": ("over", [6, 7], {"97110": 3, "97140": 1}, {"97110": 2, "97140": 1}),
    "A04 / 2026-03-02": (
        "under", [8, 9, 10],
        {"97110": 1, "97140": 1, "97116": 0}, {"97110": 1, "97140": 1, "97116": 1},
    ),
    "A05 / 2026-03-02": ("misallocated", [11, 12], {"97110": 3, "97140": 0}, {"97110": 2, "97140": 1}),
    "A06 / 2026-03-02": ("over", [13, 14], {"97110": 2}, {"97110": 1}),
    "A07 / 2026-03-02": ("invalid", [15], {}, {}),
    "A08 / 2026-03-02": ("invalid", [16], {}, {}),
    "A09 / 2026-03-02": ("invalid", [17], {}, {}),
    "A10 / 2026-03-02": ("invalid", [18], {}, {}),
    "A11 / 2026-03-02": ("invalid", [19], {}, {}),
    "A12 / 2026-03-02": ("invalid", [20], {}, {}),
    "A13 / 2026-03-02": ("invalid", [21, 22], {}, {}),
    "A14 / 2026-03-02": ("ok", [23, 24], {"97110": 1, "97116": 1}, {"97110": 1, "97116": 1}),
    "A15 / 2026-03-02": ("over", [25], {"97161": 2}, {"97161": 1}),
    "A16 / 2026-03-02": ("misallocated", [26, 27], {"97129": 0, "97130": 3}, {"97129": 1, "97130": 2}),
    "line 28": ("invalid", [28], {}, {}),
    "A18 / 2026-03-02": ("invalid", [29, 30], {}, {}),
}  # fmt: skip

REASONS = {
    "A07 / 2026-03-02": "line 15: 97110: minutes '7.5' has a fraction",
    "A08 / 2026-03-02": "line 16: 97111 is not in the code table. Did you mean 97110",
    "A09 / 2026-03-02": "line 17: 97001 was deleted on 2017-01-01; its replacements are 97161",
    "A10 / 2026-03-02": "line 18: wrong number of fields: expected 9 as in the header, found 10",
    "A11 / 2026-03-02": "line 19: 97110: billed_units '' is empty; write 0 if no unit was billed",
    "A12 / 2026-03-02": "line 20: discipline 'XX' is not PT, OT or SLP",
    "A13 / 2026-03-02": "rows of this group name different rules or payers (cms on line 21, ama on line 22)",
    "line 28": "line 28: patient_id is empty",
    "A18 / 2026-03-02": "line 29: a quote opened on line 29 is never closed: the record swallowed line 30 (1 line)",
}


@pytest.fixture(scope="module")
def findings() -> dict[str, unitcalc.Finding]:
    return {finding.group: finding for finding in iter_findings(CASES)}


def test_every_group_is_reported_once(findings: dict[str, unitcalc.Finding]) -> None:
    assert sorted(findings) == sorted(EXPECTED)


@pytest.mark.parametrize("group", list(EXPECTED))
def test_fixture_group(findings: dict[str, unitcalc.Finding], group: str) -> None:
    status, lines, billed, allowed = EXPECTED[group]
    finding = findings[group]
    assert finding.status == status
    assert list(finding.lines) == lines
    assert dict(finding.billed) == billed
    assert dict(finding.allowed) == allowed
    assert finding.difference == sum(billed.values()) - sum(allowed.values())
    if status == "invalid":
        assert finding.errors
        assert REASONS[group] in finding.message
    else:
        assert finding.errors == ()
        assert finding.explanation


def test_messages_say_what_to_do(findings: dict[str, unitcalc.Finding]) -> None:
    assert findings["A03 / 2026-03-02"].message == (
        "Billed 4 units (97110 x3, 97140 x1), but the documented minutes support 3 under cms: "
        "1 unit over. Closest compliant allocation: 97110 x2, 97140 x1."
    )
    assert findings["A04 / 2026-03-02"].message.endswith(
        "1 unit under, revenue not claimed. Closest compliant allocation: 97110 x1, 97140 x1, "
        "97116 x1."
    )
    assert findings["A05 / 2026-03-02"].message.endswith(
        "cms allows 3 units as 97110 x2, 97140 x1: move units from 97110 to 97140."
    )
    assert "one of the compliant ones" in findings["A02 / 2026-03-02"].message


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


HEADER = b"visit_id,code,minutes,billed_units\n"


@pytest.mark.parametrize(
    "data",
    [
        HEADER + b"V1,97110,33,2\nV1,97140,7,1\n",
        b"\xef\xbb\xbf" + HEADER + b"V1,97110,33,2\nV1,97140,7,1\n",
        (HEADER + b"V1,97110,33,2\nV1,97140,7,1\n").replace(b"\n", b"\r\n"),
        HEADER.upper() + b"V1,97110,33,2\n\nV1,97140,7,1",
    ],
    ids=["lf", "bom", "crlf", "upper-header-blank-line-no-final-newline"],
)
def test_csv_dialects(tmp_path: Path, data: bytes) -> None:
    [finding] = iter_findings(write(tmp_path, "visits.csv", data))
    assert finding.status == "ok"
    assert dict(finding.billed) == {"97110": 2, "97140": 1}


def test_json_lines(tmp_path: Path) -> None:
    rows = [
        {"visit_id": "V1", "code": "97110", "minutes": 33, "billed_units": 2},
        {"visit_id": "V1", "code": "97140", "minutes": "7", "billed_units": "1"},
        {"visit_id": "V2", "code": "97110", "minutes": 7.5, "billed_units": 1},
    ]
    text = "\n".join(json.dumps(row) for row in rows) + "\nnot json\n[1]\n"
    findings = list(iter_findings(write(tmp_path, "visits.jsonl", text.encode())))
    statuses = {f.group: (f.status, f.lines) for f in findings}
    assert statuses == {
        "V1": ("ok", (1, 2)),
        "V2": ("invalid", (3,)),
        "line 4": ("invalid", (4,)),
        "line 5": ("invalid", (5,)),
    }


def test_scattered_groups_are_counted_whole(tmp_path: Path) -> None:
    data = HEADER + b"V1,97110,10,1\nV2,97110,20,1\nV1,97112,10,0\nV3,97110,8,1\n"
    findings = {f.group: f for f in iter_findings(write(tmp_path, "visits.csv", data))}
    # V1's rows are apart: 10 + 10 minutes are one day, 1 unit, not 1 + 1.
    assert findings["V1"].status == "ok"
    assert findings["V1"].lines == (2, 4)
    assert dict(findings["V1"].billed) == {"97110": 1, "97112": 0}
    assert set(findings) == {"V1", "V2", "V3"}


def test_group_by_override(tmp_path: Path) -> None:
    data = b"claim,code,minutes,billed_units\nC1,97110,10,1\nC1,97112,10,0\n"
    [finding] = iter_findings(write(tmp_path, "visits.csv", data), group_by=["Claim"])
    assert (finding.group, finding.status) == ("C1", "ok")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty (no header row)"),
        (b"\n\n", "the file is empty (no header row)"),
        (b"visit_id,code,minutes\nV1,97110,10\n", "missing required column: billed_units"),
        (b"code,minutes,billed_units\n97110,10,1\n", "patient_id and date_of_service, or visit_id"),
        (b"visit_id,code,code,minutes,billed_units\n", "column 'code' appears twice"),
        (HEADER + b"V1,97110,10,\xe9\n", "line 2: byte 0xe9 cannot be decoded as utf-8"),
    ],
    ids=["empty", "blank", "no-billed", "no-group", "duplicate-column", "encoding"],
)
def test_files_that_cannot_be_audited(tmp_path: Path, data: bytes, message: str) -> None:
    with pytest.raises(FileProblem, match=re.escape(message)):
        list(iter_findings(write(tmp_path, "visits.csv", data)))


def test_other_encodings(tmp_path: Path) -> None:
    data = b"visit_id,code,minutes,billed_units,note\nV1,97110,10,1,caf\xe9\n"
    [finding] = iter_findings(write(tmp_path, "visits.csv", data), encoding="cp1252")
    assert finding.status == "ok"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileProblem, match="cannot read"):
        list(iter_findings(tmp_path / "none.csv"))


@pytest.mark.parametrize("listing", [(), ("--all",)])
def test_a_findings_providers_in_order_of_first_line(
    tmp_path: Path, listing: tuple[str, ...]
) -> None:
    # Settled in columns or by the scalar engine (--all): each provider once, stripped,
    # in the order their lines come.
    path = tmp_path / "p.csv"
    path.write_text(
        "patient_id,date_of_service,code,minutes,billed_units,provider\n"
        "P1,2026-01-05,97110,33,3, prov2\n"
        "P1,2026-01-05,97140,10,1,prov1\n"
        "P1,2026-01-05,97112,10,1,prov2 \n",
        encoding="utf-8",
    )
    result = run("audit", str(path), "--format", "csv", *listing)
    assert result.exit_code == 1
    assert result.output.splitlines()[1].endswith(",P1,2026-01-05,prov2; prov1,")
