"""Shared test settings.

Hypothesis runs without its per-example deadline: the suite makes no timing assertions
(speed is measured in benchmarks/), and a busy machine must not fail a property test.
"""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("unitcalc", deadline=None)
settings.load_profile("unitcalc")
# A longer search, on request: pytest --hypothesis-profile thorough
settings.register_profile("thorough", deadline=None, max_examples=3000)
