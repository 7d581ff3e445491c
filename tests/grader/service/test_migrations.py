"""The one set of alembic migrations builds the same schema on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from grader.service import migrate
from grader.service.database import make_engine
from grader.service.testing import create_postgres_database, drop_postgres_database

TABLES = {
    "users",
    "api_tokens",
    "courses",
    "course_members",
    "sections",
    "exercises",
    "submissions",
    "results",
    "progress",
}


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_creates_every_table_on_a_new_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert migrate.current_revision(url) is None
    migrate.upgrade(url)
    assert _tables(url) >= TABLES
    assert migrate.current_revision(url) == "0002"


def test_upgrade_is_idempotent_and_downgrade_removes_the_tables(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'again.db'}"
    migrate.upgrade(url)
    migrate.upgrade(url)
    from alembic import command

    command.downgrade(migrate.alembic_config(url), "base")
    assert not (TABLES & _tables(url))


@pytest.mark.postgres
def test_upgrade_on_postgresql_creates_the_tables_and_the_procrastinate_schema() -> None:
    url = create_postgres_database()
    try:
        migrate.upgrade(url)
        tables = _tables(url)
        assert tables >= TABLES
        assert "procrastinate_jobs" in tables
        assert migrate.current_revision(url) == "0002"
    finally:
        drop_postgres_database(url)


def test_the_migrations_match_the_models(database_url: str) -> None:
    """Autogenerate finds nothing to add: models and migrations agree on both databases."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import grader.service.models  # noqa: F401

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    finally:
        engine.dispose()
    relevant = [d for d in diff if "procrastinate" not in repr(d)]
    assert relevant == []
