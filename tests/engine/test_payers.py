"""Payer profiles: the file format and its errors, caps, minimums, the round-up rule,
other unit lengths from data, and audits under caps."""

from __future__ import annotations

from pathlib import Path

import pytest

import unitcalc
from unitcalc import ServiceLine, audit, calculate
from unitcalc.engine.payers import (
    PayerProfile,
    PayerProfileError,
    load_profiles,
    parse_profiles,
    select,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "payers.toml"
FIXTURES = Path(__file__).parents[1] / "fixtures"


def test_the_example_file_loads_and_cites_every_profile() -> None:
    profiles = load_profiles(EXAMPLE)
    assert set(profiles) == {
        "medicare",
        "anthem-example",
        "cigna-example",
        "texas-medicaid-example",
    }
    for profile in profiles.values():
        assert len(profile.source) > 20, profile.name
    assert profiles["anthem-example"].daily_unit_cap == 4
    assert profiles["cigna-example"].visit_unit_cap == 4
    assert profiles["texas-medicaid-example"].cap_order == "largest"
    assert [name for name, profile in profiles.items() if profile.medicare] == ["medicare"]


@pytest.mark.parametrize(
    ("text", "line", "key", "message"),
    [
        ('[payers.acme]\nrule = "ama"\ncolour = "red"\n', 3, "colour", "unknown key"),
        ('[payers.acme]\nrule = "rule-of-eights"\n', 2, "rule", "unknown rule 'rule-of-eights'"),
        ('[payers.acme]\n\ndaily_unit_cap = -4\n', 3, "daily_unit_cap", "must be 0 or more"),
        ('[payers.acme]\nvisit_unit_cap = 4.5\n', 2, "visit_unit_cap", "whole number"),
        ('[payers.acme]\ncap_order = "random"\n', 2, "cap_order", "claim, largest"),
        ('[payers.acme]\nmin_minutes = { "97035" = -1 }\n', 2, "min_minutes", "0 or more"),
        ('[payers.acme]\ntie_preference = ["9711"]\n', 2, "tie_preference", "not a CPT/HCPCS code"),
        ('[payers.acme\nrule = "ama"\n', 1, None, "TOML syntax error"),
        ('rule = "ama"\n', 1, "rule", "unknown top-level key 'rule'"),
        ('[payers.acme]\nmedicare = "yes"\n', 2, "medicare", "must be true or false"),
    ],
    ids=["unknown-key", "unknown-rule", "negative-cap", "fraction-cap", "cap-order",
         "negative-minimum", "bad-preference", "syntax", "top-level", "medicare"],
)  # fmt: skip
def test_bad_profile_files_name_file_line_and_key(
    tmp_path: Path, text: str, line: int, key: str | None, message: str
) -> None:
    path = tmp_path / "payers.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PayerProfileError) as caught:
        load_profiles(path)
    assert str(caught.value).startswith(f"{path}, line {line}: " if line else str(path))
    assert message in str(caught.value)
    assert caught.value.line == line
    assert caught.value.key == key


def test_missing_profile_file(tmp_path: Path) -> None:
    with pytest.raises(PayerProfileError, match="cannot read payer profiles"):
        load_profiles(tmp_path / "none.toml")


def profile(**terms: object) -> PayerProfile:
    return parse_profiles(
        "[payers.p]\n" + "".join(f"{k} = {v}\n" for k, v in terms.items()), source_name="t"
    )["p"]


VISIT = {"97110": 40, "97140": 30, "97530": 20}  # CMS: 90 min = 6 units: 3, 2, 1


class TestCaps:
    def test_daily_cap_in_claim_order(self) -> None:
        result = calculate(VISIT, payer=profile(daily_unit_cap=4))
        assert dict(result.units) == {"97110": 3, "97140": 1, "97530": 0}
        assert dict(result.removed) == {"97140": 1, "97530": 1}
        assert any(
            "6 timed units become 4; removed 97140 x1, 97530 x1" in s for s in result.explanation
        )
        assert any("cap removed 2 units" in w.text for w in result.warnings)

    def test_daily_cap_keeping_the_largest(self) -> None:
        visit = {"97530": 20, "97110": 40, "97140": 30}
        result = calculate(visit, payer=profile(daily_unit_cap=4, cap_order='"largest"'))
        assert dict(result.units) == {"97530": 0, "97110": 3, "97140": 1}
        claim = calculate(visit, payer=profile(daily_unit_cap=4))
        assert dict(claim.units) == {"97530": 1, "97110": 3, "97140": 0}

    def test_daily_cap_is_per_discipline(self) -> None:
        lines = [
            ServiceLine("97110", 45, discipline="PT"),
            ServiceLine("97140", 30, discipline="PT"),
            ServiceLine("97530", 45, discipline="OT"),
        ]
        result = calculate(lines, payer=profile(daily_unit_cap=4))
        assert dict(result.units) == {"97110": 3, "97140": 1, "97530": 3}

    def test_visit_cap_spans_disciplines(self) -> None:
        lines = [
            ServiceLine("97110", 45, discipline="PT"),
            ServiceLine("97530", 45, discipline="OT"),
        ]
        result = calculate(lines, payer=profile(visit_unit_cap=4))
        assert dict(result.units) == {"97110": 3, "97530": 1}

    def test_untimed_units_are_not_capped(self) -> None:
        result = calculate({"97161": 45, "97110": 60}, payer=profile(daily_unit_cap=2))
        assert dict(result.units) == {"97161": 1, "97110": 2}

    def test_a_cap_that_does_not_bind_changes_nothing(self) -> None:
        result = calculate(VISIT, payer=profile(daily_unit_cap=8))
        assert dict(result.units) == {"97110": 3, "97140": 2, "97530": 1}
        assert result.removed == {}

    def test_capped_ties_list_distinct_alternatives(self) -> None:
        # 20 + 20 = 3 units tie; a cap of 2 in claim order leaves 97112 x2 or x1 + x1.
        result = calculate({"97112": 20, "97110": 20}, payer=profile(daily_unit_cap=2))
        everything = [dict(result.units), *(dict(a) for a in result.alternatives)]
        assert sorted(map(sorted, map(dict.items, everything))) == sorted(
            [sorted({"97112": 2, "97110": 0}.items()), sorted({"97112": 1, "97110": 1}.items())]
        )
        assert result.tie is not None
        assert result.tie.allocations == 2


class TestAuditUnderCaps:
    def test_any_trim_to_the_cap_is_compliant(self) -> None:
        payer = profile(daily_unit_cap=4)
        assert audit(VISIT, {"97110": 3, "97140": 1, "97530": 0}, payer=payer).status == "ok"
        assert audit(VISIT, {"97110": 2, "97140": 1, "97530": 1}, payer=payer).status == "ok"

    def test_over_and_under_the_cap(self) -> None:
        payer = profile(daily_unit_cap=4)
        over = audit(VISIT, {"97110": 3, "97140": 2, "97530": 1}, payer=payer)
        assert (over.status, over.difference) == ("over", 2)
        assert "cap applies" in over.message
        assert audit(VISIT, {"97110": 3, "97140": 0, "97530": 0}, payer=payer).status == "under"

    def test_units_the_minutes_never_supported_are_misallocated(self) -> None:
        payer = profile(daily_unit_cap=4)
        assert audit(VISIT, {"97110": 4, "97140": 0, "97530": 0}, payer=payer).status == (
            "misallocated"
        )


def test_minimum_minutes() -> None:
    payer = profile(min_minutes='{ "97035" = 8 }')
    result = calculate({"97110": 16, "97035": 7}, payer=payer)
    # Without the minimum: 23 min = 2 units. With it, 97035's 7 min do not count.
    assert dict(result.units) == {"97110": 1, "97035": 0}
    assert any("under p's minimum of 8 min" in step for step in result.explanation)
    assert dict(calculate({"97110": 16, "97035": 8}, payer=payer).units) == {"97110": 1, "97035": 1}


def test_tie_preference_from_the_profile() -> None:
    result = calculate({"97112": 20, "97110": 20}, payer=profile(tie_preference='["97110"]'))
    assert dict(result.units) == {"97112": 1, "97110": 2}


def test_rule_from_the_profile_and_conflicts() -> None:
    payer = profile(rule='"ama"')
    assert calculate({"97110": 10, "97116": 10}, payer=payer).total_units == 2
    assert calculate({"97110": 10, "97116": 10}, rule="ama", payer=payer).total_units == 2
    with pytest.raises(PayerProfileError, match="conflicts with payer profile 'p'"):
        calculate({"97110": 10}, rule="cms", payer=payer)


ROUND_UP = [(0, 0), (1, 1), (15, 1), (16, 2), (30, 2), (31, 3), (60, 4)]


@pytest.mark.parametrize(("minutes", "units"), ROUND_UP, ids=[f"{m}min-{u}" for m, u in ROUND_UP])
def test_commercial_round_up_rule(minutes: int, units: int) -> None:
    assert calculate({"97110": minutes}, rule="commercial-15").units["97110"] == units
    assert calculate({"97110": minutes}, rule="round-up").rule == "commercial-15"


@pytest.mark.parametrize(
    ("code", "minutes", "ama", "cms"),
    [
        ("0991T", 15, 0, 0), ("0991T", 16, 1, 1), ("0991T", 45, 1, 1), ("0991T", 46, 2, 2),
        ("0992T", 30, 0, 0), ("0992T", 31, 1, 1), ("0992T", 90, 1, 1), ("0992T", 91, 2, 2),
    ],
)  # fmt: skip
def test_data_declared_unit_lengths(code: str, minutes: int, ama: int, cms: int) -> None:
    table = unitcalc.CodeTable.load(FIXTURES / "codes_other_lengths.toml")
    assert calculate({code: minutes}, rule="ama", codes=table).units[code] == ama
    # Under cms a code whose unit is not 15 minutes is counted on its own by its midpoint.
    assert calculate({code: minutes, "97110": 8}, rule="cms", codes=table).units[code] == cms


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
