"""Reading the TOML files users write (code tables, payer profiles) with errors that
name the file, the line and the key."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

MAX_TOML_BYTES = 16 * 1024 * 1024
"""Largest code table or payer profile read: far past any real one (they are a few
kilobytes), and a bound on what a path such as /dev/zero makes the reader hold."""


def read(path: Path, what: str, error: Callable[[str], Exception]) -> str:
    """The text of a user's TOML file (a UTF-8 byte order mark dropped); ``error`` builds
    the exception to raise, from a message naming the file (``what`` says what the file
    is)."""
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_TOML_BYTES + 1)
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror or exc}") from exc
    if len(data) > MAX_TOML_BYTES:
        raise error(
            f"{what} {path} holds more than {MAX_TOML_BYTES:,} bytes; "
            "give the TOML file itself (a few kilobytes)"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{what} {path} is not UTF-8 text (byte {exc.start})") from exc


_LONG_NUMBER = re.compile(r"[0-9_]{4301,}")


def parse(text: str) -> tuple[dict[str, Any] | None, str, int | None]:
    """The document, or ``None`` with the syntax error and its line."""
    try:
        return tomllib.loads(text), "", None
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        return None, f"TOML syntax error: {exc}", int(match.group(1)) if match else None
    except RecursionError:
        return None, "TOML nested too deeply (arrays or tables within each other)", None
    except ValueError:  # an integer of more digits than Python converts
        found = _LONG_NUMBER.search(text)
        line = text.count("\n", 0, found.start()) + 1 if found else None
        return None, "a number of more than 4,300 digits is no value here", line


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
