"""Property tests of the assistant modifiers CQ/CO (docs/rules.md, Assistant modifiers CQ and CO): the modifier
never changes the units, a line with no assistant minutes never takes it, the units with
it never exceed the units, and an audit of the computed split finds nothing."""

from __future__ import annotations

import datetime

from hypothesis import assume, example, given
from hypothesis import strategies as st

import unitcalc
from unitcalc.core.assistant import AssistantOptions
from unitcalc.engine.assistant import split_units
from unitcalc.engine.modifiers import BilledLine, check_billed_lines, check_modifier_count

from . import strategies as ts

dates = st.none() | st.dates(
    min_value=datetime.date(2018, 1, 1), max_value=datetime.date(2030, 12, 31)
)
options = st.builds(
    AssistantOptions,
    split_two_final_units=st.booleans(),
    de_minimis=st.sampled_from(("more-than", "at-least")),
)


def in_force(
    lines: list[unitcalc.ServiceLine], day: datetime.date | None
) -> list[unitcalc.ServiceLine]:
    """The lines whose codes are in force on ``day`` (a dated count refuses the others)."""
    if day is None:
        return lines
    table = unitcalc.CodeTable.default()
    return [line for line in lines if table.codes[line.code].in_force_on(day)]


def without_assistant(lines: list[unitcalc.ServiceLine]) -> list[unitcalc.ServiceLine]:
    """The same lines with every minute counted as the therapist's."""
    return [
        unitcalc.ServiceLine(
            line.code,
            None if line.minutes is None else line.minutes + (line.assistant_minutes or 0),
            discipline=line.discipline,
        )
        for line in lines
    ]


@given(ts.assisted_lines(), ts.rules, dates, options)
def test_the_modifier_never_changes_the_units(
    lines: list[unitcalc.ServiceLine],
    rule: str,
    day: datetime.date | None,
    chosen: AssistantOptions,
) -> None:
    lines = in_force(lines, day)
    assume(lines)
    assisted = unitcalc.calculate(lines, rule=rule, date_of_service=day, assistant_options=chosen)
    plain = unitcalc.calculate(without_assistant(lines), rule=rule, date_of_service=day)
    assert dict(assisted.units) == dict(plain.units)
    assert assisted.total_timed_minutes == plain.total_timed_minutes


@given(ts.assisted_lines(), dates)
def test_no_assistant_minutes_no_modifier_and_never_more_than_the_units(
    lines: list[unitcalc.ServiceLine], day: datetime.date | None
) -> None:
    lines = in_force(lines, day)
    assume(lines)
    result = unitcalc.calculate(lines, date_of_service=day)
    assisted = {(line.code, line.discipline) for line in lines if line.assistant_minutes}
    for line in result.lines:
        split = line.assistant
        if split is None:
            continue
        assert 0 <= split.with_modifier <= line.units
        assert split.with_modifier + split.without_modifier == line.units
        family = {line.code, *(c for c in ("97129", "97130") if line.code in ("97129", "97130"))}
        if not any((code, split.discipline) in assisted for code in family):
            assert split.with_modifier == 0


@given(ts.split_inputs, dates, options, st.sampled_from(("PT", "OT")))
@example(
    {
        "units": 2,
        "therapist_minutes": 12,
        "assistant_minutes": 12,
        "unit_minutes": 15,
        "timed": True,
    },
    None,
    AssistantOptions(),
    "PT",
)
def test_the_split_is_bounded_and_an_audit_of_it_finds_nothing(
    arguments: dict[str, object],
    day: datetime.date | None,
    chosen: AssistantOptions,
    discipline: str,
) -> None:
    split = split_units(
        code="97110",
        discipline=discipline,
        date_of_service=day,
        options=chosen,
        **arguments,  # type: ignore[arg-type]
    )
    assert 0 <= split.with_modifier <= split.units
    if not split.assistant_minutes:
        assert split.with_modifier == 0
    assert check_modifier_count(split, split.with_modifier) == ()
    pair = "GP" if discipline == "PT" else "GO"
    modifier = split.modifier or ""
    lines = [
        BilledLine("97110", split.with_modifier, f"{pair};{modifier}"),
        BilledLine("97110", split.without_modifier, pair),
    ]
    assert check_billed_lines(split, lines) == ()
    # Billing every unit one way is wrong exactly when the split is mixed.
    name = split.modifier or ("CQ" if discipline == "PT" else "CO")
    everything = [BilledLine("97110", split.units, f"{pair};{name}")]
    assert bool(check_billed_lines(split, everything)) == (split.without_modifier > 0)
