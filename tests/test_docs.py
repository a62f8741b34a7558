"""Hold the README and docs/ to the code.

``pycon`` examples (``>>>``) run as doctests through ``--doctest-glob=*.md``. Here every
``console`` block runs: each ``$ unitcalc ...`` line is invoked and its output compared
with the lines that follow it, so published output cannot drift from the program.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from unitcalc.cli import main

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
# The published output is laid out for a 100-column terminal, whatever runs the tests.
# SOURCE_DATE_EPOCH fixes the run manifest's time (2026-03-02 12:00 UTC).
DOC_ENV = {"COLUMNS": "100", "SOURCE_DATE_EPOCH": "1772452800"}
CONSOLE_BLOCK = re.compile(r"^```console\n(.*?)^```", re.MULTILINE | re.DOTALL)


def console_examples() -> list[tuple[str, str, str]]:
    examples = []
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        for block in CONSOLE_BLOCK.findall(text):
            command: str | None = None
            expected: list[str] = []
            for line in block.splitlines():
                if line.startswith("$ "):
                    if command is not None:
                        examples.append((document.name, command, "\n".join(expected)))
                    command, expected = line[2:], []
                else:
                    expected.append(line)
            if command is not None:
                examples.append((document.name, command, "\n".join(expected)))
    return examples


EXAMPLES = console_examples()


def test_the_docs_have_console_examples() -> None:
    assert any(name == "README.md" for name, _, _ in EXAMPLES)


@pytest.mark.parametrize(
    ("document", "command", "expected"),
    EXAMPLES,
    ids=[f"{name}:{command}" for name, command, _ in EXAMPLES],
)
def test_console_example(document: str, command: str, expected: str) -> None:
    words = shlex.split(command)
    assert words[0] == "unitcalc", f"{document}: console examples run unitcalc, not {words[0]}"
    stdin = None
    if "<<<" in words:
        at = words.index("<<<")
        words, stdin = words[:at], words[at + 1]
    result = CliRunner(env=DOC_ENV).invoke(main, words[1:], input=stdin)
    got = "\n".join(line.rstrip() for line in result.output.rstrip("\n").splitlines())
    assert got == expected.rstrip("\n"), f"{document}: output of `{command}` differs"


def test_readme_has_exactly_the_two_set_up_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^pip install .*$", readme, re.MULTILINE)
    assert commands == [
        "pip install . && unitcalc calc 97110=33 97140=7",
        "pip install '.[test]' && python -m pytest",
    ]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "test" in project["optional-dependencies"]
    assert project["scripts"]["unitcalc"] == "unitcalc.cli:main"
