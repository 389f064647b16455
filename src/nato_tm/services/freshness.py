"""A cheap fingerprint of the store's state, so that exports can be cached with ETag/Last-Modified."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from nato_tm.store.db import Database
from nato_tm.store.revision import SCOPES, read_revision


@dataclass
class Freshness:
    """An entity tag and the newest change time of one part of the store (terms or memory)."""

    etag: str
    last_modified: datetime | None


def freshness(db: Database, kind: str) -> Freshness:
    """Fingerprint the term base (kind 'terms') or the memory (kind 'memory') by its store revision."""
    if kind not in SCOPES:
        raise ValueError(f"unknown part of the store: {kind!r}")
    with db.engine.connect() as conn:
        rev = read_revision(conn, kind)
    # The database's identity is part of the tag: two stores at the same revision number differ.
    digest = hashlib.sha256(f"{db.url}|{kind}|{rev.value}".encode()).hexdigest()[:32]
    return Freshness(etag=digest, last_modified=rev.changed_at)
