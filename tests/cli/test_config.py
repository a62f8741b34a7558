"""Issue 25, conventions: settings from a ``unitcalc.toml`` and from one environment
variable each (the command line wins, then the environment, then the file), shown in
the run's manifest; bare ``unitcalc`` prints the help; a terminal of 0 columns gets 80."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from unitcalc.cli import _width, main

ROOT = Path(__file__).resolve().parents[2]
PAYERS = ROOT / "docs" / "payers.toml"


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner(env=env).invoke(main, list(args))


def rule_of(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return str(json.loads(result.stdout)["rule"])


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_bare_unitcalc_prints_the_help_and_succeeds() -> None:
    result = invoke()
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: ")  # the program name is the runner's
    assert "Commands:" in result.stdout


def test_the_file_gives_a_setting(here: Path) -> None:
    (here / "unitcalc.toml").write_text('rule = "ama"\n')
    assert rule_of(invoke("calc", "97110=7", "97140=7", "--format", "json")) == "ama"


def test_the_environment_wins_over_the_file_and_the_command_line_over_both(
    here: Path,
) -> None:
    (here / "unitcalc.toml").write_text('rule = "ama"\n')
    calc = ("calc", "97110=7", "97140=7", "--format", "json")
    assert rule_of(invoke(*calc, env={"UNITCALC_RULE": "commercial-15"})) == "commercial-15"
    given = invoke(*calc, "--rule", "cms", env={"UNITCALC_RULE": "commercial-15"})
    assert rule_of(given) == "cms"


def test_the_users_configuration_folder_is_read(
    here: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path_factory.mktemp("home")
    (home / "unitcalc").mkdir()
    (home / "unitcalc" / "unitcalc.toml").write_text('rule = "ama"\n')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    assert rule_of(invoke("calc", "97110=7", "--format", "json")) == "ama"
    # The working folder's file comes first.
    (here / "unitcalc.toml").write_text('rule = "commercial-15"\n')
    assert rule_of(invoke("calc", "97110=7", "--format", "json")) == "commercial-15"


def test_paths_are_read_from_the_files_folder_and_the_manifest_says_where(
    here: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = tmp_path_factory.mktemp("settings")
    shutil.copy(PAYERS, settings / "payers.toml")
    (settings / "unitcalc.toml").write_text('payers = "payers.toml"\npayer = "medicare"\n')
    monkeypatch.setenv("UNITCALC_CONFIG", str(settings / "unitcalc.toml"))
    (here / "v.csv").write_text(
        "patient_id,date_of_service,code,minutes,billed_units\nP1,2026-01-05,97110,33,2\n"
    )
    result = invoke("audit", "v.csv", "--format", "json", env={"UNITCALC_RULE": "cms"})
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.stdout)["summary"]["manifest"]
    assert manifest["payer"] == "medicare"
    assert manifest["settings_file"] == str(settings / "unitcalc.toml")
    assert manifest["from_settings_file"] == ["payers", "payer"]
    assert manifest["from_environment"] == ["UNITCALC_RULE"]
    assert manifest["options"]["payers_file"] == str(settings / "payers.toml")


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('rule = "ama"\nfee = "x.csv"\n', "line 2: 'fee' is no setting; the settings are rule,"),
        ("rule = 3\n", 'line 1: rule must be text in quotes, e.g. rule = "..."'),
        ("rule = \n", "TOML syntax error"),
    ],
)
def test_a_bad_settings_file_is_one_line_naming_it(here: Path, text: str, said: str) -> None:
    (here / "unitcalc.toml").write_text(text)
    result = invoke("calc", "97110=7")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("Error: settings file ")
    assert "unitcalc.toml" in result.stderr
    assert said in result.stderr


def test_a_config_variable_naming_no_file_is_refused(here: Path) -> None:
    result = invoke("calc", "97110=7", env={"UNITCALC_CONFIG": str(here / "nowhere.toml")})
    assert result.exit_code == 2
    assert "UNITCALC_CONFIG names" in result.stderr
    assert "which is not a file" in result.stderr


def test_every_setting_shows_its_environment_variable_in_help() -> None:
    text = invoke("audit", "--help").stdout
    for name in ("RULE", "PAYERS", "PAYER", "MUE", "FEES", "GPCI", "LOCALITY", "CODES"):
        assert f"UNITCALC_{name}]" in text.replace("\n", " ").replace("  ", " ")


def test_a_terminal_of_no_columns_gets_80(monkeypatch: pytest.MonkeyPatch) -> None:
    # Any caller's arguments taken (pytest's own reporting asks for the size too).
    monkeypatch.setattr(
        shutil, "get_terminal_size", lambda *_, **__: shutil.os.terminal_size((0, 0))
    )
    assert _width() == 80
    monkeypatch.setattr(
        shutil, "get_terminal_size", lambda *_, **__: shutil.os.terminal_size((120, 40))
    )
    assert _width() is None
