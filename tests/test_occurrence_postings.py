"""Occurrence-numbered postings (migration 0004): a key's k-th occurrence in a segment has a posting of
its own, so a query repeating a common key reads the short "k-th occurrence" list, and an upgrade of
a store indexed before gives exactly the index that indexing afresh gives."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from nato_tm.services.tm_lookup import lookup
from nato_tm.store import migrate
from nato_tm.store.db import Database
from nato_tm.store.memory_index import OCCURRENCE, entry_postings, occurrence_hashes, token_hash, variant_keys
from nato_tm.text.placeables import analyse, search_keys


def _index(db: Database) -> dict[str, Any]:
    with db.engine.connect() as conn:
        postings = text("SELECT token_hash, ntok, variant_id FROM tm_posting ORDER BY 1, 2, 3")
        return {
            "postings": conn.execute(postings).all(),
            "vocab": conn.execute(text("SELECT token_hash, df FROM tm_vocab WHERE df <> 0 ORDER BY 1")).all(),
            # What each entry unindexes: stored lists differ (full before 0005, the rest after), their union not.
            "entries": [
                (vid, sorted(entry_postings(lang, keys, stored)))
                for vid, lang, keys, stored in conn.execute(
                    text("SELECT variant_id, lang, keys, postings FROM tm_entry ORDER BY 1")
                )
            ],
        }


def test_each_occurrence_of_a_repeated_key_has_its_own_hash() -> None:
    keys = analyse("Le 9 novembre 2022, le Comité militaire a reçu 30 délégations et 2 observateurs.", "fr").keys
    hashes = occurrence_hashes("fr", keys)
    assert len(set(hashes)) == len(keys)  # a set: one hash per key position
    assert keys.count("le") == 2 and keys.count("#num") == 2
    assert hashes[keys.index("le")] == token_hash("fr", "le")  # a first occurrence is the key's own hash
    second = len(keys) - 1 - keys[::-1].index("#num")
    assert hashes[second] == token_hash("fr", f"#num{OCCURRENCE}2")
    _, posted = variant_keys("Le 9 novembre 2022, le Comité militaire a reçu 30 délégations et 2 observateurs.", "fr")
    assert set(hashes) <= posted


def test_upgrade_from_0003_gives_the_index_a_fresh_import_gives(db: Database) -> None:
    fresh = _index(db)  # the shipped seed memory (the article's sentences), indexed by this version
    repeated = {h for (h, _, _) in fresh["postings"]} - {
        token_hash(lang, k) for lang in ("fr", "en") for k in _all_keys(db, lang)
    }
    assert repeated, "the seed article's sentences repeat keys (de, la, #num): some postings are occurrence ones"
    # The article's second sentence with its date changed: "de", "la" and "des" repeat in it.
    query = (
        "Le 14 juin 2023, des représentants de plus de 30 pays partenaires ont participé à des ateliers informels"
        " organisés au siège de l’OTAN à Bruxelles, au cours desquels ils ont abordé des domaines d’intérêt commun"
        " comme la prévention et la gestion des crises, la sécurité coopérative, la lutte contre le terrorisme et la"
        " sécurité humaine."
    )
    before = [(m.score, m.source_variant_id) for m in lookup(db, query).matches]

    migrate.downgrade(db, "0003")
    old = _index(db)
    assert {h for (h, _, _) in old["postings"]}.isdisjoint(repeated)
    assert len(old["postings"]) == len(fresh["postings"]) - sum(1 for p in fresh["postings"] if p[0] in repeated)

    migrate.upgrade(db)
    assert migrate.current(db) == migrate.head()
    assert _index(db) == fresh
    assert [(m.score, m.source_variant_id) for m in lookup(db, query).matches] == before
    assert before and before[0][0] == 98  # the same sentence but for its date


def _all_keys(db: Database, lang: str) -> set[str]:
    """Every plain key and concordance key (no occurrence suffix) of the stored variants."""
    with db.engine.connect() as conn:
        texts = [r[0] for r in conn.execute(text("SELECT text FROM variant WHERE lang = :l"), {"l": lang})]
    out: set[str] = set()
    for t in texts:
        seg = analyse(t, lang)
        out |= set(seg.keys) | search_keys(seg.tokens)
    return out


def test_a_segment_is_posted_under_its_occurrence_hashes_and_every_concordance_key(seed_article: str) -> None:
    # The definition the index shortcuts (memory_index._posted): every key by occurrence, plus the
    # hash of each search key (word stems, number values, the words of dates). Real sentences, and
    # the odd ones: dates in both orders, grouped and unparsed numbers, repeated words, no words.
    odd = [
        ("fr", "Le 1er novembre 2022 et le 9 novembre, 2 500 000 euros ; 3,5 % le 12e jour de novembre."),
        ("en", "On November 9, 2022 and 9 November 2022, 1,000.5 troops left; 12th of May, 1.2.3.4, 2022's."),
        ("fr", "?! -- ..."),
        ("en", "the the the 1 1 1 May May"),
    ]
    sentences = [("fr", line) for line in seed_article.splitlines() if line.strip()] + odd
    for lang, text_ in sentences:
        seg = analyse(text_, lang)
        expected = {token_hash(lang, key) for key in search_keys(seg.tokens)} | set(occurrence_hashes(lang, seg.keys))
        assert variant_keys(text_, lang)[1] == expected, text_
