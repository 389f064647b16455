"""Who is asking: bearer tokens and editor sessions; every write is checked here, before any view runs."""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from nato_tm.errors import Forbidden, Unauthorized
from nato_tm.services import auth as accounts
from nato_tm.services.auth import Principal
from nato_tm.webapp import get_db, get_settings
from nato_tm.webapp.security import READ_POSTS, WRITE_METHODS

bp = Blueprint("auth", __name__)

# Writes that need no credentials: signing in (still CSRF-checked, against login CSRF).
ANONYMOUS_WRITES = frozenset({"auth.signin"})
# Pages that stay open when reading needs a token, so that an editor can still sign in.
ALWAYS_OPEN = frozenset({"static", "auth.signin", "auth.signout", "openapi.document"})


def csrf_token() -> str:
    """The session's CSRF token, created on first use; every form carries it."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def _check_csrf() -> None:
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf")
    if not isinstance(expected, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden("the form's security token is missing or stale; reload the page and try again")


def _bearer() -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthorized("the Authorization header must be 'Bearer <token>'")
    return value.strip()


def _principal() -> Principal | None:
    token = _bearer()
    db = get_db(current_app)
    if token is not None:
        found = accounts.verify_token(db, token)
        if found is None:
            raise Unauthorized("unknown or revoked token")
        return found
    username = session.get("user")
    if isinstance(username, str):
        role = accounts.user_role(db, username)
        if role is None:
            session.pop("user", None)
            return None
        return Principal(kind="user", name=username, role=role)
    return None


def _gate() -> None:
    """Resolve the principal and refuse what it may not do."""
    g.principal = _principal()
    endpoint = request.endpoint or ""
    if request.method in WRITE_METHODS and endpoint not in READ_POSTS:
        if endpoint in ANONYMOUS_WRITES:
            _check_csrf()
            return
        if g.principal is not None and g.principal.kind == "user":
            _check_csrf()  # a browser form: the session cookie alone must never be enough
        require_writer("writing", "write")
        return
    if get_settings(current_app).read_requires_token and g.principal is None and endpoint not in ALWAYS_OPEN:
        raise Unauthorized("this server requires a token for reading")


def require_writer(what: str, verb: str) -> None:
    """Refuse a request whose principal may not write: 401 without one, 403 for a role that may not ``verb``."""
    principal = current()
    if principal is None:
        raise Unauthorized(f"{what} needs an API token (Authorization: Bearer) or a signed-in editor")
    if not principal.can_write:
        raise Forbidden(f"the role {principal.role!r} may not {verb}")


def current() -> Principal | None:
    """The principal of the current request, if any."""
    found: Principal | None = g.get("principal")
    return found


def init_app(app: Flask) -> None:
    """Check credentials before every request and offer csrf_token() and the user to templates."""
    app.before_request(_gate)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["principal"] = current


def _safe_next(target: str | None) -> str:
    # Only local paths: never redirect to another site after signing in.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("ui.index")


@bp.route("/signin", methods=["GET", "POST"])
def signin() -> ResponseReturnValue:
    """The editors' sign-in form."""
    error = None
    if request.method == "POST":
        username = request.form.get("username", "")
        found = accounts.verify_user(get_db(current_app), username, request.form.get("password", ""))
        if found is not None:
            session.clear()
            session["user"] = found.name
            csrf_token()
            return redirect(_safe_next(request.form.get("next")))
        error = "Identifiant ou mot de passe incorrect."
    status = 401 if error else 200
    return render_template("signin.html", error=error, next=request.args.get("next", "")), status


@bp.post("/signout")
def signout() -> ResponseReturnValue:
    """Sign out and forget the session."""
    session.clear()
    return redirect(url_for("ui.index"))
