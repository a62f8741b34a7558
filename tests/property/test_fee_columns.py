"""An audit with fees prices the groups the columns settle from their columns
(``Options.price_columns``), and every other group from the one-visit engine's rows;
before, every group went through the one-visit engine. Both must write the same audit:
the findings with their amounts, the summary with its payment sums, the KX findings
and notes, on any file: several patients and payers, dates across a year boundary,
ties, units over and under, codes the fee file lacks, modifiers (KX, CQ, GP, 59),
localities and amounts incurred elsewhere."""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import json
import tempfile
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from unitcalc.core.assistant import AssistantPayment
from unitcalc.engine.payers import PayerProfile
from unitcalc.files import Options, run_groups
from unitcalc.files.price import Pricer
from unitcalc.files.write_audit import AuditWriter
from unitcalc.payment.fees import DayLine, Fee, FeeSchedule, day_totals, load_fees, price_day

HEADER = (
    "patient_id,date_of_service,code,minutes,discipline,billed_units,provider,payer,"
    "modifiers,locality,kx_prior_pt_slp,kx_prior_ot\n"
)
# 97116 and 97035 are left out of the fee files: priced at $0 with a note.
FEES = (
    "code,amount,pe_amount,mppr,locality\n"
    "97110,30.17,12.33,yes,A\n97112,33.91,14.01,yes,A\n97140,27.95,12.33,yes,A\n"
    "97530,36.04,15.55,yes,A\n97535,33.02,13.13,yes,A\n97010,5.00,,no,A\n"
    "97110,31.17,12.83,yes,B\n97112,35.01,14.01,yes,B\n97140,28.05,11.87,yes,B\n"
    "97530,37.04,16.05,yes,B\n97535,34.12,13.13,yes,B\n97010,5.50,,no,B\n"
)
ACME_FEES = "code,amount,modifier\n97110,40.00,\n97110,20.00,59\n97112,41.00,\n97530,45.00,\n"
PROFILES = {
    # A Medicare profile with its own fees (its rows follow the KX threshold); "capped"
    # is not Medicare (its rows do not).
    "acme": PayerProfile(
        "acme", assistant_payment=AssistantPayment(paid_percent=70), medicare=True
    ),
    "capped": PayerProfile("capped", daily_unit_cap=3),
}
PATIENTS = ("P1", "P2", "P3")
DATES = ("2025-12-29", "2025-12-31", "12/31/2025", "2026-01-02", "2026-01-05")
CODES = ("97110", "97112", "97140", "97530", "97535", "97116", "97010", "97035", "99999")
MODIFIERS = ("", "", "", "GP", "GO", "KX", "GP KX", "59", "KX;59", "CQ", "GP,CQ")
DAY = datetime.date(2026, 1, 5)
PRIORS = ("", "", "", "2300", "2350.50", "$2,400", "3100", "1800")

rows = st.tuples(
    st.sampled_from(PATIENTS),
    st.sampled_from(DATES),
    st.sampled_from(CODES),
    st.sampled_from(("", "0", "8", "15", "23", "30", "38", "45", "53", "60", "75", "800")),
    st.sampled_from(("PT", "PT", "OT", "SLP", "", "GP")),
    st.sampled_from(("0", "1", "1", "2", "2", "3", "4", "")),
    st.sampled_from(("ann", "bo", "")),
    st.sampled_from(("", "", "acme", "capped")),
    st.sampled_from(MODIFIERS),
    st.sampled_from(("", "", "A", "B")),
    st.sampled_from(PRIORS),
    st.sampled_from(PRIORS),
)
visit_files = st.lists(rows, min_size=1, max_size=40).map(
    lambda drawn: HEADER + "".join(_csv_line(row) for row in drawn)
)


def _csv_line(row: tuple[str, ...]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(row)
    return out.getvalue()


def audit(
    folder: Path,
    text: str,
    *,
    columns: bool,
    jsonl: bool = False,
    parts: bool = False,
    frame: bool = True,
    seen: list[Any] | None = None,
) -> dict[str, Any]:
    """The audit's JSON output as ``unitcalc audit --fees --format json`` writes it:
    with ``columns`` as now (the groups settled ok priced all at once in columns,
    ``Options.column_pricer``; without ``frame``, handed to the pricer one by one),
    else every group through the one-visit engine (as before the columnar pricing),
    each day priced unit by unit (``Pricer.memo`` off). ``seen`` gets each group the
    writer is handed."""
    path = folder / ("visits.jsonl" if jsonl else "visits.csv")
    if jsonl:
        header, *lines = csv.reader(io.StringIO(text))
        path.write_text(
            "".join(json.dumps(dict(zip(header, line, strict=True))) + "\n" for line in lines),
            encoding="utf-8",
        )
    else:
        path.write_text(text, encoding="utf-8")
    (folder / "fees.csv").write_text(FEES, encoding="utf-8")
    (folder / "acme.csv").write_text(ACME_FEES, encoding="utf-8")
    pricer = Pricer(
        load_fees(folder / "fees.csv", locality="A"),
        schedules={"acme": load_fees(folder / "acme.csv")},
        explanations=False,
        memo=columns,
    )
    writer = AuditWriter("json", show_all=False, amounts=True)
    options = Options(
        need_billed=True,
        profiles=PROFILES,
        only_findings=columns,
        price_columns=columns,
        column_pricer=pricer if columns and frame else None,
        # As the CLI: the findings the columns word are written by them, with dollars.
        rendered=writer.rendering if columns else None,
    )
    out = io.StringIO()
    with contextlib.closing(writer):

        def consume(group: Any) -> None:
            if seen is not None:
                seen.append(group)
            writer.consume(group)

        summary = run_groups(
            path, options, pricer.wrap(consume), partition_bytes=200 if parts else 8 << 20
        )
        pricer.finish(summary)
        writer.finish(out, summary)
    return dict(json.loads(out.getvalue()))


def both(text: str, **options: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The audit priced in columns and as before; the groups settled ok handed to the
    pricer one by one must give the same too."""
    with tempfile.TemporaryDirectory() as folder:
        columns = audit(Path(folder), text, columns=True, **options)
        assert audit(Path(folder), text, columns=True, frame=False, **options) == columns
        return columns, audit(Path(folder), text, columns=False, **options)


# A patient past the KX threshold on both sides of the new year, with and without KX;
# a tie (two codes of 8 minutes, one unit); a day over and a day under.
@example(
    HEADER
    + "P1,2025-12-29,97110,38,PT,3,ann,,GP,,2350,\n"
    + "P1,2025-12-29,97112,45,PT,3,ann,,KX,,,\n"
    + "P1,2026-01-02,97110,8,PT,1,bo,,,,2380,\n"
    + "P1,2026-01-02,97140,8,PT,1,bo,,GP KX,,,\n"
    + "P2,2026-01-05,97530,60,OT,2,,acme,,B,,3100\n"
    + "P2,2026-01-05,97116,30,PT,2,,,,,,\n"
)
# Providers written with the separators U+001C-U+001F, which str.strip() strips: the
# columns name them as the one-visit pricer does, in the sums and in the findings.
@example(
    HEADER
    + "P1,2026-01-05,97110,38,PT,3,\x1cann,,,,,\nP1,2026-01-05,97112,23,PT,2,ann\x1f,,,,,\n"
    + "P2,2026-01-06,97110,30,PT,2,\x1cbo,,,,,\n"
)
@settings(max_examples=60)
@given(visit_files)
def test_columns_price_an_audit_as_the_one_visit_engine_does(text: str) -> None:
    fast, reference = both(text)
    assert fast == reference


@settings(max_examples=15)
@given(visit_files)
def test_the_careful_reader_prices_as_the_one_visit_engine_does(text: str) -> None:
    fast, reference = both(text, jsonl=True)
    assert fast == reference


# A day past the minutes a day holds: the line that passes them is named (line 3, 97035),
# as the one-visit engine names it, whatever the codes' order in the code table.
@example(
    "patient_id,date_of_service,code,minutes,discipline,billed_units,provider,payer,modifiers,"
    "locality,kx_prior_pt_slp,kx_prior_ot\nP1,2025-12-29,97110,800,PT,0,ann,,,,,\n"
    "P1,2025-12-29,97035,800,PT,0,ann,,,,,\n"
)
# A compliant day under a payer's cap of 3 units: allowed what it bills (97110 x1,
# 97112 x2), not the cap's own pick (97110 x2, 97112 x1), in both engines.
@example(
    "patient_id,date_of_service,code,minutes,discipline,billed_units,provider,payer,modifiers,"
    "locality,kx_prior_pt_slp,kx_prior_ot\nP2,2025-12-31,97110,30,SLP,1,ann,capped,,,,\n"
    "P2,2025-12-31,97112,23,SLP,2,ann,capped,,,,\n"
)
@settings(max_examples=15)
@given(visit_files)
def test_a_file_counted_in_parts_is_priced_as_the_one_visit_engine_does(text: str) -> None:
    fast, reference = both(text, parts=True)
    assert fast == reference


def _without_modifiers(text: str) -> str:
    """The visit file without its modifiers column: no modifier edit trips, and most
    findings are written by the columns, priced by them."""
    rows = list(csv.reader(io.StringIO(text)))
    at = rows[0].index("modifiers")
    return "".join(_csv_line(tuple(row[:at] + row[at + 1 :])) for row in rows)


@settings(max_examples=40)
@given(visit_files.map(_without_modifiers), st.booleans())
def test_findings_the_columns_write_are_priced_as_the_one_visit_engine_does(
    text: str, parts: bool
) -> None:
    fast, reference = both(text, parts=parts)
    assert fast == reference


def test_the_generated_audit_has_what_the_comparison_is_about(tmp_path: Path) -> None:
    # A fixed file with every kind of group: the comparison above is not of empty runs.
    text = (
        HEADER
        + "P1,2025-12-29,97110,38,PT,3,ann,,GP,,2350,\n"
        + "P1,2025-12-29,97112,45,PT,3,ann,,,,,\n"
        + "P1,2026-01-02,97110,23,PT,2,bo,,,,2380,\n"
        + "P1,2026-01-05,97140,30,PT,1,bo,,,,,\n"
        + "P2,2026-01-05,97530,60,OT,4,,acme,KX,,,3100\n"
        + "P3,2026-01-05,97116,30,PT,2,,,,,,\n"
        + "P3,2026-01-05,99999,30,PT,2,,,,,,\n"
    )
    fast = audit(tmp_path, text, columns=True)
    assert fast == audit(tmp_path, text, columns=False)
    payment = fast["summary"]["payment"]
    assert set(payment["by_status"]) == {"ok", "under", "invalid"}
    assert payment["by_status"]["ok"]["groups"] == 3
    assert payment["by_payer"]["acme"]["billed"] == 180.0  # 4 units at $45, no MPPR column
    assert payment["kx"]["missing_kx_lines"] >= 2
    assert [f["kind"] for f in payment["kx"]["findings"]].count("review") == 1
    assert any("97116" in note for note in payment["notes"])
    under = next(f for f in fast["findings"] if f["status"] == "under")
    assert under["amount_difference"] < 0


@pytest.mark.parametrize("parts", [False, True])
def test_findings_the_columns_word_are_priced_and_written_by_them(
    tmp_path: Path, parts: bool
) -> None:
    # Days over and under, a code the fee file lacks (its note), a CQ row (its units
    # carried over to the allowed side: written one by one), two payers' fee files.
    text = (
        HEADER
        + "P1,2025-12-29,97110,38,PT,4,ann,,GP,,2350,\n"
        + "P1,2025-12-29,97116,45,PT,2,ann,,GP,,,\n"
        + "P1,2026-01-02,97110,23,PT,1,bo,,GP,A,,\n"
        + "P1,2026-01-02,97140,8,PT,1,bo,,GP,A,,\n"
        + "P2,2026-01-05,97530,60,OT,5,,acme,GO KX,,,3100\n"
        + "P3,2026-01-05,97110,40,PT,3,,,GP CQ,,,\n"
        + "P3,2026-01-05,97140,30,PT,1,,,GP,,,\n"
    )
    seen: list[Any] = []
    fast = audit(tmp_path, text, columns=True, parts=parts, seen=seen)
    assert fast == audit(tmp_path, text, columns=False, parts=parts)
    written = [group for group in seen if group.rendered is not None]
    assert sum(len(group.rendered.texts) for group in written) >= 2
    assert all('"billed_amount": ' in text for g in written for text in g.rendered.texts)
    noted = [f for f in fast["findings"] if any("97116 not in" in w for w in f["warnings"])]
    assert noted
    assert noted[0]["amount_difference"] is None
    assert {f["status"] for f in fast["findings"]} >= {"over", "under"}


@pytest.mark.parametrize("parts", [False, True])
def test_groups_made_python_values_a_few_at_a_time_are_priced_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parts: bool
) -> None:
    # With fees the settled groups are taken a slice at a time (PRICED_GROUPS): slices
    # of two groups give the same audit as the reference, KX order and all.
    import unitcalc.files.word as word

    text = HEADER + "".join(
        _csv_line((patient, day, code, "30", "PT", "2", "ann", "", "KX" if n % 3 else "",
                   "", "2390" if n == 1 else "", ""))
        for n, (patient, day, code) in enumerate(
            (patient, day, code)
            for patient in PATIENTS
            for day in DATES
            for code in ("97110", "97140")
        )
    )  # fmt: skip
    reference = audit(tmp_path, text, columns=False, parts=parts)
    monkeypatch.setattr(word, "PRICED_GROUPS", 2)
    assert audit(tmp_path, text, columns=True, parts=parts) == reference
    assert reference["summary"]["payment"]["by_status"]["ok"]["groups"] >= 10
    assert reference["summary"]["payment"]["kx"]["findings"]


def test_a_settled_group_is_priced_but_not_written() -> None:
    # Options.price_columns hands groups settled ok on without a finding: the pricer
    # counts them and drops them; the writer never sees one.
    seen: list[object] = []
    pricer = Pricer(FeeSchedule("f", "csv", fees={("", "97110", ""): Fee("97110", 30)}))
    consume = pricer.wrap(seen.append)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "v.csv")
        path.write_text(
            "patient_id,date_of_service,code,minutes,billed_units\n"
            "P1,2026-01-05,97110,30,2\nP2,2026-01-05,97110,30,3\n",
            encoding="utf-8",
        )
        summary = run_groups(
            path, Options(need_billed=True, only_findings=True, price_columns=True), consume
        )
    pricer.finish(summary)
    assert [getattr(group, "finding").status for group in seen] == ["over"]  # noqa: B009
    assert summary.payment is not None
    assert summary.payment["by_status"]["ok"] == {
        "billed": 60.0, "allowed": 60.0, "difference": 0.0, "groups": 1,
        "not_comparable": 0, "not_comparable_billed": 0.0,
    }  # fmt: skip


days = st.lists(
    st.builds(
        DayLine,
        st.sampled_from(("97110", "97112", "97140", "97010", "97116")),
        st.integers(min_value=0, max_value=5),
        st.integers(min_value=0, max_value=6),
        st.sampled_from(((), ("59",), ("GP", "KX"))),
        st.sampled_from((None, "A", "B")),
    ),
    max_size=6,
)


@st.composite
def schedules(draw: st.DrawFn) -> FeeSchedule:
    fees: dict[tuple[str, str, str], Fee] = {}
    for place in ("A", "B"):
        for code in ("97110", "97112", "97140", "97010"):
            amount = draw(st.integers(min_value=1, max_value=9_999))
            pe = draw(st.integers(min_value=0, max_value=amount))
            mppr = draw(st.booleans())
            # Sub-cent amounts too: a unit's rounding must be that of price_day.
            scale = draw(st.sampled_from((100, 1000)))
            fees[(place, code, "")] = Fee(
                code, Decimal(amount) / scale, Decimal(pe) / scale, mppr=mppr
            )
        fees[(place, "97110", "59")] = Fee("97110", Decimal("12.345"), Decimal("6.17"), True)
    return FeeSchedule("generated", "csv", fees=fees, locality="A")


@settings(max_examples=300)
@given(
    schedules(),
    days,
    st.sampled_from((datetime.date(2012, 5, 1), datetime.date(2021, 6, 1), DAY)),
    st.sampled_from((AssistantPayment(), AssistantPayment(paid_percent=70))),
)
def test_day_totals_are_those_of_price_day(
    schedule: FeeSchedule, lines: list[DayLine], day: datetime.date, payment: AssistantPayment
) -> None:
    price = price_day(lines, schedule, day=day, assistant=payment)
    total, line_totals, unpriced = day_totals(lines, schedule, day=day, assistant=payment)
    assert (total, line_totals, unpriced) == (
        price.total,
        price.line_totals(len(lines)),
        price.unpriced,
    )
    assert [str(amount) for amount in line_totals] == [
        str(amount) for amount in price.line_totals(len(lines))
    ]


@pytest.mark.parametrize("text", ["GP", "XX9"])
def test_a_modifier_problem_stops_both_alike(tmp_path: Path, text: str) -> None:
    # A modifier unitcalc cannot read stops the run the same way on both paths (or
    # neither): pricing reads the rows' modifiers as it did.
    line = f"P1,2026-01-05,97110,30,PT,2,,,{text},,,\n"
    outcomes: list[Mapping[str, Any] | str] = []
    for columns in (True, False):
        try:
            outcomes.append(audit(tmp_path, HEADER + line, columns=columns))
        except Exception as exc:  # compared below, not swallowed
            outcomes.append(f"{type(exc).__name__}: {exc}")
    assert outcomes[0] == outcomes[1]
