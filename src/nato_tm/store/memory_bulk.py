"""Bulk writes of translation units and their index rows: no ORM objects, few statements.

An import writes millions of rows; building ORM objects and per-row parameter dicts cost more
than the database itself. Here rows are plain tuples in table column order, converted by the
column types' own bind processors (so stored values are exactly what the ORM would store), and
written as multi-row INSERTs on SQLite and COPY on PostgreSQL. Ids are reserved up front (the
caller holds the write transaction), so units, variants and index rows go in without RETURNING.

Postings and vocabulary counts are not read by anything inside the writing transaction, so a
``Loader`` keeps them until ``flush``: postings are then written sorted by key, which turns
random B-tree inserts into mostly sequential ones, and each vocabulary hash is bumped once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from functools import cache
from itertools import chain, repeat
from typing import Any

from sqlalchemy import JSON, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from nato_tm.store.base import Base
from nato_tm.store.load_tuning import sorting

Row = tuple[Any, ...]
POSTING_RUN = 300_000  # postings kept before a sorted write (about 40 MB of tuples)
VOCAB_RUN = 200_000  # distinct hashes kept before their counts are written
STAGE = "nato_tm_posted_load"  # SQLite temporary table of a large load's postings, a row per variant
SQLITE_PARAMS = 999  # bound parameters per statement that every SQLite build accepts


def table(name: str) -> Table:
    """A mapped table by name."""
    return Base.metadata.tables[name]


def _fast_empty(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    # Most props, notes and attrs are empty: their JSON text is computed once, not per row.
    empty = {"list": process([]), "dict": process({})}

    def fast(value: Any) -> Any:
        return empty[type(value).__name__] if not value and type(value) in (list, dict) else process(value)

    return fast


@cache
def _processors(dialect: Dialect, name: str) -> tuple[Callable[[Any], Any] | None, ...]:
    # The ORM would run these very processors (datetime text on SQLite, JSON serialisation).
    procs: list[Callable[[Any], Any] | None] = []
    for column in table(name).columns:
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        procs.append(_fast_empty(process) if process and isinstance(column.type, JSON) else process)
    return tuple(procs)


@cache
def _converters(dialect: Dialect, name: str) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    return tuple((i, p) for i, p in enumerate(_processors(dialect, name)) if p is not None)


def convert(dialect: Dialect, name: str, rows: Sequence[Row]) -> list[Row]:
    """Rows of ``name`` in column order, converted as the ORM would bind them."""
    converters = _converters(dialect, name)
    if not converters:
        return list(rows)
    ncols = len(_processors(dialect, name))
    out = []
    for row in rows:
        if len(row) != ncols:
            raise ValueError(f"a {name} row has {len(row)} values, not {ncols}")
        values = list(row)
        for i, process in converters:  # only the columns that have a processor (a few of them)
            if values[i] is not None:
                values[i] = process(values[i])
        out.append(tuple(values))
    return out


@cache
def _values_sql(
    name: str, ncols: int, nrows: int, suffix: str = "", conflict: str = "FAIL", nulls: tuple[int, ...] = ()
) -> str:
    cols = f" ({','.join(c.name for c in table(name).columns)})" if name in Base.metadata.tables else ""
    one = "(" + ",".join("NULL" if i in nulls else "?" for i in range(ncols)) + ")"
    # OR FAIL: a failing row stops the statement without undoing the rows before it, so SQLite keeps
    # no statement journal (with ABORT, each statement saved the prior content of every page it
    # touched, in a temporary file: about 11 KB a unit, most of the 32 GB a 1M import wrote). Every
    # caller's transaction is rolled back whole on any error (Database.write, Database.session).
    # OR IGNORE (insert_new) undoes nothing either.
    return f"INSERT OR {conflict} INTO {name}{cols} VALUES {','.join([one] * nrows)}{suffix}"


@cache
def _nullable(name: str) -> tuple[int, ...]:
    """Positions of the columns of ``name`` that may hold NULL (none for a table that is not mapped)."""
    if name not in Base.metadata.tables:
        return ()
    return tuple(i for i, column in enumerate(table(name).columns) if column.nullable)


def _params(part: Sequence[Row], nullable: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[Any, ...]]:
    """The columns that are NULL in every row of ``part``, and the values of the others, row by row.

    Binding None costs sqlite3 an adapter lookup (two failed attribute lookups): six times an
    integer's, and a unit row and its variants bind about sixteen of them. A column that is NULL
    throughout a statement is written as a literal NULL instead (the same stored value).
    """
    if not nullable:
        return (), tuple(chain.from_iterable(part))
    cols = list(zip(*part, strict=True))  # transposed in C; each column is a tuple
    size = len(part)
    nulls = tuple(i for i in nullable if cols[i][0] is None and cols[i].count(None) == size)
    if not nulls:
        return (), tuple(chain.from_iterable(part))
    kept = [col for i, col in enumerate(cols) if i not in nulls]
    return nulls, tuple(chain.from_iterable(zip(*kept, strict=True)))


def _sqlite_insert(
    session: Session, name: str, rows: Sequence[Row], suffix: str = "", columns: int = 0, conflict: str = "FAIL"
) -> int:
    ncols = columns or len(table(name).columns)
    step = max(1, SQLITE_PARAMS // ncols)
    nullable = _nullable(name)
    conn = session.connection()
    written = 0
    for i in range(0, len(rows), step):
        part = rows[i : i + step]
        nulls, params = _params(part, nullable)
        sql = _values_sql(name, ncols, len(part), suffix, conflict, nulls)
        written += conn.exec_driver_sql(sql, params).rowcount
    return written


def insert_new(session: Session, name: str, rows: Sequence[Row]) -> int:
    """On SQLite, insert converted full rows, skipping any that breaks a constraint; the count inserted."""
    return _sqlite_insert(session, name, rows, conflict="IGNORE")


def _pg_copy(session: Session, name: str, rows: Sequence[Row]) -> None:
    conn = session.connection()
    raw: Any = conn.connection.driver_connection
    cols = ",".join(c.name for c in table(name).columns)
    try:
        with raw.cursor() as cur, cur.copy(f"COPY {name} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    except conn.dialect.loaded_dbapi.Error as exc:
        # Raised as SQLAlchemy would (IntegrityError, OperationalError...): Database.write retries on them.
        raise DBAPIError.instance(f"COPY {name}", None, exc, conn.dialect.loaded_dbapi.Error) from exc


def insert_rows(session: Session, name: str, rows: Sequence[Row], *, converted: bool = False) -> None:
    """Insert full rows (every column, in table order) into table ``name``; ``converted``: by ``convert`` already."""
    if not rows:
        return
    dialect = session.get_bind().dialect
    if not converted:
        rows = convert(dialect, name, rows)
    if dialect.name == "postgresql":
        _pg_copy(session, name, rows)
    else:
        _sqlite_insert(session, name, rows)


def reserve_ids(session: Session, name: str, count: int) -> list[int]:
    """``count`` new ids for table ``name`` (the caller holds the write transaction)."""
    if count == 0:
        return []
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        sql = f"SELECT nextval(pg_get_serial_sequence('{name}', 'id')) FROM generate_series(1, %(n)s)"
        return [int(r[0]) for r in conn.exec_driver_sql(sql, {"n": count})]
    # SQLite gives max(rowid) + 1 to a row inserted without an id: the same ids, taken here in advance.
    top = conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {name}").scalar_one()
    return list(range(int(top) + 1, int(top) + 1 + count))


def bump_vocab(session: Session, counts: Counter[int]) -> None:
    """Add (or subtract) document frequencies; sorted so concurrent writers lock rows in one order."""
    rows = [(h, n) for h, n in sorted(counts.items()) if n]
    if not rows:
        return
    conn = session.connection()
    upsert = " ON CONFLICT (token_hash) DO UPDATE SET df = tm_vocab.df + excluded.df"
    if conn.dialect.name == "postgresql":
        step = 5000
        for i in range(0, len(rows), step):
            part = rows[i : i + step]
            values = ",".join(["(%s,%s)"] * len(part))
            sql = f"INSERT INTO tm_vocab (token_hash, df) VALUES {values}{upsert}"
            conn.exec_driver_sql(sql, tuple(chain.from_iterable(part)))
    else:
        _sqlite_insert(session, "tm_vocab", rows, upsert)


def posted_text(hashes: Sequence[int]) -> str:
    """Posting hashes space-joined, as ``tm_entry.postings`` stores them and ``Loader`` stages them on SQLite."""
    return " ".join(map(str, hashes))


class Loader:
    """Collects postings and vocabulary counts for one write transaction; ``flush`` writes them.

    Postings are keyed by token hash, so each run of them lands all over the postings B-tree. On
    SQLite, once a load outgrows one run, runs go to a temporary table instead (appends only), and
    ``flush`` moves them into ``tm_posting`` in one pass in key order: each page of the tree is
    visited once, not once per run (once the tree outgrows the page cache, every run would re-read
    and re-dirty most of it). The temporary table is this connection's alone, and holds one row
    per variant, its hashes space-joined (``posted_text``): SQLite expands them (``json_each``) as it
    sorts, instead of Python building and binding a row per posting (16.5M at 1M units).
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.sqlite = session.get_bind().dialect.name == "sqlite"
        self.rows: list[Row] = []  # SQLite: (variant_id, ntok, hashes as text); else (hash, ntok, variant_id)
        self.pending = 0  # postings in ``rows``
        self.counts: Counter[int] = Counter()
        self.uncounted: list[Sequence[int]] = []  # hashes of ``rows`` not yet in ``counts``
        self.staged = False

    def add_postings(self, variant_id: int, ntok: int, hashes: Sequence[int], posted: str | None = None) -> None:
        """Post a variant under its hashes and count them in the vocabulary; ``posted``: the hashes space-joined."""
        if not hashes:
            return
        self.uncounted.append(hashes)
        if self.sqlite:
            self.rows.append((variant_id, ntok, posted_text(hashes) if posted is None else posted))
        else:
            self.rows.extend(zip(hashes, repeat(ntok), repeat(variant_id)))  # the tuples built in C
        self.pending += len(hashes)
        if self.pending >= POSTING_RUN:
            self._write_postings(final=False)
            if len(self.counts) >= VOCAB_RUN:
                self._write_vocab()

    def _write_postings(self, *, final: bool) -> None:
        # Counted a run at a time: one Counter.update per variant cost twice as much (5 s of a 1M import).
        self.counts.update(chain.from_iterable(self.uncounted))
        self.uncounted = []
        if not self.sqlite:
            self.rows.sort()
            insert_rows(self.session, "tm_posting", self.rows)
        elif self.staged or not final:
            self._stage()
            if final:
                self._move()
        else:  # a small load: one sorted insert, no temporary table
            rows = sorted((int(h), ntok, vid) for vid, ntok, posted in self.rows for h in posted.split())
            _sqlite_insert(self.session, "tm_posting", rows)
        self.rows = []
        self.pending = 0

    def _stage(self) -> None:
        conn = self.session.connection()
        if not self.staged:
            cols = "variant_id INTEGER NOT NULL, ntok INTEGER NOT NULL, posted TEXT NOT NULL"
            conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} ({cols})")
            conn.exec_driver_sql(f"DELETE FROM temp.{STAGE}")  # nothing left by an earlier load on this connection
            self.staged = True
        _sqlite_insert(self.session, STAGE, self.rows, columns=3)

    def _move(self) -> None:
        # "1 2 3" -> [1,2,3]: json_each gives each hash as a 64-bit integer, as tm_posting stores it.
        hashes = "json_each('[' || replace(s.posted, ' ', ',') || ']')"
        conn = self.session.connection()
        with sorting(conn):  # the postings go in in key order: appends need no large cache
            conn.exec_driver_sql(
                "INSERT OR FAIL INTO tm_posting (token_hash, ntok, variant_id)"
                f" SELECT h.value, s.ntok, s.variant_id FROM temp.{STAGE} s, {hashes} h ORDER BY 1, 2, 3"
            )
        conn.exec_driver_sql(f"DROP TABLE temp.{STAGE}")
        self.staged = False

    def _write_vocab(self) -> None:
        bump_vocab(self.session, self.counts)
        self.counts = Counter()

    def flush(self) -> None:
        """Write what is kept; call before anything reads the postings or the vocabulary."""
        self._write_postings(final=True)
        self._write_vocab()
