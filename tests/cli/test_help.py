"""``audit``, ``batch`` and ``serve`` help: the examples at its end are true (each audit
and batch example runs on the project's own files; each serve example parses), and the
options are listed in sections."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import click
import pytest

from tests.conftest import run
from unitcalc.cli.file_commands import audit, batch
from unitcalc.cli.serve_command import serve

ROOT = Path(__file__).resolve().parents[2]


def examples(command: click.Command) -> list[list[str]]:
    """Each example of the command's help as its arguments (after the command's name)."""
    text = (command.epilog or "").replace("\\\n", " ")
    found = [
        shlex.split(line) for line in text.splitlines() if line.strip().startswith("unitcalc ")
    ]
    return [words[2:] for words in found]


@pytest.mark.parametrize("command", [audit, batch], ids=["audit", "batch"])
def test_each_example_runs_on_the_projects_files(
    command: click.Command, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(ROOT / "docs" / "examples", tmp_path / "docs" / "examples")
    (tmp_path / "tests" / "fixtures").mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "fixtures" / "ptp_sample.txt", tmp_path / "tests" / "fixtures")
    monkeypatch.chdir(tmp_path)
    listed = examples(command)
    assert len(listed) >= 3
    for args in listed:
        result = run(str(command.name), *args)
        assert result.exit_code in (0, 1), (args, result.output)
        assert "Traceback" not in result.output
        for index, word in enumerate(args[:-1]):
            if word in ("--output", "--report"):
                assert (tmp_path / args[index + 1]).stat().st_size > 0


def test_each_serve_example_parses() -> None:
    listed = examples(serve)
    assert len(listed) >= 2
    for args in listed:
        with serve.make_context("serve", list(args)) as ctx:
            assert ctx.params["port"] > 0


@pytest.mark.parametrize(
    ("command", "titles"),
    [
        (audit, ["Input", "Counting", "Payer and edits", "Pricing", "Output", "Engine"]),
        (batch, ["Input", "Counting", "Payer and edits", "Output"]),
    ],
    ids=["audit", "batch"],
)
def test_options_are_listed_in_sections(command: click.Command, titles: list[str]) -> None:
    text = run(str(command.name), "--help").output
    shown = [line[:-1] for line in text.splitlines() if line.endswith(":") and line[:1].isupper()]
    assert shown[: len(titles)] == titles
    # Every option is in a section of its own: only --help is left for "Other options".
    other = text.split("Other options:")[1].split("\n\n")[0]
    assert other.split() == ["-h,", "--help", "Show", "this", "message", "and", "exit."]
    for param in command.params:
        for flag in getattr(param, "opts", []):
            if flag.startswith("--"):
                assert f"  {flag}" in text or f", {flag}" in text, flag
