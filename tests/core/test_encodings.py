"""The sources unitcalc reads: their SHA-256, as the run's manifest and the sample's
draw document record it."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from unitcalc.core.encodings import source_sha256

# More than one of the 1 MiB blocks the digest reads at a time.
DATA = b"patient_id,date_of_service,code,minutes\n" + b"P1,2026-01-05,97110,38\n" * 50_000


@pytest.mark.parametrize("data", [b"", b"x", DATA], ids=["empty", "one byte", "blocks"])
def test_a_file_and_its_bytes_give_the_same_digest(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "visits.csv"
    path.write_bytes(data)
    expected = hashlib.sha256(data).hexdigest()
    assert source_sha256(path) == expected
    assert source_sha256(data) == expected


def test_a_named_pipe_has_no_digest(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    assert source_sha256(pipe) is None  # not opened: nobody writes to it
