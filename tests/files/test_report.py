"""Issue 25, item 1: the audit report as a document. Built from the packaged Jinja2
template (autoescaped), in a reader's order (headline, charts, findings by provider, the
summary's tables, the findings, the manifest last), with every table the summary holds,
print rules for landscape Letter and A4, and the same document as PDF (WeasyPrint) for
``--report x.pdf``. The browser's own print is tested in tests/web/test_report_browser.py.
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from unitcalc.cli import main
from unitcalc.files.report import cell, render_report, summary_tables
from unitcalc.files.summary import Summary

ROOT = Path(__file__).resolve().parents[2]
VISITS = ROOT / "docs" / "examples" / "visits.csv"
FEES = ROOT / "docs" / "examples" / "fees.csv"
MONEY = ("billed_amount", "allowed_amount", "amount_difference")
AMOUNTS = ("100.50", "76.50", "24.00", "124.00", "146.50", "-22.50")
"""The dollars of docs/examples/visits.csv priced with fees.csv (docs/audit.md's CSV)."""
ORDER = (
    "Headline",
    "Groups by status",
    "Charts",
    "Findings by provider",
    "Findings by kind",
    "Amounts by provider",
    "Findings (4)",
    "Run details and manifest",
)
"""The headings, in the document's order."""


def report_file(tmp_path: Path, name: str, *options: str, source: Path = VISITS) -> Path:
    out = tmp_path / name
    result = CliRunner(env={"SOURCE_DATE_EPOCH": "1772452800"}).invoke(
        main, ["audit", str(source), "--fees", str(FEES), "--all", "--report", str(out), *options]
    )
    assert result.exit_code == 1, result.output  # findings: over and under
    assert "Traceback" not in result.output
    return out


def pdf_text(data: bytes) -> list[str]:
    """Each page's text; a header broken after its underscore joined again."""
    reader = PdfReader(io.BytesIO(data))
    return [re.sub(r"_\s+", "_", page.extract_text()) for page in reader.pages]


def in_order(text: str, headings: tuple[str, ...]) -> bool:
    places = [text.find(heading) for heading in headings]
    return -1 not in places and places == sorted(places)


def test_the_html_report_reads_in_order_with_every_money_column(tmp_path: Path) -> None:
    page = report_file(tmp_path, "audit.html").read_text(encoding="utf-8")
    assert in_order(page, ORDER)
    findings = page.split('<table id="findings">')[1].split("</table>")[0]
    for name in MONEY:
        assert f'<th class="num">{name.replace("_", "_<wbr>")}</th>' in findings
    for amount in AMOUNTS:
        assert f'<td class="num">{amount}</td>' in findings
    # The headline: the input's SHA-256, the rule, the payer, the dollars.
    first = page.split('<section id="charts-section">')[0]
    assert hashlib.sha256(VISITS.read_bytes()).hexdigest() in first
    assert '<th scope="row">rule</th><td>cms</td>' in first
    assert '<th scope="row">payer</th><td>none given</td>' in first
    assert '<th scope="row">billed amount</th><td>383.00</td>' in first
    assert '<tr><td>over</td><td class="num">1</td><td class="num">100.50</td>' in first
    by_kind = page.split('<table id="by-kind">')[1].split("</table>")[0]
    # Each status's groups with their dollars, as the headline's.
    money = '<td class="num">{}</td><td class="num">{}</td><td class="num">{}</td></tr>'
    assert '<tr><td>group over</td><td class="num">1</td>' + money.format(*AMOUNTS[:3]) in by_kind
    assert '<tr><td>group under</td><td class="num">1</td>' + money.format(*AMOUNTS[3:]) in by_kind
    # Print rules: landscape pages, headers repeated on each page, page breaks.
    assert "size: letter landscape" in page
    assert "thead { display: table-header-group; }" in page
    assert "#details-section { break-before: page; }" in page


def test_the_pdf_report_is_the_same_document(tmp_path: Path) -> None:
    data = report_file(tmp_path, "audit.pdf").read_bytes()
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (792, 612)  # Letter, landscape
    pages = pdf_text(data)
    text = "\n".join(pages)
    assert in_order(text, ORDER)
    for name in (*MONEY, *AMOUNTS):
        assert name in text
    # Laid out as printed, no money header runs into the next one (as they did when a
    # header could not wrap: "billed_amountallowed_amount").
    for sheet in reader.pages:
        assert not re.search(
            r"\w(?:billed|allowed|amount)_", sheet.extract_text(extraction_mode="layout")
        )
    # The headline is the first page, the manifest the last.
    assert hashlib.sha256(VISITS.read_bytes()).hexdigest() in pages[0]
    assert "Charts" not in pages[0]
    assert pages[-1].startswith("Run details and manifest")
    assert not list(tmp_path.glob(".*partial"))


def test_the_template_escapes_every_input_value(tmp_path: Path) -> None:
    source = tmp_path / "visits.csv"
    source.write_text(
        "patient_id,date_of_service,code,minutes,billed_units,provider\n"
        "<script>alert(1)</script>,2026-03-02,97110,33,3,<b>Kim</b>\n",
        encoding="utf-8",
    )
    page = report_file(tmp_path, "audit.html", source=source).read_text(encoding="utf-8")
    assert "<script" not in page
    assert "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;Kim&lt;/b&gt;" in page


def test_a_table_a_later_check_adds_to_the_summary_is_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    summary = Summary(groups=1, counts={"ok": 1})
    plain = summary.to_dict()
    added = {
        "by_status": {"ok": {"billed": 1.5}},  # shown in the headline instead
        "new_check": {"findings": [{"patient": "P1", "amount": 12.5}], "count": 1},
    }
    monkeypatch.setattr(Summary, "to_dict", lambda self: {**plain, "payment": added})
    tables = summary_tables(summary)
    assert [(t["title"], t["columns"], t["rows"]) for t in tables] == [
        ("payment: new check: findings", ["patient", "amount"], [["P1", "12.50"]])
    ]
    page = render_report(summary, ["group", "status"], [], title="t")
    assert "<h2>payment: new check: findings (1)</h2>" in page
    assert '<table id="payment-new_check-findings">' in page


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, ""),
        (383.0, "383.00"),
        (-22.5, "-22.50"),
        (7, "7"),
        (True, "True"),
        (["a", 1], "a, 1"),
        ({"format": "csv"}, "format: csv"),
    ],
    ids=["none", "float", "negative", "int", "bool", "list", "mapping"],
)
def test_a_cell_shows_the_value_as_the_summary_gives_it(value: object, shown: str) -> None:
    assert cell(value) == shown


def test_the_paper_is_letter_or_a4() -> None:
    summary = Summary()
    assert "size: a4 landscape" in render_report(summary, [], [], title="t", paper="a4")
    from unitcalc.core.errors import OutputProblem

    with pytest.raises(OutputProblem, match="not one of letter, a4"):
        render_report(summary, [], [], title="t", paper="legal")


def test_the_kx_threshold_findings_are_a_table_of_their_own(tmp_path: Path) -> None:
    page = report_file(
        tmp_path, "kx.html", source=ROOT / "docs" / "examples" / "kx_visits.csv"
    ).read_text(encoding="utf-8")
    assert "<h2>KX threshold (2)</h2>" in page
    kx = page.split('<table id="payment-kx-findings">')[1].split("</table>")[0]
    assert "<td>missing-kx</td><td>P05</td><td>2026</td><td>PT/SLP</td><td>4</td>" in kx
    assert "<td>2510.50</td><td>2480.00</td>" in kx
    assert in_order(page, ("Amounts by payer", "KX threshold (2)", "Findings (3)"))
    by_kind = page.split('<table id="by-kind">')[1].split("</table>")[0]
    # The threshold's findings are claim lines, not groups: counted, with no dollars.
    blank = '<td class="num"></td>' * 3
    assert f'<tr><td>KX threshold: missing-kx</td><td class="num">2</td>{blank}</tr>' in by_kind


def test_report_paper_a4_gives_an_a4_pdf(tmp_path: Path) -> None:
    data = report_file(tmp_path, "audit.pdf", "--report-paper", "a4").read_bytes()
    box = PdfReader(io.BytesIO(data)).pages[0].mediabox
    assert abs(float(box.width) - 842) < 1  # A4, landscape: 297 x 210 mm
    assert abs(float(box.height) - 595) < 1
    text = "\n".join(pdf_text(data))
    for name in (*MONEY, *AMOUNTS):
        assert name in text


def test_report_paper_choices_are_the_papers_the_report_knows() -> None:
    from unitcalc.files.report import PAPERS

    option = next(p for p in main.commands["audit"].params if p.name == "report_paper")
    assert not option.expose_value  # read from the context by the report's writer
    assert tuple(option.type.choices) == PAPERS  # type: ignore[attr-defined]


FAMILIES = (
    "patient_id,date_of_service,code,minutes,discipline,billed_units,modifiers,provider,claim_id\n"
    "P1,2026-03-02,97530,30,PT,2,GP,Avery Lee,C1\n"
    "P1,2026-03-02,97150,20,PT,1,GP,Avery Lee,C1\n"
    "P1,2026-03-03,97110,30,PT,3,GP,Avery Lee,C2\n"
    "P1,2026-03-05,97161,45,PT,1,GP,Avery Lee,C3\n"
    "P2,2026-03-02,97110,30,PT,2,GP,Avery Lee,C4\n"
    "P2,2026-03-02,97110,30,PT,2,GP,Avery Lee,C5\n"
)
"""A day billed over, a PTP pair, treatment before the evaluation, a code under two
claims: one finding of each family."""


def test_findings_by_kind_give_each_family_its_count_and_dollars(tmp_path: Path) -> None:
    source = tmp_path / "families.csv"
    source.write_text(FAMILIES, encoding="utf-8")
    out = tmp_path / "families.html"
    ptp = ROOT / "tests" / "fixtures" / "ptp_sample.txt"
    result = CliRunner().invoke(
        main, ["audit", str(source), "--fees", str(FEES), "--ptp", str(ptp), "--report", str(out)]
    )
    assert result.exit_code == 1, result.output
    by_kind = out.read_text(encoding="utf-8").split('<table id="by-kind">')[1].split("</table>")[0]
    rows = re.findall(r"<tr><td>(.*?)</td>(.*?)</tr>", by_kind)
    cells = {kind: re.findall(r'<td class="num">(.*?)</td>', rest) for kind, rest in rows}
    # P1's 30 minutes of 97110 billed 3 units: 3 x 30.00 less the MPPR's 2 further
    # units' practice expense (2 x 6.00) billed, 2 units' 54.00 allowed.
    assert cells == {
        "group over": ["1", "78.00", "54.00", "24.00"],
        # 97530 and 97150 are not in the fee file: $0 billed and allowed, no difference.
        "edit: NCCI PTP": ["1", "0.00", "0.00", ""],
        "episodes: treatment_before_evaluation": ["1", "", "", ""],
        "pattern: duplicate claim lines": ["1", "", "", ""],
    }
    assert [kind for kind, _ in rows] == list(cells)  # a family at a time, in this order
