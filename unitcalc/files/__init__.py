"""Visit files: detect, read, check, group, settle, word, evaluate, price, write, report.

A row travels down these modules in that order; each imports only those before it.

- Reading. :mod:`.options` holds how a file is read, counted and what to produce.
  :mod:`.detect` finds the file's format and CSV delimiter (its encoding:
  :mod:`unitcalc.core.encodings`). The readers turn a CSV, JSON Lines or Parquet file
  into records with their line numbers: :mod:`.read` record by record (the careful
  reader), :mod:`.columnar` whole with polars when it can prove nothing was lost,
  :mod:`.split` a large plain CSV file in parts (:mod:`.leftovers` clears the parts a
  killed run left). :mod:`.check` finds which column plays which role and parses each
  record into the engine's columns (or the reason it cannot be used); :mod:`.load` is a
  file read and checked.
- Counting. :mod:`.group` gathers patient days; :mod:`.months` takes the rows of
  remote therapeutic monitoring to their patients' months and counts those in columns
  (:mod:`unitcalc.engine.monthly`). :mod:`.settle` counts and audits every
  group in columns, calling each step of the one-visit engine's columnar form in the
  engine's order (the payer terms as frames: :mod:`.terms`); :mod:`.word` words the
  findings of the groups settled so; :mod:`.evaluate` hands the groups the columns
  cannot count to the one-visit engine; :mod:`.summary` adds the run up; :mod:`.run`
  drives a whole file (or its parts, two settled ahead in other threads) through them,
  in file order.
- Pricing. :mod:`.price` prices the groups from a fee file and accrues the KX threshold.
- Sampling. :mod:`.sample` makes a frame of a file's units (its audit groups) and a
  reproducible random draw, stratified by :mod:`.strata`; :mod:`.sample_write` writes
  the frame, the draw and the sample's rows; :mod:`.review` reads a reviewed sample
  back for the extrapolation (:mod:`unitcalc.payment.estimate`).
- Writing. Spreadsheet-safe :mod:`.cells`, the :mod:`.output` file moved into place when
  the run ends, the :mod:`.spool` of rows, the :mod:`.findings_table`, the summary in
  words (:mod:`.texts`), the :mod:`.workbook`, then :mod:`.write_batch` and
  :mod:`.write_audit`; :mod:`.report` draws the HTML report.
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
