"""Hypothesis strategies shared by the property tests: codes, minutes, visits, lines.

Codes come from the packaged code table, so a code added to ``codes.toml`` is exercised
without touching the tests. The 97129/97130 add-on family is kept out of the general
strategies (it counts as one service, docs/rules.md, 97129 and 97130) and has strategies of its own.
"""

from __future__ import annotations

from hypothesis import strategies as st

import unitcalc

TABLE = unitcalc.CodeTable.default()

COGNITIVE_PRIMARY = "97129"
COGNITIVE_ADDON = "97130"
COGNITIVE_FAMILY = (COGNITIVE_PRIMARY, COGNITIVE_ADDON)

TIMED_15_CODES: tuple[str, ...] = tuple(
    sorted(
        info.code
        for info in TABLE
        if info.kind == "timed"
        and info.unit_minutes == 15
        and info.addon_of is None
        and info.code not in COGNITIVE_FAMILY
    )
)
"""Timed codes billed per 15 minutes, outside the 97129/97130 family."""

UNTIMED_CODES: tuple[str, ...] = tuple(
    sorted(info.code for info in TABLE if info.kind == "untimed")
)

DISCIPLINES: tuple[str | None, ...] = (None, "PT", "OT", "SLP")
RULE_NAMES = ("cms", "ama")

DAY_MINUTES = 1440
"""The most timed minutes one day can hold (the library rejects more)."""

# Enough for 8 lines of one code at 180 minutes without passing the 1440-minute day.
MAX_LINE_MINUTES = 180
MAX_LINES = 8

timed_codes = st.sampled_from(TIMED_15_CODES)
untimed_codes = st.sampled_from(UNTIMED_CODES)
disciplines = st.sampled_from(DISCIPLINES)
rules = st.sampled_from(RULE_NAMES)

minutes = st.integers(min_value=0, max_value=MAX_LINE_MINUTES)
"""Minutes of one timed code in an ordinary visit."""

long_day_minutes = st.integers(min_value=0, max_value=DAY_MINUTES)
"""Minutes of one timed code on a long day, up to the whole day."""

untimed_minutes = st.none() | st.integers(min_value=0, max_value=90)
"""Untimed codes may be documented with or without minutes."""


def visits(
    *,
    min_codes: int = 1,
    max_codes: int = 6,
    code_minutes: st.SearchStrategy[int] = minutes,
) -> st.SearchStrategy[dict[str, int]]:
    """A visit ``{code: minutes}`` of distinct timed 15-minute codes."""
    return st.dictionaries(timed_codes, code_minutes, min_size=min_codes, max_size=max_codes)


@st.composite
def _long_day_visits(draw: st.DrawFn) -> dict[str, int]:
    """Up to 6 codes sharing a day of up to 1440 timed minutes (the library rejects a
    day of more), split at random points so one code can hold nearly all of it."""
    codes = draw(st.lists(timed_codes, min_size=1, max_size=6, unique=True))
    total = draw(long_day_minutes)
    cuts = sorted(
        draw(st.lists(st.integers(0, total), min_size=len(codes) - 1, max_size=len(codes) - 1))
    )
    bounds = [0, *cuts, total]
    return {code: bounds[i + 1] - bounds[i] for i, code in enumerate(codes)}


long_day_visits = _long_day_visits()

SMALL_VISIT_MAX_UNITS = 12
# 187 minutes is the top of the 12-unit band (173-187) of the CMS 20.2 table.
_SMALL_VISIT_MAX_MINUTES = 187

small_visits = visits(max_codes=5, code_minutes=st.integers(min_value=0, max_value=40)).filter(
    lambda visit: sum(visit.values()) <= _SMALL_VISIT_MAX_MINUTES
)
"""Visits of at most 5 codes and 12 CMS units: small enough to enumerate every way of
sharing the units among the codes."""


@st.composite
def tied_visits(
    draw: st.DrawFn, *, min_codes: int = 2, max_codes: int = 6, max_blocks: int = 4
) -> dict[str, int]:
    """A visit whose codes all have the same leftover minutes after their full 15-minute
    blocks, so the last units are usually a tie with many compliant allocations."""
    codes = draw(
        st.lists(timed_codes, min_size=min_codes, max_size=max_codes, unique=True),
    )
    leftover = draw(st.integers(min_value=1, max_value=14))
    blocks = st.integers(min_value=0, max_value=max_blocks)
    return {code: 15 * draw(blocks) + leftover for code in codes}


def timed_lines(
    *, line_minutes: st.SearchStrategy[int] = minutes
) -> st.SearchStrategy[unitcalc.ServiceLine]:
    """One documented timed line with a discipline among None, PT, OT and SLP."""
    return st.builds(unitcalc.ServiceLine, timed_codes, line_minutes, discipline=disciplines)


untimed_lines = st.builds(
    unitcalc.ServiceLine, untimed_codes, untimed_minutes, discipline=disciplines
)
"""One documented untimed line."""


def settle_disciplines(lines: list[unitcalc.ServiceLine]) -> list[unitcalc.ServiceLine]:
    """The day as a biller must give it: where any line names a discipline, every line
    does (the engine refuses a line without one when the day names two or more), each
    blank line taking a discipline its code allows."""
    named = sorted({line.discipline for line in lines if line.discipline is not None})
    if not named:
        return lines
    settled = []
    for line in lines:
        if line.discipline is None:
            allowed = TABLE.codes[line.code].disciplines
            fits = [d for d in named if d in allowed] if allowed else named
            chosen = fits[0] if fits else (allowed[0] if allowed else named[0])
            line = unitcalc.ServiceLine(line.code, line.minutes, discipline=chosen)
        settled.append(line)
    return settled


def service_lines(
    *, with_untimed: bool = False, min_size: int = 1, max_size: int = MAX_LINES
) -> st.SearchStrategy[list[unitcalc.ServiceLine]]:
    """A day of service lines spread over the disciplines. A code may repeat, in one
    discipline or several; its lines never pass the 1440 minutes of a day."""
    line = timed_lines() | untimed_lines if with_untimed else timed_lines()
    return st.lists(line, min_size=min_size, max_size=max_size).map(settle_disciplines)


def shuffled_service_lines(
    *, with_untimed: bool = True
) -> st.SearchStrategy[tuple[list[unitcalc.ServiceLine], list[unitcalc.ServiceLine]]]:
    """A day of service lines and the same lines in another order."""
    return service_lines(with_untimed=with_untimed).flatmap(
        lambda lines: st.tuples(st.just(lines), st.permutations(lines))
    )


# Each member of the family at up to half a day, so their sum stays within one day.
family_minutes = st.integers(min_value=0, max_value=DAY_MINUTES // 2)


@st.composite
def cognitive_family_visits(draw: st.DrawFn) -> dict[str, int]:
    """97129 and/or its add-on 97130 with their minutes; a member left out of the
    visit counts as 0 minutes."""
    members = draw(
        st.sampled_from([COGNITIVE_FAMILY, (COGNITIVE_PRIMARY,), (COGNITIVE_ADDON,)]),
    )
    return {code: draw(family_minutes) for code in members}


cognitive_family_lines = (
    st.lists(
        st.builds(
            unitcalc.ServiceLine,
            st.sampled_from(COGNITIVE_FAMILY),
            minutes,
            discipline=disciplines,
        )
        | timed_lines(),
        min_size=1,
        max_size=6,
    )
    .filter(lambda lines: any(line.code in COGNITIVE_FAMILY for line in lines))
    .map(settle_disciplines)
)
"""A day of lines holding 97129 and/or 97130, maybe with other timed codes, spread
over the disciplines."""


# --- Assistant minutes (CQ/CO, docs/rules.md, Assistant modifiers CQ and CO) ---------------------------------------

ASSISTED_DISCIPLINES = ("PT", "OT")
"""The disciplines with an assistant modifier: PT (CQ) and OT (CO)."""

assistant_minutes = st.none() | st.integers(min_value=0, max_value=90)
"""The assistant's own minutes on a line: none given, 0, or up to an hour and a half."""


@st.composite
def assisted_lines(draw: st.DrawFn) -> list[unitcalc.ServiceLine]:
    """A day of timed and untimed lines, PT and OT, some with assistant minutes."""
    count = draw(st.integers(min_value=1, max_value=6))
    lines = []
    for _ in range(count):
        code = draw(timed_codes | untimed_codes)
        lines.append(
            unitcalc.ServiceLine(
                code,
                draw(st.integers(min_value=0, max_value=90)),
                discipline=draw(st.sampled_from(ASSISTED_DISCIPLINES)),
                assistant_minutes=draw(assistant_minutes),
            )
        )
    return lines


split_inputs = st.fixed_dictionaries(
    {
        "units": st.integers(min_value=0, max_value=14),
        "therapist_minutes": st.integers(min_value=0, max_value=120),
        "assistant_minutes": st.integers(min_value=0, max_value=120),
        "unit_minutes": st.sampled_from((15, 30, 60)),
        "timed": st.booleans(),
    }
)
"""Arguments of ``split_units`` beyond the code: any units, as a payer cap or an odd
rule may leave a code with more or fewer units than its minutes hold."""


# --- visit files, for the file engine ---------------------------------------------------

FILE_HEADER = "patient_id,date_of_service,code,minutes,discipline,rule,billed_units\n"
"""The columns of a generated visit file."""

_FILE_DAYS = ("2026-01-05", "01/05/2026", "2026-1-5", "1/5/2026", "2026-01-06", "not-a-date")
_FILE_CODES = (*TIMED_15_CODES[:6], *UNTIMED_CODES[:3], "97129", "97130", "97001", "97111")
_FILE_MINUTES = st.one_of(
    st.integers(min_value=0, max_value=70).map(str),
    st.sampled_from(("", " 12", "\x1c12", "7.5", "x", "15.0", "-3", "700", "1439")),
)


@st.composite
def visit_file_rows(draw: st.DrawFn) -> str:
    """One row of a visit file: mostly plain values, sometimes odd or bad ones (a date
    written three ways, a value with a space, a fraction, a deleted or unknown code, a
    rule named on some rows only), so the file engine's columnar and scalar checks both
    see it."""
    cells = [
        draw(st.sampled_from(("P1", "P2", "P3", " P1", "\x1cP1", "P2\x1f", ""))),
        draw(st.sampled_from(_FILE_DAYS)),
        draw(st.sampled_from(_FILE_CODES)),
        draw(_FILE_MINUTES),
        draw(st.sampled_from(("", "PT", "OT", "GP", "pt", "XX", "\x1dOT"))),
        draw(st.sampled_from(("", "", "", "cms", "ama", "commercial-15"))),
        draw(
            st.one_of(
                st.integers(min_value=0, max_value=4).map(str), st.sampled_from(("", "2.0", "+1"))
            )
        ),
    ]
    return ",".join(cells) + "\n"


visit_files = st.lists(visit_file_rows(), min_size=1, max_size=14).map(
    lambda rows: FILE_HEADER + "".join(rows)
)
"""Whole visit files (CSV text) of a few patient days, bad rows included."""


# --- visit files with payer profiles: caps, minimums, tie preferences, pooling ----------

PAYERS_TOML = """
[payers.daily]
rule = "cms"
daily_unit_cap = 2
cap_order = "claim"
source = "test profile"

[payers.largest]
rule = "cms"
daily_unit_cap = 3
visit_unit_cap = 4
cap_order = "largest"
source = "test profile"

[payers.minimums]
rule = "cms"
min_minutes = { "97140" = 10, "97110" = 12 }
source = "test profile"

[payers.prefers]
rule = "cms"
tie_preference = ["97140", "97530", "97110"]
pooling = "day"
source = "test profile"

[payers.midpoint]
rule = "ama"
visit_unit_cap = 2
min_minutes = { "97112" = 9 }
source = "test profile"
"""
"""Payer profiles with every term the columns settle: caps of both orders, minimum
minutes, a tie preference, whole-day pooling, another rule."""

PAYER_NAMES = ("", "", "daily", "largest", "minimums", "prefers", "midpoint", "nobody")

PAYER_FILE_HEADER = "patient_id,date_of_service,code,minutes,discipline,payer,billed_units\n"

_PAYER_CODES = ("97110", "97112", "97140", "97530", "97116", "97161", "97150", "97035")


@st.composite
def payer_file_rows(draw: st.DrawFn) -> str:
    """One row of a visit file whose rows name payer profiles (one payer for most of a
    patient's day, so that caps and minimums apply; sometimes another, or an unknown one),
    with minutes that make ties and leftovers."""
    patient = draw(st.sampled_from(("P1", "P2", "P3")))
    cells = [
        patient,
        draw(st.sampled_from(("2026-01-05", "2026-01-06"))),
        draw(st.sampled_from(_PAYER_CODES)),
        str(draw(st.sampled_from((0, 5, 7, 8, 9, 10, 11, 12, 15, 20, 22, 23, 25, 30, 38, 45)))),
        draw(st.sampled_from(("", "PT", "PT", "OT"))),
        draw(st.sampled_from(PAYER_NAMES)),
        str(draw(st.integers(min_value=0, max_value=4))),
    ]
    return ",".join(cells) + "\n"


payer_files = st.lists(payer_file_rows(), min_size=1, max_size=16).map(
    lambda rows: PAYER_FILE_HEADER + "".join(rows)
)
"""Whole visit files of a few patient days under payer profiles."""


# --- claim lines and visit files for the NCCI PTP edits ----------------------------------

PTP_CODES = ("97110", "97140", "97150", "97161", "97164", "97530", "97112", "97116", "97035")
"""Codes of the PTP sample file (tests/fixtures/ptp_sample.txt), pairs of every indicator."""
PTP_MODIFIER_CELLS = ("", "GP", "GP;59", "59", "xu", "GP XE", "GP,XS", "XP;GP", "GO", "5 9")
"""Modifiers cells: none, a therapy modifier, each PTP-associated one written some way, and
one that does not read (a group then invalid)."""
PTP_DAYS = ("2019-12-31", "2020-01-01", "2026-03-02", "2027-01-01")
"""Dates of service around the sample's effective and deletion dates."""


@st.composite
def ptp_claim_lines(draw: st.DrawFn) -> tuple[str, str, int, str, str]:
    """One claim line: code, discipline, units, modifiers, rendering provider."""
    return (
        draw(st.sampled_from(PTP_CODES)),
        "PT",
        draw(st.integers(min_value=0, max_value=3)),
        draw(st.sampled_from(PTP_MODIFIER_CELLS[:-1])),
        draw(st.sampled_from(("", "dr a", "dr b", " dr a", "\x1cdr a"))),
    )


PTP_FILE_HEADER = (
    "patient_id,date_of_service,code,minutes,discipline,modifiers,provider,billed_units\n"
)


@st.composite
def ptp_file_rows(draw: st.DrawFn) -> str:
    """One row of a visit file billing PTP pairs with modifiers, by one of two providers."""
    cells = [
        draw(st.sampled_from(("P1", "P2"))),
        draw(st.sampled_from(PTP_DAYS)),
        draw(st.sampled_from(PTP_CODES)),
        str(draw(st.sampled_from((0, 8, 15, 20, 30)))),
        "PT",
        draw(st.sampled_from(PTP_MODIFIER_CELLS)),
        draw(st.sampled_from(("dr a", "dr a", "dr b", "", "dr b\x1f"))),
        str(draw(st.integers(min_value=0, max_value=2))),
    ]
    return ",".join(cells) + "\n"


ptp_files = st.lists(ptp_file_rows(), min_size=1, max_size=12).map(
    lambda rows: PTP_FILE_HEADER + "".join(rows)
)
"""Whole visit files of a few patient days billing PTP pairs."""
