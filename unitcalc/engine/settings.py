"""How to count: one settings object, resolved once, for every face and both engines.

The options a caller gives (the rule, a payer profile, pooling, a tie preference, the
code table, an MUE table, the date of service, a default discipline, the assistant
modifier options) are checked and resolved here, in one place: the rule in force is the
one given, else the payer's, else :data:`~unitcalc.rules.DEFAULT_RULE`; pooling is the one
given, else the payer's, else per discipline; the tie preference the one given, else the
payer's. :func:`unitcalc.calculate`, :func:`unitcalc.audit` and the file options keep
their keywords and build a :class:`Counting` from them.

The options as given are :class:`Settings`; a visit's terms (its payer profile, its date
of service, a file row's own rule) resolve them into a :class:`Counting` with
:meth:`Settings.resolve`. A visit file holds its settings and resolves them for each
group's terms; :func:`terms_columns` is the columnar form of that resolution (the rule
and the pooling of every row, as polars expressions), held equal to it by
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
from ..core.values import parse_date_of_service
from ..rules import DEFAULT_RULE, Rule, get_rule

if TYPE_CHECKING:
    import polars as pl

    from ..core.assistant import AssistantOptions
    from ..core.mue import MueTable
    from ..core.ptp import PtpTable
    from .payers import PayerProfile
    from .ptp import ModifierPlacement

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


def _rule_name(rule: str | Rule | None) -> str | None:
    return None if rule is None else get_rule(rule).name


def _codes_given(codes: Sequence[str] | None) -> tuple[str, ...] | None:
    return None if codes is None else tuple(codes)


def _table(codes: CodeTable | None) -> CodeTable:
    return CodeTable.default() if codes is None else codes


@attrs.frozen(eq=False, repr=False)  # internal: no generated eq or repr to compile
class Settings:
    """How to count, as the caller gives it (``None``: not given), each value checked:
    the options of a visit file, or of one visit before its terms are known. Resolve it
    under a visit's terms (a payer, a date of service, a row's own rule) with
    :meth:`resolve`."""

    rule: str | None = attrs.field(default=None, converter=_rule_name)
    """The rule given (its canonical name), for visits whose payer names none."""
    pooling: Pooling | None = None
    tie_preference: tuple[str, ...] | None = attrs.field(default=None, converter=_codes_given)
    codes: CodeTable = attrs.field(default=None, converter=_table)
    """The code table (the packaged one when none is given)."""
    mue: MueTable | None = None
    ptp: PtpTable | None = None
    """The NCCI PTP edits to check the claim lines against (:mod:`.ptp`)."""
    ptp_modifier_on: ModifierPlacement = "either"
    """Where an NCCI PTP-associated modifier bypasses an indicator 1 edit."""
    default_discipline: str | None = attrs.field(default=None, converter=normalize_discipline)
    blank_discipline: BlankDiscipline = "join"
    assistant: AssistantOptions | None = None
    max_alternatives: int = DEFAULT_MAX_ALTERNATIVES

    def __attrs_post_init__(self) -> None:
        if self.pooling is not None and self.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}, not {self.pooling!r}")
        value = self.max_alternatives
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"max_alternatives must be a whole number, not {value!r}")
        if value < 0:
            raise ValueError("max_alternatives must be 0 or more")
        if self.ptp_modifier_on not in ("either", "column2"):
            raise ValueError(
                f"ptp_modifier_on must be 'either' or 'column2', not {self.ptp_modifier_on!r}"
            )
        if self.blank_discipline not in ("join", "apart"):
            raise ValueError(
                f"blank_discipline must be 'join' or 'apart', not {self.blank_discipline!r}"
            )

    def resolve(
        self,
        *,
        payer: PayerProfile | None = None,
        rule: str | None = None,
        date_of_service: datetime.date | str | None = None,
    ) -> Counting:
        """The settings of a visit under these terms: its payer profile, its own rule (a
        file row's; else the one given), its date of service. What was given wins over
        the payer's; the tie preference's codes must be ones the table counts that day."""
        counting = resolve_rule(rule if rule is not None else self.rule, payer)
        on = parse_date_of_service(date_of_service)
        tie_preference = self.tie_preference
        if tie_preference is None:
            tie_preference = payer.tie_preference if payer is not None else ()
        pooling = self.pooling or (payer.pooling if payer is not None else None) or DEFAULT_POOLING
        return Counting(
            rule=counting,
            payer=payer,
            pooling=pooling,
            preference=MappingProxyType(_preference(tie_preference, self.codes, on)),
            date_of_service=on,
            settings=self,
        )


@attrs.frozen(eq=False, repr=False)  # internal: no generated eq or repr to compile
class Counting:
    """How to count one visit, every option resolved: build it with :meth:`of`, or from
    :class:`Settings` with :meth:`Settings.resolve`."""

    rule: Rule
    """The rule in force: given, else the payer's, else the default."""
    payer: PayerProfile | None
    pooling: Pooling
    preference: Mapping[str, int]
    """Codes to favour when leftovers tie, with their rank (lower wins)."""
    date_of_service: datetime.date | None
    settings: Settings
    """The options as given, for what they hold unresolved (the code table, the MUE
    table, the default discipline ...)."""

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
        ptp: PtpTable | None = None,
        ptp_modifier_on: ModifierPlacement = "either",
    ) -> Counting:
        """The settings of one visit from the keywords of :func:`unitcalc.calculate`."""
        if isinstance(tie_preference, str):
            raise TypeError(
                f"tie_preference must be a list of codes such as ['97110'], not {tie_preference!r}"
            )
        if rule is not None and payer is not None:
            resolve_rule(rule, payer)  # a conflict is named before anything else
        settings = Settings(
            rule=rule,  # a Rule or a name: the converter gives the name
            pooling=pooling,
            tie_preference=tie_preference,
            codes=codes,
            mue=mue,
            ptp=ptp,
            ptp_modifier_on=ptp_modifier_on,
            default_discipline=default_discipline,
            blank_discipline=blank_discipline,
            assistant=assistant_options,
            max_alternatives=max_alternatives,
        )
        return settings.resolve(payer=payer, date_of_service=date_of_service)

    @property
    def codes(self) -> CodeTable:
        return self.settings.codes

    @property
    def mue(self) -> MueTable | None:
        return self.settings.mue

    @property
    def default_discipline(self) -> str | None:
        return self.settings.default_discipline

    @property
    def blank_discipline(self) -> BlankDiscipline:
        return self.settings.blank_discipline

    @property
    def assistant(self) -> AssistantOptions | None:
        return self.settings.assistant

    @property
    def max_alternatives(self) -> int:
        return self.settings.max_alternatives


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
    """The columnar form of :meth:`Settings.resolve` for the rule and the pooling: each
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
