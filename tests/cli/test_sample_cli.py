"""`unitcalc sample` and `unitcalc extrapolate` wiring: the folder written, the audit of
the sample by the same engine, the estimate's table and JSON, and exit 2 with one line
and nothing written on bad input. The arithmetic is tested in tests/payment and
tests/files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.conftest import run

CASES = Path(__file__).parents[1] / "fixtures" / "audit_cases.csv"


@pytest.fixture
def visits(tmp_path: Path) -> Path:
    rows = ["patient_id,date_of_service,code,minutes,billed_units,paid"]
    for patient in range(1, 31):
        rows.append(f"P{patient:02},2026-04-01,97110,{20 + patient},2,{patient * 7}.10")
        rows.append(f"P{patient:02},2026-04-01,97140,{patient % 9},1,25.00")
    path = tmp_path / "visits.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_sample_then_audit_the_sample(visits: Path, tmp_path: Path) -> None:
    out = tmp_path / "draw"
    result = run("sample", str(visits), "--size", "6", "--seed", "7", "--output-dir", str(out))
    assert result.exit_code == 0, result.output
    assert "Drew 6 of 30 units (seed 7)" in result.output
    document = json.loads((out / "draw.json").read_text())
    assert [unit["order"] for unit in document["drawn"]] == [1, 2, 3, 4, 5, 6]
    audited = run("audit", str(out / "sample.csv"), "--format", "json", "--all")
    assert audited.exit_code in (0, 1), audited.output
    summary = json.loads(audited.output)["summary"]
    assert summary["rows_read"] == 12
    assert summary["groups"] == 6


def test_sample_is_reproducible(visits: Path, tmp_path: Path) -> None:
    for name in ("one", "two"):
        args = ["sample", str(visits), "--size", "5", "--seed", "99"]
        assert run(*args, "--output-dir", str(tmp_path / name)).exit_code == 0
    for name in ("frame.csv", "draw.json", "sample.csv"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_sample_by_bands_with_given_sizes(visits: Path, tmp_path: Path) -> None:
    out = tmp_path / "draw"
    result = run(
        "sample", str(visits), "--seed", "1", "--output-dir", str(out), "--amount", "paid",
        "--strata-bands", "0,100,200", "--stratum-size", "0-100=3", "--stratum-size",
        "100-200=4", "--stratum-size", "200+=2",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    strata = json.loads((out / "draw.json").read_text())["strata"]
    assert [(s["stratum"], s["frame_size"], s["sample_size"]) for s in strata] == [
        ("0-100", 10, 3),
        ("100-200", 14, 4),
        ("200+", 6, 2),
    ]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--size", "31"], "--size 31: the frame has 30 units"),
        (["--size", "3", "--strata-bands", "0,100"], "--strata-bands needs --amount"),
        ([], "give --size N, or --stratum-size"),
        (["--size", "3", "--stratum-size", "all=3"], "not both"),
        (["--size", "3", "--strata", "x", "--strata-bands", "1"], "give one way to stratify"),
        (["--stratum-size", "nothing"], "write STRATUM=N"),
        (["--size", "3", "--seed", "-1"], "-1 is not in the range x>=0"),
        (
            ["--size", "3", "--amount", "patient_id"],
            "line 2, column patient_id: 'P01' is no dollar amount",
        ),
    ],
    ids=[
        "too-large",
        "bands-no-amount",
        "no-size",
        "both-sizes",
        "two-strata",
        "bad-size",
        "negative-seed",
        "bad-amount",
    ],
)
def test_sample_errors_exit_2_and_write_nothing(
    visits: Path, tmp_path: Path, extra: list[str], message: str
) -> None:
    out = tmp_path / "draw"
    result = run("sample", str(visits), "--seed", "1", "--output-dir", str(out), *extra)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["visits.csv"]


def test_extrapolate_table_and_json(visits: Path, tmp_path: Path) -> None:
    out = tmp_path / "draw"
    assert (
        run("sample", str(visits), "--size", "5", "--seed", "3", "--output-dir", str(out)).exit_code
        == 0
    )
    with (out / "frame.csv").open() as handle:
        drawn = [row["unit"] for row in csv.DictReader(handle) if row["drawn_order"]]
    review = tmp_path / "review.csv"
    amounts = ["0", "10.00", "20.00", "30.00", "40.00"]
    review.write_text(
        "unit,overpayment\n" + "".join(f"{u},{a}\n" for u, a in zip(drawn, amounts, strict=True))
    )
    table = run("extrapolate", str(review), "--draw", str(out))
    assert table.exit_code == 0, table.output
    assert "mean-per-unit" in table.output
    # N = 30, n = 5, values 0..40 by 10: point 30 * 20 = 600; SE = 30 sqrt((1 - 5/30) 250 / 5)
    # = 193.65; t(0.90, 4) = 1.533206; lower = 600 - 296.90 = 303.10.
    fields = json.loads(
        run("extrapolate", str(review), "--draw", str(out / "draw.json"), "--format", "json").output
    )
    assert fields["point_estimate"] == "600.00"
    assert fields["standard_error"] == "193.65"
    assert fields["lower_limit"] == "303.10"
    assert fields["degrees_of_freedom"] == 4
    assert fields["strata_not_sampled"] == []
    eighty = run(
        "extrapolate", str(review), "--draw", str(out), "--confidence", "0.8", "--format", "json"
    )
    assert json.loads(eighty.output)["lower_limit"] > "303.10"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--confidence", "1.5"], "--confidence '1.5': give a level between 0 and 1"),
        (["--confidence", "x"], "--confidence 'x'"),
    ],
    ids=["confidence-above-1", "confidence-not-a-number"],
)
def test_extrapolate_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    review = tmp_path / "review.csv"
    review.write_text("unit,overpayment\n")
    result = run("extrapolate", str(review), "--draw", str(tmp_path), *args)
    assert result.exit_code == 2
    assert message in result.output


def test_extrapolate_missing_draw_exits_2(tmp_path: Path) -> None:
    review = tmp_path / "review.csv"
    review.write_text("unit,overpayment\n")
    result = run("extrapolate", str(review), "--draw", str(tmp_path / "nowhere.json"))
    assert result.exit_code == 2
    assert "cannot read" in result.output
    assert "nowhere.json" in result.output


def test_sample_of_the_audit_cases_groups_as_audit_does(tmp_path: Path) -> None:
    out = tmp_path / "draw"
    audited = json.loads(run("audit", str(CASES), "--format", "json", "--all").output)
    result = run("sample", str(CASES), "--size", "2", "--seed", "4", "--output-dir", str(out))
    assert result.exit_code == 0, result.output
    document = json.loads((out / "draw.json").read_text())
    assert document["frame_size"] == audited["summary"]["groups"]


def test_the_documented_example_is_what_the_commands_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/audit.md's draw and review, written again: the same bytes."""
    root = Path(__file__).parents[2]
    monkeypatch.chdir(root)
    out = tmp_path / "claims_draw"
    result = run(
        "sample", "docs/examples/claims.csv", "--size", "12", "--seed", "2026", "--amount",
        "paid", "--strata-bands", "0,60", "--output-dir", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    kept = root / "docs" / "examples" / "claims_draw"
    for name in ("frame.csv", "draw.json", "sample.csv"):
        assert (out / name).read_bytes() == (kept / name).read_bytes(), name
    review = tmp_path / "review.csv"
    audited = run(
        "audit", str(kept / "sample.csv"), "--fees", "docs/examples/fees.csv", "--all",
        "--format", "csv", "--output", str(review),
    )  # fmt: skip
    assert audited.exit_code == 1, audited.output
    assert review.read_bytes() == (root / "docs" / "examples" / "claims_review.csv").read_bytes()


PUBLISHED = Path(__file__).parents[1] / "fixtures" / "published"


@pytest.mark.parametrize(
    ("fixture", "frame_sizes", "expected"),
    [
        pytest.param(
            "lohr_agsrs.csv", {"all": 3078},
            ("mean-per-unit", 299, "916927109.64", "58169381.17", 916_927_110, 58_169_381,
             802_453_859),
            id="simple-random-sample",
        ),
        pytest.param(
            "lohr_agstrat.csv", {"NC": 1054, "NE": 220, "S": 1382, "W": 422},
            ("stratified", 296, "909736035.39", "50417248.25", 909_736_035, 50_417_248,
             810_514_350),
            id="stratified",
        ),
    ],
)  # fmt: skip
def test_extrapolate_reproduces_the_published_example(
    tmp_path: Path, fixture: str, frame_sizes: dict[str, int], expected: tuple[object, ...]
) -> None:
    """Lohr, Sampling: Design and Analysis, 3rd ed., Examples 2.6-2.11 and 3.2-3.6, from the
    book's own data (tests/payment/test_estimate_published.py tells the source): the
    review as read, a draw.json naming each county's region, and the published figures
    (whole acres; the two-sided 95 percent interval's lower end is --confidence 0.975)."""
    with (PUBLISHED / fixture).open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    drawn = [
        {"unit": int(row["unit"]), "stratum": row.get("stratum", "all"), "group": row["unit"]}
        for row in rows
    ]
    strata = [
        {
            "stratum": name,
            "frame_size": size,
            "sample_size": sum(u["stratum"] == name for u in drawn),
        }
        for name, size in frame_sizes.items()
    ]
    draw = tmp_path / "draw.json"
    draw.write_text(json.dumps({"format": 1, "strata": strata, "drawn": drawn}))
    result = run(
        "extrapolate", str(PUBLISHED / fixture), "--draw", str(draw), "--confidence", "0.975",
        "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    fields = json.loads(result.output)
    estimator, df, point, error, point_acres, error_acres, lower_acres = expected
    assert (fields["estimator"], fields["degrees_of_freedom"]) == (estimator, df)
    assert (fields["frame_size"], fields["sample_size"]) == (3078, 300)
    assert (fields["point_estimate"], fields["standard_error"]) == (point, error)
    assert round(float(fields["point_estimate"])) == point_acres
    assert round(float(fields["standard_error"])) == error_acres
    assert round(float(fields["lower_limit"])) == lower_acres
