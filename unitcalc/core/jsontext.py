"""JSON read the one careful way every face reads it: a key given twice in one object and
a number of more digits than Python converts (4,300) are refused, naming where they are.

Python's own reader keeps the last of two equal keys (so ``{"minutes": 8, "minutes": 38}``
would silently count 38) and ends in a ``ValueError`` on a 5,000-digit number; the
command line's ``calc --input``, JSON Lines files and the HTTP API all read through
:func:`load_json` instead.

>>> load_json('{"services": [{"code": "97110", "minutes": 8, "minutes": 38}]}')
Traceback (most recent call last):
...
unitcalc.core.jsontext.JsonProblem: services[0]: the key 'minutes' appears twice in one object; ...
"""

from __future__ import annotations

import json
from typing import Any

MAX_DIGITS = 4300
"""Python converts text of at most this many digits to an int (``sys.int_info``)."""


class JsonProblem(ValueError):
    """A JSON document that parses but cannot be used as it is, with the place of the
    problem (``services[0].minutes``, empty for the document itself)."""

    def __init__(self, field: str, message: str, *, within: str | None = None) -> None:
        within = field if within is None else within
        super().__init__(f"{within}: {message}" if within else message)
        self.field = field
        self.message = message


class _Repeated(dict[str, Any]):
    """An object in which ``key`` was given twice (its first value kept)."""

    key = ""


class _LongNumber:
    """Stands for a JSON integer too long for Python to convert."""


_LONG = _LongNumber()


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            repeated = _Repeated(out)
            repeated.key = key
            return repeated
        out[key] = value
    return out


def _integer(text: str) -> object:
    return _LONG if len(text.lstrip("-")) > MAX_DIGITS else int(text)


def load_json(text: str | bytes) -> Any:
    """The JSON value of ``text``; :class:`JsonProblem` for a repeated key or a number
    too long to convert, ``json.JSONDecodeError`` for text that is not JSON and
    ``RecursionError`` for nesting too deep to read."""
    value = json.loads(text, object_pairs_hook=_pairs, parse_int=_integer)
    _check(value)
    return value


def _check(value: Any) -> None:
    todo: list[tuple[tuple[str | int, ...], Any]] = [((), value)]
    while todo:
        where, item = todo.pop()
        if item is _LONG:
            raise JsonProblem(
                field_path(where), f"a number of more than {MAX_DIGITS:,} digits is no value here"
            )
        if isinstance(item, _Repeated):
            raise JsonProblem(
                field_path((*where, item.key)),
                f"the key {item.key!r} appears twice in one object; keep one",
                within=field_path(where),
            )
        if isinstance(item, dict):
            todo.extend(((*where, key), v) for key, v in reversed(item.items()))
        elif isinstance(item, list):
            todo.extend(((*where, i), v) for i, v in reversed(list(enumerate(item))))


def field_path(where: tuple[str | int, ...]) -> str:
    """``("services", 0, "minutes")`` as ``services[0].minutes``.

    >>> field_path(("services", 0, "minutes")), field_path(())
    ('services[0].minutes', '')
    """
    out = ""
    for part in where:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
