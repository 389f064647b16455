"""Occurrence-numbered postings (migration 0004): a key's k-th occurrence in a segment has a posting of
its own, so a query repeating a common key reads the short "k-th occurrence" list, and an upgrade of
a store indexed before gives exactly the index that indexing afresh gives."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from nato_tm.services.tm_lookup import lookup
from nato_tm.store import migrate
from nato_tm.store.db import Database
from nato_tm.store.memory_index import OCCURRENCE, occurrence_hashes, token_hash, variant_keys
from nato_tm.text.placeables import analyse, search_keys


def _index(db: Database) -> dict[str, Any]:
    with db.engine.connect() as conn:
        postings = text("SELECT token_hash, ntok, variant_id FROM tm_posting ORDER BY 1, 2, 3")
        return {
            "postings": conn.execute(postings).all(),
            "vocab": conn.execute(text("SELECT token_hash, df FROM tm_vocab WHERE df <> 0 ORDER BY 1")).all(),
            "entries": conn.execute(text("SELECT variant_id, postings FROM tm_entry ORDER BY 1")).all(),
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
