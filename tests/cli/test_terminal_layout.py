"""Terminal layout: tables drawn by tabulate, labels and notes wrapped to the width of
the terminal (COLUMNS, else the terminal, else 100 columns for a file or a pipe)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from unitcalc.cli import main
from unitcalc.core.codes import CodeTable


def lines_of(*args: str, columns: str | None) -> list[str]:
    env = {"COLUMNS": columns} if columns else {"COLUMNS": ""}
    result = CliRunner(env=env).invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


@pytest.mark.parametrize("kind", ["all", "timed", "untimed", "monthly", "deleted", "unlisted"])
def test_codes_fits_a_100_column_terminal(kind: str) -> None:
    lines = lines_of("codes", "--kind", kind, columns="100")
    assert max(len(line) for line in lines) <= 100
    assert lines[0].split() == ["code", "kind", "unit", "min", "label", "valid", "notes"]


@pytest.mark.parametrize("columns", [60, 80])
def test_codes_fits_a_narrow_terminal(columns: int) -> None:
    # Columns too narrow for a long word break it rather than run off the side.
    lines = lines_of("codes", columns=str(columns))
    # 79: the columns that do not wrap (code, kind "unlisted", unit minutes).
    assert max(len(line) for line in lines) <= max(columns, 79)


@pytest.mark.parametrize("columns", [100, 120])
def test_codes_with_sources_fits_the_terminal(columns: int) -> None:
    lines = lines_of("codes", "--sources", columns=str(columns))
    assert lines[0].split()[-1] == "sources"
    # A line runs past the width only where one word (a web address) is longer.
    too_long = [line for line in lines if len(line) > columns]
    assert all(len(line.split()) == 1 for line in too_long), too_long
    listed = lines[lines.index("Sources:") + 1 :]
    numbered = [line.split(".")[0] for line in listed if line[:1].isdigit()]
    assert numbered == [str(n) for n in range(1, len(numbered) + 1)]


@pytest.mark.parametrize("columns", [100, 120])
def test_codes_wraps_without_breaking_a_word(columns: int) -> None:
    lines = lines_of("codes", columns=str(columns))
    assert max(len(line) for line in lines) <= columns
    words = set(" ".join(lines).split())
    for info in CodeTable.default():
        for word in info.label.split():
            assert word in words, (info.code, word)


def test_codes_fits_100_columns_when_piped() -> None:
    # No COLUMNS and no terminal: the output is laid out for 100 columns.
    assert max(len(line) for line in lines_of("codes", columns=None)) <= 100


def test_a_wrapped_note_keeps_every_word_and_the_code_rows() -> None:
    narrow = lines_of("codes", "--kind", "deleted", columns="100")
    wide = lines_of("codes", "--kind", "deleted", columns="1000")
    assert len(narrow) > len(wide)
    assert " ".join(" ".join(narrow).split()).count("97001") == " ".join(wide).count("97001")
    # Each code starts its own row; continuation rows leave the code column empty.
    codes = [line.split()[0] for line in narrow[2:] if not line.startswith(" ")]
    assert codes == [line.split()[0] for line in wide[2:]]
    words = sorted(" ".join(line[8:] for line in narrow[2:]).split())
    assert {"97161,", "97163;", "valid_kind"} <= set(words)


def test_calc_notes_wrap_under_their_marker() -> None:
    lines = lines_of("calc", "97110=33", "97140=7", "--explain", columns="60")
    assert max(len(line) for line in lines) <= 60
    warning = lines.index("Warnings:") + 1
    assert lines[warning].startswith("  - 97140 bills 1 unit for 7 min")
    assert lines[warning + 1].startswith("    ")
    assert not lines[warning + 1].startswith("     ")
    why = lines.index("Why:")
    assert lines[why + 1].startswith("  1. Rule:")
    assert lines[why + 2].startswith("     ")
    assert lines[why + 2][5] != " "


def test_calc_table_stays_as_before_in_a_wide_terminal() -> None:
    lines = lines_of("calc", "97110=33", "97140=7", columns="200")
    assert lines[1:5] == [
        "code    label                   minutes    units",
        "------  --------------------  ---------  -------",
        "97110   therapeutic exercise         33        2",
        "97140   manual therapy                7        1",
    ]
