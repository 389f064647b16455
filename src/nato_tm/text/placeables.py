"""Placeables: numbers and dates recognised in pipeline tokens, and the keys the memory index matches on.

Pure (no DB). The memory index and the scorer both derive their token keys here, so what the
index finds and what the scorer measures can never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence

from nato_tm.text.pipeline import Token

NUM_KEY = "#num"  # every number matches every other number: only its value differs
DATE_KEY = "#date"


def match_keys(tokens: Sequence[Token]) -> list[str]:
    """The content keys a segment is matched on: word stems, and one placeholder per number or date."""
    out: list[str] = []
    for tok in tokens:
        if tok.kind == "word":
            out.append(tok.stem)
        elif tok.kind == "number":
            out.append(NUM_KEY)
    return out


def search_keys(tokens: Sequence[Token]) -> set[str]:
    """Keys a concordance search may ask for: word stems and number values (not placeholders)."""
    return {tok.stem if tok.kind == "word" else "=" + tok.base for tok in tokens if tok.kind in ("word", "number")}
