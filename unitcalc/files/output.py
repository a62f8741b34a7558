"""The output file, written safely: refused before any work when it cannot be written
or is the input, and written to a temporary file beside the destination that is moved
into place at the end, so an interrupted run never leaves a half-written report under
the final name (a copy a killed run left is removed by the next run).
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ..core.errors import OutputProblem
from .leftovers import remove_stale, run_mark


def check_output(
    path: Path | None,
    *,
    input_path: Path | None = None,
    stdin: bool = False,
    option: str = "--output",
) -> Path | None:
    """Refuse, before any work, an output that cannot be written or that is the input
    (``stdin``: the input is standard input, compared by the file behind it). ``-``
    means standard output (None)."""
    if path is None or str(path) == "-":
        return None
    if stdin and path.exists():
        same = False
        with contextlib.suppress(OSError, ValueError):  # no file behind standard input
            given, output = os.fstat(sys.stdin.fileno()), os.stat(path)
            same = stat.S_ISREG(output.st_mode) and (given.st_dev, given.st_ino) == (
                output.st_dev,
                output.st_ino,
            )
        if same:
            raise OutputProblem(
                f"{option} {path} is the file on standard input; unitcalc never overwrites "
                "its input"
            )
    if path.is_dir():
        raise OutputProblem(f"{option} {path} is a folder; name a file")
    folder = path.resolve().parent
    if not folder.is_dir():
        raise OutputProblem(f"{option} {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise OutputProblem(f"{option} {path}: the folder {folder} cannot be written")
    same = input_path is not None and path.exists() and input_path.exists()
    if same and input_path is not None and os.path.samefile(path, input_path):
        raise OutputProblem(
            f"{option} {path} is the input file; unitcalc never overwrites its input"
        )
    return path


_PARTIAL = r"(?P<pid>[0-9]+)\.[a-z0-9_]+\.partial"
"""The rest of a half-written output's name: the run's process, a random part."""


@contextlib.contextmanager
def atomic_output(path: Path | None, *, bom: bool = False) -> Iterator[IO[str]]:
    """A text stream that becomes ``path`` only when the block ends without error;
    standard output when ``path`` is None. ``bom``: UTF-8 with a byte-order mark, which
    Excel needs to read a CSV file as UTF-8."""
    encoding = "utf-8-sig" if bom else "utf-8"
    if path is None:
        if bom:
            sys.stdout.write("\ufeff")
        yield sys.stdout
        sys.stdout.flush()
        return
    if path.exists() and not stat.S_ISREG(os.stat(path).st_mode):
        # A device, a pipe or a terminal (/dev/null, /dev/stdout): written through, never
        # replaced by a file.
        with path.open("w", encoding=encoding, newline="") as through:
            yield through
        return
    # A symbolic link is followed: the file it points to is written, the link stays.
    path = path.resolve()
    mode = stat.S_IMODE(os.stat(path).st_mode) if path.exists() else None
    folder = path.parent
    # A half-written copy a killed run left beside the output: removed, then made anew.
    remove_stale(folder, re.compile(re.escape(f".{path.name}.") + _PARTIAL))
    # Not a with-block: the file must outlive its handle to be moved into place.
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115
        "w",
        encoding=encoding,
        newline="",
        dir=folder,
        prefix=f".{path.name}.{run_mark()}.",
        suffix=".partial",
        delete=False,
    )
    try:
        with handle:
            yield handle
        # A temporary file is private (0600): a report written anew gets the usual
        # permissions, one rewritten keeps its own.
        if mode is None:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(handle.name, mode)
        os.replace(handle.name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(handle.name)
        raise
