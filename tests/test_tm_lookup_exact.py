"""The indexed lookup returns exactly what scoring every stored segment would (on a memory small enough
that the index searches at the caller's minimum score), whatever the limit: candidates are read
lazily, best bound first, and reading stops early, so this checks that stopping never drops a match."""

from __future__ import annotations

import random
import uuid

import pytest

from nato_tm.services.tm_lookup import lookup
from nato_tm.services.tm_score import score
from nato_tm.store.db import Database
from nato_tm.store.memory import Unit, Variant
from nato_tm.store.memory_index import index_units
from nato_tm.store.memory_repo import key_hash
from nato_tm.text.placeables import analyse

BASES = [
    "Le Conseil de l'Atlantique Nord a approuvé le plan de défense aérienne le 12 mars 2021",
    "Les ministres de la Défense se sont réunis à Bruxelles pour examiner la posture de dissuasion",
    "La mission de formation en Irak compte environ 500 personnels des pays alliés",
    "L'exercice se déroulera du 3 au 14 juin dans la mer Baltique avec 30 navires",
]
WORDS = ["alliés", "rapide", "nouveau", "sécurité", "forces", "terrestre", "partenaires", "chaque", "soutien"]


def _perturb(text: str, rng: random.Random) -> str:
    words = text.split()
    for _ in range(rng.randint(1, 5)):
        at = rng.randrange(len(words))
        op = rng.choice("sid")
        if op == "s":
            words[at] = rng.choice(WORDS)
        elif op == "i":
            words.insert(at, rng.choice(WORDS))
        elif len(words) > 3:
            del words[at]
    return " ".join(words)


def _store(db: Database, fr: str, en: str | None) -> int:
    with db.session() as s:
        unit = Unit(content_hash=uuid.uuid4().hex, origin="test")
        unit.variants = [Variant(lang="fr", lang_tag="fr", text=fr, key_hash=key_hash(fr, "fr"))]
        if en is not None:
            unit.variants.append(Variant(lang="en", lang_tag="en", text=en, key_hash=key_hash(en, "en")))
        s.add(unit)
        s.flush()
        index_units(s, [unit])
        return unit.variants[0].id


@pytest.fixture
def memory(empty_db: Database) -> dict[int, tuple[str, bool]]:
    """About 150 variations of four sentences (one source key each); one in ten has no English."""
    rng = random.Random(7)
    stored: dict[int, tuple[str, bool]] = {}
    keys: set[str] = set()
    for i in range(170):
        fr = _perturb(rng.choice(BASES), rng) if i >= len(BASES) else BASES[i]
        if key_hash(fr, "fr") in keys:
            continue  # one translation per source: no several-translations penalty to model
        keys.add(key_hash(fr, "fr"))
        translated = i % 10 != 3
        stored[_store(empty_db, fr, f"translation {i}" if translated else None)] = (fr, translated)
    return stored


def _brute_force(query: str, memory: dict[int, tuple[str, bool]], min_score: int) -> list[tuple[int, int]]:
    q = analyse(query, "fr")
    found = [(score(q, analyse(fr, "fr"), query, fr).value, vid) for vid, (fr, ok) in memory.items() if ok]
    return sorted(((s, v) for s, v in found if s >= min_score), reverse=True)


@pytest.mark.parametrize("limit", [1, 3, 5, 20])
@pytest.mark.parametrize("min_score", [50, 75])
def test_lookup_equals_scoring_everything(
    empty_db: Database, memory: dict[int, tuple[str, bool]], limit: int, min_score: int
) -> None:
    rng = random.Random(limit * 100 + min_score)
    queries = [*BASES, *(_perturb(rng.choice(BASES), rng) for _ in range(6)), "plan de défense", "Bruxelles"]
    for query in queries:
        want = _brute_force(query, memory, min_score)[:limit]
        got = [
            (m.score, m.source_variant_id) for m in lookup(empty_db, query, min_score=min_score, limit=limit).matches
        ]
        assert [s for s, _ in got] == [s for s, _ in want], query
        if want:  # above the last score, the very same segments (ties at it may be broken otherwise)
            cut = want[-1][0]
            assert {v for s, v in got if s > cut} == {v for s, v in want if s > cut}, query
