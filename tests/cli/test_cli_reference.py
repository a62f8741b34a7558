"""docs/cli.md lists every command and every option the command line has, and the shell
completion it describes works."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from unitcalc.cli import main

CLI_DOC = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")
COMMANDS = sorted(main.commands)


def options_of(command: click.Command) -> list[str]:
    names = []
    for parameter in command.params:
        if isinstance(parameter, click.Option):
            names += [n for n in [*parameter.opts, *parameter.secondary_opts] if n.startswith("--")]
    return [n for n in names if n != "--help"]


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_a_section(name: str) -> None:
    assert f"| `unitcalc {name}` |" in CLI_DOC
    assert f"`unitcalc {name}`" in CLI_DOC.split("## Exit codes")[1]


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_is_listed(name: str) -> None:
    missing = [
        option
        for option in options_of(main.commands[name])
        if f"{option} " not in CLI_DOC
        and f"{option}]" not in CLI_DOC
        and f"`{option}`" not in CLI_DOC
        and f"[{option}" not in CLI_DOC.replace("[--[no-]", "[--")
    ]
    assert not missing, f"docs/cli.md does not list {name} {missing}"


def complete(words: str) -> list[str]:
    env = {
        "_UNITCALC_COMPLETE": "bash_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
    }
    result = CliRunner(env=env).invoke(main, [], prog_name="unitcalc")
    assert result.exit_code == 0, result.output
    return [line.split(",", 1)[1] for line in result.output.splitlines()]


def test_bash_completion_script_and_answers() -> None:
    script = CliRunner(env={"_UNITCALC_COMPLETE": "bash_source"}).invoke(
        main, [], prog_name="unitcalc"
    )
    assert script.exit_code == 0
    assert "_unitcalc_completion" in script.output
    assert "complete -o nosort -F _unitcalc_completion unitcalc" in script.output
    assert {"calc", "codes", "serve"} <= set(complete("unitcalc "))
    assert complete("unitcalc calc --ru") == ["--rule"]
    assert complete("unitcalc codes --kind de") == ["deleted"]
