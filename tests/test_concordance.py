"""Concordance over the seed memory: accents, apostrophes, case, elision and inflection do not hide hits."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from nato_tm.errors import InvalidInput
from nato_tm.services.concordance import concordance, find_phrase
from nato_tm.store.db import Database


def hits(db: Database, phrase: str, lang: str | None = None) -> list[tuple[int, str, list[str]]]:
    res = concordance(db, phrase, lang, limit=100)
    return [(h.unit_id, h.lang, [h.source[a:b] for a, b in h.highlights]) for h in res.hits]


def test_elision_apostrophes_and_case(db: Database) -> None:
    forms = [hits(db, p, "fr") for p in ("OTAN", "l'Otan", "l’OTAN", "otan")]
    units = [{u for u, _, _ in f} for f in forms]
    assert units[0] and all(u == units[0] for u in units)
    # The article writes l’OTAN: the bare word is highlighted, and with the clitic when it was asked for.
    assert {s for _, _, spans in forms[0] for s in spans} == {"OTAN"}
    assert {s for _, _, spans in forms[1] for s in spans} >= {"l’OTAN"}


def test_accents_do_not_matter(db: Database) -> None:
    with_accents = hits(db, "sécurité coopérative")
    assert with_accents == hits(db, "securite cooperative") == hits(db, "Sécurité Coopérative")
    assert {s.lower() for _, _, spans in with_accents for s in spans} == {"sécurité coopérative"}


def test_inflection_singular_finds_plural(db: Database) -> None:
    singular, plural = hits(db, "partenariat", "fr"), hits(db, "partenariats", "fr")
    assert singular == plural and singular
    assert "partenariats" in {s for _, _, spans in singular for s in spans}
    english = hits(db, "partnership", "en")
    assert english and {s for _, _, spans in english for s in spans} >= {"partnerships"}


def test_phrase_words_must_be_consecutive_and_in_order(db: Database) -> None:
    assert hits(db, "sécurité coopérative")
    assert hits(db, "coopérative sécurité") == []


def test_both_sides_and_targets(db: Database) -> None:
    res = concordance(db, "NATO Headquarters")
    assert res.hits and all(h.lang.startswith("en") for h in res.hits)
    assert all(h.target and h.target_lang and h.target_lang.startswith("fr") for h in res.hits)
    both = concordance(db, "2022")  # a number is searched by its value, on either side
    assert {h.lang[:2] for h in both.hits} == {"fr", "en"}


def test_highlights_point_into_the_stored_text() -> None:
    text = "Les partenaires de l’OTAN et l’Otan ; OTAN."
    assert [text[a:b] for a, b in find_phrase(text, "fr", ["otan"])] == ["OTAN", "Otan", "OTAN"]
    assert [text[a:b] for a, b in find_phrase(text, "fr", ["otan"], elided=True)] == ["l’OTAN", "l’Otan", "OTAN"]


def test_no_hit_and_limit(db: Database) -> None:
    assert concordance(db, "xylophone").hits == []
    res = concordance(db, "de", "fr", limit=2)
    assert len(res.hits) == 2 and res.truncated


@pytest.mark.parametrize(("phrase", "lang", "limit"), [("", None, 5), ("OTAN", "de", 5), ("OTAN", None, 0)])
def test_bad_parameters(db: Database, phrase: str, lang: str | None, limit: int) -> None:
    with pytest.raises(InvalidInput):
        concordance(db, phrase, lang, limit)


def test_cli_concordance(db: Database) -> None:
    base = [sys.executable, "-m", "nato_tm", "--db", db.url, "concordance"]
    doc = json.loads(subprocess.run([*base, "l'Otan", "--json"], capture_output=True, text=True, check=True).stdout)
    assert doc["query"] == "l'Otan" and doc["hits"]
    first = doc["hits"][0]
    assert {"source", "target", "highlights", "unit_id", "lang"} <= set(first)
    start, end = first["highlights"][0]
    assert first["source"][start:end] == "l’OTAN"
    human = subprocess.run([*base, "sécurité coopérative", "--lang", "fr"], capture_output=True, text=True, check=True)
    assert "[sécurité coopérative]" in human.stdout.lower()
    bad = subprocess.run([*base, "OTAN", "--lang", "de"], capture_output=True, text=True, check=False)
    assert bad.returncode == 1 and bad.stderr.startswith("Error: unsupported language")


def test_pages_and_the_limit_give_the_same_hits_whatever_the_page_size(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = concordance(db, "de", "fr", limit=7)
    monkeypatch.setattr("nato_tm.services.concordance.PAGE", 2)  # the limit falls inside a page
    paged = concordance(db, "de", "fr", limit=7)
    assert len(whole.hits) == 7 and whole.truncated and paged.truncated
    assert paged.hits == whole.hits
    assert all(h.target and h.origin for h in paged.hits)
