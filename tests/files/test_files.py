"""Files users hand to unitcalc: the MUE table as CMS publishes it, and visit files in
the shapes real exports take (odd encodings, JSON Lines, runaway quotes, payer columns,
long and scattered files). The quick audit pass must agree with the full one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import unitcalc
import unitcalc.engine.count
import unitcalc.engine.explain
import unitcalc.files.word
from unitcalc import FileProblem, iter_findings
from unitcalc.cli import main
from unitcalc.core.codes import CodeTable
from unitcalc.core.definitions import define_code
from unitcalc.core.mue import MueTable, MueTableError
from unitcalc.engine.payers import PayerProfileError, parse_profiles
from unitcalc.files import Group, Options, run_groups

MUE_HEADER = (
    b'"HCPCS/CPT Code","Practitioner Services MUE Values","MUE Adjudication Indicator",'
    b'"MUE Rationale"\n'
)


def write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def findings(path: Path, **options: Any) -> dict[str, unitcalc.Finding]:
    return {f.group: f for f in iter_findings(path, **options)}


class TestMueTable:
    def test_a_cp1252_file_is_read(self, tmp_path: Path) -> None:
        path = write(tmp_path, "mue.csv", MUE_HEADER + b'97110,3,"2 Date of Service",Caf\xe9\n')
        entry = MueTable.load(path).get("97110")
        assert entry is not None
        assert (entry.units, entry.indicator, entry.rationale) == (3, 2, "Café")

    def test_a_file_not_utf8_is_read_in_the_encoding_its_bytes_suggest(
        self, tmp_path: Path
    ) -> None:
        # As visit files and the other side files are (one reader): bytes that are not
        # UTF-8 are read in the encoding charset-normalizer finds, not refused.
        path = write(tmp_path, "mue.csv", MUE_HEADER + b'97110,3,"2 Date of Service",x\x81\n')
        assert MueTable.load(path).get("97110") is not None

    def test_bytes_its_encoding_cannot_decode_are_refused_clearly(self, tmp_path: Path) -> None:
        # A UTF-16 byte-order mark, then a lone half of a character: a MueTableError
        # naming the file and the line, not a UnicodeDecodeError.
        data = MUE_HEADER.decode("utf-8").encode("utf-16") + b"\x00\xd8"
        path = write(tmp_path, "mue.csv", data)
        with pytest.raises(MueTableError) as caught:
            MueTable.load(path)
        assert str(path) in str(caught.value)
        assert "cannot be decoded as utf-16" in str(caught.value)
        assert caught.value.path == str(path)

    def test_a_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(MueTableError) as caught:
            MueTable.load(tmp_path / "none.csv")
        assert str(caught.value) == (
            f"cannot read MUE table {tmp_path / 'none.csv'}: No such file or directory"
        )

    def test_a_row_with_too_few_fields_names_its_line(self, tmp_path: Path) -> None:
        path = write(tmp_path, "mue.csv", MUE_HEADER + b"97110,3,2 DOS,r\n97140,2\n")
        with pytest.raises(MueTableError) as caught:
            MueTable.load(path)
        assert str(caught.value) == f"{path}, line 3: expected the MUE columns, found 2 fields"
        assert caught.value.line == 3

    def test_notes_and_blank_rows_below_the_table_are_skipped(self, tmp_path: Path) -> None:
        path = write(
            tmp_path,
            "mue.csv",
            MUE_HEADER + b"97110,3,2 DOS,r\n,,,\n\n"
            b'"Note: values change every quarter",,,\n"CPT is a trademark of the AMA",,,\n',
        )
        assert set(MueTable.load(path).entries) == {"97110"}

    def test_the_rationale_column_is_optional(self) -> None:
        text = (
            '"HCPCS/CPT Code","Practitioner Services MUE Values","MUE Adjudication Indicator"\n'
            "g0283,1,2 Date of Service Edit: Policy\n"
        )
        entry = MueTable.parse(text, source="mue.csv").get("G0283")
        assert entry is not None
        assert (entry.units, entry.per_line, entry.rationale) == (1, False, "")


class TestReading:
    HEADER = "visit_id,code,minutes,billed_units\n"

    def test_an_unknown_encoding_is_named(self, tmp_path: Path) -> None:
        path = write(tmp_path, "v.csv", self.HEADER + "V1,97110,33,2\n")
        with pytest.raises(
            FileProblem, match=r"^unknown encoding 'latin-9x'; give a text encoding"
        ):
            findings(path, encoding="latin-9x")

    def test_undecodable_utf16_names_the_line(self, tmp_path: Path) -> None:
        data = (self.HEADER + "V1,97110,33,2\n").encode("utf-16") + b"\x00\xd8A\x00"
        path = write(tmp_path, "v.csv", data)
        with pytest.raises(FileProblem) as caught:
            findings(path, encoding="utf-16")
        assert "line 3: byte 0x00 cannot be decoded as utf-16" in str(caught.value)
        assert caught.value.line == 3

    def test_the_input_format_option_overrides_the_file_name(self, tmp_path: Path) -> None:
        row = {"visit_id": "V1", "code": "97110", "minutes": 33, "billed_units": 2}
        path = write(tmp_path, "export.txt", json.dumps(row) + "\n")
        assert findings(path, input_format="jsonl")["V1"].status == "ok"

    def test_a_runaway_quote_past_the_field_limit_names_the_row_it_opened_on(
        self, tmp_path: Path
    ) -> None:
        # The quote opens in V1's row on line 2; the parser gives up on line 3.
        path = write(
            tmp_path,
            "v.csv",
            self.HEADER + 'V1,97110,33,"2\nV2,97110,33,' + "x" * 140_000 + "\nV3,97110,8,1\n",
        )
        found = findings(path)
        assert "V3" in found
        invalid = [f for f in found.values() if f.status == "invalid"]
        assert len(invalid) == 1
        assert "a quote opened on line 2 is probably never closed" in invalid[0].message
        assert "it swallowed 1 line after it (to line 3), not audited" in invalid[0].message
        assert invalid[0].group == "V1"

    def test_json_lines_blank_lines_and_a_bad_first_record(self, tmp_path: Path) -> None:
        good = {"visit_id": "V1", "code": "97110", "minutes": 33, "billed_units": 2}
        more = {"visit_id": "V1", "code": "97140", "minutes": 7, "billed_units": 1}
        text = "\n{oops\n\n" + json.dumps(good) + "\n   \n" + json.dumps(more) + "\n\n"
        found = findings(write(tmp_path, "v.jsonl", text))
        assert set(found) == {"line 2", "V1"}
        assert found["line 2"].message.startswith("Could not be evaluated: line 2: not valid JSON")
        assert (found["V1"].status, found["V1"].lines) == ("ok", (4, 6))

    def test_json_lines_of_blank_lines_only_is_empty(self, tmp_path: Path) -> None:
        path = write(tmp_path, "v.jsonl", "\n   \n\n")
        with pytest.raises(FileProblem, match=r"v\.jsonl: the file is empty \(no records\)$"):
            findings(path)

    def test_json_nested_too_deeply_is_one_invalid_record(self, tmp_path: Path) -> None:
        good = {"visit_id": "V1", "code": "97110", "minutes": 33, "billed_units": 2}
        path = write(tmp_path, "v.jsonl", json.dumps(good) + "\n" + "[" * 100_000 + "\n")
        found = findings(path)
        assert found["V1"].status == "ok"
        assert found["line 2"].errors == ("line 2: JSON nested too deeply",)


class TestPayerColumns:
    HEADER = "visit_id,code,minutes,billed_units,payer\n"
    PROFILES = parse_profiles(
        '[payers.acme]\nrule = "ama"\n\n[payers.beta]\nrule = "ama"\ndaily_unit_cap = 1\n',
        source_name="payers.toml",
    )

    def test_one_day_under_two_payers_is_invalid_and_says_which_lines(self, tmp_path: Path) -> None:
        path = write(tmp_path, "v.csv", self.HEADER + "V1,97110,33,2,acme\nV1,97140,7,1,beta\n")
        [finding] = findings(path, profiles=self.PROFILES).values()
        assert finding.status == "invalid"
        assert "(payer acme on line 2, payer beta on line 3)" in finding.message

    def test_a_payer_named_without_profiles(self, tmp_path: Path) -> None:
        path = write(tmp_path, "v.csv", self.HEADER + "V1,97110,33,2,acme\n")
        [finding] = findings(path).values()
        assert finding.errors == (
            "line 2: payer 'acme' is named, but no payer profiles were given (profiles=...)",
        )

    def test_the_payer_option_applies_to_rows_that_name_none(self, tmp_path: Path) -> None:
        path = write(tmp_path, "v.csv", self.HEADER + "V1,97110,33,2,\nV2,97110,33,1,beta\n")
        found = findings(path, payer="acme", profiles=self.PROFILES)
        assert (found["V1"].status, found["V1"].rule) == ("ok", "ama")
        assert found["V2"].message.endswith(
            "beta's cap applies: the minutes support more (97110 x1 removed)."
        )

    def test_an_unknown_payer_option_fails_before_reading(self, tmp_path: Path) -> None:
        with pytest.raises(PayerProfileError) as caught:
            iter_findings(tmp_path / "not-read.csv", payer="gamma", profiles=self.PROFILES)
        message = str(caught.value)
        assert message.startswith("no payer profile 'gamma'")
        assert "acme, beta" in message
        assert " in ;" not in message  # no file was given: no empty file name in the text


def run(path: Path, **options: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A run's summary and the findings that are not ok, as the audit command lists them."""
    flagged: list[dict[str, Any]] = []

    def consume(group: Group) -> None:
        assert group.finding is not None
        if group.finding.flagged:
            # The step-by-step explanation is written only when asked for (--explain).
            flagged.append(group.finding.to_dict() | {"explanation": []})

    options.setdefault("need_billed", True)
    summary = run_groups(path, Options.of(**options), consume, reset=flagged.clear)
    data = summary.to_dict()
    data["counts"] = {k: v for k, v in data["counts"].items() if v}
    return data, flagged


PAYERS = parse_profiles('[payers.acme]\nrule = "ama"\n', source_name="payers.toml")
HALF_HOUR = CodeTable.default().with_codes(define_code("0999T=timed/30"))
DAY = "patient_id,date_of_service,code,minutes,billed_units,rule\n"

# Files the quick pass hands to the full one, whole or a group at a time.
QUICK_AND_FULL = [
    ("payer-column", "visit_id,code,minutes,billed_units,payer\nV1,97110,33,2,\nV2,97110,8,2,\n", {}, {"ok": 1, "over": 1}),
    ("payer-option", "visit_id,code,minutes,billed_units\nV1,97110,38,3\nV2,97110,8,2\n", {"payer": "acme", "profiles": PAYERS}, {"ok": 1, "over": 1}),
    ("jsonl-name", '{"visit_id": "V1", "code": "97110", "minutes": 8, "billed_units": 2}\n', {}, {"over": 1}),
    ("cp1252", "visit_id,code,minutes,billed_units,note\nV1,97110,33,2,caf\xe9\n", {"encoding": "cp1252"}, {"ok": 1}),
    ("more-than-a-day", DAY + "P1,2026-01-05,97110,800,1,\nP1,2026-01-05,97110,800,1,\n", {}, {"invalid": 1}),
    ("two-rules-one-day", DAY + "P1,2026-01-05,97110,20,1,ama\nP1,2026-01-05,97140,20,1,cms\n", {}, {"invalid": 1}),
    ("untimed-billed-twice", DAY + "P1,2026-01-05,97161,45,2,\n", {}, {"over": 1}),
    ("evaluation-and-re-evaluation", DAY + "P1,2026-01-05,97161,45,1,\nP1,2026-01-05,97164,30,1,\n", {}, {"ok": 1}),
    ("half-hour-unit-under-cms", DAY + "P1,2026-01-05,0999T,45,1,\n", {"codes": HALF_HOUR}, {"ok": 1}),
    ("half-hour-unit-under-ama", DAY + "P1,2026-01-05,0999T,46,1,ama\n", {"codes": HALF_HOUR}, {"under": 1}),
    ("round-up-rule", DAY + "P1,2026-01-05,97110,16,2,commercial-15\nP1,2026-01-05,97140,1,1,commercial-15\n", {}, {"ok": 1}),
    ("unknown-rule", DAY + "P1,2026-01-05,97110,16,1,bogus\n", {}, {"invalid": 1}),
    ("blank-lines-before-header", "\n , \n" + DAY + "P1,2026-01-05,97110,33,2,\n", {}, {"ok": 1}),
    ("row-of-spaces", DAY + "P1,2026-01-05,97110,33,2,\n  ,  ,  \nP1,2026-01-05,97140,7,1,\n", {}, {"ok": 1}),
    ("short-row-in-a-group", DAY + "P1,2026-01-05,97110,33,2,\nP1,2026-01-05,97140,7\n", {}, {"invalid": 1}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "text", "options", "counts"),
    QUICK_AND_FULL,
    ids=[case[0] for case in QUICK_AND_FULL],
)
def test_the_quick_pass_agrees_with_the_full_one(
    tmp_path: Path, name: str, text: str, options: dict[str, Any], counts: dict[str, int]
) -> None:
    suffix = ".jsonl" if name == "jsonl-name" else ".csv"
    encoding = options.get("encoding", "utf-8")
    path = tmp_path / f"visits{suffix}"
    path.write_bytes(text.encode(encoding))
    quick = run(path, only_findings=True, **options)
    full = run(path, **options)
    assert quick == full
    assert quick[0]["counts"] == counts
    if name == "evaluation-and-re-evaluation":
        # Billed right, yet the NCCI edit (one evaluation a day) is a finding to list.
        assert quick[0]["edits"] == 1
        assert quick[1][0]["edits"][0].startswith("NCCI: 97161, 97164 on one date of service")


def test_strict_mode_reads_everything_the_full_way(tmp_path: Path) -> None:
    path = write(tmp_path, "v.csv", DAY + "P1,2026-01-05,97110,33,2,\nP1,2026-01-05,97140,x,1,\n")
    with pytest.raises(FileProblem, match=r"line 3: 97140: minutes 'x' is not a number"):
        run(path, only_findings=True, strict=True)


class TestLongFiles:
    def test_progress_is_reported_every_65536_rows_by_the_quick_pass(self, tmp_path: Path) -> None:
        rows = "".join(f"V{i // 2},97110,8,{i % 2}\n" for i in range(65_536))
        path = write(tmp_path, "v.csv", "visit_id,code,minutes,billed_units\n" + rows)
        calls: list[tuple[int, int, int]] = []
        summary = run_groups(
            path,
            Options(need_billed=True, only_findings=True),
            lambda group: None,
            reset=lambda: None,
            on_progress=lambda *args: calls.append(args),
        )
        size = path.stat().st_size
        assert calls[-1] == (65_536, size, size)
        assert (summary.rows_read, summary.counts) == (65_536, {"ok": 32_768})

    def test_progress_is_reported_every_65536_rows_by_the_full_pass(self, tmp_path: Path) -> None:
        path = write(
            tmp_path, "v.csv", "visit_id,code,minutes,billed_units\n" + "V1,x,8,1\n" * 65_536
        )
        calls: list[tuple[int, int, int]] = []
        summary = run_groups(
            path,
            Options(need_billed=True),
            lambda group: None,
            reset=lambda: None,
            on_progress=lambda *args: calls.append(args),
        )
        size = path.stat().st_size
        assert calls[-1] == (65_536, size, size)
        assert (summary.rows_read, summary.invalid_rows, summary.groups) == (65_536, 65_536, 1)

    def test_a_file_with_many_scattered_groups_is_counted_whole(self, tmp_path: Path) -> None:
        # More scattered keys than the quick pass keeps as suspects: it starts over in
        # partitioned mode, and each visit's two rows, 10,002 lines apart, are one group.
        # (Unknown codes keep the 10,002 groups cheap to evaluate.)
        visits = 10_002
        first = "".join(f"V{i},x,10,1\n" for i in range(visits))
        second = "".join(f"V{i},x,10,0\n" for i in range(visits))
        path = write(tmp_path, "v.csv", "visit_id,code,minutes,billed_units\n" + first + second)
        groups: list[tuple[int, ...]] = []
        summary = run_groups(
            path,
            Options(need_billed=True, only_findings=True),
            lambda group: groups.append(group.lines),
            reset=groups.clear,
        )
        assert summary.order == "scattered"
        assert (summary.groups, summary.rows_read) == (visits, 2 * visits)
        assert sorted(groups) == [(i + 2, i + 2 + visits) for i in range(visits)]


def test_a_row_shows_the_warnings_its_code_is_named_in_by_the_notes_codes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Which rows a warning is shown on follows the note's codes, not its wording: a
    # note worded without its code in front still lands on its code's rows only.
    def worded_otherwise(code: str, note: str) -> unitcalc.Note:
        return unitcalc.Note(f"Medicare: {note}", kind="rule-note", codes=(code,))

    monkeypatch.setattr(unitcalc.engine.explain, "rule_note", worded_otherwise)
    monkeypatch.setattr(unitcalc.files.word, "rule_note", worded_otherwise)
    path = write(
        tmp_path,
        "v.csv",
        "patient_id,date_of_service,code,minutes\nP1,2026-01-05,97014,15\nP1,2026-01-05,97110,30\n",
    )
    result = CliRunner().invoke(main, ["batch", str(path), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    rows = {row["code"]: row for row in map(json.loads, result.stdout.splitlines())}
    assert rows["97014"]["message"].startswith("Medicare: Medicare does not recognise 97014")
    assert rows["97110"]["message"] == ""


def test_findings_of_a_file_keep_their_warnings_kind_and_codes(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "v.csv",
        "visit_id,code,minutes,billed_units\nV1,97014,15,1\nV1,97110,30,2\nV1,97110,30,2\n",
    )
    [finding] = iter_findings(path)
    assert [(note.kind, note.codes) for note in finding.warnings] == [
        ("rule-note", ("97014",)),
        ("identical-rows", ()),
    ]


def test_a_utf32_visit_file_is_read_by_its_byte_order_mark(tmp_path: Path) -> None:
    # UTF-32's little-endian mark begins like UTF-16's: it is told apart, not read as
    # UTF-16 (which would give every character a trailing NUL).
    path = tmp_path / "visits.csv"
    text = "patient_id,date_of_service,code,minutes,billed_units\nP1,2026-03-02,97110,33,3\n"
    path.write_bytes(text.encode("utf-32"))
    summary, flagged = run(path)
    assert summary["input"]["encoding"] == "utf-32"
    assert [finding["status"] for finding in flagged] == ["over"]
