"""Whole-store backup to a directory and restore into an empty database, exactly.

A backup holds one JSON Lines file per stored table (concepts, language sections, terms, units,
variants, API tokens and editor accounts: every column, ids and dates included, dates in UTC ISO
8601) and ``manifest.json`` with the schema revision, the row counts and each file's SHA-256.
The translation-memory index is derived data: restore rebuilds it. Restoring checks the manifest,
refuses a database that already holds data, and in one transaction inserts every row with its id
(in the backup's schema), moves PostgreSQL's id sequences past them, migrates the rows to this
version's schema and rebuilds the index.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import DateTime, Integer, Table, func, insert, select, text
from sqlalchemy.orm import Session

from nato_tm import __version__
from nato_tm.errors import Conflict, FormatError, InvalidInput
from nato_tm.store import memory_index, migrate
from nato_tm.store.accounts import ApiToken, User
from nato_tm.store.db import Database
from nato_tm.store.memory import Unit, Variant
from nato_tm.store.termbase import Concept, LangSection, Term

KIND = "nato-tm-backup"
VERSION = 1
MANIFEST = "manifest.json"
BATCH = 1000
# Parents before children, so that foreign keys hold at every insert.
MODELS = (Concept, LangSection, Term, Unit, Variant, ApiToken, User)


@dataclass
class BackupReport:
    """What a backup or a restore wrote: rows per table, the directory and the schema revision."""

    directory: str
    schema: str
    rows: dict[str, int] = field(default_factory=dict)
    indexed_variants: int = 0


def _tables() -> list[Table]:
    return [m.__table__ for m in MODELS]  # type: ignore[misc]


def _dump(value: Any) -> Any:
    if isinstance(value, datetime):  # SQLite hands back naive datetimes; everything stored is UTC
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    return value


def _load(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for col in table.columns:
        if col.name not in row:
            raise FormatError(f"a {table.name} row lacks the column {col.name!r}", file=f"{table.name}.jsonl")
        value = row[col.name]
        out[col.name] = datetime.fromisoformat(value) if isinstance(col.type, DateTime) and value else value
    return out


def rows(session: Session, table: Table) -> Iterator[dict[str, Any]]:
    """Every row of a table in primary-key order, as JSON-ready dicts (keyset paging: memory stays flat)."""
    (pk,) = table.primary_key.columns
    last: Any = None
    while True:
        stmt = select(table).order_by(pk).limit(BATCH)
        if last is not None:
            stmt = stmt.where(pk > last)
        batch = session.execute(stmt).mappings().all()
        if not batch:
            return
        for row in batch:
            yield {c.name: _dump(row[c.name]) for c in table.columns}
        last = batch[-1][pk.name]


def _line(row: dict[str, Any]) -> bytes:
    return (json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")


def _write_table(session: Session, table: Table, stream: IO[bytes]) -> tuple[int, str]:
    digest = hashlib.sha256()
    count = 0
    for row in rows(session, table):
        line = _line(row)
        stream.write(line)
        digest.update(line)
        count += 1
    return count, digest.hexdigest()


def backup(db: Database, directory: str) -> BackupReport:
    """Write every table to ``directory`` (created if missing; it must hold no earlier backup)."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / MANIFEST).exists():
        raise Conflict(f"{folder} already holds a backup; choose an empty directory", param="all")
    schema = migrate.current(db) or ""
    report = BackupReport(directory=str(folder), schema=schema)
    files: dict[str, dict[str, Any]] = {}
    with db.session() as session:  # one transaction: a consistent snapshot on PostgreSQL and SQLite (WAL)
        for table in _tables():
            name = f"{table.name}.jsonl"
            with open(folder / f"{name}.part", "wb") as stream:
                count, sha = _write_table(session, table, stream)
            os.replace(folder / f"{name}.part", folder / name)
            files[name] = {"table": table.name, "rows": count, "sha256": sha}
            report.rows[table.name] = count
    manifest = {"kind": KIND, "version": VERSION, "schema": schema, "nato_tm": __version__, "files": files}
    manifest["created_at"] = datetime.now(UTC).isoformat()
    # The manifest comes last: a directory without one is an interrupted backup.
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return report


def read_manifest(directory: str) -> dict[str, Any]:
    """The manifest of a backup directory, checked for kind and version."""
    path = Path(directory) / MANIFEST
    if not path.is_file():
        raise InvalidInput(f"{directory} is not a nato-tm backup (no {MANIFEST})", param="directory")
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise FormatError(f"unreadable manifest: {exc}", file=str(path)) from exc
    if manifest.get("kind") != KIND or manifest.get("version") != VERSION:
        raise FormatError(f"not a version {VERSION} nato-tm backup", file=str(path))
    return manifest


def _check_file(path: Path, entry: dict[str, Any]) -> None:
    digest = hashlib.sha256()
    count = 0
    with open(path, "rb") as stream:
        for line in stream:
            digest.update(line)
            count += 1
    if digest.hexdigest() != entry.get("sha256") or count != entry.get("rows"):
        raise FormatError("the file does not match the manifest (changed or truncated)", file=str(path))


def _is_empty(session: Session) -> bool:
    return all(session.scalar(select(func.count()).select_from(t)) == 0 for t in _tables())


def _insert_table(session: Session, table: Table, path: Path) -> int:
    count = 0
    batch: list[dict[str, Any]] = []
    with open(path, "rb") as stream:
        for number, line in enumerate(stream, start=1):
            try:
                batch.append(_load(table, json.loads(line)))
            except (ValueError, TypeError) as exc:
                raise FormatError(f"not a {table.name} row: {exc}", file=str(path), line=number) from exc
            if len(batch) >= BATCH:
                session.execute(insert(table), batch)
                count += len(batch)
                batch = []
    if batch:
        session.execute(insert(table), batch)
        count += len(batch)
    return count


def _reset_sequences(session: Session) -> None:
    """Move PostgreSQL's serial sequences past the restored ids, so that new rows get fresh ones."""
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite takes max(rowid) + 1 by itself
    for table in _tables():
        (pk,) = table.primary_key.columns
        if isinstance(pk.type, Integer):
            sql = f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk.name}'), "
            sql += f"COALESCE(MAX({pk.name}), 1), MAX({pk.name}) IS NOT NULL) FROM {table.name}"
            session.execute(text(sql))


def restore(db: Database, directory: str) -> BackupReport:
    """Load a backup into an empty database (migrated first), then rebuild the memory index."""
    manifest = read_manifest(directory)
    folder = Path(directory)
    by_table = {entry["table"]: (folder / name, entry) for name, entry in manifest["files"].items()}
    for path, entry in by_table.values():
        if not path.is_file():
            raise FormatError("missing from the backup", file=str(path))
        _check_file(path, entry)
    schema = manifest["schema"]
    if not migrate.known(schema):
        raise InvalidInput(f"the backup has schema {schema!r}, which this nato-tm does not know", param="directory")
    # Rows go into the schema they were written from; the migrations then bring them up to date.
    at = migrate.current(db)
    if at not in (None, schema):
        raise Conflict(
            f"the backup has schema {schema!r} and this database is at {at!r}: restore needs a new database"
            f" (restore creates its schema) or one at {schema!r}",
            param="db",
        )
    migrate.upgrade(db, schema)
    report = BackupReport(directory=str(folder), schema=migrate.head())

    def work(session: Session) -> BackupReport:
        if not _is_empty(session):
            raise Conflict("restore needs an empty database; this one already holds data", param="db")
        for table in _tables():
            path, _entry = by_table.get(table.name, (None, None))
            report.rows[table.name] = _insert_table(session, table, path) if path is not None else 0
        _reset_sequences(session)
        # The rows' migrations run before the index is built: this code builds the index its own
        # schema describes, which a migration written for an earlier index must not rework.
        migrate.upgrade_in(session.connection())
        report.indexed_variants = memory_index.rebuild_index(session)
        return report

    db.write(work, attempts=1, bulk=True)
    db.settle()
    return report
