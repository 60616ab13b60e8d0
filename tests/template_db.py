"""One migrated test database per run, copied by every pytest-xdist worker (docs/adr/0017-test-suite-speed.md).

Migrating takes about 25 s of CPU (Django renders the migration states); with one worker per core
every worker used to pay it. Now the first worker to need a database migrates its own as usual and
keeps a copy (SQLite: a file written with SQLite's backup API; PostgreSQL: a database
``<test database>_template``); the other workers wait for that copy and start from it (SQLite: backup
into their in-memory database; PostgreSQL: ``CREATE DATABASE … TEMPLATE``). The copy is the migrated
database itself (data migrations included), so it is not ``--no-migrations``. The controller drops
the PostgreSQL template at the end of the run.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MARKER = "kechuang-template.json"


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with open(folder / "kechuang-template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _quote(connection: Any, name: str) -> str:
    return str(connection.ops.quote_name(name))


def _keep(connection: Any, folder: Path) -> dict[str, str]:
    """Save the migrated database of this worker as the run's template."""
    if connection.vendor == "sqlite":
        path = folder / "kechuang-template.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(path)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
        return {"vendor": "sqlite", "path": str(path)}
    name = f"{connection.settings_dict['NAME']}_template"
    source = connection.settings_dict["NAME"]
    connection.close()  # a template is copied only while nobody is connected to it
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {_quote(connection, name)}")
        cursor.execute(f"CREATE DATABASE {_quote(connection, name)} TEMPLATE {_quote(connection, source)}")
    return {"vendor": "postgresql", "name": name}


def _copy(connection: Any, template: dict[str, str]) -> list[tuple[Any, str, bool]]:
    """This worker's test database from the template; what Django's teardown_databases expects."""
    from django.conf import settings

    alias = connection.alias
    old_name = connection.settings_dict["NAME"]
    test_name = connection.creation._get_test_db_name()
    connection.close()
    if template["vendor"] == "postgresql":
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {_quote(connection, test_name)}")
            cursor.execute(
                f"CREATE DATABASE {_quote(connection, test_name)} TEMPLATE {_quote(connection, template['name'])}"
            )
    settings.DATABASES[alias]["NAME"] = test_name
    connection.settings_dict["NAME"] = test_name
    connection.ensure_connection()
    if template["vendor"] == "sqlite":
        source = sqlite3.connect(template["path"])
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    return [(connection, old_name, True)]


def setup(folder: Path, verbosity: int) -> list[tuple[Any, str, bool]]:
    """The test database of this worker: migrated by the first worker, copied by the others."""
    from django.db import connections
    from django.test.utils import setup_databases

    connection = connections["default"]
    with _locked(folder):
        marker = folder / MARKER
        if marker.exists():
            return _copy(connection, json.loads(marker.read_text()))
        config = setup_databases(
            verbosity=verbosity, interactive=False, aliases={"default"}, serialized_aliases=set()
        )
        marker.write_text(json.dumps(_keep(connection, folder)))
        connection.ensure_connection()
        return list(config)


def _run_template(request: Any, tmp_path_factory: Any, vendor: str) -> dict[str, str] | None:
    """This run's template (as :func:`_keep` described it) when it is of ``vendor``; None without
    pytest-xdist (no template then) or in the other pass."""
    import os

    on_postgres = bool(os.environ.get("DATABASE_URL"))
    if not os.environ.get("PYTEST_XDIST_WORKER") or on_postgres != (vendor == "postgresql"):
        return None
    request.getfixturevalue("django_db_setup")  # the first worker to need a database makes the template
    marker = tmp_path_factory.getbasetemp().parent / MARKER
    if not marker.exists():
        return None
    template: dict[str, str] = json.loads(marker.read_text())
    return template if template.get("vendor") == vendor else None


def migrated_sqlite(request: Any, tmp_path_factory: Any, target: Path) -> bool:
    """Copy this run's migrated SQLite database to ``target`` (a platform's data folder's
    ``kechuang.sqlite3``), so a test that starts the platform in a subprocess need not migrate a new
    file (13 s of CPU each). True when copied; False outside the SQLite pass or without pytest-xdist
    (the subprocess migrates as before)."""
    template = _run_template(request, tmp_path_factory, "sqlite")
    if template is None:
        return False
    source = sqlite3.connect(template["path"])
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    return True


def migrated_postgres(request: Any, tmp_path_factory: Any) -> str | None:
    """The name of this run's migrated PostgreSQL template database (the PostgreSQL pass under
    pytest-xdist), to create a platform's database from with ``CREATE DATABASE … TEMPLATE``; None
    elsewhere (the platform then migrates its new database itself)."""
    template = _run_template(request, tmp_path_factory, "postgresql")
    return None if template is None else template["name"]


def drop(folder: Path) -> None:
    """At the end of the run (controller): drop the PostgreSQL template, if a worker made one."""
    marker = folder / MARKER
    if not marker.exists():
        return
    template = json.loads(marker.read_text())
    marker.unlink()
    if template["vendor"] != "postgresql":
        return
    from django.db import connections

    connection = connections["default"]
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {_quote(connection, template['name'])}")
