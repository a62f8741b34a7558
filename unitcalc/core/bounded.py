"""Bounds on what is read: no line of any file longer than :data:`MAX_LINE_BYTES`, and
no side file larger than its own limit, so that ``/dev/zero`` or a multi-gigabyte file
of one line given by mistake is refused with its line named, before it fills memory.

Every file unitcalc reads passes one of these: visit files line by line (the careful
reader and the columnar reader's first pass, :class:`LineRun`), standard input and pipes
as they are copied to an unnamed temporary file (:func:`copy_bounded`), and side files,
``calc --input`` and TOML files as they are read whole (:func:`read_bounded`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

MAX_LINE_BYTES = 8 << 20
"""Longest line read, in bytes (8 MiB): thousands of times a claim line's length, so a
line longer than this is a file given by mistake (a device, an image, a dump)."""

BLOCK_BYTES = 1 << 20
"""Bytes read at a time while copying or reading whole."""

Problem = Callable[[str, int | None], Exception]
"""Builds the error to raise from a message and the line it names (None: the file)."""


class LineRun:
    """The length of the line being read, block by block: :meth:`feed` says the number
    of the first line longer than ``limit`` bytes, None while every line fits."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = MAX_LINE_BYTES if limit is None else limit
        self.run = 0
        """Bytes of the current line read so far."""
        self.lines = 0
        """Line breaks read so far."""

    def feed(self, block: bytes) -> int | None:
        first = block.find(b"\n")
        if first < 0:
            self.run += len(block)
            return self.lines + 1 if self.run > self.limit else None
        if self.run + first > self.limit:
            return self.lines + 1
        if len(block) > self.limit:  # a whole line may lie within the block: look at each
            line, start = self.lines + 2, first + 1
            while (end := block.find(b"\n", start)) >= 0:
                if end - start > self.limit:
                    return line
                line, start = line + 1, end + 1
        self.lines += block.count(b"\n")
        self.run = len(block) - block.rfind(b"\n") - 1
        return self.lines + 1 if self.run > self.limit else None


def too_long(display: str, line: int, limit: int | None = None) -> str:
    """The message for a line past the limit.

    >>> too_long("v.csv", 3)
    'v.csv, line 3: a line longer than 8,388,608 bytes (8 MiB); is this the file you meant? ...'
    """
    limit = MAX_LINE_BYTES if limit is None else limit
    mib = f" ({limit / (1 << 20):g} MiB)" if limit >= 1 << 20 else ""
    return (
        f"{display}, line {line}: a line longer than {limit:,} bytes{mib}; is this the file "
        "you meant? (no line of a visit, fee or code file is near that long)"
    )


def read_bounded(
    stream: IO[bytes], *, display: str, max_bytes: int, what: str, problem: Problem
) -> bytes:
    """All of ``stream``, refused (``problem``) past ``max_bytes`` or when a line is longer
    than :data:`MAX_LINE_BYTES`; ``what`` says what the file should be."""
    blocks: list[bytes] = []
    size = 0
    run = LineRun()
    for block in iter(lambda: stream.read(BLOCK_BYTES), b""):
        size += len(block)
        if size > max_bytes:
            raise problem(f"{display} holds more than {max_bytes:,} bytes; give {what}", None)
        line = run.feed(block)
        if line is not None:
            raise problem(too_long(display, line, run.limit), line)
        blocks.append(block)
    return b"".join(blocks)


def copy_bounded(stream: IO[bytes], *, display: str, problem: Problem) -> tuple[IO[bytes], Path]:
    """Standard input or a pipe copied to an unnamed temporary file, line lengths checked
    on the way: the open file (close it to free the copy) and a path that reads it.

    The file has no name on disk (``O_TMPFILE`` on Linux, where ``/proc/self/fd`` names
    it): it is gone when the process ends, however the run ends."""
    copy = tempfile.TemporaryFile()  # noqa: SIM115  # closed by the caller
    try:
        run = LineRun()
        for block in iter(lambda: stream.read(BLOCK_BYTES), b""):
            line = run.feed(block)
            if line is not None:
                raise problem(too_long(display, line, run.limit), line)
            copy.write(block)
        copy.flush()
        copy.seek(0)
    except BaseException:
        copy.close()
        raise
    return copy, descriptor_path(copy)


def descriptor_path(handle: IO[bytes]) -> Path:
    """A path that opens the file behind ``handle`` again from its start."""
    proc = Path(f"/proc/self/fd/{handle.fileno()}")
    return proc if proc.exists() else Path(f"/dev/fd/{handle.fileno()}")
