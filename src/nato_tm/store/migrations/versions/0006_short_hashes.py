"""short hashes: units' content hashes and variants' key and context hashes keep 32 hex digits

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 23:00:00

The SHA-256 digests were stored whole (64 hex digits). 128 bits are far beyond any risk of
collision between units, while every stored byte costs an import twice (the table, then the
WAL), and the unique content hash and the (lang, key_hash) index take their rows in random
order: a 1M-unit store held 3M such strings. From this revision on,
``nato_tm.store.memory_repo`` stores the first 32 digits (``HASH_HEX``). A prefix is what the
code now computes, so the upgrade only cuts the stored values (plain SQL, one statement per
column); the column types stay ``String(64)``: no table is rebuilt.

The downgrade recomputes the whole digests, a batch of units at a time, exactly as the earlier
code computed them: ``key_hash`` from each variant's text and language (the pipeline's match
key), the unit's ``content_hash`` from its variants' (primary language, markup or text) pairs
(a unit without variants, which no write path leaves, would keep its prefix).
``prev_hash`` hashes the previous segment's text, which the store keeps only as the variant's
first non-empty ``x-context-pre`` prop (every write path stores it so). It is recomputed from
that prop when the prop's hash starts with the stored prefix; otherwise (a context given without
the prop) the 32-digit prefix stays, and the earlier code then finds no context match for that
variant (its exact and fuzzy matches are unaffected).

The store revision of the memory moves once, as for any other write to its rows (SQLite's row
triggers run once for the whole statement set, see ``load_tuning.revision_triggers_once``): no
content changes, but an export's bytes are only re-validated once, and no write path escapes
the counter that caches and ETags rely on.
"""

import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection, Row
from sqlalchemy.orm import Session

from nato_tm.formats.tmx import CONTEXT_PROP
from nato_tm.store.load_tuning import revision_triggers_once
from nato_tm.text.pipeline import match_key, primary_lang

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HEX = 32  # a literal, not memory_repo.HASH_HEX: this revision must not move if that ever does
COLUMNS = (("unit", "content_hash"), ("variant", "key_hash"), ("variant", "prev_hash"))
BATCH = 5_000  # units read (with their variants) at a time, in id order
UNITS = sa.text("SELECT id FROM unit WHERE id > :after ORDER BY id LIMIT :n")
VARIANTS = sa.text(
    "SELECT id, unit_id, lang, lang_tag, text, markup, prev_hash, props FROM variant"
    " WHERE unit_id >= :first AND unit_id <= :last ORDER BY id"
)
SET_VARIANT = sa.text("UPDATE variant SET key_hash = :k, prev_hash = :p WHERE id = :v")
SET_UNIT = sa.text("UPDATE unit SET content_hash = :h WHERE id = :u")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _content(pairs: list[tuple[str, str]]) -> str:
    """The earlier ``memory_repo.content_hash``: order-free, whole."""
    return _sha256(json.dumps(sorted(pairs), ensure_ascii=False, separators=(",", ":")))


def _prev(stored: str | None, props: Any, lang: str) -> str | None:
    """The whole context hash from the variant's context prop when it is the one the prefix came from."""
    if stored is None or len(stored) != HEX:
        return stored
    if isinstance(props, str):  # SQLite hands JSON back as text
        props = json.loads(props)
    context = next((p["value"] for p in props or [] if p.get("type") == CONTEXT_PROP and p.get("value")), None)
    whole = _sha256(match_key(context, lang)) if context else None
    return whole if whole is not None and whole.startswith(stored) else stored


def _batches(conn: Connection) -> Iterator[Sequence[Row[Any]]]:
    """The variants of ``BATCH`` units at a time, in unit id order."""
    after = 0
    while ids := [r[0] for r in conn.execute(UNITS, {"after": after, "n": BATCH})]:
        yield conn.execute(VARIANTS, {"first": ids[0], "last": ids[-1]}).all()
        after = ids[-1]


def upgrade() -> None:
    """Keep the first 32 hex digits of every stored content, key and context hash."""
    conn = op.get_bind()
    with revision_triggers_once(Session(bind=conn)) as changed:
        for table, column in COLUMNS:
            done = conn.execute(
                sa.text(f"UPDATE {table} SET {column} = substr({column}, 1, {HEX}) WHERE length({column}) > {HEX}")
            )
            changed[0] |= done.rowcount > 0


def downgrade() -> None:
    """Recompute the whole 64-digit hashes (context hashes where the context prop allows)."""
    conn = op.get_bind()
    with revision_triggers_once(Session(bind=conn)) as changed:
        for rows in _batches(conn):
            pairs: dict[int, list[tuple[str, str]]] = {}
            variants = []
            for vid, uid, lang, tag, text, markup, prev, props in rows:
                pairs.setdefault(uid, []).append((primary_lang(tag), markup or text))
                variants.append({"k": _sha256(match_key(text, lang)), "p": _prev(prev, props, lang), "v": vid})
            if variants:
                conn.execute(SET_VARIANT, variants)
                conn.execute(SET_UNIT, [{"h": _content(p), "u": uid} for uid, p in pairs.items()])
                changed[0] = True
