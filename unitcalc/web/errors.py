"""How the API answers input it cannot use: 422 with a message naming the field.

Three kinds of input problem reach these handlers, each answered 422 with ``detail``
(``"field: message"``) and ``field``:

- a :class:`Problem`, raised where a request's value is turned into a library value
  (a code, minutes, a date, a rule or payer name) or where the library refuses it;
- pydantic's validation errors, all of them listed under ``errors`` and the first
  field's named in ``detail``;
- a body that is not JSON (FastAPI's 400), named ``body``.

A body holding a key twice in one object, or a number too long for Python to convert
(more than 4,300 digits), is answered 422 naming its field before the application
parses it (:func:`json_problem`, called by :mod:`unitcalc.web.middleware`).

Any other HTTP error (404, 405 ...) keeps its status and its headers, such as ``Allow``.
413 and 408 are answered before the application runs, by the body limit
(:mod:`unitcalc.web.middleware`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..core.jsontext import JsonProblem, field_path, load_json
from . import responses

ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": responses.InvalidInput, "description": "Invalid input, naming the field"},
    413: {"model": responses.TooLarge, "description": "Request body over the size limit"},
}
"""The error answers of the endpoints that take input, as the handlers give them."""

MAX_NUMBER_TEXT = 40
"""Longest minutes or units taken: far past any real value, far short of Python's
4,300-digit limit on converting text to a number."""


class Problem(Exception):
    """An input problem to answer with 422, naming the field."""

    def __init__(self, field: str, message: str, extra: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.extra = dict(extra or {})
        """More for a client to act on (an unknown code's nearest codes)."""


def add_error_handlers(app: FastAPI) -> None:
    """Answers each input problem with 422 naming the field, and other HTTP errors with
    their own status."""
    # Starlette types a handler as taking any exception; each takes the one it answers.
    app.add_exception_handler(Problem, problem)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, invalid)  # type: ignore[arg-type]


async def problem(_: Request, exc: Problem) -> JSONResponse:
    return JSONResponse(
        {"detail": f"{exc.field}: {exc.message}", "field": exc.field, **exc.extra},
        status_code=422,
    )


async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 400:  # a body that cannot be parsed is invalid input
        return JSONResponse(
            {"detail": "body: the request body is not valid JSON", "field": "body"},
            status_code=422,
        )
    # Keeps the headers the framework sets, such as Allow on a 405.
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    if first.get("type") == "json_invalid":  # located at a character offset: the body
        return JSONResponse(
            {"detail": "body: the request body is not valid JSON", "field": "body"},
            status_code=422,
        )
    field = field_name(first.get("loc", ()))
    same = [e.get("msg", "") for e in errors if field_name(e.get("loc", ())) == field]
    message = " or ".join(dict.fromkeys(m.removeprefix("Input should be ") for m in same))
    return JSONResponse(
        {
            "detail": f"{field}: input should be {message}"
            if len(same) > 1
            else f"{field}: {first.get('msg', 'invalid')}",
            "field": field,
            "errors": [
                {"field": field_name(e.get("loc", ())), "message": e.get("msg", "")} for e in errors
            ],
        },
        status_code=422,
    )


_TYPE_TAGS = frozenset({"int", "float", "str", "bool", "none", "list", "dict"})
"""Names pydantic adds to a location for each member of a union: not fields."""


def field_name(loc: Any) -> str:
    """``("body", "services", 0, "minutes", "int")`` as ``services[0].minutes``."""
    parts = tuple(part for part in loc if part != "body" and part not in _TYPE_TAGS)
    return field_path(parts) or "body"


def refuse_long_number(value: object, where: str, what: str) -> None:
    """Refuses numbers too long to be minutes or units, before the library converts them
    (Python refuses to convert more than 4,300 digits, and that would be a 500)."""
    too_long_number = (isinstance(value, int) and abs(value) >= _TOO_MANY_DIGITS) or (
        isinstance(value, str) and len(value) > MAX_NUMBER_TEXT
    )
    if too_long_number:
        raise too_long(where, what)


def too_long(where: str, what: str | None = None) -> Problem:
    what = what or where.rsplit(".", 1)[-1].removeprefix("assistant_")
    example = "2" if what == "billed_units" else "15"
    return Problem(
        where,
        f"{what} is longer than {MAX_NUMBER_TEXT} characters; "
        f"give a whole number such as {example}",
    )


_TOO_MANY_DIGITS = 10**MAX_NUMBER_TEXT


def json_problem(body: bytes) -> Problem | None:
    """The problem with a JSON body that parses but cannot be taken as it is: a key given
    twice in one object (which JSON readers settle by keeping the last, silently) or a
    number of more than 4,300 digits. None for any other body (FastAPI answers one that
    is not JSON)."""
    try:
        load_json(body)
    except JsonProblem as exc:
        if exc.message.startswith("a number"):
            return too_long(exc.field or "body")
        return Problem(exc.field or "body", exc.message)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to parse
        return None
    return None
