"""The quick audit pass must say exactly what the full pass says: same summary, same
findings for every group that is not ok, on any file, well-formed or not."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from unitcalc.batch import Group, Options, run_groups
from unitcalc.mue import MueTable

CODES = ["97110", "97112", "97140", "97530", "97035", "97161", "97164", "97129", "97130",
         "97010", "97111", "97001", "g0283", " 97116 "]  # fmt: skip
MINUTES = [str(m) for m in range(0, 61, 1)] + ["", "7.5", "x", "-3", "33.0", "1441"]
BILLED = ["0", "1", "2", "3", "4", "", "-1", "1.0", "two"]
DISCIPLINES = ["", "GP", "GO", "PT", "xx"]
RULES = ["", "", "", "cms", "ama", "commercial-15", "bogus"]
PATIENTS = ["P1", "P2", "P3", "", " P1"]
MUE_TEXT = (
    '"HCPCS/CPT Code","Practitioner Services MUE Values","MUE Adjudication Indicator"\n'
    "97110,3,2 Date of Service Edit: Policy\n97140,1,1 Line Edit\n"
)

row = st.tuples(
    st.sampled_from(PATIENTS),
    st.sampled_from(["2026-01-05", "2026-01-06"]),
    st.sampled_from(CODES),
    st.sampled_from(MINUTES),
    st.sampled_from(DISCIPLINES),
    st.sampled_from(RULES),
    st.sampled_from(BILLED),
    st.sampled_from(["dr a", "dr b", ""]),
)


def render(rows: list[tuple[str, ...]], extras: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["patient_id", "date_of_service", "code", "minutes", "discipline", "rule",
                     "billed_units", "provider"])  # fmt: skip
    for values in rows:
        writer.writerow(values)
    return out.getvalue() + "".join(extras)


def audit(path: Path, *, quick: bool, mue: MueTable | None) -> tuple[dict[str, Any], list[Any]]:
    findings: list[Any] = []

    def consume(group: Group) -> None:
        assert group.finding is not None
        if group.finding.flagged:
            findings.append(group.finding.to_dict())

    options = Options(need_billed=True, only_findings=quick, mue=mue)
    summary = run_groups(path, options, consume, reset=findings.clear)
    data = summary.to_dict()
    data["counts"] = {k: v for k, v in sorted(data["counts"].items()) if v}
    return data, findings


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(row, min_size=0, max_size=25),
    extras=st.lists(
        st.sampled_from(
            ["\n", ",,,,,,,\n", "P1,2026-01-05,97110,20\n", 'P2,2026-01-05,"97110,20\n']
        ),
        max_size=2,
    ),
    with_mue=st.booleans(),
)
@example(
    rows=[("P1", "2026-01-05", "97110", "33", "GP", "", "2", "dr a")], extras=[], with_mue=False
)
def test_quick_and_full_passes_agree(
    rows: list[tuple[str, ...]], extras: list[str], with_mue: bool
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "visits.csv")
        path.write_text(render(rows, extras), encoding="utf-8")
        mue = MueTable.parse(MUE_TEXT, source="test") if with_mue else None
        assert audit(path, quick=True, mue=mue) == audit(path, quick=False, mue=mue)


def test_the_quick_pass_settles_plain_groups(tmp_path: Path) -> None:
    rows = [
        ("P1", "2026-01-05", "97110", "33", "GP", "", "2", "dr a"),
        ("P1", "2026-01-05", "97140", "7", "GP", "", "1", "dr a"),
        ("P2", "2026-01-05", "97110", "33", "GP", "", "3", "dr a"),
    ]
    path = tmp_path / "visits.csv"
    path.write_text(render(rows, []), encoding="utf-8")
    summary = run_groups(
        path, Options(need_billed=True, only_findings=True), lambda g: None, reset=lambda: None
    )
    assert (summary.settled_quickly, summary.groups, summary.counts) == (1, 2, {"ok": 1, "over": 1})
