"""The TOML files users write (payer profiles, code tables): whatever they hold, one line
naming the file and the problem, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run
from unitcalc.core import tomlfile

HUGE = "9" * 5000
NESTED = "[" * 1000 + "]" * 1000


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (f'[payers."x"]\nlabel = "x"\nrule = "cms"\ndaily_unit_cap = {HUGE}\n',
         "x.toml, line 4: a number of more than 4,300 digits is no value here"),
        (f'[payers."x"]\nlabel = {NESTED}\n', "x.toml: TOML nested too deeply"),
    ],
    ids=["long-number", "nested"],
)  # fmt: skip
@pytest.mark.parametrize("face", ["calc", "serve"])
def test_payer_profiles_past_what_python_reads_are_one_line(
    tmp_path: Path, body: str, said: str, face: str
) -> None:
    path = tmp_path / "x.toml"
    path.write_text(body, encoding="utf-8")
    if face == "calc":
        result = run("calc", "97110=33", "--payers", str(path), "--payer", "x")
    else:
        result = run("serve", "--payers", str(path), "--port", "0")
    assert result.exit_code == 2, result.output
    assert said in result.stderr
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (f'[codes."97999"]\nlabel = "x"\nkind = "timed"\nunit_minutes = {HUGE}\n',
         "codes.toml, line 4: a number of more than 4,300 digits"),
        (f'[codes."97999"]\nlabel = "x"\nkind = "timed"\nunit_minutes = {"9" * 45}\n',
         "a timed code needs whole minutes from 1 to 1440, not 999999999999999999999999999999999999...9"),
        (f'[codes."97999"]\nlabel = {NESTED}\n', "codes.toml: TOML nested too deeply"),
    ],
    ids=["long-number", "past-a-day", "nested"],
)  # fmt: skip
def test_code_tables_past_what_python_reads_are_one_line(
    tmp_path: Path, body: str, said: str
) -> None:
    path = tmp_path / "codes.toml"
    path.write_text(body, encoding="utf-8")
    result = run("calc", "97110=33", "--codes", str(path))
    assert result.exit_code == 2, result.output
    assert said in result.stderr
    assert "Traceback" not in result.stderr


def test_a_define_with_a_number_thousands_of_digits_long_is_refused_shortly() -> None:
    result = run("calc", "97110=10", "--define", f"97999=timed/{HUGE}")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: --define '97999=timed/99999999999999999999999...': unit length "
        "'99999999999999999999999999999999999...' must be a whole number of minutes from 1 "
        "to 1440, e.g. timed/15\n"
    )


def test_a_toml_file_saved_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    path.write_bytes(b'\xef\xbb\xbf[payers."x"]\nlabel = "x"\nrule = "cms"\ndaily_unit_cap = 1\n')
    result = run("calc", "97110=33", "--payers", str(path), "--payer", "x", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert '"total_units": 1' in result.stdout


def test_what_is_read_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    # /dev/zero never ends: the reader stops one byte past the limit and says so.
    monkeypatch.setattr(tomlfile, "MAX_TOML_BYTES", 1024)
    result = run("calc", "97110=33", "--payers", "/dev/zero", "--payer", "x")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: payer profiles /dev/zero holds more than 1,024 bytes; give the TOML file "
        "itself (a few kilobytes)\n"
    )
