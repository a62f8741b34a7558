"""Library errors name the Python argument to give; the command line and the HTTP API
word the same error with their own names for it (issue 16)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

import unitcalc
from tests.conftest import run
from unitcalc import FileProblem, InvalidServiceError, ServiceLine, UnitcalcError
from unitcalc.core.errors import Mention, message_of, python_spelling

HEADER = "patient_id,date_of_service,code,minutes,billed_units\n"
TWO_DISCIPLINES = ["97110-GP=33", "97530-GO=10", "97140=7"]


def _file(tmp_path: Path, content: str | bytes, name: str = "v.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _audit(tmp_path: Path, content: str | bytes, **options: object) -> Callable[[], object]:
    return lambda: list(unitcalc.iter_findings(_file(tmp_path, content), **options))  # type: ignore[arg-type]


# Each case: the file, the library's options and its words, the CLI's options and its words.
CASES = [
    pytest.param(
        HEADER.encode() + b"P1,2026-01-05,97110,\xe9,1\n",
        {"encoding": "utf-8"},
        ("give it with encoding=... (e.g. encoding='cp1252')",),
        ["--encoding", "utf-8"],
        ("give it with --encoding (e.g. --encoding cp1252)",),
        "encoding",
        id="undecodable-byte",
    ),
    pytest.param(
        b"\xef\xbb\xbf" + HEADER.encode() + b"P1,2026-01-05,97110,33,2\n",
        {"encoding": "cp1252"},
        ("so it is UTF-8, not cp1252; leave out encoding=...",),
        ["--encoding", "cp1252"],
        ("so it is UTF-8, not cp1252; leave out --encoding",),
        "encoding",
        id="byte-order-mark",
    ),
    pytest.param(
        HEADER + "P1,2026-01-05,97110,33,2\n",
        {"encoding": "rot13"},
        ("encoding='rot13' is not a text encoding",),
        ["--encoding", "rot13"],
        ("--encoding 'rot13' is not a text encoding",),
        "encoding",
        id="no-text-encoding",
    ),
    pytest.param(
        HEADER.replace(",", ";") + "P1;2026-01-05;97110;33;2\n",
        {"delimiter": ","},
        ("give it with delimiter=...",),
        ["--delimiter", ","],
        ("give it with --delimiter",),
        "delimiter",
        id="delimiter",
    ),
    pytest.param(
        "Pt,Svc Date,Proc,Mins,Units\nP1,2026-03-02,97110,33,2\n",
        {},
        ("(or use group_by=...)", "with columns={'ROLE': 'HEADER'}"),
        [],
        ("(or use --group-by)", "with --columns ROLE=HEADER (e.g. code=CPT)"),
        "columns",
        id="missing-columns",
    ),
    pytest.param(
        "patient_id,date_of_service,CPT,HCPCS,minutes,units\nP1,2026-03-02,97110,97110,33,2\n",
        {},
        ("say which to use with columns={'code': 'CPT'}",),
        [],
        ("say which to use with --columns code=CPT",),
        "columns",
        id="two-aliases",
    ),
    pytest.param(
        HEADER + "P1,2026-01-05,97110,33,2\n",
        {"columns": {"nope": "code"}},
        ("columns={'nope': 'code'}: 'nope' is not a role",),
        ["--columns", "nope=code"],
        ("--columns nope=code: 'nope' is not a role",),
        "columns",
        id="not-a-role",
    ),
    pytest.param(
        HEADER + "P1,2026-01-05,97110,33,2\n",
        {"columns": {"code": "CPT"}},
        ("columns={'code': 'CPT'}: ",),
        ["--columns", "code=CPT"],
        ("--columns code=CPT: ",),
        "columns",
        id="no-such-column",
    ),
    pytest.param(
        '{"patient_id": "P1", "code": "97110"}\n',
        {},
        ("use input_format='jsonl'",),
        [],
        ("use --input-format jsonl",),
        "input_format",
        id="json-in-a-csv",
    ),
    pytest.param(
        HEADER + "P1,2026-01-05,97110,33,2\n",
        {"group_by": [" "]},
        ("group_by=... names no column; give e.g. group_by=('claim_id',)",),
        ["--group-by", ","],
        ("--group-by names no column; give e.g. --group-by claim_id",),
        "group_by",
        id="group-by",
    ),
]


@pytest.mark.parametrize(
    ("content", "options", "python_words", "flags", "cli_words", "argument"), CASES
)
def test_a_file_error_names_the_python_argument_and_the_cli_its_flag(
    tmp_path: Path,
    content: str | bytes,
    options: dict[str, object],
    python_words: tuple[str, ...],
    flags: list[str],
    cli_words: tuple[str, ...],
    argument: str,
) -> None:
    with pytest.raises(FileProblem) as caught:
        _audit(tmp_path, content, **options)()
    for words in python_words:
        assert words in str(caught.value)
    assert " --" not in str(caught.value)
    assert caught.value.argument == argument
    result = run("audit", str(tmp_path / "v.csv"), *flags)
    assert result.exit_code == 2
    for words in cli_words:
        assert words in result.stderr
    assert "Options(" not in result.stderr


def test_the_discipline_error_names_calculate_arguments_and_the_cli_flags() -> None:
    lines = [
        ServiceLine("97110", 33, discipline="PT"),
        ServiceLine("97530", 10, discipline="OT"),
        ServiceLine("97140", 7),
    ]
    with pytest.raises(InvalidServiceError) as caught:
        unitcalc.calculate(lines)
    assert caught.value.argument == "default_discipline"
    assert str(caught.value).endswith(
        "choose one for every line without a discipline (calculate(default_discipline=...)), "
        "or pool the whole day (calculate(pooling='day'))"
    )
    result = run("calc", *TWO_DISCIPLINES)
    assert result.exit_code == 2
    assert result.stderr.rstrip().endswith(
        "(--default-discipline), or pool the whole day (--pool-by day)"
    )


def test_an_unknown_code_in_an_audit_names_define_code_and_the_cli_define(tmp_path: Path) -> None:
    path = _file(tmp_path, HEADER + "P1,2026-01-05,97111,33,2\n")
    [finding] = unitcalc.iter_findings(path)
    assert "declare it: define_code(spec='97111=timed')" in finding.message
    assert "a [codes] entry in a CodeTable.load(path=...) file" in finding.message
    result = run("audit", str(path), "--format", "csv")
    assert "declare it: --define 97111=timed" in result.stdout
    assert "a [codes] entry in a --codes file" in result.stdout


def test_a_message_of_text_and_mentions_is_worded_by_each_face() -> None:
    error = UnitcalcError(
        message_of("give ", Mention("delimiter", ";", owner="Options")), argument="delimiter"
    )
    assert str(error) == error.message == "give delimiter=';'"
    assert error.worded(python_spelling) == str(error)
    assert error.worded(lambda argument, value=None, **_: f"<{argument}:{value}>") == (
        "give <delimiter:;>"
    )
    plain = UnitcalcError("nothing to give")
    assert plain.argument is None
    assert plain.worded(lambda *_, **__: "unused") == "nothing to give"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"pooling": "week"}, "pooling='week' is no pooling: give one of discipline, day"),
        ({"input_format": "xml"}, "input_format='xml' is no input format: give one of csv"),
    ],
)
def test_file_options_are_checked_when_given(given: dict[str, str], message: str) -> None:
    from unitcalc.core.errors import FileProblem
    from unitcalc.files import Options

    with pytest.raises(FileProblem, match=re.escape(message)) as raised:
        Options.of(**given)  # type: ignore[arg-type]
    assert raised.value.argument == next(iter(given))
