"""Sentence splitting: the seed article, abbreviations, numbers and quotations."""

from __future__ import annotations

from collections import Counter

import pytest

from nato_tm import resources
from nato_tm.text.sentences import sentences, split


def article(lang: str) -> str:
    return (resources.termbase() / "seed" / f"article-2022-11-09.{lang}.txt").read_text(encoding="utf-8")


# termbase/seed/README.md: title + 9 paragraphs; every French sentence maps to one English sentence.
# Counted by hand from the article: the quotation on line 4 holds two sentences.
PER_PARAGRAPH = [1, 2, 3, 4, 3, 3, 3, 3, 1, 1]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_seed_article_sentences_per_paragraph(lang: str) -> None:
    found = split(article(lang), lang)
    counts = Counter(s.paragraph for s in found)
    assert [counts[p] for p in range(len(PER_PARAGRAPH))] == PER_PARAGRAPH


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_offsets_point_into_the_original_text(lang: str) -> None:
    text = article(lang)
    for s in split(text, lang):
        assert text[s.start : s.end] == s.text
        assert s.text == s.text.strip() and "\n" not in s.text


def test_quotation_of_two_sentences_closing_the_paragraph_is_split() -> None:
    para = article("fr").splitlines()[3]
    found = sentences(para, "fr")
    assert found[2].endswith("l’ordre international fondé sur les règles.")
    assert found[3] == "Ils jouent à ce titre un rôle actif et essentiel à l’échelle internationale. »"


def test_quotation_stays_with_its_attribution() -> None:
    assert sentences("« Nous resterons unis. Nous serons prêts », a-t-il déclaré. Puis il est parti.", "fr") == [
        "« Nous resterons unis. Nous serons prêts », a-t-il déclaré.",
        "Puis il est parti.",
    ]
    assert sentences("«Un. Deux» a-t-il ajouté.", "fr") == ["«Un. Deux» a-t-il ajouté."]
    assert sentences("“We will. We must”, he said. Next came questions.", "en") == [
        "“We will. We must”, he said.",
        "Next came questions.",
    ]


def test_no_split_before_a_lowercase_word() -> None:
    assert sentences("“We will win!” he said. Then he left.", "en") == ["“We will win!” he said.", "Then he left."]
    assert sentences("« Nous vaincrons ! » a-t-il lancé. Puis il est parti.", "fr") == [
        "« Nous vaincrons ! » a-t-il lancé.",
        "Puis il est parti.",
    ]
    assert sentences("Il a hésité… puis a parlé. Ensuite, rien.", "fr") == [
        "Il a hésité… puis a parlé.",
        "Ensuite, rien.",
    ]


def test_sentence_after_a_closed_quotation() -> None:
    assert sentences("Il a dit : « Non ! » Puis il est parti.", "fr") == ["Il a dit : « Non ! »", "Puis il est parti."]
    text = "« les partenariats comptent plus que jamais ». « En ces temps difficiles », a-t-il indiqué."
    assert len(sentences(text, "fr")) == 2


@pytest.mark.parametrize(
    ("text", "lang", "count"),
    [
        ("M. Dupont est arrivé. Mme Durand aussi.", "fr", 2),
        ("MM. Diella et Adamczak ont salué le gén. Landrum à Bruxelles.", "fr", 1),
        ("Le col. Martin, cf. p. 12, a parlé.", "fr", 1),
        ("Dr Smith met Gen. Landrum in the U.S. on Monday.", "en", 1),
        ("Some bodies, e.g. the IMS, i.e. the staff, met. They talked.", "en", 2),
        ("They discussed crises, terrorism, etc. The meeting ended.", "en", 2),
        ("J. R. R. Tolkien wrote it. Then?", "en", 2),
    ],
)
def test_abbreviations_and_initials(text: str, lang: str, count: int) -> None:
    assert len(sentences(text, lang)) == count


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        (
            "Le 1er novembre, 1 000,5 tonnes sont arrivées. Le 2e jour, rien.",
            "fr",
            ["Le 1er novembre, 1 000,5 tonnes sont arrivées.", "Le 2e jour, rien."],
        ),
        (
            "It cost 1,000.5 euros in 2022. 30 countries paid.",
            "en",
            ["It cost 1,000.5 euros in 2022.", "30 countries paid."],
        ),
        ("See No. 5 and art. 3.", "en", ["See No. 5 and art. 3."]),
        ("1. Introduction", "en", ["1. Introduction"]),
        (
            "Ils sont venus le 9 novembre 2022. Ils sont repartis le 10.",
            "fr",
            ["Ils sont venus le 9 novembre 2022.", "Ils sont repartis le 10."],
        ),
    ],
)
def test_ordinals_and_numbers(text: str, lang: str, expected: list[str]) -> None:
    assert sentences(text, lang) == expected


def test_sentences_never_cross_lines() -> None:
    assert sentences("Titre sans point\nUne phrase. Une autre.\n\n", "fr") == [
        "Titre sans point",
        "Une phrase.",
        "Une autre.",
    ]
    assert [s.paragraph for s in split("Go.\n\nWait. Stop.", "en")] == [0, 1, 1]
