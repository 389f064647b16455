"""Fixtures: a fresh database for each test, on SQLite and (when configured) PostgreSQL.

Migrating and loading the shipped data once per backend and then copying that template
for each test keeps every test isolated without paying for the migrations each time.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from nato_tm.services.setup import init_store
from nato_tm.store.db import Database

PG_URL = os.environ.get("NATO_TM_TEST_PG_URL", "")
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]


@pytest.fixture(autouse=True)
def data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own data directory (import jobs, kept exports, the default store): never the user's."""
    folder = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("NATO_TM_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def web_jobs(data_dir: Path):  # type: ignore[no-untyped-def]
    """The import jobs of the data directory the app and the command line use in this test."""
    from nato_tm.services import jobs

    return jobs.Jobs(jobs.jobs_folder(data_dir))


def _pg_admin():  # type: ignore[no-untyped-def]
    return create_engine(make_url(PG_URL).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")


class Templates:
    """Migrated (and optionally seeded) template databases, one per backend and seeding."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.run = uuid.uuid4().hex[:8]
        self.made: dict[tuple[str, bool], str] = {}
        self.pg_dbs: list[str] = []

    def template(self, backend: str, seeded: bool) -> str:
        key = (backend, seeded)
        if key not in self.made:
            url = self._new(backend, f"tpl_{int(seeded)}")
            db = Database(url)
            init_store(db, load_seed=seeded)
            db.dispose()
            self.made[key] = url
        return self.made[key]

    def _new(self, backend: str, name: str, template: str | None = None) -> str:
        if backend == "sqlite":
            path = self.root / f"{name}.sqlite3"
            if template:
                shutil.copyfile(make_url(template).database or "", path)
            return f"sqlite:///{path}"
        dbname = f"nato_tm_test_{self.run}_{name}"
        with _pg_admin().connect() as conn:
            tpl = f" TEMPLATE {make_url(template).database}" if template else ""
            conn.execute(text(f'CREATE DATABASE "{dbname}"{tpl}'))
        self.pg_dbs.append(dbname)
        return str(make_url(PG_URL).set(drivername="postgresql+psycopg", database=dbname).render_as_string(False))

    def fresh(self, backend: str, seeded: bool) -> str:
        return self._new(backend, f"t_{uuid.uuid4().hex[:10]}", self.template(backend, seeded))

    def blank(self, backend: str) -> str:
        return self._new(backend, f"b_{uuid.uuid4().hex[:10]}")

    def drop(self, url: str) -> None:
        name = make_url(url).database
        if name in self.pg_dbs:
            with _pg_admin().connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            self.pg_dbs.remove(name)

    def close(self) -> None:
        if self.pg_dbs:
            with _pg_admin().connect() as conn:
                for name in self.pg_dbs:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    tpl = Templates(tmp_path_factory.mktemp("db"))
    yield tpl
    tpl.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _database(templates: Templates, backend: str, seeded: bool) -> Iterator[Database]:
    url = templates.fresh(backend, seeded)
    db = Database(url)
    yield db
    db.dispose()
    templates.drop(url)


@pytest.fixture
def blank_db(templates: Templates, backend: str) -> Iterator[Database]:
    """A database without any schema (what `nato-tm init` or `nato-tm restore` starts from)."""
    url = templates.blank(backend)
    db = Database(url)
    yield db
    db.dispose()
    templates.drop(url)


@pytest.fixture
def empty_db(templates: Templates, backend: str) -> Iterator[Database]:
    """A migrated database with no data."""
    yield from _database(templates, backend, seeded=False)


@pytest.fixture
def db(templates: Templates, backend: str) -> Iterator[Database]:
    """A migrated database holding the shipped term base and seed memory."""
    yield from _database(templates, backend, seeded=True)


@pytest.fixture
def shared_data() -> Path:
    """The shared real-data folder; tests that need it skip when it is absent."""
    data = SHARED / "data"
    if not data.is_dir():
        pytest.skip(f"shared data not found at {data}")
    return data


@pytest.fixture
def seed_article() -> str:
    """The French seed article, as shipped in termbase/seed/."""
    from nato_tm import resources

    return (resources.termbase() / "seed" / "article-2022-11-09.fr.txt").read_text(encoding="utf-8")


@pytest.fixture
def app(db: Database):  # type: ignore[no-untyped-def]
    """The Flask app on the seeded database (rate limits high enough not to interfere)."""
    from nato_tm.webapp import create_app

    return create_app({"database_url": db.url, "secret_key": "test", "RATELIMIT_DEFAULT": "10000 per minute"})


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    """A test client of ``app``."""
    return app.test_client()


@pytest.fixture
def editor_token(db: Database) -> str:
    """A fresh editor API token for ``db``."""
    from nato_tm.services.auth import create_token

    return create_token(db, "editor", "tests").token
