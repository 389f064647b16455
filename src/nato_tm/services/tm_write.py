"""Writing single units: the CAT-tool write-back behind the web API, and deletion."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from nato_tm.errors import InvalidInput, NotFound
from nato_tm.formats.records import UnitRecord, VariantRecord
from nato_tm.formats.tmx import CONTEXT_PROP
from nato_tm.formats.xmlsafe import not_xml
from nato_tm.store import memory_index
from nato_tm.store.base import as_utc
from nato_tm.store.db import Database
from nato_tm.store.memory import Unit
from nato_tm.store.memory_repo import record_hash, save_units
from nato_tm.text.pipeline import primary_lang

MAX_SEGMENT = 10_000  # characters; longer is no segment but a document
LANG_OK = frozenset({"fr", "en"})


@dataclass
class VariantDoc:
    """One language version of a stored unit."""

    lang: str
    lang_tag: str
    text: str
    markup: str | None = None


@dataclass
class UnitDoc:
    """A stored unit as the API returns it; ``outcome`` says what the write did."""

    id: int
    origin: str
    created_at: datetime | None
    created_by: str | None
    changed_at: datetime | None
    changed_by: str | None
    usage_count: int
    variants: list[VariantDoc] = field(default_factory=list)
    props: list[dict[str, str]] = field(default_factory=list)
    outcome: str = "unchanged"  # "added", "updated" or "unchanged"


def unit_doc(unit: Unit, outcome: str = "unchanged") -> UnitDoc:
    """The document of a stored unit."""
    return UnitDoc(
        id=unit.id,
        origin=unit.origin,
        created_at=as_utc(unit.created_at),
        created_by=unit.created_by,
        changed_at=as_utc(unit.changed_at),
        changed_by=unit.changed_by,
        usage_count=unit.usage_count or 0,
        variants=[VariantDoc(v.lang, v.lang_tag, v.text, v.markup) for v in unit.variants],
        props=list(unit.props or []),
        outcome=outcome,
    )


def _check(text: str, lang: str, param: str) -> str:
    if not text or not text.strip():
        raise InvalidInput(f"{param} is empty", param=param)
    if len(text) > MAX_SEGMENT:
        raise InvalidInput(f"{param} is longer than {MAX_SEGMENT} characters", param=param)
    if bad := not_xml(text):  # TMX could never carry it: the export would fail for everyone
        raise InvalidInput(f"{param} holds the control character {bad}, which TMX cannot carry", param=param)
    if primary_lang(lang) not in LANG_OK:
        raise InvalidInput(f"unsupported language {lang!r} (use fr or en)", param="src" if param == "source" else "tgt")
    return lang.strip()


def add_unit(
    db: Database,
    source: str,
    target: str,
    src: str,
    tgt: str,
    *,
    user: str,
    origin: str = "api",
    context_prev: str | None = None,
) -> UnitDoc:
    """Store a source/target pair; writing the same pair again returns the stored unit (content-keyed)."""
    src, tgt = _check(source, src, "source"), _check(target, tgt, "target")
    if primary_lang(src) == primary_lang(tgt):
        raise InvalidInput("source and target languages must differ", param="tgt")
    now = datetime.now(UTC)
    context = context_prev if context_prev and context_prev.strip() else None
    rec = UnitRecord(
        variants=[
            VariantRecord(
                lang_tag=src,
                text=source,
                context_prev=context,
                created_at=now,
                created_by=user,
                props=[{"type": CONTEXT_PROP, "value": context}] if context else [],
            ),
            VariantRecord(lang_tag=tgt, text=target, created_at=now, created_by=user),
        ],
        srclang=src,
        origin=origin,
        created_at=now,
        created_by=user,
    )

    def work(session: Session) -> UnitDoc:
        (outcome,) = save_units(session, [rec])
        stmt = select(Unit).where(Unit.content_hash == record_hash(rec)).options(selectinload(Unit.variants))
        return unit_doc(session.scalars(stmt).one(), outcome)

    # Retried on a concurrent writer (SQLite lock, PostgreSQL unique race on the content hash).
    return db.write(work)


def delete_unit(db: Database, unit_id: int) -> None:
    """Delete a unit, its variants and its index entries; NotFound if there is no such unit."""
    with db.session(write=True) as session:
        unit = session.get(Unit, unit_id)
        if unit is None:
            raise NotFound(f"no translation unit {unit_id}", param="unit_id")
        memory_index.unindex_units(session, [unit_id])
        session.delete(unit)
