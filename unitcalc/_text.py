"""Small wording helpers shared by the explanations."""

from __future__ import annotations


def count_of(count: int, noun: str) -> str:
    """``count_of(1, "unit")`` is ``'1 unit'``; ``count_of(2, "full unit")`` is
    ``'2 full units'``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
