"""Counting rules: how one pool of timed minutes becomes units, and the registry of rules.

Every rule implements :class:`Rule` and is found through :data:`RULES` /
:func:`get_rule`; the CLI's ``--rule`` choices and ``unitcalc rules`` come from here.
A new rule is one module in this package plus its line in :data:`RULES`.

References:
    CMS Pub. 100-04, Medicare Claims Processing Manual, Chapter 5, section 20.2
    (unit table, allocation among codes, Examples 1-5).
    CPT time rule, "a unit of time is attained when the mid-point is passed", as
    published by payers (Premera "Billing for Time", 2019; Blue Cross of Idaho PAP228).

>>> sorted(RULES)
['ama', 'cms', 'commercial-15']
>>> get_rule("medicare").name
'cms'
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

from ..core.errors import UnknownRuleError
from ..core.text import echo
from .ama import AmaRule
from .base import (
    PoolAllocation,
    Rule,
    TimedItem,
    attained_at,
    cms_extras,
    cms_total_units,
    full_units,
    item_midpoint_units,
    midpoint_units,
    whole_units,
)
from .cms import CmsRule
from .round_up import RoundUpRule

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "DEFAULT_RULE",
    "RULES",
    "AmaRule",
    "CmsRule",
    "PoolAllocation",
    "RoundUpRule",
    "Rule",
    "RuleName",
    "TimedItem",
    "attained_at",
    "cms_extras",
    "cms_total_units",
    "full_units",
    "get_rule",
    "item_midpoint_units",
    "midpoint_units",
    "rule_column",
    "rule_names",
    "whole_units",
]


def _registry(*rules: Rule) -> Mapping[str, Rule]:
    return MappingProxyType({rule.name: rule for rule in rules})


RULES: Mapping[str, Rule] = _registry(CmsRule(), AmaRule(), RoundUpRule())
"""Every counting rule by its canonical name."""

DEFAULT_RULE = CmsRule.name
"""The rule of a count that names none (and no payer profile that names one): the
Medicare total-time rule. The one default rule of the package."""

_ALIASES: Mapping[str, str] = MappingProxyType(
    {alias: rule.name for rule in RULES.values() for alias in (rule.name, *rule.aliases)}
)


def get_rule(name: str | Rule) -> Rule:
    """The rule with this name or alias (case-insensitive); a :class:`Rule` passes through."""
    if isinstance(name, Rule):
        return name
    key = name.strip().lower() if isinstance(name, str) else name
    try:
        return RULES[_ALIASES[key]]
    except (KeyError, TypeError):
        names = ", ".join(sorted(_ALIASES))
        raise UnknownRuleError(
            f"unknown rule {echo(name)}: choose one of {names}",
            name=str(name),
            choices=sorted(_ALIASES),
        ) from None


RuleName = Literal[
    "ama", "cms", "cms-8-minute", "commercial", "commercial-15", "cpt", "medicare",
    "midpoint", "per-code", "round-up",
]  # fmt: skip
"""The names ``rule=`` takes, for type checkers: every canonical name and alias
(:func:`rule_names`, which a test holds equal). :func:`get_rule` also reads them in any
letter case, at run time."""


def rule_names() -> tuple[str, ...]:
    """Every accepted name: canonical names and aliases."""
    return tuple(sorted(_ALIASES))


def rule_column(text: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """The columnar form of :func:`get_rule` for names written as accepted (a canonical
    name or an alias, lower case): each row's canonical name (null for empty text) and
    whether the text is plain. Other text is for the scalar form, which reads any letter
    case or names the choices."""
    import polars as pl

    plain = text.is_in(["", *_ALIASES])
    value = text.replace_strict(dict(_ALIASES), default=None, return_dtype=pl.String)
    return value, plain
