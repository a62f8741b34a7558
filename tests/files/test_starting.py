"""The KX starting amounts file (``--kx-start``): read as every side file is (the
encoding from a byte-order mark, valid UTF-8, or guessed), its errors naming the file and
the physical line."""

from __future__ import annotations

import codecs
from decimal import Decimal
from pathlib import Path

import pytest

from unitcalc.core.errors import FeeFileError
from unitcalc.files.starting import load_starting

TEXT = "Patient_ID , Year,PT_SLP,OT,note\r\nMüller,2025,1250.00,,\r\nP2,2025,,300,\r\n"
WANTED = {("Müller", 2025, "PT/SLP"): Decimal("1250.00"), ("P2", 2025, "OT"): Decimal("300")}


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        TEXT.encode("utf-16"),  # Excel's "Unicode text": UTF-16 with a byte-order mark
        TEXT.encode("cp1252"),
    ],
    ids=["utf8", "utf8-bom", "utf16-bom", "cp1252"],
)
def test_a_starting_file_in_any_encoding_excel_saves(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "start.csv"
    path.write_bytes(data)
    assert load_starting(path) == WANTED


def test_lines_are_the_files_own_past_blank_lines_and_quoted_breaks(tmp_path: Path) -> None:
    path = tmp_path / "start.csv"
    path.write_text('patient_id,year,pt_slp,ot,note\n\nP1,2025,10,,"two\nlines"\nP2,20x5,,,\n')
    with pytest.raises(FeeFileError, match=r"start.csv, line 5: year '20x5' is not a year") as e:
        load_starting(path)
    assert e.value.line == 5


def test_a_short_row_has_empty_cells_and_a_long_one_is_read_to_its_header(
    tmp_path: Path,
) -> None:
    path = tmp_path / "start.csv"
    path.write_text("patient_id,year,pt_slp,ot\nP1,2025,10\nP2,2025,,20,extra\n")
    assert load_starting(path) == {
        ("P1", 2025, "PT/SLP"): Decimal("10"),
        ("P2", 2025, "OT"): Decimal("20"),
    }


def test_a_byte_that_cannot_be_read_and_a_quote_never_closed(tmp_path: Path) -> None:
    path = tmp_path / "start.csv"
    path.write_bytes("patient_id,year,pt_slp,ot\n".encode("utf-16") + b"\x00\xd8A\x00")
    with pytest.raises(FeeFileError, match=r"line 2: byte 0x00 cannot be decoded as utf-16"):
        load_starting(path)
    path.write_text('patient_id,year,pt_slp,ot\nP1,2025,"10,\nP2,2025,20,\n')
    with pytest.raises(FeeFileError, match=r"line 2: a quote opened on this line is never"):
        load_starting(path)


def test_an_empty_file_names_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "start.csv"
    path.write_text("")
    with pytest.raises(FeeFileError, match="patient_id, pt_slp, year missing"):
        load_starting(path)
