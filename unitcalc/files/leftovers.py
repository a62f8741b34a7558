"""Temporary data of a run, named for the process that writes it.

A run killed outright (SIGKILL, the machine stopping) cannot clean up: its partition
folder and a half-written report stay. Both are private to the user (a 0700 folder, a
0600 file), and both carry the run's process id in their names, so that the next run
removes those whose process is gone.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
from pathlib import Path


def run_mark() -> str:
    """This run's mark in the names of its temporary data: its process id."""
    return str(os.getpid())


def _running(pid: int) -> bool:
    """True when a process with this id exists (ours or another user's)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: it exists
        return True
    return True


def remove_stale(folder: Path, pattern: re.Pattern[str]) -> list[str]:
    """Remove the entries of ``folder`` whose whole name matches ``pattern`` (its group
    ``pid`` is the process that made them), that belong to this user and whose process
    is gone: a folder with what is in it, or a regular file; never a link. Returns the
    names removed; what cannot be removed stays, silently (the next run tries again)."""
    if os.name != "posix":  # elsewhere os.kill(pid, 0) would end the process
        return []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    removed = []
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if info.st_uid != os.getuid() or _running(int(match["pid"])):
            continue
        with contextlib.suppress(OSError):
            if stat.S_ISDIR(info.st_mode):
                shutil.rmtree(entry.path)
                removed.append(entry.name)
            elif stat.S_ISREG(info.st_mode):
                os.unlink(entry.path)
                removed.append(entry.name)
    return removed
