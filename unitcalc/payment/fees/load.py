"""Reading a fee file: its layout recognised from its contents, then read by the module of
that layout (:mod:`.pprrvu` with :mod:`.pprrvu`'s GPCI file, :mod:`.pfall`, :mod:`.plain`)
into one :class:`~.schedule.FeeSchedule`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from ...core.errors import FeeFileError, Mention, message_of
from .pfall import is_pfall, read_pfall
from .plain import read_plain
from .pprrvu import load_gpci, pprrvu_header, read_pprrvu
from .rows import fee_rows
from .schedule import FeeSchedule
from .setting import OLD_NAMES, SETTINGS, Setting, setting_of


def load_fees(
    path: str | Path,
    *,
    gpci: str | Path | None = None,
    locality: str | None = None,
    setting: Setting | Literal["non-facility"] = "office",
) -> FeeSchedule:
    """Read a fee file, its layout recognised from its contents: the CMS PPRRVU file
    (with ``gpci``, the GPCI file, for locality amounts; without it, national amounts),
    the CMS PFALL file, or a plain CSV with a header naming ``code`` and ``amount``
    (and optionally ``modifier``, ``locality``, ``pe_amount``, ``mppr``).
    ``locality`` is the payment locality for rows that name none; ``setting`` is the
    biller's (:mod:`.setting`): ``office`` (section 1848, the non-facility amounts; its
    old name ``non-facility`` still works), ``institutional`` (section 1834(k): hospital
    outpatient, SNF, CORF, rehabilitation agency) or ``facility`` (the facility
    amounts)."""
    chosen = setting_of(setting)
    if chosen is None:
        old = ", ".join(f"{name} for {new}" for name, new in OLD_NAMES.items())
        raise FeeFileError(
            message_of(
                f"fee setting {setting!r}: choose {', '.join(SETTINGS[:-1])} or "
                f"{SETTINGS[-1]} with ",
                Mention("setting", owner="load_fees"),
                f" (or the old name {old})",
            ),
            path=str(path),
            field="setting",
            argument="setting",
        )
    setting = chosen
    shown = str(path)
    rows = fee_rows(Path(path), shown)
    if not rows:
        raise FeeFileError(f"{shown} is empty: give a fee file", path=shown)
    header = pprrvu_header(rows)
    if header is not None:
        gpcis = load_gpci(gpci) if gpci is not None else {}
        schedule = FeeSchedule(
            shown,
            "pprrvu",
            rvus=read_pprrvu(rows, header, shown, setting),
            gpcis=gpcis,
            locality=locality,
            setting=setting,
        )
    elif gpci is not None:
        raise FeeFileError(
            message_of(
                f"{shown} is not a PPRRVU file, so a GPCI file does not apply to it: give the "
                "PPRRVU file with ",
                Mention("gpci", owner="load_fees"),
                ", or leave it out",
            ),
            path=shown,
            field="gpci",
            argument="gpci",
        )
    elif is_pfall(rows):
        schedule = FeeSchedule(
            shown,
            "pfall",
            fees=read_pfall(rows, shown, setting),
            locality=locality,
            setting=setting,
        )
    else:
        schedule = FeeSchedule(
            shown, "csv", fees=read_plain(rows, shown), locality=locality, setting=setting
        )
    if locality:
        schedule.resolve_locality(None)  # an unknown locality fails here, not mid-run
    return schedule
