"""Which of the audit's checks a run makes (``--checks``), and what the summary says of
each: run, or skipped and why.

A run makes every check whose data is present unless ``Options.checks`` names some: then
only those (``units``, the counting itself, always runs). A check chosen whose data is
missing is skipped, with the reason (``ptp: skipped, no --ptp file``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.errors import FileProblem, Mention, message_of
from .patterns import by_patient_day, claim_column

if TYPE_CHECKING:
    from .layout import Layout
    from .options import Options
    from .summary import Summary

CHECKS = ("units", "ptp", "modifiers", "kx", "episodes", "patterns")
"""The checks ``--checks`` chooses from, in the order the summary lists them."""


def chosen_checks(names: str | tuple[str, ...]) -> frozenset[str]:
    """The checks named (a comma list or a sequence), each known, at least one.

    >>> sorted(chosen_checks("units, ptp"))
    ['ptp', 'units']
    """
    given = names.split(",") if isinstance(names, str) else names
    chosen = [name.strip().lower() for name in given if name.strip()]
    unknown = [name for name in chosen if name not in CHECKS]
    if unknown or not chosen:
        what = f"{', '.join(unknown)} is no check" if unknown else "names no check"
        raise FileProblem(
            message_of(
                Mention("checks", names, owner="Options", given=True),
                f": {what}; give a comma list of {', '.join(CHECKS)}",
            ),
            path="",
            argument="checks",
        )
    return frozenset(chosen)


def check_report(options: Options, layout: Layout | None) -> dict[str, str]:
    """Each check: ``ran``, or ``skipped, REASON`` (not chosen, or its data missing)."""
    known = layout.known if layout is not None else {}
    missing: dict[str, str | None] = {
        "units": None,
        "ptp": None if options.settings.ptp is not None else "no --ptp file",
        "modifiers": None if {"modifiers", "cq_units"} & set(known) else "no modifiers column",
        "kx": None if options.column_pricer is not None else "no --fees",
        "episodes": None
        if layout is not None and "patient_id" in layout.key_roles and layout.date_index is not None
        else "no patient_id and date_of_service in the group key",
        "patterns": None
        if layout is not None and by_patient_day(layout)
        else "the groups are not patient-days (patient_id and date_of_service)",
    }
    out = {}
    for name in CHECKS:
        reason = missing[name] if options.runs(name) else "not chosen"
        out[name] = "ran" if reason is None else f"skipped, {reason}"
    if out["patterns"] == "ran" and layout is not None and claim_column(layout) is None:
        out["patterns"] = "ran (duplicate claims not checked: no claim or visit id column)"
    return out


def chosen_summary(summary: Summary, options: Options) -> Summary:
    """The summary of an audit (a run that reads billed units): the checks run and
    skipped, and why; with ``Options.checks`` given and ``patterns`` not among them, no
    provider days (the 480-minute check is one of them) and no bottom-of-band mark."""
    if options.need_billed:
        summary.checks = check_report(options, summary.layout)
    if options.checks is not None and not options.runs("patterns"):
        summary.days.clear()
        summary.bottom_of_band = 0.0  # no average is under it: no mark
    return summary
