"""The Spark session, and the check that everything it needs is at hand: pyspark,
pyarrow and pandas (``pip install 'unitcalc[spark]'``) and a Java runtime (17 or newer,
for Spark 4)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.errors import UnitcalcError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


class SparkUnavailable(UnitcalcError, RuntimeError):
    """pyspark, pyarrow, pandas or Java is missing, or Spark cannot start: the message
    says what to install or check."""


def available() -> None:
    """Raise :class:`SparkUnavailable`, saying what to install, unless pyspark, pyarrow,
    pandas and a Java runtime are all at hand."""
    import importlib.util
    import os

    needed = ("pyspark", "pyarrow", "pandas")  # pyspark's mapInArrow needs pandas too
    missing = [name for name in needed if importlib.util.find_spec(name) is None]
    if missing:
        raise SparkUnavailable(
            f"the Spark engine needs {' and '.join(missing)}: pip install 'unitcalc[spark]'"
        )
    home = os.environ.get("JAVA_HOME", "")
    if not (home and Path(home, "bin", "java").exists()) and shutil.which("java") is None:
        raise SparkUnavailable(
            "the Spark engine needs Java 17 or newer: install a Java runtime (on Debian, "
            "apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
        )


def session(master: str = "local[*]", *, app: str = "unitcalc") -> SparkSession:
    """A Spark session on ``master`` (the running one, if any), with Arrow on."""
    available()
    import os
    import sys

    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(master)
        .appName(app)
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        # The command line's output is the report: no stage progress bar over it.
        .config("spark.ui.showConsoleProgress", "false")
    )
    if master.startswith("local"):
        # Local workers run this Python, where unitcalc is installed, not the first
        # python3 on the PATH.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.errors import PySparkException

    try:
        spark = builder.getOrCreate()
    except PySparkException as exc:  # no JVM came up (an old Java, a bad master URL)
        raise SparkUnavailable(
            f"Spark could not start on {master}: {str(exc).strip().splitlines()[0]} "
            "(Spark 4 needs Java 17 or newer)"
        ) from None
    spark.sparkContext.setLogLevel("ERROR")
    return spark
