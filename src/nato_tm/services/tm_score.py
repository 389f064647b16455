"""The match score (0-101) between a query segment and a stored source segment, and what goes with it.

Defined on the text pipeline's tokens (see docs/matching.md for worked examples):

* content keys: word stems, one ``#num`` per number and one ``#date`` per date;
* content similarity ``sim = 1 - (lev(keys) + lev(bases)) / (2 * max(len))`` where ``lev`` is the
  token-level Levenshtein distance (rapidfuzz) and ``bases`` are the words case- and
  accent-folded but not stemmed: a different word costs 1, a different inflection 0.5;
  punctuation and elided clitics are not in it: they only cost small fixed penalties.
* ``sim == 1``: 100 when the canonical texts are equal, else 100 minus a fixed penalty per kind
  of difference (numbers/dates 2, punctuation 1, case 1, accents 1, whitespace 1, inline tags 1),
  never below 95; 101 when exact and the previous segment matches too.
* otherwise fuzzy: ``floor(100 * sim)`` minus 0.5 per punctuation edit (at most 3), 1 when
  numbers differ and 1 for inline tags, never above 94.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

from rapidfuzz.distance import Levenshtein

from nato_tm.text.pipeline import Token, canonical, fold_accents
from nato_tm.text.placeables import (
    Analysis,
    DateValue,
    Placeable,
    Profile,
    analyse,
    format_date,
    format_number,
    group_char,
)

PENALTY = {"numbers": 2, "punctuation": 1, "case": 1, "accents": 1, "whitespace": 1, "tags": 1}
MULTI_TRANSLATION_PENALTY = 1
BANDS = ((101, "context"), (100, "exact"), (95, "near"), (85, "fuzzy-high"), (75, "fuzzy-medium"), (50, "fuzzy-low"))


@dataclass(frozen=True, slots=True)
class Score:
    """A score with its band and the kinds of difference that cost points."""

    value: int
    band: str
    differences: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EditOp:
    """One token-level edit turning the match source into the query, as character ranges in both."""

    op: str  # "replace", "insert" (only in the query) or "delete" (only in the source)
    query_start: int
    query_end: int
    source_start: int
    source_end: int


@dataclass(frozen=True, slots=True)
class Substitution:
    """A number or date of the target replaced by the query's."""

    kind: str
    original: str
    replacement: str
    start: int  # offsets into the original target
    end: int


@dataclass(slots=True)
class Proposal:
    """The target to propose: substituted when the query's numbers or dates differ."""

    target: str
    substitutions: list[Substitution] = field(default_factory=list)


def band(score: int) -> str:
    """The translators' band a score falls in."""
    return next((name for floor, name in BANDS if score >= floor), "none")


def upper_bound(query_keys: tuple[str, ...] | list[str], keys: tuple[str, ...] | list[str]) -> int:
    """A cheap upper bound of ``score`` from the content keys alone (the index prunes with it)."""
    dist = Levenshtein.distance(query_keys, keys)
    if dist == 0:
        return 101
    return min(94, math.floor(100 * (1 - dist / max(len(query_keys), len(keys)))))


def similarity(q: Profile, m: Profile) -> float:
    """Content similarity in [0, 1]: stems and folded words, punctuation excluded."""
    size = max(len(q.keys), len(m.keys))
    if size == 0:
        return 1.0
    dist = Levenshtein.distance(q.keys, m.keys) + Levenshtein.distance(q.bases, m.bases)
    return 1 - dist / (2 * size)


def _values(a: Analysis) -> list[Decimal | DateValue]:
    return [p.value for p in a.placeables]


def _words(a: Analysis) -> list[Token]:
    """Word tokens outside numbers and dates (a date's month is compared as part of the date)."""
    inside = {i for p in a.placeables for i in range(p.first, p.last + 1)}
    return [t for i, t in enumerate(a.tokens) if t.kind == "word" and i not in inside]


def _surface_kinds(q: Analysis, m: Analysis) -> list[str]:
    """Case and accent differences between the words of two segments whose folded words are equal."""
    pairs = list(zip(_words(q), _words(m), strict=False))
    kinds: list[str] = []
    if any(fold_accents(a.text) != fold_accents(b.text) for a, b in pairs):
        kinds.append("case")
    if any(a.fold != b.fold for a, b in pairs):
        kinds.append("accents")
    return kinds


def near_differences(q: Analysis, m: Analysis, q_text: str, m_text: str, *, tags: bool) -> list[str]:
    """The kinds of difference between two segments whose content is the same."""
    kinds: list[str] = []
    if _values(q) != _values(m) or [p.text for p in q.placeables] != [p.text for p in m.placeables]:
        kinds.append("numbers")
    if q.minor != m.minor:
        kinds.append("punctuation")
    kinds.extend(_surface_kinds(q, m))
    cq, cm = canonical(q_text), canonical(m_text)
    if cq != cm and "".join(cq.split()) == "".join(cm.split()):
        kinds.append("whitespace")
    if tags:
        kinds.append("tags")
    return kinds


def fuzzy(q: Profile, m: Profile, sim: float, *, tags: bool = False) -> Score:
    """The fuzzy score (at most 94) of two segments whose content differs (``sim < 1``)."""
    penalty = min(3.0, 0.5 * Levenshtein.distance(q.minor, m.minor))
    kinds = ["words"]
    if penalty:
        kinds.append("punctuation")
    if sorted(q.values) != sorted(m.values):
        penalty += 1
        kinds.append("numbers")
    if tags:
        penalty += 1
        kinds.append("tags")
    # Capped first, so that a penalty always shows, even on a long segment with one word changed.
    value = max(0, math.floor(min(94.0, 100 * sim) - penalty))
    return Score(value, band(value), tuple(kinds))


def score(q: Analysis, m: Analysis, q_text: str, m_text: str, *, tags: bool = False, context: bool = False) -> Score:
    """Score a stored source segment ``m`` against the query ``q`` (tags: the stored one has inline tags)."""
    qp, mp = q.profile(), m.profile()
    sim = similarity(qp, mp)
    if sim < 1.0:
        return fuzzy(qp, mp, sim, tags=tags)
    kinds = near_differences(q, m, q_text, m_text, tags=tags)
    if not kinds:
        value = 101 if context else 100
        return Score(value, band(value))
    value = max(95, 100 - sum(PENALTY[k] for k in kinds))
    return Score(value, band(value), tuple(kinds))


def score_stored(
    q: Analysis, m: Profile, q_text: str, m_text: str, lang: str, *, tags: bool = False, context: bool = False
) -> Score:
    """``score`` from a stored profile: the stored text is only tokenised when its content equals the query's."""
    qp = q.profile()
    sim = similarity(qp, m)
    if sim < 1.0:
        return fuzzy(qp, m, sim, tags=tags)
    return score(q, analyse(m_text, lang), q_text, m_text, tags=tags, context=context)


def stored_bound(qp: Profile, m: Profile) -> int:
    """An upper bound of ``score_stored`` from the profiles alone: exact for a fuzzy match without tags."""
    sim = similarity(qp, m)
    return fuzzy(qp, m, sim).value if sim < 1.0 else 101


def _point(tokens: tuple[Token, ...], i: int, text: str) -> tuple[int, int]:
    at = tokens[i].start if i < len(tokens) else len(text)
    return at, at


def _range(tokens: tuple[Token, ...], i: int, j: int, text: str) -> tuple[int, int]:
    return (tokens[i].start, tokens[j - 1].end) if i < j else _point(tokens, i, text)


def edit_ops(q: Analysis, m: Analysis, q_text: str, m_text: str) -> list[EditOp]:
    """Token-level edits from the match source to the query, with character offsets for highlighting."""
    qt, mt = q.tokens, m.tokens
    ops: list[EditOp] = []
    for op in Levenshtein.opcodes([t.text for t in mt], [t.text for t in qt]):
        if op.tag == "equal":
            continue
        ms, me = _range(mt, op.src_start, op.src_end, m_text)
        qs, qe = _range(qt, op.dest_start, op.dest_end, q_text)
        ops.append(EditOp(op.tag, qs, qe, ms, me))
    return ops


def _format(place: Placeable, query: Placeable, lang: str, query_lang: str) -> str:
    """The query's number or date written in the target's language and style."""
    if isinstance(query.value, DateValue):
        return format_date(query.value, lang, like=place.text)
    grouped = group_char(query.text, query_lang) is not None
    return format_number(query.value, lang, like=place.text, grouped=grouped)


def _target_slots(source: Analysis, target: Analysis) -> list[Placeable] | None:
    """For each source placeable, the target placeable of equal value (k-th occurrence to k-th), or None."""
    used: set[int] = set()
    slots: list[Placeable] = []
    for place in source.placeables:
        found = next(
            (i for i, t in enumerate(target.placeables) if i not in used and t.value == place.value),
            None,
        )
        if found is None:
            return None
        used.add(found)
        slots.append(target.placeables[found])
    return slots


def propose(q: Analysis, m: Analysis, t: Analysis, target_text: str, tgt_lang: str, src_lang: str = "fr") -> Proposal:
    """The target with the query's numbers and dates substituted, when those are the only content difference."""
    if q.keys != m.keys or _values(q) == _values(m):
        return Proposal(target_text)
    slots = _target_slots(m, t)
    if slots is None:
        return Proposal(target_text)  # a number we cannot place in the target: propose it unchanged
    subs: list[Substitution] = []
    for qp, mp, tp in zip(q.placeables, m.placeables, slots, strict=True):
        if qp.value != mp.value:
            subs.append(Substitution(tp.kind, tp.text, _format(tp, qp, tgt_lang, src_lang), tp.start, tp.end))
    text = target_text
    for sub in sorted(subs, key=lambda s: s.start, reverse=True):
        text = text[: sub.start] + sub.replacement + text[sub.end :]
    return Proposal(text, subs)
