"""Shaping service documents for the templates: direction, term order, highlighted pieces."""

from __future__ import annotations

from typing import Any

# Direction switch: key -> (source, target, label).
DIRECTIONS = {"fr-en": ("fr", "en", "FR → EN"), "en-fr": ("en", "fr", "EN → FR")}
_STATUS_ORDER = {"preferred": 0, "admitted": 1, "superseded": 2, "deprecated": 3}
_TYPE_ORDER = {"fullForm": 0, "acronym": 1, "abbreviation": 2, "shortForm": 3, "variant": 4, "phrase": 5}


def direction(value: str | None) -> tuple[str, str, str]:
    """Source, target and key of the direction asked for (FR → EN unless told otherwise)."""
    key = value if value in DIRECTIONS else "fr-en"
    src, tgt, _label = DIRECTIONS[key]
    return src, tgt, key


def ordered_terms(terms: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Preferred before admitted before superseded and deprecated; full forms before acronyms."""

    def key(term: dict[str, Any]) -> tuple[int, int]:
        return _STATUS_ORDER.get(term.get("status", ""), 9), _TYPE_ORDER.get(term.get("type", ""), 9)

    return sorted(terms, key=key)


def copy_target(terms: list[dict[str, Any]]) -> str:
    """The term a translator copies: the first approved one in display order."""
    for term in ordered_terms(terms):
        if term.get("status") not in ("deprecated", "superseded"):
            return str(term.get("text", ""))
    return ""


def mark_hits(text: str, hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Cut ``text`` into plain pieces and recognised-term pieces; overlapping hits keep the first."""
    pieces: list[dict[str, Any]] = []
    pos = 0
    for hit in sorted(hits, key=lambda h: (h["start"], -h["end"])):
        start, end = int(hit["start"]), int(hit["end"])
        if start < pos or end <= start:
            continue
        if start > pos:
            pieces.append({"text": text[pos:start], "hit": None})
        pieces.append({"text": text[start:end], "hit": hit})
        pos = end
    if pos < len(text):
        pieces.append({"text": text[pos:], "hit": None})
    return pieces


def diff_pieces(match: dict[str, Any], query: str) -> list[dict[str, Any]]:
    """The match's source cut into pieces equal to the query or not, from the match's edit ops."""
    source = str(match.get("source", ""))
    pieces: list[dict[str, Any]] = []
    pos = 0
    edits = sorted(match.get("edits") or [], key=lambda e: (e["source_start"], e["source_end"]))
    for edit in edits:
        start, end = int(edit["source_start"]), int(edit["source_end"])
        if start < pos:
            continue
        if start > pos:
            pieces.append({"text": source[pos:start], "changed": False})
        wanted = query[int(edit["query_start"]) : int(edit["query_end"])]
        pieces.append({"text": source[start:end], "changed": True, "kind": edit["op"], "query": wanted})
        pos = end
    if pos < len(source):
        pieces.append({"text": source[pos:], "changed": False})
    return pieces
