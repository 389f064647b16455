"""Where the installed package keeps its shipped files (templates, static files, term base)."""

from __future__ import annotations

from importlib.resources import as_file, files
from importlib.resources.abc import Traversable
from pathlib import Path


def _root(name: str) -> Traversable:
    return files("nato_tm") / name


def termbase() -> Traversable:
    """The shipped term base and seed memory (``termbase/`` in the repository)."""
    return _root("_termbase")


def web_dir() -> Path:
    """The templates and static files (``web/`` in the repository), as a real directory."""
    with as_file(_root("_web")) as path:
        return Path(path)


def seed_files() -> list[Traversable]:
    """The data files ``nato-tm init`` loads, term bases first, in a stable order."""
    entries = [e for e in termbase().iterdir() if e.is_file()]
    order = {".tbx": 0, ".tmx": 1}
    picked = [e for e in entries if Path(e.name).suffix in order]
    return sorted(picked, key=lambda e: (order[Path(e.name).suffix], e.name))
