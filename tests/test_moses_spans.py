"""The one-pass Moses scanner gives sacremoses' own tokens, on real text and on text built to break it.

``python -m bench tokenize`` runs the same comparison on every segment of the corpora (about
540,000); here it runs on the seed article, a spread of corpus rows and generated text.
"""

from __future__ import annotations

import csv
import itertools
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sacremoses import MosesTokenizer

from nato_tm.text import pipeline
from nato_tm.text.moses import _HARD, MosesSpans


@cache
def scanner(lang: str) -> MosesSpans:
    return MosesSpans(MosesTokenizer(lang=lang), lang)


def moses_tokens(text: str, lang: str) -> list[str]:
    return scanner(lang).moses.tokenize(text, escape=False, aggressive_dash_splits=False)  # type: ignore[no-any-return]


def assert_same(text: str, lang: str) -> None:
    assert scanner(lang).tokens(text) == moses_tokens(text, lang), text


def corpus_segments(data: Path, per_file: int) -> Iterator[tuple[str, str]]:
    csv.field_size_limit(sys.maxsize)
    for path in sorted(data.glob("*.tsv")):
        with path.open(encoding="utf-8", newline="") as stream:
            rows = csv.DictReader(stream, delimiter="\t", quoting=csv.QUOTE_NONE)
            for row in itertools.islice(rows, 0, per_file * 29, 29):  # a spread, not only the head
                yield pipeline.canonical(row["fr"]), "fr"
                yield pipeline.canonical(row["en"]), "en"


def test_seed_article_gives_the_same_tokens(seed_article: str) -> None:
    lines = [pipeline.canonical(line) for line in seed_article.splitlines() if line.strip()]
    assert len(lines) > 5
    for line in lines:
        assert not _HARD.search(line)  # the scanner itself answers, not the fallback
        assert_same(line, "fr")


def test_real_corpus_gives_the_same_tokens(shared_data: Path) -> None:
    compared = scanned = 0
    for text, lang in corpus_segments(shared_data, 500):
        assert_same(text, lang)
        compared += 1
        scanned += not _HARD.search(text)
    assert compared > 2500
    assert scanned > 0.98 * compared  # almost all of them through the scanner itself


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("L'OTAN et l'Alliance.", "fr", ["L'", "OTAN", "et", "l'", "Alliance", "."]),
        ("aujourd'hui", "fr", ["aujourd'", "hui"]),  # Moses splits it; the pipeline re-joins it
        ("don't 1990's dogs' end", "en", ["don", "'t", "1990", "'s", "dogs", "'", "end"]),
        ("M. Stoltenberg a parlé.", "fr", ["M.", "Stoltenberg", "a", "parlé", "."]),
        ("See No. 5 and No. A.", "en", ["See", "No.", "5", "and", "No", ".", "A."]),  # A.: an initial
        ("the U.S.A. and etc. done", "en", ["the", "U.S.A.", "and", "etc.", "done"]),
        ("3,5 % et 1.000,25 €, enfin", "fr", ["3,5", "%", "et", "1.000,25", "€", ",", "enfin"]),
        (",5 puis 5,", "fr", [",5", "puis", "5", ","]),  # a leading comma before a digit stays
        ("Attendez... quoi ?", "fr", ["Attendez", "...", "quoi", "?"]),
        ("He said 'yes.'", "en", ["He", "said", "'", "yes", ".", "'"]),
        ("«\u00a0Oui\u00a0», dit-il.", "fr", ["«", "Oui", "»", ",", "dit-il", "."]),
        ("'hello", "en", ["'hello"]),  # nothing before the apostrophe: Moses leaves it
        ("", "fr", []),
    ],
)
def test_known_cases(text: str, lang: str, expected: list[str]) -> None:
    assert moses_tokens(text, lang) == expected  # the reference itself, so the case means what it says
    assert_same(text, lang)


@pytest.mark.parametrize(
    "text",
    ["a,,b", "l'a'b", "' '7", "/'  '7 x", "x\x01y", "DOTMULTI..", "a`b"],
)
def test_hard_text_goes_to_sacremoses_itself(text: str) -> None:
    assert _HARD.search(text)
    for lang in ("fr", "en"):
        # sacremoses' tokens, located in order; one it rewrote (a control character dropped,
        # DOTMULTI read as dots) is located where it can be, or left out.
        expected, cursor = [], 0
        for token in moses_tokens(text, lang):
            at = text.find(token, cursor)
            if at >= 0:
                expected.append((at, at + len(token)))
                cursor = at + len(token)
        assert scanner(lang).spans(text) == expected


_WORDS = ["M.", "Dr.", "etc.", "U.S.", "No.", "Art.", "pp.", "l'", "aujourd'hui", "don't", "1990's", "...", "n't", "'s"]
_PIECES = st.sampled_from([*_WORDS, "3,5", "1.000", "DOT", "MULTI", "qu'", "(", ")", "«", "»", '"', "!", "?", ":", "%"])
_CHARS = st.text(alphabet="aAbeéÉsStxzÀàn0123456789²½.,'-  \u00a0ǅª()«»\"!?:;%€/&$@#[]", min_size=1, max_size=6)


@settings(max_examples=600, deadline=None)
@given(st.lists(st.one_of(_PIECES, _CHARS), min_size=1, max_size=12), st.booleans(), st.sampled_from(["fr", "en"]))
def test_generated_text_gives_the_same_tokens(parts: list[str], spaced: bool, lang: str) -> None:
    text = (" " if spaced else "").join(parts)
    if not _HARD.search(text):
        assert_same(text, lang)


def test_every_character_is_either_a_run_or_padded() -> None:
    # No character outside whitespace and the fallback's is dropped silently by the scanner.
    fr = scanner("fr")
    for code in range(0x20, 0x3000):
        c = chr(code)
        if c.isspace() or _HARD.search(c):
            continue
        assert fr.runs.fullmatch(c), hex(code)
