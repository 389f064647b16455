"""Configuration, passed in explicitly (no globals read at import time)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MAX_UPLOAD = 64 * 1024 * 1024


def default_data_dir() -> Path:
    """The data directory: $NATO_TM_DATA_DIR, else $XDG_DATA_HOME/nato-tm."""
    if env := os.environ.get("NATO_TM_DATA_DIR"):
        return Path(env)
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "nato-tm"


def sqlite_url(path: Path) -> str:
    """SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{path}"


@dataclass
class Settings:
    """Everything the store, services and edges need to know about their environment."""

    database_url: str = ""
    data_dir: Path = field(default_factory=default_data_dir)
    secret_key: str = ""
    read_requires_token: bool = False
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD

    def __post_init__(self) -> None:
        if not self.database_url:
            self.database_url = sqlite_url(self.data_dir / "nato-tm.sqlite3")

    @classmethod
    def from_env(cls, database_url: str | None = None) -> Settings:
        """Build settings from NATO_TM_* environment variables, an explicit URL taking precedence."""
        env = os.environ
        return cls(
            database_url=database_url or env.get("NATO_TM_DATABASE_URL", ""),
            secret_key=env.get("NATO_TM_SECRET_KEY") or secrets.token_hex(32),
            read_requires_token=env.get("NATO_TM_READ_REQUIRES_TOKEN", "") in ("1", "true", "yes"),
            max_upload_bytes=int(env.get("NATO_TM_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD)),
        )
