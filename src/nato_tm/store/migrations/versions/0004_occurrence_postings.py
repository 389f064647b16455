"""occurrence-numbered postings: a key's k-th occurrence in a segment is posted under a hash of its own

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 12:50:00

Before this revision a variant was posted once per distinct key, and a lookup holding a key
several times had to read that key's whole list (a query with three numbers read every variant
holding a number). Now the k-th occurrence (k >= 2) has its own hash
(``nato_tm.store.memory_index.occurrence_hashes``). A variant whose keys are all distinct is
posted exactly as before, so only variants with a repeated key get rows here: their extra
postings, their vocabulary counts, and their ``tm_entry.postings`` (so unindexing stays exact).
The lookup relies on these rows to be complete, so the upgrade is one transaction.
"""

from collections import Counter
from collections.abc import Iterator, Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection, Row
from sqlalchemy.orm import Session

from nato_tm.store.memory_bulk import Loader, bump_vocab
from nato_tm.store.memory_index import SEP, occurrence_hashes

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 20_000  # tm_entry rows read at a time, in variant id order
READ = sa.text(
    "SELECT variant_id, lang, ntok, keys, postings FROM tm_entry WHERE variant_id > :after ORDER BY variant_id LIMIT :n"
)
SET_POSTINGS = sa.text("UPDATE tm_entry SET postings = :p WHERE variant_id = :v")
DROP_POSTING = sa.text("DELETE FROM tm_posting WHERE token_hash = :h AND ntok = :n AND variant_id = :v")


def _entries(conn: Connection) -> Iterator[Sequence[Row]]:
    after = 0
    while rows := conn.execute(READ, {"after": after, "n": BATCH}).all():
        yield rows
        after = rows[-1][0]


def _repeats(lang: str, keys: str) -> list[int]:
    """The hashes of the second and later occurrences of repeated keys in a stored key list."""
    split = keys.split(SEP) if keys else []
    if len(set(split)) == len(split):
        return []
    seen: set[str] = set()
    out = []
    for h, key in zip(occurrence_hashes(lang, split), split, strict=True):
        if key in seen:
            out.append(h)
        seen.add(key)
    return out


def upgrade() -> None:
    """Post every repeated occurrence of a key under its own hash."""
    conn = op.get_bind()
    loader = Loader(Session(bind=conn))  # the bulk writer of imports: sorted postings, one vocabulary bump
    for rows in _entries(conn):
        updates = []
        for variant_id, lang, ntok, keys, postings in rows:
            extra = _repeats(lang, keys)
            if extra:
                loader.add_postings(variant_id, ntok, extra)
                hashes = sorted({int(x) for x in postings.split()} | set(extra))
                updates.append({"p": " ".join(map(str, hashes)), "v": variant_id})
        if updates:
            conn.execute(SET_POSTINGS, updates)
    loader.flush()


def downgrade() -> None:
    """Remove the postings of repeated occurrences again."""
    conn = op.get_bind()
    counts: Counter[int] = Counter()
    for rows in _entries(conn):
        gone, updates = [], []
        for variant_id, lang, ntok, keys, postings in rows:
            extra = set(_repeats(lang, keys))
            if extra:
                gone.extend({"h": h, "n": ntok, "v": variant_id} for h in extra)
                counts.subtract(extra)
                updates.append({"p": " ".join(x for x in postings.split() if int(x) not in extra), "v": variant_id})
        if gone:
            conn.execute(DROP_POSTING, gone)
            conn.execute(SET_POSTINGS, updates)
    bump_vocab(Session(bind=conn), counts)
