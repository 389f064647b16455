"""Units analysed in import worker processes: ready-to-bind rows, which the importing process numbers and inserts.

A worker turns a record and its ``prepare`` into a ``Ready`` tuple: the unit's content digest,
its unit row and, per variant, its variant row, its index entry and its posting hashes, all without
ids and already converted as the ORM would bind them (``memory_bulk.convert``, the same values
``memory_repo.save_units`` stores). The importing process only checks that no unit of a batch is
stored already or twice in the batch, takes ids and inserts: one statement per table and 999
values. A batch with a duplicate goes through ``save_units`` instead, which merges.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from nato_tm.formats.records import UnitRecord
from nato_tm.store.memory_bulk import Loader, convert, insert_new, insert_rows, posted_text, reserve_ids
from nato_tm.store.memory_index import HASHES, entry_tuple
from nato_tm.store.memory_repo import UNIT_COLS, VARIANT_COLS, Prepared
from nato_tm.store.memory_rows import among, fetch, on_postgres
from nato_tm.text.pipeline import primary_lang

# Per variant: its variant row and its tm_entry row, both without their leading ids, its posting hashes
# and, on SQLite, the same space-joined as the loader stages them (built here, in a worker).
VariantReady = tuple[tuple[Any, ...], tuple[Any, ...], tuple[int, ...], str | None]
# A unit: its content digest, its unit row without the id, its variants.
Ready = tuple[str, tuple[Any, ...], tuple[VariantReady, ...]]
_KEY, _PREV = VARIANT_COLS.index("key_hash"), VARIANT_COLS.index("prev_hash")
_UNIT = ("content_hash", "tuid", "origin", "srclang", "created_at", "created_by", "changed_at", "changed_by",
         "usage_count", "last_used_at", "props", "notes", "attrs")  # fmt: skip
_VARIANT = ("lang", "lang_tag", "text", "markup", "key_hash", "prev_hash", "created_at", "created_by", "changed_at",
            "changed_by", "props", "notes", "attrs")  # fmt: skip
if (UNIT_COLS, VARIANT_COLS) != (_UNIT, _VARIANT):  # pragma: no cover - a model edit must update ready()
    raise RuntimeError("memory_load.ready builds unit and variant rows in an outdated column order")


def ready(rec: UnitRecord, prep: Prepared, dialect: Dialect) -> Ready:
    """The rows a new unit of ``rec`` is stored as (pure: runs in import workers)."""
    digest, keys, prevs, index = prep
    # The values memory_repo.new_unit and new_variant give, in column order (checked below), without their objects.
    created_at = rec.created_at or datetime.now(UTC).replace(microsecond=0)
    unit = (None, digest, rec.tuid, rec.origin[:200], rec.srclang, created_at, rec.created_by, rec.changed_at,
            rec.changed_by, rec.usage_count, rec.last_used_at, rec.props, rec.notes, rec.attrs)  # fmt: skip
    variants = [
        (None, None, primary_lang(v.lang_tag)[:8], v.lang_tag, v.text, v.markup, key, prev, v.created_at,
         v.created_by, v.changed_at, v.changed_by, v.props, v.notes, v.attrs)
        for v, key, prev in zip(rec.variants, keys, prevs, strict=True)
    ]  # fmt: skip
    vrows = convert(dialect, "variant", variants)
    erows = convert(dialect, "tm_entry", [entry_tuple(0, 0, row) for row in index])
    sqlite = dialect.name == "sqlite"
    out = tuple((vrow[2:], erow[2:], row[HASHES], posted_text(row[HASHES]) if sqlite else None)
                for vrow, erow, row in zip(vrows, erows, index, strict=True))  # fmt: skip
    return digest, convert(dialect, "unit", [unit])[0][1:], out


def prepared_of(item: Ready) -> Prepared:
    """The ``prepare`` of the record a Ready was made from (for ``save_units``)."""
    digest, _, variants = item
    keys = tuple(v[_KEY] for v, _, _, _ in variants)
    prevs = tuple(v[_PREV] for v, _, _, _ in variants)
    rows = tuple((e[0], e[1], e[2], e[3], e[4], e[5], e[6], hashes) for _, e, hashes, _ in variants)
    return digest, keys, prevs, rows


def save_ready(session: Session, items: Sequence[Ready], loader: Loader) -> bool:
    """Insert a batch of new units; False (nothing written) if one is stored already or twice in the batch."""
    digests = [item[0] for item in items]
    if not items:
        return True
    unit_ids = None if len(set(digests)) < len(digests) else _insert_units(session, items, digests)
    if unit_ids is None:
        return False
    variant_ids = iter(reserve_ids(session, "variant", sum(len(item[2]) for item in items)))
    variants: list[tuple[Any, ...]] = []
    entries: list[tuple[Any, ...]] = []
    for uid, (_, _, vs) in zip(unit_ids, items, strict=True):
        for vrow, erow, hashes, posted in vs:
            vid = next(variant_ids)
            variants.append((vid, uid, *vrow))
            entries.append((vid, uid, *erow))
            loader.add_postings(vid, erow[1], hashes, posted)
    insert_rows(session, "variant", variants, converted=True)
    insert_rows(session, "tm_entry", entries, converted=True)
    return True


def _insert_units(session: Session, items: Sequence[Ready], digests: list[str]) -> list[int] | None:
    """Insert a batch's units (``digests``: their content hashes) under new ids; None if one is stored already."""
    if on_postgres(session):
        # One query for the digests stored already (one array): COPY cannot skip a row.
        stored, params = among(session, "content_hash", digests, "text")
        if fetch(session, f"SELECT 1 FROM unit WHERE {stored} LIMIT 1", params):
            return None
    unit_ids = reserve_ids(session, "unit", len(items))
    units = [(uid, *item[1]) for uid, item in zip(unit_ids, items, strict=True)]
    if on_postgres(session):
        insert_rows(session, "unit", units, converted=True)
        return unit_ids
    # SQLite: the unique index finds a stored unit while inserting (1,000 probes a batch saved: 5 %
    # of the importing process at 1M); if it skipped one, the batch's units are taken out again.
    if insert_new(session, "unit", units) < len(units):
        session.connection().exec_driver_sql("DELETE FROM unit WHERE id BETWEEN ? AND ?", (unit_ids[0], unit_ids[-1]))
        return None
    return unit_ids
