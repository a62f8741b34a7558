"""The code table: which codes are timed, their unit length, add-ons and deleted codes,
and the lookup of a code as in force on a date of service.

The table is data (``unitcalc/data/codes.toml``), every entry citing a public source.
Users extend or override it with a TOML file of the same shape, or per call with
:meth:`CodeTable.with_codes`, because payers and new CPT years bring codes the packaged
table does not know. One entry is a :class:`~unitcalc.core.codeinfo.CodeInfo`; reading
the files is :mod:`unitcalc.core.codefile`.

>>> table = CodeTable.default()
>>> table.lookup("97110").unit_minutes
15
>>> table.lookup(" g0283 ").code
'G0283'
>>> table.lookup("97161").timed
False

Entries carry the window in which the code is valid (``valid_from``, ``valid_to``,
inclusive, each with its source); :meth:`CodeTable.lookup` with ``on=`` answers for a
date of service, so a 2016 visit counts 97001:

>>> import datetime
>>> table.lookup("97001", on=datetime.date(2016, 12, 31)).kind
'untimed'
>>> table.lookup("97161", on=datetime.date(2016, 12, 31))
Traceback (most recent call last):
...
unitcalc.core.errors.CodeNotInForceError: 97161 is valid from 2017-01-01, not on 2016-12-31; ...
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from types import MappingProxyType

import attrs

from .codefile import check_references, packaged_entries, read_table_file
from .codeinfo import CodeInfo, Kind, normalize_code
from .errors import (
    CodeNotInForceError,
    DeletedCodeError,
    InvalidServiceError,
    Mention,
    MonthlyCodeError,
    UnknownCodeError,
    UnlistedCodeError,
    message_of,
)
from .frozen import frozen


@attrs.frozen
class CodeTable:
    """An immutable code table. Build it with :meth:`default`, :meth:`load` or
    :meth:`with_codes`; look codes up with :meth:`lookup`."""

    codes: Mapping[str, CodeInfo] = attrs.field(converter=frozen)
    _addons: Mapping[str, tuple[str, ...]] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        # Looked up for every service counted: index the add-on relations once.
        index: dict[str, list[str]] = {}
        for info in self.codes.values():
            if info.addon_of is not None:
                index.setdefault(info.addon_of, []).append(info.code)
        object.__setattr__(
            self, "_addons", MappingProxyType({k: tuple(v) for k, v in index.items()})
        )

    @classmethod
    def default(cls) -> CodeTable:
        """The table packaged with unitcalc."""
        return _packaged_table()

    @classmethod
    def load(cls, path: str | Path, *, base: CodeTable | None = None) -> CodeTable:
        """Read a TOML code table file and lay it over ``base`` (the packaged table by
        default): entries in the file add codes or replace the packaged entry whole."""
        path = Path(path)
        entries = read_table_file(path)
        base = base if base is not None else cls.default()
        return base.with_codes(*entries, source_name=str(path))

    def with_codes(self, *infos: CodeInfo, source_name: str = "code table") -> CodeTable:
        """A new table with these entries added or replacing existing ones;
        ``source_name`` names where they came from in an error."""
        merged = dict(self.codes)
        for info in infos:
            merged[info.code] = info
        check_references(merged, source_name=source_name)
        return CodeTable(merged)

    def __iter__(self) -> Iterator[CodeInfo]:
        return iter(self.codes.values())

    def __len__(self) -> int:
        return len(self.codes)

    def __contains__(self, code: object) -> bool:
        return code in self.codes

    def addons(self, primary: str) -> tuple[str, ...]:
        """Codes declared as add-ons of ``primary``."""
        return self._addons.get(primary, ())

    def lookup(self, raw_code: object, *, on: datetime.date | None = None) -> CodeInfo:
        """Return the entry of a code that can be counted for a day, as in force ``on``
        the date of service.

        Without ``on``, the current code set: a deleted code is refused. With ``on``, a
        code outside its window is refused with the window and the codes in force on
        that date, and a deleted code inside its window comes back as it was counted
        then (kind ``timed`` or ``untimed``).

        Raises :class:`InvalidServiceError` for text that is no code,
        :class:`DeletedCodeError` naming the replacements for a deleted code,
        :class:`CodeNotInForceError` for a code not yet valid on ``on``,
        :class:`MonthlyCodeError` for a code counted by the month,
        :class:`UnlistedCodeError` for an unlisted code whose unit the user has not
        declared and :class:`UnknownCodeError` with close matches for a code the table
        lacks.

        >>> CodeTable.default().lookup("97127")
        Traceback (most recent call last):
        ...
        unitcalc.core.errors.DeletedCodeError: 97127 was deleted on 2020-01-01; its replacements ...
        """
        code = normalize_code(raw_code)
        info = self.codes.get(code)
        if info is None:
            raise self._unknown(code)
        if on is not None:
            if info.valid_from is not None and on < info.valid_from:
                raise self._not_yet(info, on)
            if info.valid_to is not None and on > info.valid_to:
                raise self._ended(info, on)
        if info.monthly:
            counting = info.monthly_counting or "the calendar month"
            raise MonthlyCodeError(
                message_of(
                    f"{code} ({info.label}) is a monthly code: it counts {counting}, never a "
                    "day's minutes, so neither the 8-minute rule nor the midpoint rule "
                    "applies; leave it out of the day's services and count it for its month "
                    "with ",
                    Mention("month", "YYYY-MM", owner="calculate_month"),
                ),
                code=code,
                counting=counting,
                argument="month",
            )
        if info.unlisted:
            raise _undeclared(info)
        if info.deleted:
            if on is None:
                raise self._ended(info, None)
            if info.valid_kind is None:
                raise CodeNotInForceError(
                    message_of(
                        f"{code} was valid on {on.isoformat()} ({info.window}), but the code "
                        'table does not say how it was counted: give its valid_kind ("timed" '
                        'or "untimed") in a ',
                        Mention("path", owner="CodeTable.load"),
                        " file",
                    ),
                    code=code,
                    date_of_service=on,
                    valid_from=info.valid_from,
                    valid_to=info.valid_to,
                    argument="path",
                )
            return attrs.evolve(info, kind=info.valid_kind)
        return info

    def lookup_monthly(self, raw_code: object, *, on: datetime.date) -> CodeInfo:
        """Return the entry of a code counted by the month, as in force ``on`` a date of
        its month: :meth:`lookup`'s errors for text that is no code, a code the table
        lacks or a code outside its window; :class:`InvalidServiceError` for a code
        counted by the day.

        >>> CodeTable.default().lookup_monthly("98979", on=datetime.date(2026, 3, 1)).month.minutes
        10
        """
        code = normalize_code(raw_code)
        info = self.codes.get(code)
        if info is None:
            raise self._unknown(code)
        if info.valid_from is not None and on < info.valid_from:
            raise self._not_yet(info, on)
        if info.valid_to is not None and on > info.valid_to:
            raise self._ended(info, on)
        if not info.monthly:
            raise InvalidServiceError(
                f"{code} ({info.label}) is counted by the day, not by the month: count it "
                "with the day's services",
                code=code,
                field="code",
                value=raw_code,
            )
        return info

    def _unknown(self, code: str) -> UnknownCodeError:
        """The error for a code the table lacks: close codes, and how to declare it."""
        suggestions = _close_codes(code, self.codes)
        hint = f" Did you mean {', '.join(suggestions)}?" if suggestions else ""
        return UnknownCodeError(
            message_of(
                f"{code} is not in the code table.{hint} To count it, declare it: ",
                Mention("spec", f"{code}=timed", owner="define_code"),
                " (or =untimed, or =timed/30 for 30-minute units), or a [codes] entry in a ",
                Mention("path", owner="CodeTable.load"),
                " file",
            ),
            code=code,
            suggestions=suggestions,
            argument="spec",
        )

    def _not_yet(self, info: CodeInfo, on: datetime.date) -> CodeNotInForceError:
        """The error for a code used before its first valid day."""
        assert info.valid_from is not None
        in_force = self.in_force_instead(info.code, on)
        return CodeNotInForceError(
            f"{info.code} is valid from {info.valid_from.isoformat()}, not on "
            f"{on.isoformat()}; {_instead(self, in_force)}",
            code=info.code,
            date_of_service=on,
            valid_from=info.valid_from,
            valid_to=info.valid_to,
            in_force=in_force,
        )

    def _ended(self, info: CodeInfo, on: datetime.date | None) -> CodeNotInForceError:
        """The error for a code used after its last valid day (or, without a date, a
        deleted code)."""
        assert info.valid_to is not None
        code = info.code
        last = info.valid_to.isoformat()
        current = on is None or all(
            self.codes[c].in_force_on(on) for c in info.replaced_by if c in self.codes
        )
        in_force = info.replaced_by if on is None else self.in_force_instead(code, on)
        if info.deleted and info.deleted_on is not None and current:
            # The current replacements apply: the message of a stale charge master.
            plural = len(info.replaced_by) > 1
            when = (
                f" (for a visit up to {last}, give its date of service)"
                if on is None
                else f" (it was valid to {last})"
            )
            return DeletedCodeError(
                f"{code} was deleted on {info.deleted_on.isoformat()}; its replacement"
                f"{'s are' if plural else ' is'} {', '.join(info.replaced_by)}{when}",
                code=code,
                deleted_on=info.deleted_on,
                replaced_by=info.replaced_by,
                date_of_service=on,
                in_force=in_force,
            )
        assert on is not None
        message = f"{code} was valid to {last}, not on {on.isoformat()}; {_instead(self, in_force)}"
        if info.deleted and info.deleted_on is not None:
            return DeletedCodeError(
                message,
                code=code,
                deleted_on=info.deleted_on,
                replaced_by=info.replaced_by,
                date_of_service=on,
                in_force=in_force,
            )
        return CodeNotInForceError(
            message,
            code=code,
            date_of_service=on,
            valid_from=info.valid_from,
            valid_to=info.valid_to,
            in_force=in_force,
        )

    def in_force_instead(self, code: str, on: datetime.date) -> tuple[str, ...]:
        """Codes valid ``on`` that stand in for ``code``: its replacements (followed
        through later replacements), the codes it replaced, and the codes replaced by the
        same codes.

        >>> CodeTable.default().in_force_instead("97129", datetime.date(2019, 6, 1))
        ('97127', 'G0515')
        """
        info = self.codes.get(code)
        replaced_by = set(info.replaced_by) if info is not None else set()
        related: set[str] = set()
        stack = list(replaced_by)
        while stack:
            later = stack.pop()
            if later in related:
                continue
            related.add(later)
            entry = self.codes.get(later)
            if entry is not None:
                stack.extend(entry.replaced_by)
        for other in self.codes.values():
            if other.code != code and set(other.replaced_by) & (replaced_by | {code}):
                related.add(other.code)
        return tuple(
            sorted(
                c
                for c in related
                if c in self.codes
                and self.codes[c].kind not in ("monthly", "unlisted")
                and self.codes[c].in_force_on(on)
            )
        )


def _undeclared(info: CodeInfo) -> UnlistedCodeError:
    """The error for an unlisted code: it has no unit until the user declares one."""
    hint = info.declare_hint or "how your payer counts it"
    return UnlistedCodeError(
        message_of(
            f"{info.code} ({info.label}) is an unlisted code: it has no unit of its own, so "
            f"unitcalc counts it only once you declare {hint}: ",
            Mention("spec", f"{info.code}=timed", owner="define_code"),
            " (15-minute units), =timed/30 for 30-minute units or =untimed for one unit a "
            "day, or a [codes] entry in a ",
            Mention("path", owner="CodeTable.load"),
            " file",
        ),
        code=info.code,
        hint=hint,
    )


def _instead(table: CodeTable, in_force: Sequence[str]) -> str:
    """What a date of service may bill instead of a code not in force on it."""
    if not in_force:
        return "this code table has no code in its place on that date"
    if len(in_force) == 1:
        return f"the code in force on that date is {_with_windows(table, in_force)}"
    return f"the codes in force on that date are {_with_windows(table, in_force)}"


def _with_windows(table: CodeTable, codes: Sequence[str]) -> str:
    """Codes with their windows: ``97001 (to 2016-12-31)``."""
    shown = []
    for code in codes:
        window = table.codes[code].window
        shown.append(f"{code} ({window})" if window else code)
    return ", ".join(shown)


def _close_codes(code: str, known: Iterable[str]) -> list[str]:
    """Up to three known codes a typo most likely meant: same length, fewest differing
    characters, then nearest in number."""
    usable = [c for c in known if len(c) == len(code)]

    def distance(candidate: str) -> tuple[int, int]:
        differing = sum(a != b for a, b in zip(candidate, code, strict=True))
        numeric = (
            abs(int(candidate) - int(code)) if candidate.isdigit() and code.isdigit() else 10**6
        )
        return differing, numeric

    ranked = sorted((c for c in usable if distance(c)[0] <= 2), key=distance)
    if ranked:
        return ranked[:3]
    import difflib  # only for the error message of an unknown code

    return difflib.get_close_matches(code, list(known), n=3, cutoff=0.6)


@cache
def _packaged_table() -> CodeTable:
    return CodeTable(packaged_entries())


def iter_kind(table: CodeTable, kinds: Iterable[Kind]) -> Iterator[CodeInfo]:
    """Entries of the given kinds, sorted by code."""
    wanted = set(kinds)
    return iter(sorted((i for i in table if i.kind in wanted), key=lambda i: i.code))
