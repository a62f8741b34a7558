"""A file audited split into parts and whole, for the tests that hold the two equal."""

from __future__ import annotations

from pathlib import Path

from unitcalc.files import Options, run_groups
from unitcalc.files.summary import Summary


def split_and_whole(path: Path) -> tuple[Summary, Summary, int]:
    """The audit of ``path`` split into parts of 2 KB (whole patients each) and of the
    file whole: both summaries, and how many parts the split made."""
    options = Options(need_billed=True, only_findings=True)
    parts: list[int] = []
    split = run_groups(
        path,
        options,
        lambda group: None,
        partition_bytes=2048,
        on_progress=lambda done, count, *_: parts.append(count),
    )
    whole = run_groups(path, options, lambda group: None)
    return split, whole, parts[0] if parts else 0
