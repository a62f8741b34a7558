"""The code table: coverage, classification, deleted codes, user files and their errors."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

import unitcalc
from unitcalc import CodeTable, CodeTableError, DeletedCodeError, UnknownCodeError

TIMED = [
    "97032",
    "97033",
    "97034",
    "97035",
    "97036",
    "97110",
    "97112",
    "97113",
    "97116",
    "97124",
    "97129",
    "97130",
    "97140",
    "97530",
    "97533",
    "97535",
    "97537",
    "97542",
    "97750",
    "97755",
    "97760",
    "97761",
    "97763",
]
UNTIMED = [
    "97010",
    "97012",
    "97014",
    "97016",
    "97018",
    "97022",
    "97024",
    "97026",
    "97028",
    "97150",
    "97161",
    "97162",
    "97163",
    "97164",
    "97165",
    "97166",
    "97167",
    "97168",
    "G0283",
    "92507",
    "92521",
    "92522",
    "92523",
    "92524",
    "92526",
]
DELETED = {
    "97001": ("2017-01-01", {"97161", "97162", "97163"}),
    "97002": ("2017-01-01", {"97164"}),
    "97003": ("2017-01-01", {"97165", "97166", "97167"}),
    "97004": ("2017-01-01", {"97168"}),
    "97532": ("2018-01-01", {"97129", "97130"}),
    "97127": ("2020-01-01", {"97129", "97130"}),
    "G0515": ("2020-01-01", {"97129", "97130"}),
}


@pytest.fixture(scope="module")
def table() -> CodeTable:
    return CodeTable.default()


@pytest.mark.parametrize("code", TIMED)
def test_timed_codes_have_15_minute_units(table: CodeTable, code: str) -> None:
    info = table.lookup(code)
    assert info.kind == "timed"
    assert info.unit_minutes == 15


@pytest.mark.parametrize("code", UNTIMED)
def test_untimed_codes(table: CodeTable, code: str) -> None:
    info = table.lookup(code)
    assert info.kind == "untimed"
    assert info.unit_minutes is None


@pytest.mark.parametrize("code", sorted(DELETED))
def test_deleted_codes_name_their_replacements(table: CodeTable, code: str) -> None:
    deleted_on, replacements = DELETED[code]
    with pytest.raises(DeletedCodeError) as caught:
        table.lookup(code)
    assert caught.value.deleted_on == datetime.date.fromisoformat(deleted_on)
    assert set(caught.value.replaced_by) == replacements
    assert deleted_on in str(caught.value)
    for replacement in replacements:
        assert replacement in str(caught.value)
        assert table.lookup(replacement).kind in {"timed", "untimed"}


def test_every_entry_cites_a_source_and_has_its_own_label(table: CodeTable) -> None:
    for info in table:
        assert info.sources, info.code
        assert all(len(source) > 20 for source in info.sources), info.code
        assert 0 < len(info.label) <= 60, info.code


def test_97130_is_the_add_on_of_97129(table: CodeTable) -> None:
    assert table.lookup("97130").addon_of == "97129"
    assert table.addons("97129") == ("97130",)


@pytest.mark.parametrize(
    ("raw", "code"), [(" 97110 ", "97110"), ("g0283", "G0283"), ("\t97140\n", "97140")]
)
def test_codes_are_normalised(table: CodeTable, raw: str, code: str) -> None:
    assert table.lookup(raw).code == code


@pytest.mark.parametrize("raw", ["9711", "971100", "abc", "", "97-10"])
def test_text_that_is_no_code_is_rejected(table: CodeTable, raw: str) -> None:
    with pytest.raises(unitcalc.InvalidServiceError, match="is not a CPT/HCPCS code") as caught:
        table.lookup(raw)
    assert caught.value.field == "code"


def test_unknown_code_suggests_close_codes_and_how_to_declare_it(table: CodeTable) -> None:
    with pytest.raises(UnknownCodeError) as caught:
        table.lookup("97111")
    assert caught.value.suggestions[:2] == ("97110", "97112")
    assert "--define 97111=timed" in str(caught.value)


def test_user_file_overrides_and_extends(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(
        '[codes."97150"]\nlabel = "group, counted in time by my contract"\nkind = "timed"\n'
        'unit_minutes = 15\nsource = ["Contract 2026 section 4"]\n\n'
        '[codes."0999T"]\nlabel = "new code"\nkind = "timed"\nunit_minutes = 30\n',
        encoding="utf-8",
    )
    table = CodeTable.load(path)
    assert table.lookup("97150").timed
    assert table.lookup("97150").sources == ("Contract 2026 section 4",)
    assert table.lookup("0999T").unit_minutes == 30
    assert table.lookup("0999T").sources == (f"user code table {path}",)
    assert table.lookup("97110").timed  # the packaged entries stay
    result = unitcalc.calculate({"97150": 23}, codes=table)
    assert result.units["97150"] == 2


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('[codes."97999"]\nlabel = "x"\nkind = "timed"\nunit_minutes = 15\ncolour = 1\n', 5, "colour"),
        ('[codes."97999"]\nlabel = "x"\nkind = "timeless"\n', 3, "kind"),
        ('[codes."97999"]\nlabel = "x"\nkind = "timed"\nunit_minutes = -15\n', 4, "unit_minutes"),
        ('[codes."97999"]\nlabel = "x"\nkind = "untimed"\nunit_minutes = 15\n', 4, "unit_minutes"),
        ('[codes."97999"]\nlabel = "x"\nkind = "deleted"\n', 1, "deleted_on"),
        ('\n\n[codes."97999"\nlabel = "x"\n', 3, "TOML syntax error"),
        ('[codes."979"]\nlabel = "x"\nkind = "untimed"\n', 1, "not a CPT/HCPCS code"),
        ('[codes."97999"]\nkind = "untimed"\n', 1, "label"),
    ],
    ids=["unknown-key", "bad-kind", "negative-unit", "unit-on-untimed", "deleted-no-date",
         "syntax", "bad-code", "no-label"],
)  # fmt: skip
def test_bad_user_file_names_file_line_and_key(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CodeTableError) as caught:
        CodeTable.load(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)
    assert caught.value.line == line


def test_missing_user_file(tmp_path: Path) -> None:
    with pytest.raises(CodeTableError, match="cannot read code table"):
        CodeTable.load(tmp_path / "nope.toml")


def test_add_on_of_an_untimed_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "addon.toml"
    path.write_text(
        '[codes."0998T"]\nlabel = "x"\nkind = "timed"\nunit_minutes = 15\naddon_of = "97161"\n',
        encoding="utf-8",
    )
    with pytest.raises(CodeTableError, match="must be a timed code"):
        CodeTable.load(path)


@pytest.mark.parametrize(
    ("spec", "kind", "unit"),
    [
        ("97999=timed", "timed", 15),
        ("0999t=TIMED/30", "timed", 30),
        ("97999=untimed", "untimed", None),
    ],
)
def test_define_code(spec: str, kind: str, unit: int | None) -> None:
    info = unitcalc.define_code(spec)
    assert (info.kind, info.unit_minutes) == (kind, unit)


@pytest.mark.parametrize("spec", ["97999", "97999=sometimes", "97999=timed/0", "97999=untimed/15"])
def test_define_code_rejects_bad_specs(spec: str) -> None:
    with pytest.raises(CodeTableError, match="--define"):
        unitcalc.define_code(spec)
