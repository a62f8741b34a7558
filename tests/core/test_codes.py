"""The code table: coverage, classification, deleted codes, user files and their errors."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

import unitcalc
from unitcalc import CodeTable, CodeTableError, DeletedCodeError, UnknownCodeError
from unitcalc.core.codefile import parse_table
from unitcalc.core.codeinfo import normalize_code

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
    assert "define_code(spec='97111=timed')" in str(caught.value)
    assert caught.value.argument == "spec"


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
    with pytest.raises(CodeTableError, match=re.escape(f"define_code(spec={spec!r})")) as caught:
        unitcalc.define_code(spec)
    assert caught.value.argument == "spec"


ENTRY = '[codes."97999"]\nlabel = "x"\n'
TIMED_ENTRY = ENTRY + 'kind = "timed"\nunit_minutes = 15\n'
UNTIMED_ENTRY = ENTRY + 'kind = "untimed"\n'
DELETED_ENTRY = ENTRY + 'kind = "deleted"\ndeleted_on = 2020-01-01\n'


def load(tmp_path: Path, text: str | bytes) -> CodeTable:
    path = tmp_path / "mine.toml"
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return CodeTable.load(path)


@pytest.mark.parametrize(
    ("text", "line", "key", "message"),
    [
        ('colour = "red"\n' + UNTIMED_ENTRY, 1, "colour", "unknown top-level key 'colour': expected [sources] and [codes]"),
        ('[codes]\n97999 = "timed"\n', 2, "97999", "[codes.'97999']: must be a table of keys such as label and kind"),
        (ENTRY + 'kind = "untimed"\nlabel2 = 1\n', 4, "label2", "[codes.'97999'] label2: unknown key; allowed keys are addon_of, declare_hint, deleted_on"),
        ('[codes."97999"]\nlabel = "   "\nkind = "untimed"\n', 2, "label", "label: a short label (text) is required"),
        (ENTRY + 'kind = "timed"\nunit_minutes = true\n', 4, "unit_minutes", "a timed code needs whole minutes from 1 to 1440, not True"),
        (ENTRY + 'kind = "timed"\nunit_minutes = 7.5\n', 4, "unit_minutes", "a timed code needs whole minutes from 1 to 1440, not 7.5"),
        (UNTIMED_ENTRY + 'addon_of = "97110"\n', 4, "addon_of", "addon_of: only timed codes can be add-ons"),
        (TIMED_ENTRY + 'addon_of = "9711"\n', 5, "addon_of", "addon_of: '9711' is not a CPT/HCPCS code"),
        (TIMED_ENTRY + "addon_of = 97110\n", 5, "addon_of", "addon_of: code 97110 must be text such as '97110', not int"),
        (TIMED_ENTRY + 'disciplines = ["PT", "XX"]\n', 5, "disciplines", "disciplines: must be a list drawn from PT, OT, SLP"),
        (TIMED_ENTRY + 'disciplines = "PT"\n', 5, "disciplines", "disciplines: must be a list drawn from PT, OT, SLP"),
        (ENTRY + 'kind = "deleted"\ndeleted_on = 2020-01-01T08:00:00\nreplaced_by = ["97110"]\n', 4, "deleted_on", "a deleted code needs its deletion date, e.g. 2017-01-01"),
        (DELETED_ENTRY, 1, "replaced_by", "replaced_by: a deleted code needs the list of its replacement codes"),
        (DELETED_ENTRY + "replaced_by = []\n", 5, "replaced_by", "a deleted code needs the list of its replacement codes"),
        (DELETED_ENTRY + 'replaced_by = ["97110", "971"]\n', 5, "replaced_by", "replaced_by: '971' is not a CPT/HCPCS code"),
        (TIMED_ENTRY + "deleted_on = 2020-01-01\n", 5, "deleted_on", "deleted_on: only for deleted codes"),
        (UNTIMED_ENTRY + 'replaced_by = ["97110"]\n', 4, "replaced_by", "replaced_by: only for deleted codes"),
        (UNTIMED_ENTRY + "source = [1]\n", 4, "source", "source: must be a list of keys into [sources]"),
        (UNTIMED_ENTRY + "source = { contract = 1 }\n", 4, "source", "source: must be a list of keys into [sources]"),
        (UNTIMED_ENTRY + "note = 3\n", 4, "note", "note: must be text"),
        (UNTIMED_ENTRY + 'rule_notes = ["ama"]\n', 4, "rule_notes", 'rule_notes: must be a table of rule name = "text"'),
        (UNTIMED_ENTRY + "rule_notes = { ama = 1 }\n", 4, "rule_notes", 'rule_notes: must be a table of rule name = "text"'),
    ],
    ids=["unknown-top-level-key", "entry-not-a-table", "unknown-entry-key", "blank-label",
         "unit-true", "unit-fraction", "addon-on-untimed", "addon-not-a-code", "addon-a-number",
         "unknown-discipline", "disciplines-not-a-list", "deleted-on-a-datetime",
         "deleted-no-replacements", "deleted-empty-replacements", "replacement-not-a-code",
         "deleted-on-for-timed", "replaced-by-for-untimed", "source-not-text",
         "source-a-table", "note-not-text", "rule-notes-a-list", "rule-note-not-text"],
)  # fmt: skip
def test_bad_entries_name_file_line_and_key(
    tmp_path: Path, text: str, line: int, key: str, message: str
) -> None:
    with pytest.raises(CodeTableError) as caught:
        load(tmp_path, text)
    path = tmp_path / "mine.toml"
    assert str(caught.value).startswith(f"{path}, line {line}: ")
    assert message in str(caught.value)
    assert (caught.value.path, caught.value.line, caught.value.key) == (str(path), line, key)


@pytest.mark.parametrize(
    "text",
    ["codes = 3\n", "sources = 3\n" + UNTIMED_ENTRY, 'codes = ["97999"]\n'],
    ids=["codes-a-number", "sources-a-number", "codes-a-list"],
)
def test_sources_and_codes_must_be_tables(tmp_path: Path, text: str) -> None:
    with pytest.raises(CodeTableError) as caught:
        load(tmp_path, text)
    assert str(caught.value) == f"{tmp_path / 'mine.toml'}: [sources] and [codes] must be tables"


def test_a_missing_key_points_at_its_entry_not_at_the_next_entry(tmp_path: Path) -> None:
    # 97999 lacks unit_minutes; the unit_minutes of the entry below it is not the culprit.
    text = (
        '[codes."0998T"]\nlabel = "y"\nkind = "untimed"\n\n'
        '[codes."97999"]\nlabel = "x"\nkind = "timed"\n\n'
        '[codes."0997T"]\nlabel = "z"\nkind = "timed"\nunit_minutes = 15\n'
    )
    with pytest.raises(CodeTableError) as caught:
        load(tmp_path, text)
    assert caught.value.line == 5
    assert (
        "[codes.'97999'] unit_minutes: a timed code needs whole minutes from 1 to 1440, not None"
        in (str(caught.value))
    )


def test_a_file_that_is_not_utf8_names_the_byte(tmp_path: Path) -> None:
    with pytest.raises(CodeTableError) as caught:
        load(tmp_path, b'[codes."97999"]\nlabel = "caf\xe9"\nkind = "untimed"\n')
    assert str(caught.value) == f"code table {tmp_path / 'mine.toml'} is not UTF-8 text (byte 28)"
    assert caught.value.path == str(tmp_path / "mine.toml")


def test_sources_are_looked_up_and_free_text_is_kept(tmp_path: Path) -> None:
    text = (
        '[sources]\ncontract = "Acme contract 2026, section 4"\n\n'
        '[codes."97999"]\nlabel = "x"\nkind = "untimed"\nsource = "contract"\n\n'
        '[codes."0998T"]\nlabel = "y"\nkind = "timed"\nunit_minutes = 15\n'
        'source = ["contract", "payer letter of 2026-02-01"]\n'
    )
    table = load(tmp_path, text)
    assert table.lookup("97999").sources == ("Acme contract 2026, section 4",)
    assert table.lookup("0998T").sources == (
        "Acme contract 2026, section 4",
        "payer letter of 2026-02-01",
    )


def test_a_full_entry_is_read_whole(tmp_path: Path) -> None:
    text = (
        '[codes."g9999"]\nlabel = "  deleted test code  "\nkind = "deleted"\n'
        'deleted_on = 2021-01-01\nreplaced_by = ["97110", " g0283 "]\n'
        'disciplines = ["PT", "OT"]\nnote = "gone"\nrule_notes = { ama = "not under ama" }\n'
    )
    [info] = parse_table(text, source_name="mine.toml", require_sources=False)
    assert info.code == "G9999"
    assert info.label == "deleted test code"
    assert info.deleted_on == datetime.date(2021, 1, 1)
    assert info.replaced_by == ("97110", "G0283")
    assert info.disciplines == ("PT", "OT")
    assert (info.note, dict(info.rule_notes)) == ("gone", {"ama": "not under ama"})
    assert info.sources == ("user code table mine.toml",)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("", "source: every packaged entry must cite a source"),
        ('source = "contract"\n', "source: 'contract' is not a key of [sources]"),
    ],
    ids=["no-source", "source-not-in-sources"],
)
def test_packaged_tables_must_cite_a_listed_source(source: str, message: str) -> None:
    with pytest.raises(CodeTableError, match=re.escape(message)):
        parse_table(UNTIMED_ENTRY + source, source_name="codes.toml", require_sources=True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[codes."0998T"]\nlabel = "x"\nkind = "timed"\nunit_minutes = 15\naddon_of = "97130"\n',
         "0998T is an add-on of 97130, which must be a timed code that is not itself an add-on"),
        ('[codes."0998T"]\nlabel = "x"\nkind = "timed"\nunit_minutes = 15\naddon_of = "97129"\n',
         "97129 has two add-ons (97130, 0998T); unitcalc supports one"),
        ('[codes."0998T"]\nlabel = "x"\nkind = "timed"\nunit_minutes = 15\naddon_of = "0997T"\n',
         "0998T is an add-on of 0997T, which is not in the table"),
    ],
    ids=["addon-of-an-addon", "second-addon", "primary-unknown"],
)  # fmt: skip
def test_add_on_relations_are_checked_against_the_packaged_table(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(CodeTableError, match=re.escape(message)) as caught:
        load(tmp_path, text)
    assert caught.value.key == "0998T"


def test_add_on_errors_from_a_file_name_the_file(tmp_path: Path) -> None:
    # CodeTableError.path is documented as "the file", and every other error of a --codes
    # file starts with its path; this one said "code table" whatever the file.
    text = '[codes."0998T"]\nlabel = "x"\nkind = "timed"\nunit_minutes = 15\naddon_of = "0997T"\n'
    with pytest.raises(CodeTableError) as caught:
        load(tmp_path, text)
    assert caught.value.path == str(tmp_path / "mine.toml")
    assert str(tmp_path / "mine.toml") in str(caught.value)


def test_an_add_on_may_have_its_own_unit_length(tmp_path: Path) -> None:
    # A first 30-minute unit, then 15-minute add-on units (the shape of 97550/97551).
    text = (
        '[codes."0997T"]\nlabel = "p"\nkind = "timed"\nunit_minutes = 30\n\n'
        '[codes."0998T"]\nlabel = "a"\nkind = "timed"\nunit_minutes = 15\naddon_of = "0997T"\n'
    )
    table = load(tmp_path, text)
    assert dict(unitcalc.calculate({"0997T": 38}, codes=table).units) == {"0997T": 1, "0998T": 1}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("97999=timed/", "unit length '' must be a whole number of minutes from 1 to 1440"),
        ("97999=timed/7.5", "unit length '7.5' must be a whole number of minutes from 1 to 1440"),
        ("97999=timed/-15", "unit length '-15' must be a whole number of minutes from 1 to 1440"),
        ("97999=", "the kind must be timed, timed/MINUTES or untimed"),
    ],
    ids=["no-minutes", "fraction", "negative", "no-kind"],
)
def test_define_names_the_spec_and_the_problem(spec: str, message: str) -> None:
    with pytest.raises(CodeTableError) as caught:
        unitcalc.define_code(spec)
    assert str(caught.value).startswith(f"define_code(spec={spec!r}): ")
    assert message in str(caught.value)
    assert (caught.value.path, caught.value.key) == ("define_code", "97999")


def test_define_without_an_equals_sign_keeps_the_whole_spec_as_key() -> None:
    with pytest.raises(CodeTableError) as caught:
        unitcalc.define_code("97999 timed")
    assert caught.value.key == "97999 timed"
    assert "write CODE=timed, CODE=timed/30 or CODE=untimed" in str(caught.value)


def test_define_checks_the_code() -> None:
    with pytest.raises(unitcalc.InvalidServiceError, match="'9799' is not a CPT/HCPCS code"):
        unitcalc.define_code("9799=timed")


@pytest.mark.parametrize(
    ("code", "suggestions"),
    [
        ("71109", ("97110", "97161", "97150")),
        ("G7777", ()),
        ("97111", ("97110", "97112", "97113")),
    ],
    ids=["digits-shifted", "nothing-close", "one-digit-off"],
)
def test_unknown_codes_suggest_what_the_typo_most_likely_meant(
    code: str, suggestions: tuple[str, ...]
) -> None:
    with pytest.raises(UnknownCodeError) as caught:
        CodeTable.default().lookup(code)
    assert caught.value.suggestions == suggestions
    if suggestions:
        assert f"Did you mean {', '.join(suggestions)}?" in str(caught.value)
    else:
        assert "Did you mean" not in str(caught.value)
    assert f"define_code(spec='{code}=timed')" in str(caught.value)


@pytest.mark.parametrize("raw", [97110, None, 97110.0], ids=["int", "none", "float"])
def test_a_code_must_be_text(raw: object) -> None:
    with pytest.raises(unitcalc.InvalidServiceError) as caught:
        normalize_code(raw)
    assert f"code {raw!r} must be text such as '97110', not {type(raw).__name__}" == str(
        caught.value
    )
    assert (caught.value.field, caught.value.value) == ("code", raw)


def test_membership_is_by_canonical_code() -> None:
    table = CodeTable.default()
    assert "97110" in table
    assert "G0283" in table
    assert "97999" not in table
    assert "97001" in table  # deleted codes are entries too, so lookup can name replacements


@pytest.mark.parametrize(
    ("name", "home"),
    [
        ("CodeTable", "codes"),
        ("KINDS", "codeinfo"),
        ("define_code", "definitions"),
        ("parse_table", "codefile"),
    ],
)
def test_old_module_path_forwards_to_the_split_modules(name: str, home: str) -> None:
    import importlib

    import unitcalc.codes as old

    with pytest.warns(DeprecationWarning, match=f"import {name} from unitcalc.core.{home} "):
        found = getattr(old, name)
    assert found is getattr(importlib.import_module(f"unitcalc.core.{home}"), name)


MONTHLY_ENTRY = ENTRY + 'kind = "monthly"\n'


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        (UNTIMED_ENTRY + 'valid_kind = "timed"\n', "valid_kind", "valid_kind: only for deleted codes: how the code was counted while valid"),
        (DELETED_ENTRY + 'replaced_by = ["97110"]\nvalid_kind = "monthly"\n', "valid_kind", "valid_kind: must be \"timed\" or \"untimed\", not 'monthly'"),
        (UNTIMED_ENTRY + 'valid_from = "2020-01-01"\n', "valid_from", "valid_from: must be a TOML date such as 2017-01-01, not '2020-01-01'"),
        (UNTIMED_ENTRY + "valid_from = 2020-01-01\nvalid_to = 2019-12-31\n", "valid_to", "valid_to: 2019-12-31 is before valid_from 2020-01-01"),
        (DELETED_ENTRY + 'replaced_by = ["97110"]\nvalid_to = 2019-12-30\n', "valid_to", "valid_to: must be the day before deleted_on (2020-01-01)"),
        (UNTIMED_ENTRY + 'valid_to = 2019-12-31\nreplaced_by = "97110"\n', "replaced_by", "replaced_by: must be a list of codes"),
        (UNTIMED_ENTRY + 'valid_to = 2019-12-31\nreplaced_by = ["971"]\n', "replaced_by", "replaced_by: '971' is not a CPT/HCPCS code"),
        (MONTHLY_ENTRY, "monthly_counting", "monthly_counting: a monthly code needs a few words on what it counts by"),
        (MONTHLY_ENTRY + 'monthly_counting = "days"\naddon_of = "97110"\n', "addon_of", "addon_of: only timed codes can be add-ons"),
        (UNTIMED_ENTRY + 'monthly_counting = "days"\n', "monthly_counting", "monthly_counting: only for monthly codes"),
    ],
    ids=["valid-kind-not-deleted", "valid-kind-monthly", "valid-from-text", "window-reversed",
         "valid-to-not-before-deletion", "replacements-not-a-list", "replacement-not-a-code",
         "monthly-without-counting", "monthly-addon", "counting-not-monthly"],
)  # fmt: skip
def test_bad_windows_and_monthly_entries_name_the_key(
    tmp_path: Path, text: str, key: str, message: str
) -> None:
    with pytest.raises(CodeTableError) as caught:
        load(tmp_path, text)
    assert message in str(caught.value)
    assert caught.value.key == key


def test_a_deleted_entry_may_give_its_last_valid_day_instead_of_its_deletion_date() -> None:
    text = ENTRY + 'kind = "deleted"\nvalid_to = 2019-12-31\nreplaced_by = ["97110"]\n'
    [info] = parse_table(text, source_name="mine.toml", require_sources=False)
    assert info.deleted_on == datetime.date(2020, 1, 1)
    assert info.window == "to 2019-12-31"


@pytest.mark.parametrize(
    ("replaced", "instead"),
    [
        ("", "this code table has no code in its place on that date"),
        ('replaced_by = ["97110"]\n', "the code in force on that date is 97110"),
    ],
    ids=["no-replacement", "replaced"],
)
def test_a_code_past_its_window_that_was_not_deleted(
    tmp_path: Path, replaced: str, instead: str
) -> None:
    table = load(tmp_path, UNTIMED_ENTRY + "valid_to = 2019-12-31\n" + replaced)
    assert table.lookup("97999", on=datetime.date(2019, 12, 31)).kind == "untimed"
    with pytest.raises(unitcalc.CodeNotInForceError) as caught:
        table.lookup("97999", on=datetime.date(2020, 1, 1))
    assert not isinstance(caught.value, DeletedCodeError)
    assert str(caught.value) == f"97999 was valid to 2019-12-31, not on 2020-01-01; {instead}"


# Codes of issue 21: speech-language and hearing evaluations, caregiver training in
# direct care, payer-timed codes, canalith repositioning, dry needling, wound e-stim,
# unlisted codes; CMS therapy-list designations.

NEW_CODES = [
    # code, kind, unit minutes, add-on of, first valid day
    ("92508", "untimed", None, None, None),
    ("92597", "untimed", None, None, None),
    ("92610", "untimed", None, None, None),
    ("92611", "untimed", None, None, None),
    ("92612", "untimed", None, None, None),
    ("92605", "timed", 60, None, None),
    ("92618", "timed", 30, "92605", None),
    ("92607", "timed", 60, None, None),
    ("92608", "timed", 30, "92607", None),
    ("92626", "timed", 60, None, None),
    ("92627", "timed", 15, "92626", None),
    ("96105", "timed", 60, None, None),
    ("96125", "timed", 60, None, None),
    ("G0541", "timed", 30, None, datetime.date(2025, 1, 1)),
    ("G0542", "timed", 15, "G0541", datetime.date(2025, 1, 1)),
    ("G0543", "untimed", None, None, datetime.date(2025, 1, 1)),
    ("G0237", "timed", 15, None, None),
    ("G0238", "timed", 15, None, None),
    ("S8948", "timed", 15, None, None),
    ("95992", "untimed", None, None, datetime.date(2009, 1, 1)),
    ("20560", "untimed", None, None, datetime.date(2020, 1, 1)),
    ("20561", "untimed", None, None, datetime.date(2020, 1, 1)),
    ("G0281", "untimed", None, None, datetime.date(2003, 4, 1)),
    ("G0282", "untimed", None, None, None),
    ("G0329", "untimed", None, None, None),
    ("97039", "unlisted", None, None, None),
    ("97139", "unlisted", None, None, None),
    ("97799", "unlisted", None, None, None),
]


@pytest.mark.parametrize(
    ("code", "kind", "unit", "addon_of", "valid_from"),
    NEW_CODES,
    ids=[row[0] for row in NEW_CODES],
)
def test_new_codes_kind_unit_family_and_first_day(
    table: CodeTable,
    code: str,
    kind: str,
    unit: int | None,
    addon_of: str | None,
    valid_from: datetime.date | None,
) -> None:
    info = table.codes[code]
    assert (info.kind, info.unit_minutes, info.addon_of, info.valid_from) == (
        kind,
        unit,
        addon_of,
        valid_from,
    )
    assert info.sources
    assert not valid_from or info.valid_sources


def test_wound_care_area_codes_are_left_out(table: CodeTable) -> None:
    # Billed by wound surface area, not minutes: no kind of this table counts them
    # (docs/codes.md names them).
    for code in ("97597", "97598", "97602", "97605", "97606", "97607", "97608", "97610"):
        assert code not in table


@pytest.mark.parametrize(
    ("codes", "designation"),
    [
        (["92521", "92522", "92523", "92524", "92597", "92607"], "always"),
        (["97161", "97162", "97163", "97164", "97165", "97166", "97167", "97168"], "always"),
        (["97550", "97551", "97552", "G0541", "G0542", "G0543"], "sometimes"),
        (["G0237", "G0238"], "not-therapy"),
    ],
    ids=["cr10176-gn", "cr10176-gp-go", "caregiver-training", "respiratory"],
)
def test_therapy_list_designations_cite_their_source(
    table: CodeTable, codes: list[str], designation: str
) -> None:
    for code in codes:
        info = table.codes[code]
        assert info.therapy_list == designation, code
        assert info.therapy_list_sources, code
        assert info.to_dict()["therapy_list"] == designation


@pytest.mark.parametrize(
    ("code", "disciplines"),
    [
        ("97129", ("PT", "OT", "SLP")),
        ("97130", ("PT", "OT", "SLP")),
        ("92526", ("OT", "SLP")),
        ("92607", ("SLP",)),
        ("97161", ("PT",)),
        ("92610", ()),
    ],
)
def test_disciplines_are_the_plans_of_care_that_bill_the_code(
    table: CodeTable, code: str, disciplines: tuple[str, ...]
) -> None:
    assert table.codes[code].disciplines == disciplines


@pytest.mark.parametrize("code", ["97039", "97139", "97799"])
def test_an_unlisted_code_is_refused_until_declared(table: CodeTable, code: str) -> None:
    with pytest.raises(unitcalc.UnlistedCodeError) as caught:
        table.lookup(code)
    error = caught.value
    assert (error.code, error.field, error.argument) == (code, "code", "spec")
    assert error.hint == table.codes[code].declare_hint
    text = str(error)
    assert text.startswith(f"{code} ({table.codes[code].label}) is an unlisted code")
    assert f"define_code(spec='{code}=timed')" in text
    assert "CodeTable.load(path=...)" in text
    # Refused on a date too, and never offered as a code in force instead of another.
    with pytest.raises(unitcalc.UnlistedCodeError):
        table.lookup(code, on=datetime.date(2026, 3, 2))
    declared = table.with_codes(unitcalc.define_code(f"{code}=timed/30"))
    assert declared.lookup(code).unit_minutes == 30


UNLISTED_ENTRY = ENTRY + 'kind = "unlisted"\n'


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        (UNLISTED_ENTRY, "declare_hint", "declare_hint: an unlisted code needs a few words on what the user declares before it counts"),
        (UNLISTED_ENTRY + 'declare_hint = "  "\n', "declare_hint", "declare_hint: an unlisted code needs a few words"),
        (UNTIMED_ENTRY + 'declare_hint = "x"\n', "declare_hint", "declare_hint: only for unlisted codes"),
        (UNLISTED_ENTRY + 'declare_hint = "x"\nunit_minutes = 15\n', "unit_minutes", "unit_minutes: only timed codes have a unit length (unlisted code)"),
        (UNTIMED_ENTRY + 'therapy_list = "often"\n', "therapy_list", "therapy_list: must be one of always, sometimes, not-therapy, not 'often'"),
        (UNTIMED_ENTRY + 'therapy_list_source = ["a letter"]\n', "therapy_list_source", "therapy_list_source: only with therapy_list"),
    ],
    ids=["unlisted-without-hint", "unlisted-blank-hint", "hint-not-unlisted", "unlisted-unit",
         "therapy-list-unknown", "therapy-source-alone"],
)  # fmt: skip
def test_bad_unlisted_and_therapy_list_entries_name_the_key(
    tmp_path: Path, text: str, key: str, message: str
) -> None:
    with pytest.raises(CodeTableError) as caught:
        load(tmp_path, text)
    assert message in str(caught.value)
    assert caught.value.key == key


def test_a_packaged_therapy_list_designation_must_cite_its_source() -> None:
    with pytest.raises(
        CodeTableError,
        match="therapy_list_source: every packaged therapy-list designation must cite its source",
    ):
        parse_table(
            UNTIMED_ENTRY + 'source = ["s"]\ntherapy_list = "always"\n[sources]\ns = "x"\n',
            source_name="codes.toml",
            require_sources=True,
        )


def test_a_user_entry_reads_therapy_list_and_declare_hint(tmp_path: Path) -> None:
    table = load(
        tmp_path,
        UNLISTED_ENTRY
        + 'declare_hint = " the unit in our contract "\n'
        + '[codes."0998T"]\nlabel = "y"\nkind = "untimed"\ntherapy_list = "sometimes"\n'
        + 'therapy_list_source = ["our MAC letter"]\n',
    )
    assert table.codes["97999"].declare_hint == "the unit in our contract"
    assert table.codes["0998T"].therapy_list == "sometimes"
    assert table.codes["0998T"].therapy_list_sources == ("our MAC letter",)
