"""The CMS Medically Unlikely Edits (MUE) table, read from the user's copy: unitcalc
ships no MUE values.

References:
    NCCI Policy Manual for Medicare Services, Chapter I (MUE).
    CMS Practitioner Services MUE table (published quarterly).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import attrs

from .codeinfo import normalize_code
from .errors import InvalidServiceError, MueTableError
from .frozen import frozen
from .sidefiles import Problem, SideRow, read_side_file, split_rows


@attrs.frozen
class Mue:
    """One code's Medically Unlikely Edit: at most ``units`` per claim line (indicator 1)
    or per date of service (indicators 2 and 3)."""

    code: str
    units: int
    indicator: int
    indicator_text: str
    rationale: str

    @property
    def per_line(self) -> bool:
        return self.indicator == 1


@attrs.frozen
class MueTable:
    """MUE values by code, as read from the CMS practitioner table."""

    entries: Mapping[str, Mue] = attrs.field(converter=frozen)
    source: str = ""

    @classmethod
    def load(cls, path: str | Path) -> MueTable:
        """Read the CMS practitioner MUE table in its published CSV layout: copyright
        lines first, then a header row naming "HCPCS/CPT Code" (the cell may hold a line
        break), "Practitioner Services MUE Values", "MUE Adjudication Indicator" and
        "MUE Rationale"."""
        path = Path(path)
        try:
            side = read_side_file(path, display=f"MUE table {path}", problem=_problem(path))
        except OSError as exc:
            raise MueTableError(
                f"cannot read MUE table {path}: {exc.strerror or exc}", path=str(path)
            ) from exc
        return cls.from_rows(side.rows, source=str(path))

    @classmethod
    def parse(cls, text: str, *, source: str) -> MueTable:
        """The table in ``text`` (``source`` names it in messages)."""
        return cls.from_rows(split_rows(text, display=source, problem=MueTableError), source=source)

    @classmethod
    def from_rows(cls, rows: Iterable[SideRow], *, source: str) -> MueTable:
        """The table in the rows of a side file (:mod:`.sidefiles`)."""
        columns: dict[str, int] | None = None
        entries: dict[str, Mue] = {}
        for line, row in rows:
            if columns is None:
                columns = _header(row)
                continue
            if not any(cell.strip() for cell in row):
                continue
            try:
                raw_code = row[columns["code"]]
                value = row[columns["units"]].strip()
                indicator_text = row[columns["indicator"]].strip()
            except IndexError:
                raise MueTableError(
                    f"{source}, line {line}: expected the MUE columns, found {len(row)} fields",
                    path=source,
                    line=line,
                ) from None
            try:
                code = normalize_code(raw_code)
            except InvalidServiceError:
                continue  # footnotes and notes below the table
            match = re.match(r"\s*([123])\b", indicator_text)
            if not value.isdigit() or match is None:
                raise MueTableError(
                    f"{source}, line {line}: {code}: MUE value {value!r} or adjudication "
                    f"indicator {indicator_text!r} is not as CMS publishes them (a whole "
                    "number; an indicator starting 1, 2 or 3)",
                    path=source,
                    line=line,
                )
            rationale = row[columns["rationale"]].strip() if "rationale" in columns else ""
            entries[code] = Mue(code, int(value), int(match.group(1)), indicator_text, rationale)
        if columns is None:
            raise MueTableError(
                f"{source}: no header row naming 'HCPCS/CPT Code' and "
                "'Practitioner Services MUE Values' was found; is this the CMS practitioner "
                "MUE table saved as CSV?",
                path=source,
            )
        return cls(entries, source)

    def get(self, code: str) -> Mue | None:
        return self.entries.get(code)


def _header(row: Sequence[str]) -> dict[str, int] | None:
    names = [" ".join(cell.split()).lower() for cell in row]
    found: dict[str, int] = {}
    for index, name in enumerate(names):
        if "hcpcs" in name and "code" in name:
            found.setdefault("code", index)
        elif "mue value" in name or "mue values" in name:
            found.setdefault("units", index)
        elif "adjudication indicator" in name:
            found.setdefault("indicator", index)
        elif "rationale" in name:
            found.setdefault("rationale", index)
    if {"code", "units", "indicator"} <= set(found):
        return found
    return None


def _problem(path: Path) -> Problem:
    """The side-file reader's error, as an MUE table's error naming the file's path."""

    def problem(message: str, *, path: str, line: int | None = None) -> MueTableError:
        del path  # the reader names the file as shown; the error holds its path
        return MueTableError(message, path=str(table), line=line)

    table = path
    return problem
