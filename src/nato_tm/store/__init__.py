"""Store layer: SQLAlchemy models, the engine/session factory and migrations."""
