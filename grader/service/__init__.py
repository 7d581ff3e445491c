"""The grader service's domain and infrastructure, below the web layer.

Layers, inner to outer:

- ``settings``, ``errors``        configuration read once; the service's exception tree
- ``models``, ``database``,       the tables (SQLModel), engines/sessions for SQLite and
  ``migrate``, ``migrations/``    PostgreSQL, and the one set of alembic migrations for both
- ``accounts``, ``passwords``,    the domain: users and tokens, the course catalog as rows,
  ``catalog``, ``submissions``,   submissions stored before grading, progress and class views
  ``progress``
- ``grading``                     the seam to ``grader.engine`` (a ``Grader`` protocol)
- ``queue/``, ``events``          who grades (embedded workers or procrastinate) and how the
                                  news travels back (in-process or PostgreSQL LISTEN/NOTIFY)
- ``runtime``                     one object (``Services``) wiring the above for a process

``grader.web`` and ``grader.cli`` use this package; it never imports them.
"""
