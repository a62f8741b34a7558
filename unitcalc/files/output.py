"""The output file, written safely: refused before any work when it cannot be written
or is the input, and written to a temporary file beside the destination that is moved
into place at the end, so an interrupted run never leaves a half-written report under
the final name (a copy a killed run left is removed by the next run).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import signal
import stat
import sys
import tempfile
import threading
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
    (``stdin``: the input is standard input, compared by the file behind it), or that the
    user could not overwrite with ``>`` (a read-only file). ``-`` means standard output
    (None); ``/dev/stdout``, ``/dev/fd/N`` are written through their descriptors."""
    if path is None or str(path) == "-":
        return None
    if descriptor_of(path) is not None:
        return path
    try:
        path.resolve(strict=False)
        path.exists()
    except (OSError, RuntimeError) as exc:
        raise OutputProblem(f"{option} {path}: {_why(exc)}") from None
    if stdin and path.exists():
        _not_standard_input(path, option)
    if path.is_dir():
        raise OutputProblem(f"{option} {path} is a folder; name a file")
    folder = path.resolve().parent
    if not folder.is_dir():
        raise OutputProblem(f"{option} {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise OutputProblem(f"{option} {path}: the folder {folder} cannot be written")
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputProblem(
            f"{option} {path} is read-only: unitcalc does not replace a file you could not "
            "overwrite yourself; make it writable, or name another file"
        )
    same = input_path is not None and path.exists() and input_path.exists()
    if same and input_path is not None and os.path.samefile(path, input_path):
        raise OutputProblem(
            f"{option} {path} is the input file; unitcalc never overwrites its input"
        )
    return path


def _not_standard_input(path: Path, option: str) -> None:
    """Refuse the file on standard input as the output."""
    same = False
    with contextlib.suppress(OSError, ValueError):  # no file behind standard input
        given, output = os.fstat(sys.stdin.fileno()), os.stat(path)
        same = stat.S_ISREG(output.st_mode) and (given.st_dev, given.st_ino) == (
            output.st_dev,
            output.st_ino,
        )
    if same:
        raise OutputProblem(
            f"{option} {path} is the file on standard input; unitcalc never overwrites its input"
        )


def _why(exc: BaseException) -> str:
    """A path's problem in words: a symbolic link loop, or the system's reason."""
    if isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP:
        return "a symbolic link loop (the link points back to itself)"
    return str(getattr(exc, "strerror", None) or exc)


_DESCRIPTOR = re.compile(
    r"^/(?:dev/(?:std(?P<std>out|err)|fd/(?P<fd>[0-9]+))|proc/self/fd/(?P<proc>[0-9]+))$"
)


def descriptor_of(path: Path) -> int | None:
    """The open descriptor a path names (``/dev/stdout``, ``/dev/fd/3``), if it names
    one: written through it, never reopened (which would truncate a file opened for
    append) nor replaced.

    >>> descriptor_of(Path("/dev/stdout")), descriptor_of(Path("/dev/fd/3"))
    (1, 3)
    >>> descriptor_of(Path("out.csv"))
    """
    found = _DESCRIPTOR.match(str(path))
    if found is None:
        return None
    if found.group("std"):
        return 1 if found.group("std") == "out" else 2
    return int(found.group("fd") or found.group("proc"))


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
    descriptor = descriptor_of(path)
    if descriptor is not None:
        sys.stdout.flush()
        with os.fdopen(os.dup(descriptor), "w", encoding=encoding, newline="") as through:
            yield through
        return
    if path.exists() and not stat.S_ISREG(os.stat(path).st_mode):
        # A device, a pipe or a terminal (/dev/null): written through, never replaced by
        # a file.
        with path.open("w", encoding=encoding, newline="") as through:
            yield through
        return
    # A symbolic link is followed: the file it points to is written, the link stays.
    path = path.resolve()
    before = os.stat(path) if path.exists() else None
    mode = stat.S_IMODE(before.st_mode) if before is not None else None
    folder = path.parent
    # A half-written copy a killed run left beside the output: removed, then made anew.
    remove_stale(folder, re.compile(re.escape(f".{path.name}.") + _PARTIAL))
    # Not a with-block: the file must outlive its handle to be moved into place. Signals
    # that end the run wait until the file is made and its removal is in place.
    held = _hold_signals()
    handle = None
    try:
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115
            "w",
            encoding=encoding,
            newline="",
            dir=folder,
            prefix=f".{path.name}.{run_mark()}.",
            suffix=".partial",
            delete=False,
        )
        _release_signals(held)
        held = None
        with handle:
            yield handle
        # A temporary file is private (0600): a report written anew gets the usual
        # permissions, one rewritten keeps its own.
        if mode is None:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(handle.name, mode)
        _into_place(Path(handle.name), path, before)
    except BaseException:
        if handle is not None:
            with contextlib.suppress(OSError):
                os.unlink(handle.name)
        raise
    finally:
        _release_signals(held)


_ENDING = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
"""The signals that end a run (Ctrl-C, kill, a closed terminal)."""


def _hold_signals() -> set[int | signal.Signals] | None:
    """Blocks the signals that end a run, in the main thread where Python handles them;
    the signals blocked before, to restore (None: nothing was blocked)."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not (
        threading.main_thread()
    ):
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, _ENDING)


def _release_signals(held: set[int | signal.Signals] | None) -> None:
    """Restores the signal mask :func:`_hold_signals` changed: a signal that came
    meanwhile is handled now."""
    if held is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _into_place(written: Path, path: Path, before: os.stat_result | None) -> None:
    """Move the finished file into place, keeping what the file it replaces had: its
    owner, and its other hard links (then its content is rewritten in place)."""
    try:
        if before is not None and before.st_nlink > 1:
            with written.open("rb") as source, path.open("r+b") as target:
                target.truncate(0)
                shutil.copyfileobj(source, target)
            written.unlink()
            return
        if before is not None and (before.st_uid, before.st_gid) != (os.getuid(), os.getgid()):
            with contextlib.suppress(OSError):  # only the owner's and root's to change
                os.chown(written, before.st_uid, before.st_gid)
        os.replace(written, path)
    except OSError as exc:
        raise OutputProblem(f"{path} cannot be written: {_why(exc)}") from None
