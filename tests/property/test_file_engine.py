"""The file engine settles groups in columns (the rules' columnar forms) and builds a
finding from columns; with every group listed it evaluates each with the scalar engine.
Both must give the same summary and the same findings, on any file, bad rows included."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from unitcalc.core.ptp import PtpTable
from unitcalc.engine.payers import parse_profiles
from unitcalc.files import Group, Options, run_groups

from . import strategies as ts


def audit(
    text: str, *, columns: bool, **options: Any
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The run's summary and its flagged findings (without the step-by-step reasoning,
    which only the scalar engine writes)."""
    flagged: list[dict[str, Any]] = []

    def consume(group: Group) -> None:
        assert group.finding is not None
        if group.finding.flagged:
            flagged.append(group.finding.to_dict() | {"explanation": []})

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "visits.csv")
        path.write_text(text, encoding="utf-8")
        summary = run_groups(
            path, Options.of(need_billed=True, only_findings=columns, **options), consume
        )
    return summary.to_dict(), flagged


# The file that once gave ok to the quick pass and invalid to the full one.
@example(ts.FILE_HEADER + "P1,2026-01-05,97110,20,,,1\nP1,2026-01-05,97140,10,,cms,1\n")
# One patient's day written three ways: one group of 30 minutes, 2 units, billed 3.
@example(
    ts.FILE_HEADER
    + "P1,2026-01-05,97110,10,PT,,1\nP1,01/05/2026,97140,10,PT,,1\nP1,2026-1-5,97112,10,PT,,1\n"
)
@settings(max_examples=300)
@given(ts.visit_files)
def test_columns_and_the_scalar_engine_agree_on_any_file(text: str) -> None:
    assert audit(text, columns=True) == audit(text, columns=False)


PROFILES = parse_profiles(ts.PAYERS_TOML, source_name="payers.toml")


# A cap of 2 a day keeps the first lines in claim order: 97110 keeps its 2, 97140 none.
@example(
    ts.PAYER_FILE_HEADER + "P1,2026-01-05,97110,30,PT,daily,2\nP1,2026-01-05,97140,23,PT,daily,2\n"
)
# A minimum of 10 for 97140: its 9 minutes count for nothing, a unit billed is over.
@example(
    ts.PAYER_FILE_HEADER
    + "P1,2026-01-05,97110,30,PT,minimums,2\nP1,2026-01-05,97140,9,PT,minimums,1\n"
)
# A tie settled by the payer's preference (97140 first), the day pooled.
@example(
    ts.PAYER_FILE_HEADER
    + "P1,2026-01-05,97110,10,PT,prefers,0\nP1,2026-01-05,97140,10,OT,prefers,0\n"
)
@settings(max_examples=300)
@given(ts.payer_files)
def test_columns_and_the_scalar_engine_agree_under_payer_terms(text: str) -> None:
    # Caps, minimum minutes, tie preferences and pooling of payer profiles, settled in
    # columns, give the one-visit engine's findings word for word.
    columns = audit(text, columns=True, profiles=PROFILES, profiles_path="payers.toml")
    assert columns == audit(text, columns=False, profiles=PROFILES, profiles_path="payers.toml")


@settings(max_examples=100)
@given(ts.payer_files, st.sampled_from([("97140",), ("97530", "97110"), ("97001",)]))
def test_columns_and_the_scalar_engine_agree_with_a_tie_preference(
    text: str, preference: tuple[str, ...]
) -> None:
    # The preference given wins over the payers'; a code not in force that day (97001,
    # deleted in 2017) makes the group invalid in both engines.
    options = {"profiles": PROFILES, "profiles_path": "payers.toml", "tie_preference": preference}
    assert audit(text, columns=True, **options) == audit(text, columns=False, **options)


def test_a_day_longer_than_a_day_adds_no_minutes_to_its_provider() -> None:
    # The columns found the day invalid (1,600 minutes) but once counted its minutes
    # toward the provider's average; the scalar engine, which does not evaluate it,
    # never did.
    text = (
        "patient_id,date_of_service,code,minutes,discipline,billed_units,provider\n"
        "P1,2025-12-31,97110,800,PT,0,ann\nP1,2025-12-31,97110,800,PT,0,ann\n"
        "P2,2025-12-31,97110,30,PT,2,ann\n"
    )
    summary, _ = audit(text, columns=True)
    assert summary == audit(text, columns=False)[0]
    assert summary["providers"][0]["timed_minutes"] == 30


def test_a_day_written_three_ways_is_one_group() -> None:
    text = (
        ts.FILE_HEADER
        + "P1,2026-01-05,97110,10,PT,,1\nP1,01/05/2026,97140,10,PT,,1\nP1,2026-1-5,97112,10,PT,,1\n"
    )
    summary, [finding] = audit(text, columns=True)
    assert summary["groups"] == 1
    assert summary["date_formats"] == ["iso", "us"]
    assert (finding["group"], finding["status"], finding["difference"]) == (
        "P1 / 2026-01-05",
        "over",
        1,
    )


def test_a_patient_written_with_separators_around_it_is_one_group() -> None:
    # str.strip() strips U+001C to U+001F as it strips spaces (polars' strip_chars() does
    # not): P1 written three ways is one day of 30 minutes, 2 units, billed 3.
    text = ts.FILE_HEADER + (
        "P1,2026-01-05,97110,10,PT,,1\n\x1cP1,2026-01-05,97140,10,PT,,1\n"
        " P1\x1f,2026-01-05\x1d,97112,10,PT,,1\n"
    )
    for columns in (True, False):
        summary, [finding] = audit(text, columns=columns)
        assert summary["groups"] == 1
        assert (finding["group"], finding["status"], finding["difference"]) == (
            "P1 / 2026-01-05",
            "over",
            1,
        )


def run_file(path: Path, **options: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    found: list[dict[str, Any]] = []

    def consume(group: Group) -> None:
        assert group.finding is not None
        found.append(group.finding.to_dict())

    summary = run_groups(
        path, Options(need_billed=True, only_findings=True), consume, **options
    ).to_dict()
    return summary, sorted(found, key=lambda finding: finding["lines"])


def test_a_large_file_counted_in_parts_gives_the_same_answer(tmp_path: Path) -> None:
    # Patients scattered through the file, some days billed wrong, one row unreadable.
    rows = []
    for visit in range(3000):
        patient, minutes = f"P{visit % 700}", 8 + visit % 50
        billed = (minutes + 7) // 15 + (visit % 11 == 0)
        rows.append(f"{patient},2026-0{1 + visit % 3}-05,97110,{minutes},PT,,{billed}\n")
    rows[100] = "P1,2026-01-05,97110,x,PT,,1\n"
    path = tmp_path / "visits.csv"
    path.write_text(ts.FILE_HEADER + "".join(rows), encoding="utf-8")
    whole = run_file(path)
    parts = run_file(path, partition_bytes=1024)
    assert whole == parts
    assert whole[0]["order"] == "scattered"
    assert whole[0]["rows_read"] == 3000
    assert whole[0]["counts"]["invalid"] == 1


@pytest.mark.parametrize(
    ("odd", "records"),
    [
        ('P5,2026-01-05,97110,"2\n0",PT,,1\n', 2001),  # a quoted line break
        ("P5,2026-01-05,97110,20\n", 2001),  # a short row
        (",,,,,,\n", 2000),  # a row of blank cells: a blank line, not a record
    ],
)
def test_a_large_file_read_in_parts_is_proven_complete(
    tmp_path: Path, odd: str, records: int
) -> None:
    # Whatever record the parts' proof of completeness must catch, and wherever it falls,
    # the file read in parts gives the careful reader's answer, as it does read whole.
    rows = [f"P{visit % 300},2026-01-05,97110,{8 + visit % 50},PT,,1\n" for visit in range(2000)]
    rows.insert(700, odd)
    path = tmp_path / "visits.csv"
    path.write_text(ts.FILE_HEADER + "".join(rows), encoding="utf-8")
    whole = run_file(path)
    assert run_file(path, partition_bytes=1024) == whole
    assert whole[0]["rows_read"] == records
    assert sum(whole[0]["counts"].values()) == whole[0]["groups"]


def test_a_quote_open_at_the_end_of_a_large_file_is_reported(tmp_path: Path) -> None:
    rows = [f"P{visit % 300},2026-01-05,97110,{8 + visit % 50},PT,,1\n" for visit in range(2000)]
    rows.append('P1,2026-01-05,97110,20,PT,,"2\n')
    path = tmp_path / "visits.csv"
    path.write_text(ts.FILE_HEADER + "".join(rows), encoding="utf-8")
    whole = run_file(path)
    assert run_file(path, partition_bytes=1024) == whole
    assert whole[0]["invalid_rows"] >= 1


@pytest.mark.parametrize(
    "shape",
    ["lf", "crlf", "no-final-break", "quoted-break", "bom"],
)
def test_a_large_file_parsed_in_small_chunks_gives_the_same_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shape: str
) -> None:
    # Chunks of a few hundred bytes: records cut at every place a chunk can end (line
    # ends kept whole, a quoted line break across two chunks sent to the careful reader).
    from unitcalc.files import columnar, split

    monkeypatch.setattr(split, "CHUNK_BYTES", 300)
    rows = [
        f"P{visit % 300},2026-0{1 + visit % 3}-05,97110,{8 + visit % 50},PT,,{1 + visit % 3}"
        for visit in range(1500)
    ]
    if shape == "quoted-break":
        rows[700] = 'P5,2026-01-05,97110,"2\n0",PT,,1'
    end = "\r\n" if shape == "crlf" else "\n"
    text = ts.FILE_HEADER.replace("\n", end) + end.join(rows) + end
    if shape == "no-final-break":
        text = text.rstrip("\n")
    data = text.encode("utf-8")
    if shape == "bom":
        data = b"\xef\xbb\xbf" + data
    path = tmp_path / "visits.csv"
    path.write_bytes(data)
    whole = run_file(path)
    assert run_file(path, partition_bytes=1024) == whole
    assert whole[0]["rows_read"] == 1500
    # The parts were written from the chunks, except where the careful reader is needed.
    shape_of_file = columnar.csv_lines(path, ",")
    assert shape_of_file is not None
    folder = tmp_path / "parts"
    folder.mkdir()
    parts = split.csv_parts(path, ",", shape_of_file, "patient_id", folder=folder, parts=4)
    assert (parts is None) == (shape == "quoted-break")


PTP_TABLE = PtpTable.load(Path(__file__).parents[1] / "fixtures" / "ptp_sample.txt")


# 97530 with 97150 billed by one provider, 59 on the column 2 code of one line only.
@example(
    text=ts.PTP_FILE_HEADER
    + "P1,2026-03-02,97530,30,PT,GP,dr a,2\nP1,2026-03-02,97150,20,PT,59,dr a,1\n"
    + "P1,2026-03-02,97150,20,PT,GP,dr a,1\n",
    modifier_on="either",
)
@settings(max_examples=200)
@given(ts.ptp_files, st.sampled_from(("either", "column2")))
def test_columns_and_the_scalar_engine_agree_on_ptp_pairs(text: str, modifier_on: str) -> None:
    # The PTP edits tripped, flagged in columns and worded by the scalar engine, are the
    # one-visit engine's: same groups listed, same words.
    options = {"ptp": PTP_TABLE, "ptp_modifier_on": modifier_on}
    assert audit(text, columns=True, **options) == audit(text, columns=False, **options)
