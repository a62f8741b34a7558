"""One local Spark session (``local[2]``) for the whole test run: starting the JVM is
the slow part. Small splits (8 KiB) so that even the tests' small files are read in
several pieces, and few shuffle partitions, so the tests stay quick.

Without Java or pyspark the Spark tests skip, except under CI (``CI`` set), where a
skipped Spark test is a failure: .ci/run installs Java for them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    from unitcalc.core.errors import UnitcalcError
    from unitcalc.spark import available, session

    try:
        available()
    except UnitcalcError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"the Spark tests cannot run under CI: {exc}")
        pytest.skip(str(exc))
    spark = session("local[2]", app="unitcalc tests")
    spark.conf.set("spark.sql.shuffle.partitions", "4")
    spark.conf.set("spark.sql.files.maxPartitionBytes", "8192")
    spark.conf.set("spark.sql.files.openCostInBytes", "1024")
    yield spark
    spark.stop()
