"""Text encodings of the files unitcalc reads: visit files and side files (fees, MUE
tables, starting amounts) alike.

A byte-order mark says the encoding; bytes that are valid UTF-8 are UTF-8; anything else
is guessed from a sample by charset-normalizer (loaded only then). An encoding the user
names is checked to be a text encoding.
"""

from __future__ import annotations

import codecs
import io
from pathlib import Path
from typing import IO

from .errors import FileProblem, Mention, message_of

Source = Path | bytes
"""A file to read: its path, or its bytes (standard input, a pipe), read once."""


def open_source(source: Source) -> IO[bytes]:
    """A binary stream over the source."""
    return source.open("rb") if isinstance(source, Path) else io.BytesIO(source)


_NOT_FOR_FILES = frozenset(
    {"idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape"}
)
"""Codecs Python counts as text encodings that are made for other things (host names,
Python literals) and cannot read a file line by line."""


def text_encoding(encoding: str, *, display: str) -> str:
    """The codec's name, when ``encoding`` is a text encoding (not rot13, hex, zlib...)."""
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        raise FileProblem(
            f"unknown encoding {encoding!r}; give a text encoding such as utf-8, cp1252 or utf-16",
            path=display,
            argument="encoding",
        ) from None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_FOR_FILES:
        what = (
            "is not an encoding text files are saved in (it is for host names or Python literals)"
            if info.name in _NOT_FOR_FILES
            else "is not a text encoding"
        )
        raise FileProblem(
            message_of(
                Mention("encoding", encoding, owner="Options", given=True),
                f" {what}; give one such as utf-8, cp1252 or utf-16",
            ),
            path=display,
            argument="encoding",
        )
    return info.name


SAMPLE_BYTES = 1 << 16
"""How much of a file the encoding and delimiter are detected from."""


def marked_encoding(head: bytes) -> str | None:
    """The encoding a byte-order mark at the start of ``head`` says, if any.

    >>> marked_encoding(b"\\xff\\xfe\\x00\\x00c"), marked_encoding(b"\\xff\\xfec")
    ('utf-32', 'utf-16')
    >>> marked_encoding(b"code")
    """
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"  # before UTF-16: UTF-32's little-endian mark begins like it
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8"
    return None


def _holds_utf8(sample: bytes) -> bool:
    """Whether ``sample`` holds characters written as UTF-8's multi-byte sequences."""
    text = sample.decode("utf-8", errors="replace")
    return any(character > "\x7f" and character != "\ufffd" for character in text)


def detect_encoding(source: Source) -> tuple[str, bool]:
    r"""The text encoding of a file and whether it was guessed: a byte-order mark says
    it; bytes that are valid UTF-8 are UTF-8, and so are bytes holding UTF-8 characters
    beside a stray byte (which the UTF-8 reader then names); anything else is guessed by
    charset-normalizer from the first :data:`SAMPLE_BYTES`.

    >>> detect_encoding("Name,Müller\n".encode("cp1252"))
    ('cp1252', True)
    >>> detect_encoding(b"\xef\xbb\xbfcode,minutes\n")
    ('utf-8', False)
    """
    with open_source(source) as handle:
        sample = handle.read(SAMPLE_BYTES)
        more = bool(handle.read(1))
    marked = marked_encoding(sample)
    if marked is not None:
        return marked, False
    try:
        sample.decode("utf-8")
        return "utf-8", False
    except UnicodeDecodeError as exc:
        if more and exc.start >= len(sample) - 3:
            return "utf-8", False  # a character cut at the end of the sample
    if _holds_utf8(sample):
        # UTF-8 text with a stray byte: read as UTF-8, whose reader names the byte's line
        # and the fix, rather than every accented value turned into another one.
        return "utf-8", False
    from charset_normalizer import from_bytes

    # The encodings visit exports are saved in; an open guess over every codec can
    # read Western text as e.g. Cyrillic.
    best = from_bytes(
        sample, cp_isolation=["cp1252", "latin_1", "utf_16", "mac_roman", "cp850", "cp437"]
    ).best()
    if best is None:
        return "cp1252", True
    name = codecs.lookup(best.encoding).name
    return ("cp1252" if name in {"iso8859-1", "latin-1"} else name), True
