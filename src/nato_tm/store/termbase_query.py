"""Read queries over the term base used by search, recognition and QA."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, select, text
from sqlalchemy.orm import Session, selectinload

from nato_tm.store.revision import read_revision
from nato_tm.store.termbase import Concept, Term

# Collations under which comparing strings compares code points, so a key range is a prefix.
_BYTEWISE = {"c", "posix", "c.utf-8", "c.utf8", "ucs_basic"}


@dataclass(frozen=True, slots=True)
class TermRow:
    """What recognition and fuzzy search need of a term, without the ORM object."""

    id: int
    concept_id: str
    lang: str
    text: str
    term_type: str
    status: str
    case_sensitive: bool
    key_base: str
    key_stem: str


Marker = tuple[Any, ...]


def change_marker(conn: Connection | Session) -> Marker:
    """A value that changes with every committed write to the term base, whoever made it.

    It is the term base's store revision, moved by database triggers (see store/revision.py):
    one primary-key read, exact for additions, edits and deletions alike.
    """
    return (read_revision(conn, "terms").value,)


def term_rows(conn: Connection | Session) -> list[TermRow]:
    """Every term with its keys, in id order."""
    stmt = select(
        Term.id,
        Term.concept_id,
        Term.lang,
        Term.text,
        Term.term_type,
        Term.status,
        Term.case_sensitive,
        Term.key_base,
        Term.key_stem,
    ).order_by(Term.id)
    return [TermRow(*row) for row in conn.execute(stmt)]


def _lang_filter(langs: Sequence[str]) -> ColumnElement[bool]:
    return Term.lang.in_(list(langs))


def _bytewise(session: Session) -> bool:
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        return True  # SQLite compares with BINARY: code point order.
    # The database's collation does not change under a pooled connection: ask once per connection.
    if "nato_tm_bytewise" not in conn.info:
        collation = conn.scalar(text("SELECT datcollate FROM pg_database WHERE datname = current_database()"))
        conn.info["nato_tm_bytewise"] = str(collation or "").lower() in _BYTEWISE
    return bool(conn.info["nato_tm_bytewise"])


def terms_by_prefix(session: Session, prefix: str, langs: Sequence[str], limit: int) -> list[Term]:
    """Terms whose key_base starts with ``prefix``, shortest first, through a range on the (lang, key_base) index."""
    if not prefix:
        return []
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    col: Any = Term.key_base
    if not _bytewise(session):
        # Under a linguistic collation a range is not a prefix; compare code points instead (no index).
        col = Term.key_base.collate("C")
    stmt = (
        select(Term)
        .where(_lang_filter(langs), col >= prefix, col < upper)
        .order_by(func.length(Term.key_base), Term.id)
        .limit(limit)
    )
    return [t for t in session.scalars(stmt) if t.key_base.startswith(prefix)]


def terms_by_ids(session: Session, ids: Iterable[int]) -> list[Term]:
    """Terms by id."""
    wanted = list(set(ids))
    if not wanted:
        return []
    return list(session.scalars(select(Term).where(Term.id.in_(wanted)).order_by(Term.id)))


def concepts_by_ids(session: Session, ids: Iterable[str]) -> dict[str, Concept]:
    """Concepts with their language sections and terms loaded, by id."""
    wanted = list(set(ids))
    if not wanted:
        return {}
    stmt = (
        select(Concept).where(Concept.id.in_(wanted)).options(selectinload(Concept.langs), selectinload(Concept.terms))
    )
    return {c.id: c for c in session.scalars(stmt)}
