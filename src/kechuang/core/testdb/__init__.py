"""Database backends for the test settings only: identical to Django's, except that ``flush`` (which
pytest-django runs after every ``transaction=True`` test) lifts the triggers of the tables it empties
for the length of the flush and puts them back in the same transaction.

Append-only tables (the audit log, ledger journals) refuse DELETE and TRUNCATE with triggers. In
production that is the point: Django's own backends are used there, so a flush is refused like any
other deletion (docs/reliability.md C2). In tests, without this, every transactional test that writes such a
row (every service call writes an audit record) fails at teardown, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import importlib
from typing import Any


def append_only_migration() -> Any:
    """The audit log's trigger migration (its SQL is reused by the tests that tamper with the log)."""
    return importlib.import_module("kechuang.core.migrations.0002_audit_append_only")


def sqlite_wrap_flush(connection: Any, tables: Any, statements: list[str]) -> list[str]:
    """Drop the triggers on the flushed tables before, and re-create them from their own SQL after."""
    tables = list(tables)
    if not tables or not statements:
        return statements
    marks = ", ".join(["%s"] * len(tables))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({marks})",  # noqa: S608
            tables,
        )
        triggers = [(name, sql) for name, sql in cursor.fetchall() if sql]
    drop = [f'DROP TRIGGER IF EXISTS "{name}";' for name, _sql in triggers]
    create = [sql if sql.rstrip().endswith(";") else sql + ";" for _name, sql in triggers]
    return [*drop, *statements, *create]


def postgresql_wrap_flush(tables: Any, statements: list[str], quote: Any) -> list[str]:
    """Disable the user triggers of the flushed tables for the flush (TRUNCATE runs in a transaction)."""
    tables = list(tables)
    if not tables or not statements:
        return statements
    lift = [f"ALTER TABLE {quote(table)} DISABLE TRIGGER USER;" for table in tables]
    restore = [f"ALTER TABLE {quote(table)} ENABLE TRIGGER USER;" for table in tables]
    return [*lift, *statements, *restore]
