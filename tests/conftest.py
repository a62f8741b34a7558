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
from collections import Counter
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
    variable, an empty configuration folder (``unitcalc.toml``, :mod:`unitcalc.cli.config`),
    and no ``COLUMNS`` or ``LINES`` (pytest-xdist's workers set 80 columns): text is laid
    out at the default width."""
    saved = {
        name: os.environ.pop(name)
        for name in list(os.environ)
        if name.startswith("UNITCALC_") or name in ("COLUMNS", "LINES")
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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """With pytest-xdist (``-n``, ``--dist loadgroup``, as pyproject.toml sets it), the
    Spark tests all run in one worker, so that one Spark session serves the whole run,
    and each browser test module in one worker, beside its page's server. Two tests of
    one id would be run once by its scheduler: that is refused here."""
    twice = sorted(n for n, count in Counter(item.nodeid for item in items).items() if count > 1)
    if twice:
        raise pytest.UsageError(f"tests of the same id run once under pytest-xdist: {twice}")
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        if path.startswith("tests/spark/"):
            item.add_marker(pytest.mark.xdist_group("spark"))
        elif path.startswith("tests/web/test_") and "browser" in path:
            item.add_marker(pytest.mark.xdist_group(path))
