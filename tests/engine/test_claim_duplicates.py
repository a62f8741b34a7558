"""The same patient, date and code under two claims, in both forms: one row at a time
(note_claim, duplicates) and many rows in columns (claim_frame)."""

from __future__ import annotations

import polars as pl
from hypothesis import example, given
from hypothesis import strategies as st

from unitcalc.engine.claim_duplicates import (
    Claims,
    claim_frame,
    duplicates,
    frame_rows,
    note_claim,
)

rows = st.lists(
    st.tuples(
        st.sampled_from(("P1", "P2", None)),
        st.sampled_from(("2026-03-02", "2026-03-03", None)),
        st.sampled_from(("97110", "97140", None)),
        st.sampled_from(("C1", " C1", "\x1fC1", "C2", "C3 ", "", "  ", "\x1c", None)),
    ),
    max_size=30,
)


@given(rows)
# One claim, written once with U+001F before it: str.strip() strips it, so no duplicate.
@example([("P1", "2026-03-02", "97110", "C1"), ("P1", "2026-03-02", "97110", "\x1fC1")])
def test_duplicates_in_both_forms(
    lines: list[tuple[str | None, str | None, str | None, str | None]],
) -> None:
    claims: Claims = {}
    for patient, date, code, claim in lines:
        if patient is not None and date is not None and code is not None:
            note_claim(claims, patient, date, code, claim)
    frame = pl.DataFrame(
        lines,
        schema={"p": pl.String, "d": pl.String, "c": pl.String, "k": pl.String},
        orient="row",
    )
    got = claim_frame(frame, patient="p", date="d", code="c", claim="k")
    assert frame_rows(got) == duplicates(claims)


def test_one_code_under_two_claims_is_a_duplicate() -> None:
    claims: Claims = {}
    note_claim(claims, "P1", "2026-03-02", "97110", "C1")
    note_claim(claims, "P1", "2026-03-02", "97110", "C1")  # twice in one claim: not here
    note_claim(claims, "P1", "2026-03-02", "97140", "C1")
    note_claim(claims, "P1", "2026-03-02", "97140", "C2")
    note_claim(claims, "P1", "2026-03-03", "97140", "C3")  # another day
    note_claim(claims, "P2", "2026-03-02", "97140", "C4")  # another patient
    assert duplicates(claims) == [
        {"patient": "P1", "date_of_service": "2026-03-02", "code": "97140", "claims": ["C1", "C2"]}
    ]
