"""Alembic environment: runs on the connection that nato_tm.store.migrate hands over."""

from alembic import context

from nato_tm.store.models import Base

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
