"""The Moses tokenizer's word boundaries, found in one scan instead of thirty rewrites of the text.

sacremoses rewrites the whole string once per rule (padding, dot runs, commas, apostrophes,
non-breaking prefixes) and rebuilds large character sets on every abbreviation check, which made
it most of the cost of every lookup, recognition and import. ``MosesSpans`` applies the same
rules to each run of word characters and returns token spans directly, using sacremoses' own
character classes and prefix lists, so its tokens are the ones sacremoses gives
(``tokenize(escape=False, aggressive_dash_splits=False)``). Text where the rules interact in ways
a one-pass scan does not follow goes to sacremoses itself: control characters, ``,,``, two
apostrophes with at most one character (or one run of spaces) between them, the literal
``DOTMULTI``. tests/test_moses_spans.py checks the equality on real and generated text, and
``python -m bench tokenize`` on every segment of the corpora.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sacremoses import MosesTokenizer

Span = tuple[int, int]

# What sacremoses itself handles: rules whose sequential regex passes interact across characters.
_HARD = re.compile(r"[\x00-\x08\x0e-\x1b`]|,,|'(?:\S|\s+)?'|DOTMULTI")
_DOTS = re.compile(r"\.{2,}")
_DIGITS = frozenset("0123456789")


def _neighbours(run: str, k: int, s: int, e: int, first: bool, last: bool) -> tuple[str | None, str | None]:
    """The characters around run[k] as Moses sees them inside run[s:e]: a space where a split
    already separates the piece, None where the text itself begins or ends."""
    prev = run[k - 1] if k > s else (None if first else " ")
    nxt = run[k + 1] if k + 1 < e else (None if last else " ")
    return prev, nxt


class MosesSpans:
    """Token spans of one language's Moses tokenizer, exact on text it accepts, sacremoses otherwise."""

    def __init__(self, moses: MosesTokenizer, lang: str) -> None:
        cls = type(moses)
        self.moses = moses
        self.english = lang == "en"
        self.alpha = frozenset(cls.IsAlpha)
        self.num = frozenset(cls.IsN)
        self.lower = frozenset(cls.IsLower)
        self.prefixes = frozenset(moses.NONBREAKING_PREFIXES) - frozenset(moses.NUMERIC_ONLY_PREFIXES)
        self.numeric_only = frozenset(moses.NUMERIC_ONLY_PREFIXES)
        # One match per token where the rules need no context beyond the regex, else one per run:
        #   a plain run (no . ' ,), possessive so that it fails fast before one of them, also when
        #   a comma Moses always splits off follows it (before a space or at the end);
        #   such a comma itself;
        #   French: a clitic cut after its apostrophe between two letters (l'|Alliance);
        #   English: a word cut before an apostrophe between two letters (don|'t), and that
        #   apostrophe with a plain run after it;
        #   group 1: any other run holding a . ' or , for the rules in Python;
        #   one character that Moses pads on its own.
        word = re.escape(cls.IsAlnum)
        letter = re.escape(cls.IsAlpha)
        plain = rf"[{word}\-]++(?:(?![.',])|(?=,(?:\s|\Z)))"
        comma = r",(?=\s|\Z)"
        if self.english:
            tail = rf"'[{letter}][{word}\-]*+(?![.',])"
            apostrophe = rf"[{word}\-]++(?<=[{letter}])(?={tail})|(?<=[{letter}]){tail}"
        else:
            apostrophe = rf"[{word}\-]++(?<=[{letter}])'(?=[{letter}])"
        self.runs = re.compile(rf"{plain}|{comma}|{apostrophe}|([{word}.',\-]++)|[^\s{word}.',\-`]")

    def tokens(self, text: str) -> list[str]:
        """The tokens sacremoses would give for ``text`` (the reference this class is tested against)."""
        return [text[s:e] for s, e in self.spans(text)]

    def spans(self, text: str) -> list[Span]:
        """Token spans into ``text``, in order; text[start:end] is each token."""
        if _HARD.search(text):
            return self._reference(text)
        matches = list(self.runs.finditer(text))
        out: list[Span] = []
        dotted: list[int] = []  # tokens ending in a full stop: only runs with a . ' or , make them
        last = len(matches) - 1
        for i, m in enumerate(matches):
            if m.lastindex is None or m.end() - m.start() == 1:
                out.append(m.span())
                continue
            first = len(out)
            self._run(m.group(), m.start(), i == 0, i == last, out)
            dotted.extend(j for j in range(first, len(out)) if text[out[j][1] - 1] == ".")
        if dotted:
            self._prefixes(text, out, dotted)
        return self._trailing(text, out)

    def _reference(self, text: str) -> list[Span]:
        spans: list[Span] = []
        cursor = 0
        for tok in self.moses.tokenize(text, escape=False, aggressive_dash_splits=False):
            at = text.find(tok, cursor)
            if at >= 0:  # a token Moses rewrote (a control character dropped) points at nothing
                spans.append((at, at + len(tok)))
                cursor = at + len(tok)
        return spans

    def _run(self, run: str, base: int, first: bool, last: bool, out: list[Span]) -> None:
        """Split one run: dot runs apart, then commas, then apostrophes."""
        pos = 0
        for m in _DOTS.finditer(run):
            if m.start() > pos:
                self._commas(run, pos, m.start(), base, first and pos == 0, False, out)
            out.append((base + m.start(), base + m.end()))
            pos = m.end()
        if pos < len(run):
            self._commas(run, pos, len(run), base, first and pos == 0, last, out)

    def _commas(self, run: str, s: int, e: int, base: int, first: bool, last: bool, out: list[Span]) -> None:
        """A comma stays inside a token only between two digits (or first in the text, before one)."""
        piece = s
        k = run.find(",", s, e)
        while k >= 0:
            prev, nxt = _neighbours(run, k, s, e, first, last)
            if nxt is None or nxt not in self.num or (prev is not None and prev not in self.num):
                if k > piece:
                    self._apostrophes(run, piece, k, base, first and piece == s, False, out)
                out.append((base + k, base + k + 1))
                piece = k + 1
            k = run.find(",", k + 1, e)
        if piece < e:
            self._apostrophes(run, piece, e, base, first and piece == s, last, out)

    def _apostrophes(self, run: str, s: int, e: int, base: int, first: bool, last: bool, out: list[Span]) -> None:
        start = s
        k = run.find("'", s, e)
        while k >= 0:
            cut = self._apostrophe_cut(*_neighbours(run, k, s, e, first, last))
            if cut == "after":  # French l'|Alliance: the apostrophe stays with the clitic
                out.append((base + start, base + k + 1))
                start = k + 1
            elif cut == "before":  # English don|'t, 1990|'s
                if k > start:
                    out.append((base + start, base + k))
                start = k
            elif cut == "apart":
                if k > start:
                    out.append((base + start, base + k))
                out.append((base + k, base + k + 1))
                start = k + 1
            k = run.find("'", k + 1, e)
        if start < e:
            out.append((base + start, base + e))

    def _apostrophe_cut(self, prev: str | None, nxt: str | None) -> str:
        """Where Moses cuts around an apostrophe, from its two neighbours (None: the text ends there)."""
        if prev is None or nxt is None:
            return ""
        before, after = prev in self.alpha, nxt in self.alpha
        if before and after:
            return "before" if self.english else "after"
        if not self.english or not after:
            return "apart"
        if prev not in self.num:
            return "apart"
        return "before" if nxt == "s" else ""

    def _prefixes(self, text: str, spans: list[Span], dotted: list[int]) -> None:
        """Split a final full stop off a token unless it ends an abbreviation (Moses' non-breaking prefixes)."""
        last = len(spans) - 1
        for i in reversed(dotted):  # from the end, so that splitting one leaves the others' indexes
            s, e = spans[i]
            if e - s < 2 or text[e - 2] == ".":  # a lone full stop, or a dot run: a token of its own
                continue
            prefix = text[s : e - 1]
            following = text[spans[i + 1][0]] if i < last else ""
            if (
                ("." in prefix and any(c in self.alpha for c in prefix))
                or prefix in self.prefixes
                or following in self.lower
                or (prefix in self.numeric_only and following in _DIGITS)
            ):
                continue
            spans[i : i + 1] = [(s, e - 1), (e - 1, e)]

    def _trailing(self, text: str, spans: list[Span]) -> list[Span]:
        """A text ending in .' ends with the two as separate tokens."""
        if spans:
            s, e = spans[-1]
            if e - s >= 2 and text[e - 2 : e] == ".'":
                spans[-1:] = [(s, e - 2), (e - 2, e - 1), (e - 1, e)] if e - s > 2 else [(s, e - 1), (e - 1, e)]
        return spans
