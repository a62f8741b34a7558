"""Checking rows: each record's values parsed into the columns the engine counts
(code, minutes, discipline, billed units, rule, payer, the group key), or the reason
the row cannot be used.

Two forms, each parsing a value with the two forms of its own module (minutes, units
and dates in :mod:`unitcalc.core.values`, disciplines in :mod:`unitcalc.core.disciplines`,
rule names in :mod:`unitcalc.rules`): values in their plain forms (``97110``, ``33``,
``GP``, ``2026-01-05``) are parsed in columns by polars (:func:`check_frame`); any other
value (``97110 `` with a tab, ``33.0``, a JSON number, a bad value) goes through
:func:`check_record`, the one scalar checker, which parses it or names the line, the
field and the fix. Both give the same columns, and every row is parsed once: the groups
the one-visit engine evaluates are built from these columns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ..core.codeinfo import is_code_shaped, normalize_code, reads_as_description
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
from ..core.model import ServiceLine
from ..core.text import echo, stripped_column
from ..core.values import date_column, minutes_column, parse_minutes, parse_units, units_column
from ..engine.modifiers import modifiers_column, parse_modifiers
from ..engine.payers import PayerProfile
from ..engine.payers import select as select_profile
from ..rules import get_rule, rule_column
from .layout import Layout, key_text
from .options import KEY_COLUMN_BILLING, Options
from .read import END, ERROR, LINE, Record

if TYPE_CHECKING:
    import polars as pl


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
    days_of_data: int | None = None
    """A monthly code's days of data in its period (remote therapeutic monitoring)."""
    monthly: bool = False
    """The row's code is counted by the month: its group is its patient's month."""


def check_record(layout: Layout, record: Record, options: Options) -> Row:
    """One record parsed by the scalar checker: a :class:`Row` ready to count, or the
    reason it cannot be used (naming the field and the fix)."""
    values = record.values
    try:
        key = layout.key_of(values)
    except InvalidServiceError as exc:
        return Row(record, None, None, None, None, record.error or exc.worded(options.spelling))
    monthly = _monthly_code(layout, values, options)
    if record.error is not None:
        return Row(record, key, None, None, None, record.error, monthly=monthly)
    if key is None:
        return Row(record, None, None, None, None, _empty_key(layout, values, options))
    try:
        code = values.get(layout.known["code"])
        if isinstance(code, int) and not isinstance(code, bool):
            code = str(code)  # JSON Lines may give 97110 as a number
        minutes = values.get(layout.known["minutes"])
        if isinstance(minutes, str) and not minutes.strip():
            minutes = None  # an untimed code needs no minutes (values.minutes_cell)
        discipline = (
            values.get(layout.known["discipline"]) if "discipline" in layout.known else None
        )
        assistant: object = None
        if "assistant_minutes" in layout.known:
            # With the column, a row without assistant minutes has none (0), so
            # that the modifiers it bills are checked too.
            assistant = values.get(layout.known["assistant_minutes"])
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
        rule_text = values.get(layout.known["rule"]) if "rule" in layout.known else None
        rule = options.settings.rule
        if rule_text is not None and str(rule_text).strip():
            rule = get_rule(str(rule_text)).name
        payer_text = values.get(layout.known["payer"]) if "payer" in layout.known else None
        payer_name = str(payer_text).strip() if payer_text is not None else ""
        payer = payer_profile(payer_name or options.payer, options)
        billed = None
        if options.need_billed:
            billed = parse_units(values.get(layout.known["billed_units"], ""), code=service.code)
        if "cq_units" in layout.known:
            cq_units = values.get(layout.known["cq_units"])
            if cq_units is not None and str(cq_units).strip():
                parse_units(cq_units, code=service.code, field="cq_units")
        if "modifiers" in layout.known:
            modifiers = values.get(layout.known["modifiers"])
            parse_modifiers(modifiers if isinstance(modifiers, list) else _text(modifiers))
        days = _days_of_data(layout, values, service.code) if monthly else None
    except UnitcalcError as exc:
        field = getattr(exc, "field", None)
        where = f"{field}: " if field and field not in str(exc) else ""
        problem = where + exc.worded(options.spelling)
        problem += _codes_elsewhere(layout, values, exc, options)
        return Row(record, key, None, None, None, problem, monthly=monthly)
    date_format = layout.date_format(values)
    return Row(record, key, service, billed, rule, None, payer, date_format, days, monthly)


def _monthly_code(layout: Layout, values: Mapping[str, Any], options: Options) -> bool:
    """Whether the record's code, as far as it reads, is counted by the month."""
    code = values.get(layout.known["code"])
    if isinstance(code, int) and not isinstance(code, bool):
        code = str(code)
    try:
        info = options.settings.codes.codes.get(normalize_code(code))
    except UnitcalcError:
        return False
    return info is not None and info.monthly


def _days_of_data(layout: Layout, values: Mapping[str, Any], code: str) -> int | None:
    """A monthly code's days of data (None when the file gives none)."""
    column = layout.known.get("days_of_data")
    value = values.get(column) if column is not None else None
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_units(value, code=code, field="days_of_data")


def payer_profile(name: str | None, options: Options) -> PayerProfile | None:
    """The profile of the payer ``name`` among the options' profiles (None for no name);
    an error naming the payer and the fix when there is none such."""
    if not name:
        return None
    if not options.profiles:
        raise PayerProfileError(
            message_of(
                f"payer {echo(name)} is named, but no payer profiles were given (",
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
DAYS, MONTHLY = "__days", "__monthly"
"""A monthly code's days of data, and whether the row's code is counted by the month."""
MODIFIERS = "__modifiers"
"""The claim line's modifiers as billed (empty without a modifiers column)."""
ASSISTANT = "__assistant"
"""The assistant's own minutes (null without an assistant minutes column)."""
ASSISTED = "__assisted"
"""True for a row with assistant minutes, or billing CQ/CO: its group's modifiers are
checked by the one-visit engine."""
CHECKED = "__checked"
"""True for a row the scalar checker parsed (its values were not all plain)."""


def key_names(layout: Layout) -> list[str]:
    """The parsed frame's key columns, one per part of the layout's key."""
    return [f"__k{index}" for index in range(len(layout.key_columns))]


def _schema(layout: Layout) -> dict[str, pl.DataType]:
    """The parsed columns, beside :data:`~unitcalc.files.read.LINE`, ``END``, ``ERROR``
    and one ``__k{i}`` column per part of the group key."""
    import polars as pl

    schema: dict[str, pl.DataType] = {LINE: pl.Int64(), END: pl.Int64(), ERROR: pl.String()}
    schema |= dict.fromkeys(key_names(layout), pl.String())
    schema |= {
        CODE: pl.String(),
        MINUTES: pl.Int64(),
        DISCIPLINE: pl.String(),
        ASSISTANT: pl.Int64(),
        BILLED: pl.Int64(),
        RULE: pl.String(),
        PAYER: pl.String(),
        PROVIDER: pl.String(),
        MODIFIERS: pl.String(),
        DATE_FORMAT: pl.String(),
        ASSISTED: pl.Boolean(),
        CHECKED: pl.Boolean(),
        DAYS: pl.Int64(),
        MONTHLY: pl.Boolean(),
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
            for values in odd_frame.select(LINE, END, ERROR, *columns).iter_rows():
                odd.append(
                    Record(
                        values[0],
                        values[1],
                        dict(zip(columns, values[3:], strict=True)),
                        values[2],
                    )
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
    others. Plain forms only: exact spelling, no surrounding space, no sign; anything
    else (which the scalar checker may still accept, e.g. " 33" or "gp") goes to it."""
    import polars as pl

    values, ok = _value_columns(layout, options)
    keys, date_format = _key_columns(layout, ok)
    # Each value is parsed once; whether the row is plain is read from the parsed values.
    staged = frame.select(
        LINE,
        END,
        ERROR,
        *(part.alias(name) for part, name in zip(keys, key_names(layout), strict=True)),
        *(value.alias(name) for name, value in values.items()),
        date_format.alias(DATE_FORMAT),
        pl.lit(False).alias(ASSISTED),
        pl.lit(False).alias(CHECKED),
        pl.all_horizontal(ok).fill_null(False).alias("__plain"),
    )
    plain = staged.filter("__plain").drop("__plain")
    odd = staged.filter(~pl.col("__plain")).select(LINE)
    return plain, odd


def _value_columns(layout: Layout, options: Options) -> tuple[dict[str, pl.Expr], list[pl.Expr]]:
    """Each value column parsed in columns, and the conditions for a row to be plain."""
    import polars as pl

    known = layout.known
    ok: list[pl.Expr] = []

    def parsed(role: str, parse: Callable[[pl.Expr], tuple[pl.Expr, pl.Expr]]) -> pl.Expr:
        value, plain = parse(pl.col(known[role]))
        ok.append(plain)
        return value

    code = pl.col(known["code"])
    ok.append(code.is_in([info.code for info in options.settings.codes]))
    values = {CODE: code, MINUTES: parsed("minutes", minutes_column)}
    monthly = code.is_in([info.code for info in options.settings.codes if info.monthly])
    values[DAYS] = pl.lit(None, dtype=pl.Int64)
    if "days_of_data" in known:
        text = pl.col(known["days_of_data"])
        days, plain = units_column(text)
        ok.append(~monthly | (text == "") | plain)
        values[DAYS] = pl.when(monthly & (text != "")).then(days)
    values[MONTHLY] = monthly
    values[DISCIPLINE] = (
        parsed("discipline", discipline_column)
        if "discipline" in known
        else pl.lit(None, dtype=pl.String)
    )
    values[BILLED] = (
        parsed("billed_units", units_column)
        if options.need_billed
        else pl.lit(None, dtype=pl.Int64)
    )
    rule = pl.lit(options.settings.rule, dtype=pl.String)
    if "rule" in known:
        named = pl.col(known["rule"])
        rule = pl.when(named == "").then(rule).otherwise(parsed("rule", rule_column))
    values[RULE] = rule
    values[PAYER] = _payer_column(layout, options, ok)
    values[PROVIDER] = (
        pl.col(known["provider"]) if "provider" in known else pl.lit("", dtype=pl.String)
    )
    values[MODIFIERS] = (
        pl.col(known["modifiers"]) if "modifiers" in known else pl.lit("", dtype=pl.String)
    )
    has_assistant = "assistant_minutes" in known
    if has_assistant:
        ok.append(pl.col(known["assistant_minutes"]).is_in(["", "0"]))
    # With the column, a row without assistant minutes has none (0), as the scalar
    # checker reads it.
    values[ASSISTANT] = pl.lit(0 if has_assistant else None, dtype=pl.Int64)
    if "modifiers" in known:
        modifiers = pl.col(known["modifiers"])
        ok.append(~bills_assistant_modifier_column(modifiers))
        ok.append(modifiers_column(modifiers).fill_null(True))
    if "cq_units" in known:
        ok.append(pl.col(known["cq_units"]).is_in(["", "0"]))
    return values, ok


def _payer_column(layout: Layout, options: Options, ok: list[pl.Expr]) -> pl.Expr:
    """Each row's payer profile (its own, else the default) by its name as the profiles
    write it; a name written otherwise, or one no profile has, is for the scalar form."""
    import polars as pl

    profiles = {name: name for name in options.profiles}
    default_payer = {key.lower(): key for key in profiles}.get(
        (options.payer or "").strip().lower()
    )
    payer: pl.Expr = pl.lit(default_payer, dtype=pl.String)
    default_ok = not options.payer or default_payer is not None
    if "payer" in layout.known:
        named = pl.col(layout.known["payer"])
        ok.append(((named == "") & pl.lit(default_ok)) | named.is_in(list(profiles)))
        return (
            pl.when(named == "")
            .then(payer)
            .otherwise(named.replace_strict(profiles, default=None, return_dtype=pl.String))
        )
    if not default_ok:
        ok.append(pl.lit(False))
    return payer


def _key_columns(layout: Layout, ok: list[pl.Expr]) -> tuple[list[pl.Expr], pl.Expr]:
    """The parts of the group key (the date of service as ``YYYY-MM-DD``) and how the
    date was written."""
    import polars as pl

    keys: list[pl.Expr] = []
    date_format: pl.Expr = pl.lit(None, dtype=pl.String)
    for index, name in enumerate(layout.key_columns):
        part = stripped_column(pl.col(name))
        ok.append(part != "")
        if index == layout.date_index:
            part, date_format, plain = date_column(pl.col(name))
            ok.append(plain)
        keys.append(part)
    return keys, date_format


def _codes_elsewhere(
    layout: Layout, values: Mapping[str, Any], exc: UnitcalcError, options: Options
) -> str:
    """For a code column holding descriptions (``ther ex``): the column of the record
    that holds a code, if any, and how to name it."""
    value = getattr(exc, "value", None)
    if getattr(exc, "field", None) != "code" or not isinstance(value, str):
        return ""
    if not reads_as_description(value):
        return ""
    column = layout.known["code"]
    for name, other in values.items():
        if name != column and isinstance(other, str) and is_code_shaped(other):
            return message_of(
                f"; column {name!r} holds codes ({other.strip()}): count by it with ",
                Mention("columns", {"code": name}, owner="Options"),
            )(options.spelling)
    return f"; column {column!r} holds descriptions: name the column of codes"


def _empty_key(layout: Layout, values: Mapping[str, Any], options: Options) -> str:
    """Why a row has no group key: the key columns it leaves empty (for who bills, how to
    group without it)."""
    empty = [name for name in layout.key_columns if key_text(values.get(name)) is None]
    text = f"{', '.join(empty)} is empty or not text"
    billing = layout.roles.get(KEY_COLUMN_BILLING)
    if billing in empty:
        others = tuple(name for name in layout.key_columns if name != billing)
        text += message_of(
            ": write who bills the line, or group without it with ",
            Mention("group_by", others, owner="Options"),
        )(options.spelling)
    return text


def _python_rows(
    records: Sequence[Record],
    layout: Layout,
    options: Options,
    schema: Mapping[str, pl.DataType],
    *,
    display: str,
) -> pl.DataFrame:
    """Records checked one by one by :func:`check_record`, as parsed columns."""
    import polars as pl

    provider_column = layout.known.get("provider")
    modifier_column = layout.known.get("modifiers", "")
    columns: dict[str, list[Any]] = {name: [] for name in schema}
    names = key_names(layout)
    for record in records:
        row = check_record(layout, record, options)
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
        columns[ASSISTANT].append(service.assistant_minutes if service is not None else None)
        columns[BILLED].append(row.billed)
        columns[RULE].append(row.rule)
        columns[PAYER].append(row.payer.name if row.payer is not None else None)
        provider = record.values.get(provider_column) if provider_column else None
        columns[PROVIDER].append(str(provider or ""))
        columns[MODIFIERS].append(modifiers_text(record.values.get(modifier_column)))
        columns[DATE_FORMAT].append(row.date_format)
        columns[ASSISTED].append(_assisted(row, layout))
        columns[CHECKED].append(True)
        columns[DAYS].append(row.days_of_data)
        columns[MONTHLY].append(row.monthly)
    return pl.DataFrame(columns, schema=dict(schema))


def modifiers_text(value: object) -> str:
    """A modifiers cell as text: a list's items (JSON Lines) between semicolons."""
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    return str(value or "")


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


def _text(value: object) -> str | None:
    """A cell as text (a JSON number as written), None for none."""
    return None if value is None else str(value)
