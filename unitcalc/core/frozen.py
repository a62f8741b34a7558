"""Read-only copies of mappings: the converters of the frozen value objects' mapping
fields, so that a finding, a result or a table cannot be changed after it is made."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

# Typed with Any: attrs' mypy plugin reads a converter's argument as the field's type
# and does not solve a type variable there; the field's own annotation keeps its type.


def frozen(value: Mapping[Any, Any]) -> Mapping[Any, Any]:
    """A read-only copy of ``value``.

    >>> units = frozen({"97110": 2})
    >>> units["97110"] = 3
    Traceback (most recent call last):
    ...
    TypeError: 'mappingproxy' object does not support item assignment
    """
    return MappingProxyType(dict(value))


def frozen_each(values: Iterable[Mapping[Any, Any]]) -> tuple[Mapping[Any, Any], ...]:
    """Read-only copies of each of ``values``."""
    return tuple(frozen(value) for value in values)
