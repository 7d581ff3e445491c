"""Alembic environment: the URL comes from ``config.attributes['url']`` (set by ``migrate``)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import grader.service.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from grader.service.database import make_engine

config = context.config
url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
connection = config.attributes.get("connection")


def _run(conn) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=conn,
        target_metadata=SQLModel.metadata,
        render_as_batch=conn.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()
