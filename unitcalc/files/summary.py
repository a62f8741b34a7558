"""A run's summary: every line of the input accounted for, the groups by status, the
edits, the providers' minutes per unit, and how the file was read.

A summary rebuilds from its whole dict (:meth:`Summary.to_dict` with ``whole``) and two
add up (``+``): a run counted in parts (the parts of a large file, Spark's partitions)
adds its parts' summaries, nothing summed by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from ..engine.providers import BOTTOM_OF_BAND, provider_rows, tally, tally_day
from ..payment.fees.money import cents
from .episodes import checks, decide, finding_order, found_columns

if TYPE_CHECKING:
    import polars as pl

    from .episodes import PartChecks
    from .layout import Layout


SPAN_SCHEMA = {"provider": "String", "date": "String", "patient": "String", "start": "Int64",
               "end": "Int64"}  # fmt: skip
"""The columns of a part's spans (:func:`unitcalc.engine.overlaps.patient_spans`)."""


def overlap_rows(spans: list[pl.DataFrame]) -> dict[str, Any]:
    """``overlapping_patients``: the providers' days with overlapping patients, decided
    in columns over every part's spans (empty when none)."""
    import polars as pl

    from ..engine.overlaps import overlap_frame

    found = overlap_frame(pl.concat(spans)).to_dicts()
    return {"overlapping_patients": found} if found else {}


def span_frame(rows: list[list[Any]]) -> pl.DataFrame:
    """Spans written by :meth:`Summary.to_dict` with ``whole``, as a frame again."""
    import polars as pl

    schema = {name: getattr(pl, kind) for name, kind in SPAN_SCHEMA.items()}
    return pl.DataFrame(rows, schema=schema, orient="row")


@attrs.define
class Summary:
    """Counts of a run: every data record is in ``rows_read``."""

    rows_read: int = 0
    blank_lines: int = 0
    """Lines skipped for holding no record (blank, or only empty cells): with the header
    and ``rows_read``'s records, every line of the file is accounted for."""
    invalid_rows: int = 0
    groups: int = 0
    counts: dict[str, int] = attrs.Factory(dict)
    order: str = "contiguous"
    edits: int = 0
    """Groups whose billed units trip an MUE or NCCI edit."""
    providers: dict[str, list[int]] = attrs.Factory(dict)
    """Per provider: timed minutes and billed timed units of the groups evaluated."""
    days: dict[tuple[str, str], int] = attrs.Factory(dict)
    """Per provider and date of service (a date in the key only): the timed minutes, across
    patients and parts; the days over 8 hours are decided from it at the end."""
    every_month: list[dict[str, Any]] = attrs.Factory(list)
    """The patient-years with therapy in every month (:mod:`unitcalc.engine.every_month`)."""
    claim_duplicates: list[dict[str, Any]] = attrs.Factory(list)
    """The patient, date and code billed under two or more claims
    (:mod:`unitcalc.engine.claim_duplicates`)."""
    bottom_of_band: float = BOTTOM_OF_BAND
    """The average minutes per unit under which a provider bills at the bottom of the
    8-22 minute band (:data:`unitcalc.engine.providers.BOTTOM_OF_BAND`, UNCONFIRMED)."""
    spans: list[pl.DataFrame] = attrs.Factory(list)
    """Each patient's spans of a provider's day (:mod:`unitcalc.engine.overlaps`): the
    overlaps are decided from them at the end (a provider's day spans parts)."""
    unchecked_times: list[int] = attrs.Factory(list)
    """Lines whose times could not be used for the overlap check."""
    checks: dict[str, str] | None = None
    """With ``Options.checks`` given: each check, ``ran`` or ``skipped, REASON``."""
    layout: Layout | None = None
    """The input's columns, once the file was opened."""
    episode_facts: list[pl.DataFrame] = attrs.Factory(list)
    """Every part's service lines as episode facts, decided at the end (:meth:`episodes`)."""
    visit_findings: list[dict[str, Any]] = attrs.Factory(list)
    """The visits whose minutes exceed their span, or lack the times a payer asks."""
    episodes_decided: list[dict[str, Any]] = attrs.Factory(list)
    """Episode findings decided where the facts were (a Spark partition, which holds
    every row of its patients), sent whole."""
    line_amounts: Mapping[int, Decimal] | None = None
    """With a fee file: the billed dollars of the lines the episode findings name, each
    finding's added up as its ``billed_amount``."""
    _decided: tuple[tuple[int, int, int], list[dict[str, Any]]] | None = attrs.field(
        default=None, init=False, repr=False, eq=False
    )
    """The episode findings once decided, for the facts they were decided from."""
    date_formats: tuple[str, ...] = ()
    """How the dates of service were written (``iso``, ``us``): two means mixed."""
    encoding: str | None = None
    """The text encoding the file was read in (None for Parquet)."""
    delimiter: str | None = None
    """The CSV delimiter (None for JSON Lines and Parquet)."""
    detected: tuple[str, ...] = ()
    """What was detected from the file rather than given (``encoding``, ``delimiter``)."""
    manifest: dict[str, Any] | None = None
    """How the run was made (file, its SHA-256, version, options, time): set by the
    caller, written with the outputs that carry it."""
    payment: dict[str, Any] | None = None
    """With a fee file: the amounts by status, provider and payer and the KX threshold
    findings (set by :class:`unitcalc.files.price.Pricer`)."""

    def input_dict(self) -> dict[str, Any]:
        """How the file was read: encoding, delimiter, what was detected, the columns
        read under another name (role -> header), and the columns that made a group's
        key (``key``)."""
        return {
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "detected": list(self.detected),
            "columns": self.layout.aliased if self.layout is not None else {},
            "key": list(self.layout.key_columns) if self.layout is not None else [],
        }

    def count(self, status: str) -> None:
        """One more group of this status."""
        self.groups += 1
        self.counts[status] = self.counts.get(status, 0) + 1

    def tally(self, provider: str, minutes: int, billed: int, date: str | None = None) -> None:
        """A timed row's documented minutes and billed units, for its provider (and its
        day, given the date of service)."""
        tally(self.providers, provider, minutes, billed)
        if date is not None:
            tally_day(self.days, provider, date, minutes)

    def provider_rows(self) -> list[dict[str, Any]]:
        """Each provider's average timed minutes per billed timed unit, flagged for
        review under 15, and with a date of service its days over 8 hours
        (:mod:`unitcalc.engine.providers`)."""
        return provider_rows(self.providers, self.days or None, bottom=self.bottom_of_band)

    def pattern_dict(self) -> dict[str, Any]:
        """The patterns across groups found, each only when some row qualifies: patients
        with therapy in every month of a year, lines billed under two claims."""
        out: dict[str, Any] = {}
        if self.every_month:
            out["patients_every_month"] = sorted(
                self.every_month, key=lambda row: (row["patient"], row["year"])
            )
        if self.claim_duplicates:
            out["duplicate_claim_lines"] = sorted(
                self.claim_duplicates,
                key=lambda row: (row["patient"], row["date_of_service"], row["code"]),
            )
        if self.spans:
            out |= overlap_rows(self.spans)
        if self.unchecked_times:
            out["overlap_unchecked_lines"] = sorted(self.unchecked_times)
        return out

    def add_checks(self, part: PartChecks | None) -> None:
        """A part's episode facts and visit time findings."""
        if part is not None:
            if part.facts is not None:
                self.episode_facts.append(part.facts)
            self.visit_findings += part.visits

    def episodes(self) -> list[dict[str, Any]]:
        """The findings of the episodes of care and of time in and out
        (:mod:`unitcalc.files.episodes`)."""
        held = (len(self.episode_facts), len(self.visit_findings), len(self.episodes_decided))
        if self._decided is None or self._decided[0] != held:
            found = decide(self.episode_facts, self.layout)
            found += [*self.visit_findings, *self.episodes_decided]
            self._decided = held, sorted(found, key=finding_order)
        amounts = self.line_amounts
        if amounts is None:
            return self._decided[1]
        none = Decimal(0)  # a line not priced (no unit billed): $0
        return [
            {
                **row,
                "billed_amount": float(
                    cents(sum((amounts.get(line, none) for line in row["lines"]), none))
                ),
            }
            for row in self._decided[1]
        ]

    def checks_dict(self, found: list[dict[str, Any]]) -> dict[str, str] | None:
        """Which of these checks ran and which were skipped for want of a column; None
        (nothing said) when the file has none of their optional columns and they found
        nothing, so that such a file's outputs are as before."""
        has_columns = self.layout is not None and bool(found_columns(self.layout))
        return checks(self.layout) if found or has_columns else None

    def to_dict(self, *, whole: bool = False) -> dict[str, Any]:
        """The summary as the audit's JSON shows it; ``whole``: with every count, so that
        :meth:`from_dict` rebuilds it (the parts of a run sent between processes)."""
        if whole:
            return {
                **self.to_dict(),
                "blank_lines": self.blank_lines,
                "date_formats": list(self.date_formats),
                "providers": {name: list(totals) for name, totals in self.providers.items()},
                "days": [[name, date, minutes] for (name, date), minutes in self.days.items()],
                "episodes_decided": self.episodes(),
                "detected": list(self.detected),
                "spans": [list(row) for frame in self.spans for row in frame.iter_rows()],
                "unchecked_times": list(self.unchecked_times),
            }
        out: dict[str, Any] = {
            "counts": dict(self.counts),
            "rows_read": self.rows_read,
            "groups": self.groups,
            "invalid_rows": self.invalid_rows,
            "order": self.order,
            "edits": self.edits,
        }
        if self.blank_lines:
            out["blank_lines"] = self.blank_lines
        if len(self.date_formats) > 1:
            out["date_formats"] = list(self.date_formats)
        if self.providers:
            out["providers"] = self.provider_rows()
        found = self.episodes()
        ran = self.checks_dict(found)
        chosen = self.checks
        if chosen is not None and not chosen.get("episodes", "ran").startswith("ran"):
            ran = None  # the episodes were not checked: nothing of theirs to say
        out |= self.pattern_dict()
        if chosen is not None or ran is not None:
            out["checks"] = {**(chosen or {}), **(ran or {})}
        if ran is not None:
            out["episodes"] = found
        out["input"] = self.input_dict()
        if self.payment is not None:
            out["payment"] = self.payment
        if self.manifest is not None:
            out["manifest"] = self.manifest
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, layout: Layout | None = None) -> Summary:
        """The summary :meth:`to_dict` gave with ``whole``; ``layout`` is not in the dict."""
        read = data.get("input", {})
        return cls(
            rows_read=data["rows_read"],
            blank_lines=data.get("blank_lines", 0),
            invalid_rows=data["invalid_rows"],
            groups=data["groups"],
            counts=dict(data["counts"]),
            order=data["order"],
            edits=data["edits"],
            providers={name: list(totals) for name, totals in data["providers"].items()},
            days={(name, date): minutes for name, date, minutes in data.get("days", ())},
            episodes_decided=list(data.get("episodes_decided", ())),
            every_month=list(data.get("patients_every_month", ())),
            claim_duplicates=list(data.get("duplicate_claim_lines", ())),
            checks=data.get("checks"),
            spans=[span_frame(data["spans"])] if data.get("spans") else [],
            unchecked_times=list(data.get("unchecked_times", ())),
            layout=layout,
            date_formats=tuple(data["date_formats"]),
            encoding=read.get("encoding"),
            delimiter=read.get("delimiter"),
            detected=tuple(data.get("detected", ())),
            manifest=data.get("manifest"),
            payment=data.get("payment"),
        )

    def __add__(self, other: Summary) -> Summary:
        """Two parts' counts added up: rows, groups, statuses, edits, providers' minutes
        and units (and by day: a provider's day may span parts), how dates were written;
        the file's reading (layout, encoding, delimiter) is the first part's. Payment and
        manifest are a whole run's, never a part's: neither part may carry them."""
        if self.payment is not None or other.payment is not None:
            raise ValueError("a summary with payment figures is a whole run's: it is not added")
        providers = {name: list(totals) for name, totals in self.providers.items()}
        for name, (minutes, units) in other.providers.items():
            totals = providers.setdefault(name, [0, 0])
            totals[0] += minutes
            totals[1] += units
        days = dict(self.days)
        for day, minutes in other.days.items():
            days[day] = days.get(day, 0) + minutes
        counts = dict(self.counts)
        for status, count in other.counts.items():
            counts[status] = counts.get(status, 0) + count
        return Summary(
            rows_read=self.rows_read + other.rows_read,
            blank_lines=self.blank_lines + other.blank_lines,
            invalid_rows=self.invalid_rows + other.invalid_rows,
            groups=self.groups + other.groups,
            counts=counts,
            order="scattered" if "scattered" in (self.order, other.order) else self.order,
            edits=self.edits + other.edits,
            providers=providers,
            days=days,
            every_month=[*self.every_month, *other.every_month],
            claim_duplicates=[*self.claim_duplicates, *other.claim_duplicates],
            checks=self.checks,
            spans=[*self.spans, *other.spans],
            unchecked_times=[*self.unchecked_times, *other.unchecked_times],
            layout=self.layout or other.layout,
            episode_facts=[*self.episode_facts, *other.episode_facts],
            visit_findings=[*self.visit_findings, *other.visit_findings],
            episodes_decided=[*self.episodes_decided, *other.episodes_decided],
            date_formats=tuple(sorted({*self.date_formats, *other.date_formats})),
            encoding=self.encoding,
            delimiter=self.delimiter,
            detected=self.detected,
            manifest=self.manifest,
        )
