"""The text pipeline on the seed article's own French, plus properties over any Unicode string."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nato_tm.text.pipeline import (
    canonical,
    fold_accents,
    fold_key,
    match_key,
    primary_lang,
    stem_key,
    tokenize,
)


def surfaces(text: str, lang: str) -> list[str]:
    return [text[t.start : t.end] for t in tokenize(text, lang)]


def test_elision_is_split_off_with_typographic_and_straight_apostrophes() -> None:
    text = "au siège de l’OTAN, des domaines d’intérêt commun"
    toks = tokenize(text, "fr")
    assert [t.text for t in toks if t.kind == "elision"] == ["l'", "d'"]
    assert "OTAN" in surfaces(text, "fr") and "intérêt" in surfaces(text, "fr")
    assert match_key("l’OTAN", "fr") == match_key("l'OTAN", "fr") == "l' otan"


@pytest.mark.parametrize("clitic", ["jusqu’", "lorsqu’", "puisqu’", "quoiqu’", "qu’"])
def test_long_elisions(clitic: str) -> None:
    toks = tokenize(f"{clitic}il vienne", "fr")
    assert toks[0].kind == "elision" and toks[0].text == clitic.replace("’", "'")
    assert toks[1].text == "il"


def test_aujourdhui_stays_one_word() -> None:
    assert [t.text for t in tokenize("aujourd’hui", "fr")] == ["aujourd'hui"]


def test_offsets_point_into_the_original_text() -> None:
    text = "« La situation de sécurité actuelle » : l’Alliance"
    for tok in tokenize(text, "fr"):
        assert text[tok.start : tok.end] != ""
        assert canonical(text[tok.start : tok.end]) == tok.text


def test_nbsp_and_nnbsp_are_spaces_for_matching() -> None:
    plain = "sécurité coopérative"
    assert match_key("sécurité\u00a0coopérative", "fr") == match_key(plain, "fr")
    assert match_key("sécurité\u202fcoopérative", "fr") == match_key(plain, "fr")
    assert [t.text for t in tokenize("a déclaré\u202f:", "fr")] == ["a", "déclaré", ":"]


def test_guillemets_and_curly_quotes_are_canonical() -> None:
    assert canonical("«\u00a0oui\u00a0»") == '" oui "'
    assert canonical("“yes”") == '"yes"'
    assert canonical("l’OTAN ʼ ‘") == "l'OTAN ' '"


def test_case_and_accent_folding_are_separate_keys() -> None:
    assert fold_key("Sécurité", "fr") == "sécurité"
    assert match_key("Sécurité", "fr") == "securite" == match_key("securite", "fr")
    assert fold_accents("État-major") == "Etat-major"


def test_stemming_collapses_plural_in_both_languages() -> None:
    assert stem_key("partenariats", "fr") == stem_key("partenariat", "fr")
    assert stem_key("Partnerships", "en") == stem_key("partnership", "en")
    assert stem_key("sécurité coopérative", "fr") == stem_key("securite cooperative", "fr")


def test_keys_do_not_depend_on_case() -> None:
    assert stem_key("SÉCURITÉ COOPÉRATIVE", "fr") == stem_key("sécurité coopérative", "fr")
    assert stem_key("IMS", "en") == stem_key("ims", "en")


def test_french_number_groups_are_one_token() -> None:
    toks = tokenize("soit 1\u00a0000,5 euros", "fr")
    assert [t.text for t in toks if t.kind == "number"] == ["1 000,5"]
    assert [t.text for t in tokenize("1,000.5 dollars", "en") if t.kind == "number"] == ["1,000.5"]
    assert [t.text for t in tokenize("2\u202f500\u202f000 soldats", "fr") if t.kind == "number"] == ["2 500 000"]


def test_nfc_offsets_with_decomposed_input() -> None:
    text = "se\u0301curite\u0301 cooperative"
    toks = tokenize(text, "fr")
    assert toks[0].text == "sécurité" and text[toks[0].start : toks[0].end] == "se\u0301curite\u0301"


def test_primary_lang() -> None:
    assert primary_lang("fr-CA") == primary_lang("fr_FR") == primary_lang("FR") == "fr"


def test_stored_text_is_not_altered() -> None:
    text = "l’OTAN\u00a0!"
    tokenize(text, "fr")
    assert text == "l’OTAN\u00a0!"


@settings(max_examples=300, deadline=None)
@given(st.text(), st.sampled_from(["fr", "en"]))
def test_pipeline_never_fails_and_offsets_are_in_range(text: str, lang: str) -> None:
    for tok in tokenize(text, lang):
        assert 0 <= tok.start < tok.end <= len(text)


@settings(max_examples=300, deadline=None)
@given(st.text(), st.sampled_from(["fr", "en"]))
def test_pipeline_is_idempotent(text: str, lang: str) -> None:
    once = canonical(text)
    assert canonical(once) == once
    assert unicodedata.is_normalized("NFC", once)
    assert match_key(canonical(text), lang) == match_key(text, lang)
    assert fold_accents(fold_accents(text)) == fold_accents(text)
