"""The match score, its bands, edit operations and number/date substitution, on seed-article sentences."""

from __future__ import annotations

from decimal import Decimal

import pytest

from nato_tm import resources
from nato_tm.services.tm_score import band, edit_ops, propose, score, upper_bound
from nato_tm.text.placeables import DateValue, analyse, format_date, format_number, parse_number

SEED = resources.termbase() / "seed"


def _sentence(lang: str, start: str) -> str:
    text = (SEED / f"article-2022-11-09.{lang}.txt").read_text(encoding="utf-8")
    at = text.index(start)
    end = text.index(".", at) + 1
    return text[at:end]


FR = _sentence("fr", "Le 9 novembre 2022")
EN = _sentence("en", "On 9 November 2022")
FR_TITLE = "Les pays partenaires abordent le renforcement de la coopération sous l’angle du nouveau concept stratégique"


def s(query: str, source: str = FR, lang: str = "fr", **kw: bool) -> tuple[int, str, tuple[str, ...]]:
    res = score(analyse(query, lang), analyse(source, lang), query, source, **kw)
    return res.value, res.band, res.differences


def test_the_seed_sentences_are_the_real_ones() -> None:
    assert "30 pays partenaires" in FR and FR.endswith("humaine.")
    assert "30 partner countries" in EN


def test_exact_and_context() -> None:
    assert s(FR) == (100, "exact", ())
    assert s(FR, context=True) == (101, "context", ())
    # Apostrophe and quote styles are not differences: the pipeline makes them canonical.
    assert s(FR.replace("’", "'"))[0] == 100


@pytest.mark.parametrize(
    ("change", "kind"),
    [
        (lambda t: t.replace("l’OTAN", "l’Otan"), "case"),
        (lambda t: t.replace("sécurité coopérative", "securite cooperative"), "accents"),
        (lambda t: t.replace("humaine.", "humaine !"), "punctuation"),
        (lambda t: t.replace("pays partenaires", "pays  partenaires"), "whitespace"),
        (lambda t: t.replace("30", "31"), "numbers"),
    ],
)
def test_near_band_names_the_single_difference(change: object, kind: str) -> None:
    query = change(FR)  # type: ignore[operator]
    value, name, diffs = s(query)
    assert 95 <= value <= 99 and name == "near"
    assert diffs == (kind,)


def test_inline_tags_cost_a_point() -> None:
    assert s(FR, tags=True) == (99, "near", ("tags",))
    assert s(FR.replace("informels", "formels"), tags=True)[0] == s(FR.replace("informels", "formels"))[0] - 1


def test_several_near_differences_add_up_but_stay_in_the_band() -> None:
    query = FR.replace("9 novembre 2022", "14 juin 2023").replace("l’OTAN", "l'Otan").replace("humaine.", "humaine")
    value, name, diffs = s(query)
    assert set(diffs) == {"numbers", "case", "punctuation"}
    assert value == 100 - 2 - 1 - 1 and name == "near"


def test_fuzzy_bands_fall_as_words_change() -> None:
    one = s(FR.replace("informels", "formels"))
    inflected = s(FR.replace("représentants", "représentant"))
    several = s(FR.replace("ateliers informels", "réunions").replace("la sécurité humaine", "la paix"))
    half = s(" ".join(FR.split()[: len(FR.split()) // 2]))
    assert one[1] == "fuzzy-high" and 85 <= one[0] <= 94
    assert inflected[0] >= one[0]  # a different inflection costs half a different word
    assert several[0] < one[0]
    assert half[1] in ("fuzzy-low", "none") and half[0] < 75
    for value, name, _ in (one, inflected, several, half):
        assert name == band(value)


def test_bands_boundaries() -> None:
    assert [band(v) for v in (101, 100, 99, 95, 94, 85, 84, 75, 74, 50, 49)] == [
        "context",
        "exact",
        "near",
        "near",
        "fuzzy-high",
        "fuzzy-high",
        "fuzzy-medium",
        "fuzzy-medium",
        "fuzzy-low",
        "fuzzy-low",
        "none",
    ]


def test_upper_bound_never_below_the_score() -> None:
    # The index prunes with upper_bound: if it ever fell below score, lookups would miss matches.
    words = FR.split()
    queries = [FR, FR_TITLE, " ".join(words[:5]), "OTAN", "l'Otan à Bruxelles"]
    for i in range(0, len(words), 3):
        queries.append(" ".join([*words[:i], "nouveaux", *words[i + 1 :]]))
        queries.append(" ".join(words[:i] + words[i + 2 :]))
    for query in queries:
        for source in (FR, FR_TITLE):
            q, m = analyse(query, "fr"), analyse(source, "fr")
            assert upper_bound(q.keys, m.keys) >= score(q, m, query, source).value


def test_edit_ops_point_at_the_changed_words() -> None:
    query = FR.replace("informels", "formels").replace("à Bruxelles", "")
    ops = edit_ops(analyse(query, "fr"), analyse(FR, "fr"), query, FR)
    assert [(o.op, query[o.query_start : o.query_end], FR[o.source_start : o.source_end]) for o in ops] == [
        ("replace", "formels", "informels"),
        ("delete", "", "à Bruxelles"),
    ]


def test_date_substitution_fr_to_en() -> None:
    query = FR.replace("Le 9 novembre 2022", "Le 14 juin 2023")
    got = propose(analyse(query, "fr"), analyse(FR, "fr"), analyse(EN, "en"), EN, "en")
    assert got.target == EN.replace("On 9 November 2022", "On 14 June 2023")
    assert [(x.kind, x.original, x.replacement) for x in got.substitutions] == [
        ("date", "9 November 2022", "14 June 2023")
    ]


def test_number_substitution_both_directions_with_local_formats() -> None:
    query = FR.replace("plus de 30", "plus de 1 000,5")
    got = propose(analyse(query, "fr"), analyse(FR, "fr"), analyse(EN, "en"), EN, "en", "fr")
    assert "more than 1,000.5 partner countries" in got.target
    back = EN.replace("more than 30", "more than 2,500")
    got = propose(analyse(back, "en"), analyse(EN, "en"), analyse(FR, "fr"), FR, "fr", "en")
    assert "plus de 2\u00a0500 pays partenaires" in got.target


def test_no_substitution_when_words_differ_or_the_number_is_not_in_the_target() -> None:
    query = FR.replace("30", "40").replace("informels", "formels")
    assert propose(analyse(query, "fr"), analyse(FR, "fr"), analyse(EN, "en"), EN, "en").target == EN
    target = EN.replace("more than 30", "more than thirty")
    query = FR.replace("30", "40")
    assert propose(analyse(query, "fr"), analyse(FR, "fr"), analyse(target, "en"), target, "en").substitutions == []


def test_numbers_and_dates_parse_and_format_in_both_languages() -> None:
    assert parse_number("1 000,5", "fr") == Decimal("1000.5") == parse_number("1,000.5", "en")
    assert parse_number("1.000,5", "fr") == Decimal("1000.5")
    assert parse_number("3,5", "fr") == Decimal("3.5")
    assert format_number(Decimal("1000.5"), "en", grouped=True) == "1,000.5"
    assert format_number(Decimal("1000.5"), "fr", grouped=True) == "1\u00a0000,5"
    assert format_number(Decimal("2023"), "en") == "2023"  # a year-like number is not grouped
    assert format_number(Decimal("12345"), "fr", like="1 000") == "12 345"  # the target's own separator
    assert format_date(DateValue(14, 6, 2023), "en") == "14 June 2023"
    assert format_date(DateValue(14, 6, 2023), "en", like="November 9, 2022") == "June 14, 2023"
    assert format_date(DateValue(1, 8, 2023), "fr") == "1er août 2023"
    dates = [p.value for p in analyse("Le 1er août 2023 et en mars 2024, puis le 3 mai.", "fr").placeables]
    assert dates == [DateValue(1, 8, 2023), DateValue(None, 3, 2024), DateValue(3, 5, None)]
    assert [p.value for p in analyse("On November 9, 2022 and 9 November.", "en").placeables] == [
        DateValue(9, 11, 2022),
        DateValue(9, 11, None),
    ]
