"""How to count: one settings object, resolved once, for every face and both engines.

The options a caller gives (the rule, a payer profile, pooling, a tie preference, the
code table, an MUE table, the date of service, a default discipline, the assistant
modifier options) are checked and resolved here, in one place: the rule in force is the
one given, else the payer's, else :data:`~unitcalc.rules.DEFAULT_RULE`; pooling is the one
given, else the payer's, else per discipline; the tie preference the one given, else the
payer's. :func:`unitcalc.calculate`, :func:`unitcalc.audit` and the file options keep
their keywords and build a :class:`Counting` from them.

A visit file's rows may name their own rule or payer: :meth:`Counting.under` gives the
settings of those terms from the same options, and :func:`terms_columns` is its columnar
form (the rule and the pooling of every row, as polars expressions), held equal to it by
``tests/engine/test_settings.py``.

>>> counting = Counting.of(pooling="day")
>>> counting.rule.name, counting.pooling, counting.payer
('cms', 'day', None)
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

import attrs

from ..core.codes import CodeTable
from ..core.disciplines import normalize_discipline
from ..core.errors import InvalidServiceError, PayerProfileError, UnitcalcError
from ..core.model import parse_date_of_service
from ..rules import DEFAULT_RULE, Rule, get_rule

if TYPE_CHECKING:
    import polars as pl

    from ..core.assistant import AssistantOptions
    from ..core.mue import MueTable
    from .payers import PayerProfile

Pooling = Literal["discipline", "day"]
POOLINGS: tuple[Pooling, ...] = ("discipline", "day")
DEFAULT_POOLING: Pooling = "discipline"
"""Timed minutes pool per discipline unless the caller or the payer says otherwise: the
common reading of CMS 20.1 (docs/rules.md)."""
BlankDiscipline = Literal["join", "apart"]
"""What a line without a discipline does beside named ones: ``join`` the day's only named
discipline (an error with two or more named, unless a default discipline is given), or
form a pool ``apart`` (with a warning)."""
DEFAULT_MAX_ALTERNATIVES = 100
"""How many alternative allocations a result lists before it sets
``alternatives_truncated``; the tie itself is always described whole."""


@attrs.frozen(eq=False, repr=False)
class Given:
    """The options as the caller gave them (``None``: not given), kept to count other
    terms (a file row's own rule or payer) by the same options."""

    rule: str | None
    pooling: Pooling | None
    tie_preference: tuple[str, ...] | None


@attrs.frozen(eq=False, repr=False)  # internal: no generated eq or repr to compile
class Counting:
    """How to count, every option resolved: build it with :meth:`of`."""

    rule: Rule
    """The rule in force: given, else the payer's, else the default."""
    payer: PayerProfile | None
    pooling: Pooling
    preference: Mapping[str, int]
    """Codes to favour when leftovers tie, with their rank (lower wins)."""
    codes: CodeTable
    mue: MueTable | None
    date_of_service: datetime.date | None
    default_discipline: str | None
    blank_discipline: BlankDiscipline
    assistant: AssistantOptions | None
    max_alternatives: int
    given: Given

    @classmethod
    def of(
        cls,
        rule: str | Rule | None = None,
        *,
        payer: PayerProfile | None = None,
        tie_preference: Sequence[str] | None = None,
        pooling: Pooling | None = None,
        codes: CodeTable | None = None,
        mue: MueTable | None = None,
        date_of_service: datetime.date | str | None = None,
        default_discipline: str | None = None,
        blank_discipline: BlankDiscipline = "join",
        assistant_options: AssistantOptions | None = None,
        max_alternatives: int = DEFAULT_MAX_ALTERNATIVES,
    ) -> Counting:
        """The settings of these options (the keywords of :func:`unitcalc.calculate`),
        each checked, in the order the errors are reported."""
        counting = resolve_rule(rule, payer)
        table = codes if codes is not None else CodeTable.default()
        on = parse_date_of_service(date_of_service)
        fallback = normalize_discipline(default_discipline)
        given = Given(
            rule=rule.name if isinstance(rule, Rule) else rule,
            pooling=pooling,
            tie_preference=(
                tuple(tie_preference)
                if tie_preference is not None and not isinstance(tie_preference, str)
                else None
            ),
        )
        if tie_preference is None:
            tie_preference = payer.tie_preference if payer is not None else ()
        if pooling is None:
            pooling = (payer.pooling if payer is not None else None) or DEFAULT_POOLING
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}, not {pooling!r}")
        if isinstance(max_alternatives, bool) or not isinstance(max_alternatives, int):
            raise TypeError(f"max_alternatives must be a whole number, not {max_alternatives!r}")
        if max_alternatives < 0:
            raise ValueError("max_alternatives must be 0 or more")
        if blank_discipline not in ("join", "apart"):
            raise ValueError(
                f"blank_discipline must be 'join' or 'apart', not {blank_discipline!r}"
            )
        return cls(
            rule=counting,
            payer=payer,
            pooling=pooling,
            preference=MappingProxyType(_preference(tie_preference, table, on)),
            codes=table,
            mue=mue,
            date_of_service=on,
            default_discipline=fallback,
            blank_discipline=blank_discipline,
            assistant=assistant_options,
            max_alternatives=max_alternatives,
            given=given,
        )

    def under(
        self,
        *,
        rule: str | None,
        payer: PayerProfile | None,
        date_of_service: datetime.date | str | None = None,
    ) -> Counting:
        """The settings for a row's own terms (its rule, its payer profile, its date of
        service), from the same options: what was given still wins over the payer's."""
        return Counting.of(
            rule if rule is not None else self.given.rule,
            payer=payer,
            tie_preference=self.given.tie_preference,
            pooling=self.given.pooling,
            codes=self.codes,
            mue=self.mue,
            date_of_service=date_of_service,
            default_discipline=self.default_discipline,
            blank_discipline=self.blank_discipline,
            assistant_options=self.assistant,
            max_alternatives=self.max_alternatives,
        )


def resolve_rule(rule: str | Rule | None, payer: PayerProfile | None) -> Rule:
    """The rule in force: ``rule`` if given, else the payer's, else the default; a rule
    given beside a payer that counts by another is an error naming both."""
    if payer is None:
        return get_rule(DEFAULT_RULE if rule is None else rule)
    counting = get_rule(payer.rule if rule is None else rule)
    if counting.name != payer.rule:
        raise PayerProfileError(
            f"rule {counting.name!r} conflicts with payer profile {payer.name!r}, which "
            f"counts by {payer.rule!r}; give the payer or the rule, not both",
            path="",
            payer=payer.name,
            key="rule",
        )
    return counting


def _preference(codes: Sequence[str], table: CodeTable, on: datetime.date | None) -> dict[str, int]:
    """Tie preference ranks by code; every code must be one the table can count."""
    if isinstance(codes, str):
        raise TypeError(f"tie_preference must be a list of codes such as ['97110'], not {codes!r}")
    ranks: dict[str, int] = {}
    for rank, raw in enumerate(codes):
        try:
            code = table.lookup(raw, on=on).code
        except UnitcalcError as exc:
            raise InvalidServiceError(
                f"tie preference: {exc}", code=None, field="tie_preference", value=raw
            ) from exc
        ranks.setdefault(code, rank)
    return ranks


def terms_columns(
    row_rule: pl.Expr,
    payer_rule: pl.Expr,
    payer_pooling: pl.Expr,
    *,
    pooling: Pooling | None,
) -> tuple[pl.Expr, pl.Expr]:
    """The columnar form of :meth:`Counting.under` for the rule and the pooling: each
    row's rule in force (its own, else its payer's, else the default) and its pooling
    (the one given, else its payer's, else per discipline). ``row_rule`` is the row's
    rule or the file's default rule (canonical names); a rule that conflicts with the
    row's payer is not settled in columns (the scalar form names the conflict)."""
    import polars as pl

    rule = pl.coalesce(row_rule, payer_rule, pl.lit(DEFAULT_RULE))
    in_force = (
        pl.lit(pooling)
        if pooling is not None
        else pl.coalesce(payer_pooling, pl.lit(DEFAULT_POOLING))
    )
    return rule, in_force
