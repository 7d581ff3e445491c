"""``academy db upgrade`` / ``academy db sync``: schema migrations and the catalog rows."""

from __future__ import annotations

import typer

from grader.cli import app

db_app = typer.Typer(help="The service's database: migrations and catalog.")
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def upgrade(
    revision: str = typer.Argument("head", help="Alembic revision to upgrade to."),
) -> None:
    """Apply the migrations to $DATABASE_URL (default: the SQLite file in $ACADEMY_DATA_DIR)."""
    from grader.service import migrate
    from grader.service.settings import Settings

    settings = Settings.from_env()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.resolved_database_url, revision)
    typer.echo(f"database at revision {migrate.current_revision(settings.resolved_database_url)}")


@db_app.command("sync")
def sync() -> None:
    """Copy sections and exercises from content/ and exercises/ into the database."""
    from grader.service.catalog import sync_catalog
    from grader.service.database import make_engine, session_scope
    from grader.service.settings import Settings

    settings = Settings.from_env()
    engine = make_engine(settings.resolved_database_url)
    try:
        with session_scope(engine) as session:
            report = sync_catalog(session, settings.content_dir, settings.exercises_dir)
    finally:
        engine.dispose()
    typer.echo(
        f"{report.sections} sections, {report.exercises} exercises"
        f" ({report.deactivated} deactivated)"
    )
