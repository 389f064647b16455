"""Placeables: numbers and dates in pipeline tokens, their values and formats, and the match keys.

Pure (no DB). The memory index and the scorer both derive their keys here (``analyse``), so
what the index finds and what the scorer measures cannot disagree. Numbers and dates become
one placeholder key each (``#num``, ``#date``): a segment that differs only in them is a
95-99 match whose numbers can be substituted into the target.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from nato_tm.text.pipeline import Token, fold_accents, primary_lang, tokenize

NUM_KEY = "#num"
DATE_KEY = "#date"

_FR_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre")
_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October")
MONTHS = {"fr": (*_FR_MONTHS, "novembre", "décembre"), "en": (*_EN_MONTHS, "November", "December")}
_MONTH_NUM = {fold_accents(m.casefold()): i + 1 for names in MONTHS.values() for i, m in enumerate(names)}
_DAY_WORD = re.compile(r"^(\d{1,2})(?:er|e|st|nd|rd|th)$")
_EN_GROUPED = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_DOT_GROUPED = re.compile(r"^\d{1,3}(?:\.\d{3})+(?:,\d+)?$")
FR_GROUP = "\u00a0"  # French thousands separator when the target gives no example: NBSP


@dataclass(frozen=True, slots=True)
class DateValue:
    """A calendar date as written: any part may be missing (9 novembre, novembre 2022)."""

    day: int | None
    month: int
    year: int | None


@dataclass(frozen=True, slots=True)
class Placeable:
    """A number or a date spanning tokens ``first..last`` (inclusive) and characters ``start:end``."""

    kind: str  # "number" or "date"
    first: int
    last: int
    start: int
    end: int
    value: Decimal | DateValue
    text: str  # the original surface, text[start:end]


@dataclass(frozen=True, slots=True)
class Analysis:
    """A segment as the matcher sees it."""

    tokens: tuple[Token, ...]
    keys: tuple[str, ...]  # stems of words, one placeholder per placeable, in order
    bases: tuple[str, ...]  # the same with case- and accent-folded surface words (inflection kept)
    spans: tuple[tuple[int, int], ...]  # token range (first, last) behind each key
    minor: tuple[str, ...]  # punctuation and elided clitics, folded
    placeables: tuple[Placeable, ...] = field(default=())

    def profile(self) -> Profile:
        """What fuzzy scoring needs, small enough to store with the index entry."""
        return Profile(self.keys, self.bases, self.minor, tuple(value_key(p.value) for p in self.placeables))


@dataclass(frozen=True, slots=True)
class Profile:
    """A segment reduced to what fuzzy scoring reads: keys, bases, minor tokens, placeable values."""

    keys: tuple[str, ...]
    bases: tuple[str, ...]
    minor: tuple[str, ...]
    values: tuple[str, ...]


def value_key(value: Decimal | DateValue) -> str:
    """A placeable's value as a comparable string (30 and 30,0 are equal; a date is d/m/y)."""
    if isinstance(value, DateValue):
        return f"{value.day or ''}/{value.month}/{value.year or ''}"
    return format(value.normalize(), "f")


def parse_number(surface: str, lang: str) -> Decimal | None:
    """The value of a number as written in ``lang`` (1 000,5 in French, 1,000.5 in English)."""
    s = surface.rstrip("%").strip()
    for ch in " \u00a0\u202f":
        s = s.replace(ch, "")
    sign = ""
    if s[:1] in "+-":
        sign, s = s[0], s[1:]
    if _EN_GROUPED.match(s) and (lang == "en" or "." in s):
        s = s.replace(",", "")
    elif _DOT_GROUPED.match(s):
        s = s.replace(".", "").replace(",", ".")
    else:
        s = s.replace(",", ".")
    try:
        return Decimal(sign + s)
    except InvalidOperation:
        return None


def group_char(like: str | None, lang: str) -> str | None:
    """The thousands separator the example uses, if it shows one (never its decimal mark)."""
    m = re.search(r"\d([ ,.\u00a0\u202f])\d{3}(?!\d)", like or "")
    if m is None or m.group(1) == ("." if lang == "en" else ","):
        return None
    return m.group(1)


def format_number(value: Decimal, lang: str, *, like: str | None = None, grouped: bool = False) -> str:
    """Write ``value`` the way ``lang`` does; ``like`` is the number it replaces (its separator is kept)."""
    lang = primary_lang(lang)
    sign = "-" if value < 0 else ""
    digits = format(abs(value), "f")
    whole, _, frac = digits.partition(".")
    sep = group_char(like, lang) or ("," if lang == "en" else FR_GROUP)
    if len(whole) > 4 or (len(whole) == 4 and (grouped or group_char(like, lang) is not None)):
        head = len(whole) % 3 or 3
        whole = sep.join([whole[:head]] + [whole[i : i + 3] for i in range(head, len(whole), 3)])
    text = sign + whole + (("." if lang == "en" else ",") + frac if frac else "")
    if like and like.rstrip().endswith("%"):
        text += "%"
    return text


def format_date(value: DateValue, lang: str, *, like: str | None = None) -> str:
    """Write a date in ``lang``: 14 juin 2023, 1er juin; 14 June 2023, or June 14, 2023 when ``like`` is so."""
    lang = primary_lang(lang)
    month = MONTHS["fr" if lang == "fr" else "en"][value.month - 1]
    if lang == "fr":
        day = None if value.day is None else ("1er" if value.day == 1 else str(value.day))
        return " ".join(p for p in (day, month, None if value.year is None else str(value.year)) if p)
    us = bool(like and like[:1].isalpha())
    if us and value.day is not None:
        return f"{month} {value.day}" + (f", {value.year}" if value.year is not None else "")
    return " ".join(p for p in (None if value.day is None else str(value.day), month, str(value.year or "")) if p)


def _day(tok: Token) -> int | None:
    text = tok.text
    m = _DAY_WORD.match(tok.fold)
    if m:
        text = m.group(1)
    if (tok.kind == "number" or m) and text.isdigit() and 1 <= int(text) <= 31:
        return int(text)
    return None


def _year(tok: Token | None) -> int | None:
    if tok is not None and tok.kind == "number" and len(tok.text) == 4 and tok.text.isdigit():
        return int(tok.text) if 1000 <= int(tok.text) <= 2999 else None
    return None


def _month(tok: Token | None) -> int | None:
    return _MONTH_NUM.get(tok.base) if tok is not None and tok.kind == "word" else None


def _date_at(tokens: tuple[Token, ...], i: int) -> tuple[int, DateValue] | None:
    """A date starting at token i: (last token index, value), or None."""

    def at(k: int) -> Token | None:
        return tokens[k] if k < len(tokens) else None

    day = _day(tokens[i])
    if day is not None and (month := _month(at(i + 1))) is not None:
        year = _year(at(i + 2))
        return (i + 2 if year else i + 1), DateValue(day, month, year)
    month = _month(tokens[i])
    if month is None:
        return None
    nxt = at(i + 1)
    if nxt is not None and (year := _year(nxt)) is not None:
        return i + 1, DateValue(None, month, year)
    if nxt is not None and (day := _day(nxt)) is not None:  # English: November 9[, 2022]
        comma = at(i + 2) is not None and tokens[i + 2].text == ","
        year = _year(at(i + 3 if comma else i + 2))
        return (i + (3 if comma else 2) if year else i + 1), DateValue(day, month, year)
    return None


def _placeable(text: str, tokens: tuple[Token, ...], i: int, lang: str) -> Placeable | None:
    date = _date_at(tokens, i)
    if date is not None:
        last, value = date
        start, end = tokens[i].start, tokens[last].end
        return Placeable("date", i, last, start, end, value, text[start:end])
    tok = tokens[i]
    if tok.kind != "number":
        return None
    last = i
    # French digit groups the tokenizer left apart (2 500 000): one number.
    while lang == "fr" and last + 1 < len(tokens):
        nxt = tokens[last + 1]
        if nxt.kind == "number" and nxt.start == tokens[last].end + 1 and re.match(r"^\d{3}(,\d+)?$", nxt.text):
            last += 1
        else:
            break
    start, end = tok.start, tokens[last].end
    number = parse_number(text[start:end], lang)
    if number is None:
        return None
    return Placeable("number", i, last, start, end, number, text[start:end])


@lru_cache(maxsize=4096)
def analyse(text: str, lang: str) -> Analysis:
    """Tokens, match keys (with placeholders), folded bases, minor tokens and placeables of a segment."""
    lang = primary_lang(lang)
    return analysis_of(text, tokenize(text, lang), lang)


def analysis_of(text: str, tokens: tuple[Token, ...], lang: str) -> Analysis:
    """``analyse`` of a text from its tokens (``lang``: a primary language subtag), without the cache."""
    keys: list[str] = []
    bases: list[str] = []
    spans: list[tuple[int, int]] = []
    minor: list[str] = []
    places: list[Placeable] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        kind = tok.kind
        # A word starts a placeable only as a month name or a day (1er, 3rd): most words skip the calls.
        may = kind == "number" or (kind == "word" and (tok.base in _MONTH_NUM or tok.fold[:1].isdecimal()))
        place = _placeable(text, tokens, i, lang) if may else None
        if place is not None:
            key = DATE_KEY if place.kind == "date" else NUM_KEY
            keys.append(key)
            bases.append(key)
            spans.append((place.first, place.last))
            places.append(place)
            i = place.last + 1
            continue
        if kind == "word":
            keys.append(tok.stem)
            bases.append(tok.base)
            spans.append((i, i))
        else:
            minor.append(tok.fold)
        i += 1
    return Analysis(tokens, tuple(keys), tuple(bases), tuple(spans), tuple(minor), tuple(places))


def match_keys(text: str, lang: str) -> tuple[str, ...]:
    """The content keys a segment is matched on: word stems and one placeholder per number or date."""
    return analyse(text, lang).keys


SEARCHED = ("word", "number")  # the kinds of token a concordance search asks for


def search_key(tok: Token) -> str:
    """The key a concordance search asks for a word or number token: the word's stem, or "=" and the number."""
    return tok.stem if tok.kind == "word" else "=" + tok.base


def search_keys(tokens: tuple[Token, ...]) -> set[str]:
    """Keys a concordance search may ask for: every word stem and number value (dates included)."""
    return {search_key(tok) for tok in tokens if tok.kind in SEARCHED}
