"""The therapy multiple procedure payment reduction as CMS prices it: the PE component
reduced once and the unit rounded once (PPRRVU, with and without GPCIs), PFALL's
published reduced amounts taken as they are from the column of the biller's setting
(section 1848 non-institutional, section 1834(k) institutional), and the 2011-2013 rates
by setting. Expected amounts are worked out here in integer arithmetic, not with the
code's Decimal formula."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from unitcalc.core.errors import FeeFileError
from unitcalc.payment.fees import DayLine, Fee, FeeSchedule, load_fees, payment_data, price_day

FEES = Path(__file__).parents[1] / "fixtures" / "fees"
PFALL = FEES / "PFALL_sample.csv"
D = datetime.date

# The PPRRVU header of tests/fixtures/fees/PPRRVU_sample.csv (two rows, joined).
PPRRVU_HEADER = (FEES / "PPRRVU_sample.csv").read_text("utf-8").splitlines()[:5]


def pprrvu(tmp_path: Path, *rows: str) -> Path:
    """A PPRRVU file with the sample's header and the given code rows: HCPCS, work RVU,
    non-facility PE RVU, facility PE RVU, MP RVU, MULT PROC, CONV FACTOR."""
    lines = list(PPRRVU_HEADER)
    for row in rows:
        code, work, pe, pe_facility, mp, mult, factor = row.split()
        lines.append(
            f"{code},,,A,,{work},{pe},,{pe_facility},,{mp},0,0,0,XXX,0,0,0,{mult},"
            f"0,0,0,0,0,{factor},09,,99,0,0,0"
        )
    path = tmp_path / "PPRRVU.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half up, in integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def cents_of(day: datetime.date, lines: list[DayLine], fees: FeeSchedule) -> int:
    return int(price_day(lines, fees, day=day).total * 100)


# --- PPRRVU: reduce the PE component once, round once ------------------------------


def test_a_reduced_unit_is_the_rvu_formula_taken_once(tmp_path: Path) -> None:
    # CY 2022 97761 (issue 21): work 0.50, PE 0.71, MP 0.02, CF 34.6062, 3 units.
    fees = load_fees(pprrvu(tmp_path, "97761 0.50 0.71 0.30 0.02 5 34.6062"))
    # RVUs in thousandths, CF in ten-thousandths: a unit is (RVU x CF) / 10**7 dollars.
    factor = 346062
    full = half_up((500 + 710 + 20) * factor, 10**5)  # cents of the full unit
    reduced = half_up((500 + 355 + 20) * factor, 10**5)  # PE at 50%, rounded once
    assert (full, reduced) == (4257, 3028)
    assert cents_of(D(2022, 6, 1), [DayLine("97761", 3)], fees) == full + 2 * reduced == 10313


def test_with_gpcis_the_pe_component_is_reduced_before_the_one_rounding(tmp_path: Path) -> None:
    gpci = tmp_path / "GPCI.csv"
    gpci.write_text(
        "Medicare Administrative Contractor (MAC),State,Locality Number,Locality Name,"
        "PW GPCI,PE GPCI,MP GPCI\n01112,CA,05,SAMPLE,1.017,1.088,0.561\n",
        encoding="utf-8",
    )
    fees = load_fees(pprrvu(tmp_path, "97110 0.45 0.53 0.20 0.02 5 32.6974"), gpci=gpci)
    # [(work x GPCI) + (PE x GPCI x 50%) + (MP x GPCI)] x CF, in integers: RVUs in
    # thousandths, GPCIs in thousandths, CF in ten-thousandths (10**10 per dollar).
    work, pe, mp, factor = 450 * 1017, 530 * 1088, 20 * 561, 326974
    full = half_up((work + pe + mp) * factor, 10**8)
    reduced = half_up((2 * work + pe + 2 * mp) * factor, 2 * 10**8)
    total = cents_of(D(2025, 3, 4), [DayLine("97110", 2)], fees)
    assert total == full + reduced
    # Halving the rounded PE payment and rounding again would give another cent here.
    rounded_pe = half_up(pe * factor, 10**8)
    assert half_up(2 * full - rounded_pe, 2) != reduced


# --- PFALL: the published reduced amount of the biller's setting ---------------------


def pfall_row(year: str, fee: str, facility: str, office: str, institutional: str) -> str:
    return (
        f'"{year}","01112","05","97110","","{fee}","{facility}","","0","A","5",'
        f'"{office}","{institutional}","9","0000.00","0000.00"\n'
    )


def test_pfall_reduced_amounts_are_priced_as_published(tmp_path: Path) -> None:
    # 34.01 with a published 28.13: no PE share of the fee gives that by halving twice.
    path = tmp_path / "PFALL25.csv"
    path.write_text(pfall_row("2025", "0034.01", "0030.00", "0028.13", "0027.50"))
    fees = load_fees(path)
    assert cents_of(D(2025, 3, 4), [DayLine("97110", 3)], fees) == 3401 + 2 * 2813


def test_the_institutional_setting_reads_the_section_1834_amount(tmp_path: Path) -> None:
    # CMS PFALL record layout, CY 2026: the first therapy-reduced amount is for office and
    # other non-institutional settings (section 1848), the second for institutional ones
    # (section 1834); both beside the non-facility and facility fee amounts.
    path = tmp_path / "PFALL25.csv"
    path.write_text(pfall_row("2025", "0034.00", "0030.00", "0028.00", "0027.00"))
    office = load_fees(path, setting="office")
    institutional = load_fees(path, setting="institutional")
    lines = [DayLine("97110", 2)]
    assert cents_of(D(2025, 3, 4), lines, office) == 3400 + 2800
    assert cents_of(D(2025, 3, 4), lines, institutional) == 3400 + 2700
    # The old name of the office setting still works, and means the same.
    assert load_fees(path, setting="non-facility") == office


def test_pfall_has_no_reduced_amount_at_the_facility_fee_so_facility_is_refused() -> None:
    with pytest.raises(FeeFileError, match="institutional") as raised:
        load_fees(PFALL, locality="05", setting="facility")
    assert raised.value.field == "setting"


def test_a_setting_that_is_not_one_names_the_choices() -> None:
    with pytest.raises(FeeFileError, match="office, institutional or facility"):
        load_fees(PFALL, setting="hospital")  # type: ignore[arg-type]


# --- 2011-01-01 to 2013-03-31: 20% non-institutional, 25% institutional ---------------


def csv_fees(setting: str) -> FeeSchedule:
    fee = Fee("97110", Decimal("30.00"), Decimal("12.33"), True)
    return FeeSchedule("fees.csv", "csv", fees={("", "97110", ""): fee}, setting=setting)  # type: ignore[arg-type]


def three_units(reduction_percent: int) -> int:
    """Cents of 3 units of a 30.00 fee with a 12.33 PE payment: the first in full, the
    others the fee less ``reduction_percent`` of the PE, rounded once (integers)."""
    if not reduction_percent:
        return 3 * 3000
    return 3000 + 2 * half_up(3000 * 100 - 1233 * reduction_percent, 100)


@pytest.mark.parametrize(
    ("day", "office", "institutional"),
    [
        (D(2010, 12, 31), 0, 0),  # before the MPPR
        (D(2011, 1, 1), 20, 25),
        (D(2013, 3, 31), 20, 25),
        (D(2013, 4, 1), 50, 50),  # 50% in every setting
    ],
    ids=["2010-none", "2011-first-day", "2013-last-day", "2013-04-01-half"],
)
def test_the_reduction_of_each_period_and_setting(
    day: datetime.date, office: int, institutional: int
) -> None:
    lines = [DayLine("97110", 3)]
    assert cents_of(day, lines, csv_fees("office")) == three_units(office)
    assert cents_of(day, lines, csv_fees("institutional")) == three_units(institutional)
    # A professional claim at the facility amount is paid under section 1848 too.
    assert cents_of(day, lines, csv_fees("facility")) == three_units(office)


def test_the_mppr_periods_are_data_with_dates_and_sources() -> None:
    data = payment_data()
    assert [(period.valid_from, period.valid_to) for period in data.mppr] == [
        (D(2011, 1, 1), D(2013, 3, 31)),
        (D(2013, 4, 1), None),
    ]
    for period in data.mppr:
        assert period.sources
        assert all(key in data.sources for key in period.sources)
    assert data.pe_paid_percent(D(2012, 6, 1), "office") == 80
    assert data.pe_paid_percent(D(2012, 6, 1), "institutional") == 75
    assert data.pe_paid_percent(D(2026, 1, 5), "institutional") == 50
    assert data.pe_paid_percent(D(2010, 12, 31), "office") is None


# --- the KX thresholds ------------------------------------------------------------------


def test_the_2018_threshold_and_the_2026_primary_source() -> None:
    data = payment_data()
    kx2018 = data.threshold(2018)
    assert kx2018 is not None
    assert (kx2018.pt_slp, kx2018.ot) == (Decimal("2010.00"), Decimal("2010.00"))
    kx2026 = data.threshold(2026)
    assert kx2026 is not None
    assert "R13437CP" in " ".join(data.sources[key] for key in kx2026.sources)
    assert not kx2026.note.startswith("SECONDARY ONLY")
