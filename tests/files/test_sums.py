"""The sums of an audit's amounts: :func:`add_to_sums` for one group and its columnar
form :func:`sums_columns` for a frame of them give the same sums."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from unitcalc.files.sums import add_to_sums, sums_columns

cents = st.integers(min_value=0, max_value=10_000_000)
groups_drawn = st.lists(
    st.tuples(
        st.sampled_from(("ok", "over", "invalid")),
        st.sampled_from(("(none)", "Lee", "Lee; Kim")),
        st.sampled_from(("(none)", "acme")),
        cents,
        st.none() | cents,
        st.none() | st.integers(min_value=-10_000_000, max_value=10_000_000),
    ),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(groups_drawn)
def test_the_columnar_form_adds_as_add_to_sums(groups: list[tuple[object, ...]]) -> None:
    expected: dict[tuple[object, ...], list[Decimal]] = {}
    for status, provider, payer, billed, allowed, difference in groups:
        sums = expected.setdefault((status, provider, payer), [Decimal(0)] * 6)
        add_to_sums(
            sums,
            Decimal(billed).scaleb(-2),  # type: ignore[arg-type]
            None if allowed is None else Decimal(allowed).scaleb(-2),  # type: ignore[arg-type]
            None if difference is None else Decimal(difference).scaleb(-2),  # type: ignore[arg-type]
        )
    frame = pl.DataFrame(
        groups,
        schema={
            "status": pl.String, "provider": pl.String, "payer": pl.String,
            "billed": pl.Int128, "allowed": pl.Int128, "difference": pl.Int128,
        },
        orient="row",
    )  # fmt: skip
    found = {
        (status, provider, payer): [
            Decimal(amount).scaleb(-2) if index not in (3, 4) else Decimal(amount)
            for index, amount in enumerate(amounts)
        ]
        for status, provider, payer, *amounts in sums_columns(frame).iter_rows()
    }
    assert found == expected
