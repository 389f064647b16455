"""Sentence splitting for French and English news and military prose.

A sentence ends at ``.``, ``!``, ``?`` or ``…`` (with any closing quotes or brackets) when the
next word starts with a capital letter, a digit or an opening quote, except:

- after an abbreviation (M., MM., gén., Dr, e.g., U.S., ...) or an initial (J. Smith);
- after a list number at the start of a paragraph (``1. Introduction``);
- inside a quotation that is followed by its attribution: in «Un. Deux», a-t-il déclaré the
  quotation and the attribution stay one segment. A quotation that closes a sentence by itself
  («... règles. Ils jouent ... internationale. ») is split like any other text.

Sentences never cross a line break: each non-empty line is a paragraph. Offsets point into the
original text, which is never changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nato_tm.text.pipeline import primary_lang


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Abbreviations (lower-cased, without their final period) after which a period ends nothing.
TITLES = {
    "fr": _words(
        "adj adm amiral art av avr bd c.-à-d cal cdt cf chap cne col coll dir dr déc env ex fig févr gal gén "
        "hab j.-c janv juill lcl lt m max me mgr min mlle mlles mm mme mmes no nos nov n° oct p pp pr réf s.e "
        "sept sgt st ste trad tél vol éd "
    ),
    "en": _words(
        "adm approx apr art aug brig capt cdr cf cmdr co col corp cpl dec dept dr e.g est feb fig gen gov hon "
        "i.e inc jan jr jul jun lt ltd maj mar messrs mr mrs ms no nos nov oct p para pp prof pte ref rep rev "
        "sen sep sept sgt sr st vol vs "
    ),
}
# Abbreviations that may also end a sentence: they split only before a capitalised word.
FINAL_OK = {"etc", "cie", "inc", "ltd", "co", "corp", "jr", "sr", "al"}

OPENERS = {"«": "»", "“": "”", "„": "“", "‹": "›"}
CLOSERS = "»”›"
_END = re.compile(
    r"[.!?…]+"  # the terminator
    r"(?:[ \u00a0\u202f]?[»›]|[”\"')\]])*"  # closing quotes and brackets (French puts a space first)
    r"(?P<gap>[ \t\u00a0\u202f]+)"  # the space before the next sentence
    r"(?=[«“\"(\[‘„]?[ \u00a0\u202f]?(?P<next>\w))"  # what starts it
)
_INITIALS = re.compile(r"^(?:\w\.)*\w$")  # J  or U.S  (the last period is the terminator)


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of a text: its surface and its offsets into the text."""

    text: str
    start: int
    end: int
    paragraph: int  # index of its line among the text's non-empty lines


def _quote_ends(para: str) -> dict[int, int]:
    """For each opening quote's offset, the offset of its closing quote (or the paragraph's end)."""
    ends: dict[int, int] = {}
    stack: list[tuple[str, int]] = []
    straight: int | None = None
    for i, ch in enumerate(para):
        if ch in OPENERS and not (ch == "“" and stack and stack[-1][0] == "„"):
            stack.append((OPENERS[ch], i))
        elif stack and ch == stack[-1][0]:
            ends[stack.pop()[1]] = i
        elif ch == '"':
            if straight is None:
                straight = i
            else:
                ends[straight], straight = i, None
    for _, start in stack:
        ends[start] = len(para)
    if straight is not None:
        ends[straight] = len(para)
    return ends


def _attributed(para: str, close: int) -> bool:
    """Whether a quotation closing at ``close`` runs on into its attribution (", a-t-il déclaré")."""
    rest = para[close + 1 :].lstrip(" \u00a0\u202f")
    return bool(rest) and (rest[0] in ",;:–—-" or rest[0].islower())


def _inside_attributed_quote(para: str, start: int, end: int, quotes: dict[int, int]) -> bool:
    """Whether the sentence end at [start, end) lies inside a quotation that goes on to its attribution."""
    return any(opened < start and close >= end and _attributed(para, close) for opened, close in quotes.items())


def _word_before(para: str, pos: int) -> str:
    words = para[:pos].rstrip(CLOSERS + "\"')] \u00a0\u202f").split()
    return words[-1].rstrip(".!?…").lstrip('«“"([‘„') if words else ""


def _abbreviation(word: str, lang: str, next_char: str) -> bool:
    key = word.casefold()
    if key in FINAL_OK:
        return not next_char.isupper()
    if key in TITLES.get(lang, frozenset()):
        return True
    return bool(_INITIALS.match(word)) and ((len(word) == 1 and word.isupper()) or "." in word)


def _list_number(para: str, word: str, end: int) -> bool:
    # "1." or "IV." opening a paragraph numbers a list item; it ends no sentence.
    return para[: end - len(word)].strip() == "" and bool(re.fullmatch(r"\d+|[IVXLC]+", word))


def _boundaries(para: str, lang: str) -> list[int]:
    quotes = _quote_ends(para)
    cuts: list[int] = []
    for match in _END.finditer(para):
        if match.group("next").islower():  # "!” he said", "hésité… puis": the sentence goes on
            continue
        term_end = match.start("gap")
        terminator = match.start()
        word = _word_before(para, term_end)
        if "." in para[terminator:term_end] and "!" not in para[terminator:term_end]:
            if _abbreviation(word, lang, match.group("next")):
                continue
            if _list_number(para, word, terminator):
                continue
        if _inside_attributed_quote(para, terminator, term_end, quotes):
            continue
        cuts.append(term_end)
    return cuts


def split_paragraph(para: str, lang: str) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets within one paragraph, surrounding spaces excluded."""
    lang = primary_lang(lang)
    spans: list[tuple[int, int]] = []
    start = 0
    for cut in [*_boundaries(para, lang), len(para)]:
        piece = para[start:cut]
        left = len(piece) - len(piece.lstrip())
        right = len(piece.rstrip())
        if right > left:
            spans.append((start + left, start + right))
        start = cut
    return spans


def split(text: str, lang: str) -> list[Sentence]:
    """Split a text into sentences; each non-empty line is a paragraph, sentences never cross lines."""
    out: list[Sentence] = []
    offset = 0
    index = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if body.strip():
            for s, e in split_paragraph(body, lang):
                out.append(Sentence(body[s:e], offset + s, offset + e, index))
            index += 1
        offset += len(line)
    return out


def sentences(text: str, lang: str) -> list[str]:
    """The sentences of a text, as strings."""
    return [s.text for s in split(text, lang)]
