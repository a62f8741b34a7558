"""The file audit and batch count on Apache Spark, where claim lines too many for one
machine are kept (``pip install 'unitcalc[spark]'``, pyspark 4).

There is no second implementation of the rules here. A row travels down these modules
in this order: :mod:`.session` starts Spark once pyspark, pyarrow, pandas and Java are
at hand; :mod:`.lines` reads a Parquet or CSV file or folder and numbers each row with
the line number the local engine gives it, before anything is repartitioned;
:mod:`.api` settles the file engine's options and the file's columns on the driver;
:mod:`.partitions` hashes the rows by patient (the group key's patient column, else its
first column, stripped), so that each partition holds every row of its patients and so
every patient-day whole, whatever the date format, and counts each partition through
Arrow (``mapInArrow``) with the file engine (:func:`unitcalc.files.evaluate.run_frame`,
the polars engine of ``unitcalc audit``), whose writers write its rows; :mod:`.results`
gathers the findings or rows as a DataFrame and adds up the partitions' summaries into
the file's: rows read, rows that could not be used, groups by status, edits, providers'
minutes and units (and by day, and their patients' spans: a provider's patterns are
decided from the whole), date formats, and whether some group's rows were scattered (a
group is whole in one partition, so this is decided as the local engine decides it);
what the checks chosen (``--checks``) leave out is left out of the whole.

Line numbers are those the local engine gives the same file: :func:`read` numbers each
row by its place in the file (Parquet from 1, CSV from 2, the header being line 1)
before anything is repartitioned. A DataFrame from elsewhere may bring its own numbers
in a ``__line`` column (:data:`LINE_COLUMN`); otherwise its rows are numbered in the
DataFrame's order from 1. For example (docs/scale.md has more)::

    result = audit(read(spark, "claims/"), rule="cms", payers="payers.toml")
    result.findings.write.parquet("findings/")
    print(result.summary().counts)
"""

from __future__ import annotations

from .api import audit, audit_path, audit_with, batch, options_of
from .lines import LINE_COLUMN, read
from .partitions import LINES_PER_PARTITION, default_partitions
from .results import AuditResult, BatchResult
from .session import SparkUnavailable, available, session

__all__ = [
    "LINES_PER_PARTITION",
    "LINE_COLUMN",
    "AuditResult",
    "BatchResult",
    "SparkUnavailable",
    "audit",
    "audit_path",
    "audit_with",
    "available",
    "batch",
    "default_partitions",
    "options_of",
    "read",
    "session",
]
