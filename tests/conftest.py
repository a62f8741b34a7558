"""Shared test settings and helpers, for every folder of tests/.

The folders follow the package's: ``tests/files/`` tests ``unitcalc/files``,
``tests/rules/`` ``unitcalc/rules``, ``tests/web/`` ``unitcalc/web``; the Hypothesis
property tests are in ``tests/property/``, the rest beside this file.

Hypothesis runs without its per-example deadline: the suite makes no timing assertions
(speed is measured in benchmarks/), and a busy machine must not fail a property test.
``run`` invokes the command line as a user would (``from tests.conftest import run``).
"""

from __future__ import annotations

from click.testing import CliRunner, Result
from hypothesis import settings

from unitcalc.cli import main


def run(*args: str, stdin: str | None = None) -> Result:
    """``unitcalc ARGS`` with ``stdin`` on standard input."""
    return CliRunner().invoke(main, list(args), input=stdin)


settings.register_profile("unitcalc", deadline=None)
settings.load_profile("unitcalc")
# A longer search, on request: pytest --hypothesis-profile thorough
settings.register_profile("thorough", deadline=None, max_examples=3000)
