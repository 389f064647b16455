"""A cheap fingerprint of the store's state, so that exports can be cached with ETag/Last-Modified."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from nato_tm.store.db import Database
from nato_tm.store.models import Concept, LangSection, Term, Unit, Variant

# What each export reads: counts, newest ids and newest timestamps of these columns change on every write.
_PARTS: dict[str, list[Any]] = {
    "terms": [
        func.count(Concept.id),
        func.max(Concept.updated_at),
        func.max(Concept.created_at),
    ],
    "terms_detail": [func.count(Term.id), func.max(Term.id)],
    "langs": [func.count(LangSection.id), func.max(LangSection.id)],
    "memory": [func.count(Unit.id), func.max(Unit.id), func.max(Unit.created_at), func.max(Unit.changed_at)],
    "variants": [func.count(Variant.id), func.max(Variant.id), func.max(Variant.changed_at)],
}
_KINDS = {"terms": ("terms", "terms_detail", "langs"), "memory": ("memory", "variants")}


@dataclass
class Freshness:
    """An entity tag and the newest change time of one part of the store (terms or memory)."""

    etag: str
    last_modified: datetime | None


def _as_utc(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    # SQLite hands back naive datetimes; they were written in UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def freshness(db: Database, kind: str) -> Freshness:
    """Fingerprint the term base (kind 'terms') or the memory (kind 'memory') with a few aggregates."""
    values: list[Any] = []
    with db.session() as s:
        for part in _KINDS[kind]:
            values.extend(s.execute(select(*_PARTS[part])).one())
    stamps = [t for t in (_as_utc(v) for v in values) if t is not None]
    text = "|".join(v.isoformat() if isinstance(v, datetime) else str(v) for v in values)
    digest = hashlib.sha256(f"{kind}|{text}".encode()).hexdigest()[:32]
    return Freshness(etag=digest, last_modified=max(stamps) if stamps else None)
