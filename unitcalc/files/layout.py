"""Which input column plays which part: a file's header read into a :class:`Layout`.

A role (code, minutes, billed units, the group key ...) is played by the column the
caller names for it, else the header that is the role's own name, else a built-in alias
of the exports billing systems write (:data:`~unitcalc.files.options.ALIASES`). The key of
a group is the patient and the date of service, else the visit, else the columns the
caller names; with a billing provider column (a billing NPI or tax ID), who bills too.
Dates of service are dates: ``YYYY-MM-DD`` and ``MM/DD/YYYY``, with or without leading
zeros, are the same day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ..core.errors import FileProblem, Mention, message_of
from ..core.values import parse_date
from .options import (
    ALIASES,
    DATE_COLUMN,
    KEY_COLUMN_BILLING,
    KEY_COLUMN_VISIT,
    KEY_COLUMNS_DAY,
    KNOWN_COLUMNS,
    ROLES,
    Options,
)


@attrs.frozen
class Layout:
    """Which input column plays which part, matched case-insensitively."""

    columns: tuple[str, ...]
    key_columns: tuple[str, ...]
    known: Mapping[str, str]
    open_ended: bool = False
    """True for JSON Lines, whose records may carry keys the first record lacks."""

    roles: Mapping[str, str] = attrs.field(factory=dict)
    """Every role found (key roles too) -> the input column that plays it."""

    @classmethod
    def of(
        cls, columns: Sequence[str], options: Options, *, display: str, open_ended: bool
    ) -> Layout:
        by_lower: dict[str, str] = {}
        for name in columns:
            lower = name.lower()
            if lower in by_lower:
                raise FileProblem(
                    f"{display}: column {name!r} appears twice in the header", path=display
                )
            by_lower[lower] = name
        roles = find_roles(columns, options.columns, display=display)
        if open_ended:
            # JSON Lines: keys are lower-cased record by record, and a key the first
            # record lacks may come later; a record missing one is reported by itself.
            taken = set(roles.values())
            for name in (*KNOWN_COLUMNS, *KEY_COLUMNS_DAY, KEY_COLUMN_VISIT):
                if name not in taken:
                    roles.setdefault(name, name)
            if not all(roles.get(name) in columns for name in KEY_COLUMNS_DAY) and (
                roles.get(KEY_COLUMN_VISIT) in columns
            ):
                roles.pop(KEY_COLUMNS_DAY[0])
        required = ["code", "minutes"] + (["billed_units"] if options.need_billed else [])
        missing = [name for name in required if name not in roles]
        if options.group_by:
            key = [
                by_lower.get(name.lower()) or roles.get(name.lower(), "")
                for name in options.group_by
            ]
            missing += [n for n, k in zip(options.group_by, key, strict=True) if not k]
        elif all(name in roles for name in KEY_COLUMNS_DAY):
            key = [roles[name] for name in KEY_COLUMNS_DAY]
        elif KEY_COLUMN_VISIT in roles:
            key = [roles[KEY_COLUMN_VISIT]]
        else:
            key = []
            missing.append("patient_id and date_of_service, or visit_id")
        if key and not options.group_by and roles.get(KEY_COLUMN_BILLING) in columns:
            key.append(roles[KEY_COLUMN_BILLING])  # who bills: one claim per billing provider
        if missing:
            raise _missing_columns(missing, columns, display, group=not key)
        known = {name: roles[name] for name in KNOWN_COLUMNS if name in roles}
        return cls(tuple(columns), tuple(key), known, open_ended, roles)

    @property
    def key_roles(self) -> tuple[str, ...]:
        """The key's parts named by role where a role plays them (``patient_id``,
        ``date_of_service``), else by their column, lower case."""
        by_column = {column: role for role, column in self.roles.items()}
        return tuple(by_column.get(name, name.lower()) for name in self.key_columns)

    @property
    def aliased(self) -> dict[str, str]:
        """The roles read from columns of another name (``code: CPT``)."""
        return {
            role: column
            for role, column in self.roles.items()
            if column.lower() != role and column in self.columns
        }

    def key_of(self, values: Mapping[str, Any]) -> tuple[str, ...] | None:
        """The group key of a row (a date of service as ``YYYY-MM-DD``), or None when
        a key value is missing or empty. A date that is no date raises."""
        parts = [key_text(values.get(name)) for name in self.key_columns]
        if any(part is None for part in parts):
            return None
        key = [part for part in parts if part is not None]
        if self.date_index is not None:
            key[self.date_index] = parse_date(key[self.date_index])[0].isoformat()
        return tuple(key)

    def date_format(self, values: Mapping[str, Any]) -> str | None:
        """How the row's date of service was written (``iso`` or ``us``)."""
        if self.date_index is None:
            return None
        text = key_text(values.get(self.key_columns[self.date_index]))
        return parse_date(text)[1] if text is not None else None

    @property
    def date_index(self) -> int | None:
        """Where the date of service stands in the key, if it is part of it."""
        date_column = self.roles.get(DATE_COLUMN, DATE_COLUMN)
        for index, name in enumerate(self.key_columns):
            if name == date_column or name.lower() == DATE_COLUMN:
                return index
        return None


def _missing_columns(
    missing: Sequence[str], columns: Sequence[str], display: str, *, group: bool
) -> FileProblem:
    """The required columns the header lacks (``group``: the key columns among them, as
    the last), and the argument that names them."""
    parts: list[str | Mention] = [
        f"{display}: missing required column{'s' * (len(missing) > 1)}: {', '.join(missing)}"
    ]
    if group:
        parts += [" (or use ", Mention("group_by", owner="Options"), ")"]
    parts.append(f"; the header has {', '.join(columns) or 'no columns'}; ")
    if len(columns) == 1 and any(mark in columns[0] for mark in ";\t|"):
        parts += [
            "the header seems to use another delimiter: give it with ",
            Mention("delimiter", owner="Options"),
        ]
        argument = "delimiter"
    else:
        parts += [
            "name the columns to use with ",
            Mention("columns", {"ROLE": "HEADER"}, owner="Options"),
            " (e.g. code=CPT)",
        ]
        argument = "columns"
    return FileProblem(message_of(*parts), path=display, argument=argument)


def _normal(header: str) -> str:
    """A header as aliases are written: lower case, ``_`` and ``-`` as spaces."""
    return " ".join(header.lower().replace("_", " ").replace("-", " ").split())


def find_roles(columns: Sequence[str], given: Mapping[str, str], *, display: str) -> dict[str, str]:
    """Which column plays which role: ``given`` (``Options.columns``) first, then a header
    that is the role's own name, then a built-in alias (:data:`ALIASES`). Two headers
    read as one role is an error naming both.

    >>> roles = find_roles(["Patient ID", "DOS", "CPT", "Minutes", "Units"], {}, display="f")
    >>> for role, column in sorted(roles.items()):
    ...     print(f"{role}: {column}")
    billed_units: Units
    code: CPT
    date_of_service: DOS
    minutes: Minutes
    patient_id: Patient ID
    """
    by_lower = {name.lower(): name for name in columns}
    roles: dict[str, str] = {}
    for role, header in given.items():
        given_as = Mention("columns", {role: header}, owner="Options")
        if role not in ROLES:
            raise FileProblem(
                message_of(given_as, f": {role!r} is not a role; roles are {', '.join(ROLES)}"),
                path=display,
                argument="columns",
            )
        found = by_lower.get(header.strip().lower())
        if found is None:
            raise FileProblem(
                message_of(
                    given_as,
                    f": {display} has no column {header!r}; the header has "
                    f"{', '.join(columns) or 'no columns'}",
                ),
                path=display,
                argument="columns",
            )
        roles[role] = found
    claimed = set(roles.values())
    for role in ROLES:
        found = by_lower.get(role)
        if role not in roles and found is not None and found not in claimed:
            roles[role] = found
            claimed.add(found)
    candidates: dict[str, list[str]] = {}
    for name in columns:
        alias = ALIASES.get(_normal(name))
        if alias is not None and alias not in roles and name not in claimed:
            candidates.setdefault(alias, []).append(name)
    for role, names in candidates.items():
        if len(names) > 1:
            raise FileProblem(
                message_of(
                    f"{display}: columns {' and '.join(map(repr, names))} both read as {role}; "
                    "say which to use with ",
                    Mention("columns", {role: names[0]}, owner="Options"),
                ),
                path=display,
                argument="columns",
            )
        roles[role] = names[0]
    return roles


def key_text(value: Any) -> str | None:
    """A key cell as text; None when empty or not a plain value (JSON null, a list)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = str(value).strip()
    return text or None
