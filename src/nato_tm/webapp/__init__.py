"""Web edge: the Flask app factory; blueprints parse requests, call services and serialise."""

from __future__ import annotations

import logging
import os
from dataclasses import fields
from typing import Any

from flask import Flask

from nato_tm import resources
from nato_tm.config import Settings
from nato_tm.services.setup import check_schema
from nato_tm.store.db import Database

# Flask settings with their environment variables and defaults; tests pass them in the config dict.
FLASK_DEFAULTS = {
    "RATELIMIT_DEFAULT": ("NATO_TM_RATE_LIMIT", "600 per minute"),
    "RATELIMIT_WRITE": ("NATO_TM_RATE_LIMIT_WRITE", "120 per minute"),
    "RATELIMIT_SIGNIN": ("NATO_TM_RATE_LIMIT_SIGNIN", "10 per minute"),
    "RATELIMIT_STORAGE_URI": ("NATO_TM_RATE_LIMIT_STORAGE", "memory://"),
}


def _split_config(config: Settings | dict[str, Any] | None) -> tuple[Settings, dict[str, Any]]:
    if isinstance(config, Settings):
        return config, {}
    if config is None:
        if not os.environ.get("NATO_TM_SECRET_KEY"):
            # Each worker would sign sessions with its own random key: sign-ins would not stick.
            logging.getLogger(__name__).warning("NATO_TM_SECRET_KEY is not set: set it when running several workers")
        return Settings.from_env(), {}
    names = {f.name for f in fields(Settings)}
    settings = Settings(**{k: v for k, v in config.items() if k in names})
    return settings, {k: v for k, v in config.items() if k not in names}


def create_app(config: Settings | dict[str, Any] | None = None) -> Flask:
    """Build the application; no argument reads the NATO_TM_* environment (for gunicorn).

    A dict may mix Settings fields (lower case) with Flask settings (upper case, e.g. RATELIMIT_DEFAULT).
    """
    settings, flask_extra = _split_config(config)
    web = resources.web_dir()
    app = Flask(__name__, template_folder=str(web / "templates"), static_folder=str(web / "static"))
    app.config.update(
        SECRET_KEY=settings.secret_key or os.urandom(32).hex(),
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        JSON_SORT_KEYS=False,
    )
    for key, (env, default) in FLASK_DEFAULTS.items():
        app.config[key] = os.environ.get(env, default)
    app.config.update(flask_extra)
    # tmserver clients escape '/' inside the segment; keep '//' as sent instead of redirecting.
    app.url_map.merge_slashes = False
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["nato_tm.settings"] = settings
    db = Database(settings.database_url)
    # A store at an older schema would answer lookups from an index lacking what this version
    # reads (gunicorn builds the app here, not through `nato-tm serve`, which checks the same).
    check_schema(db)
    app.extensions["nato_tm.db"] = db

    from nato_tm.webapp import api, api_concepts, api_write, auth, compat, errors, openapi, security, ui, ui_edit

    security.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    for module in (ui, ui_edit, auth, api, api_write, api_concepts, compat, openapi):
        app.register_blueprint(module.bp)
    security.apply_write_limits(app)
    return app


def get_db(app: Flask) -> Database:
    """The app's database."""
    db: Database = app.extensions["nato_tm.db"]
    return db


def get_settings(app: Flask) -> Settings:
    """The app's settings."""
    settings: Settings = app.extensions["nato_tm.settings"]
    return settings
