"""The one text pipeline: every module normalises, tokenises and derives keys through here.

Stored text is never altered. Every function here derives something from it:
``canonical`` (NFC, canonical apostrophes/quotes/spaces), ``tokenize`` (tokens with
offsets into the *original* text) and the fold/stem keys used by indexes and scoring.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple

import Stemmer

from nato_tm.text.memo import LangMemo
from nato_tm.text.moses import MosesSpans, Span

LANGS = ("fr", "en")

APOSTROPHES = "\u2019\u02bc\u2018\u2032\u00b4\u0060"
QUOTES = "\u00ab\u00bb\u201c\u201d\u201e\u201f\u2039\u203a"
# NBSP, NNBSP, figure space, thin space, hair space, en/em spaces, ideographic space.
SPACES = "\u00a0\u202f\u2007\u2009\u200a\u2002\u2003\u2004\u2005\u2006\u3000\t\r\n\u2028\u2029\x0b\x0c\x85"
_CHAR_MAP = {**{c: "'" for c in APOSTROPHES}, **{c: '"' for c in QUOTES}, **{c: " " for c in SPACES}}
# Zero-width characters carry no meaning for matching; they are dropped from keys.
_DROP = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}

# French elided words: the apostrophe stays with the clitic (l' + OTAN).
ELISIONS = frozenset(
    [
        "l'",
        "d'",
        "j'",
        "m'",
        "n'",
        "s'",
        "t'",
        "c'",
        "ç'",
        "qu'",
        "jusqu'",
        "lorsqu'",
        "puisqu'",
        "quoiqu'",
        "quelqu'",
        "presqu'",
    ]
)
_LIGATURES = {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"}
# Every mapped character maps to exactly one character, so str.translate keeps offsets.
_TRANSLATE = str.maketrans(_CHAR_MAP)
_MAPPED = re.compile("[" + re.escape("".join(_CHAR_MAP)) + "]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_NUMBER = re.compile(r"^[+-]?\d+(?:[.,\u00a0\u202f ]\d+)*(?:[.,]\d+)?%?$")
_WORD = re.compile(r"\w", re.UNICODE)
_DIGIT_GAP = re.compile(r"\d (?=\d)")
_FR_GROUP = re.compile(r"^\d{3}(?:[.,]\d+)?$")
_FR_GROUPED = re.compile(r"^\d{1,3}(?: \d{3})*$")  # 2, 2 500, 2 500 000: a number still open to a group


class Token(NamedTuple):
    """A token with its offsets into the original text and its derived keys."""

    # A named tuple, not a frozen dataclass: tokens are built by the hundred per segment, and a
    # frozen dataclass's __init__ costs several times a tuple's.
    text: str  # canonical surface (NFC, canonical apostrophe), case kept
    start: int  # offset into the original string
    end: int
    fold: str  # case-folded
    base: str  # case- and accent-folded
    stem: str  # Snowball stem of ``base``
    kind: str  # "word", "number", "punct" or "elision"


_BASE = itemgetter(4)  # Token.base, read in C


@lru_cache(maxsize=1024)
def primary_lang(tag: str) -> str:
    """Return the primary language subtag of a tag such as fr-CA, fr_FR or EN-gb."""
    # Cached: called several times per segment, with a handful of distinct tags.
    return tag.replace("_", "-").split("-", 1)[0].strip().lower()


def _piece(run: str) -> str:
    out = unicodedata.normalize("NFC", run)
    return "".join(_CHAR_MAP.get(c, c) for c in out if c not in _DROP)


def _canonical_map_general(text: str) -> tuple[str, list[int], list[int]]:
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        # A base character and its combining marks compose together under NFC.
        while j < n and unicodedata.combining(text[j]):
            j += 1
        piece = _piece(text[i:j])
        out.append(piece)
        starts.extend([i] * len(piece))
        ends.extend([j] * len(piece))
        i = j
    return "".join(out), starts, ends


def _one_to_one(text: str) -> bool:
    """Whether every character is its own piece and NFC leaves it alone (then the map is per character).

    True for ASCII; otherwise the text must be NFC (so no character changes under NFC on its own)
    and hold no combining mark (so every piece is one character) and nothing dropped.
    """
    if text.isascii():
        return True
    if not unicodedata.is_normalized("NFC", text):
        return False
    return not any(c in _DROP or unicodedata.combining(c) for c in _NON_ASCII.findall(text))


def _translate(text: str) -> str:
    # Most segments hold no character to map: one scan in C instead of a translate per character.
    return text.translate(_TRANSLATE) if _MAPPED.search(text) else text


def canonical_map(text: str) -> tuple[str, list[int], list[int]]:
    """Return the canonical text and, for each of its characters, where its source starts and ends in ``text``."""
    # Fast path, identical output (tests/test_pipeline_fast.py): most segments need no per-character work.
    if _one_to_one(text):
        n = len(text)
        return _translate(text), list(range(n)), list(range(1, n + 1))
    return _canonical_map_general(text)


def canonical(text: str) -> str:
    """NFC with canonical apostrophes, quotes and spaces; case and accents are kept."""
    return canonical_map(text)[0]


def fold_case(text: str) -> str:
    """Case-fold (Unicode casefold)."""
    return text.casefold()


def _fold_accents_general(text: str) -> str:
    text = "".join(_LIGATURES.get(c, c) for c in text)
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


@lru_cache(maxsize=200_000)
def fold_accents(text: str) -> str:
    """Remove diacritics and expand ligatures (sécurité -> securite, œuvre -> oeuvre)."""
    # ASCII has no ligature and no mark; cached because tokens repeat (a vocabulary is small).
    return text if text.isascii() else _fold_accents_general(text)


@lru_cache(maxsize=4)
def _moses(lang: str) -> MosesSpans:
    # Imported on first use: sacremoses takes over a second to import, which every CLI call would pay.
    from sacremoses import MosesTokenizer

    lang = lang if lang in LANGS else "en"
    return MosesSpans(MosesTokenizer(lang=lang), lang)


@lru_cache(maxsize=4)
def _stemmer(lang: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer("french" if lang == "fr" else "english")


@lru_cache(maxsize=200_000)
def stem(word: str, lang: str) -> str:
    """Snowball stem of an already folded word (cached: vocabularies are small)."""
    return str(_stemmer(primary_lang(lang)).stemWord(word))


def _merge(canon: str, spans: list[Span], lang: str) -> list[Span]:
    """Re-join what Moses splits but French keeps whole: aujourd'hui, 1 000,5."""
    french = lang == "fr"
    candidates = _joints(canon, spans, french)
    if not candidates:
        return spans
    joined: set[int] = set()
    left: dict[int, int] = {}  # span index -> start of the (re-joined) token ending with it
    for i in candidates:  # left to right: 1 000 000 joins 1 000 with 000
        ps, pe = left.get(i, spans[i][0]), spans[i][1]
        s, e = spans[i + 1]
        glued = pe == s and canon[pe - 1] == "'" and canon[ps:pe].casefold() not in ELISIONS
        grouped = (
            french
            and s == pe + 1
            and _FR_GROUPED.match(canon[ps:pe]) is not None
            and _FR_GROUP.match(canon[s:e]) is not None
        )
        if glued or grouped:
            joined.add(i)
            left[i + 1] = ps
    if not joined:  # l'Alliance: the apostrophe of an elision joins nothing
        return spans
    out: list[Span] = []
    for i, (s, e) in enumerate(spans):
        if i - 1 in joined:
            out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _joints(canon: str, spans: list[Span], french: bool) -> list[int]:
    """Indexes i where spans i and i + 1 might be re-joined: after an apostrophe, or a digit, space, digit."""
    if "'" not in canon and not (french and _DIGIT_GAP.search(canon)):
        return []  # the usual case: no map of the spans needed
    starts = {s: i for i, (s, _) in enumerate(spans)}
    found: set[int] = set()
    at = canon.find("'")
    while at >= 0:
        i = starts.get(at + 1)
        if i and spans[i - 1][1] == at + 1:
            found.add(i - 1)
        at = canon.find("'", at + 1)
    if french:
        for m in _DIGIT_GAP.finditer(canon):
            i = starts.get(m.end())
            if i and spans[i - 1][1] == m.start() + 1:
                found.add(i - 1)
    return sorted(found)


def _kind(surface: str, fold: str, lang: str) -> str:
    if _NUMBER.match(surface):
        return "number"
    if not _WORD.search(surface):
        return "punct"
    if (lang == "fr" and fold in ELISIONS) or (lang == "en" and fold == "'s"):
        return "elision"
    return "word"


class _Derived(LangMemo[tuple[str, str, str, str]]):
    """(fold, base, stem, kind) per canonical surface form of one language, bounded."""

    def compute(self, key: str) -> tuple[str, str, str, str]:
        """The derived keys of a surface form."""
        fold = fold_case(key)
        base = fold_accents(fold)
        kind = _kind(key, fold, self.lang)
        # Words in capitals are stemmed too: keys must not depend on case (SÉCURITÉ = sécurité).
        return fold, base, stem(base, self.lang) if kind == "word" else base, kind


@lru_cache(maxsize=4)
def _derived(lang: str) -> _Derived:
    return _Derived(lang)


@lru_cache(maxsize=8192)
def tokenize(text: str, lang: str) -> tuple[Token, ...]:
    """Tokenise as Moses does; offsets point into ``text`` itself, so text[start:end] is the surface."""
    return tokens_of(text, lang)


def tokens_of(text: str, lang: str) -> tuple[Token, ...]:
    """``tokenize`` without its cache, for text met once (an import's segments).

    Through the cache, each of an import's millions of segments went in only to push an older one
    out; without it an import worker's CPU a unit fell by about a seventh (BENCHMARKS.md, machine L).
    """
    lang = primary_lang(lang)
    if _one_to_one(text):  # offsets into the canonical text are offsets into ``text``
        canon = _translate(text)
        spans = _merge(canon, _moses(lang).spans(canon), lang)
        return _tokens(canon, spans, spans, lang)
    canon, starts, ends = _canonical_map_general(text)
    spans = _merge(canon, _moses(lang).spans(canon), lang)
    return _tokens(canon, spans, [(starts[s], ends[e - 1]) for s, e in spans], lang)


def _tokens(canon: str, spans: list[Span], offsets: list[Span], lang: str) -> tuple[Token, ...]:
    derived = _derived(lang)
    new = tuple.__new__  # a NamedTuple's own __new__ is a Python function; this is the C one
    if offsets is spans:  # offsets into the canonical text are the offsets (the usual case)
        return tuple([new(Token, ((w := canon[s:e]), s, e) + derived[w]) for s, e in spans])
    out = []
    for (s, e), where in zip(spans, offsets, strict=True):
        surface = canon[s:e]
        out.append(new(Token, (surface, *where) + derived[surface]))
    return tuple(out)


def content(tokens: tuple[Token, ...]) -> tuple[Token, ...]:
    """Tokens that carry meaning for matching: words and numbers (not punctuation or elided clitics)."""
    return tuple(t for t in tokens if t.kind in ("word", "number"))


def match_key(text: str, lang: str) -> str:
    """Key ignoring case, accents, apostrophe style and spacing: used for exact-ish lookups."""
    return key_of(tokenize(text, lang))


def key_of(tokens: tuple[Token, ...]) -> str:
    """The ``match_key`` of a text from its tokens."""
    return " ".join(map(_BASE, tokens))


def stem_key(text: str, lang: str) -> str:
    """Key of stems of the content words: plural/singular and inflection collapse together."""
    return " ".join(t.stem for t in content(tokenize(text, lang)))


def fold_key(text: str, lang: str) -> str:
    """Key ignoring case and apostrophe/space style but keeping accents."""
    return " ".join(t.fold for t in tokenize(text, lang))
