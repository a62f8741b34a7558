"""Rewrite the output under every ``$ unitcalc ...`` line of the README and docs/.

Run ``python -m tests.refresh_docs`` after changing what a command prints, then read the
diff: tests/test_docs.py fails until the published output matches the program again.
"""

from __future__ import annotations

import re
import shlex

from click.testing import CliRunner

from tests.test_docs import CONSOLE_BLOCK, DOC_ENV, DOCUMENTS
from unitcalc.cli import main


def run(command: str) -> str:
    words = shlex.split(command)
    stdin = None
    if "<<<" in words:
        at = words.index("<<<")
        words, stdin = words[:at], words[at + 1]
    result = CliRunner(env=DOC_ENV).invoke(main, words[1:], input=stdin)
    return "\n".join(line.rstrip() for line in result.output.rstrip("\n").splitlines())


def refresh_block(match: re.Match[str]) -> str:
    out = ["```console"]
    for line in match.group(1).splitlines():
        if line.startswith("$ "):
            out.extend([line, run(line[2:])])
    return "\n".join(out) + "\n```"


def main_refresh() -> None:
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        new = CONSOLE_BLOCK.sub(refresh_block, text)
        if new != text:
            document.write_text(new, encoding="utf-8")
            print(f"refreshed {document}")


if __name__ == "__main__":
    main_refresh()
