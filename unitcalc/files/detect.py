"""Detecting how a visit file is written, before it is read: its format (CSV, JSON
Lines or Parquet, from the name unless given) and a CSV file's delimiter (comma,
semicolon, tab or bar, read by :class:`csv.Sniffer` from its first lines). The encoding
is detected in :mod:`unitcalc.core.encodings`.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ..core.encodings import SAMPLE_BYTES, Source, open_source
from .options import InputFormat

DELIMITERS = ",;\t|"


def detect_delimiter(source: Source, encoding: str) -> str:
    r"""The CSV delimiter of a file, read by :class:`csv.Sniffer` from its first lines:
    one of comma, semicolon, tab or bar; a comma when the lines do not show one.

    >>> detect_delimiter(b"patient_id;date_of_service;code;minutes\nP1;2026-03-02;97110;38\n",
    ...                  "utf-8")
    ';'
    """
    with open_source(source) as handle:
        sample = handle.read(SAMPLE_BYTES)
    text = sample.decode(encoding, errors="replace").lstrip("\ufeff")
    lines = text.splitlines()[:20]
    if len(lines) > 1 and not text.endswith(("\n", "\r")) and len(sample) == SAMPLE_BYTES:
        lines = lines[:-1]  # cut by the sample
    header = lines[0] if lines else ""
    if "," in header and not any(mark in header for mark in DELIMITERS[1:]):
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        # Rows the sniffer finds uneven (a ragged row): the header's delimiter, if any.
        counts = {mark: header.count(mark) for mark in DELIMITERS}
        best = max(counts, key=lambda mark: counts[mark])
        return best if counts[best] else ","


def detect_format(path: Path, given: InputFormat | None) -> InputFormat:
    """The input's format: as given, else from the file name's suffix (CSV otherwise)."""
    if given is not None:
        return given
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return "parquet"
    return "jsonl" if suffix in {".jsonl", ".ndjson", ".json"} else "csv"
