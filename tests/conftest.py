"""Shared test settings and helpers, for every folder of tests/.

The folders follow the package's: ``tests/core/`` tests ``unitcalc/core``,
``tests/rules/`` ``unitcalc/rules``, ``tests/engine/`` ``unitcalc/engine``,
``tests/payment/`` ``unitcalc/payment``, ``tests/files/`` ``unitcalc/files``, and the
faces ``tests/cli/``, ``tests/web/``, ``tests/spark/``. A module's own property tests
(its scalar and columnar forms held equal) are in its test file; the end-to-end property
tests are in ``tests/property/``, with the shared strategies; tests across the whole
package (the docs, the scenarios, the junk-input sweep) are beside this file.

Hypothesis runs without its per-example deadline: the suite makes no timing assertions
(speed is measured in benchmarks/), and a busy machine must not fail a property test.
``run`` invokes the command line as a user would (``from tests.conftest import run``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result
from hypothesis import settings

from unitcalc.cli import main


def run(*args: str, stdin: str | None = None) -> Result:
    """``unitcalc ARGS`` with ``stdin`` on standard input."""
    return CliRunner().invoke(main, list(args), input=stdin)


@pytest.fixture(autouse=True, scope="session")
def _no_user_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The tests see no settings of the machine's user: no ``UNITCALC_*`` environment
    variable and an empty configuration folder (``unitcalc.toml``, :mod:`unitcalc.cli.config`)."""
    saved = {
        name: os.environ.pop(name) for name in list(os.environ) if name.startswith("UNITCALC_")
    }
    config_home = os.environ.get("XDG_CONFIG_HOME")
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("config-home"))
    yield
    os.environ.update(saved)
    if config_home is None:
        os.environ.pop("XDG_CONFIG_HOME", None)
    else:
        os.environ["XDG_CONFIG_HOME"] = config_home


settings.register_profile("unitcalc", deadline=None)
settings.load_profile("unitcalc")
# A longer search, on request: pytest --hypothesis-profile thorough
settings.register_profile("thorough", deadline=None, max_examples=3000)
