"""Saving translation units: content-keyed, a batch at a time, merging metadata into known units."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, selectinload

from nato_tm.formats.records import UnitRecord, VariantRecord
from nato_tm.formats.tmx import CONTEXT_PROP
from nato_tm.store import memory_index
from nato_tm.store.base import as_utc
from nato_tm.store.memory import Unit, Variant
from nato_tm.store.termbase import Term
from nato_tm.text.pipeline import match_key, primary_lang


def key_hash(text: str, lang: str) -> str:
    """Hash of the pipeline's match key: equal for texts that differ only in case, accents or spacing."""
    return hashlib.sha256(match_key(text, lang).encode("utf-8")).hexdigest()


def content_hash(pairs: Sequence[tuple[str, str]]) -> str:
    """Hash of a unit's (primary language, text or markup) pairs, order-free: the unit's identity."""
    canon = json.dumps(sorted(pairs), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()


def record_hash(rec: UnitRecord) -> str:
    """The content hash of a unit record."""
    return content_hash([(primary_lang(v.lang_tag), v.markup or v.text) for v in rec.variants])


def new_variant(rec: VariantRecord) -> Variant:
    """A Variant row for a record, with its match and context keys."""
    lang = primary_lang(rec.lang_tag)[:8]
    return Variant(
        lang=lang,
        lang_tag=rec.lang_tag,
        text=rec.text,
        markup=rec.markup,
        key_hash=key_hash(rec.text, lang),
        prev_hash=key_hash(rec.context_prev, lang) if rec.context_prev else None,
        created_at=rec.created_at,
        created_by=rec.created_by,
        changed_at=rec.changed_at,
        changed_by=rec.changed_by,
        props=list(rec.props),
        notes=list(rec.notes),
        attrs=dict(rec.attrs),
    )


def new_unit(rec: UnitRecord, digest: str) -> Unit:
    """A Unit row (with its variants) for a record."""
    unit = Unit(
        content_hash=digest,
        tuid=rec.tuid,
        origin=rec.origin[:200],
        srclang=rec.srclang,
        created_by=rec.created_by,
        changed_at=rec.changed_at,
        changed_by=rec.changed_by,
        usage_count=rec.usage_count,
        last_used_at=rec.last_used_at,
        props=list(rec.props),
        notes=list(rec.notes),
        attrs=dict(rec.attrs),
        variants=[new_variant(v) for v in rec.variants],
    )
    # Whole seconds, as TMX dates carry them: an exported unit reads back equal.
    unit.created_at = rec.created_at or datetime.now(UTC).replace(microsecond=0)
    return unit


def _add_missing(current: list[dict[str, str]], extra: list[dict[str, str]]) -> list[dict[str, str]] | None:
    added = [item for item in extra if item not in current]
    return [*current, *added] if added else None


def _merge_variants(unit: Unit, rec: UnitRecord) -> bool:
    changed = False
    for vrec in rec.variants:
        match = next((v for v in unit.variants if v.lang_tag == vrec.lang_tag and v.text == vrec.text), None)
        if match is None:
            continue
        for field in ("props", "notes"):
            merged = _add_missing(getattr(match, field) or [], getattr(vrec, field))
            if merged is not None:
                setattr(match, field, merged)
                changed = True
        if match.prev_hash is None and vrec.context_prev:
            match.prev_hash = key_hash(vrec.context_prev, match.lang)
            changed = True
    return changed


def merge(unit: Unit, rec: UnitRecord) -> bool:
    """Add what the record knows and the stored unit lacks; return whether anything changed."""
    changed = _merge_variants(unit, rec)
    for field in ("props", "notes"):
        merged = _add_missing(getattr(unit, field) or [], getattr(rec, field))
        if merged is not None:
            setattr(unit, field, merged)
            changed = True
    for field in ("tuid", "srclang"):  # not created_by: writing a known pair again is no authorship
        if getattr(unit, field) is None and getattr(rec, field):
            setattr(unit, field, getattr(rec, field))
            changed = True
    missing = {k: v for k, v in rec.attrs.items() if k not in (unit.attrs or {})}
    if missing:
        unit.attrs = {**(unit.attrs or {}), **missing}
        changed = True
    if rec.usage_count > (unit.usage_count or 0):
        unit.usage_count = rec.usage_count
        changed = True
    changed |= _later(unit, rec)
    return changed


def _later(unit: Unit, rec: UnitRecord) -> bool:
    changed = False
    if rec.last_used_at and (unit.last_used_at is None or rec.last_used_at > as_utc(unit.last_used_at)):  # type: ignore[operator]
        unit.last_used_at = rec.last_used_at
        changed = True
    if rec.changed_at and (unit.changed_at is None or rec.changed_at > as_utc(unit.changed_at)):  # type: ignore[operator]
        unit.changed_at, unit.changed_by = rec.changed_at, rec.changed_by or unit.changed_by
        changed = True
    return changed


def existing(session: Session, digests: Sequence[str]) -> dict[str, Unit]:
    """The stored units among ``digests``, found with one IN query (variants loaded alongside)."""
    if not digests:
        return {}
    stmt = select(Unit).where(Unit.content_hash.in_(set(digests))).options(selectinload(Unit.variants))
    return {u.content_hash: u for u in session.scalars(stmt)}


def save_units(session: Session, records: Sequence[UnitRecord]) -> list[str]:
    """Save a batch: each record is "added", "updated" (gained metadata) or "unchanged"."""
    digests = [record_hash(r) for r in records]
    known = existing(session, digests)
    outcomes: list[str] = []
    fresh: list[Unit] = []
    for rec, digest in zip(records, digests, strict=True):
        unit = known.get(digest)
        if unit is None:
            unit = new_unit(rec, digest)
            known[digest] = unit  # a duplicate later in the batch merges into this one
            fresh.append(unit)
            outcomes.append("added")
        else:
            outcomes.append("updated" if merge(unit, rec) else "unchanged")
    session.flush()  # the merged metadata of known units
    if fresh:
        _insert(session, fresh)
        memory_index.index_units(session, fresh)
    return outcomes


def _insert(session: Session, units: list[Unit]) -> None:
    """Insert new units, then their variants, as two multi-row INSERTs; ids are set on the (transient) objects.

    Bypassing the unit of work keeps a 1000-unit batch to two statements and no per-object
    bookkeeping; the objects stay outside the session, so nothing is inserted twice.
    """
    unit_cols = [c.key for c in Unit.__table__.columns if c.key != "id"]
    variant_cols = [c.key for c in Variant.__table__.columns if c.key not in ("id", "unit_id")]
    rows = [{k: getattr(u, k) for k in unit_cols} for u in units]
    ids = session.scalars(insert(Unit).returning(Unit.id, sort_by_parameter_order=True), rows).all()
    variants: list[Variant] = []
    variant_rows: list[dict[str, Any]] = []
    for unit, unit_id in zip(units, ids, strict=True):
        unit.id = unit_id
        for v in unit.variants:
            v.unit_id = unit_id
            variants.append(v)
            variant_rows.append({"unit_id": unit_id, **{k: getattr(v, k) for k in variant_cols}})
    stmt = insert(Variant).returning(Variant.id, sort_by_parameter_order=True)
    for v, variant_id in zip(variants, session.scalars(stmt, variant_rows).all(), strict=True):
        v.id = variant_id


def _variant_record(v: Variant) -> VariantRecord:
    return VariantRecord(
        lang_tag=v.lang_tag,
        text=v.text,
        markup=v.markup,
        context_prev=next((p["value"] for p in v.props or [] if p.get("type") == CONTEXT_PROP), None),
        created_at=as_utc(v.created_at),
        created_by=v.created_by,
        changed_at=as_utc(v.changed_at),
        changed_by=v.changed_by,
        props=list(v.props or []),
        notes=list(v.notes or []),
        attrs=dict(v.attrs or {}),
    )


def unit_record(unit: Unit) -> UnitRecord:
    """A stored unit as a format-neutral record (for export and API documents)."""
    return UnitRecord(
        variants=[_variant_record(v) for v in unit.variants],
        tuid=unit.tuid,
        srclang=unit.srclang,
        origin=unit.origin,
        created_at=as_utc(unit.created_at),
        created_by=unit.created_by,
        changed_at=as_utc(unit.changed_at),
        changed_by=unit.changed_by,
        usage_count=unit.usage_count or 0,
        last_used_at=as_utc(unit.last_used_at),
        props=list(unit.props or []),
        notes=list(unit.notes or []),
        attrs=dict(unit.attrs or {}),
    )


def iter_units(session: Session, batch: int = 1000) -> Iterator[Unit]:
    """Every unit with its variants, in id order, a batch at a time (keyset paging: memory stays flat)."""
    last = 0
    while True:
        stmt = select(Unit).where(Unit.id > last).order_by(Unit.id).limit(batch).options(selectinload(Unit.variants))
        units = list(session.scalars(stmt))
        if not units:
            return
        yield from units
        last = units[-1].id
        session.expunge_all()


def term_rows(session: Session, langs: Sequence[str] = ("fr", "en")) -> list[tuple[str, str, str]]:
    """(concept id, language, text) of every term in these languages, for alignment anchors."""
    stmt = select(Term.concept_id, Term.lang, Term.text).where(Term.lang.in_(list(langs)))
    return [(c, lang, text) for c, lang, text in session.execute(stmt)]
