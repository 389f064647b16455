"""The ``nato-tm`` group, its shared options and the translation of errors into ``Error: ...``."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any, TypeVar

import click
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from nato_tm.config import Settings
from nato_tm.errors import NatoTmError
from nato_tm.services.documents import dumps
from nato_tm.store.db import Database

F = TypeVar("F", bound=Callable[..., Any])


class CliState:
    """Per-invocation state: the settings and, once asked for, the database."""

    def __init__(self) -> None:
        self.db_url: str | None = None
        self._db: Database | None = None

    @property
    def settings(self) -> Settings:
        """Settings from the environment, with --db taking precedence."""
        return Settings.from_env(self.db_url)

    @property
    def db(self) -> Database:
        """The database named by --db, NATO_TM_DATABASE_URL or the default SQLite file."""
        if self._db is None:
            self._db = Database(self.settings.database_url)
        return self._db


def _set_db(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value:
        ctx.ensure_object(CliState).db_url = value


def db_option(func: F) -> F:
    """Add ``--db URL`` to a command (it may also be given before the command name)."""
    option = click.option(
        "--db",
        metavar="URL",
        expose_value=False,
        callback=_set_db,
        is_eager=True,
        help="SQLAlchemy database URL (default: NATO_TM_DATABASE_URL or the SQLite file in the data directory).",
    )
    return option(func)


def json_option(func: F) -> F:
    """Add ``--json``: print the same JSON document the HTTP API returns."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON, as the HTTP API returns it.")(func)


def state() -> CliState:
    """The current invocation's state."""
    return click.get_current_context().ensure_object(CliState)


def emit(doc: Any, as_json: bool, human: Callable[[Any], None]) -> None:
    """Print a service result as JSON or through its human-readable printer."""
    if as_json:
        click.echo(dumps(doc))
    else:
        human(doc)


@contextmanager
def atomic_output(path: str) -> Iterator[IO[bytes]]:
    """Write a file beside ``path`` and rename it into place, so a failed write never leaves half a file."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), suffix=".part")
    try:
        with os.fdopen(fd, "wb") as stream:
            yield stream
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; an export is an ordinary file
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class Group(click.Group):
    """A click group whose user errors print one line and exit 1, never a traceback."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run the command; translate domain, usage and database errors into ``Error: ...``."""
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.Abort:
            _fail("aborted")
        except click.ClickException as exc:
            _fail(exc.format_message())
        except NatoTmError as exc:
            _fail(exc.message)
        except OperationalError as exc:
            _fail(f"database unavailable: {str(exc.orig).strip()}")
        except SQLAlchemyError as exc:
            _fail(f"database error: {exc.__class__.__name__}: {str(exc).splitlines()[0]}")
        except OSError as exc:
            _fail(str(exc))
        return None


def _fail(message: str) -> None:
    # One line, whatever the driver's message looked like.
    click.echo(f"Error: {' '.join(message.split())}", err=True)
    sys.exit(1)
