"""The service's configuration: one frozen object, read from the environment once per process.

Every field has an embedded default (SQLite under ``./var``, in-process workers), so
``academy serve`` runs with no setup; a deployment sets environment variables instead
(``DATABASE_URL``, ``ACADEMY_QUEUE=procrastinate``, ...). Worker processes receive the same
object (it pickles), so a server and its workers never disagree.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

import grader


class QueueMode(StrEnum):
    """Who grades: workers started beside the server, or procrastinate workers anywhere."""

    EMBEDDED = "embedded"
    PROCRASTINATE = "procrastinate"


def _project_root() -> Path:
    """The checkout (or install prefix) holding ``content/`` and ``exercises/``."""
    return Path(grader.__file__).resolve().parent.parent


def _default_tree(name: str) -> Path:
    candidate = _project_root() / name
    return candidate if candidate.is_dir() else Path.cwd() / name


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var")
    database_url: str = ""  # empty: sqlite file ``academy.db`` in ``data_dir``
    content_dir: Path = field(default_factory=lambda: _default_tree("content"))
    exercises_dir: Path = field(default_factory=lambda: _default_tree("exercises"))
    queue: QueueMode = QueueMode.EMBEDDED
    # Embedded mode: grading processes started by the server, and submissions each grades at once.
    workers: int = 2
    worker_concurrency: int = 2
    # How long a claimed submission belongs to a worker without news from it: the worker
    # renews the lease every third of it, so this is how soon a dead worker's work restarts.
    lease_seconds: float = 15.0
    max_attempts: int = 3
    # "module:attribute" of a zero-argument callable returning a ``grading.Grader``.
    grader: str = "grader.service.grading:EngineGrader"
    max_upload_bytes: int = 256 * 1024
    max_files: int = 20
    # Submissions per learner per window; 0 disables the limit.
    submit_rate: int = 30
    submit_rate_window_seconds: float = 60.0
    secret_key: str = ""
    kernels_url: str | None = None
    # Mount the HTML pages (and with them the kernel bridge); off for an API-only process.
    pages: bool = True
    host: str = "127.0.0.1"
    port: int = 8000

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'academy.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    def __post_init__(self) -> None:
        if self.queue is QueueMode.PROCRASTINATE and self.is_sqlite:
            raise ValueError(
                "ACADEMY_QUEUE=procrastinate needs PostgreSQL: set DATABASE_URL to a "
                "postgresql:// URL, or use the embedded queue with SQLite"
            )

    def with_changes(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read ``ACADEMY_*`` and ``DATABASE_URL``; keyword overrides win (CLI options)."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        data_dir = Path(env.get("ACADEMY_DATA_DIR", "var"))
        values["data_dir"] = data_dir
        if "DATABASE_URL" in env:
            values["database_url"] = env["DATABASE_URL"]
        # The same variable names as the CLI (`academy grade`, `academy course`) and the kernels.
        paths = {"ACADEMY_CONTENT": "content_dir", "ACADEMY_EXERCISES": "exercises_dir"}
        for var, name in paths.items():
            if var in env:
                values[name] = Path(env[var])
        if "ACADEMY_QUEUE" in env:
            values["queue"] = QueueMode(env["ACADEMY_QUEUE"])
        ints = {
            "ACADEMY_WORKERS": "workers",
            "ACADEMY_WORKER_CONCURRENCY": "worker_concurrency",
            "ACADEMY_MAX_ATTEMPTS": "max_attempts",
            "ACADEMY_MAX_UPLOAD_BYTES": "max_upload_bytes",
            "ACADEMY_SUBMIT_RATE": "submit_rate",
            "ACADEMY_PORT": "port",
        }
        for var, name in ints.items():
            if var in env:
                values[name] = int(env[var])
        if "ACADEMY_PAGES" in env:
            values["pages"] = env["ACADEMY_PAGES"].lower() not in ("0", "false", "no", "off")
        if "ACADEMY_LEASE_SECONDS" in env:
            values["lease_seconds"] = float(env["ACADEMY_LEASE_SECONDS"])
        for var, name in {
            "ACADEMY_GRADER": "grader",
            "ACADEMY_SECRET_KEY": "secret_key",
            "KERNELS_URL": "kernels_url",
            "ACADEMY_HOST": "host",
        }.items():
            if var in env:
                values[name] = env[var]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    def ensure_secret_key(self) -> Settings:
        """A stable secret for session cookies: given, or kept in ``data_dir/secret_key``."""
        if self.secret_key:
            return self
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(32))
            path.chmod(0o600)
        return replace(self, secret_key=path.read_text().strip())
