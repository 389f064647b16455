"""store revisions moved by triggers

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCOPES = {"terms": ("concept", "lang_section", "term"), "memory": ("unit", "variant")}

# PostgreSQL: a deferred trigger moves the counter at commit, once per transaction (a
# transaction-local setting remembers it), so writers hold the counter row only while committing.
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION nato_tm_bump_revision() RETURNS trigger AS $$
DECLARE flag text := 'nato_tm.bumped_' || TG_ARGV[0];
BEGIN
  IF coalesce(current_setting(flag, true), '') <> '1' THEN
    PERFORM set_config(flag, '1', true);
    UPDATE store_revision SET value = value + 1, changed_at = now() WHERE scope = TG_ARGV[0];
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql
"""


def _pg_triggers() -> None:
    op.execute(PG_FUNCTION)
    for scope, tables in SCOPES.items():
        for table in tables:
            op.execute(
                f"CREATE CONSTRAINT TRIGGER trg_{table}_revision AFTER INSERT OR UPDATE OR DELETE ON {table} "
                f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION nato_tm_bump_revision('{scope}')"
            )


def _sqlite_triggers() -> None:
    # SQLite has one writer at a time, so a plain row trigger cannot contend.
    bump = "UPDATE store_revision SET value = value + 1, changed_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE scope = '{}';"
    for scope, tables in SCOPES.items():
        for table in tables:
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER trg_{table}_{event.lower()}_revision AFTER {event} ON {table} "
                    f"BEGIN {bump.format(scope)} END"
                )


def upgrade() -> None:
    """Apply this revision."""
    table = op.create_table(
        "store_revision",
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_store_revision")),
    )
    op.bulk_insert(table, [{"scope": scope, "value": 0, "changed_at": None} for scope in SCOPES])
    if op.get_bind().dialect.name == "postgresql":
        _pg_triggers()
    else:
        _sqlite_triggers()


def downgrade() -> None:
    """Revert this revision."""
    dialect = op.get_bind().dialect.name
    for tables in SCOPES.values():
        for table in tables:
            if dialect == "postgresql":
                op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_revision ON {table}")
            else:
                for event in ("insert", "update", "delete"):
                    op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_{event}_revision")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS nato_tm_bump_revision()")
    op.drop_table("store_revision")
