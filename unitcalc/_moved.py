"""Module paths of earlier releases, forwarded with a warning for one release.

Each old module (``unitcalc.payers``, ``unitcalc.fees`` ...) is a stub whose attributes
are read from the module that now holds them; reading one warns (DeprecationWarning),
naming the new path. The stubs go in the next release (docs/changelog.md).
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from typing import Any


def forward(old: str, *new: str) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``old`` that reads from ``new`` (the modules ``old``
    was split into, searched in order), warning once a name."""

    def __getattr__(name: str) -> Any:
        for target in new:
            module = importlib.import_module(target)
            if name.startswith("__") or not hasattr(module, name):
                continue
            warnings.warn(
                f"{old} is deprecated: import {name} from {target} (the old path goes in the "
                "next release)",
                DeprecationWarning,
                stacklevel=2,
            )
            return getattr(module, name)
        raise AttributeError(f"module {old!r} has no attribute {name!r}")

    return __getattr__
