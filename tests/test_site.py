"""Hold the documentation site to the code, without MkDocs.

`mkdocs build --strict` runs in CI on its own; these tests need only the standard
library: the generated code table page matches the packaged table, every page of the
navigation exists and every page is in it, and the tables and files the pages show
agree with unitcalc.
"""

from __future__ import annotations

import html
import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

import unitcalc
from unitcalc import CodeTable, define_code

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
MKDOCS_YML = ROOT / "mkdocs.yml"


def load_hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("unitcalc_site_hooks", DOCS / "hooks.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hooks = load_hooks()


def table_rows(markdown: str) -> dict[str, dict[str, str]]:
    """The code table's rows by code: each row's cells by column name, and its kind
    from the section it is in ("## Timed codes" ...)."""
    rows: dict[str, dict[str, str]] = {}
    kind, columns = "", []
    for line in markdown.splitlines():
        if heading := re.fullmatch(r"## (Timed|Untimed|Monthly|Deleted|Unlisted) codes.*", line):
            kind = heading.group(1).lower()
        if not line.startswith("| "):
            continue
        cells = [cell.strip() for cell in line[2:-2].split(" | ")]
        if cells[0] == "code":
            columns = cells
        elif re.fullmatch(r"[0-9A-Z]{5}", cells[0]):
            assert len(cells) == len(columns), line
            rows[cells[0]] = {"kind": kind, **dict(zip(columns, cells, strict=True))}
    return rows


def plain(cell: str) -> str:
    """Markdown cell text back to plain text: no autolink brackets, escapes or entities."""
    cell = re.sub(r"<(https?://[^>\s]+)>", r"\1", cell)
    return html.unescape(re.sub(r"\\(.)", r"\1", cell))


def cited_sources(markdown: str) -> dict[int, str]:
    """The numbered list of sources under the table."""
    return {
        int(number): text
        for number, text in re.findall(
            r'^(\d+)\. <span id="source-\d+"></span>(.*)$', markdown, re.MULTILINE
        )
    }


# The generated code table page


def test_code_table_lists_every_packaged_code_with_its_kind() -> None:
    table = CodeTable.default()
    rows = table_rows(hooks.code_table_markdown())
    assert {code: row["kind"] for code, row in rows.items()} == {
        info.code: info.kind for info in table
    }


def test_code_table_rows_carry_unit_minutes_label_deletion_and_sources() -> None:
    table = CodeTable.default()
    page = hooks.code_table_markdown()
    rows = table_rows(page)
    sources = cited_sources(page)
    for info in table:
        row = rows[info.code]
        assert plain(row["label"]) == info.label
        if info.timed:
            assert row["unit minutes"] == str(info.unit_minutes)
        if info.addon_of:
            assert row["add-on"] == f"add-on of {info.addon_of}"
        if info.deleted:
            assert row["deleted on"] == str(info.deleted_on)
            assert row["replaced by"] == ", ".join(info.replaced_by)
        numbers = [int(n) for n in re.findall(r"\[(\d+)\]\(#source-\d+\)", row["sources"])]
        assert len(numbers) == len(info.sources), info.code
        assert {plain(sources[n]) for n in numbers} == set(info.sources), info.code


@pytest.mark.parametrize(
    ("code", "window"),
    [
        ("97001", "to 2016-12-31"),
        ("97161", "from 2017-01-01"),
        ("G0515", "2018-01-01 to 2019-12-31"),
    ],
    ids=["closing", "opening", "both-ends"],
)
def test_code_table_rows_show_each_window_with_its_source(code: str, window: str) -> None:
    page = hooks.code_table_markdown()
    cell = table_rows(page)[code]["valid"]
    assert cell.startswith(window + " [")
    numbers = [int(n) for n in re.findall(r"\[(\d+)\]\(#source-\d+\)", cell)]
    info = CodeTable.default().codes[code]
    assert {plain(cited_sources(page)[n]) for n in numbers} == set(info.valid_sources)


def test_monthly_codes_have_their_own_section() -> None:
    rows = table_rows(hooks.code_table_markdown())
    assert rows["98980"]["kind"] == "monthly"
    assert "calendar month" in rows["98980"]["counted by"]


def test_code_table_counts_the_codes() -> None:
    table = CodeTable.default()
    page = hooks.code_table_markdown()
    timed = sum(info.timed for info in table)
    assert page.startswith(f"{len(table)} codes: {timed} timed, ")
    assert "## Timed codes" in page
    assert "## Sources" in page


def test_code_table_is_generated_from_the_table_it_is_given() -> None:
    table = CodeTable.default().with_codes(define_code("0999T=timed/30"))
    rows = table_rows(hooks.code_table_markdown(table))
    assert rows["0999T"]["kind"] == "timed"
    assert rows["0999T"]["unit minutes"] == "30"
    assert rows["0999T"]["label"] == "user-defined timed code"


def test_code_table_escapes_markdown_in_table_cells() -> None:
    tricky = unitcalc.CodeInfo(
        code="0998T",
        label="a | b *c* <d>",
        kind="untimed",
        sources=("(see https://x.test/a_b,-1/), or https://y.test.",),
    )
    page = hooks.code_table_markdown(CodeTable.default().with_codes(tricky))
    assert table_rows(page)["0998T"]["label"] == r"a \| b \*c\* &lt;d&gt;"
    assert "(see <https://x.test/a_b,-1/>), or <https://y.test>." in page


def test_code_table_page_on_disk_holds_only_the_marker() -> None:
    # The table is put in at build time (docs/hooks.py); a copy on disk could drift.
    text = (DOCS / "reference" / "code-table.md").read_text(encoding="utf-8")
    assert text.count(hooks.CODE_TABLE_MARKER) == 1
    assert not table_rows(text)


def test_the_hook_puts_the_table_in_place_of_the_marker() -> None:
    text = (DOCS / "reference" / "code-table.md").read_text(encoding="utf-8")
    built = hooks.on_page_markdown(text, page=None, config=None, files=None)
    assert hooks.CODE_TABLE_MARKER not in built
    assert set(table_rows(built)) == set(CodeTable.default().codes)
    assert hooks.on_page_markdown("# Other page\n", page=None, config=None, files=None) == (
        "# Other page\n"
    )


# Docstrings as the Python API reference renders them


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        pytest.param(
            ["Text.", ">>> 1 + 1", "2", "", "More."],
            ["Text.", "```pycon", ">>> 1 + 1", "2", "```", "", "More."],
            id="doctest-ends-at-blank-line",
        ),
        pytest.param(
            ["    >>> x = 1", "    ... "],
            ["    ```pycon", "    >>> x = 1", "    ... ", "    ```"],
            id="indented-doctest-at-end",
        ),
        pytest.param(
            ["```pycon", ">>> 1", "1", "```"],
            ["```pycon", ">>> 1", "1", "```"],
            id="fenced-doctest-untouched",
        ),
        pytest.param(
            ["Raises :class:`InvalidServiceError` and :func:`~unitcalc.calculate`."],
            ["Raises `InvalidServiceError` and `calculate`."],
            id="sphinx-roles",
        ),
        pytest.param(
            ["````text", ":class:`X`", "```", "````"],
            ["````text", ":class:`X`", "```", "````"],
            id="longer-fence-closes-only-on-its-own-length",
        ),
    ],
)
def test_fence_docstring(lines: list[str], expected: list[str]) -> None:
    assert hooks.fence_docstring(lines) == expected


# The navigation


def nav_pages() -> list[str]:
    """Every page named in the nav: section of mkdocs.yml (parsed without YAML, which the
    test environment need not have)."""
    text = MKDOCS_YML.read_text(encoding="utf-8")
    section = re.search(r"^nav:\n((?:[ \t]+.*\n|\n)*)", text, re.MULTILINE)
    assert section is not None, "mkdocs.yml has no nav:"
    return re.findall(r"^\s*-\s+(?:[^:\n]+:\s+)?(\S+\.md)\s*$", section.group(1), re.MULTILINE)


def test_the_nav_is_found() -> None:
    pages = nav_pages()
    assert pages[0] == "index.md"
    assert "reference/python.md" in pages
    assert len(pages) == len(set(pages)), "a page is listed twice"


@pytest.mark.parametrize("page", nav_pages())
def test_every_nav_page_exists(page: str) -> None:
    assert (DOCS / page).is_file(), f"mkdocs.yml lists {page}, which is not in docs/"


def test_every_page_is_in_the_nav() -> None:
    pages = {path.relative_to(DOCS).as_posix() for path in DOCS.glob("**/*.md")}
    assert pages - set(nav_pages()) == set()


def test_mkdocs_uses_the_hooks_and_keeps_them_off_the_site() -> None:
    text = MKDOCS_YML.read_text(encoding="utf-8")
    assert re.search(r"^hooks:\n\s+- docs/hooks\.py$", text, re.MULTILINE)
    assert re.search(r"^exclude_docs: \|\n\s+hooks\.py$", text, re.MULTILINE)


def test_the_python_reference_renders_the_package() -> None:
    text = (DOCS / "reference" / "python.md").read_text(encoding="utf-8")
    assert re.search(r"^::: unitcalc$", text, re.MULTILINE)


# What the pages show


def test_rules_side_by_side_table_matches_unitcalc() -> None:
    text = (DOCS / "rules.md").read_text(encoding="utf-8")
    row = re.compile(r"^\| (?:Example \d|two short codes) \| (.+?) \| (.+?) \| (.+?) \|$", re.M)
    rows = row.findall(text)
    assert len(rows) == 6
    for minutes_cell, cms_cell, ama_cell in rows:
        minutes = {code: int(n) for code, n in re.findall(r"(\d{5}) (\d+)", minutes_cell)}
        for rule, cell in (("cms", cms_cell), ("ama", ama_cell)):
            result = unitcalc.calculate(minutes, rule=rule)
            total, _, allocation = cell.partition(": ")
            shown = dict(re.findall(r"(\d{5}) x(\d+)", allocation))
            assert int(total) == result.total_units, (minutes, rule)
            assert {code: int(n) for code, n in shown.items()} == dict(result.units)
            assert ("(tie)" in cell) == (result.tie is not None), (minutes, rule)


@pytest.mark.parametrize("page", ["audit.md", "reference/json.md"])
def test_pages_show_the_example_file_as_it_is(page: str) -> None:
    example = (DOCS / "examples" / "visits.csv").read_text(encoding="utf-8")
    text = (DOCS / page).read_text(encoding="utf-8")
    assert f"```text\n{example}```" in text


def test_code_table_shows_therapy_list_designations_and_unlisted_codes() -> None:
    page = hooks.code_table_markdown()
    rows = table_rows(page)
    sources = cited_sources(page)
    for info in CodeTable.default():
        if info.therapy_list is not None:
            cell = rows[info.code]["therapy list"]
            assert cell.startswith(hooks.THERAPY_LIST_WORDS[info.therapy_list] + " ["), info.code
            numbers = [int(n) for n in re.findall(r"\[(\d+)\]\(#source-\d+\)", cell)]
            assert {plain(sources[n]) for n in numbers} == set(info.therapy_list_sources)
        if info.unlisted:
            assert rows[info.code]["kind"] == "unlisted"
            assert plain(rows[info.code]["declare"]) == info.declare_hint
