"""Payer profile files: every key's error names the file, the line, the payer and the key;
the values a profile may hold reach the count."""

from __future__ import annotations

from pathlib import Path

import pytest

from unitcalc import ServiceLine, calculate
from unitcalc.payers import PayerProfileError, load_profiles, parse_profiles, select


@pytest.mark.parametrize(
    ("text", "line", "key", "message"),
    [
        ('[payers.acme]\nrule = "ama"\nlabel = 3\n', 3, "label", "label: must be text"),
        ('[payers.acme]\nsource = ["Acme contract"]\n', 2, "source", "source: must be text"),
        ("[payers.acme]\nnote = true\n", 2, "note", "note: must be text"),
        ("[payers.acme]\nmin_minutes = 8\n", 2, "min_minutes", 'min_minutes: must be a table of code = minutes, e.g. { "97035" = 8 }'),
        ('[payers.acme]\nmin_minutes = { "9703" = 8 }\n', 2, "min_minutes", "min_minutes: '9703' is not a CPT/HCPCS code"),
        ('[payers.acme]\nmin_minutes = { "97035" = true }\n', 2, "min_minutes", "min_minutes: 97035: minutes must be a whole number 0 or more"),
        ('[payers.acme]\nmin_minutes = { "97035" = 7.5 }\n', 2, "min_minutes", "min_minutes: 97035: minutes must be a whole number 0 or more"),
        ('[payers.acme]\npooling = "week"\n', 2, "pooling", "pooling: must be discipline or day, not 'week'"),
        ("[payers.acme]\npooling = true\n", 2, "pooling", "pooling: must be discipline or day, not True"),
        ('[payers.acme]\ntie_preference = "97110"\n', 2, "tie_preference", 'tie_preference: must be a list of codes, e.g. ["97110", "97140"]'),
        ("[payers.acme]\ntie_preference = [97110]\n", 2, "tie_preference", "tie_preference: must be a list of codes"),
        ("[payers.acme]\ndaily_unit_cap = true\n", 2, "daily_unit_cap", "daily_unit_cap: must be a whole number of units, not True"),
        ('[payers."acme co"]\n\nlabel = 3\n', 3, "label", "[payers.acme co] label: must be text"),
    ],
    ids=["label-not-text", "source-a-list", "note-true", "min-minutes-a-number",
         "min-minutes-bad-code", "min-minutes-true", "min-minutes-fraction", "pooling-unknown",
         "pooling-true", "tie-preference-text", "tie-preference-numbers", "cap-true",
         "quoted-payer-name"],
)  # fmt: skip
def test_bad_keys_name_file_line_payer_and_key(
    tmp_path: Path, text: str, line: int, key: str, message: str
) -> None:
    path = tmp_path / "payers.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PayerProfileError) as caught:
        load_profiles(path)
    assert str(caught.value).startswith(f"{path}, line {line}: [payers.")
    assert message in str(caught.value)
    assert (caught.value.line, caught.value.key, caught.value.path) == (line, key, str(path))
    assert caught.value.payer in {"acme", "acme co"}


@pytest.mark.parametrize(
    "text",
    ["[payers]\n", "payers = 3\n", "# nothing yet\n"],
    ids=["empty-payers-table", "payers-a-number", "empty-file"],
)
def test_a_file_without_profiles_says_where_they_go(text: str) -> None:
    with pytest.raises(PayerProfileError) as caught:
        parse_profiles(text, source_name="payers.toml")
    assert str(caught.value) == "payers.toml: no [payers.NAME] tables found"


def test_a_profile_that_is_not_a_table() -> None:
    with pytest.raises(PayerProfileError) as caught:
        parse_profiles("payers = { acme = 3 }\n", source_name="payers.toml")
    assert str(caught.value) == (
        "payers.toml: [payers.acme]: must be a table of keys such as rule and daily_unit_cap"
    )
    assert (caught.value.payer, caught.value.key) == ("acme", None)


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        ('[plans.acme]\nrule = "ama"\n', 1, "plans"),
        ('[payers.acme]\nrule = "ama"\n\n[defaults]\nrule = "cms"\n', 4, "defaults"),
        ('[payers.acme]\nrule = "ama"\n[x."y"]\nz = 1\n', 3, "x"),
        ('defaults.rule = "ama"\n[payers.acme]\n', None, "defaults"),
    ],
    ids=["other-table", "table-after-profiles", "quoted-subtable", "dotted-key-no-line"],
)
def test_unknown_top_level_tables(text: str, line: int | None, key: str) -> None:
    with pytest.raises(PayerProfileError) as caught:
        parse_profiles(text, source_name="payers.toml")
    where = f"payers.toml, line {line}" if line else "payers.toml"
    assert str(caught.value) == (
        f"{where}: unknown top-level key {key!r}: profiles go under [payers.NAME]"
    )
    assert (caught.value.line, caught.value.key) == (line, key)


def test_a_file_that_is_not_utf8_names_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "payers.toml"
    path.write_bytes(b'[payers.acme]\nlabel = "Caf\xe9"\n')
    with pytest.raises(PayerProfileError) as caught:
        load_profiles(path)
    assert str(path) in str(caught.value)
    assert "not UTF-8 text (byte 26)" in str(caught.value)
    assert caught.value.path == str(path)


def test_every_key_is_read() -> None:
    profiles = parse_profiles(
        "[payers.acme]\n"
        'label = "Acme Health"\nrule = "ama"\ndaily_unit_cap = 6\nvisit_unit_cap = 4\n'
        'cap_order = "largest"\nmin_minutes = { " g0283 " = 8, "97035" = 0 }\n'
        'tie_preference = ["97140", " 97110 "]\npooling = "day"\n'
        'source = "Acme contract 2026, section 4"\nnote = "check yearly"\n',
        source_name="payers.toml",
    )
    acme = profiles["acme"]
    assert (acme.label, acme.rule, acme.daily_unit_cap, acme.visit_unit_cap) == (
        "Acme Health",
        "ama",
        6,
        4,
    )
    assert acme.cap_order == "largest"
    assert dict(acme.min_minutes) == {"G0283": 8, "97035": 0}
    assert acme.tie_preference == ("97140", "97110")
    assert acme.pooling == "day"
    assert (acme.source, acme.note) == ("Acme contract 2026, section 4", "check yearly")
    assert acme.has_caps


def test_a_profile_without_caps_has_none() -> None:
    acme = parse_profiles('[payers.acme]\nrule = "cms"\n', source_name="payers.toml")["acme"]
    assert not acme.has_caps
    assert (acme.pooling, acme.label, acme.tie_preference) == (None, "", ())


def test_day_pooling_from_the_profile_counts_the_disciplines_together() -> None:
    acme = parse_profiles('[payers.acme]\npooling = "day"\n', source_name="p")["acme"]
    services = [
        ServiceLine("97110", 10, discipline="GP"),
        ServiceLine("97530", 10, discipline="GO"),
    ]
    assert calculate(services).total_units == 2  # 10 min in each discipline: 1 unit each
    assert calculate(services, payer=acme).total_units == 1  # 20 min in the day: 1 unit


@pytest.mark.parametrize(
    "name", ["Acme", "acme", " ACME "], ids=["as-written", "lower", "padded-upper"]
)
def test_select_ignores_letter_case_and_spaces(name: str) -> None:
    profiles = parse_profiles('[payers.Acme]\nrule = "ama"\n[payers.beta]\n', source_name="p")
    assert select(profiles, name, path="p").name == "Acme"


def test_select_lists_the_names_when_none_matches() -> None:
    profiles = parse_profiles("[payers.beta]\n[payers.Acme]\n", source_name="p")
    with pytest.raises(PayerProfileError) as caught:
        select(profiles, "gamma", path="payers.toml")
    assert str(caught.value) == "no payer profile 'gamma' in payers.toml; it has Acme, beta"
    assert (caught.value.payer, caught.value.path) == ("gamma", "payers.toml")
