"""Checking rows: each record's values parsed into the columns the engine counts
(code, minutes, discipline, billed units, rule, payer, the group key), or the reason
the row cannot be used.

Values in their plain forms (``97110``, ``33``, ``GP``, ``2026-01-05``) are parsed in
columns by polars; any other value (``97110 `` with a tab, ``33.0``, a JSON number, a
bad value) goes through :meth:`Layout.check`, the one scalar checker, which parses it
or names the line, the field and the fix. Both give the same columns.

Dates of service are dates: ``YYYY-MM-DD`` and ``MM/DD/YYYY``, with or without leading
zeros, are the same day.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ..core.disciplines import (
    bills_assistant_modifier,
    bills_assistant_modifier_column,
    discipline_column,
)
from ..core.errors import (
    FileProblem,
    InvalidServiceError,
    Mention,
    PayerProfileError,
    UnitcalcError,
    message_of,
)
from ..core.model import MAX_MINUTES, ServiceLine, parse_minutes
from ..engine.audit import parse_units
from ..engine.payers import PayerProfile
from ..engine.payers import select as select_profile
from ..rules import get_rule, rule_names
from .options import (
    ALIASES,
    DATE_COLUMN,
    KEY_COLUMN_VISIT,
    KEY_COLUMNS_DAY,
    KNOWN_COLUMNS,
    ROLES,
    Options,
)
from .read import END, ERROR, LINE, Record

if TYPE_CHECKING:
    import polars as pl

_ISO_DATE = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$")
_US_DATE = re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$")


def parse_date(text: str) -> tuple[datetime.date, str]:
    """A date of service and the way it was written (``iso`` or ``us``).

    >>> parse_date("2026-1-5"), parse_date("01/05/2026")[0]
    ((datetime.date(2026, 1, 5), 'iso'), datetime.date(2026, 1, 5))
    >>> parse_date("5.1.2026")
    Traceback (most recent call last):
    ...
    unitcalc.core.errors.InvalidServiceError: date_of_service '5.1.2026' is not a date: ...
    """
    value = text.strip()
    iso = _ISO_DATE.match(value)
    us = _US_DATE.match(value) if iso is None else None
    try:
        if iso is not None:
            year, month, day = map(int, iso.groups())
            return datetime.date(year, month, day), "iso"
        if us is not None:
            month, day, year = map(int, us.groups())
            return datetime.date(year, month, day), "us"
    except ValueError:
        pass
    raise InvalidServiceError(
        f"date_of_service {text!r} is not a date: write YYYY-MM-DD (2026-01-05) or "
        "MM/DD/YYYY (01/05/2026)",
        code=None,
        field=DATE_COLUMN,
        value=text,
    )


@attrs.frozen
class Row:
    """A record checked and ready to count."""

    record: Record
    key: tuple[str, ...] | None
    service: ServiceLine | None
    billed: int | None
    rule: str | None
    error: str | None
    payer: PayerProfile | None = None
    date_format: str | None = None


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

    def check(self, record: Record, options: Options, default_rule: str | None) -> Row:
        values = record.values
        try:
            key = self.key_of(values)
        except InvalidServiceError as exc:
            return Row(record, None, None, None, None, record.error or exc.worded(options.spelling))
        if record.error is not None:
            return Row(record, key, None, None, None, record.error)
        if key is None:
            empty = [n for n in self.key_columns if _key_text(values.get(n)) is None]
            return Row(record, None, None, None, None, f"{', '.join(empty)} is empty or not text")
        try:
            code = values.get(self.known["code"])
            if isinstance(code, int) and not isinstance(code, bool):
                code = str(code)  # JSON Lines may give 97110 as a number
            minutes = values.get(self.known["minutes"])
            if isinstance(minutes, str) and not minutes.strip():
                minutes = None  # an untimed code needs no minutes
            discipline = (
                values.get(self.known["discipline"]) if "discipline" in self.known else None
            )
            assistant: object = None
            if "assistant_minutes" in self.known:
                # With the column, a row without assistant minutes has none (0), so
                # that the modifiers it bills are checked too.
                assistant = values.get(self.known["assistant_minutes"])
                if assistant is None or (isinstance(assistant, str) and not assistant.strip()):
                    assistant = 0
                elif isinstance(assistant, str):
                    assistant = parse_minutes(assistant, code=None)
            service = ServiceLine(
                code,
                minutes,
                discipline=discipline,
                assistant_minutes=assistant,  # type: ignore[arg-type]
            )
            rule_text = values.get(self.known["rule"]) if "rule" in self.known else None
            rule = default_rule
            if rule_text is not None and str(rule_text).strip():
                rule = get_rule(str(rule_text)).name
            payer_text = values.get(self.known["payer"]) if "payer" in self.known else None
            payer_name = str(payer_text).strip() if payer_text is not None else ""
            payer = payer_profile(payer_name or options.payer, options)
            billed = None
            if options.need_billed:
                billed = parse_units(values.get(self.known["billed_units"], ""), code=service.code)
            if "cq_units" in self.known:
                cq_units = values.get(self.known["cq_units"])
                if cq_units is not None and str(cq_units).strip():
                    parse_units(cq_units, code=service.code, field="cq_units")
        except UnitcalcError as exc:
            field = getattr(exc, "field", None)
            where = f"{field}: " if field and field not in str(exc) else ""
            return Row(record, key, None, None, None, where + exc.worded(options.spelling))
        return Row(record, key, service, billed, rule, None, payer, self._date_format(values))

    def key_of(self, values: Mapping[str, Any]) -> tuple[str, ...] | None:
        """The group key of a row (a date of service as ``YYYY-MM-DD``), or None when
        a key value is missing or empty. A date that is no date raises."""
        parts = [_key_text(values.get(name)) for name in self.key_columns]
        if any(part is None for part in parts):
            return None
        key = [part for part in parts if part is not None]
        if self.date_index is not None:
            key[self.date_index] = parse_date(key[self.date_index])[0].isoformat()
        return tuple(key)

    def _date_format(self, values: Mapping[str, Any]) -> str | None:
        if self.date_index is None:
            return None
        text = _key_text(values.get(self.key_columns[self.date_index]))
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


def _key_text(value: Any) -> str | None:
    """A key cell as text; None when empty or not a plain value (JSON null, a list)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = str(value).strip()
    return text or None


def payer_profile(name: str | None, options: Options) -> PayerProfile | None:
    """The profile of the payer ``name`` among the options' profiles (None for no name);
    an error naming the payer and the fix when there is none such."""
    if not name:
        return None
    if not options.profiles:
        raise PayerProfileError(
            message_of(
                f"payer {name!r} is named, but no payer profiles were given (",
                Mention("profiles", owner="Options"),
                ")",
            ),
            path="",
            payer=name,
            argument="profiles",
        )
    return select_profile(options.profiles, name, path=options.profiles_path)


# --- the columnar checker --------------------------------------------------------------

CODE, MINUTES, DISCIPLINE, BILLED = "__code", "__minutes", "__discipline", "__billed"
RULE, PAYER, PROVIDER, DATE_FORMAT = "__rule", "__payer", "__provider", "__date_format"
ASSISTED = "__assisted"
CHECKED = "__checked"
"""True for a row the scalar checker parsed (its values were not all plain)."""
"""True for a row with assistant minutes, or billing CQ/CO: its group's modifiers are
checked by the scalar engine."""
"""The parsed columns, beside :data:`~unitcalc.files.read.LINE`, ``END``, ``ERROR`` and
one ``__k{i}`` column per part of the group key."""


def key_names(layout: Layout) -> list[str]:
    """The parsed frame's key columns, one per part of the layout's key."""
    return [f"__k{index}" for index in range(len(layout.key_columns))]


def _schema(layout: Layout) -> dict[str, pl.DataType]:
    import polars as pl

    schema: dict[str, pl.DataType] = {LINE: pl.Int64(), END: pl.Int64(), ERROR: pl.String()}
    schema |= dict.fromkeys(key_names(layout), pl.String())
    schema |= {
        CODE: pl.String(),
        MINUTES: pl.Int64(),
        DISCIPLINE: pl.String(),
        BILLED: pl.Int64(),
        RULE: pl.String(),
        PAYER: pl.String(),
        PROVIDER: pl.String(),
        DATE_FORMAT: pl.String(),
        ASSISTED: pl.Boolean(),
        CHECKED: pl.Boolean(),
    }
    return schema


def check_frame(
    frame: pl.DataFrame,
    layout: Layout,
    options: Options,
    *,
    records: Sequence[Record] | None = None,
    display: str = "",
) -> pl.DataFrame:
    """Every record parsed into the engine's columns (see :data:`CODE` ...), in line
    order. ``frame`` holds raw text per input column (the columnar reader) or, with
    ``records`` (the careful reader), only the records' lines."""
    import polars as pl

    schema = _schema(layout)
    if records is None:
        plain, odd_lines = _plain_rows(frame, layout, options)
        odd_frame = frame.join(odd_lines, on=LINE, how="semi") if odd_lines.height else None
        odd: list[Record] = []
        if odd_frame is not None:
            columns = list(layout.columns)
            for values in odd_frame.select(LINE, END, *columns).iter_rows():
                odd.append(
                    Record(values[0], values[1], dict(zip(columns, values[2:], strict=True)))
                )
    else:
        plain = pl.DataFrame(schema=schema)
        odd = list(records)
    checked = _python_rows(odd, layout, options, schema, display=display)
    typed = plain.select(list(schema)).cast(dict(schema.items()))
    parsed = pl.concat([typed, checked], how="vertical")
    return parsed.sort(LINE)


def _plain_rows(
    frame: pl.DataFrame, layout: Layout, options: Options
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows whose values are all in their plain forms, parsed, and the lines of the
    others."""
    import polars as pl

    known = layout.known

    # Plain forms only: exact spelling, no surrounding space, no sign. Anything else
    # (which the scalar checker may still accept, e.g. " 33" or "gp") goes to it.
    def text(role: str) -> pl.Expr:
        return pl.col(known[role])

    ok: list[pl.Expr] = []
    table = options.settings.codes
    code = text("code")
    ok.append(code.is_in([info.code for info in table]))
    minutes_text = text("minutes")
    minutes = minutes_text.cast(pl.Int64, strict=False)
    ok.append((minutes_text == "") | minutes.is_between(0, MAX_MINUTES))
    minutes = pl.when(minutes_text == "").then(None).otherwise(minutes)
    billed: pl.Expr = pl.lit(None, dtype=pl.Int64)
    if options.need_billed:
        billed_text = text("billed_units")
        billed = billed_text.cast(pl.Int64, strict=False)
        ok.append(
            billed.is_between(0, 9999)
            & ~billed_text.str.starts_with("+")
            & ~billed_text.str.starts_with("-")
        )
    discipline: pl.Expr = pl.lit(None, dtype=pl.String)
    if "discipline" in known:
        named = text("discipline")
        discipline, spelled = discipline_column(named)
        ok.append(spelled)
    default_rule = options.settings.rule
    rule: pl.Expr = pl.lit(default_rule, dtype=pl.String)
    if "rule" in known:
        named = text("rule")
        aliases = {alias: get_rule(alias).name for alias in rule_names()}
        ok.append(named.is_in(["", *aliases]))
        rule = (
            pl.when(named == "")
            .then(rule)
            .otherwise(named.replace_strict(aliases, default=None, return_dtype=pl.String))
        )
    profiles = {name: name for name in options.profiles}
    default_payer = {key.lower(): key for key in profiles}.get(
        (options.payer or "").strip().lower()
    )
    payer: pl.Expr = pl.lit(default_payer, dtype=pl.String)
    default_ok = not options.payer or default_payer is not None
    if "payer" in known:
        named = text("payer")
        ok.append(((named == "") & pl.lit(default_ok)) | named.is_in(list(profiles)))
        payer = (
            pl.when(named == "")
            .then(payer)
            .otherwise(named.replace_strict(profiles, default=None, return_dtype=pl.String))
        )
    elif not default_ok:
        ok.append(pl.lit(False))
    provider = pl.col(known["provider"]) if "provider" in known else pl.lit("", dtype=pl.String)
    if "assistant_minutes" in known:
        ok.append(text("assistant_minutes").is_in(["", "0"]))
    if "modifiers" in known:
        ok.append(~bills_assistant_modifier_column(text("modifiers")))
    if "cq_units" in known:
        ok.append(text("cq_units").is_in(["", "0"]))
    keys: list[pl.Expr] = []
    date_format: pl.Expr = pl.lit(None, dtype=pl.String)
    for index, name in enumerate(layout.key_columns):
        part = pl.col(name).str.strip_chars()
        ok.append(part != "")
        if index == layout.date_index:
            raw = pl.col(name)
            iso = raw.str.to_date("%Y-%m-%d", strict=False, exact=True)
            us = raw.str.to_date("%m/%d/%Y", strict=False, exact=True)
            day = pl.coalesce(iso, us)
            ok.append(
                day.dt.year().is_between(1000, 9999)
                & raw.str.len_bytes().is_between(8, 10)
                & ~raw.str.contains(" ", literal=True)
            )
            part = day.dt.to_string("%Y-%m-%d")
            date_format = pl.when(iso.is_not_null()).then(pl.lit("iso")).otherwise(pl.lit("us"))
        keys.append(part)
    # Each value is parsed once; whether the row is plain is read from the parsed values.
    staged = frame.select(
        LINE,
        END,
        ERROR,
        *(part.alias(name) for part, name in zip(keys, key_names(layout), strict=True)),
        code.alias(CODE),
        minutes.alias(MINUTES),
        discipline.alias(DISCIPLINE),
        billed.alias(BILLED),
        rule.alias(RULE),
        payer.alias(PAYER),
        provider.alias(PROVIDER),
        date_format.alias(DATE_FORMAT),
        pl.lit(False).alias(ASSISTED),
        pl.lit(False).alias(CHECKED),
        pl.all_horizontal(ok).fill_null(False).alias("__plain"),
    )
    plain = staged.filter("__plain").drop("__plain")
    odd = staged.filter(~pl.col("__plain")).select(LINE)
    return plain, odd


def _python_rows(
    records: Sequence[Record],
    layout: Layout,
    options: Options,
    schema: Mapping[str, pl.DataType],
    *,
    display: str,
) -> pl.DataFrame:
    """Records checked one by one by :meth:`Layout.check`, as parsed columns."""
    import polars as pl

    default_rule = options.settings.rule
    provider_column = layout.known.get("provider")
    columns: dict[str, list[Any]] = {name: [] for name in schema}
    names = key_names(layout)
    for record in records:
        row = layout.check(record, options, default_rule)
        if row.error is not None and options.strict:
            raise FileProblem(
                f"{display}, line {record.line}: {row.error}", path=display, line=record.line
            )
        columns[LINE].append(record.line)
        columns[END].append(record.end_line)
        columns[ERROR].append(row.error)
        for index, name in enumerate(names):
            columns[name].append(row.key[index] if row.key is not None else None)
        service = row.service
        columns[CODE].append(service.code if service is not None else None)
        columns[MINUTES].append(service.minutes if service is not None else None)
        columns[DISCIPLINE].append(service.discipline if service is not None else None)
        columns[BILLED].append(row.billed)
        columns[RULE].append(row.rule)
        columns[PAYER].append(row.payer.name if row.payer is not None else None)
        provider = record.values.get(provider_column) if provider_column else None
        columns[PROVIDER].append(str(provider or ""))
        columns[DATE_FORMAT].append(row.date_format)
        columns[ASSISTED].append(_assisted(row, layout))
        columns[CHECKED].append(True)
    return pl.DataFrame(columns, schema=dict(schema))


def _assisted(row: Row, layout: Layout) -> bool:
    """True when the row has assistant minutes or bills an assistant modifier."""
    if row.service is not None and row.service.assistant_minutes:
        return True
    values = row.record.values
    modifiers = layout.known.get("modifiers")
    if modifiers is not None and bills_assistant_modifier(str(values.get(modifiers) or "")):
        return True
    if "cq_units" in layout.known:
        return str(values.get(layout.known["cq_units"]) or "").strip() not in ("", "0")
    return False
