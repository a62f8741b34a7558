"""Visit files: detect, read, check, group, evaluate, price, write, report.

A row travels down these modules in that order. :mod:`.detect` finds the file's format
and CSV delimiter (its encoding: :mod:`unitcalc.core.encodings`). The readers turn a
CSV, JSON Lines or Parquet file into records with their line numbers: :mod:`.read`
record by record (the careful reader), :mod:`.columnar` whole with polars when it can
prove nothing was lost, :mod:`.split` a large plain CSV file in parts. :mod:`.check`
parses each record into the engine's columns (or the reason it cannot be used),
:mod:`.group` gathers patient days, :mod:`.evaluate` counts and audits them (in
columns, and with the scalar engine where a finding is written), and :mod:`.price`
prices them from a fee file. The writers come last: spreadsheet-safe :mod:`.cells`, the
:mod:`.output` file moved into place when the run ends, the :mod:`.spool` of rows, the
:mod:`.findings_table`, the summary in words (:mod:`.texts`), the :mod:`.workbook`,
then :mod:`.write_batch` and :mod:`.write_audit`; :mod:`.report` draws the HTML report.
Each module imports only those before it.
"""

from __future__ import annotations

from ..core.errors import FileProblem
from .evaluate import Group, group_columns, iter_findings, run_groups
from .options import InputFormat, Options
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
