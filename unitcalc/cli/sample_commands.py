"""``unitcalc sample`` and ``unitcalc extrapolate``: a reproducible random sample of a
visit file's units for a reviewer, and the reviewed sample's overpayments extrapolated
to the whole frame (Medicare Program Integrity Manual, Pub. 100-08, ch.8 section 8.4).

``sample`` reads the file as ``audit`` does (:mod:`unitcalc.files.load`), builds the frame
and the draw (:mod:`unitcalc.files.sample`) and writes them with the sample's rows
(:mod:`unitcalc.files.sample_write`). ``extrapolate`` reads the draw and the review
(:mod:`unitcalc.files.review`) and hands them to :mod:`unitcalc.payment.estimate`. Both
parse, call the library and render: the arithmetic is in the library.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .file_options import _options

if TYPE_CHECKING:
    from ..payment.estimate import DegreesOfFreedom, Estimate


def _stratum_sizes(given: tuple[str, ...]) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for text in given:
        name, sign, size = text.rpartition("=")
        if not sign or not name.strip() or not size.strip().isdigit():
            raise click.UsageError(f"--stratum-size {text!r}: write STRATUM=N, e.g. 100-500=30")
        sizes[name.strip()] = int(size)
    return sizes


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--size", type=click.IntRange(min=1), help="How many units to draw in all.")
@click.option(
    "--seed",
    # Python seeds with the absolute value of an integer: -7 would draw as 7 does.
    type=click.IntRange(min=0),
    required=True,
    help="The random seed (a whole number, 0 or more): the same seed and file give the "
    "same draw on any machine.",
)
@click.option(
    "--output-dir",
    type=click.Path(path_type=Path),
    required=True,
    help="A new folder for frame.csv, draw.json and sample.csv (never written over).",
)
@click.option("--amount", metavar="COLUMN", help="The column of each row's dollars (billed "
              "or paid); a unit's amount is the sum of its rows'.")  # fmt: skip
@click.option("--strata", "strata_column", metavar="COLUMN",
              help="Stratify by this column's value (each unit's rows must agree).")  # fmt: skip
@click.option(
    "--strata-bands",
    metavar="DOLLARS,DOLLARS...",
    help="Stratify by the unit's amount (needs --amount): 0,100,500 makes the strata "
    "0-100, 100-500 and 500+.",
)
@click.option(
    "--stratum-size",
    multiple=True,
    metavar="STRATUM=N",
    help="Each stratum's sample size, instead of --size's proportional allocation. "
    "Repeatable; every stratum needs one.",
)
@click.option("--group-by", metavar="COLUMN,COLUMN...", default="", help="The sampling "
              "unit's columns, as audit groups (default: the patient day).")  # fmt: skip
@click.option("--input-format", type=click.Choice(["csv", "jsonl", "parquet"]),
              help="Input format (default: by file name).")  # fmt: skip
@click.option("--encoding", default=None, help="Text encoding (default: detected).")
@click.option("--delimiter", default=None, help="CSV delimiter (default: detected).")
@click.option("--columns", "column_map", metavar="ROLE=HEADER,...", default="",
              help="Which header plays which role, as for audit.")  # fmt: skip
def sample(
    file: Path,
    size: int | None,
    seed: int,
    output_dir: Path,
    amount: str | None,
    strata_column: str | None,
    strata_bands: str | None,
    stratum_size: tuple[str, ...],
    **reading: Any,
) -> None:
    """Draw a simple or stratified random sample of a visit file's units (patient days,
    or the groups --group-by names), reproducibly, for review.

    Writes OUTPUT_DIR/frame.csv (every unit, its stratum, lines, amount and random
    number), draw.json (seed, generator, strata and their sizes, the units drawn) and
    sample.csv (the drawn units' rows as read, for unitcalc audit). Exit codes: 0
    written; 2 bad usage or input (nothing written).
    """
    from ..files.load import load
    from ..files.sample import Design, draw, frame_units
    from ..files.sample_write import write_draw
    from ..files.strata import parse_bands

    if strata_column and strata_bands:
        raise click.UsageError("--strata and --strata-bands: give one way to stratify")
    if strata_bands and not amount:
        raise click.UsageError("--strata-bands needs --amount COLUMN (the dollars to band)")
    if (size is None) == (not stratum_size):
        raise click.UsageError("give --size N, or --stratum-size for every stratum (not both)")
    design = Design(
        seed=seed,
        size=size,
        stratum_sizes=_stratum_sizes(stratum_size),
        amount=amount,
        strata_column=strata_column,
        bands=parse_bands(strata_bands) if strata_bands else (),
    )
    options = _options(
        rule=None, strict=False, pool_by=None, prefer=None, payers_file=None, payer=None,
        mue_file=None, ptp_files=(), ptp_modifier_on=None, rtm_blocks=None, rtm_set_up=None,
        codes_file=None, definitions=(), need_billed=False, **reading,
    )  # fmt: skip
    display = str(file)
    loaded = load(file, options, display=display)
    drawn = draw(frame_units(loaded, design, display=display), design, loaded.layout.key_roles)
    write_draw(output_dir, drawn, loaded, file, display)
    click.echo(
        f"Drew {sum(drawn.sample_sizes.values())} of {len(drawn.units)} units "
        f"(seed {seed}) into {output_dir}: frame.csv, draw.json, sample.csv."
    )
    for name, frame_size in drawn.frame_sizes.items():
        click.echo(f"  stratum {name}: {drawn.sample_sizes[name]} of {frame_size}")


@click.command()
@click.argument("review", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--draw",
    "draw_path",
    type=click.Path(path_type=Path),
    required=True,
    help="The draw.json that unitcalc sample wrote (or its folder).",
)
@click.option(
    "--confidence",
    default="0.90",
    show_default=True,
    help="The one-sided confidence of the lower limit (PIM ch.8 8.4: 0.90).",
)
@click.option(
    "--degrees-of-freedom",
    "degrees_of_freedom",
    type=click.Choice(["n-minus-strata", "satterthwaite"]),
    default="n-minus-strata",
    show_default=True,
    help="The stratified estimate's degrees of freedom (one stratum: n - 1).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="A table for people, or JSON.",
)
def extrapolate(
    review: Path,
    draw_path: Path,
    confidence: str,
    degrees_of_freedom: DegreesOfFreedom,
    output_format: str,
) -> None:
    """The point estimate of the frame's total overpayment and the lower limit of its
    one-sided confidence interval, from REVIEW (CSV: unit, overpayment in dollars) and
    the draw: mean-per-unit for one stratum, stratified for more.

    Exit codes: 0 estimated; 2 bad usage or input (the review and the draw disagree).
    """
    from ..files.review import read_draw, read_review
    from ..payment.estimate import estimate

    level = _confidence(confidence)
    if draw_path.is_dir():
        draw_path = draw_path / "draw.json"
    drawn = read_draw(draw_path)
    totals = read_review(review, drawn)
    result = estimate(totals, confidence=level, degrees_of_freedom=degrees_of_freedom)
    fields = estimate_fields(result)
    # A stratum given no sample on purpose is outside the estimate: say which.
    fields["strata_not_sampled"] = [n for n, size in drawn.sample_sizes.items() if not size]
    if output_format == "json":
        click.echo(json.dumps(fields, indent=2))
        return
    for name, value in fields.items():
        shown = ", ".join(value) or "none" if isinstance(value, list) else value
        click.echo(f"{name.replace('_', ' '):<26}{shown}")


def _confidence(text: str) -> Fraction:
    try:
        level = Fraction(text)
    except (ValueError, ZeroDivisionError):
        level = Fraction(-1)
    if not 0 < level < 1:
        raise click.UsageError(f"--confidence {text!r}: give a level between 0 and 1, e.g. 0.90")
    return level


def estimate_fields(result: Estimate) -> dict[str, Any]:
    """The estimate as printed: dollars to the cent (as text, so JSON keeps the cents)."""
    from decimal import ROUND_HALF_UP, Decimal

    def cents(value: Fraction | float) -> str:
        exact = (
            Decimal(value.numerator) / Decimal(value.denominator)
            if isinstance(value, Fraction)
            else Decimal(value)
        )
        return str(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))

    return {
        "estimator": result.estimator,
        "frame_size": result.frame_size,
        "sample_size": result.sample_size,
        "strata": result.strata,
        "point_estimate": cents(result.point_estimate),
        "standard_error": cents(result.standard_error),
        "degrees_of_freedom": round(result.degrees_of_freedom, 4),
        "degrees_of_freedom_rule": result.degrees_of_freedom_rule,
        "confidence": float(result.confidence),
        "t_quantile": round(result.t_quantile, 6),
        "lower_limit": cents(result.lower_limit),
    }
