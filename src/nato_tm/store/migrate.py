"""Schema migrations through Alembic, run programmatically (no alembic.ini needed)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from nato_tm.store.db import Database, plan_per_execution


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "nato_tm.store:migrations")
    return cfg


def head() -> str:
    """The newest revision the package ships."""
    rev = ScriptDirectory.from_config(_config()).get_current_head()
    assert rev is not None
    return rev


def current(db: Database) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(db: Database, revision: str = "head") -> tuple[str | None, str]:
    """Create or upgrade the schema to the newest revision (or ``revision``); return (before, after)."""
    before = current(db)
    with db.engine.begin() as conn:
        plan_per_execution(conn)  # a migration may rewrite every index row in one transaction
        upgrade_in(conn, revision)
    return before, head() if revision == "head" else revision


def upgrade_in(conn: Connection, revision: str = "head") -> None:
    """Upgrade the schema inside the caller's transaction on ``conn`` (which commits or rolls back all)."""
    cfg = _config()
    cfg.attributes["connection"] = conn  # already in a transaction: Alembic neither begins nor commits one
    command.upgrade(cfg, revision)


def known(revision: str) -> bool:
    """Whether this package ships ``revision``."""
    try:
        return ScriptDirectory.from_config(_config()).get_revision(revision) is not None
    except Exception:  # alembic raises its own errors for unknown or malformed ids
        return False


def revision(db: Database, message: str) -> None:
    """Autogenerate a new revision against ``db`` (a development aid, used by contributors)."""
    cfg = _config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True)


def downgrade(db: Database, revision: str) -> None:
    """Take the schema back to ``revision`` (each migration's own downgrade, newest first)."""
    cfg = _config()
    with db.engine.begin() as conn:
        plan_per_execution(conn)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
