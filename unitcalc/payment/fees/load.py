"""Reading a fee file: its layout recognised from its contents, then read by the module of
that layout (:mod:`.pprrvu` with :mod:`.pprrvu`'s GPCI file, :mod:`.pfall`, :mod:`.plain`)
into one :class:`~.schedule.FeeSchedule`."""

from __future__ import annotations

from pathlib import Path

from ...core.errors import FeeFileError, Mention, message_of
from .pfall import is_pfall, read_pfall
from .plain import read_plain
from .pprrvu import load_gpci, pprrvu_header, read_pprrvu
from .rows import fee_rows
from .schedule import SETTINGS, FeeSchedule, Setting


def load_fees(
    path: str | Path,
    *,
    gpci: str | Path | None = None,
    locality: str | None = None,
    setting: Setting = "non-facility",
) -> FeeSchedule:
    """Read a fee file, its layout recognised from its contents: the CMS PPRRVU file
    (with ``gpci``, the GPCI file, for locality amounts; without it, national amounts),
    the CMS PFALL file, or a plain CSV with a header naming ``code`` and ``amount``
    (and optionally ``modifier``, ``locality``, ``pe_amount``, ``mppr``).
    ``locality`` is the payment locality for rows that name none; ``setting`` chooses
    the non-facility or facility amounts."""
    if setting not in SETTINGS:
        raise FeeFileError(
            f"fee setting {setting!r}: choose non-facility or facility", path=str(path)
        )
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
