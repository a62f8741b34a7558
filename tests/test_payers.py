"""Payer profiles: the file format and its errors, caps, minimums, the round-up rule,
other unit lengths from data, and audits under caps."""

from __future__ import annotations

from pathlib import Path

import pytest

import unitcalc
from unitcalc import ServiceLine, audit, calculate
from unitcalc.payers import PayerProfile, PayerProfileError, load_profiles, parse_profiles

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "payers.toml"
FIXTURES = Path(__file__).parent / "fixtures"


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
    ],
    ids=["unknown-key", "unknown-rule", "negative-cap", "fraction-cap", "cap-order",
         "negative-minimum", "bad-preference", "syntax", "top-level"],
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
        assert any("cap removed 2 units" in w for w in result.warnings)

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
