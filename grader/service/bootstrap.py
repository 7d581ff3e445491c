"""First run and every start of an embedded service: data dir, migrations, catalog, accounts.

``prepare`` is idempotent: it creates what is missing (the data dir, the SQLite file, the
schema, an admin and a demo learner when there are no users at all) and refreshes the catalog
rows from ``content/`` and ``exercises/``. Generated passwords are returned once, to be shown
once; only their Argon2 hashes are stored.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlmodel import func, select

from grader.service import accounts, migrate
from grader.service.catalog import SyncReport, default_course_id, sync_catalog
from grader.service.database import make_engine, session_scope
from grader.service.models import Role, User
from grader.service.settings import Settings


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    role: Role


@dataclass(frozen=True)
class Prepared:
    catalog: SyncReport
    created: list[Credentials]


def prepare(settings: Settings, *, create_accounts: bool = True) -> Prepared:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            report = sync_catalog(session, settings.content_dir, settings.exercises_dir)
        created: list[Credentials] = []
        if create_accounts:
            with session_scope(engine) as session:
                if session.exec(select(func.count()).select_from(User)).one() == 0:
                    course = default_course_id(session)
                    for username, role in (("admin", Role.ADMIN), ("demo", Role.LEARNER)):
                        password = secrets.token_urlsafe(12)
                        user = accounts.create_user(session, username, password, role)
                        accounts.enroll(session, user, course, role)
                        created.append(Credentials(username, password, role))
        return Prepared(catalog=report, created=created)
    finally:
        engine.dispose()
