"""The service suites' fixtures live in ``grader.service.testing`` (shared with web tests)."""

from grader.service.testing import (  # noqa: F401
    database_url,
    postgres_url,
    settings,
    sqlite_template,
    world,
)
