"""How to count: the options calc, batch and audit share to choose the counting rule, the
payer profile, the MUE table, the tie preference, the code table and the assistant
modifiers' options, and the loading of what they name.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import click

from ..core.codeinfo import normalize_code
from ..core.codes import CodeTable
from ..core.errors import InvalidServiceError
from ..engine.settings import POOLINGS
from ..rules import rule_names
from .config import envvar
from .shared import F

if TYPE_CHECKING:
    from ..core.assistant import AssistantOptions, DeMinimis
    from ..core.mue import MueTable
    from ..core.ptp import PtpTable
    from ..engine.monthly import MonthOptions
    from ..engine.payers import PayerProfile


def _counting_options(function: F) -> F:
    """--pool-by, --prefer, --payers, --payer, --mue and --ptp, shared by calc, batch and
    audit."""
    function = click.option(
        "--ptp-modifier-on",
        "ptp_modifier_on",
        type=click.Choice(["either", "column2"]),
        default=None,
        help="Where a modifier 59, XE, XS, XP or XU lets an indicator 1 PTP pair be paid: on "
        "either code of the pair (the default), or only on the column 2 code (UNCONFIRMED: "
        "docs/audit.md).",
    )(function)
    function = click.option(
        "--ptp",
        "ptp_files",
        multiple=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="The CMS practitioner NCCI PTP edit file (tab-delimited text as published, CSV "
        "or xlsx) to check code pairs against; repeat for each part of the file.",
    )(function)
    function = click.option(
        "--mue",
        "mue_file",
        envvar=envvar("mue"),
        show_envvar=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="The CMS practitioner MUE table (CSV as published) to check units against.",
    )(function)
    function = click.option(
        "--payer",
        metavar="NAME",
        envvar=envvar("payer"),
        show_envvar=True,
        help="The payer profile (from --payers) to count by: its rule, caps and minimums.",
    )(function)
    function = click.option(
        "--payers",
        "payers_file",
        envvar=envvar("payers"),
        show_envvar=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="A TOML file of payer profiles (see docs/payers.md).",
    )(function)
    function = click.option(
        "--prefer",
        metavar="CODE,CODE...",
        default=None,
        help="Tie preference: codes to favour, first first, when leftovers tie "
        "(default: the payer profile's, if any).",
    )(function)
    return click.option(
        "--pool-by",
        type=click.Choice(POOLINGS),
        default=None,
        help="Pool timed minutes per discipline (PT, OT, SLP apart; the default) or for the "
        "whole day.",
    )(function)


@attrs.frozen(eq=False, repr=False)  # internal: no generated eq or repr to compile
class _Counting:
    """The counting options as given on the command line, loaded."""

    payer: PayerProfile | None
    profiles: dict[str, PayerProfile]
    profiles_path: str
    mue: MueTable | None
    ptp: PtpTable | None = None


def _counting(
    payers_file: Path | None,
    payer: str | None,
    mue_file: Path | None,
    ptp_files: Sequence[Path] = (),
) -> _Counting:
    profiles: dict[str, PayerProfile] = {}
    selected = None
    if payers_file:
        from ..engine.payers import load_profiles  # loaded only when profiles are used

        profiles = load_profiles(payers_file)
    if payer:
        from ..engine.payers import select as select_profile

        if not payers_file:
            raise click.UsageError("--payer needs --payers FILE, the file of payer profiles")
        selected = select_profile(profiles, payer, path=str(payers_file))
    mue = None
    if mue_file:
        from ..core.mue import MueTable

        mue = MueTable.load(mue_file)
    ptp = None
    if ptp_files:
        from ..core.ptp import PtpTable

        ptp = PtpTable.load_all(ptp_files)
    return _Counting(selected, profiles, str(payers_file or ""), mue, ptp)


def _rule_option(function: F) -> F:
    return click.option(
        "--rule",
        envvar=envvar("rule"),
        show_envvar=True,
        type=click.Choice(rule_names(), case_sensitive=False),
        help="Counting rule (default cms). 'unitcalc rules' describes each.",
    )(function)


def _prefer(text: str | None) -> list[str] | None:
    """The codes of ``--prefer``, each checked for a code's shape (a file run would
    otherwise meet a bad one only at a tie, or never)."""
    if text is None:
        return None
    codes = [code for code in text.split(",") if code.strip()]
    for code in codes:
        try:
            normalize_code(code)
        except InvalidServiceError as exc:
            raise click.UsageError(f"--prefer {text}: {exc}") from None
    return codes


def _code_table(codes_file: Path | None, definitions: Sequence[str]) -> CodeTable:
    from ..core.definitions import extended_table

    return extended_table(codes_file, definitions)


def _assistant_options(two_units: bool, de_minimis: DeMinimis) -> AssistantOptions | None:
    """The assistant options, or None for the defaults (then nothing more is loaded)."""
    if two_units and de_minimis == "more-than":
        return None
    from ..core.assistant import AssistantOptions

    return AssistantOptions(split_two_final_units=two_units, de_minimis=de_minimis)


def _month_options(function: F) -> F:
    """--rtm-blocks and --rtm-set-up: how remote therapeutic monitoring counts by the
    month where the sources leave a choice (docs/rules.md), shared by calc, batch and
    audit."""
    function = click.option(
        "--rtm-set-up",
        "rtm_set_up",
        # unitcalc.engine.monthly.SET_UP_SCOPES, spelled here so that calc loads no more.
        type=click.Choice(["month", "patient"]),
        default=None,
        help="RTM set-up 98975 (once per episode of care): counted once a month (the "
        "default), or once per patient (the rows counted together taken as one episode). "
        "UNCONFIRMED.",
    )(function)
    return click.option(
        "--rtm-blocks",
        "rtm_blocks",
        type=click.Choice(["full", "midpoint"]),
        default=None,
        help="RTM management 98981 (each further 20 minutes): a full block each (the "
        "default), or a block once more than half of it has passed (the CPT midpoint "
        "reading, UNCONFIRMED).",
    )(function)


def _month(rtm_blocks: str | None, rtm_set_up: str | None) -> MonthOptions:
    """The month's options as given (the defaults for those not given)."""
    from ..engine.monthly import MonthOptions

    return MonthOptions(
        further_blocks=rtm_blocks or "full",  # type: ignore[arg-type]
        set_up=rtm_set_up or "month",  # type: ignore[arg-type]
    )
