"""Settings a user would otherwise retype on every run (the rule, the payer profiles and
payer, the MUE table, the fee, GPCI and code files, the locality), kept in a
``unitcalc.toml`` or in one environment variable each, shared by every command.

Where a setting comes from, first found wins: the command line, then its environment
variable (``UNITCALC_RULE``, ``UNITCALC_PAYERS`` ...), then the settings file, then the
built-in default. The settings file is ``unitcalc.toml`` in the working folder, else in
the user's configuration folder (``click.get_app_dir("unitcalc")``: ``~/.config/unitcalc``
on Linux), or the file ``UNITCALC_CONFIG`` names. A file's paths are read from the
file's own folder. This is click's own order of parameter sources (command line,
environment, ``default_map``, default): the file is given to click as the commands'
``default_map``, and each option names its environment variable.

A settings file::

    rule = "cms"
    payers = "payers.toml"
    payer = "medicare"
    fees = "PPRRVU2026_JAN.csv"
    locality = "01112-05"
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from ..core import tomlfile

SETTINGS: Mapping[str, str] = {
    # setting (as the file and the option name it) -> the commands' parameter name
    "rule": "rule",
    "payers": "payers_file",
    "payer": "payer",
    "mue": "mue_file",
    "fees": "fees_file",
    "gpci": "gpci_file",
    "locality": "locality",
    "codes": "codes_file",
}
"""The settings a file or the environment may give."""

PATHS = frozenset({"payers", "mue", "fees", "gpci", "codes"})
"""The settings that name a file (read from the settings file's folder)."""

FILE_NAME = "unitcalc.toml"
CONFIG_VARIABLE = "UNITCALC_CONFIG"
"""The environment variable naming a settings file elsewhere."""


def envvar(setting: str) -> str:
    """The environment variable of a setting: ``UNITCALC_RULE`` for ``rule``."""
    assert setting in SETTINGS, setting
    return f"UNITCALC_{setting.upper()}"


def find(environ: Mapping[str, str], here: Path) -> Path | None:
    """The settings file in use: the one ``UNITCALC_CONFIG`` names, else
    ``unitcalc.toml`` in ``here`` (the working folder), else in the user's configuration
    folder; None when there is none."""
    named = environ.get(CONFIG_VARIABLE, "").strip()
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise click.UsageError(
                f"{CONFIG_VARIABLE} names {named}, which is not a file; "
                f"point it at a {FILE_NAME} or unset it"
            )
        return path
    for folder in (here, Path(click.get_app_dir("unitcalc"))):
        path = folder / FILE_NAME
        if path.is_file():
            return path
    return None


def load(path: Path) -> dict[str, Any]:
    """The settings a file gives, by parameter name (paths made absolute from the file's
    folder); an unknown key, a value of the wrong kind or bad TOML is a usage error
    naming the file, the line and the key."""
    text = tomlfile.read(path, "the settings file", click.UsageError)
    document, problem, line = tomlfile.parse(text)
    if document is None:
        where = f", line {line}" if line else ""
        raise click.UsageError(f"settings file {path}{where}: {problem}")
    given: dict[str, Any] = {}
    for key, value in document.items():
        if key not in SETTINGS:
            raise click.UsageError(
                f"{_where(path, text, key)}: {key!r} is no setting; "
                f"the settings are {', '.join(SETTINGS)}"
            )
        if not isinstance(value, str) or not value.strip():
            raise click.UsageError(
                f'{_where(path, text, key)}: {key} must be text in quotes, e.g. {key} = "..."'
            )
        given[SETTINGS[key]] = (
            str(path.parent / Path(value).expanduser()) if key in PATHS else value
        )
    return given


def _where(path: Path, text: str, key: str) -> str:
    """``settings file PATH, line N`` for the line that sets ``key`` (when found)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.split("=", 1)[0].strip().strip('"') == key:
            return f"settings file {path}, line {number}"
    return f"settings file {path}"


def sources(ctx: click.Context) -> dict[str, Any]:
    """Where the settings of this run came from, for the run's manifest: the settings
    file (when one gave a value) and the environment variables that gave one."""
    from click.core import ParameterSource

    found: dict[str, Any] = {}
    from_file = []
    from_environment = []
    for setting, name in SETTINGS.items():
        source = ctx.get_parameter_source(name)
        if source is ParameterSource.DEFAULT_MAP:
            from_file.append(setting)
        elif source is ParameterSource.ENVIRONMENT:
            from_environment.append(envvar(setting))
    config = ctx.find_root().meta.get("unitcalc.config")
    if from_file and config is not None:
        found["settings_file"] = str(config)
        found["from_settings_file"] = from_file
    if from_environment:
        found["from_environment"] = from_environment
    return found
