"""``academy users``: create accounts, issue and revoke API tokens, list users."""

from __future__ import annotations

import typer

from grader.cli import app

users_app = typer.Typer(help="Accounts of the grader service.")
app.add_typer(users_app, name="users")


def _engine():  # type: ignore[no-untyped-def]
    from grader.service.database import make_engine
    from grader.service.settings import Settings

    return make_engine(Settings.from_env().resolved_database_url)


def _ensure_course(engine) -> None:  # type: ignore[no-untyped-def]
    """Accounts join a course: on a fresh database, load the catalog first."""
    from sqlmodel import select

    from grader.service.catalog import sync_catalog
    from grader.service.database import session_scope
    from grader.service.models import Course
    from grader.service.settings import Settings

    with session_scope(engine) as session:
        if session.exec(select(Course)).first() is None:
            settings = Settings.from_env()
            sync_catalog(session, settings.content_dir, settings.exercises_dir)


@users_app.command("create")
def create(
    username: str,
    role: str = typer.Option("learner", help="learner, instructor or admin"),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, envvar="ACADEMY_PASSWORD"
    ),
    display_name: str = typer.Option("", help="Name shown to instructors."),
    token: bool = typer.Option(False, "--token", help="Also issue an API token and print it."),
) -> None:
    """Create a user and enroll them in the course in that role."""
    from grader.service import accounts
    from grader.service.catalog import default_course_id
    from grader.service.database import session_scope
    from grader.service.errors import ServiceError
    from grader.service.models import Role

    try:
        chosen = Role(role)
    except ValueError:
        typer.echo(f"error: role must be learner, instructor or admin, not {role!r}", err=True)
        raise typer.Exit(2) from None
    engine = _engine()
    try:
        _ensure_course(engine)
        with session_scope(engine) as session:
            user = accounts.create_user(session, username, password, chosen, display_name)
            accounts.enroll(session, user, default_course_id(session), chosen)
            issued = accounts.issue_token(session, user, "cli") if token else None
    except ServiceError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    typer.echo(f"created {chosen.value} {username!r} (id {user.id})")
    if issued is not None:
        typer.echo(f"token (shown once): {issued.secret}")


@users_app.command("token")
def token(username: str, name: str = typer.Option("cli", help="A label for the token.")) -> None:
    """Issue a new API token for a user (for `academy submit` and CI: ACADEMY_TOKEN)."""
    from grader.service import accounts
    from grader.service.database import session_scope

    engine = _engine()
    try:
        with session_scope(engine) as session:
            user = accounts.find_user(session, username)
            if user is None:
                typer.echo(f"error: no user named {username!r}", err=True)
                raise typer.Exit(2)
            issued = accounts.issue_token(session, user, name)
    finally:
        engine.dispose()
    typer.echo(issued.secret)


@users_app.command("revoke-token")
def revoke_token(token_id: int) -> None:
    """Revoke an API token by id; it stops working on the next request."""
    from grader.service.database import session_scope
    from grader.service.models import ApiToken, utcnow

    engine = _engine()
    try:
        with session_scope(engine) as session:
            row = session.get(ApiToken, token_id)
            if row is None:
                typer.echo(f"error: no token with id {token_id}", err=True)
                raise typer.Exit(2)
            row.revoked_at = row.revoked_at or utcnow()
            session.add(row)
    finally:
        engine.dispose()
    typer.echo(f"token {token_id} revoked")


@users_app.command("list")
def list_users() -> None:
    """Every user with role and id."""
    from sqlmodel import select

    from grader.service.database import session_scope
    from grader.service.models import User

    engine = _engine()
    try:
        with session_scope(engine, write=False) as session:
            for user in session.exec(select(User).order_by(User.id)):
                typer.echo(f"{user.id}\t{user.username}\t{user.role}")
    finally:
        engine.dispose()
