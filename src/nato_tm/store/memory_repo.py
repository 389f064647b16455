"""Saving translation units: content-keyed, a batch at a time, merging metadata into known units."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import JSON, Text, cast, select
from sqlalchemy.orm import Session, selectinload

from nato_tm.formats.records import UnitRecord, VariantRecord
from nato_tm.formats.tmx import CONTEXT_PROP
from nato_tm.store import memory_index
from nato_tm.store.base import as_utc
from nato_tm.store.memory import Unit, Variant
from nato_tm.store.memory_bulk import Loader, insert_rows, reserve_ids
from nato_tm.store.termbase import Term
from nato_tm.text.pipeline import key_of, match_key, primary_lang, tokens_of
from nato_tm.text.placeables import analysis_of

# Stored hashes keep the first 32 hex digits (128 bits) of the SHA-256: a collision among even a
# billion units stays below 1e-20, while every stored byte costs an import twice (table and WAL),
# and the unique content hash and the key index take their rows in random order (migration 0006).
HASH_HEX = 32


def key_hash(text: str, lang: str) -> str:
    """Hash of the pipeline's match key: equal for texts that differ only in case, accents or spacing."""
    return _digest(match_key(text, lang))


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:HASH_HEX]


# json.dumps with options builds an encoder per call; this one writes the same text.
_CANON_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def content_hash(pairs: Sequence[tuple[str, str]]) -> str:
    """Hash of a unit's (primary language, text or markup) pairs, order-free: the unit's identity."""
    return _digest(_CANON_JSON.encode(sorted(pairs)))


def record_hash(rec: UnitRecord) -> str:
    """The content hash of a unit record."""
    return content_hash([(primary_lang(v.lang_tag), v.markup or v.text) for v in rec.variants])


# What a unit record derives to before it meets the store: (content digest, key hash per variant, context
# hash per variant, index row per variant). Plain tuples: workers pickle them (see IndexRow).
Prepared = tuple[str, tuple[str, ...], tuple[str | None, ...], tuple[memory_index.IndexRow, ...]]


# (lang_tag, text, markup, context_prev) per variant: all that ``prepare`` reads of a record.
Sketch = tuple[tuple[str, str, str | None, str | None], ...]


def sketch(rec: UnitRecord) -> Sketch:
    """The part of a record that ``prepare`` reads (small to send to a worker process)."""
    return tuple((v.lang_tag, v.text, v.markup, v.context_prev) for v in rec.variants)


def prepare_one(variants: Sketch) -> Prepared:
    """Digest, match and context keys and index rows of one record's sketch."""
    digest = content_hash([(primary_lang(tag), markup or text) for tag, text, markup, _ in variants])
    keys: list[str] = []
    prevs: list[str | None] = []
    rows: list[memory_index.IndexRow] = []
    for tag, text, _, prev in variants:
        lang = primary_lang(tag)[:8]
        # key_hash and index_row of the text, tokenised once and outside the caches (each is met once).
        tokens = tokens_of(text, lang)
        keys.append(_digest(key_of(tokens)))
        prevs.append(_digest(key_of(tokens_of(prev, lang))) if prev else None)
        rows.append(memory_index.entry_row(lang, analysis_of(text, tokens, lang)))
    return digest, tuple(keys), tuple(prevs), tuple(rows)


def prepare(sketches: Sequence[Sketch]) -> list[Prepared]:
    """Digests, match keys and index rows of a batch (pure and picklable: runs in import workers)."""
    return [prepare_one(s) for s in sketches]


@dataclass(slots=True)
class NewVariant:
    """A variant about to be inserted: the columns of ``Variant`` (no ORM object: an import makes millions)."""

    lang: str
    lang_tag: str
    text: str
    markup: str | None
    key_hash: str
    prev_hash: str | None
    created_at: datetime | None
    created_by: str | None
    changed_at: datetime | None
    changed_by: str | None
    props: list[dict[str, str]]
    notes: list[dict[str, str]]
    attrs: dict[str, Any]
    index: memory_index.IndexRow


@dataclass(slots=True)
class NewUnit:
    """A unit about to be inserted, with its variants; a duplicate later in the batch merges into it."""

    content_hash: str
    tuid: str | None
    origin: str
    srclang: str | None
    created_at: datetime
    created_by: str | None
    changed_at: datetime | None
    changed_by: str | None
    usage_count: int
    last_used_at: datetime | None
    props: list[dict[str, str]]
    notes: list[dict[str, str]]
    attrs: dict[str, Any]
    variants: list[NewVariant]


def new_variant(rec: VariantRecord, key: str, prev: str | None, index: memory_index.IndexRow) -> NewVariant:
    """A variant row for a record, with its match and context keys."""
    lang = primary_lang(rec.lang_tag)[:8]
    return NewVariant(
        lang, rec.lang_tag, rec.text, rec.markup, key, prev, rec.created_at, rec.created_by,
        rec.changed_at, rec.changed_by, list(rec.props), list(rec.notes), dict(rec.attrs), index,
    )  # fmt: skip


def new_unit(rec: UnitRecord, prep: Prepared) -> NewUnit:
    """A unit row (with its variants) for a record."""
    digest, keys, prevs, rows = prep
    variants = [new_variant(*args) for args in zip(rec.variants, keys, prevs, rows, strict=True)]
    # Whole seconds, as TMX dates carry them: an exported unit reads back equal.
    created_at = rec.created_at or datetime.now(UTC).replace(microsecond=0)
    return NewUnit(
        digest, rec.tuid, rec.origin[:200], rec.srclang, created_at, rec.created_by, rec.changed_at,
        rec.changed_by, rec.usage_count, rec.last_used_at, list(rec.props), list(rec.notes), dict(rec.attrs), variants,
    )  # fmt: skip


def _add_missing(current: list[dict[str, str]], extra: list[dict[str, str]]) -> list[dict[str, str]] | None:
    added = [item for item in extra if item not in current]
    return [*current, *added] if added else None


def _merge_variants(unit: Unit | NewUnit, rec: UnitRecord) -> bool:
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
        # CAT tools such as OmegaT date the translation (the tuv), not the tu: a later change is kept.
        changed |= _later_change(match, vrec.changed_at, vrec.changed_by)
    return changed


def merge(unit: Unit | NewUnit, rec: UnitRecord) -> bool:
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


def _later(unit: Unit | NewUnit, rec: UnitRecord) -> bool:
    changed = False
    if _later_than(rec.last_used_at, unit.last_used_at):
        unit.last_used_at = rec.last_used_at
        changed = True
    return _later_change(unit, rec.changed_at, rec.changed_by) or changed


def _later_than(new: datetime | None, stored: datetime | None) -> bool:
    """Whether a date read from a file is later than the stored one (or the only one)."""
    known = as_utc(stored)
    return new is not None and (known is None or new > known)


def _later_change(stored: Any, changed_at: datetime | None, changed_by: str | None) -> bool:
    """Take a change date (and who made it) later than the stored unit's or variant's; whether it was."""
    if not _later_than(changed_at, stored.changed_at):
        return False
    stored.changed_at, stored.changed_by = changed_at, changed_by or stored.changed_by
    return True


def existing(session: Session, digests: Sequence[str]) -> dict[str, Unit]:
    """The stored units among ``digests``, found with one IN query (variants loaded alongside)."""
    if not digests:
        return {}
    stmt = select(Unit).where(Unit.content_hash.in_(set(digests))).options(selectinload(Unit.variants))
    return {u.content_hash: u for u in session.scalars(stmt)}


def save_units(
    session: Session,
    records: Sequence[UnitRecord],
    prepared: Sequence[Prepared] | None = None,
    loader: Loader | None = None,
) -> list[str]:
    """Save a batch: each record is "added", "updated" (gained metadata) or "unchanged".

    ``prepared`` is ``prepare`` of the records' sketches when a worker computed it already; with a
    ``loader``, postings and vocabulary counts wait for ``loader.flush()`` (the caller's).
    """
    if prepared is None:
        prepared = prepare([sketch(r) for r in records])
    known: dict[str, Unit | NewUnit] = dict(existing(session, [p[0] for p in prepared]))
    outcomes: list[str] = []
    fresh: list[NewUnit] = []
    for rec, prep in zip(records, prepared, strict=True):
        unit = known.get(prep[0])
        if unit is None:
            new = new_unit(rec, prep)
            known[prep[0]] = new  # a duplicate later in the batch merges into this one
            fresh.append(new)
            outcomes.append("added")
        else:
            outcomes.append("updated" if merge(unit, rec) else "unchanged")
    session.flush()  # the merged metadata of known units
    own = loader is None
    loader = loader or Loader(session)
    _insert(session, fresh, loader)
    if own:
        loader.flush()
    return outcomes


def _columns_after(model: type[Unit] | type[Variant], ids: tuple[str, ...]) -> tuple[str, ...]:
    """The columns after the leading id columns (the row tuples below put the ids first)."""
    keys = tuple(c.key for c in model.__table__.columns)
    if keys[: len(ids)] != ids:  # pragma: no cover - a model edit would have to move them
        raise RuntimeError(f"{model.__name__} columns must start with {ids}")
    return keys[len(ids) :]


UNIT_COLS = _columns_after(Unit, ("id",))
VARIANT_COLS = _columns_after(Variant, ("id", "unit_id"))
# One C call per row for all its columns, instead of a getattr each.
_unit_values = attrgetter(*UNIT_COLS)
_variant_values = attrgetter(*VARIANT_COLS)


def _insert(session: Session, units: list[NewUnit], loader: Loader) -> None:
    """Insert new units, their variants and index entries with ids taken in advance; postings go to ``loader``."""
    if not units:
        return
    unit_ids = reserve_ids(session, "unit", len(units))
    variant_ids = iter(reserve_ids(session, "variant", sum(len(u.variants) for u in units)))
    unit_rows = [(uid, *_unit_values(u)) for u, uid in zip(units, unit_ids, strict=True)]
    variant_rows: list[tuple[Any, ...]] = []
    entries: list[tuple[int, int, memory_index.IndexRow]] = []
    for u, uid in zip(units, unit_ids, strict=True):
        for v in u.variants:
            vid = next(variant_ids)
            variant_rows.append((vid, uid, *_variant_values(v)))
            entries.append((vid, uid, v.index))
    insert_rows(session, "unit", unit_rows)
    insert_rows(session, "variant", variant_rows)
    memory_index.add_entries(session, loader, entries)


_EMPTY_JSON = frozenset(["[]", "{}", "null"])


def _loads(raw: str | None) -> Any:
    """A JSON column's value from its stored text; the empty ones (most of them) without a parse."""
    # json.loads of the nine JSON columns of a unit and its variants was ≈ 30 % of an export (cProfile).
    return None if raw is None or raw in _EMPTY_JSON else json.loads(raw)


def _variant_record(v: Any) -> VariantRecord:
    """A row of a variant's columns (JSON ones as text) as a record."""
    props = list(_loads(v.props) or [])
    return VariantRecord(
        lang_tag=v.lang_tag,
        text=v.text,
        markup=v.markup,
        context_prev=next((p["value"] for p in props if p.get("type") == CONTEXT_PROP), None),
        created_at=as_utc(v.created_at),
        created_by=v.created_by,
        changed_at=as_utc(v.changed_at),
        changed_by=v.changed_by,
        props=props,
        notes=list(_loads(v.notes) or []),
        attrs=dict(_loads(v.attrs) or {}),
    )


def _unit_record(unit: Any, variants: list[VariantRecord]) -> UnitRecord:
    """A row of a unit's columns (JSON ones as text) and its variants' records as a record."""
    return UnitRecord(
        variants=variants,
        tuid=unit.tuid,
        srclang=unit.srclang,
        origin=unit.origin,
        created_at=as_utc(unit.created_at),
        created_by=unit.created_by,
        changed_at=as_utc(unit.changed_at),
        changed_by=unit.changed_by,
        usage_count=unit.usage_count or 0,
        last_used_at=as_utc(unit.last_used_at),
        props=list(_loads(unit.props) or []),
        notes=list(_loads(unit.notes) or []),
        attrs=dict(_loads(unit.attrs) or {}),
    )


def _record_columns(table: Any, skip: tuple[str, ...]) -> list[Any]:
    """The columns a record is made of, JSON ones read as their text (``_loads``)."""
    return [cast(c, Text).label(c.name) if isinstance(c.type, JSON) else c for c in table.columns if c.name not in skip]


_RECORD_UNIT = select(*_record_columns(Unit.__table__, ("content_hash",)))
_RECORD_VARIANT = select(*_record_columns(Variant.__table__, ("key_hash", "prev_hash")))


def unit_records(session: Session, batch: int = 1000) -> Iterator[UnitRecord]:
    """Every stored unit as a record, in id order, a batch at a time (keyset paging: memory stays flat)."""
    # Rows, not ORM objects: building, tracking and expunging a million instances was most of an
    # export's time (a 1M-unit TMX export: 169 s with them, 93 s without).
    conn = session.connection()  # Core execution: the session's ORM handling of rows cost 5 % more
    last = 0
    while True:
        units = conn.execute(_RECORD_UNIT.where(Unit.id > last).order_by(Unit.id).limit(batch)).all()
        if not units:
            return
        variants: dict[int, list[VariantRecord]] = {u.id: [] for u in units}
        # The batch's units are the ids in (last, its last]: one range of the unit_id index, in id order.
        span = Variant.unit_id.between(last + 1, units[-1].id)
        for v in conn.execute(_RECORD_VARIANT.where(span).order_by(Variant.id)):
            # Each statement reads what is committed when it runs (no snapshot spans the two): a unit
            # committed in between, under an id the first one did not see, waits for the next export.
            if (found := variants.get(v.unit_id)) is not None:
                found.append(_variant_record(v))
        yield from (_unit_record(u, variants[u.id]) for u in units)
        last = units[-1].id


def term_rows(session: Session, langs: Sequence[str] = ("fr", "en")) -> list[tuple[str, str, str]]:
    """(concept id, language, text) of every term in these languages, for alignment anchors."""
    stmt = select(Term.concept_id, Term.lang, Term.text).where(Term.lang.in_(list(langs)))
    return [(c, lang, text) for c, lang, text in session.execute(stmt)]
