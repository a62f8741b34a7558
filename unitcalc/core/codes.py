"""The code table: which codes are timed, their unit length, add-ons and deleted codes.

The table is data (``unitcalc/data/codes.toml``), every entry citing a public source.
Users extend or override it with a TOML file of the same shape, or per call with
:meth:`CodeTable.with_codes`, because payers and new CPT years bring codes the packaged
table does not know.

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
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import attrs

from .disciplines import NAMES as DISCIPLINES
from .errors import (
    CodeNotInForceError,
    CodeTableError,
    DeletedCodeError,
    InvalidServiceError,
    Mention,
    MonthlyCodeError,
    UnknownCodeError,
    message_of,
)
from .tomlfile import find_line, parse, read

Kind = Literal["timed", "untimed", "monthly", "deleted"]
KINDS: tuple[Kind, ...] = ("timed", "untimed", "monthly", "deleted")
"""``monthly`` codes (remote therapeutic monitoring) are counted by the calendar month and
refused for a day's count; ``deleted`` codes are refused after their last valid day."""
DayKind = Literal["timed", "untimed"]
_ONE_DAY = datetime.timedelta(days=1)

# CPT Category I (5 digits), Category II/III (4 digits + F/T/U), HCPCS Level II (letter + 4 digits).
_CODE_SHAPE = re.compile(r"^(?:[0-9]{4}[0-9A-Z]|[A-Z][0-9]{4})$")
_ENTRY_KEYS = frozenset(
    {
        "label",
        "kind",
        "unit_minutes",
        "addon_of",
        "disciplines",
        "deleted_on",
        "replaced_by",
        "source",
        "note",
        "rule_notes",
        "valid_from",
        "valid_to",
        "valid_source",
        "valid_kind",
        "monthly_counting",
    }
)


def normalize_code(raw: object) -> str:
    """Return the code in canonical form: no surrounding white space, HCPCS letters upper
    case. White space inside a code is refused, never removed.

    >>> normalize_code(" g0283")
    'G0283'
    >>> normalize_code("9711")
    Traceback (most recent call last):
    ...
    unitcalc.core.errors.InvalidServiceError: '9711' is not a CPT/HCPCS code: ...
    """
    if not isinstance(raw, str):
        raise InvalidServiceError(
            f"code {raw!r} must be text such as '97110', not {type(raw).__name__}",
            code=None,
            field="code",
            value=raw,
        )
    code = raw.strip().upper()
    if any(character.isspace() for character in code):
        raise InvalidServiceError(
            f"{raw.strip()!r} has white space inside the code: write the 5 characters "
            "together, such as 97110",
            code=None,
            field="code",
            value=raw,
        )
    if not _CODE_SHAPE.match(code):
        shown = raw.strip() or raw
        raise InvalidServiceError(
            f"{shown!r} is not a CPT/HCPCS code: codes have 5 characters, such as 97110 or G0283",
            code=None,
            field="code",
            value=raw,
        )
    return code


def _frozen_notes(notes: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(notes))


@attrs.frozen
class CodeInfo:
    """One entry of the code table."""

    code: str
    label: str
    kind: Kind
    unit_minutes: int | None = None
    addon_of: str | None = None
    disciplines: tuple[str, ...] = ()
    deleted_on: datetime.date | None = None
    replaced_by: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    note: str | None = None
    rule_notes: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_notes)
    """Warnings to show when the code is counted under a given rule (by rule name)."""
    valid_from: datetime.date | None = None
    """First day the code is valid (``None``: valid since before the table's sources)."""
    valid_to: datetime.date | None = None
    """Last day the code is valid (``None``: still valid). For a deleted code, the day
    before ``deleted_on``."""
    valid_sources: tuple[str, ...] = ()
    """Citations for ``valid_from`` / ``valid_to``."""
    valid_kind: DayKind | None = None
    """Deleted codes only: how the code was counted while valid (``None``: unknown)."""
    monthly_counting: str | None = None
    """Monthly codes only: what they count by, in a few words."""

    def __attrs_post_init__(self) -> None:
        # A deleted code's window ends the day before its deletion: one fact, two views.
        if self.deleted_on is not None and self.valid_to is None:
            object.__setattr__(self, "valid_to", self.deleted_on - _ONE_DAY)

    def in_force_on(self, day: datetime.date) -> bool:
        """True when ``day`` lies in the code's window (both ends inclusive).

        >>> CodeTable.default().codes["97001"].in_force_on(datetime.date(2016, 12, 31))
        True
        """
        return (self.valid_from is None or day >= self.valid_from) and (
            self.valid_to is None or day <= self.valid_to
        )

    @property
    def window(self) -> str:
        """The window as text: ``from 2017-01-01``, ``to 2016-12-31``, both, or ``""``.

        >>> CodeTable.default().codes["G0515"].window
        '2018-01-01 to 2019-12-31'
        """
        start = self.valid_from.isoformat() if self.valid_from else None
        end = self.valid_to.isoformat() if self.valid_to else None
        if start and end:
            return f"{start} to {end}"
        if start:
            return f"from {start}"
        return f"to {end}" if end else ""

    def to_dict(self) -> dict[str, Any]:
        """The entry as ``unitcalc codes --format json`` and ``GET /api/codes`` show it."""
        return {
            "code": self.code,
            "label": self.label,
            "kind": self.kind,
            "unit_minutes": self.unit_minutes,
            "addon_of": self.addon_of,
            "disciplines": list(self.disciplines),
            "deleted_on": self.deleted_on.isoformat() if self.deleted_on else None,
            "replaced_by": list(self.replaced_by),
            "sources": list(self.sources),
            "note": self.note,
            "rule_notes": dict(self.rule_notes),
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
            "valid_sources": list(self.valid_sources),
            "valid_kind": self.valid_kind,
            "monthly_counting": self.monthly_counting,
        }

    @property
    def timed(self) -> bool:
        """True for codes billed per unit of time."""
        return self.kind == "timed"

    @property
    def deleted(self) -> bool:
        return self.kind == "deleted"

    @property
    def monthly(self) -> bool:
        """True for codes counted by the calendar month (remote therapeutic monitoring)."""
        return self.kind == "monthly"


def _frozen_codes(codes: Mapping[str, CodeInfo]) -> Mapping[str, CodeInfo]:
    return MappingProxyType(dict(codes))


@attrs.frozen
class CodeTable:
    """An immutable code table. Build it with :meth:`default`, :meth:`load` or
    :meth:`with_codes`; look codes up with :meth:`lookup`."""

    codes: Mapping[str, CodeInfo] = attrs.field(converter=_frozen_codes)
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
        text = read(path, "code table", lambda message: CodeTableError(message, path=str(path)))
        entries = parse_table(text, source_name=str(path), require_sources=False)
        base = base if base is not None else cls.default()
        return base.with_codes(*entries, source_name=str(path))

    def with_codes(self, *infos: CodeInfo, source_name: str = "code table") -> CodeTable:
        """A new table with these entries added or replacing existing ones;
        ``source_name`` names where they came from in an error."""
        merged = dict(self.codes)
        for info in infos:
            merged[info.code] = info
        _check_references(merged, source_name=source_name)
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
        :class:`MonthlyCodeError` for a code counted by the month and
        :class:`UnknownCodeError` with close matches for a code the table lacks.

        >>> CodeTable.default().lookup("97127")
        Traceback (most recent call last):
        ...
        unitcalc.core.errors.DeletedCodeError: 97127 was deleted on 2020-01-01; its replacements ...
        """
        code = normalize_code(raw_code)
        info = self.codes.get(code)
        if info is None:
            suggestions = _close_codes(code, self.codes)
            hint = f" Did you mean {', '.join(suggestions)}?" if suggestions else ""
            raise UnknownCodeError(
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
        if on is not None:
            if info.valid_from is not None and on < info.valid_from:
                in_force = self.in_force_instead(code, on)
                if in_force:
                    instead = (
                        f"the code in force on that date is {_with_windows(self, in_force)}"
                        if len(in_force) == 1
                        else f"the codes in force on that date are {_with_windows(self, in_force)}"
                    )
                else:
                    instead = "this code table has no code in its place on that date"
                raise CodeNotInForceError(
                    f"{code} is valid from {info.valid_from.isoformat()}, not on "
                    f"{on.isoformat()}; {instead}",
                    code=code,
                    date_of_service=on,
                    valid_from=info.valid_from,
                    valid_to=info.valid_to,
                    in_force=in_force,
                )
            if info.valid_to is not None and on > info.valid_to:
                raise self._ended(info, on)
        if info.monthly:
            counting = info.monthly_counting or "the calendar month"
            raise MonthlyCodeError(
                f"{code} ({info.label}) is a monthly code: it counts {counting}, never a "
                "day's minutes, so neither the 8-minute rule nor the midpoint rule applies; "
                "leave it out of the day's services and bill it for its month or 30-day period",
                code=code,
                counting=counting,
            )
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
        if in_force:
            instead = (
                f"the code in force on that date is {_with_windows(self, in_force)}"
                if len(in_force) == 1
                else f"the codes in force on that date are {_with_windows(self, in_force)}"
            )
        else:
            instead = "this code table has no code in its place on that date"
        message = f"{code} was valid to {last}, not on {on.isoformat()}; {instead}"
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
                if c in self.codes and not self.codes[c].monthly and self.codes[c].in_force_on(on)
            )
        )


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


def define_code(spec: str) -> CodeInfo:
    """Build a user entry from ``spec``, ``CODE=KIND[/MINUTES]`` (the CLI's ``--define``).

    >>> define_code("0999T=timed/30")
    CodeInfo(code='0999T', label='user-defined timed code', kind='timed', unit_minutes=30, ...)
    >>> define_code("97999=untimed").kind
    'untimed'
    """

    given = Mention("spec", spec, owner="define_code", given=True)
    code_part, sep, kind_part = spec.partition("=")
    if not sep:
        raise CodeTableError(
            message_of(given, ": write CODE=timed, CODE=timed/30 or CODE=untimed"),
            path="define_code",
            key=spec,
            argument="spec",
        )
    code = normalize_code(code_part)
    kind, slash, minutes = kind_part.strip().lower().partition("/")
    if kind == "timed":
        unit = 15
        if slash:
            if not re.fullmatch(r"[0-9]+", minutes) or int(minutes) <= 0:
                raise CodeTableError(
                    message_of(
                        given,
                        f": unit length {minutes!r} must be a whole number of minutes above 0, "
                        "e.g. timed/15",
                    ),
                    path="define_code",
                    key=code,
                    argument="spec",
                )
            unit = int(minutes)
        return CodeInfo(
            code=code,
            label="user-defined timed code",
            kind="timed",
            unit_minutes=unit,
            sources=("user definition",),
        )
    if kind == "untimed" and not slash:
        return CodeInfo(
            code=code,
            label="user-defined untimed code",
            kind="untimed",
            sources=("user definition",),
        )
    raise CodeTableError(
        message_of(given, ": the kind must be timed, timed/MINUTES or untimed"),
        path="define_code",
        key=code,
        argument="spec",
    )


def parse_table(text: str, *, source_name: str, require_sources: bool) -> list[CodeInfo]:
    """Parse code table TOML text into entries, checking every key and value.

    Errors name the file, the entry, the key and (where it can be found) the line.
    """
    document, problem, line = parse(text)
    if document is None:
        where = f"{source_name}, line {line}" if line else source_name
        raise CodeTableError(f"{where}: {problem}", path=source_name, line=line)
    unknown_top = set(document) - {"sources", "codes"}
    if unknown_top:
        key = sorted(unknown_top)[0]
        raise _table_error(
            text, source_name, key, f"unknown top-level key {key!r}: expected [sources] and [codes]"
        )
    sources = document.get("sources", {})
    codes = document.get("codes", {})
    if not isinstance(sources, dict) or not isinstance(codes, dict):
        raise CodeTableError(
            f"{source_name}: [sources] and [codes] must be tables", path=source_name
        )
    entries = [
        _parse_entry(text, source_name, raw_code, body, sources, require_sources=require_sources)
        for raw_code, body in codes.items()
    ]
    _check_references({e.code: e for e in entries}, source_name=source_name, partial=True)
    return entries


def _parse_entry(
    text: str,
    source_name: str,
    raw_code: str,
    body: Any,
    sources: Mapping[str, Any],
    *,
    require_sources: bool,
) -> CodeInfo:
    def fail(key: str | None, problem: str) -> CodeTableError:
        where = f"[codes.{raw_code!r}]" + (f" {key}" if key else "")
        return _table_error(text, source_name, raw_code, f"{where}: {problem}", key=key)

    if not isinstance(body, dict):
        raise fail(None, "must be a table of keys such as label and kind")
    try:
        code = normalize_code(raw_code)
    except InvalidServiceError as exc:
        raise fail(None, str(exc)) from exc
    unknown = sorted(set(body) - _ENTRY_KEYS)
    if unknown:
        raise fail(unknown[0], f"unknown key; allowed keys are {', '.join(sorted(_ENTRY_KEYS))}")
    label = body.get("label")
    if not isinstance(label, str) or not label.strip():
        raise fail("label", "a short label (text) is required")
    kind = body.get("kind")
    if kind not in KINDS:
        raise fail("kind", f"must be one of {', '.join(KINDS)}, not {kind!r}")
    unit_minutes = body.get("unit_minutes")
    valid_kind = body.get("valid_kind")
    if valid_kind is not None:
        if kind != "deleted":
            raise fail("valid_kind", "only for deleted codes: how the code was counted while valid")
        if valid_kind not in ("timed", "untimed"):
            raise fail("valid_kind", f'must be "timed" or "untimed", not {valid_kind!r}')
    if kind == "timed" or valid_kind == "timed":
        if isinstance(unit_minutes, bool) or not isinstance(unit_minutes, int) or unit_minutes <= 0:
            raise fail(
                "unit_minutes", f"a timed code needs whole minutes above 0, not {unit_minutes!r}"
            )
    elif unit_minutes is not None:
        raise fail("unit_minutes", f"only timed codes have a unit length ({kind} code)")
    addon_of = body.get("addon_of")
    if addon_of is not None:
        if kind != "timed" and valid_kind != "timed":
            raise fail("addon_of", "only timed codes can be add-ons")
        try:
            addon_of = normalize_code(addon_of)
        except InvalidServiceError as exc:
            raise fail("addon_of", str(exc)) from exc
    disciplines = body.get("disciplines", [])
    if not isinstance(disciplines, list) or any(d not in DISCIPLINES for d in disciplines):
        raise fail("disciplines", f"must be a list drawn from {', '.join(DISCIPLINES)}")
    deleted_on = body.get("deleted_on")
    replaced_by = body.get("replaced_by", [])
    window: dict[str, datetime.date | None] = {}
    for key in ("valid_from", "valid_to"):
        value = body.get(key)
        if value is not None and not _is_date(value):
            raise fail(key, f"must be a TOML date such as 2017-01-01, not {value!r}")
        window[key] = value
    valid_from, valid_to = window["valid_from"], window["valid_to"]
    if valid_from and valid_to and valid_from > valid_to:
        raise fail("valid_to", f"{valid_to} is before valid_from {valid_from}")
    if kind == "deleted":
        if deleted_on is None and valid_to is not None:
            deleted_on = valid_to + _ONE_DAY
        if not _is_date(deleted_on):
            raise fail(
                "deleted_on",
                "a deleted code needs its deletion date, e.g. 2017-01-01 (or valid_to, its "
                "last valid day)",
            )
        if valid_to is not None and valid_to + _ONE_DAY != deleted_on:
            raise fail("valid_to", f"must be the day before deleted_on ({deleted_on})")
        if not isinstance(replaced_by, list) or not replaced_by:
            raise fail("replaced_by", "a deleted code needs the list of its replacement codes")
        try:
            replaced_by = [normalize_code(c) for c in replaced_by]
        except InvalidServiceError as exc:
            raise fail("replaced_by", str(exc)) from exc
    elif deleted_on is not None:
        raise fail("deleted_on", "only for deleted codes")
    elif replaced_by and valid_to is None:
        raise fail("replaced_by", "only for deleted codes and codes with a valid_to")
    elif replaced_by:
        if not isinstance(replaced_by, list):
            raise fail("replaced_by", "must be a list of codes")
        try:
            replaced_by = [normalize_code(c) for c in replaced_by]
        except InvalidServiceError as exc:
            raise fail("replaced_by", str(exc)) from exc
    monthly_counting = body.get("monthly_counting")
    if kind == "monthly":
        if not isinstance(monthly_counting, str) or not monthly_counting.strip():
            raise fail("monthly_counting", "a monthly code needs a few words on what it counts by")
        if addon_of is not None or unit_minutes is not None:
            raise fail("unit_minutes", "a monthly code has no unit length and no add-on")
    elif monthly_counting is not None:
        raise fail("monthly_counting", "only for monthly codes")

    def cited(field: str, *, required: bool) -> list[str]:
        """The texts of the ``[sources]`` keys given in ``field`` (a user's file may
        cite free text, a contract or a payer letter, directly)."""
        keys = body.get(field, [])
        if isinstance(keys, str):
            keys = [keys]
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise fail(field, "must be a list of keys into [sources]")
        if required and not keys:
            raise fail(
                field,
                "every packaged entry must cite a source"
                if field == "source"
                else "every packaged date must cite the source that sets it",
            )
        found = []
        for key in keys:
            if key in sources:
                found.append(str(sources[key]))
            elif require_sources:
                raise fail(field, f"{key!r} is not a key of [sources]")
            else:
                found.append(key)
        return found

    citations = cited("source", required=require_sources)
    if not citations:
        citations.append(f"user code table {source_name}")
    dated = valid_from is not None or valid_to is not None or deleted_on is not None
    valid_sources = cited("valid_source", required=require_sources and dated)
    note = body.get("note")
    if note is not None and not isinstance(note, str):
        raise fail("note", "must be text")
    rule_notes: dict[str, str] = body.get("rule_notes", {})
    if not isinstance(rule_notes, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in rule_notes.items()
    ):
        raise fail("rule_notes", 'must be a table of rule name = "text"')
    return CodeInfo(
        code=code,
        label=label.strip(),
        kind=kind,
        unit_minutes=unit_minutes,
        addon_of=addon_of,
        disciplines=tuple(disciplines),
        deleted_on=deleted_on,
        replaced_by=tuple(replaced_by),
        sources=tuple(citations),
        note=note,
        rule_notes=rule_notes,
        valid_from=valid_from,
        valid_to=valid_to,
        valid_sources=tuple(valid_sources),
        valid_kind=valid_kind,
        monthly_counting=monthly_counting.strip() if monthly_counting else None,
    )


def _is_date(value: object) -> bool:
    return isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)


def _check_references(
    codes: Mapping[str, CodeInfo], *, source_name: str, partial: bool = False
) -> None:
    """Add-on relations must name a timed primary, one add-on per primary, no chains.

    An add-on's unit may differ from its primary's (97550's first 30 minutes, then 97551's
    15-minute units): the family counts the first unit at the primary's length and the
    rest at the add-on's."""
    addons_by_primary: dict[str, str] = {}
    for info in codes.values():
        if info.addon_of is None:
            continue
        primary = codes.get(info.addon_of)
        if primary is None:
            if partial:
                continue  # a user's file may name a primary from the packaged table
            raise CodeTableError(
                f"{source_name}: {info.code} is an add-on of {info.addon_of}, "
                "which is not in the table",
                path=source_name,
                key=info.code,
            )
        primary_timed = primary.timed or primary.valid_kind == "timed"
        if not primary_timed or primary.addon_of is not None:
            raise CodeTableError(
                f"{source_name}: {info.code} is an add-on of {info.addon_of}, which must be "
                "a timed code that is not itself an add-on",
                path=source_name,
                key=info.code,
            )
        if info.addon_of in addons_by_primary:
            raise CodeTableError(
                f"{source_name}: {info.addon_of} has two add-ons "
                f"({addons_by_primary[info.addon_of]}, {info.code}); unitcalc supports one",
                path=source_name,
                key=info.code,
            )
        addons_by_primary[info.addon_of] = info.code


def _table_error(
    text: str, source_name: str, code: str, message: str, *, key: str | None = None
) -> CodeTableError:
    line = find_line(text, "codes", code, key)
    where = f"{source_name}, line {line}" if line else source_name
    return CodeTableError(f"{where}: {message}", path=source_name, key=key or code, line=line)


_DATA = Path(__file__).parents[1] / "data"
"""Packaged data files (the package is always installed as files, never zipped)."""


@cache
def _packaged_table() -> CodeTable:
    text = (_DATA / "codes.toml").read_text(encoding="utf-8")
    entries = parse_table(text, source_name="unitcalc/data/codes.toml", require_sources=True)
    table = {e.code: e for e in entries}
    _check_references(table, source_name="unitcalc/data/codes.toml")
    return CodeTable(table)


def iter_kind(table: CodeTable, kinds: Iterable[Kind]) -> Iterator[CodeInfo]:
    """Entries of the given kinds, sorted by code."""
    wanted = set(kinds)
    return iter(sorted((i for i in table if i.kind in wanted), key=lambda i: i.code))
