"""A fee schedule as unitcalc holds it, whatever file it came from: the fee of one unit of
a code, by modifier and payment locality.

A plain fee CSV and the PFALL file give each fee (:class:`Fee`); the PPRRVU file gives
relative values (:class:`Rvu`) that a locality's geographic practice cost indices
(:class:`Gpci`) turn into a fee:

    ``[(work RVU x work GPCI) + (PE RVU x PE GPCI) + (MP RVU x MP GPCI)] x CF``

A unit cut by the therapy reduction is the same formula with the PE component reduced,
rounded to the cent once (:meth:`Fee.reduced_amount`); the PFALL file publishes that
amount, read as it is.

References:
    AMA, "Medicare Relative Value Payment Amount" (the payment formula).
    CY PFS final rule, Addendum A (the PFS status codes).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Literal

import attrs

from ...core.disciplines import ASSISTANT_MODIFIERS as _BY_DISCIPLINE
from ...core.disciplines import THERAPY_MODIFIERS
from ...core.errors import FeeFileError, Mention, message_of
from ...core.frozen import frozen
from .money import cents
from .setting import Setting

FeeKind = Literal["csv", "pprrvu", "pfall"]
ASSISTANT_MODIFIERS = frozenset(_BY_DISCIPLINE.values())
# Modifiers that never select another fee row: discipline, assistant, threshold.
_PRICING_NEUTRAL = frozenset((*THERAPY_MODIFIERS.values(), *ASSISTANT_MODIFIERS, "KX"))


@attrs.frozen
class Fee:
    """What one unit of a code is allowed: ``amount`` in dollars, of which
    ``practice_expense`` is the PE payment (None when the file does not say), and
    whether the code is subject to the therapy MPPR."""

    code: str
    amount: Decimal
    practice_expense: Decimal | None = None
    mppr: bool = False
    modifier: str = ""
    reduced: Decimal | None = None
    """The amount of a unit after the therapy reduction as the fee file publishes it
    (PFALL's therapy-reduced amount of the setting), used as it is."""
    exact: tuple[Decimal, Decimal] | None = None
    """The amount and its PE payment before rounding to the cent (PPRRVU: the products
    of the payment formula), so that a reduced unit is rounded once."""

    def reduced_amount(self, pe_paid_percent: int) -> Decimal:
        """A unit's amount when the therapy reduction pays ``pe_paid_percent`` of its PE
        payment: the file's published amount, else the amount with the PE component
        reduced, rounded to the cent once.

        >>> Fee("97761", Decimal("42.57"), Decimal("24.57"), True,
        ...     exact=(Decimal("42.565626"), Decimal("24.570402"))).reduced_amount(50)
        Decimal('30.28')
        """
        if self.reduced is not None:
            return self.reduced
        whole, practice = self.exact or (self.amount, self.practice_expense or Decimal(0))
        return cents(whole - practice * (100 - pe_paid_percent) / 100)


@attrs.frozen
class Gpci:
    """A payment locality's geographic practice cost indices."""

    locality: str
    work: Decimal
    practice_expense: Decimal
    malpractice: Decimal


PAID_STATUSES = frozenset({"A", "R", "T"})
"""PFS status codes whose services are paid from their relative values (CY PFS final
rule, Addendum A); C is contractor-priced, the others are not paid under the schedule."""
CONTRACTOR_PRICED = "C"


@attrs.frozen
class Rvu:
    """A PPRRVU row's numbers: relative values for the setting, the conversion factor,
    and whether the MPPR applies (multiple procedure indicator 5)."""

    work: Decimal
    practice_expense: Decimal
    malpractice: Decimal
    conversion_factor: Decimal
    mppr: bool
    status: str = "A"
    """The PFS status code: A (active), R (restricted coverage) and T are paid from the
    relative values; C is priced by the contractor (no amount here); the others (B and P
    bundled, I not valid for Medicare, N non-covered, X and E excluded ...) are not paid
    under the fee schedule."""

    def fee(self, code: str, modifier: str, gpci: Gpci | None) -> Fee:
        if self.status not in PAID_STATUSES:
            return Fee(code, Decimal(0), Decimal(0), False, modifier)
        work, pe, mp = (
            (gpci.work, gpci.practice_expense, gpci.malpractice)
            if gpci is not None
            else (Decimal(1), Decimal(1), Decimal(1))
        )
        factor = self.conversion_factor
        practice = self.practice_expense * pe * factor
        whole = (self.work * work + self.practice_expense * pe + self.malpractice * mp) * factor
        # The fee schedule amount is in cents, as the PFALL file gives it; the exact
        # products stay for the reduced amount, rounded once (Fee.reduced_amount).
        return Fee(
            code, cents(whole), cents(practice), self.mppr, modifier, exact=(whole, practice)
        )


@attrs.frozen
class FeeSchedule:
    """Fees by code (and modifier, and locality where the file has several)."""

    source: str
    kind: FeeKind
    fees: Mapping[tuple[str, str, str], Fee] = attrs.field(factory=dict, converter=frozen)
    """(locality, code, modifier) -> fee; locality ``""`` when the file has none."""
    rvus: Mapping[tuple[str, str], Rvu] = attrs.field(factory=dict, converter=frozen)
    """PPRRVU: (code, modifier) -> relative values, priced with a locality's GPCI."""
    gpcis: Mapping[str, Gpci] = attrs.field(factory=dict, converter=frozen)
    locality: str | None = None
    """The locality for rows that name none (``--locality``)."""
    setting: Setting = "office"
    """The biller's setting (:mod:`.setting`): the amounts read, and the reduction's rate."""
    _localities: tuple[str, ...] = attrs.field(init=False, eq=False, repr=False)
    _seen: dict[tuple[str, tuple[str, ...], str | None], Fee | object | None] = attrs.field(
        init=False, factory=dict, eq=False, repr=False
    )

    @_localities.default
    def _known_localities(self) -> tuple[str, ...]:
        if self.kind == "pprrvu":
            return tuple(sorted(self.gpcis))
        return tuple(sorted({key[0] for key in self.fees} - {""}))

    @property
    def localities(self) -> tuple[str, ...]:
        """The payment localities the file has (none: one set of amounts)."""
        return self._localities

    def resolve_locality(self, locality: str | None) -> str:
        """The locality a row is priced in: its own, else the schedule's, else the file's
        only one; ``""`` when the file has no localities."""
        known = self.localities
        wanted = (locality or "").strip() or (self.locality or "")
        if not known:
            return ""
        if not wanted:
            if len(known) == 1:
                return known[0]
            raise FeeFileError(
                message_of(
                    f"{self.source} has {len(known)} payment localities ({_some(known)}): "
                    "name one with ",
                    Mention("locality", owner="load_fees"),
                    " (e.g. ",
                    Mention("locality", known[0], owner="load_fees"),
                    ") or a locality column",
                ),
                path=self.source,
                field="locality",
                argument="locality",
            )
        if wanted in known:
            return wanted
        # A locality number alone, when only one contractor uses it.
        matches = [name for name in known if name.split("-")[-1] == wanted]
        if len(matches) == 1:
            return matches[0]
        raise FeeFileError(
            f"locality {wanted!r} is not in {self.source}; it has {_some(known)}",
            path=self.source,
            field="locality",
        )

    def fee(
        self, code: str, modifiers: Iterable[str] = (), locality: str | None = None
    ) -> Fee | None:
        """The fee of one unit of ``code``: the row for one of the line's pricing
        modifiers (26, TC, 52 ...) when the file has one, else the row without modifier.
        Each answer is remembered: a visit file asks the same few many times."""
        modifiers = tuple(modifiers)
        key = (code, modifiers, locality)
        found = self._seen.get(key, _UNSEEN)
        if found is _UNSEEN:
            found = self._fee(code, modifiers, locality)
            if len(self._seen) >= 10_000:
                self._seen.clear()
            self._seen[key] = found
        return found  # type: ignore[return-value]

    def _fee(self, code: str, modifiers: tuple[str, ...], locality: str | None) -> Fee | None:
        place = self.resolve_locality(locality)
        choices = [m for m in modifiers if m and m not in _PRICING_NEUTRAL]
        for modifier in [*choices, ""]:
            if self.kind == "pprrvu":
                rvu = self.rvus.get((code, modifier))
                if rvu is not None and rvu.status != CONTRACTOR_PRICED:
                    return rvu.fee(code, modifier, self.gpcis.get(place) if place else None)
            else:
                fee = self.fees.get((place, code, modifier))
                if fee is not None:
                    return fee
        return None


_UNSEEN = object()


def _some(names: Sequence[str]) -> str:
    shown = ", ".join(names[:5])
    return shown + (f" and {len(names) - 5} more" if len(names) > 5 else "")
