"""Reading the TOML files users write (code tables, payer profiles) with errors that
name the file, the line and the key."""

from __future__ import annotations

import re
import tomllib
from typing import Any


def parse(text: str) -> tuple[dict[str, Any] | None, str, int | None]:
    """The document, or ``None`` with the syntax error and its line."""
    try:
        return tomllib.loads(text), "", None
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        return None, f"TOML syntax error: {exc}", int(match.group(1)) if match else None


def find_line(text: str, table: str, name: str, key: str | None = None) -> int | None:
    """Best-effort line number of ``[table."name"]``, or of ``key`` inside it."""
    lines = text.splitlines()
    header = re.compile(
        r"^\s*\[\s*" + re.escape(table) + r'\s*\.\s*"?' + re.escape(name) + r'"?\s*\]'
    )
    for number, line in enumerate(lines, start=1):
        if header.match(line):
            if key is None:
                return number
            for offset, inner in enumerate(lines[number:], start=number + 1):
                if inner.lstrip().startswith("["):
                    break
                if re.match(r"^\s*" + re.escape(key) + r"\s*=", inner):
                    return offset
            return number
        if key is None and re.match(r"^\s*\[?\s*" + re.escape(name) + r"\b", line):
            return number
    return None
