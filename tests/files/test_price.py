"""``unitcalc audit --fees``: a generated year of visits priced with a fee CSV, every
amount recomputed here independently (integer cents, the MPPR as a closed form, the KX
totals as a running sum); the outputs that carry the dollars; the audit without fees
unchanged."""

from __future__ import annotations

import csv
import datetime
import io
import json
import random
import tomllib
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run

ROOT = Path(__file__).resolve().parents[2]
FEES = ROOT / "tests" / "fixtures" / "fees"
PAYMENT = tomllib.loads((ROOT / "unitcalc" / "data" / "payment.toml").read_text("utf-8"))
KX = {entry["year"]: round(float(entry["pt_slp"]) * 100) for entry in PAYMENT["kx_threshold"]}
REVIEW = round(float(PAYMENT["review_threshold"]["amount"]) * 100)

# Fee, PE part (cents); odd cents so that halving the PE needs rounding.
FEE_CENTS = {"97110": (3017, 1233), "97112": (3391, 1401), "97140": (2795, 1187),
             "97530": (3604, 1555), "97535": (3302, 1313)}  # fmt: skip
PT_CODES, OT_CODES = ["97110", "97112", "97140"], ["97530", "97535"]
HEADER = ["patient_id", "date_of_service", "code", "minutes", "discipline", "billed_units",
          "modifiers"]  # fmt: skip


def fee_csv(path: Path) -> Path:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["code", "amount", "pe_amount", "mppr"])
        for code, (fee, pe) in FEE_CENTS.items():
            writer.writerow([code, f"{fee / 100:.2f}", f"{pe / 100:.2f}", "yes"])
    return path


def reduced(code: str) -> int:
    """A unit after the first, in cents: the fee less half the PE, halves rounded up."""
    fee, pe = FEE_CENTS[code]
    return (2 * fee - pe + 1) // 2


def day_cents(units: dict[str, int]) -> int:
    """A day's allowed cents: every unit reduced, then the highest-PE unit given back
    its full fee (a closed form, not the unit-by-unit walk of the code)."""
    billed = [code for code, count in units.items() if count > 0]
    if not billed:
        return 0
    top = max(billed, key=lambda code: FEE_CENTS[code][1])
    return sum(reduced(code) * count for code, count in units.items()) + (
        FEE_CENTS[top][0] - reduced(top)
    )


def generate_year(seed: int = 15) -> tuple[list[list[Any]], dict[tuple[str, str], dict[str, Any]]]:
    """Rows of a year of weekly visits (and a January of the next year), and what each
    patient day must give: minutes in whole 15-minute blocks, so the units the rule
    allows are the blocks, known without the rule. Some days bill a unit more or less."""
    rng = random.Random(seed)
    rows: list[list[Any]] = []
    days: dict[tuple[str, str], dict[str, Any]] = {}
    patients = {"P1": "PT", "P2": "PT", "P3": "OT", "P4": "PT"}
    start = datetime.date(2025, 1, 6)
    for week in range(56):  # into January 2026
        for patient, discipline in patients.items():
            if patient == "P4" and week % 4:
                continue  # a patient seen monthly stays under the threshold
            day = start + datetime.timedelta(days=7 * week + rng.randrange(0, 4))
            codes = rng.sample(PT_CODES if discipline == "PT" else OT_CODES, 2)
            allowed = {code: rng.choice([1, 2, 3]) for code in codes}
            billed = dict(allowed)
            change = rng.random()
            if change < 0.15:
                billed[codes[0]] += 1
            elif change < 0.25:
                billed[codes[0]] -= 1
            kx = patient == "P1" or (patient == "P3" and week % 2 == 0)
            line = len(rows) + 2
            days[(patient, day.isoformat())] = {
                "billed": billed,
                "allowed": allowed,
                "lines": {code: line + n for n, code in enumerate(codes)},
                "kx": kx,
                "bucket": "OT" if discipline == "OT" else "PT/SLP",
            }
            modifier = {"PT": "GP", "OT": "GO"}[discipline] + (" KX" if kx else "")
            for code in codes:
                rows.append([patient, day.isoformat(), code, 15 * allowed[code], discipline,
                             billed[code], modifier])  # fmt: skip
    return rows, days


def write_visits(path: Path, rows: list[list[Any]]) -> Path:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def expected_kx(days: dict[tuple[str, str], dict[str, Any]]) -> list[tuple[str, int]]:
    """The threshold findings by a running sum in cents, lines of a day in line order."""
    lines = []
    for (patient, day), info in days.items():
        units = info["billed"]
        top = max((c for c, n in units.items() if n > 0), key=lambda c: FEE_CENTS[c][1])
        for code, count in units.items():
            if not count:
                continue  # a row billing no unit is no claim line
            cents = reduced(code) * count + (FEE_CENTS[code][0] - reduced(code)) * (code == top)
            lines.append((day, info["lines"][code], patient, info["bucket"], cents, info["kx"]))
    totals: dict[tuple[str, str, str], int] = defaultdict(int)
    found = []
    reviewed = set()
    for day, line, patient, bucket, cents, kx in sorted(lines):
        key = (patient, day[:4], bucket)
        totals[key] += cents
        if totals[key] > KX[int(day[:4])] and not kx:
            found.append(("missing-kx", line))
        if totals[key] < KX[int(day[:4])] and kx:
            found.append(("kx-below", line))
        if totals[key] > REVIEW and key not in reviewed:
            reviewed.add(key)
            found.append(("review", line))
    # KX on a patient's first date of service of a year: the least such line that day.
    for patient, year in {(each[2], each[0][:4]) for each in lines}:
        mine = [each for each in lines if each[2] == patient and each[0][:4] == year]
        first = min(each[0] for each in mine)
        with_kx = [each[1] for each in mine if each[0] == first and each[5]]
        if with_kx:
            found.append(("kx-first-day", min(with_kx)))
    return found


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("year")
    rows, days = generate_year()
    visits = write_visits(folder / "visits.csv", rows)
    fees = fee_csv(folder / "fees.csv")
    result = run("audit", str(visits), "--fees", str(fees), "--format", "json")
    assert result.exit_code == 1, result.output
    return {"folder": folder, "visits": visits, "fees": fees, "days": days,
            "json": json.loads(result.stdout)}  # fmt: skip


def test_every_finding_carries_the_amounts_recomputed_independently(year: dict[str, Any]) -> None:
    findings = year["json"]["findings"]
    assert {f["status"] for f in findings} == {"over", "under"}
    for finding in findings:
        info = year["days"][(finding["key"]["patient_id"], finding["key"]["date_of_service"])]
        assert finding["allowed"] == info["allowed"]
        billed, allowed = day_cents(info["billed"]), day_cents(info["allowed"])
        assert round(finding["billed_amount"] * 100) == billed, finding["group"]
        assert round(finding["allowed_amount"] * 100) == allowed, finding["group"]
        assert round(finding["amount_difference"] * 100) == billed - allowed


def test_the_summary_sums_every_group_by_status(year: dict[str, Any]) -> None:
    payment = year["json"]["summary"]["payment"]
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for info in year["days"].values():
        billed, allowed = day_cents(info["billed"]), day_cents(info["allowed"])
        total_billed, total_allowed = sum(info["billed"].values()), sum(info["allowed"].values())
        status = "ok" if total_billed == total_allowed else (
            "over" if total_billed > total_allowed else "under")  # fmt: skip
        sums[status][0] += billed
        sums[status][1] += allowed
        sums[status][2] += 1
    for status, (billed, allowed, groups) in sums.items():
        got = payment["by_status"][status]
        assert (round(got["billed"] * 100), round(got["allowed"] * 100)) == (billed, allowed)
        assert got["groups"] == groups
    assert round(payment["billed"] * 100) == sum(v[0] for v in sums.values())
    assert payment["by_payer"].keys() == {"(none)"}


def test_the_kx_findings_match_a_running_sum(year: dict[str, Any]) -> None:
    kx = year["json"]["summary"]["payment"]["kx"]
    got = [(f["kind"], f["line"]) for f in kx["findings"]]
    want = expected_kx(year["days"])
    assert sorted(got, key=lambda f: f[1]) == sorted(want, key=lambda f: f[1])
    # The generator makes P2 cross without KX and P1 always bill KX.
    patients = {f["patient"] for f in kx["findings"] if f["kind"] == "missing-kx"}
    assert "P2" in patients
    assert "P1" not in patients
    # January 2026 starts again: no 2026 line is past its threshold yet.
    assert not [f for f in kx["findings"] if f["year"] == 2026 and f["kind"] == "missing-kx"]
    assert kx["missing_kx_lines"] == sum(kind == "missing-kx" for kind, _ in want)
    # P1 bills KX from its first visit of each year: below the threshold, and on its
    # first date of service.
    assert kx["kx_below_lines"] == sum(kind == "kx-below" for kind, _ in want) > 0
    firsts = [(f["patient"], f["year"]) for f in kx["findings"] if f["kind"] == "kx-first-day"]
    assert ("P1", 2025) in firsts
    assert ("P1", 2026) in firsts
    assert kx["kx_first_day_patients"] == len(firsts)


def test_findings_are_those_of_an_audit_without_fees(year: dict[str, Any]) -> None:
    plain = run("audit", str(year["visits"]), "--format", "json")
    assert plain.exit_code == 1
    without = json.loads(plain.stdout)
    assert "payment" not in without["summary"]
    assert not any("billed_amount" in finding for finding in without["findings"])
    amounts = ("billed_amount", "allowed_amount", "amount_difference")
    priced = [{k: v for k, v in f.items() if k not in amounts} for f in year["json"]["findings"]]
    assert priced == without["findings"]
    summary = dict(year["json"]["summary"])
    del summary["payment"]
    # The KX threshold is followed with a fee file only; the checks say so.
    assert (summary["checks"]["kx"], without["summary"]["checks"]["kx"]) == (
        "ran",
        "skipped, no --fees",
    )
    summary["checks"] = without["summary"]["checks"]
    # The two runs are made at different times: the manifest's clock apart, all is equal.
    for run_summary in (summary, without["summary"]):
        run_summary["manifest"] = {
            k: v for k, v in run_summary["manifest"].items() if k != "run_at"
        }
    assert summary == without["summary"]


def test_the_csv_parquet_and_xlsx_findings_carry_the_dollars(year: dict[str, Any]) -> None:
    by_group = {f["group"]: f for f in year["json"]["findings"]}
    result = run("audit", str(year["visits"]), "--fees", str(year["fees"]), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0])[-3:] == ["billed_amount", "allowed_amount", "amount_difference"]
    kinds = ("missing-kx", "review", "kx-below", "kx-first-day")
    kx = [row for row in rows if row["status"] in kinds]
    assert len(kx) == len(year["json"]["summary"]["payment"]["kx"]["findings"])
    for row in rows:
        if row in kx:
            continue  # a threshold finding: no amounts of its own
        finding = by_group[row["group"]]
        assert float(row["amount_difference"]) == pytest.approx(finding["amount_difference"])
        assert not row["amount_difference"].startswith("'")  # a number, not quoted text
    import polars as pl

    parquet = year["folder"] / "findings.parquet"
    run("audit", str(year["visits"]), "--fees", str(year["fees"]), "--format", "parquet",
        "--output", str(parquet))  # fmt: skip
    frame = pl.read_parquet(parquet)
    assert frame.schema["billed_amount"] == pl.Float64
    assert frame.get_column("billed_amount").sum() == pytest.approx(
        sum(f["billed_amount"] for f in by_group.values())
    )
    from openpyxl import load_workbook

    book_path = year["folder"] / "audit.xlsx"
    run("audit", str(year["visits"]), "--fees", str(year["fees"]), "--format", "xlsx",
        "--output", str(book_path))  # fmt: skip
    book = load_workbook(book_path)
    sheet = book["Findings"]
    header = [cell.value for cell in sheet[1]]
    column = header.index("amount_difference")
    values = [row[column] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert all(isinstance(value, float) for value in values)
    formats = {row[column].number_format for row in sheet.iter_rows(min_row=2)}
    assert formats == {'"$"#,##0.00'}  # dollars with their cents: $160.50, not 160.5
    kx_rows = list(book["KX threshold"].iter_rows(min_row=2, values_only=True))
    payment = year["json"]["summary"]["payment"]
    assert len(kx_rows) == len(payment["kx"]["findings"])
    for row in book["KX threshold"].iter_rows(min_row=2):
        assert isinstance(row[4].value, datetime.datetime)  # the date of service
        assert row[7].number_format == '"$"#,##0.00'  # accrued dollars
    assert book.sheetnames == [
        "Summary", "Amounts", "Findings", "Units by code", "Claim lines", "Providers",
        "KX threshold", "Every month", "Manifest",
    ]  # fmt: skip
    # A patient of the file has therapy in every month of its year (OIG OEI-04-09-00540).
    for each in book.worksheets:
        assert each.freeze_panes == "A2"
        assert each.auto_filter.ref is not None
    summary = {row[0].value: row[1] for row in book["Summary"].iter_rows()}
    assert summary["billed amount"].value == payment["billed"]
    for item in ("billed amount", "allowed amount", "amount difference"):
        assert summary[item].data_type == "n"
        assert summary[item].number_format == '"$"#,##0.00'
    assert summary["groups"].data_type == "n"
    assert summary["groups"].number_format == "General"  # a count, not dollars
    # The dollars by status, provider and payer: one row each, numbers, not sentences.
    amounts = list(book["Amounts"].iter_rows())
    assert [cell.value for cell in amounts[0]] == [
        "by", "name", "groups", "billed", "allowed", "difference", "not comparable",
    ]  # fmt: skip
    by_status = {row[1].value: row for row in amounts[1:] if row[0].value == "status"}
    assert by_status.keys() == payment["by_status"].keys()
    for name, row in by_status.items():
        sums = payment["by_status"][name]
        assert [cell.value for cell in row[2:6]] == pytest.approx(
            [sums["groups"], sums["billed"], sums["allowed"], sums["difference"]]
        )
        assert isinstance(row[2].value, int)
        assert {cell.number_format for cell in row[3:6]} == {'"$"#,##0.00'}
    assert {row[0].value for row in amounts[1:]} == {"status", "provider", "payer"}
    # The providers' sheet carries each provider's dollars.
    providers = list(book["Providers"].iter_rows())
    header = [cell.value for cell in providers[0]]
    assert header[-3:] == ["billed", "allowed", "difference"]
    for row in providers[1:]:
        sums = payment["by_provider"][row[0].value]
        assert row[-3].value == pytest.approx(sums["billed"])
        assert row[-3].number_format == '"$"#,##0.00'
    # Units by code: one row per finding and code, as the JSON findings count them.
    units = list(book["Units by code"].iter_rows(min_row=2, values_only=True))
    assert units == [
        (group, finding["status"], code, finding["billed"].get(code),
         finding["allowed"].get(code))
        for group, finding in by_group.items()
        for code in dict.fromkeys([*finding["billed"], *finding["allowed"]])
    ]  # fmt: skip


def test_the_table_and_the_report_show_the_dollars(year: dict[str, Any]) -> None:
    report = year["folder"] / "audit.html"
    result = run("audit", str(year["visits"]), "--fees", str(year["fees"]),
                 "--report", str(report))  # fmt: skip
    assert result.exit_code == 1
    payment = year["json"]["summary"]["payment"]
    assert f"billed ${payment['billed']:,.2f}" in result.stdout
    assert "KX threshold:" in result.stdout
    assert "  amounts: billed $" in result.stdout
    page = report.read_text()
    assert "amount_<wbr>difference" in page  # a header breaks at its underscores
    assert "<h2>KX threshold (" in page


def test_a_group_of_ok_lines_past_the_threshold_exits_1(tmp_path: Path) -> None:
    # Every day billed right, but the year's total passes the KX threshold without KX.
    rows = [["P9", f"2025-{month:02d}-03", "97110", 45, "PT", 3, "GP"] for month in range(1, 13)]
    fees = tmp_path / "fees.csv"
    fees.write_text("code,amount\n97110,100.00\n")
    visits = write_visits(tmp_path / "v.csv", rows)
    assert run("audit", str(visits)).exit_code == 0
    result = run("audit", str(visits), "--fees", str(fees), "--format", "json")
    assert result.exit_code == 1
    kx = json.loads(result.stdout)["summary"]["payment"]["kx"]["findings"]
    # 300 a month: past 2,410 with the ninth month (2,700); past 3,000 with the eleventh.
    assert [(f["kind"], f["line"]) for f in kx][:2] == [("missing-kx", 10), ("missing-kx", 11)]
    assert ("review", 12) in [(f["kind"], f["line"]) for f in kx]


def test_starting_amounts_from_a_file_and_from_a_column(tmp_path: Path) -> None:
    fees = tmp_path / "fees.csv"
    fees.write_text("code,amount\n97110,100.00\n97530,100.00\n")
    visits = tmp_path / "v.csv"
    visits.write_text(
        "patient_id,date_of_service,code,minutes,discipline,billed_units,kx_prior_ot\n"
        "P1,2025-02-03,97110,15,PT,1,\n"
        "P2,2025-02-03,97530,15,OT,1,2400\n"
    )
    start = tmp_path / "start.csv"
    start.write_text("patient_id,year,pt_slp,ot\nP1,2025,2350,\n")
    result = run("audit", str(visits), "--fees", str(fees), "--kx-start", str(start),
                 "--format", "json")  # fmt: skip
    kx = json.loads(result.stdout)["summary"]["payment"]["kx"]["findings"]
    assert [(f["patient"], f["line"], f["accrued"]) for f in kx] == [
        ("P1", 2, 2450.0),
        ("P2", 3, 2500.0),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--locality", "05"], "--locality prices findings: give --fees FILE too"),
        (["--fees", "MISSING.csv"], "cannot read the fee file MISSING.csv"),
    ],
)
def test_fee_option_errors_exit_2_without_a_traceback(args: list[str], message: str) -> None:
    result = run("audit", str(ROOT / "docs" / "examples" / "visits.csv"), *args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_bad_fee_file_names_line_and_field_on_the_command_line(tmp_path: Path) -> None:
    fees = tmp_path / "fees.csv"
    fees.write_text("code,amount\n97110,30\n97140,$2x\n")
    result = run("audit", str(ROOT / "docs" / "examples" / "visits.csv"), "--fees", str(fees))
    assert result.exit_code == 2
    assert "line 3: amount '$2x' is not an amount" in result.output


def test_a_bad_starting_file(tmp_path: Path) -> None:
    start = tmp_path / "start.csv"
    start.write_text("patient_id,year,pt_slp\nP1,2025,100\n")
    result = run("audit", str(ROOT / "docs" / "examples" / "visits.csv"), "--fees",
                 str(ROOT / "docs" / "examples" / "fees.csv"), "--kx-start", str(start))  # fmt: skip
    assert result.exit_code == 2
    assert "ot missing" in result.output


def test_the_pprrvu_sample_prices_an_audit_by_locality_column(tmp_path: Path) -> None:
    visits = tmp_path / "v.csv"
    visits.write_text(
        "patient_id,date_of_service,code,minutes,discipline,billed_units,locality\n"
        "P1,2025-02-03,97110,15,PT,2,01112-05\n"
        "P2,2025-02-03,97110,15,PT,2,10112-00\n"
    )
    result = run("audit", str(visits), "--fees", str(FEES / "PPRRVU_sample.csv"), "--gpci",
                 str(FEES / "GPCI_sample.csv"), "--format", "json")  # fmt: skip
    findings = {f["key"]["patient_id"]: f for f in json.loads(result.stdout)["findings"]}
    # 97110 in 01112-05: 34.14 with PE 17.92; the second unit loses 8.96: 25.18.
    assert findings["P1"]["billed_amount"] == pytest.approx(34.14 + 25.18)
    assert findings["P1"]["allowed_amount"] == pytest.approx(34.14)
    # In 10112-00: (0.45 + 0.40 x 0.9 + 0.02 x 0.5) x 32 = 26.24, PE 11.52.
    assert findings["P2"]["allowed_amount"] == pytest.approx(26.24)
    assert not any(
        "national amounts only" in n
        for n in json.loads(result.stdout)["summary"]["payment"]["notes"]
    )
    # Without the GPCI file the amounts are national (0.87 x 32 = 27.84 for both), and the
    # summary says the locality column went unused.
    national = run("audit", str(visits), "--fees", str(FEES / "PPRRVU_sample.csv"),
                   "--format", "json")  # fmt: skip
    data = json.loads(national.stdout)
    assert {f["allowed_amount"] for f in data["findings"]} == {27.84}
    assert any("national amounts only" in note for note in data["summary"]["payment"]["notes"])


def test_a_payer_profile_names_its_own_fee_file(tmp_path: Path) -> None:
    (tmp_path / "acme-fees.csv").write_text("code,amount\n97110,50.00\n")
    profiles = tmp_path / "payers.toml"
    # Medicare's (its rows follow the KX threshold, so a line without a discipline is noted).
    profiles.write_text('[payers.acme]\nmedicare = true\nfees = "acme-fees.csv"\n')
    visits = tmp_path / "v.csv"
    visits.write_text(
        "patient_id,date_of_service,code,minutes,billed_units\nP1,2025-02-03,97110,15,2\n"
    )
    result = run("audit", str(visits), "--payers", str(profiles), "--payer", "acme",
                 "--format", "json")  # fmt: skip
    data = json.loads(result.stdout)
    assert data["findings"][0]["billed_amount"] == 100.0
    assert data["summary"]["payment"]["by_payer"]["acme"]["allowed"] == 50.0
    notes = data["summary"]["payment"]["notes"]
    assert any("without a discipline" in note for note in notes)


def audit_json(tmp_path: Path, visits: str, *args: str, fees: str | None = None) -> Any:
    fee_file = tmp_path / "fees.csv"
    fee_file.write_text(fees or "code,amount,pe_amount,mppr\n97110,30.00,12.00,yes\n")
    path = tmp_path / "visits.csv"
    path.write_text(visits)
    result = run("audit", str(path), "--fees", str(fee_file), "--format", "json", "--all", *args)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def test_a_missing_cq_is_a_15_percent_overpayment(tmp_path: Path) -> None:
    # CQ/CO worked example A: the assistant alone 10 minutes, the therapist 5: one unit
    # with CQ, paid 85% from 2022. Billed without CQ, the unit is paid in full.
    data = audit_json(
        tmp_path,
        "patient_id,date_of_service,code,minutes,assistant_minutes,discipline,billed_units,modifiers\n"
        "P1,2025-03-03,97110,5,10,PT,1,GP\n"
        "P2,2025-03-03,97110,5,10,PT,1,GP CQ\n",
    )
    by_patient = {f["key"]["patient_id"]: f for f in data["findings"]}
    assert by_patient["P1"]["billed_amount"] == 30.0
    assert by_patient["P1"]["allowed_amount"] == 25.5
    assert by_patient["P1"]["amount_difference"] == 4.5
    assert by_patient["P2"]["amount_difference"] == 0.0


def test_cq_units_count_the_units_billed_with_the_modifier(tmp_path: Path) -> None:
    data = audit_json(
        tmp_path,
        "patient_id,date_of_service,code,minutes,assistant_minutes,discipline,billed_units,cq_units\n"
        "P1,2025-03-03,97110,5,10,PT,1,1\n",
    )
    assert data["findings"][0]["billed_amount"] == 25.5


def test_unpriced_codes_years_without_a_threshold_and_visits_without_a_patient(
    tmp_path: Path,
) -> None:
    data = audit_json(
        tmp_path,
        "patient_id,date_of_service,code,minutes,discipline,billed_units\n"
        "P1,2017-03-06,97110,15,PT,1\n"
        "P1,2025-03-05,97112,15,PT,1\n",
    )
    notes = data["summary"]["payment"]["notes"]
    assert any("no KX threshold is packaged for 2017" in note for note in notes)
    assert any("priced at $0: 97112" in note for note in notes)
    warnings = [w for f in data["findings"] for w in f["warnings"]]
    assert any(w.startswith("Fees: 97112 not in") for w in warnings)
    by_visit = audit_json(
        tmp_path, "visit_id,code,minutes,discipline,billed_units\nV1,97110,15,PT,1\n"
    )
    assert any("without patient_id" in note for note in by_visit["summary"]["payment"]["notes"])
    assert by_visit["findings"][0]["billed_amount"] == 30.0


def test_a_bad_prior_amount_is_left_out_naming_its_line_and_column(tmp_path: Path) -> None:
    fees = tmp_path / "fees.csv"
    fees.write_text("code,amount\n97110,30\n")
    visits = tmp_path / "v.csv"
    visits.write_text(
        "patient_id,date_of_service,code,minutes,discipline,billed_units,kx_prior_pt_slp\n"
        "P1,2025-03-05,97110,15,PT,1,lots\n"
    )
    # One bad cell does not stop the audit: it is left out and said in the notes.
    result = run("audit", str(visits), "--fees", str(fees), "--format", "json")
    assert result.exit_code == 0
    notes = json.loads(result.stdout)["summary"]["payment"]["notes"]
    assert any(
        "1 kx_prior_* cell(s) are not amounts" in note
        and "line 2: kx_prior_pt_slp 'lots' is not an amount" in note
        for note in notes
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("patient_id,year,pt_slp,ot\nP1,last,100,\n", "line 2: year 'last' is not a year"),
        ("patient_id,year,pt_slp,ot\nP1,2025,-5,\n", "line 2: pt_slp '-5' is not an amount"),
        (None, "cannot read"),
    ],
)
def test_bad_starting_amounts(tmp_path: Path, text: str | None, message: str) -> None:
    start = tmp_path / "start.csv"
    if text is not None:
        start.write_text(text)
    result = run("audit", str(ROOT / "docs" / "examples" / "visits.csv"), "--fees",
                 str(ROOT / "docs" / "examples" / "fees.csv"), "--kx-start", str(start))  # fmt: skip
    assert result.exit_code == 2
    assert message in result.output


def test_profiles_sharing_a_fee_file_load_it_once(tmp_path: Path) -> None:
    (tmp_path / "shared.csv").write_text("code,amount\n97110,40.00\n")
    profiles = tmp_path / "payers.toml"
    profiles.write_text(
        '[payers.a]\nfees = "shared.csv"\n[payers.b]\nfees = "shared.csv"\n[payers.c]\n'
    )
    visits = tmp_path / "v.csv"
    visits.write_text(
        "patient_id,date_of_service,code,minutes,discipline,billed_units,payer\n"
        "P1,2025-02-03,97110,15,PT,1,a\n"
        "P2,2025-02-03,97110,15,PT,1,b\n"
        "P3,2025-02-03,97110,15,PT,1,c\n"
    )
    result = run("audit", str(visits), "--payers", str(profiles), "--format", "json", "--all")
    data = json.loads(result.stdout)
    payment = data["summary"]["payment"]
    assert payment["fees"] == str(tmp_path / "shared.csv")
    # Payer c names no fee file and no --fees was given: its group is not priced.
    assert {name: sums["billed"] for name, sums in payment["by_payer"].items()} == {
        "a": 40.0,
        "b": 40.0,
    }
    unpriced = [f for f in data["findings"] if f["payer"] == "c"]
    assert "billed_amount" not in unpriced[0]


def test_a_row_billing_no_unit_is_not_a_claim_line_past_the_threshold(tmp_path: Path) -> None:
    data = audit_json(
        tmp_path,
        "patient_id,date_of_service,code,minutes,discipline,billed_units,kx_prior_pt_slp\n"
        "P1,2025-03-05,97110,15,PT,1,2400\n"
        "P1,2025-03-05,97112,0,PT,0,\n",
        fees="code,amount\n97110,30.00\n97112,34.00\n",
    )
    kx = data["summary"]["payment"]["kx"]["findings"]
    assert [(f["kind"], f["line"]) for f in kx] == [("missing-kx", 2)]


def test_an_unpriced_code_is_a_note_of_its_own_kind_naming_the_code(tmp_path: Path) -> None:
    from unitcalc.files import Group, Options, run_groups
    from unitcalc.files.price import Pricer
    from unitcalc.payment.fees import load_fees

    fee_file = tmp_path / "fees.csv"
    fee_file.write_text("code,amount\n97110,30.00\n")
    path = tmp_path / "visits.csv"
    path.write_text(
        "patient_id,date_of_service,code,minutes,billed_units\nP1,2025-03-05,97112,15,2\n"
    )
    found: list[Group] = []
    pricer = Pricer(load_fees(fee_file))
    # Priced from its rows: every group goes through the one-visit engine with fees.
    run_groups(path, Options(need_billed=True), pricer.wrap(found.append))
    assert found[0].finding is not None
    notes = [note for note in found[0].finding.warnings if note.kind == "unpriced"]
    assert [note.codes for note in notes] == [("97112",)]


def test_fee_file_errors_name_the_command_lines_flags(tmp_path: Path) -> None:
    # The library names load_fees' arguments; the command line names its own flags.
    path = tmp_path / "visits.csv"
    path.write_text(
        "patient_id,date_of_service,code,minutes,billed_units\nP1,2025-03-05,97110,15,1\n"
    )
    several = run("audit", str(path), "--fees", str(FEES / "PFALL_sample.csv"))
    assert several.exit_code == 2
    assert "name one with --locality (e.g. --locality " in several.output
    assert "load_fees" not in several.output
    plain = tmp_path / "fees.csv"
    plain.write_text("code,amount\n97110,30\n")
    gpci = run("audit", str(path), "--fees", str(plain), "--gpci", str(FEES / "GPCI_sample.csv"))
    assert gpci.exit_code == 2
    assert "give the PPRRVU file with --gpci FILE, or leave it out" in gpci.output


# --- the review of the fee pricer (each test failed before its fix) ---------------------

TWO_FEES = "code,amount,pe_amount,mppr\n97110,30.00,12.00,yes\n97140,28.00,11.00,yes\n"
DAY_HEADER = "patient_id,date_of_service,code,minutes,discipline,billed_units,modifiers"


def warning_texts(finding: dict[str, Any]) -> list[str]:
    return [w if isinstance(w, str) else w["text"] for w in finding["warnings"]]


def test_cq_billed_without_assistant_minutes_carries_to_the_allowed_units(
    tmp_path: Path,
) -> None:
    # No assistant_minutes column: the rule gives no assistant units, so the CQ units
    # billed carry to the allowed units of the same code. Billed = allowed, both with CQ.
    data = audit_json(
        tmp_path,
        f"{DAY_HEADER}\nE,2025-05-04,97110,30,PT,2,GP CQ\nE,2025-05-04,97140,30,PT,2,GP\n",
        fees=TWO_FEES,
    )
    finding = data["findings"][0]
    assert finding["status"] == "ok"
    # 97110 30 + 24 (each less 15%: 25.50 + 20.40), 97140 22.50 + 22.50.
    assert finding["billed_amount"] == pytest.approx(90.90)
    assert finding["allowed_amount"] == pytest.approx(90.90)
    assert finding["amount_difference"] == 0.0
    assert any(
        "97110 x2" in text and "CQ/CO" in text and "assistant_minutes" in text
        for text in warning_texts(finding)
    )


def test_cq_carried_is_capped_at_the_units_allowed(tmp_path: Path) -> None:
    data = audit_json(tmp_path, f"{DAY_HEADER}\nE,2025-05-04,97110,15,PT,2,GP CQ\n")
    finding = data["findings"][0]
    assert finding["status"] == "over"
    # Billed: 25.50 + 20.40; allowed: one unit, with CQ, 25.50.
    assert finding["allowed_amount"] == pytest.approx(25.50)
    assert any("97110 x1" in text for text in warning_texts(finding))


def test_a_code_priced_only_on_the_allowed_side_is_reported(tmp_path: Path) -> None:
    data = audit_json(
        tmp_path, f"{DAY_HEADER}\nC,2025-05-02,97110,18,PT,1,GP\nC,2025-05-02,97140,13,PT,0,GP\n"
    )
    finding = data["findings"][0]
    assert finding["status"] == "under"
    assert finding["billed_amount"] == 30.0
    assert finding.get("amount_difference") is None
    assert any("97140" in text and "priced at $0" in text for text in warning_texts(finding))
    notes = data["summary"]["payment"]["notes"]
    assert any("priced at $0: 97140" in note for note in notes)


PAYERS = """
[payers.medicare]
medicare = true
[payers.acme]
rule = "cms"
"""


def test_only_medicare_rows_follow_the_kx_threshold(tmp_path: Path) -> None:
    (tmp_path / "payers.toml").write_text(PAYERS)
    header = f"{DAY_HEADER},payer,kx_prior_pt_slp"
    rows = "".join(
        f"{patient},2025-05-0{day},97110,30,PT,2,GP,{payer},{'2400' if day == 1 else ''}\n"
        for patient, payer in (("G", "acme"), ("M", "medicare"))
        for day in (1, 8)
    )
    data = audit_json(tmp_path, f"{header}\n{rows}", "--payers", str(tmp_path / "payers.toml"))
    payment = data["summary"]["payment"]
    assert {f["patient"] for f in payment["kx"]["findings"]} == {"M"}
    assert any("2 line(s)" in note and "Medicare" in note for note in payment["notes"])
    # Rows without a payer profile are Medicare's (the default audit).
    plain = audit_json(tmp_path, f"{header}\n{rows.replace('acme', '').replace('medicare', '')}")
    assert {f["patient"] for f in plain["summary"]["payment"]["kx"]["findings"]} == {"G", "M"}


def test_invalid_groups_accrue_and_give_their_prior_amounts(tmp_path: Path) -> None:
    # Line 2 is invalid (its minutes): it cannot be priced, but its prior amount counts.
    data = audit_json(
        tmp_path,
        f"{DAY_HEADER},kx_prior_pt_slp\n"
        "K,2025-05-01,97110,abc,PT,2,GP,2400\n"
        "K,2025-05-08,97110,30,PT,2,GP,\n",
    )
    payment = data["summary"]["payment"]
    assert [(f["kind"], f["line"], f["accrued"]) for f in payment["kx"]["findings"]] == [
        ("missing-kx", 3, 2454.0)
    ]
    assert any("1 line(s)" in note and "could not be" in note for note in payment["notes"])


def test_an_invalid_group_that_can_be_priced_accrues(tmp_path: Path) -> None:
    # One day, one row invalid (its minutes): the group is invalid, its other line is
    # priced and accrues from the invalid row's prior amount.
    data = audit_json(
        tmp_path,
        f"{DAY_HEADER},kx_prior_pt_slp\n"
        "K,2025-05-01,97110,abc,PT,2,GP,2400\n"
        "K,2025-05-01,97110,30,PT,2,GP,\n",
    )
    payment = data["summary"]["payment"]
    assert data["findings"][0]["status"] == "invalid"
    assert [(f["kind"], f["line"]) for f in payment["kx"]["findings"]] == [("missing-kx", 3)]


def test_the_prior_amount_is_the_earliest_date_of_services(tmp_path: Path) -> None:
    data = audit_json(
        tmp_path,
        f"{DAY_HEADER},kx_prior_pt_slp\n"
        "F,2025-12-30,97110,30,PT,2,GP,2000\n"
        "F,2025-12-01,97110,30,PT,2,GP,2380\n",
    )
    payment = data["summary"]["payment"]
    # From 2,380 on 12-01: 2,434 past 2,410 on line 3, then 2,488 on line 2.
    assert [(f["line"], f["accrued"]) for f in payment["kx"]["findings"]] == [
        (3, 2434.0),
        (2, 2488.0),
    ]
    assert any(
        "kx_prior_pt_slp" in note and "2380" in note and "2000" in note and "line 3" in note
        for note in payment["notes"]
    )


def test_the_sums_keep_groups_without_an_allowed_amount_apart(tmp_path: Path) -> None:
    data = audit_json(
        tmp_path,
        f"{DAY_HEADER}\n"
        "H,2025-05-01,97110,15,PT,1,GP\n"
        "I,2025-05-01,97110,15,PT,1,GP\n"
        "I,2025-05-01,97110,abc,PT,1,GP\n",
    )
    statuses = {f["key"]["patient_id"]: f["status"] for f in data["findings"]}
    assert statuses == {"H": "ok", "I": "invalid"}
    payment = data["summary"]["payment"]
    assert (payment["billed"], payment["allowed"], payment["difference"]) == (30.0, 30.0, 0.0)
    assert payment["not_comparable"] == {"groups": 1, "billed": 30.0}
    assert payment["by_status"]["invalid"]["billed"] == 0.0
    assert payment["by_status"]["invalid"]["not_comparable"] == 1
    # A group whose every row was refused is counted apart too, and the text says so.
    visits = tmp_path / "visits.csv"
    visits.write_text(visits.read_text() + "J,2025-05-01,97110,abc,PT,1,GP\n")
    result = run("audit", str(visits), "--fees", str(tmp_path / "fees.csv"))
    assert "billed $30.00, allowed $30.00, difference $0.00" in result.stdout
    assert "Not in these sums: 2 groups not comparable" in result.stdout
    assert "billed $30.00 on the lines priced" in result.stdout
    report = tmp_path / "audit.html"
    run("audit", str(visits), "--fees", str(tmp_path / "fees.csv"), "--report", str(report))
    page = report.read_text()
    assert "groups not comparable" in page
    assert "(2 groups, 2 not comparable)" in page


def test_a_patient_year_given_twice_in_the_starting_amounts_is_an_error(tmp_path: Path) -> None:
    from unitcalc.core.errors import FeeFileError
    from unitcalc.files.starting import load_starting

    start = tmp_path / "start.csv"
    start.write_text("patient_id,year,pt_slp,ot\nP1,2025,100,\nP2,2025,50,\nP1,2025,200,\n")
    with pytest.raises(
        FeeFileError, match=r"line 4: patient 'P1' has a pt_slp amount for 2025 on line 2"
    ):
        load_starting(start)
    # An OT amount beside a PT/SLP one is no repeat.
    start.write_text("patient_id,year,pt_slp,ot\nP1,2025,100,\nP1,2025,,40\n")
    assert len(load_starting(start)) == 2


def test_kx_findings_are_rows_of_the_csv_and_parquet_findings(tmp_path: Path) -> None:
    # A script reading only the findings table sees the lines Medicare denies.
    visits = ROOT / "docs" / "examples" / "kx_visits.csv"
    fees = ROOT / "docs" / "examples" / "fees.csv"
    result = run("audit", str(visits), "--fees", str(fees), "--format", "csv")
    assert result.exit_code == 1
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    kx = [row for row in rows if row["status"] == "missing-kx"]
    assert [row["lines"] for row in kx] == ["4", "5"]
    assert {row["patient_id"] for row in kx} == {"P05"}
    assert all("Medicare denies it" in row["message"] for row in kx)
    out = tmp_path / "f.parquet"
    run("audit", str(visits), "--fees", str(fees), "--format", "parquet", "--output", str(out))
    import polars as pl

    frame = pl.read_parquet(out)
    assert frame.filter(pl.col("status") == "missing-kx").get_column("lines").to_list() == [
        "4",
        "5",
    ]


def test_the_facility_setting_with_a_fee_csv_is_said_to_change_nothing(tmp_path: Path) -> None:
    data = audit_json(
        tmp_path,
        "patient_id,date_of_service,code,minutes,discipline,billed_units\nP1,2025-03-05,97110,15,PT,1\n",
        "--fee-setting",
        "facility",
    )
    assert any("amounts are used as given" in note for note in data["summary"]["payment"]["notes"])
    assert data["findings"][0]["billed_amount"] == 30.0


@pytest.mark.parametrize("listed", [[], ["--all"]])
def test_a_compliant_capped_day_is_allowed_what_it_bills(tmp_path: Path, listed: list[str]) -> None:
    # cigna-example caps a visit at 4 units in claim order: 97110 x1 (30 min) and 97112 x3
    # (38 min) is compliant (the minutes support more), so the day is ok and allowed what
    # it bills: no dollars of difference, in the finding and in the summary's ok row.
    fees = tmp_path / "fees.csv"
    fees.write_text("code,amount\n97110,30.00\n97112,35.00\n")
    visits = tmp_path / "visits.csv"
    visits.write_text(
        "patient_id,date_of_service,code,minutes,discipline,billed_units,payer\n"
        "P1,2026-03-02,97110,30,PT,1,cigna-example\nP1,2026-03-02,97112,38,PT,3,cigna-example\n"
    )
    payers = str(ROOT / "docs" / "payers.toml")
    result = run(
        "audit", str(visits), "--payers", payers, "--fees", str(fees), "--format", "json", *listed
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    ok = data["summary"]["payment"]["by_status"]["ok"]
    assert (ok["groups"], ok["billed"], ok["allowed"], ok["difference"]) == (1, 135.0, 135.0, 0.0)
    if listed:
        [finding] = data["findings"]
        assert finding["status"] == "ok"
        assert finding["allowed"] == finding["billed"] == {"97110": 1, "97112": 3}
        assert finding["amount_difference"] == 0.0


def test_the_fee_setting_picks_the_pfall_reduced_amount_of_its_section(tmp_path: Path) -> None:
    # PFALL: non-facility 34.00, facility 30.00; reduced 28.00 under section 1848 (office),
    # 26.00 under section 1834 (institutional). Two units of 97110: one full, one reduced.
    pfall = tmp_path / "PFALL25.csv"
    pfall.write_text(
        '"2025","01112","05","97110","","0034.00","0030.00","","0","A","5","0028.00",'
        '"0026.00","9","0000.00","0000.00"\n'
    )
    visits = tmp_path / "visits.csv"
    visits.write_text(
        "patient_id,date_of_service,code,minutes,discipline,billed_units\n"
        "P1,2025-03-05,97110,30,PT,2\n"
    )
    billed = {}
    for setting in ("office", "non-facility", "institutional"):
        result = run(
            "audit", str(visits), "--fees", str(pfall), "--fee-setting", setting,
            "--format", "json", "--all",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        billed[setting] = data["findings"][0]["billed_amount"]
        assert data["summary"]["payment"]["setting"] == (
            "office" if setting == "non-facility" else setting
        )
    assert billed == {"office": 62.0, "non-facility": 62.0, "institutional": 60.0}
    refused = run("audit", str(visits), "--fees", str(pfall), "--fee-setting", "facility")
    assert refused.exit_code == 2
    assert "--fee-setting office or --fee-setting institutional" in refused.output
    assert "Traceback" not in refused.output
