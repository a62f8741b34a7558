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
from typing import IO, Any

from .errors import FileProblem, Mention, message_of

Source = Path | bytes
"""A file to read: its path, or its bytes (standard input, a pipe), read once."""


def open_source(source: Source) -> IO[bytes]:
    """A binary stream over the source."""
    return source.open("rb") if isinstance(source, Path) else io.BytesIO(source)


def source_sha256(source: Source) -> str | None:
    """The source's SHA-256 (hex); None for a path that is no regular file: a named
    pipe was read once and is gone."""
    import hashlib

    if isinstance(source, Path) and not source.is_file():
        return None
    digest = hashlib.sha256()
    with open_source(source) as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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


FILE_KINDS: tuple[tuple[bytes, str, str], ...] = (
    (b"PAR1", "a Parquet file", "parquet"),
    (
        b"PK\x03\x04",
        "a zip archive (an Excel .xlsx workbook is one)",
        "unzip it, or save the sheet as CSV",
    ),
    (b"PK\x05\x06", "an empty zip archive", "is this the file you meant?"),
    (b"\x1f\x8b", "gzip-compressed", "decompress it first (gunzip)"),
    (b"BZh", "bzip2-compressed", "decompress it first (bunzip2)"),
    (b"\xfd7zXZ\x00", "xz-compressed", "decompress it first (unxz)"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed", "decompress it first (unzstd)"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", "is this the file you meant?"),
    (b"\xff\xd8\xff", "a JPEG image", "is this the file you meant?"),
    (b"GIF8", "a GIF image", "is this the file you meant?"),
    (b"%PDF-", "a PDF document", "give the data as CSV"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "an older Excel workbook (.xls)",
        "save the sheet as CSV",
    ),
    (b"SQLite format 3\x00", "an SQLite database", "export the table as CSV"),
)
"""What a file's first bytes say it is, when it is no text, and the fix (``parquet``: read
it as Parquet)."""


def file_kind(head: bytes) -> tuple[str, str] | None:
    r"""What a file that is no text file is, by its first bytes, and the fix; None for
    anything else.

    >>> file_kind(b"\x1f\x8b\x08\x00"), file_kind(b"patient_id,code")
    (('gzip-compressed', 'decompress it first (gunzip)'), None)
    """
    for magic, what, fix in FILE_KINDS:
        if head.startswith(magic) and (magic != b"BZh" or head[4:10] == b"1AY&SY"):
            return what, fix
    return None


def unmarked_wide(head: bytes) -> str | None:
    r"""The encoding of text saved as UTF-16 or UTF-32 without a byte-order mark, told by
    where its zero bytes fall (every other byte, or three of four, for Latin text); None
    for anything else.

    >>> unmarked_wide("code,minutes\n".encode("utf-16-le")), unmarked_wide(b"code,minutes")
    ('utf-16-le', None)
    """
    size = min(len(head), 4096) // 4 * 4
    if size < 8 or b"\x00" not in head[:size]:
        return None
    share = [head[i:size:4].count(0) / (size // 4) for i in range(4)]

    def zero(*places: int) -> bool:
        return all(share[i] > 0.9 for i in places)

    def some(*places: int) -> bool:
        return all(share[i] < 0.1 for i in places)

    for encoding, zeros, others in (
        ("utf-32-le", (1, 2, 3), (0,)),
        ("utf-32-be", (0, 1, 2), (3,)),
        ("utf-16-le", (1, 3), (0, 2)),
        ("utf-16-be", (0, 2), (1, 3)),
    ):
        if zero(*zeros) and some(*others):
            return encoding
    return None


def not_text(head: bytes, *, display: str, given_encoding: bool, side: bool = False) -> Any:
    """Why a file cannot be read as text, from its first bytes (what it is and the fix,
    or the encoding it was saved in without saying so, unless one was given), as a
    message for :class:`.errors.UnitcalcError`; None when it may be text. ``side``: a
    side file (fees, MUE table), which is CSV only."""
    kind = file_kind(head)
    if kind is not None:
        what, fix = kind
        said = f"{display} is {what}, not a text file; "
        if fix != "parquet":
            return message_of(said, fix)
        if side:
            return message_of(said, "save it as CSV")
        return message_of(
            said,
            "give ",
            Mention("input_format", "parquet", owner="Options"),
            " or name it .parquet",
        )
    wide = None if given_encoding or marked_encoding(head) else unmarked_wide(head)
    if wide is None:
        return None
    said = f"{display} looks like {wide.upper()} text saved without a byte-order mark; "
    if side:
        return message_of(said, "save it as UTF-8")
    return message_of(said, "give ", Mention("encoding", wide, owner="Options"))
