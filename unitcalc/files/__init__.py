"""Visit files: read, check, group, evaluate, write.

A row travels down these modules in that order: :mod:`.read` turns a CSV, JSON Lines
or Parquet file into records with their line numbers, :mod:`.check` parses each into
the engine's columns (or the reason it cannot be used), :mod:`.group` gathers patient
days, :mod:`.evaluate` counts and audits them (in columns, and with the scalar engine
where a finding is written), and :mod:`.write` writes the results. Each module imports
only those before it.
"""

from __future__ import annotations

from ..core.errors import FileProblem
from .evaluate import Group
from .options import InputFormat, Options
from .run import group_columns, iter_findings, run_groups
from .summary import Summary

__all__ = [
    "FileProblem",
    "Group",
    "InputFormat",
    "Options",
    "Summary",
    "group_columns",
    "iter_findings",
    "run_groups",
]
