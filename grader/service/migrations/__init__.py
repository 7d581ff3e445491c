"""Alembic migrations of the service's tables; the same revisions run on SQLite and PostgreSQL."""
