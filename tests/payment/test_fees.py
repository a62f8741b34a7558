"""Fee files and the price of a day: the CMS PPRRVU (with GPCI) and PFALL layouts, the
plain fee CSV and its errors, the therapy MPPR at its edges and the assistant reduction
taken last."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unitcalc.core.assistant import AssistantPayment
from unitcalc.core.errors import FeeFileError, UnitcalcError
from unitcalc.payment.fees import (
    DayLine,
    Fee,
    FeeSchedule,
    day_totals,
    load_fees,
    payment_data,
    price_day,
)
from unitcalc.payment.fees.day import day_totals_columns, fee_frame

FEES = Path(__file__).parents[1] / "fixtures" / "fees"
PPRRVU = FEES / "PPRRVU_sample.csv"
GPCI = FEES / "GPCI_sample.csv"
PFALL = FEES / "PFALL_sample.csv"
DAY = datetime.date(2025, 3, 4)


def schedule(*rows: tuple[str, str, str | None]) -> FeeSchedule:
    """A schedule of (code, amount, PE amount or None: no MPPR) rows."""
    return FeeSchedule(
        "test",
        "csv",
        fees={
            ("", code, ""): Fee(
                code, Decimal(amount), Decimal(pe) if pe else None, mppr=pe is not None
            )
            for code, amount, pe in rows
        },
    )


def write(tmp_path: Path, text: str, name: str = "fees.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the PPRRVU sample, national and by locality -------------------------------------


def test_the_pprrvu_sample_loads_in_its_published_layout() -> None:
    fees = load_fees(PPRRVU)
    assert fees.kind == "pprrvu"
    # National amounts: the file's total RVUs times its conversion factor (GPCIs 1.0),
    # checked against the NON-FACILITY TOTAL column the file carries beside them.
    rows = [line.split(",") for line in PPRRVU.read_text().splitlines()[5:]]
    for row in rows:
        code, total, factor = row[0], Decimal(row[11]), Decimal(row[24])
        fee = fees.fee(code)
        assert fee is not None
        assert fee.amount == (total * factor).quantize(Decimal("0.01")), code
        assert fee.practice_expense == (Decimal(row[6]) * factor).quantize(Decimal("0.01"))
        assert fee.mppr == (row[18] == "5"), code
    assert fees.fee("97999") is None


def test_the_pprrvu_sample_keeps_no_descriptor_text() -> None:
    # The descriptor column of the sample is blank, and the loader keeps numbers only.
    fees = load_fees(PPRRVU)
    assert all(field.name != "description" for field in Fee.__attrs_attrs__)
    assert {code for code, _ in fees.rvus} == {"97110", "97140", "97112", "97161", "99213"}


def test_pprrvu_with_the_gpci_file_prices_a_locality() -> None:
    fees = load_fees(PPRRVU, gpci=GPCI, locality="01112-05")
    assert fees.localities == ("01112-05", "10112-00")
    # 97110: work 0.45 x 1.100 + PE 0.40 x 1.400 + MP 0.02 x 0.600 = 1.067; x 32 = 34.144
    fee = fees.fee("97110")
    assert fee is not None
    assert fee.amount == Decimal("34.14")
    assert fee.practice_expense == Decimal("17.92")  # 0.40 x 1.4 x 32
    # The locality number alone, when one contractor uses it; a row's own locality wins.
    assert load_fees(PPRRVU, gpci=GPCI, locality="05").fee("97110") == fee
    other = fees.fee("97110", locality="10112-00")
    assert other is not None
    assert other.amount == Decimal("26.24")  # (0.45 x 1 + 0.40 x 0.9 + 0.02 x 0.5) x 32


def test_the_facility_setting_uses_the_facility_pe() -> None:
    fee = load_fees(PPRRVU, setting="facility").fee("97110")
    assert fee is not None
    assert fee.amount == Decimal("21.44")  # (0.45 + 0.20 + 0.02) x 32


# --- PFALL --------------------------------------------------------------------------


def test_the_pfall_sample_gives_amounts_and_the_reduced_amount_of_the_setting() -> None:
    fees = load_fees(PFALL, locality="01112-05")
    fee = fees.fee("97110")
    # The section 1848 reduced amount, as published; the PE payment it implies ranks.
    assert fee == Fee("97110", Decimal("34.00"), Decimal("12.00"), True, reduced=Decimal("28.00"))
    # A code without a therapy-reduced amount is not subject to the MPPR.
    plain = load_fees(PFALL, locality="10112-00").fee("99213")
    assert plain is not None
    assert not plain.mppr
    institutional = load_fees(PFALL, locality="05", setting="institutional").fee("97110")
    assert institutional is not None
    assert institutional.amount == Decimal("34.00")  # the non-facility amount
    assert institutional.reduced == Decimal("26.00")  # the section 1834 amount


def test_pfall_with_several_localities_needs_one_named() -> None:
    fees = load_fees(PFALL)  # rows may name theirs (a locality column)
    assert fees.fee("97110", locality="10112-00") is not None
    with pytest.raises(
        FeeFileError, match=r"2 payment localities .*name one with load_fees\(locality=\.\.\.\)"
    ) as raised:
        fees.fee("97110")
    assert raised.value.argument == "locality"
    with pytest.raises(FeeFileError, match="locality '99' is not in"):
        load_fees(PFALL, locality="99")


# --- the plain CSV and its errors --------------------------------------------------


def test_a_plain_csv_with_modifier_rows(tmp_path: Path) -> None:
    fees = load_fees(write(tmp_path, "code,amount,modifier\n97110,31.47,\n97110,15.00,52\n"))
    assert fees.kind == "csv"
    base, reduced = fees.fee("97110", ("GP",)), fees.fee("97110", ("GP", "52"))
    assert base is not None
    assert reduced is not None
    assert (base.amount, reduced.amount) == (Decimal("31.47"), Decimal("15.00"))


@pytest.mark.parametrize(
    ("text", "where", "field"),
    [
        ("cpt,fee\n97110,30\n", "line 1", "header"),
        ("code,amount\n9711,30\n", "line 2", "code"),
        ("code,amount\n97110,thirty\n", "line 2", "amount"),
        ("code,amount\n97110,-3\n", "line 2", "amount"),
        ("code,amount,pe_amount\n97110,30,40\n", "line 2", "pe_amount"),
        ("code,amount,mppr\n97110,30,yes\n", "line 2", "pe_amount"),
        ("code,amount,pe_amount,mppr\n97110,30,12,maybe\n", "line 2", "mppr"),
        ("code,amount\n97110,30\n97110,31\n", "line 3", "code"),
    ],
    ids=["no-header", "short-code", "word-amount", "negative", "pe-too-big", "mppr-no-pe",
         "mppr-word", "twice"],
)  # fmt: skip
def test_bad_fee_files_name_the_line_the_field_and_the_fix(
    tmp_path: Path, text: str, where: str, field: str
) -> None:
    with pytest.raises(FeeFileError) as caught:
        load_fees(write(tmp_path, text))
    assert isinstance(caught.value, UnitcalcError)
    assert caught.value.field == field
    assert where in str(caught.value)
    assert caught.value.line == int(where.split()[1])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("code,amount\n", "no fee rows"),
    ],
)
def test_empty_fee_files(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(FeeFileError, match=message):
        load_fees(write(tmp_path, text))


def test_a_missing_fee_file_and_a_gpci_beside_a_plain_csv(tmp_path: Path) -> None:
    with pytest.raises(FeeFileError, match="cannot read the fee file"):
        load_fees(tmp_path / "absent.csv")
    with pytest.raises(FeeFileError, match=r"not a PPRRVU file.*load_fees\(gpci=\.\.\.\)"):
        load_fees(write(tmp_path, "code,amount\n97110,30\n"), gpci=GPCI)
    with pytest.raises(FeeFileError, match="not a GPCI file"):
        load_fees(PPRRVU, gpci=write(tmp_path, "a,b\n1,2\n", "g.csv"))
    with pytest.raises(FeeFileError, match="choose office, institutional or facility"):
        load_fees(PPRRVU, setting="hospital")  # type: ignore[arg-type]


def test_a_pprrvu_file_without_a_needed_column(tmp_path: Path) -> None:
    lines = PPRRVU.read_text().splitlines()
    lines[4] = lines[4].replace("PROC", "XXXX")  # MULT PROC no longer named
    with pytest.raises(FeeFileError, match="no 'MULT PROC' column") as caught:
        load_fees(write(tmp_path, "\n".join(lines) + "\n"))
    assert caught.value.line == 5


def test_a_pprrvu_number_that_is_not_a_number(tmp_path: Path) -> None:
    lines = PPRRVU.read_text().splitlines()
    lines[5] = lines[5].replace("0.45", "n/a", 1)
    with pytest.raises(FeeFileError, match=r"line 6: WORK RVU 'n/a' is not an amount"):
        load_fees(write(tmp_path, "\n".join(lines) + "\n"))


def test_a_pfall_row_of_the_wrong_width(tmp_path: Path) -> None:
    lines = PFALL.read_text().splitlines()
    lines.append('"2025","01112","05","97112","","0034.00"')
    # The first row says PFALL; a later row of six fields is named with its line.
    with pytest.raises(FeeFileError, match="line 5: 6 fields"):
        load_fees(write(tmp_path, "\n".join(lines) + "\n"), locality="05")


# --- MPPR at its edges ---------------------------------------------------------------


def test_one_unit_is_paid_in_full() -> None:
    fees = schedule(("97110", "30", "12"))
    assert price_day([DayLine("97110", 1)], fees, day=DAY).total == Decimal("30.00")


def test_the_unit_with_the_highest_pe_is_paid_in_full_wherever_it_stands() -> None:
    fees = schedule(("97110", "30", "12"), ("97140", "28", "14"))
    for lines in ([DayLine("97110", 2), DayLine("97140", 1)],
                  [DayLine("97140", 1), DayLine("97110", 2)]):  # fmt: skip
        price = price_day(lines, fees, day=DAY)
        full = [unit for unit in price.units if unit.mppr_cut == 0]
        # 97140 has the higher PE (14 > 12) though the lower fee: it is the full unit.
        assert [unit.code for unit in full] == ["97140"]
        assert price.total == Decimal("76.00")  # 28 + 2 x (30 - 6)


def test_a_pe_tie_leaves_one_unit_in_full() -> None:
    fees = schedule(("97110", "30", "12"), ("97112", "34", "12"))
    price = price_day([DayLine("97110", 1), DayLine("97112", 1)], fees, day=DAY)
    assert sorted(unit.mppr_cut for unit in price.units) == [Decimal(0), Decimal(6)]


def test_codes_outside_the_mppr_are_never_cut_nor_chosen() -> None:
    fees = schedule(("97110", "30", "12"), ("99213", "90", None))
    price = price_day([DayLine("99213", 1), DayLine("97110", 2)], fees, day=DAY)
    assert price.total == Decimal("144.00")  # 90 + 30 + (30 - 6)


def test_no_mppr_before_the_packaged_start_date() -> None:
    fees = schedule(("97110", "30", "12"))
    before = price_day([DayLine("97110", 3)], fees, day=datetime.date(2010, 12, 31))
    first = price_day([DayLine("97110", 3)], fees, day=datetime.date(2011, 1, 1))
    after = price_day([DayLine("97110", 3)], fees, day=datetime.date(2013, 4, 1))
    # 2011: 20% of the PE (office); 2013-04-01: 50%.
    assert (before.total, first.total, after.total) == (
        Decimal("90.00"),
        Decimal("85.20"),
        Decimal("78.00"),
    )


def test_the_assistant_reduction_is_taken_after_the_mppr() -> None:
    fees = schedule(("97110", "30", "12"))
    # Two units, one with CQ: the full unit (first) carries no modifier here.
    price = price_day([DayLine("97110", 2, assistant_units=1)], fees, day=DAY)
    # First unit 30 x 0.85 = 25.50 (the CQ unit, full PE); second 30 - 6 = 24.
    assert sorted(unit.allowed for unit in price.units) == [Decimal("24.00"), Decimal("25.50")]
    # 15% of what the MPPR left, not of the fee: (30 - 6) x 0.85 = 20.40 on a cut unit.
    both = price_day([DayLine("97110", 2, assistant_units=2)], fees, day=DAY)
    assert both.total == Decimal("45.90")  # 25.50 + 20.40


def test_no_assistant_reduction_before_2022_or_for_a_payer_without_it() -> None:
    fees = schedule(("97110", "30", None))
    line = [DayLine("97110", 1, assistant_units=1)]
    assert price_day(line, fees, day=datetime.date(2021, 12, 31)).total == Decimal("30.00")
    assert price_day(line, fees, day=datetime.date(2022, 1, 1)).total == Decimal("25.50")
    none = AssistantPayment(applies=False)
    assert price_day(line, fees, day=DAY, assistant=none).total == Decimal("30.00")


def test_codes_without_a_fee_are_named() -> None:
    price = price_day([DayLine("97999", 1), DayLine("97110", 0)], schedule(), day=DAY)
    assert price.unpriced == ("97999",)
    assert price.total == 0


def test_the_packaged_amounts_cite_a_source_each() -> None:
    data = payment_data()
    assert sorted(data.thresholds) == list(range(2018, 2027))
    for threshold in data.thresholds.values():
        assert threshold.sources
        assert all(key in data.sources for key in threshold.sources)
    assert all(key in data.sources for key in data.review_sources)


def test_a_file_with_one_locality_needs_none_named(tmp_path: Path) -> None:
    one = [line for line in PFALL.read_text().splitlines() if '"01112"' in line]
    fees = load_fees(write(tmp_path, "\n".join(one) + "\n"))
    assert fees.localities == ("01112-05",)
    fee = fees.fee("97110")
    assert fee is not None
    assert fee.amount == Decimal("34.00")


def test_a_cp1252_fee_csv_is_read(tmp_path: Path) -> None:
    path = tmp_path / "fees.csv"
    path.write_bytes("code,amount,note\n97110,30.00,th\xe9rapie\n".encode("cp1252"))
    fee = load_fees(path).fee("97110")
    assert fee is not None
    assert fee.amount == Decimal("30.00")


def test_cms_files_without_rows(tmp_path: Path) -> None:
    header = PPRRVU.read_text().splitlines()[:5]
    with pytest.raises(FeeFileError, match="the PPRRVU file has no code rows"):
        load_fees(write(tmp_path, "\n".join(header) + "\n"))
    gpci = GPCI.read_text().splitlines()[:3]
    with pytest.raises(FeeFileError, match="the GPCI file has no locality rows"):
        load_fees(PPRRVU, gpci=write(tmp_path, "\n".join(gpci) + "\n", "g.csv"))


def test_pfall_as_downloaded_ends_with_notices_that_are_not_fees(tmp_path: Path) -> None:
    rows = PFALL.read_text("utf-8")
    notices = (
        "\nCPT codes and descriptions only are copyright of their owner.\n"
        "Applicable FARS/DFARS Apply.\n"
    )
    fees = load_fees(write(tmp_path, rows + notices, "PFALL25.csv"), locality="01112-05")
    assert fees.fee("97110") == load_fees(PFALL, locality="01112-05").fee("97110")
    # Text between rows of fees is no notice: it is reported by its line.
    first, rest = rows.split("\n", 1)
    with pytest.raises(FeeFileError, match=r"line 2: 1 fields"):
        load_fees(write(tmp_path, first + "\nNot a fee row\n" + rest, "PFALL26.csv"))


def test_a_pfall_reduced_amount_that_does_not_fit_the_fee_is_an_error(tmp_path: Path) -> None:
    # A reduced amount above the fee, or below half of it (a PE part larger than the
    # fee), says the columns are not where unitcalc reads them.
    row = '"2025","01112","05","97110","","0034.00","0030.00","","0","A","0","{}","0026.00","9","0000.00","0000.00"\n'
    for reduced in ("0040.00", "0016.00"):
        path = write(tmp_path, row.format(reduced), f"PFALL-{reduced}.csv")
        with pytest.raises(FeeFileError, match=r"line 1: the therapy reduction amount") as raised:
            load_fees(path)
        assert raised.value.line == 1
        assert raised.value.field == "therapy reduction amount"
    assert load_fees(write(tmp_path, row.format("0017.00"), "ok.csv")).fee("97110") is not None


def test_pprrvu_status_codes_say_what_the_schedule_pays(tmp_path: Path) -> None:
    # Status A is paid from the relative values; B (bundled) is not paid separately
    # however many RVUs the row shows; C is priced by the contractor (no amount here).
    text = PPRRVU.read_text("utf-8")
    row = next(line for line in text.splitlines() if line.startswith("97110,"))
    extra = [row.replace("97110,,,A,", f"{code},,,{status},", 1) for code, status in
             (("97010", "B"), ("97750", "C"), ("97535", "R"))]  # fmt: skip
    fees = load_fees(write(tmp_path, text + "\n".join(extra) + "\n", "PPRRVU.csv"))
    paid = fees.fee("97110")
    assert paid is not None
    assert paid.amount > 0
    bundled = fees.fee("97010")
    assert bundled is not None
    assert (bundled.amount, bundled.practice_expense, bundled.mppr) == (0, 0, False)
    assert fees.fee("97750") is None  # contractor-priced: unpriced, and said so
    restricted = fees.fee("97535")
    assert restricted is not None
    assert restricted.amount == paid.amount


@pytest.mark.parametrize("amount", ["1e30", "1e400", "99999999999999999999999999", "10000000"])
def test_an_amount_too_large_to_be_a_fee_is_a_clear_error(tmp_path: Path, amount: str) -> None:
    with pytest.raises(FeeFileError, match=r"line 2: amount .* is not an amount"):
        load_fees(write(tmp_path, f"code,amount\n97110,{amount}\n"))


def test_a_utf16_fee_csv_is_read_and_a_semicolon_one_is_named(tmp_path: Path) -> None:
    # Excel's "Unicode text" is UTF-16 with a byte-order mark.
    path = tmp_path / "fees16.csv"
    path.write_bytes("code,amount\n97110,30.00\n".encode("utf-16"))
    fee = load_fees(path).fee("97110")
    assert fee is not None
    assert fee.amount == Decimal("30.00")
    with pytest.raises(FeeFileError, match="line 1: the fields are not separated by commas"):
        load_fees(write(tmp_path, "Code;Amount\r\n97110;30,00\r\n", "semi.csv"))


def test_a_fee_csv_row_with_more_fields_than_its_header_is_an_error(tmp_path: Path) -> None:
    # 30,50 unquoted is two fields: the amount would silently be 30.
    with pytest.raises(FeeFileError, match=r"line 2: 3 fields where the header names 2"):
        load_fees(write(tmp_path, "code,amount\n97110,30,50\n"))


def test_a_fee_file_is_read_as_every_side_file_is(tmp_path: Path) -> None:
    # The one side-file reader: a quote never closed, and a line named after a quoted
    # line break, are the physical lines of the file.
    with pytest.raises(
        FeeFileError, match=r"fees.csv, line 3: a quote opened on this line"
    ) as raised:
        load_fees(write(tmp_path, 'code,amount,note\n97110,30.00,x\n97140,28.00,"opened\n'))
    assert raised.value.line == 3
    text = 'code,amount,note\n97110,30.00,"two\nlines"\n97140,$2x,y\n'
    with pytest.raises(FeeFileError, match=r"line 4: amount '\$2x' is not an amount"):
        load_fees(write(tmp_path, text))
    broken = tmp_path / "broken.csv"  # UTF-16 by its mark, then half a surrogate pair
    broken.write_bytes("code,amount\n97110,30\n".encode("utf-16") + b"\x00\xd8A\x00")
    with pytest.raises(FeeFileError, match=r"line 3: byte 0x00 cannot be decoded as utf-16"):
        load_fees(broken)


day_lines = st.lists(
    st.builds(
        DayLine,
        st.sampled_from(("97110", "97112", "97140", "97010", "97116")),
        st.integers(min_value=0, max_value=5),
        st.integers(min_value=0, max_value=6),
        st.sampled_from(((), ("59",))),
    ),
    max_size=6,
)


@st.composite
def fee_schedules(draw: st.DrawFn) -> FeeSchedule:
    fees: dict[tuple[str, str, str], Fee] = {}
    for code in ("97110", "97112", "97140", "97010"):
        amount = draw(st.integers(min_value=1, max_value=9_999))
        pe = draw(st.integers(min_value=0, max_value=amount))
        # Sub-cent amounts too, and PE payments that tie: a unit rounds as price_day's.
        scale = draw(st.sampled_from((100, 1000)))
        pe = draw(st.sampled_from((pe, 500)))
        fees[("", code, "")] = Fee(
            code, Decimal(amount) / scale, Decimal(min(pe, amount)) / scale, draw(st.booleans())
        )
    fees[("", "97110", "59")] = Fee("97110", Decimal("12.345"), Decimal("6.17"), True)
    return FeeSchedule("generated", "csv", fees=fees)


def columnar_totals(
    days: list[list[DayLine]], schedule: FeeSchedule, day: datetime.date, percent: int
) -> list[tuple[Decimal, list[Decimal], tuple[str, ...]]]:
    """:func:`day_totals_columns` of ``days``, read back as :func:`day_totals` gives them."""
    import polars as pl

    rows = [
        (number, index, line.code, line.units, line.assistant_units)
        for number, lines in enumerate(days)
        for index, line in enumerate(lines)
    ]
    fees = [schedule.fee(line.code, line.modifiers) for lines in days for line in lines]
    share = payment_data().pe_paid_percent(day, schedule.setting)
    table = fee_frame(fees, [share] * len(fees), [percent] * len(fees))
    frame = pl.concat(
        [
            pl.DataFrame(
                rows,
                schema=["day", "index", "code", "units", "assisted"],
                orient="row",
            ),
            table,
        ],
        how="horizontal",
    )
    lines, totals = day_totals_columns(
        frame, day="day", index="index", units="units", assisted="assisted", code="code"
    )
    by_day = {number: (total, codes) for number, total, codes in totals.iter_rows()}
    out = []
    for number, each in enumerate(days):
        amounts = lines.filter(pl.col("day") == number).sort("index").get_column("__total")
        total, codes = by_day.get(number, (0, []))
        out.append(
            (
                Decimal(total).scaleb(-2),
                [Decimal(amount).scaleb(-2) for amount in amounts.to_list()],
                tuple(codes),
            )
        )
        assert len(out[-1][1]) == len(each)
    return out


@settings(max_examples=200, deadline=None)
@given(
    fee_schedules(),
    st.lists(day_lines, min_size=1, max_size=4),
    st.sampled_from(
        (datetime.date(2012, 5, 1), datetime.date(2021, 6, 1), datetime.date(2026, 1, 5))
    ),
    st.sampled_from((AssistantPayment(), AssistantPayment(paid_percent=70))),
)
def test_the_columnar_form_prices_every_day_as_day_totals(
    schedule: FeeSchedule,
    days: list[list[DayLine]],
    day: datetime.date,
    assistant: AssistantPayment,
) -> None:
    # Both forms of the day's price: every line's cents, the total and the codes unpriced.
    expected = [day_totals(lines, schedule, day=day, assistant=assistant) for lines in days]
    assert columnar_totals(days, schedule, day, assistant.percent_on(day)) == expected
