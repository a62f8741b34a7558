"""The KX threshold and the review threshold at their edges: the line that reaches the
threshold and the one that crosses it, PT and SLP in one bucket and OT in another, a
new calendar year starting again, amounts incurred elsewhere, order by date; KX the
other way: below the threshold, and on a patient's first date of service of a year."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unitcalc.payment.threshold import (
    Bucket,
    Charge,
    FirstDay,
    accrue,
    accrue_columns,
    charges_frame,
)

D = datetime.date


def charge(day: datetime.date, amount: str, *, line: int, bucket: str = "PT/SLP",
           kx: bool = False, patient: str = "P1") -> Charge:  # fmt: skip
    return Charge(patient, day, bucket, line, Decimal(amount), kx)  # type: ignore[arg-type]


def kinds(charges: list[Charge], **kwargs: object) -> list[tuple[str, int]]:
    return [(f.kind, f.line) for f in accrue(charges, **kwargs).findings]  # type: ignore[arg-type]


def test_reaching_the_threshold_exactly_needs_no_kx_passing_it_does() -> None:
    # 2025: $2,410. 2,400 + 10 = 2,410 is not past it; the next cent is.
    charges = [
        charge(D(2025, 1, 6), "2400", line=2),
        charge(D(2025, 1, 7), "10", line=3),
        charge(D(2025, 1, 8), "0.01", line=4),
    ]
    assert kinds(charges) == [("missing-kx", 4)]


def test_the_line_that_crosses_needs_kx_and_so_does_every_later_one() -> None:
    charges = [
        charge(D(2025, 2, 3), "2000", line=2),
        charge(D(2025, 2, 4), "500", line=3),  # crosses: 2,500 > 2,410
        charge(D(2025, 2, 5), "100", line=4, kx=True),
        charge(D(2025, 2, 6), "100", line=5),
    ]
    found = accrue(charges).findings
    assert [(f.kind, f.line) for f in found] == [("missing-kx", 3), ("missing-kx", 5)]
    assert found[0].accrued == Decimal("2500.00")
    assert found[0].threshold == Decimal("2410.00")


def test_the_review_threshold_is_reported_once_per_patient_year_and_bucket() -> None:
    charges = [charge(D(2024, 3, day), "1000", line=day, kx=day > 3) for day in range(1, 6)]
    # 2024: KX at $2,330; 3,000 is passed by the fourth line (4,000), reported once.
    assert kinds(charges) == [("missing-kx", 3), ("review", 4)]


def test_pt_and_slp_share_a_bucket_ot_has_its_own() -> None:
    charges = [
        charge(D(2023, 5, 1), "1200", line=2, bucket="PT/SLP"),
        charge(D(2023, 5, 2), "1200", line=3, bucket="PT/SLP"),  # 2,400 > 2,230
        charge(D(2023, 5, 3), "2000", line=4, bucket="OT"),  # OT alone: 2,000
    ]
    assert kinds(charges) == [("missing-kx", 3)]


def test_a_new_calendar_year_starts_from_zero() -> None:
    charges = [
        charge(D(2025, 12, 30), "2400", line=2),
        charge(D(2025, 12, 31), "20", line=3),  # 2,420 > 2,410
        charge(D(2026, 1, 2), "2400", line=4),  # 2026 starts again: 2,400 < 2,480
        charge(D(2026, 1, 5), "100", line=5),  # 2,500 > 2,480
    ]
    found = accrue(charges)
    assert [(f.kind, f.line, f.year) for f in found.findings] == [
        ("missing-kx", 3, 2025),
        ("missing-kx", 5, 2026),
    ]
    assert found.totals[("P1", 2026, "PT/SLP")] == Decimal("2500.00")


def test_lines_are_accrued_in_date_order_not_file_order() -> None:
    charges = [
        charge(D(2025, 6, 2), "100", line=2),  # later date, first in the file
        charge(D(2025, 6, 1), "2400", line=3),
    ]
    # By date: 2,400 first, then 2,500 on line 2, which crosses.
    assert kinds(charges) == [("missing-kx", 2)]


def test_amounts_incurred_elsewhere_count_from_the_start() -> None:
    charges = [charge(D(2025, 1, 6), "50", line=2)]
    assert kinds(charges) == []
    assert kinds(charges, starting={("P1", 2025, "PT/SLP"): Decimal("2400")}) == [("missing-kx", 2)]
    # Another year's starting amount does not count.
    assert kinds(charges, starting={("P1", 2024, "PT/SLP"): Decimal("2400")}) == []


def test_patients_are_apart() -> None:
    charges = [
        charge(D(2025, 1, 6), "2400", line=2, patient="P1"),
        charge(D(2025, 1, 6), "2400", line=3, patient="P2"),
    ]
    assert kinds(charges) == []


@pytest.mark.parametrize("year", [2017, 2027])
def test_a_year_without_a_packaged_threshold_is_said(year: int) -> None:
    found = accrue([charge(D(year, 1, 2), "5000", line=2)])
    assert found.years_without_threshold == (year,)
    if year == 2027:
        # No KX amount packaged for 2027 yet, but the $3,000 review threshold applies.
        assert [f.kind for f in found.findings] == ["review"]
    else:
        assert found.findings == ()  # the review threshold starts in 2018


def test_2018_has_its_threshold_of_2010_and_the_review_threshold() -> None:
    # CY 2018: $2,010 (CY 2018 PFS final rule), kept as the KX threshold by the BBA 2018.
    found = accrue([charge(D(2018, 3, 1), "2010", line=2), charge(D(2018, 3, 2), "1", line=3)])
    assert kinds([charge(D(2018, 3, 1), "2010", line=2)]) == []
    assert [(f.kind, f.line, str(f.threshold)) for f in found.findings] == [
        ("missing-kx", 3, "2010.00")
    ]
    assert found.years_without_threshold == ()


def test_no_review_threshold_after_2027() -> None:
    found = accrue([charge(D(2028, 1, 3), "5000", line=2)])
    assert found.findings == ()
    assert found.years_without_threshold == (2028,)


def test_kx_below_the_threshold_is_found_reaching_or_passing_it_is_not() -> None:
    # 2025: $2,410. KX attests services "at and above" the threshold (Palmetto GBA).
    charges = [
        charge(D(2025, 1, 6), "2400", line=2),
        charge(D(2025, 1, 7), "9.99", line=3, kx=True),  # 2,409.99: below
        charge(D(2025, 1, 8), "0.01", line=4, kx=True),  # 2,410.00: at it
        charge(D(2025, 1, 9), "50", line=5, kx=True),  # 2,460.00: above
    ]
    found = accrue(charges, first_day="off").findings
    assert [(f.kind, f.line, str(f.accrued)) for f in found] == [("kx-below", 3, "2409.99")]
    assert found[0].message == (
        "line 3: PT/SLP total for 2025 $2,409.99 is below the KX threshold $2,410.00 and "
        "the line has the KX modifier, which attests services at and above the threshold "
        "(Palmetto GBA, HCPCS Modifier KX): review the attestation"
    )


def test_kx_below_counts_amounts_incurred_elsewhere_and_each_bucket_apart() -> None:
    charges = [
        charge(D(2025, 3, 3), "100", line=2, kx=True),
        charge(D(2025, 3, 3), "100", line=3, kx=True, bucket="OT"),
    ]
    starting = {("P1", 2025, "PT/SLP"): Decimal("2400")}
    # PT/SLP: 2,500 with the 2,400 incurred elsewhere, past it; OT: 100, below it.
    assert kinds(charges, starting=starting, first_day="off") == [("kx-below", 3)]


def test_no_kx_check_in_a_year_without_a_packaged_threshold() -> None:
    assert kinds([charge(D(2027, 1, 4), "100", line=2, kx=True)]) == []


def test_kx_on_the_first_date_of_service_is_found_once_per_patient_and_year() -> None:
    charges = [
        charge(D(2026, 2, 2), "80", line=2),
        charge(D(2026, 2, 2), "80", line=3, kx=True, bucket="OT"),
        charge(D(2026, 2, 2), "80", line=4, kx=True),
        charge(D(2026, 2, 9), "80", line=5, kx=True),  # not the first date
        charge(D(2026, 2, 9), "80", line=6, kx=True, patient="P2"),  # P2's first
    ]
    found = accrue(charges).findings
    firsts = [(f.patient, f.line) for f in found if f.kind == "kx-first-day"]
    assert firsts == [("P1", 3), ("P2", 6)]
    assert [f.line for f in found if f.kind == "kx-below"] == [3, 4, 5, 6]
    assert found[1].message == (
        "line 3: KX on the patient's first date of service of 2026 in this file, a "
        "pattern the OIG counts as questionable billing (OEI-04-09-00540): review it, "
        "unless services elsewhere that year are missing from the file and its "
        "kx_prior_* amounts"
    )


def test_the_first_date_of_service_per_bucket_or_not_at_all() -> None:
    charges = [
        charge(D(2026, 2, 2), "80", line=2, bucket="OT"),
        charge(D(2026, 2, 9), "80", line=3, kx=True),  # PT/SLP's first date, not P1's
    ]
    first = [f.line for f in accrue(charges).findings if f.kind == "kx-first-day"]
    assert first == []
    by_bucket = accrue(charges, first_day="bucket").findings
    assert [f.line for f in by_bucket if f.kind == "kx-first-day"] == [3]
    assert [f.kind for f in accrue(charges, first_day="off").findings] == ["kx-below"]


def test_kx_on_the_first_date_of_service_after_amounts_incurred_elsewhere_is_not_found() -> None:
    charges = [charge(D(2026, 1, 5), "100", line=2, kx=True)]
    starting = {("P1", 2026, "PT/SLP"): Decimal("2450")}  # 2,550: KX is due
    assert kinds(charges, starting=starting) == []
    # A new year starts again: its first date of service is checked.
    later = [*charges, charge(D(2027, 1, 4), "100", line=3, kx=True)]
    assert kinds(later, starting=starting) == []  # no 2027 KX threshold packaged
    assert kinds(charges) == [("kx-below", 2), ("kx-first-day", 2)]


charges_drawn = st.lists(
    st.builds(
        Charge,
        st.sampled_from(("P1", "P2")),
        st.sampled_from((D(2017, 12, 31), D(2025, 12, 31), D(2026, 1, 2), D(2026, 6, 1))),
        st.sampled_from(("PT/SLP", "OT")),
        st.integers(min_value=1, max_value=10_000),
        st.integers(min_value=0, max_value=150_000).map(lambda cents: Decimal(cents) / 100),
        st.booleans(),
        st.sampled_from(("P1 / 2026-01-02", "")),
    ),
    max_size=40,
    unique_by=lambda charge: charge.line,  # a line of the file is one claim line
)
starting_drawn = st.dictionaries(
    st.tuples(st.sampled_from(("P1", "P2", "P3")), st.sampled_from((2025, 2026)),
              st.sampled_from(("PT/SLP", "OT"))),
    st.sampled_from((Decimal("0"), Decimal("2300"), Decimal("2479.99"), Decimal("2999.5"),
                     Decimal("10.005"))),
    max_size=3,
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(charges_drawn, starting_drawn, st.sampled_from(("patient", "bucket", "off")))
def test_the_columnar_form_follows_the_thresholds_as_accrue(
    charges: list[Charge], starting: dict[tuple[str, int, Bucket], Decimal], first: FirstDay
) -> None:
    # Both forms: the same findings in the same order, totals and years without one.
    frame = charges_frame(charges)
    assert frame is not None
    columns = accrue_columns(frame, starting=starting, first_day=first)
    assert columns == accrue(charges, starting=starting, first_day=first)
