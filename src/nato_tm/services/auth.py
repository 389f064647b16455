"""Who may write: API tokens (only their SHA-256 is stored) and editor accounts (hashed passwords)."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from nato_tm.errors import Conflict, InvalidInput, NotFound
from nato_tm.store.accounts import ApiToken, User
from nato_tm.store.base import utcnow
from nato_tm.store.db import Database

WRITE_ROLES = ("editor", "admin")
TOKEN_PREFIX = "ntm_"
MIN_PASSWORD = 8
LAST_USED_EVERY = timedelta(minutes=1)


@dataclass
class Principal:
    """Who a request acts as: a token or a signed-in user, with a role."""

    kind: str  # "token" or "user"
    name: str
    role: str

    @property
    def can_write(self) -> bool:
        """Whether the role allows changing the store."""
        return self.role in WRITE_ROLES


@dataclass
class TokenInfo:
    """A stored token as listed: never the secret itself."""

    id: int
    name: str
    role: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


@dataclass
class NewToken:
    """A token just created: the secret is shown this once and never stored."""

    id: int
    name: str
    role: str
    token: str


@functools.cache
def _dummy_hash() -> str:
    # Checked when the user does not exist, so that timing does not reveal which usernames exist.
    return generate_password_hash(secrets.token_hex(16))


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _check_role(role: str) -> None:
    if role not in WRITE_ROLES:
        raise InvalidInput(f"role must be one of {', '.join(WRITE_ROLES)}, not {role!r}", param="role")


def create_token(db: Database, role: str, name: str = "") -> NewToken:
    """Create a token with the given role; return it with its secret (shown once)."""
    _check_role(role)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with db.session() as s:
        row = ApiToken(name=name, role=role, token_hash=hash_token(secret))
        s.add(row)
        s.flush()
        return NewToken(id=row.id, name=name, role=role, token=secret)


def list_tokens(db: Database) -> list[TokenInfo]:
    """Every token, oldest first, without secrets."""
    with db.session() as s:
        rows = s.scalars(select(ApiToken).order_by(ApiToken.id)).all()
        return [TokenInfo(r.id, r.name, r.role, r.created_at, r.last_used_at, r.revoked) for r in rows]


def revoke_token(db: Database, token_id: int) -> TokenInfo:
    """Revoke a token by id; it stops working at once."""
    with db.session() as s:
        row = s.get(ApiToken, token_id)
        if row is None:
            raise NotFound(f"no token with id {token_id}", param="id")
        row.revoked = True
        return TokenInfo(row.id, row.name, row.role, row.created_at, row.last_used_at, row.revoked)


def verify_token(db: Database, token: str) -> Principal | None:
    """The principal a bearer token stands for, or None when it is unknown or revoked."""
    if not token:
        return None
    digest = hash_token(token)
    with db.session() as s:
        row = s.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
        if row is None or row.revoked or not hmac.compare_digest(row.token_hash, digest):
            return None
        principal = Principal(kind="token", name=row.name or f"token {row.id}", role=row.role)
        token_id, last = row.id, row.last_used_at
    now = utcnow()
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=now.tzinfo)  # SQLite returns naive UTC
    # Recorded at most once a minute, so that reading with a token does not write every time, and
    # only if the store can take it at once: an import holds SQLite's write lock for minutes.
    if last is None or now - last > LAST_USED_EVERY:
        stmt = update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now)
        db.try_write(lambda session: session.execute(stmt))
    return principal


def create_user(db: Database, username: str, password: str, role: str = "editor") -> Principal:
    """Create an editor (or admin) account; the password is stored hashed."""
    _check_role(role)
    username = username.strip()
    if not username:
        raise InvalidInput("the username is empty", param="username")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"the password needs at least {MIN_PASSWORD} characters", param="password")
    try:
        with db.session() as s:
            s.add(User(username=username, password_hash=generate_password_hash(password), role=role))
    except IntegrityError as exc:
        raise Conflict(f"user {username!r} already exists", param="username") from exc
    return Principal(kind="user", name=username, role=role)


def verify_user(db: Database, username: str, password: str) -> Principal | None:
    """The principal for a username and password, or None when they do not match."""
    with db.session() as s:
        row = s.scalar(select(User).where(User.username == username.strip()))
        if row is None:
            check_password_hash(_dummy_hash(), password)
            return None
        if not check_password_hash(row.password_hash, password):
            return None
        return Principal(kind="user", name=row.username, role=row.role)


def user_role(db: Database, username: str) -> str | None:
    """The current role of a user (None once the account is gone), checked on every request."""
    with db.session() as s:
        return s.scalar(select(User.role).where(User.username == username))
