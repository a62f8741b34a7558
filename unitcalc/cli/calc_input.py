"""``unitcalc calc --input``: a visit read from JSON, by the model the HTTP API reads it
with.

The text is read once, as JSON that holds no key twice (:func:`json_document`); a day's
document is validated by :class:`unitcalc.core.inputs.CalculateRequest`, the model of
``POST /api/calculate`` (imported here only, so that ``unitcalc calc 97110=33`` does not
load pydantic), and its values become the library's (:func:`visit_from_json`). Each
refusal is one line naming the file, the field and the fix (exit code 2). An option
given on the command line wins over the document's key of the same meaning.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import click
from click.core import ParameterSource

from ..core.codeinfo import normalize_code
from ..core.disciplines import normalize_discipline
from ..core.errors import InvalidServiceError, UnitcalcError
from ..core.jsontext import JsonProblem, load_json
from ..core.model import ServiceLine
from ..core.values import parse_date_of_service
from ..rules import get_rule
from .counting import _counting
from .shared import InputError, _said

if TYPE_CHECKING:
    from ..core.assistant import DeMinimis
    from ..engine.settings import Pooling
    from .counting import _Counting

MAX_JSON_CHARACTERS = 16 << 20
"""Longest ``calc --input`` read: a visit's services are a few hundred characters."""


def read_json_input(stream: Any) -> tuple[str, str]:
    """The name of the ``--input`` file (``<stdin>`` for -) and its text."""
    label = getattr(stream, "name", "-")
    name = "<stdin>" if label in {"-", "<stdin>"} else str(label)
    try:
        text = stream.read(MAX_JSON_CHARACTERS + 1)
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: byte {exc.start} is not UTF-8; save the JSON as UTF-8") from None
    if len(text) > MAX_JSON_CHARACTERS:
        raise InputError(
            f"{name}: holds more than {MAX_JSON_CHARACTERS:,} characters; a visit's JSON is "
            "a few hundred (is this the file you meant?)"
        )
    return name, text


def json_document(stream_name: str, text: str) -> Any:
    """The ``--input`` text as JSON, read once (a key given twice refused)."""
    try:
        return load_json(text)
    except JsonProblem as exc:
        raise InputError(f"{stream_name}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{stream_name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    except RecursionError:
        raise InputError(f"{stream_name}: JSON nested too deeply") from None


def month_document(document: Any) -> dict[str, Any] | None:
    """The ``--input`` document when it is a month's (it has a ``month`` key)."""
    return document if isinstance(document, dict) and "month" in document else None


@attrs.frozen(eq=False, repr=False)  # internal: no generated eq or repr to compile
class Visit:
    """What ``calc --input`` read, as the library's values; ``None`` for a key the
    document does not give."""

    name: str = ""
    """The file's name, as errors name it."""
    lines: list[ServiceLine] = attrs.field(factory=list)
    rule: str | None = None
    payer: str | None = None
    pool_by: Pooling | None = None
    prefer: list[str] | None = None
    date_of_service: datetime.date | None = None
    default_discipline: str | None = None
    assistant_two_units: bool | None = None
    de_minimis: DeMinimis | None = None

    def counting(
        self,
        payers_file: Path | None,
        payer: str | None,
        mue_file: Path | None,
        ptp_files: Sequence[Path],
    ) -> _Counting:
        """The counting options loaded, with the document's payer unless ``--payer``
        names one."""
        if payer is not None or self.payer is None:
            return _counting(payers_file, payer, mue_file, ptp_files)
        if payers_file is None:
            raise InputError(
                f"{self.name}: payer: the payer profile {self.payer!r} is read from a file "
                "of payer profiles; give it with --payers FILE"
            )
        try:
            return _counting(payers_file, self.payer, mue_file, ptp_files)
        except UnitcalcError as exc:
            raise InputError(f"{self.name}: payer: {_said(exc)}") from exc

    def assistant(self, two_units: bool, de_minimis: DeMinimis) -> tuple[bool, DeMinimis]:
        """``--assistant-two-units`` and ``--de-minimis``, or the document's where the
        command line does not give them."""
        context = click.get_current_context()

        def given(name: str) -> bool:
            source = context.get_parameter_source(name)
            return source not in (None, ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP)

        if not given("assistant_two_units") and self.assistant_two_units is not None:
            two_units = self.assistant_two_units
        if not given("de_minimis") and self.de_minimis is not None:
            de_minimis = self.de_minimis
        return two_units, de_minimis


def visit_from_json(name: str, document: Any) -> Visit:
    """A day's ``--input`` document validated by the API's model, each value made the
    library's; an input error naming the file and the field otherwise."""
    from ..core.inputs import InputProblem, read_visit  # pydantic: only with --input

    try:
        request = read_visit(document)
    except InputProblem as exc:
        raise InputError(f"{name}: {exc}") from None
    given = request.model_fields_set
    return Visit(
        name,
        lines=[_line(name, i, service) for i, service in enumerate(request.services)],
        rule=_value(name, "rule", request.rule, lambda rule: get_rule(rule).name),
        payer=request.payer,
        pool_by=request.pool_by,
        prefer=[
            _value(name, f"prefer[{i}]", code, normalize_code)
            for i, code in enumerate(request.prefer)
        ]
        or None,
        date_of_service=_value(
            name, "date_of_service", request.date_of_service, parse_date_of_service
        ),
        default_discipline=_value(
            name, "default_discipline", request.default_discipline, normalize_discipline
        ),
        assistant_two_units=request.assistant_two_units if "assistant_two_units" in given else None,
        de_minimis=request.de_minimis if "de_minimis" in given else None,
    )


def _value(name: str, field: str, value: Any, parse: Any) -> Any:
    """``value`` parsed by the library; its refusal named by file and field."""
    if value is None:
        return None
    try:
        return parse(value)
    except UnitcalcError as exc:
        raise InputError(f"{name}: {field}: {_said(exc)}") from exc


def _line(name: str, index: int, service: Any) -> ServiceLine:
    try:
        return ServiceLine(
            service.code,
            service.minutes,
            discipline=service.discipline,
            assistant_minutes=service.assistant_minutes,
        )
    except InvalidServiceError as exc:
        raise InputError(f"{name}: services[{index}].{exc.field}: {_said(exc)}") from exc
