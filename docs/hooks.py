"""MkDocs hooks of the unitcalc site (``hooks:`` in mkdocs.yml).

- The code table page is generated at build time from the table packaged with unitcalc
  (``unitcalc/data/codes.toml``, read through ``CodeTable.default()``), so the published
  table cannot drift from the data. The page on disk holds only its prose and a marker
  line; the generated table never lands in the repository, so doctest and the console
  example test never see it.
- Docstrings rendered by mkdocstrings: their bare doctests (``>>>`` lines, which Markdown
  would read as nested quotes) become ``pycon`` code blocks, and Sphinx roles such as
  ``:class:`~unitcalc.Result``` become plain code.

Nothing here imports MkDocs or Markdown at module level: tests/test_site.py calls the
generator without MkDocs installed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

from unitcalc import CodeTable

CODE_TABLE_MARKER = "<!-- unitcalc: code table, generated at build time -->"

KIND_ORDER = ("timed", "untimed", "monthly", "deleted", "unlisted")
_URL = re.compile(r"https?://\S+")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|])")


def _text(value: str) -> str:
    """Escape text for a Markdown table cell."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(value, quote=False))


def _citation(value: str) -> str:
    """Escape a citation, turning its web addresses into links."""
    out, at = [], 0
    for match in _URL.finditer(value):
        # An address may hold commas; punctuation or a closing parenthesis after it
        # belongs to the sentence.
        url = match.group(0).rstrip(".,;:")
        if url.endswith(")") and url.count("(") < url.count(")"):
            url = url[:-1]
        out.append(_text(value[at : match.start()]))
        out.append(f"<{url}>")
        at = match.start() + len(url)
    out.append(_text(value[at:]))
    return "".join(out)


KIND_HEADINGS = {
    "timed": "Timed codes",
    "untimed": "Untimed codes",
    "monthly": "Monthly codes (counted by the month, never by the day)",
    "deleted": "Deleted codes",
    "unlisted": "Unlisted codes (counted once you declare how)",
}
THERAPY_LIST_WORDS = {
    "always": "always therapy",
    "sometimes": "sometimes therapy",
    "not-therapy": "billed without a therapy modifier",
}
COLUMNS = {
    "timed": (
        "code",
        "unit minutes",
        "label",
        "add-on",
        "valid",
        "therapy list",
        "notes",
        "sources",
    ),
    "untimed": ("code", "label", "valid", "therapy list", "notes", "sources"),
    "monthly": ("code", "label", "valid", "counted by", "sources"),
    "deleted": (
        "code",
        "label",
        "valid",
        "deleted on",
        "replaced by",
        "counted while valid",
        "notes",
        "sources",
    ),
    "unlisted": ("code", "label", "declare", "notes", "sources"),
}


def code_table_markdown(table: CodeTable | None = None) -> str:
    """The code table as Markdown: a summary, one table for each kind of code (timed,
    untimed, monthly, deleted, unlisted) and the numbered sources the tables cite.

    >>> page = code_table_markdown()
    >>> "| 97110 | 15 | therapeutic exercise |" in page
    True
    """
    table = table if table is not None else CodeTable.default()
    by_kind = {
        kind: sorted((i for i in table if i.kind == kind), key=lambda i: i.code)
        for kind in KIND_ORDER
    }
    # Number the sources in order of first citation, primary texts (CMS, the Federal
    # Register) before the secondary ones, whose citations start "(secondary: ...)".
    cited = dict.fromkeys(
        s
        for kind in KIND_ORDER
        for info in by_kind[kind]
        for s in (*info.sources, *info.valid_sources, *info.therapy_list_sources)
    )
    ordered = sorted(cited, key=lambda source: source.startswith("("))
    numbers = {source: number for number, source in enumerate(ordered, start=1)}

    counts = ", ".join(f"{len(by_kind[kind])} {kind}" for kind in KIND_ORDER)
    lines = [f"{len(table)} codes: {counts}."]
    for kind in KIND_ORDER:
        if not by_kind[kind]:
            continue
        columns = COLUMNS[kind]
        lines += ["", f"## {KIND_HEADINGS[kind]}", ""]
        lines += ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        for info in by_kind[kind]:
            notes = [info.note] if info.note else []
            if info.disciplines:
                notes.append(f"disciplines: {', '.join(info.disciplines)}")
            notes.extend(f"under {rule}: {note}" for rule, note in info.rule_notes.items())
            addons = table.addons(info.code)
            cell = {
                "code": info.code,
                "unit minutes": str(info.unit_minutes or ""),
                "label": _text(info.label),
                "add-on": (
                    f"add-on of {info.addon_of}"
                    if info.addon_of
                    else f"has add-on {', '.join(addons)}"
                    if addons
                    else ""
                ),
                "valid": " ".join(
                    [
                        info.window,
                        *(
                            f"[{number}](#source-{number})"
                            for number in sorted(numbers[source] for source in info.valid_sources)
                        ),
                    ]
                ).strip(),
                "counted by": _text(info.monthly_counting or ""),
                "declare": _text(info.declare_hint or ""),
                "therapy list": " ".join(
                    [
                        THERAPY_LIST_WORDS.get(info.therapy_list or "", ""),
                        *(
                            f"[{number}](#source-{number})"
                            for number in sorted(
                                numbers[source] for source in info.therapy_list_sources
                            )
                        ),
                    ]
                ).strip(),
                "counted while valid": (
                    f"{info.valid_kind}"
                    + (f", {info.unit_minutes}-minute units" if info.unit_minutes else "")
                    if info.valid_kind
                    else "unknown: a dated visit asks for it"
                ),
                "deleted on": info.deleted_on.isoformat() if info.deleted_on else "",
                "replaced by": ", ".join(info.replaced_by),
                "notes": _text("; ".join(notes)),
                "sources": ", ".join(
                    f"[{number}](#source-{number})"
                    for number in sorted(numbers[source] for source in info.sources)
                ),
            }
            lines.append("| " + " | ".join(cell[column] for column in columns) + " |")
    lines += ["", "## Sources", ""]
    lines += [
        f'{number}. <span id="source-{number}"></span>{_citation(source)}'
        for number, source in enumerate(ordered, start=1)
    ]
    return "\n".join(lines) + "\n"


_DOCTEST_START = re.compile(r"^(\s*)>>>( |$)")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_SPHINX_ROLE = re.compile(
    r":(?:py:)?(?:class|meth|func|attr|mod|data|exc|obj|const):`~?(?:[\w.]*\.)?([\w]+)(\(\))?`"
)


def fence_docstring(lines: Iterable[str]) -> list[str]:
    """Put bare doctests in ``pycon`` fences and turn Sphinx roles into code spans.

    A doctest runs from a ``>>>`` line to the next blank line; text inside existing
    fences is left alone.

    >>> fence_docstring(["See :meth:`~unitcalc.CodeTable.load`.", ">>> 1 + 1", "2"])
    ['See `load`.', '```pycon', '>>> 1 + 1', '2', '```']
    """
    out: list[str] = []
    fence: str | None = None
    doctest_indent: str | None = None
    for line in lines:
        if doctest_indent is not None:
            if line.strip():
                out.append(line)
                continue
            out.append(f"{doctest_indent}```")
            doctest_indent = None
        opening = _FENCE.match(line)
        if fence is not None:
            if opening and opening.group(1).startswith(fence):
                fence = None
            out.append(line)
        elif opening:
            fence = opening.group(1)
            out.append(line)
        elif start := _DOCTEST_START.match(line):
            doctest_indent = start.group(1)
            out += [f"{doctest_indent}```pycon", line]
        else:
            out.append(_SPHINX_ROLE.sub(lambda m: f"`{m.group(1)}`", line))
    if doctest_indent is not None:
        out.append(f"{doctest_indent}```")
    return out


def _docstring_extension() -> Any:
    from markdown import Extension
    from markdown.preprocessors import Preprocessor

    class DocstringPreprocessor(Preprocessor):
        def run(self, lines: list[str]) -> list[str]:
            return fence_docstring(lines)

    class DocstringExtension(Extension):
        def extendMarkdown(self, md: Any) -> None:  # Markdown's name for the hook
            # After whitespace normalisation (30), before fenced code blocks (25).
            md.preprocessors.register(DocstringPreprocessor(md), "unitcalc_docstrings", 28)

    return DocstringExtension()


def on_config(config: Any) -> Any:
    # The same list of extensions serves the pages and mkdocstrings' docstrings.
    config.markdown_extensions.append(_docstring_extension())
    return config


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if CODE_TABLE_MARKER in markdown:
        return markdown.replace(CODE_TABLE_MARKER, code_table_markdown())
    return markdown
