"""tm_entry.postings keeps only the hashes its keys do not give (migration 0005); unindexing stays exact.

An entry is posted under its match keys by occurrence, which its ``keys`` column gives again, and
under the concordance keys of its numbers and dates, which it stores. Entries written before 0005
hold the full list: both kinds must unindex exactly, and the downgrade must give older code full lists.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import text

from nato_tm.formats.records import UnitRecord, VariantRecord
from nato_tm.services.tm_lookup import lookup
from nato_tm.store import migrate
from nato_tm.store.db import Database
from nato_tm.store.memory_index import derived_postings, entry_postings, unindex_units
from nato_tm.store.memory_repo import save_units

# The seed article's first sentence (a date and a number: postings of their own) and one without any.
DATED = (
    "Le 9 novembre 2022, des représentants de plus de 30 pays partenaires ont participé à des ateliers informels"
    " organisés au siège de l’OTAN à Bruxelles."
)
PLAIN = "Les participants ont été accueillis par le président délégué du Comité militaire."


def _entries(db: Database) -> dict[int, tuple[str, str, str, int]]:
    """variant id -> (lang, keys, stored postings, unit id)."""
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT variant_id, lang, keys, postings, unit_id FROM tm_entry")).all()
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}


def _posted(db: Database) -> dict[int, set[int]]:
    """variant id -> the hashes tm_posting holds for it."""
    out: dict[int, set[int]] = defaultdict(set)
    with db.engine.connect() as conn:
        for h, vid in conn.execute(text("SELECT token_hash, variant_id FROM tm_posting")):
            out[vid].add(h)
    return out


def _vocab_matches_postings(db: Database) -> bool:
    with db.engine.connect() as conn:
        df = dict(conn.execute(text("SELECT token_hash, df FROM tm_vocab WHERE df <> 0")).all())
        counts = dict(conn.execute(text("SELECT token_hash, count(*) FROM tm_posting GROUP BY token_hash")).all())
    return df == counts


def _add(db: Database, fr: str, en: str) -> int:
    record = UnitRecord([VariantRecord("fr-FR", fr), VariantRecord("en-GB", en)], origin="test")
    with db.session() as s:
        assert save_units(s, [record]) == ["added"]
    return next(uid for lang, _, _, uid in _entries(db).values() if lang == "fr" and uid == _max_unit(db))


def _max_unit(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text("SELECT max(id) FROM unit")).scalar_one())


def test_an_entry_stores_only_what_its_keys_do_not_give_and_the_union_is_what_is_posted(db: Database) -> None:
    dated = _add(db, DATED, "On 9 November 2022, representatives of more than 30 partner countries met.")
    plain = _add(db, PLAIN, "The participants were welcomed by the Deputy Chair of the Military Committee.")
    entries, posted = _entries(db), _posted(db)
    for vid, (lang, keys, stored, _) in entries.items():
        own = {int(x) for x in stored.split()}
        assert own.isdisjoint(derived_postings(lang, keys)), vid
        assert entry_postings(lang, keys, stored) == posted.get(vid, set()), vid
    stored_of = {(lang, unit): stored for lang, _, stored, unit in entries.values()}
    # The values of 9, 2022 and 30, and the stem of the date's month: nothing a key gives.
    assert len(stored_of[("fr", dated)].split()) == 4
    assert stored_of[("fr", plain)] == stored_of[("en", plain)] == ""


def test_old_full_lists_and_new_lists_unindex_exactly(db: Database) -> None:
    old = _add(db, DATED, "On 9 November 2022, representatives of more than 30 partner countries met.")
    migrate.downgrade(db, "0004")
    posted = _posted(db)
    for vid, (_, _, stored, _) in _entries(db).items():  # what code before 0005 reads: full lists
        assert {int(x) for x in stored.split()} == posted.get(vid, set()), vid
    migrate.upgrade(db)
    assert migrate.current(db) == migrate.head()
    new = _add(db, "Le 14 juin 2023, 25 délégations ont visité le siège.", "On 14 June 2023, 25 delegations came.")
    gone = {vid for vid, (_, _, _, unit) in _entries(db).items() if unit in (old, new)}
    assert len(gone) == 4
    with db.session() as s:
        unindex_units(s, [old, new])
    assert gone.isdisjoint(_posted(db)) and gone.isdisjoint(_entries(db))
    assert _vocab_matches_postings(db)
    # The seed memory's own units were untouched: each of its sentences is still found whole.
    with db.engine.connect() as conn:
        seed = [r[0] for r in conn.execute(text("SELECT text FROM variant WHERE lang = 'fr' ORDER BY id LIMIT 5"))]
    assert [lookup(db, sentence).matches[0].score for sentence in seed] == [100] * 5
