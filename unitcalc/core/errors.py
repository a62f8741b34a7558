"""The exceptions unitcalc raises, all rooted at :class:`UnitcalcError`.

Each carries the fields it is about and a message a biller can act on: what was wrong,
where, and how to fix it. Audit discrepancies are not exceptions; they are findings.

A message that tells the caller to give an argument names it as a Python caller writes
it (``encoding='cp1252'``), and the error's ``argument`` field names it
(``"encoding"``). A face with its own names for the arguments (the command line's
``--encoding cp1252``) words the same message its way with :meth:`UnitcalcError.worded`
and a :class:`Spelling` of its own.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

import attrs

from .text import echo

ArgumentValue = str | Mapping[str, str] | tuple[str, ...] | None
"""An argument's value as a message shows it; None: any value."""


class Spelling(Protocol):
    """How a caller writes an argument: ``owner`` is the function or class that takes
    it (``"Options"``, ``"calculate"``), ``argument`` its Python name; ``given`` says
    the value is the caller's own (shown quoted where a face quotes only those), not an
    example."""

    def __call__(
        self, argument: str, value: ArgumentValue = None, *, owner: str, given: bool = False
    ) -> str: ...


def python_spelling(
    argument: str, value: ArgumentValue = None, *, owner: str, given: bool = False
) -> str:
    """The argument as a Python caller writes it.

    >>> python_spelling("encoding", "cp1252", owner="Options")
    "encoding='cp1252'"
    >>> python_spelling("pooling", owner="calculate")
    'calculate(pooling=...)'

    The file options (``Options``) are keyword arguments of every function that reads a
    file (``unitcalc.iter_findings``, ``unitcalc.spark.audit`` ...): they are named
    alone.
    """
    keyword = f"{argument}={'...' if value is None else echo(value)}"
    return keyword if owner == "Options" else f"{owner}({keyword})"


Message = str | Callable[[Spelling], str]
"""An error's text, or a function wording it for a :class:`Spelling` of the arguments."""


@attrs.frozen
class Mention:
    """An argument named in a message: ``Mention("encoding", "cp1252", owner="Options")``
    (``given``: the value is the caller's own, see :class:`Spelling`)."""

    argument: str
    value: ArgumentValue = None
    owner: str = attrs.field(kw_only=True)
    given: bool = attrs.field(default=False, kw_only=True)


def message_of(*parts: str | Mention) -> Callable[[Spelling], str]:
    """A message of text and argument mentions, worded for any :class:`Spelling`.

    >>> words = message_of("leave out ", Mention("encoding", owner="Options"))
    >>> words(python_spelling)
    'leave out encoding=...'
    """

    def words(spell: Spelling) -> str:
        return "".join(
            part
            if isinstance(part, str)
            else spell(part.argument, part.value, owner=part.owner, given=part.given)
            for part in parts
        )

    return words


class UnitcalcError(Exception):
    """Base class of every error unitcalc raises on purpose.

    ``argument`` is the Python argument the message tells the caller to give or change
    (``None`` when it names none).
    """

    def __init__(self, message: Message, *, argument: str | None = None) -> None:
        self._wording = message if callable(message) else None
        text = message(python_spelling) if callable(message) else message
        super().__init__(text)
        self.message = text
        self.argument = argument

    def __str__(self) -> str:
        return self.message

    def worded(self, spelling: Spelling) -> str:
        """The message with the arguments written as ``spelling`` writes them (the
        command line's flags, say); the message as it is when it names none.

        >>> error = UnitcalcError(
        ...     message_of("give the delimiter: ", Mention("delimiter", ";", owner="Options")),
        ...     argument="delimiter",
        ... )
        >>> str(error)
        "give the delimiter: delimiter=';'"
        >>> error.worded(lambda argument, value=None, **_: f"--{argument} {value}")
        'give the delimiter: --delimiter ;'
        """
        return self._wording(spelling) if self._wording is not None else self.message


class InvalidServiceError(UnitcalcError, ValueError):
    """A service line cannot be counted: bad minutes, bad discipline, missing minutes.

    ``code`` is the service's code (``None`` when the code itself is the problem),
    ``field`` names the offending field (``"code"``, ``"minutes"``, ``"discipline"``)
    and ``value`` is the value as given.
    """

    def __init__(
        self,
        message: Message,
        *,
        code: str | None,
        field: str,
        value: object,
        argument: str | None = None,
    ) -> None:
        super().__init__(message, argument=argument)
        self.code = code
        self.field = field
        self.value = value


class UnknownCodeError(UnitcalcError, LookupError):
    """The code is not in the code table. ``suggestions`` holds close matches."""

    def __init__(
        self,
        message: Message,
        *,
        code: str,
        suggestions: Sequence[str] = (),
        argument: str | None = None,
    ) -> None:
        super().__init__(message, argument=argument)
        self.code = code
        self.suggestions = tuple(suggestions)


class CodeNotInForceError(UnknownCodeError):
    """The code is not valid on the date of service: it starts later or ended earlier.

    ``date_of_service`` is the date asked about, ``valid_from`` / ``valid_to`` the code's
    window (``None`` where open) and ``in_force`` the related codes valid on that date.
    """

    def __init__(
        self,
        message: Message,
        *,
        code: str,
        date_of_service: datetime.date | None = None,
        valid_from: datetime.date | None = None,
        valid_to: datetime.date | None = None,
        in_force: Sequence[str] = (),
        argument: str | None = None,
    ) -> None:
        super().__init__(message, code=code, argument=argument)
        self.date_of_service = date_of_service
        self.valid_from = valid_from
        self.valid_to = valid_to
        self.in_force = tuple(in_force)


class DeletedCodeError(CodeNotInForceError):
    """The code was deleted from CPT/HCPCS; ``replaced_by`` names its replacements."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        deleted_on: datetime.date,
        replaced_by: Sequence[str],
        date_of_service: datetime.date | None = None,
        in_force: Sequence[str] = (),
    ) -> None:
        super().__init__(
            message,
            code=code,
            date_of_service=date_of_service,
            valid_to=deleted_on - datetime.timedelta(days=1),
            in_force=in_force,
        )
        self.deleted_on = deleted_on
        self.replaced_by = tuple(replaced_by)


class MonthlyCodeError(InvalidServiceError):
    """The code is counted by the calendar month (remote therapeutic monitoring), never
    by the day's minutes; ``counting`` says what it counts by."""

    def __init__(
        self, message: Message, *, code: str, counting: str, argument: str | None = None
    ) -> None:
        super().__init__(message, code=code, field="code", value=code, argument=argument)
        self.counting = counting


class UnlistedCodeError(InvalidServiceError):
    """The code is an unlisted procedure (97039, 97139, 97799): it has no unit of its own,
    so it is counted only once the user declares how (``define_code``, ``--define``);
    ``hint`` says what to declare."""

    def __init__(self, message: Message, *, code: str, hint: str) -> None:
        super().__init__(message, code=code, field="code", value=code, argument="spec")
        self.hint = hint


class UnknownRuleError(UnitcalcError, LookupError):
    """No counting rule has this name. ``choices`` lists the names that exist."""

    def __init__(self, message: str, *, name: str, choices: Sequence[str]) -> None:
        super().__init__(message)
        self.name = name
        self.choices = tuple(choices)


class CodeTableError(UnitcalcError, ValueError):
    """A code table file (packaged or the user's) is malformed.

    ``path`` is the file, ``key`` the offending entry or key, ``line`` the line in the
    file when known.
    """

    def __init__(
        self,
        message: Message,
        *,
        path: str,
        key: str | None = None,
        line: int | None = None,
        argument: str | None = None,
    ) -> None:
        super().__init__(message, argument=argument)
        self.path = path
        self.key = key
        self.line = line


class FileProblem(UnitcalcError, ValueError):
    """A file run cannot be done: missing file, empty file, missing columns, undecodable
    bytes, or (under ``strict``) the first bad row. ``line`` is set when known."""

    def __init__(
        self, message: Message, *, path: str, line: int | None = None, argument: str | None = None
    ) -> None:
        super().__init__(message, argument=argument)
        self.path = path
        self.line = line


class OutputProblem(UnitcalcError, ValueError):
    """The output cannot be written where asked."""


class PayerProfileError(UnitcalcError, ValueError):
    """A payer profile file is malformed, or a profile name is unknown. ``path``,
    ``payer``, ``key`` and ``line`` say where."""

    def __init__(
        self,
        message: Message,
        *,
        path: str,
        payer: str | None = None,
        key: str | None = None,
        line: int | None = None,
        argument: str | None = None,
    ) -> None:
        super().__init__(message, argument=argument)
        self.path = path
        self.payer = payer
        self.key = key
        self.line = line


class MueTableError(UnitcalcError, ValueError):
    """The MUE file cannot be read. ``path`` and ``line`` say where."""

    def __init__(self, message: str, *, path: str, line: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.line = line


class PtpTableError(UnitcalcError, ValueError):
    """The NCCI procedure-to-procedure (PTP) edit file cannot be read. ``path``, ``line``
    and ``field`` say where."""

    def __init__(
        self, message: str, *, path: str, line: int | None = None, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.field = field


class FeeFileError(UnitcalcError, ValueError):
    """A fee file (the CMS PPRRVU, GPCI or PFALL file, or a plain fee CSV) cannot be read,
    or names no fee for the locality asked. ``path``, ``line`` and ``field`` say where."""

    def __init__(
        self,
        message: Message,
        *,
        path: str,
        line: int | None = None,
        field: str | None = None,
        argument: str | None = None,
    ) -> None:
        super().__init__(message, argument=argument)
        self.path = path
        self.line = line
        self.field = field
