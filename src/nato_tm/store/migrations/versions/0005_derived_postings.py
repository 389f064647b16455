"""tm_entry.postings keeps only the hashes that the entry's keys do not give

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 23:10:00

Until this revision ``tm_entry.postings`` listed every hash a variant is posted under, so that
unindexing it removes exactly those postings. Most of them are the hashes of its match keys by
occurrence, which the row's ``keys`` column gives again (``memory_index.derived_postings``): on
an imported memory the list was 167 of a row's 290 bytes, 19 % of the store, written twice by
every import. From now on a row stores only the others (the concordance keys of numbers and of
the words of dates), and unindexing takes the union of both (``memory_index.entry_postings``).

Rows written before keep their full lists: the union reads them the same, so the upgrade changes
no row. The downgrade writes the full list back into every row that lacks part of it, which is
what the code before this revision reads.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from nato_tm.store.memory_index import entry_postings

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 20_000  # tm_entry rows read at a time, in variant id order
READ = sa.text(
    "SELECT variant_id, lang, keys, postings FROM tm_entry WHERE variant_id > :after ORDER BY variant_id LIMIT :n"
)
SET_POSTINGS = sa.text("UPDATE tm_entry SET postings = :p WHERE variant_id = :v")


def upgrade() -> None:
    """Nothing to rewrite: a full list is read the same as a list of the hashes the keys do not give."""


def downgrade() -> None:
    """Write every row's full list of posting hashes back."""
    conn = op.get_bind()
    after = 0
    while rows := conn.execute(READ, {"after": after, "n": BATCH}).all():
        updates = []
        for variant_id, lang, keys, stored in rows:
            full = entry_postings(lang, keys, stored)
            if len(full) != len(stored.split()):
                updates.append({"p": " ".join(map(str, sorted(full))), "v": variant_id})
        if updates:
            conn.execute(SET_POSTINGS, updates)
        after = rows[-1][0]
