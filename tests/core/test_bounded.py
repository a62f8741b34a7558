"""Bounds on what is read: the first line past the limit is named, wherever the blocks
happen to break."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from unitcalc.core.bounded import LineRun, copy_bounded, read_bounded


def first_long_line(data: bytes, limit: int) -> int | None:
    """The oracle: the file split into lines at once."""
    for number, line in enumerate(data.split(b"\n"), start=1):
        if len(line) > limit:
            return number
    return None


@given(
    st.lists(st.integers(0, 12), max_size=12),
    st.lists(st.integers(1, 30), min_size=1, max_size=20),
    st.integers(1, 8),
)
def test_the_first_line_past_the_limit_is_found_across_any_blocks(
    lengths: list[int], cuts: list[int], limit: int
) -> None:
    data = b"\n".join(b"x" * n for n in lengths)
    run, found, start = LineRun(limit), None, 0
    for cut in [*cuts, len(data)]:
        block, start = data[start : start + cut], start + cut
        if block and found is None:
            found = run.feed(block)
        if start >= len(data):
            break
    assert found == first_long_line(data, limit)


class Refused(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def test_a_side_file_past_its_size_is_refused_naming_it() -> None:
    with pytest.raises(Refused, match=r"^fees\.csv holds more than 10 bytes; give a fee CSV$"):
        read_bounded(
            io.BytesIO(b"a\nb\nc\nd\ne\nf\n"),
            display="fees.csv",
            max_bytes=10,
            what="a fee CSV",
            problem=Refused,
        )


def test_a_line_without_end_is_refused_naming_its_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("unitcalc.core.bounded.MAX_LINE_BYTES", 4)
    with pytest.raises(Refused) as caught:
        copy_bounded(io.BytesIO(b"ab\ncd\n" + b"\0" * 100), display="<stdin>", problem=Refused)
    assert caught.value.line == 3
    assert str(caught.value).startswith("<stdin>, line 3: a line longer than 4 bytes")


def test_a_copy_reads_as_the_stream_was() -> None:
    copy, path = copy_bounded(io.BytesIO(b"a,b\n1,2\n"), display="<stdin>", problem=Refused)
    with copy:
        assert path.read_bytes() == b"a,b\n1,2\n"
        assert path.is_file()
