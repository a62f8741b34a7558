"""Reading the TOML files users write (code tables, payer profiles) with errors that
name the file, the line and the key."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any


def read(path: Path, what: str, error: Callable[[str], Exception]) -> str:
    """The text of a user's TOML file; ``error`` builds the exception to raise, from a
    message naming the file (``what`` says what the file is)."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise error(f"{what} {path} is not UTF-8 text (byte {exc.start})") from exc


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
