"""The one reader of side files (fee files, the MUE table, starting amounts): encodings as
visit files find them, rows with their lines, and errors that name the file, the line
and the fix."""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

import pytest

from unitcalc.core.errors import FeeFileError, FileProblem, MueTableError
from unitcalc.core.sidefiles import SideRow, read_side_file, split_rows

TEXT = "code,amount,note\r\n97110,30.00,Café\r\n"
ROWS = (SideRow(1, ("code", "amount", "note")), SideRow(2, ("97110", "30.00", "Café")))


@pytest.mark.parametrize(
    ("data", "encoding", "guessed"),
    [
        (TEXT.encode("utf-8"), "utf-8", False),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8", False),
        # Excel's "Unicode text": UTF-16, little-endian, with a byte-order mark.
        (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "utf-16", False),
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16", False),
        ((TEXT + "97140,28.00,crème brûlée\r\n").encode("cp1252"), "cp1252", True),
    ],
    ids=["utf8", "utf8-bom", "utf16-le-bom", "utf16-be-bom", "cp1252"],
)
def test_the_encoding_is_found_as_a_visit_files_is(
    tmp_path: Path, data: bytes, encoding: str, guessed: bool
) -> None:
    path = tmp_path / "side.csv"
    path.write_bytes(data)
    side = read_side_file(path, display="side.csv")
    assert (side.path, side.encoding, side.guessed) == ("side.csv", encoding, guessed)
    assert side.rows[:2] == ROWS  # no byte-order mark left in the first cell
    assert read_side_file(data, display="side.csv") == side  # the bytes read alike


def test_a_byte_the_encoding_cannot_decode_names_the_file_and_line() -> None:
    # UTF-16 by its byte-order mark, then half a surrogate pair on line 3.
    data = "code,amount\n97110,30\n".encode("utf-16") + b"\x00\xd8A\x00"
    with pytest.raises(FileProblem) as caught:
        read_side_file(data, display="fees.csv")
    assert str(caught.value) == (
        "fees.csv, line 3: byte 0x00 cannot be decoded as utf-16; save the file as CSV UTF-8"
    )
    assert (caught.value.path, caught.value.line) == ("fees.csv", 3)


@pytest.mark.parametrize("mark", [b"", codecs.BOM_UTF8], ids=["no-bom", "bom"])
def test_a_bad_byte_past_the_sample_the_encoding_was_found_from(mark: bytes) -> None:
    # The first 64 KiB are UTF-8: the byte that is not is named by its line.
    data = mark + b"code,amount\n" + b"97110,30.00\n" * 6000 + b"97140,caf\xe9\n"
    with pytest.raises(FeeFileError, match=r"^fees.csv, line 6002: byte 0xe9 cannot be") as caught:
        read_side_file(data, display="fees.csv", problem=FeeFileError)
    assert caught.value.line == 6002


def test_a_bad_byte_in_a_guessed_encoding_says_it_was_guessed() -> None:
    # Latin text is guessed cp1252, where 0x81 is no character.
    data = ("Name,Note\n" + "Müller,Café crème brûlée\n" * 5).encode("cp1252") + b"x,\x81\n"
    with pytest.raises(FileProblem) as caught:
        read_side_file(data, display="start.csv")
    assert str(caught.value) == (
        "start.csv, line 7: byte 0x81 cannot be decoded as cp1252 (the encoding its bytes "
        "suggest); save the file as CSV UTF-8"
    )


def test_a_quote_never_closed_names_the_line_it_opened_on() -> None:
    text = 'code,amount,note\n97110,30.00,"opened\n97140,28.00,x\n'
    with pytest.raises(MueTableError) as caught:
        split_rows(text, display="mue.csv", problem=MueTableError)
    assert str(caught.value) == (
        "mue.csv, line 2: a quote opened on this line is never closed: the file ends inside "
        "it; close the quote or remove it"
    )
    assert caught.value.line == 2
    # Without a last line break, too.
    with pytest.raises(FileProblem, match="line 2: a quote opened on this line"):
        split_rows('code,note\n97110,"opened', display="f.csv")


@pytest.mark.parametrize(
    "text",
    ['code,note\n97110,"closed"', 'code,note\n97110,"two\nlines"\n', 'code,note\n97110,"x\n"'],
    ids=["no-last-line-break", "quoted-line-break", "closed-after-a-line-break"],
)
def test_a_closed_quote_at_the_end_is_read(text: str) -> None:
    assert split_rows(text, display="f.csv")[1].line == 2


def test_a_runaway_quote_past_the_field_limit() -> None:
    text = 'code,note\n97110,"opened\n' + "97140,x\n" * (csv.field_size_limit() // 8 + 1)
    with pytest.raises(FileProblem) as caught:
        split_rows(text, display="f.csv")
    assert str(caught.value).startswith(
        "f.csv, line 2: a field from this line is longer than 131072 characters: a quote "
        "opened on it is probably never closed"
    )


def test_rows_keep_the_line_they_start_on() -> None:
    # A quoted line break, a blank line and old Mac line ends (a lone CR) all count.
    text = 'a,b\n1,"two\nlines"\n\n3,x\r4,y\r\n'
    rows = split_rows(text, display="f.csv")
    assert [row.line for row in rows] == [1, 2, 4, 5, 6]
    assert rows[2] == SideRow(4, ())
    assert rows[3].cell(1) == "x"
    assert rows[3].cell(5) == ""


def test_strip_and_an_empty_file() -> None:
    rows = split_rows(" code , amount \n 97110 ,30\n", display="f.csv", strip=True)
    assert rows == (SideRow(1, ("code", "amount")), SideRow(2, ("97110", "30")))
    assert read_side_file(b"", display="f.csv").rows == ()


def test_a_file_that_cannot_be_opened_is_left_to_the_caller(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_side_file(tmp_path / "missing.csv", display="missing.csv")


def test_a_quote_never_closed_is_found_in_stripped_cells_too() -> None:
    with pytest.raises(FileProblem, match="line 2: a quote opened on this line"):
        split_rows('code,note\n97110,"opened\n97140,x\n', display="f.csv", strip=True)


def test_a_utf32_side_file_is_read_by_its_byte_order_mark() -> None:
    side = read_side_file("code,amount\n97110,30.00\n".encode("utf-32"), display="f.csv")
    assert (side.encoding, side.guessed) == ("utf-32", False)
    assert side.rows[1].cells == ("97110", "30.00")
