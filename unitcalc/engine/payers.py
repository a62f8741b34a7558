"""Payer profiles: how one payer counts and caps units, as data the user controls.

Caps, minimums and tie preferences change with contracts and years, so unitcalc ships
none as fact: a profile file is the user's, and the example in ``docs/payers.toml`` says
where each of its values came from.

A profile file holds ``[payers.NAME]`` tables:

>>> profiles = parse_profiles('''
... [payers.acme]
... rule = "ama"
... daily_unit_cap = 4
... cap_order = "claim"
... source = "Acme contract 2026, section 4"
... ''', source_name="example")
>>> profiles["acme"].daily_unit_cap
4
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import attrs

from ..core.assistant import MEDICARE_PAYMENT, AssistantPayment
from ..core.codeinfo import normalize_code
from ..core.errors import InvalidServiceError, PayerProfileError, UnknownRuleError
from ..core.frozen import frozen
from ..core.text import echo
from ..core.tomlfile import find_line, parse, read
from ..rules import DEFAULT_RULE, get_rule

CapOrder = Literal["claim", "largest"]
CAP_ORDERS: tuple[CapOrder, ...] = ("claim", "largest")
_KEYS = frozenset(
    {
        "label",
        "requires_visit_times",
        "rule",
        "daily_unit_cap",
        "visit_unit_cap",
        "cap_order",
        "min_minutes",
        "tie_preference",
        "pooling",
        "source",
        "note",
        "assistant_differential",
        "assistant_paid_percent",
        "assistant_from",
        "assistant_source",
        "fees",
        "medicare",
    }
)


@attrs.frozen
class PayerProfile:
    """One payer's way of counting.

    ``daily_unit_cap`` caps timed units per patient per day per discipline;
    ``visit_unit_cap`` caps the timed units of a counted group (a visit, or the day when
    rows are grouped by patient and date). ``cap_order`` says which units a cap keeps:
    ``claim`` keeps lines in the order given, ``largest`` keeps the lines with the most
    units first. ``min_minutes`` sets per-code minutes below which a code gets no unit
    and its minutes do not count.
    """

    name: str
    rule: str = DEFAULT_RULE
    label: str = ""
    daily_unit_cap: int | None = None
    visit_unit_cap: int | None = None
    cap_order: CapOrder = "claim"
    min_minutes: Mapping[str, int] = attrs.field(factory=dict, converter=frozen)
    tie_preference: tuple[str, ...] = ()
    pooling: Literal["discipline", "day"] | None = None
    source: str = ""
    note: str = ""
    assistant_payment: AssistantPayment | None = None
    """How the payer pays units with CQ or CO; ``None``: as Medicare (85% from
    2022-01-01, 42 USC 1395m(v))."""
    fees: str = ""
    """The payer's own fee file (``unitcalc audit --fees`` prices other rows), a path
    relative to the profile file's folder; see docs/payment.md."""
    medicare: bool = False
    """The payer is Medicare (Part B): its rows follow the KX threshold in
    ``unitcalc audit --fees`` (docs/payment.md); other payers' rows do not."""
    requires_visit_times: bool = False
    """The payer asks each visit's time in and out (or its total treatment time): an
    audit names the lines without them (docs/audit.md, "Time in and out")."""

    @property
    def has_caps(self) -> bool:
        return self.daily_unit_cap is not None or self.visit_unit_cap is not None


def load_profiles(path: str | Path) -> dict[str, PayerProfile]:
    """Read a payer profile file."""
    path = Path(path)
    text = read(path, "payer profiles", lambda message: PayerProfileError(message, path=str(path)))
    return parse_profiles(text, source_name=str(path))


def parse_profiles(text: str, *, source_name: str) -> dict[str, PayerProfile]:
    """Parse payer profile TOML, checking every key and value."""
    document, problem, line = parse(text)
    if document is None:
        where = f"{source_name}, line {line}" if line else source_name
        raise PayerProfileError(f"{where}: {problem}", path=source_name, line=line)
    unknown = sorted(set(document) - {"payers"})
    if unknown:
        line = _top_line(text, unknown[0])
        where = f"{source_name}, line {line}" if line else source_name
        raise PayerProfileError(
            f"{where}: unknown top-level key {unknown[0]!r}: profiles go under [payers.NAME]",
            path=source_name,
            key=unknown[0],
            line=line,
        )
    payers = document.get("payers", {})
    if not isinstance(payers, dict) or not payers:
        raise PayerProfileError(f"{source_name}: no [payers.NAME] tables found", path=source_name)
    return {name: _profile(text, source_name, name, body) for name, body in payers.items()}


def _top_line(text: str, key: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if (
            stripped.startswith(f"[{key}")
            or stripped.startswith(f"{key} ")
            or stripped.startswith(f"{key}=")
        ):
            return number
    return None


def _profile(text: str, source_name: str, name: str, body: Any) -> PayerProfile:
    def fail(key: str | None, problem: str) -> PayerProfileError:
        line = find_line(text, "payers", name, key)
        where = f"{source_name}, line {line}" if line else source_name
        field = f" {key}" if key else ""
        return PayerProfileError(
            f"{where}: [payers.{name}]{field}: {problem}",
            path=source_name,
            payer=name,
            key=key,
            line=line,
        )

    if not isinstance(body, dict):
        raise fail(None, "must be a table of keys such as rule and daily_unit_cap")
    unknown = sorted(set(body) - _KEYS)
    if unknown:
        raise fail(unknown[0], f"unknown key; allowed keys are {', '.join(sorted(_KEYS))}")
    try:
        rule = get_rule(body.get("rule", DEFAULT_RULE)).name
    except UnknownRuleError as exc:
        raise fail("rule", str(exc)) from exc
    caps: dict[str, int | None] = {}
    for key in ("daily_unit_cap", "visit_unit_cap"):
        value = body.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise fail(key, f"must be a whole number of units, not {value!r}")
        if value is not None and value < 0:
            raise fail(key, f"must be 0 or more, not {value}")
        caps[key] = value
    cap_order = body.get("cap_order", "claim")
    if cap_order not in CAP_ORDERS:
        raise fail("cap_order", f"must be one of {', '.join(CAP_ORDERS)}, not {cap_order!r}")
    raw_minimums = body.get("min_minutes", {})
    if not isinstance(raw_minimums, dict):
        raise fail("min_minutes", 'must be a table of code = minutes, e.g. { "97035" = 8 }')
    minimums: dict[str, int] = {}
    for code, minutes in raw_minimums.items():
        try:
            key = normalize_code(code)
        except InvalidServiceError as exc:
            raise fail("min_minutes", str(exc)) from exc
        if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 0:
            raise fail("min_minutes", f"{code}: minutes must be a whole number 0 or more")
        minimums[key] = minutes
    preference = body.get("tie_preference", [])
    if not isinstance(preference, list) or not all(isinstance(c, str) for c in preference):
        raise fail("tie_preference", 'must be a list of codes, e.g. ["97110", "97140"]')
    try:
        preference = [normalize_code(c) for c in preference]
    except InvalidServiceError as exc:
        raise fail("tie_preference", str(exc)) from exc
    pooling = body.get("pooling")
    if pooling not in (None, "discipline", "day"):
        raise fail("pooling", f"must be discipline or day, not {pooling!r}")
    medicare = _flag(body, "medicare", fail)
    texts = {}
    for key in ("label", "source", "note", "fees"):
        value = body.get(key, "")
        if not isinstance(value, str):
            raise fail(key, "must be text")
        texts[key] = value
    return PayerProfile(
        assistant_payment=_assistant_payment(body, fail),
        name=name,
        rule=rule,
        label=texts["label"],
        daily_unit_cap=caps["daily_unit_cap"],
        visit_unit_cap=caps["visit_unit_cap"],
        cap_order=cap_order,
        min_minutes=minimums,
        tie_preference=tuple(preference),
        pooling=pooling,
        source=texts["source"],
        note=texts["note"],
        fees=_beside(texts["fees"], source_name),
        medicare=medicare,
        requires_visit_times=_flag(body, "requires_visit_times", fail),
    )


def _flag(
    body: dict[str, Any], key: str, fail: Callable[[str | None, str], PayerProfileError]
) -> bool:
    """A true-or-false key of a profile (false when absent)."""
    value = body.get(key, False)
    if not isinstance(value, bool):
        raise fail(key, f"must be true or false, not {value!r}")
    return value


def _beside(path: str, source_name: str) -> str:
    """A file named in a profile, relative to the profile file's folder."""
    if not path or Path(path).is_absolute():
        return path
    return str(Path(source_name).parent / path)


def _assistant_payment(
    body: dict[str, Any], fail: Callable[[str | None, str], PayerProfileError]
) -> AssistantPayment | None:
    """The payer's assistant differential from ``assistant_differential`` (true/false),
    ``assistant_paid_percent`` (1-100), ``assistant_from`` (a TOML date) and
    ``assistant_source``; ``None`` when the profile names none of them."""
    keys = ("assistant_differential", "assistant_paid_percent", "assistant_from")
    if not any(key in body for key in (*keys, "assistant_source")):
        return None
    applies = body.get("assistant_differential", True)
    if not isinstance(applies, bool):
        raise fail("assistant_differential", "must be true or false")
    percent = body.get("assistant_paid_percent", MEDICARE_PAYMENT.paid_percent)
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 < percent <= 100:
        raise fail(
            "assistant_paid_percent",
            f"must be the whole percent paid for a unit with CQ or CO, 1 to 100 (85 for "
            f"Medicare), not {percent!r}",
        )
    effective = body.get("assistant_from", MEDICARE_PAYMENT.effective)
    if isinstance(effective, datetime.datetime) or not isinstance(effective, datetime.date):
        raise fail("assistant_from", "must be a date such as 2024-03-01 (no quotes)")
    source = body.get("assistant_source", "")
    if not isinstance(source, str):
        raise fail("assistant_source", "must be text")
    return AssistantPayment(
        applies=applies, paid_percent=percent, effective=effective, source=source
    )


def select(profiles: Mapping[str, PayerProfile], name: str, *, path: str) -> PayerProfile:
    """The profile called ``name`` (letter case ignored), or an error listing the names."""
    wanted = name.strip()
    for key, profile in profiles.items():
        if key.lower() == wanted.lower():
            return profile
    known = ", ".join(sorted(profiles)) if profiles else "none: give a payer profile file"
    raise PayerProfileError(
        f"no payer profile {echo(name)} in {path}; it has {known}", path=path, payer=name
    )
