"""Reading code tables: the packaged TOML file and a user's TOML file of the same shape
(the one-entry definitions of the CLI's ``--define`` are :mod:`.definitions`).

Every key and value is checked before an entry (:class:`~unitcalc.core.codeinfo.CodeInfo`)
is built, and an error names the file, the entry, the key and, where it can be found, the
line. The packaged file must cite a ``[sources]`` key for every entry and every date; a
user's file may cite free text (a contract, a payer letter) or nothing. Add-on relations
are checked across the whole table (:func:`check_references`). The table itself and its
lookup are :mod:`unitcalc.core.codes`.

>>> text = '''
... [codes."0999T"]
... label = "new code"
... kind = "timed"
... unit_minutes = 30
... '''
>>> [info] = parse_table(text, source_name="mine.toml", require_sources=False)
>>> info.code, info.unit_minutes, info.sources
('0999T', 30, ('user code table mine.toml',))
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .codeinfo import KINDS, THERAPY_LIST, CodeInfo, normalize_code
from .disciplines import NAMES as DISCIPLINES
from .errors import CodeTableError, InvalidServiceError
from .months import MonthCounting, check_counting, parse_counting
from .text import echo
from .tomlfile import find_line, parse, read
from .values import MAX_MINUTES

_ONE_DAY = datetime.timedelta(days=1)

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
        "therapy_list",
        "therapy_list_source",
        "declare_hint",
        "month",
    }
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
    check_references({e.code: e for e in entries}, source_name=source_name, partial=True)
    return entries


_DATA = Path(__file__).parents[1] / "data"
"""Packaged data files (the package is always installed as files, never zipped)."""
PACKAGED = "unitcalc/data/codes.toml"
"""The packaged code table, as errors name it."""


def packaged_entries() -> dict[str, CodeInfo]:
    """The packaged table's entries by code, each citing its sources, the add-on
    relations checked across the table."""
    text = (_DATA / "codes.toml").read_text(encoding="utf-8")
    entries = parse_table(text, source_name=PACKAGED, require_sources=True)
    table = {e.code: e for e in entries}
    check_references(table, source_name=PACKAGED)
    return table


def read_table_file(path: Path) -> list[CodeInfo]:
    """The entries of a user's code table file; add-ons may name a primary of the table
    they are laid over (:meth:`~unitcalc.core.codes.CodeTable.load`)."""
    text = read(path, "code table", lambda message: CodeTableError(message, path=str(path)))
    return parse_table(text, source_name=str(path), require_sources=False)


_Fail = Callable[[str | None, str], CodeTableError]
"""Builds the error for one key of one entry (``None``: the entry itself)."""


def _parse_entry(
    text: str,
    source_name: str,
    raw_code: str,
    body: Any,
    sources: Mapping[str, Any],
    *,
    require_sources: bool,
) -> CodeInfo:
    """One ``[codes."CODE"]`` entry, its keys checked group by group in a fixed order (the
    first problem found is the one reported)."""

    def fail(key: str | None, problem: str) -> CodeTableError:
        where = f"[codes.{raw_code!r}]" + (f" {key}" if key else "")
        return _table_error(text, source_name, raw_code, f"{where}: {problem}", key=key)

    if not isinstance(body, dict):
        raise fail(None, "must be a table of keys such as label and kind")
    code, label, kind = _code_label_kind(raw_code, body, fail)
    valid_kind, unit_minutes, addon_of = _unit_keys(body, kind, fail)
    disciplines = body.get("disciplines", [])
    if not isinstance(disciplines, list) or any(d not in DISCIPLINES for d in disciplines):
        raise fail("disciplines", f"must be a list drawn from {', '.join(DISCIPLINES)}")
    valid_from, valid_to, deleted_on, replaced_by = _dated_keys(body, kind, fail)
    monthly_counting = _monthly_counting(body, kind, addon_of, unit_minutes, fail)
    month = _month(body, kind, fail, required=require_sources)
    citations = _cited(
        body, "source", sources, fail, required=require_sources, known=require_sources
    )
    if not citations:
        citations.append(f"user code table {source_name}")
    dated = valid_from is not None or valid_to is not None or deleted_on is not None
    valid_sources = _cited(
        body,
        "valid_source",
        sources,
        fail,
        required=require_sources and dated,
        known=require_sources,
    )
    note, rule_notes = _notes(body, fail)
    therapy_list = body.get("therapy_list")
    if therapy_list is not None and therapy_list not in THERAPY_LIST:
        raise fail(
            "therapy_list", f"must be one of {', '.join(THERAPY_LIST)}, not {therapy_list!r}"
        )
    therapy_sources = _cited(
        body,
        "therapy_list_source",
        sources,
        fail,
        required=require_sources and therapy_list is not None,
        known=require_sources,
    )
    if therapy_sources and therapy_list is None:
        raise fail("therapy_list_source", "only with therapy_list")
    return CodeInfo(
        code=code,
        label=label,
        kind=kind,
        unit_minutes=unit_minutes,
        addon_of=addon_of,
        disciplines=tuple(disciplines),
        deleted_on=deleted_on,
        replaced_by=replaced_by,
        sources=tuple(citations),
        note=note,
        rule_notes=rule_notes,
        valid_from=valid_from,
        valid_to=valid_to,
        valid_sources=tuple(valid_sources),
        valid_kind=valid_kind,
        monthly_counting=monthly_counting,
        therapy_list=therapy_list,
        therapy_list_sources=tuple(therapy_sources),
        declare_hint=_declare_hint(body, kind, fail),
        month=month,
    )


def _notes(body: Mapping[str, Any], fail: _Fail) -> tuple[str | None, dict[str, str]]:
    """The entry's note and its notes under each rule."""
    note = body.get("note")
    if note is not None and not isinstance(note, str):
        raise fail("note", "must be text")
    rule_notes: dict[str, str] = body.get("rule_notes", {})
    if not isinstance(rule_notes, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in rule_notes.items()
    ):
        raise fail("rule_notes", 'must be a table of rule name = "text"')
    return note, rule_notes


def _declare_hint(body: Mapping[str, Any], kind: str, fail: _Fail) -> str | None:
    """What the user declares before an unlisted code counts (stripped): only unlisted
    codes have it, and they must."""
    hint = body.get("declare_hint")
    if kind == "unlisted":
        if not isinstance(hint, str) or not hint.strip():
            raise fail(
                "declare_hint",
                "an unlisted code needs a few words on what the user declares before it counts",
            )
        return hint.strip()
    if hint is not None:
        raise fail("declare_hint", "only for unlisted codes")
    return None


def _month(
    body: Mapping[str, Any], kind: str, fail: _Fail, *, required: bool
) -> MonthCounting | None:
    """How a monthly code counts in its month (its ``month`` table), which only monthly
    codes have; every packaged monthly code has one."""
    value = body.get("month")
    if value is None:
        if kind == "monthly" and required:
            raise fail("month", "a packaged monthly code says how it counts in its month")
        return None
    if kind != "monthly":
        raise fail("month", "only for monthly codes")
    return parse_counting(value, fail, normalize_code)


def _code_label_kind(raw_code: str, body: Mapping[str, Any], fail: _Fail) -> tuple[str, str, Any]:
    """The code in canonical form, no key the table does not know, the label (stripped)
    and the kind."""
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
    return code, label.strip(), kind


def _unit_keys(body: Mapping[str, Any], kind: str, fail: _Fail) -> tuple[Any, Any, str | None]:
    """How a deleted code was counted (``valid_kind``), the unit length and the primary
    of an add-on: only timed codes (or deleted codes that were timed) have the last two."""
    unit_minutes = body.get("unit_minutes")
    valid_kind = body.get("valid_kind")
    if valid_kind is not None:
        if kind != "deleted":
            raise fail("valid_kind", "only for deleted codes: how the code was counted while valid")
        if valid_kind not in ("timed", "untimed"):
            raise fail("valid_kind", f'must be "timed" or "untimed", not {valid_kind!r}')
    if kind == "timed" or valid_kind == "timed":
        if (
            isinstance(unit_minutes, bool)
            or not isinstance(unit_minutes, int)
            or not 0 < unit_minutes <= MAX_MINUTES
        ):
            raise fail(
                "unit_minutes",
                f"a timed code needs whole minutes from 1 to {MAX_MINUTES}, "
                f"not {echo(unit_minutes)}",
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
    return valid_kind, unit_minutes, addon_of


def _dated_keys(
    body: Mapping[str, Any], kind: str, fail: _Fail
) -> tuple[datetime.date | None, datetime.date | None, Any, tuple[str, ...]]:
    """The window (``valid_from``, ``valid_to``), the deletion date and the replacements:
    a deleted code needs both of the last two (its deletion date may come from
    ``valid_to``); another code may name replacements only when its window ends."""
    window: dict[str, datetime.date | None] = {}
    for key in ("valid_from", "valid_to"):
        value = body.get(key)
        if value is not None and not _is_date(value):
            raise fail(key, f"must be a TOML date such as 2017-01-01, not {value!r}")
        window[key] = value
    valid_from, valid_to = window["valid_from"], window["valid_to"]
    if valid_from and valid_to and valid_from > valid_to:
        raise fail("valid_to", f"{valid_to} is before valid_from {valid_from}")
    deleted_on = body.get("deleted_on")
    replaced_by = body.get("replaced_by", [])
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
        return valid_from, valid_to, deleted_on, _replacements(replaced_by, fail)
    if deleted_on is not None:
        raise fail("deleted_on", "only for deleted codes")
    if replaced_by and valid_to is None:
        raise fail("replaced_by", "only for deleted codes and codes with a valid_to")
    if replaced_by:
        if not isinstance(replaced_by, list):
            raise fail("replaced_by", "must be a list of codes")
        return valid_from, valid_to, deleted_on, _replacements(replaced_by, fail)
    return valid_from, valid_to, deleted_on, tuple(replaced_by)


def _replacements(codes: list[Any], fail: _Fail) -> tuple[str, ...]:
    try:
        return tuple(normalize_code(c) for c in codes)
    except InvalidServiceError as exc:
        raise fail("replaced_by", str(exc)) from exc


def _monthly_counting(
    body: Mapping[str, Any], kind: str, addon_of: str | None, unit_minutes: Any, fail: _Fail
) -> str | None:
    """What a monthly code counts by (stripped), which only monthly codes have; a monthly
    code has no unit length and no add-on."""
    monthly_counting = body.get("monthly_counting")
    if kind == "monthly":
        if not isinstance(monthly_counting, str) or not monthly_counting.strip():
            raise fail("monthly_counting", "a monthly code needs a few words on what it counts by")
        if addon_of is not None or unit_minutes is not None:
            raise fail("unit_minutes", "a monthly code has no unit length and no add-on")
    elif monthly_counting is not None:
        raise fail("monthly_counting", "only for monthly codes")
    return monthly_counting.strip() if monthly_counting else None


def _cited(
    body: Mapping[str, Any],
    field: str,
    sources: Mapping[str, Any],
    fail: _Fail,
    *,
    required: bool,
    known: bool,
) -> list[str]:
    """The texts of the ``[sources]`` keys given in ``field``; with ``known`` false (a
    user's file) a key that is not in ``[sources]`` is taken as the citation itself (free
    text, a contract or a payer letter)."""
    keys = body.get(field, [])
    if isinstance(keys, str):
        keys = [keys]
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise fail(field, "must be a list of keys into [sources]")
    if required and not keys:
        raise fail(
            field,
            {
                "source": "every packaged entry must cite a source",
                "valid_source": "every packaged date must cite the source that sets it",
            }.get(field, "every packaged therapy-list designation must cite its source"),
        )
    found = []
    for key in keys:
        if key in sources:
            found.append(str(sources[key]))
        elif known:
            raise fail(field, f"{key!r} is not a key of [sources]")
        else:
            found.append(key)
    return found


def _is_date(value: object) -> bool:
    return isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)


def check_references(
    codes: Mapping[str, CodeInfo], *, source_name: str, partial: bool = False
) -> None:
    """Add-on relations must name a timed primary, one add-on per primary, no chains.

    An add-on's unit may differ from its primary's (97550's first 30 minutes, then 97551's
    15-minute units): the family counts the first unit at the primary's length and the
    rest at the add-on's."""
    problem = check_counting({info.code: info.month for info in codes.values()})
    if problem is not None and not partial:
        raise CodeTableError(f"{source_name}: {problem}", path=source_name)
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
