"""``nato-tm init``: create or upgrade the schema and load the shipped term base and memory."""

from __future__ import annotations

from dataclasses import dataclass, field

from nato_tm import resources
from nato_tm.errors import StoreOutdated, StoreUnavailable
from nato_tm.formats.registry import ReadOptions
from nato_tm.services.importer import ImportReport, import_stream
from nato_tm.store import migrate
from nato_tm.store.db import Database


@dataclass
class InitReport:
    """What init did: the schema revisions and one import report per shipped file."""

    schema_before: str | None
    schema_after: str
    imports: list[ImportReport] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether anything at all changed."""
        return self.schema_before != self.schema_after or any(r.changed for r in self.imports)


def init_store(db: Database, *, load_seed: bool = True) -> InitReport:
    """Migrate to the newest schema, then load the shipped files; a second run changes nothing."""
    db.check()
    before, after = migrate.upgrade(db)
    report = InitReport(schema_before=before, schema_after=after)
    if load_seed:
        for entry in resources.seed_files():
            with entry.open("rb") as stream:
                options = ReadOptions(origin=f"seed:{entry.name}")
                report.imports.append(import_stream(db, stream, entry.name, options=options))
    return report


def check_schema(db: Database) -> None:
    """Refuse a store whose schema this version does not read (lookups would miss what its index lacks).

    A store that cannot be reached passes: requests answer 503 until it is back.
    """
    try:
        db.check()
    except StoreUnavailable:
        return
    have, want = migrate.current(db), migrate.head()
    if have == want:
        return
    if have is None:
        raise StoreOutdated(f"{db.url} holds no nato-tm store yet: run `nato-tm init` first")
    if not migrate.known(have):
        raise StoreOutdated(f"the store's schema ({have}) is newer than this nato-tm's ({want}): upgrade nato-tm")
    raise StoreOutdated(f"the store's schema is at {have}, this version needs {want}: run `nato-tm init` to upgrade it")
