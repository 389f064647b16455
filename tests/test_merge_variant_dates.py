"""Importing a known pair again: a later change date on a tuv (as OmegaT writes them) is kept, an earlier one is not."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from nato_tm.services.importer import import_path
from nato_tm.store.db import Database
from nato_tm.store.memory import Variant

FR = "Les pays partenaires abordent le renforcement de la coopération sous l’angle du nouveau concept stratégique"
EN = "Partner countries discuss strengthening cooperation in light of the new Strategic Concept"


def omegat_file(path: Path, en_attrs: str) -> str:
    """A one-pair TMX as OmegaT writes it: the dates and ids on the tuvs, none on the tu."""
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4"><header creationtool="OmegaT"'
        ' o-tmf="OmegaT TMX" adminlang="EN-US" datatype="plaintext" creationtoolversion="6.0.0"'
        f' segtype="sentence" srclang="fr"/><body>\n<tu><tuv lang="fr"><seg>{FR}</seg></tuv>'
        f'<tuv lang="en" {en_attrs}><seg>{EN}</seg></tuv></tu>\n</body></tmx>\n',
        encoding="utf-8",
    )
    return str(path)


def english(db: Database) -> tuple[datetime | None, str | None, str | None]:
    with db.session() as s:
        v = s.scalars(select(Variant).where(Variant.text == EN)).one()
        changed = v.changed_at.replace(tzinfo=UTC) if v.changed_at and v.changed_at.tzinfo is None else v.changed_at
        return changed, v.changed_by, v.created_by


def outcome(db: Database, path: str) -> tuple[int, int, int]:
    report = import_path(db, path)
    return report.added, report.updated, report.unchanged


def test_a_later_tuv_change_is_kept_and_an_earlier_one_is_not(empty_db: Database, tmp_path: Path) -> None:
    first = omegat_file(tmp_path / "first.tmx", 'creationid="alice" creationdate="20221109T174200Z"'
                        ' changeid="alice" changedate="20221109T174200Z"')  # fmt: skip
    assert outcome(empty_db, first) == (1, 0, 0)
    assert english(empty_db) == (datetime(2022, 11, 9, 17, 42, tzinfo=UTC), "alice", "alice")

    assert outcome(empty_db, first) == (0, 0, 1)  # the same file again changes nothing

    later = omegat_file(tmp_path / "later.tmx", 'creationid="bob" creationdate="20221110T081500Z"'
                        ' changeid="bob" changedate="20221110T081500Z"')  # fmt: skip
    assert outcome(empty_db, later) == (0, 1, 0)
    # The revision is bob's; the translation was still first written by alice.
    assert english(empty_db) == (datetime(2022, 11, 10, 8, 15, tzinfo=UTC), "bob", "alice")

    earlier = omegat_file(tmp_path / "earlier.tmx", 'changeid="carol" changedate="20221101T000000Z"')
    assert outcome(empty_db, earlier) == (0, 0, 1)
    assert english(empty_db) == (datetime(2022, 11, 10, 8, 15, tzinfo=UTC), "bob", "alice")


def test_a_change_without_an_author_keeps_the_stored_one(empty_db: Database, tmp_path: Path) -> None:
    import_path(empty_db, omegat_file(tmp_path / "a.tmx", 'changeid="alice" changedate="20221109T174200Z"'))
    assert outcome(empty_db, omegat_file(tmp_path / "b.tmx", 'changedate="20221112T090000Z"')) == (0, 1, 0)
    assert english(empty_db)[:2] == (datetime(2022, 11, 12, 9, tzinfo=UTC), "alice")
