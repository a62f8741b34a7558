"""The spool: rows written as their groups come, read back in their input lines' order."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from unitcalc.files.spool import Spool


@given(
    st.lists(
        st.tuples(st.integers(1, 50), st.text(st.characters(codec="utf-8"), max_size=8)),
        max_size=30,
    )
)
def test_rows_come_back_in_line_order(rows: list[tuple[int, str]]) -> None:
    spool = Spool()
    try:
        for line, text in rows:
            spool.write_row(f"{line}:{text}\n", line)
        spool.in_line_order()
        spool.file.seek(0)
        # Sorted by line, rows of one line in the order written (a stable sort).
        expected = "".join(f"{line}:{text}\n" for line, text in sorted(rows, key=lambda r: r[0]))
        assert spool.file.read() == expected
        spool.write_row("0:after\n", 0)  # written after: ordered with the rest
        spool.in_line_order()
        spool.file.seek(0)
        assert spool.file.read() == "0:after\n" + expected
    finally:
        spool.close()


def test_rows_written_in_order_are_left_as_written() -> None:
    spool = Spool()
    file = spool.file
    spool.write_row("a\n", 2)
    spool.write_row("b\n", 5)
    spool.in_line_order()
    assert spool.file is file  # nothing copied
    spool.reset()
    spool.write_row("c\n", 9)
    spool.write_row("d\n", 1)
    spool.in_line_order()
    spool.file.seek(0)
    assert spool.file.read() == "d\nc\n"
    spool.close()
