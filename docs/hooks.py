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

KIND_ORDER = ("timed", "untimed", "deleted")
_URL = re.compile(r"https?://[^\s,;()]+[^\s,;().]")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|])")


def _text(value: str) -> str:
    """Escape text for a Markdown table cell."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(value, quote=False))


def _citation(value: str) -> str:
    """Escape a citation, turning its web addresses into links."""
    out, at = [], 0
    for match in _URL.finditer(value):
        out.append(_text(value[at : match.start()]))
        out.append(f"<{match.group(0)}>")
        at = match.end()
    out.append(_text(value[at:]))
    return "".join(out)


def code_table_markdown(table: CodeTable | None = None) -> str:
    """The code table as Markdown: a summary, one table of every code (timed, then
    untimed, then deleted) and the numbered sources the table cites.

    >>> page = code_table_markdown()
    >>> "| 97110 | timed | 15 | therapeutic exercise |" in page
    True
    """
    table = table if table is not None else CodeTable.default()
    entries = sorted(table, key=lambda info: (KIND_ORDER.index(info.kind), info.code))
    counts = {kind: sum(info.kind == kind for info in entries) for kind in KIND_ORDER}
    # Number the sources in order of first citation, primary texts (CMS, the Federal
    # Register) before the secondary ones, whose citations start "(secondary: ...)".
    cited = dict.fromkeys(source for info in entries for source in info.sources)
    ordered = sorted(cited, key=lambda source: source.startswith("("))
    numbers = {source: number for number, source in enumerate(ordered, start=1)}

    lines = [
        f"{len(entries)} codes: {counts['timed']} timed, {counts['untimed']} untimed "
        f"and {counts['deleted']} deleted.",
        "",
        "| code | kind | unit minutes | label | add-on or deletion | notes | sources |",
        "|---|---|---|---|---|---|---|",
    ]
    for info in entries:
        relation = []
        if info.addon_of:
            relation.append(f"add-on of {info.addon_of}")
        addons = table.addons(info.code)
        if addons:
            relation.append(f"has add-on {', '.join(addons)}")
        if info.deleted_on is not None:
            relation.append(
                f"deleted {info.deleted_on.isoformat()}; replaced by {', '.join(info.replaced_by)}"
            )
        notes = [info.note] if info.note else []
        if info.disciplines:
            notes.append(f"disciplines: {', '.join(info.disciplines)}")
        notes.extend(f"under {rule}: {note}" for rule, note in info.rule_notes.items())
        sources = ", ".join(
            f"[{number}](#source-{number})"
            for number in sorted(numbers[source] for source in info.sources)
        )
        cells = [
            info.code,
            info.kind,
            str(info.unit_minutes) if info.unit_minutes is not None else "",
            _text(info.label),
            _text("; ".join(relation)),
            _text("; ".join(notes)),
            sources,
        ]
        lines.append("| " + " | ".join(cells) + " |")
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
        def extendMarkdown(self, md: Any) -> None:  # noqa: N802 (Markdown's name)
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
