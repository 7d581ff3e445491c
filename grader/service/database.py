"""Engines and sessions for SQLite (embedded) and PostgreSQL (deployed), one code path.

SQLite gets WAL and a busy timeout so the server and its worker processes can share the file;
PostgreSQL URLs are pointed at the psycopg 3 driver. Everything else is plain SQLAlchemy.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine


def normalize_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 here (the only driver installed)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def psycopg_conninfo(url: str) -> str:
    """The URL as psycopg itself takes it, for connections made without SQLAlchemy
    (LISTEN, procrastinate, a worker's pool)."""
    return normalize_url(url).replace("postgresql+psycopg://", "postgresql://")


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        # Connections are cheap; the pool must not be what queues requests (threads are).
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=20,
            max_overflow=80,
        )
        event.listen(engine, "connect", _configure_sqlite)
        # pysqlite's own transaction handling is off (see _configure_sqlite); we BEGIN here.
        # Writers ask for BEGIN IMMEDIATE (``writer(engine)``): they take the write lock up
        # front, so a read-then-write transaction waits its turn instead of failing with
        # SQLITE_BUSY halfway. Readers use a plain deferred BEGIN and never block writers (WAL).
        event.listen(engine, "begin", _begin_sqlite)
        return engine
    # No ``pool_pre_ping``: it costs a round trip on every checkout, i.e. on every request and
    # every claim. Connections are instead replaced after ``_RECYCLE_SECONDS`` (before a
    # firewall or server idle timeout drops them), and when one turns out dead anyway (the
    # server restarted), the statement fails once and SQLAlchemy invalidates every pooled
    # connection older than the failure: the web request answers 500 once, a worker's job is
    # retried by procrastinate, and the next checkouts connect afresh.
    return create_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=_RECYCLE_SECONDS
    )


_RECYCLE_SECONDS = 300


def _begin_sqlite(conn: Any) -> None:
    immediate = conn.get_execution_options().get(_IMMEDIATE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


_IMMEDIATE = "academy_sqlite_immediate"


def writer(engine: Engine) -> Engine:
    """The same engine, for transactions that write (BEGIN IMMEDIATE on SQLite)."""
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(**{_IMMEDIATE: True})


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, see make_engine
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


@contextmanager
def session_scope(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """A session whose transaction commits on success and rolls back on error.

    ``write=False`` for read-only work: on SQLite it then does not queue behind writers.
    """
    with Session(writer(engine) if write else engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def read_scope(engine: Engine) -> Iterator[Session]:
    """A session for reads only, each statement on its own (autocommit on PostgreSQL).

    Why: a read-only transaction on PostgreSQL costs a BEGIN and a COMMIT round trip around
    its query, and under READ COMMITTED each statement sees its own snapshot anyway. Use it
    on hot paths that only read (following a submission); anything that may write belongs
    in ``session_scope``. SQLite reads keep their deferred transaction (they never block).
    """
    bind = _autocommit(engine) if engine.dialect.name == "postgresql" else engine
    with Session(bind, expire_on_commit=False) as session:
        yield session


@functools.lru_cache(maxsize=64)
def _autocommit(engine: Engine) -> Engine:
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def begin_write(session: Session) -> None:
    """End the session's current transaction and start one that may write.

    On SQLite the new transaction is BEGIN IMMEDIATE: it queues for the write lock up front
    rather than upgrading a read snapshot later (which fails at once when another writer
    committed in between). Call it right before the writes, in the same thread, so the lock
    is never held while waiting for anything else.
    """
    session.commit()
    session.connection(execution_options={_IMMEDIATE: True})


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything the service stores is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
