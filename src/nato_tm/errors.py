"""Domain exceptions, raised by the core and translated at the edges (HTTP status, CLI exit code)."""

from __future__ import annotations


class NatoTmError(Exception):
    """Base of every error a user can cause or meet; never shown as a traceback."""

    code = "error"

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


class InvalidInput(NatoTmError):
    """A bad parameter or value (HTTP 400)."""

    code = "invalid"


class NotFound(NatoTmError):
    """The thing asked for does not exist (HTTP 404)."""

    code = "not_found"


class Conflict(NatoTmError):
    """The write clashes with what is stored, e.g. a duplicate id (HTTP 409)."""

    code = "conflict"


class Unsupported(NatoTmError):
    """An unknown or unsupported file format or media type (HTTP 415)."""

    code = "unsupported"


class Cancelled(NatoTmError):
    """Work stopped because a user asked for it (an import job cancelled)."""

    code = "cancelled"


class TooLarge(NatoTmError):
    """An input over a configured size limit (HTTP 413)."""

    code = "too_large"


class Unauthorized(NatoTmError):
    """Missing or invalid credentials (HTTP 401)."""

    code = "unauthorized"


class Forbidden(NatoTmError):
    """Valid credentials without the needed role (HTTP 403)."""

    code = "forbidden"


class StoreUnavailable(NatoTmError):
    """The database cannot be reached or stays locked (HTTP 503)."""

    code = "unavailable"


class StoreOutdated(StoreUnavailable):
    """The store's schema is not the one this version reads: ``nato-tm init`` upgrades it (HTTP 503)."""


class FormatError(NatoTmError):
    """A file that cannot be read as its format, with the place of the fault where known."""

    code = "bad_file"

    def __init__(
        self, message: str, *, file: str | None = None, line: int | None = None, column: int | None = None
    ) -> None:
        where = ":".join(str(x) for x in (file, line, column) if x is not None)
        super().__init__(f"{where}: {message}" if where else message)
        self.file = file
        self.line = line
        self.column = column
