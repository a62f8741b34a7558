"""The exceptions unitcalc raises, all rooted at :class:`UnitcalcError`.

Each carries the fields it is about and a message a biller can act on: what was wrong,
where, and how to fix it. Audit discrepancies are not exceptions; they are findings.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence


class UnitcalcError(Exception):
    """Base class of every error unitcalc raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidServiceError(UnitcalcError, ValueError):
    """A service line cannot be counted: bad minutes, bad discipline, missing minutes.

    ``code`` is the service's code (``None`` when the code itself is the problem),
    ``field`` names the offending field (``"code"``, ``"minutes"``, ``"discipline"``)
    and ``value`` is the value as given.
    """

    def __init__(self, message: str, *, code: str | None, field: str, value: object) -> None:
        super().__init__(message)
        self.code = code
        self.field = field
        self.value = value


class UnknownCodeError(UnitcalcError, LookupError):
    """The code is not in the code table. ``suggestions`` holds close matches."""

    def __init__(self, message: str, *, code: str, suggestions: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.suggestions = tuple(suggestions)


class CodeNotInForceError(UnknownCodeError):
    """The code is not valid on the date of service: it starts later or ended earlier.

    ``date_of_service`` is the date asked about, ``valid_from`` / ``valid_to`` the code's
    window (``None`` where open) and ``in_force`` the related codes valid on that date.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str,
        date_of_service: datetime.date | None = None,
        valid_from: datetime.date | None = None,
        valid_to: datetime.date | None = None,
        in_force: Sequence[str] = (),
    ) -> None:
        super().__init__(message, code=code)
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

    def __init__(self, message: str, *, code: str, counting: str) -> None:
        super().__init__(message, code=code, field="code", value=code)
        self.counting = counting


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
        self, message: str, *, path: str, key: str | None = None, line: int | None = None
    ) -> None:
        super().__init__(message)
        self.path = path
        self.key = key
        self.line = line


class FileProblem(UnitcalcError, ValueError):
    """A file run cannot be done: missing file, empty file, missing columns, undecodable
    bytes, or (under ``strict``) the first bad row. ``line`` is set when known."""

    def __init__(self, message: str, *, path: str, line: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.line = line


class OutputProblem(UnitcalcError, ValueError):
    """The output cannot be written where asked."""


class PayerProfileError(UnitcalcError, ValueError):
    """A payer profile file is malformed, or a profile name is unknown. ``path``,
    ``payer``, ``key`` and ``line`` say where."""

    def __init__(
        self,
        message: str,
        *,
        path: str,
        payer: str | None = None,
        key: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message)
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


class FeeFileError(UnitcalcError, ValueError):
    """A fee file (the CMS PPRRVU, GPCI or PFALL file, or a plain fee CSV) cannot be read,
    or names no fee for the locality asked. ``path``, ``line`` and ``field`` say where."""

    def __init__(
        self, message: str, *, path: str, line: int | None = None, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.field = field
