"""The ``serve``, ``token`` and ``user`` commands."""

from __future__ import annotations

import sys

import click

from nato_tm.cli.base import db_option, emit, json_option, state
from nato_tm.services import auth


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (local only by default).")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@db_option
def serve(host: str, port: int) -> None:
    """Serve the web UI and the API (development server; see the README for gunicorn)."""
    from nato_tm.webapp import create_app

    settings = state().settings
    state().db.check()  # the app factory lets an unreachable store pass (503 per request); serve does not
    app = create_app(settings)  # refuses a store at another schema
    click.echo(f"nato-tm serving {settings.database_url} at http://{host}:{port}/", err=False)
    app.run(host=host, port=port, debug=False, use_reloader=False)


@click.group()
def token() -> None:
    """Create, list and revoke API tokens (for writes through the API)."""


@token.command(name="create")
@click.option("--role", type=click.Choice(auth.WRITE_ROLES), required=True, help="What the token may do.")
@click.option("--name", default="", help="A label, e.g. the tool or person using it.")
@db_option
@json_option
def token_create(role: str, name: str, as_json: bool) -> None:
    """Create a token and print it once; only its SHA-256 is stored."""

    def human(doc: auth.NewToken) -> None:
        click.echo(doc.token)
        click.echo(
            f"token {doc.id} ({doc.role}{', ' + doc.name if doc.name else ''}): shown once, store it now", err=True
        )

    emit(auth.create_token(state().db, role, name), as_json, human)


@token.command(name="list")
@db_option
@json_option
def token_list(as_json: bool) -> None:
    """List tokens (never their secrets)."""

    def human(rows: list[auth.TokenInfo]) -> None:
        for r in rows:
            used = r.last_used_at.isoformat(timespec="seconds") if r.last_used_at else "never used"
            flag = " REVOKED" if r.revoked else ""
            click.echo(f"{r.id}\t{r.role}\t{r.name or '-'}\tcreated {r.created_at:%Y-%m-%d}\t{used}{flag}")

    emit(auth.list_tokens(state().db), as_json, human)


@token.command(name="revoke")
@click.argument("token_id", type=int)
@db_option
def token_revoke(token_id: int) -> None:
    """Revoke a token by id; it stops working at once."""
    info = auth.revoke_token(state().db, token_id)
    click.echo(f"token {info.id} revoked")


@click.group()
def user() -> None:
    """Manage editor accounts for the browser UI."""


@user.command(name="create")
@click.argument("username")
@click.option("--role", type=click.Choice(auth.WRITE_ROLES), default="editor", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@db_option
def user_create(username: str, role: str, password_stdin: bool) -> None:
    """Create an account; the password is asked for (or read from stdin) and stored hashed."""
    if password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    created = auth.create_user(state().db, username, password, role)
    click.echo(f"user {created.name} created ({created.role})")


COMMANDS = [serve, token, user]
