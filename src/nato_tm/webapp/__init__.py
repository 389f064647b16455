"""Web edge: the Flask app factory; blueprints parse requests, call services and serialise."""

from __future__ import annotations

from typing import Any

from flask import Flask

from nato_tm import resources
from nato_tm.config import Settings
from nato_tm.store.db import Database


def create_app(config: Settings | dict[str, Any] | None = None) -> Flask:
    """Build the application for the given settings (or a dict of Settings fields)."""
    settings = config if isinstance(config, Settings) else Settings(**(config or {}))
    web = resources.web_dir()
    app = Flask(__name__, template_folder=str(web / "templates"), static_folder=str(web / "static"))
    app.config.update(SECRET_KEY=settings.secret_key or None, MAX_CONTENT_LENGTH=settings.max_upload_bytes)
    app.extensions["nato_tm.settings"] = settings
    app.extensions["nato_tm.db"] = Database(settings.database_url)

    from nato_tm.webapp import ui

    app.register_blueprint(ui.bp)
    return app


def get_db(app: Flask) -> Database:
    """The app's database."""
    db: Database = app.extensions["nato_tm.db"]
    return db
