"""The pipeline's fast paths give exactly what the general per-character code gives.

canonical_map skips its per-character loop when every character is its own NFC piece, and
fold_accents returns ASCII unchanged (and is cached). These tests compare them with the general
code on the seed article, on real corpus rows and on arbitrary Unicode, token by token.
"""

from __future__ import annotations

import csv
import itertools
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nato_tm.text import pipeline
from nato_tm.text.pipeline import Token


def reference_tokenize(text: str, lang: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Token, ...]:
    """tokenize() run on the general (slow) canonical_map and fold_accents, uncached."""
    with monkeypatch.context() as m:
        m.setattr(pipeline, "canonical_map", pipeline._canonical_map_general)
        m.setattr(pipeline, "fold_accents", pipeline._fold_accents_general)
        return pipeline.tokenize.__wrapped__(text, lang)  # type: ignore[attr-defined,no-any-return]


def corpus_rows(data: Path, per_file: int) -> Iterator[tuple[str, str]]:
    csv.field_size_limit(sys.maxsize)
    for path in sorted(data.glob("*.tsv")):
        with path.open(encoding="utf-8", newline="") as stream:
            rows = csv.DictReader(stream, delimiter="\t", quoting=csv.QUOTE_NONE)
            # Every 37th row: a spread over the whole file, not only its head.
            for row in itertools.islice(rows, 0, per_file * 37, 37):
                yield row["fr"], row["en"]


def test_every_character_alone_is_stable_under_nfc_when_the_text_is_nfc() -> None:
    # The fast path's premise: in an NFC text, a character with no combining class is its own piece
    # and NFC maps it to itself.
    for code in range(sys.maxunicode + 1):
        c = chr(code)
        if 0xD800 <= code <= 0xDFFF or unicodedata.combining(c):
            continue
        if unicodedata.is_normalized("NFC", c):
            assert unicodedata.normalize("NFC", c) == c, hex(code)


def test_seed_article_tokens_are_identical(seed_article: str, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [line for line in seed_article.splitlines() if line.strip()]
    assert len(lines) > 5
    for line in lines:
        assert pipeline.tokenize.__wrapped__(line, "fr") == reference_tokenize(line, "fr", monkeypatch)  # type: ignore[attr-defined]


def test_real_corpus_tokens_are_identical(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compared = 0
    fast_paths = 0
    for fr, en in corpus_rows(shared_data, 400):
        for text, lang in ((fr, "fr"), (en, "en")):
            fast_paths += pipeline._one_to_one(text)
            assert pipeline.tokenize.__wrapped__(text, lang) == reference_tokenize(text, lang, monkeypatch), text  # type: ignore[attr-defined]
            compared += 1
    # Both paths were exercised: most rows take the fast one, some (NBSP, decomposed marks) do not.
    assert compared >= 2000 and 0 < fast_paths < compared


@pytest.mark.parametrize(
    "text",
    [
        "l\u2019OTAN",  # typographic apostrophe: mapped, one to one
        "e\u0301te\u0301",  # decomposed accents: general path
        "co\u00adop\u00e9ration",  # soft hyphen: dropped, general path
        "\u212b",  # angstrom sign: NFC changes it, general path
        "1\u202f000,5\u00a0%",
        "",
    ],
)
def test_canonical_map_edge_cases(text: str) -> None:
    assert pipeline.canonical_map(text) == pipeline._canonical_map_general(text)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=60))
def test_fast_paths_equal_general_code_on_any_text(text: str) -> None:
    assert pipeline.canonical_map(text) == pipeline._canonical_map_general(text)
    assert pipeline.fold_accents(text) == pipeline._fold_accents_general(text)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("aeiouéèàçœÆ'’ \u00a0\u202f\u0301.,;:!?«»-0123456789AZ\u00adn"), max_size=40),
    st.sampled_from(["fr", "en"]),
)
def test_tokens_equal_general_code_on_french_like_text(text: str, lang: str) -> None:
    with pytest.MonkeyPatch.context() as m:
        expected = reference_tokenize(text, lang, m)
    assert pipeline.tokenize.__wrapped__(text, lang) == expected  # type: ignore[attr-defined]
