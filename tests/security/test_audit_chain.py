"""docs/reliability.md C2: the audit table is append-only in the database itself, and ``kechuang
audit-verify`` finds a tampered, deleted or re-hashed row (exit status 1) and passes a clean chain."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from kechuang.core import audit
from kechuang.core.models import AuditEvent

pytestmark = pytest.mark.django_db

SQLITE_TRIGGERS = ("core_auditevent_no_update", "core_auditevent_no_delete")
POSTGRES_TRIGGERS = ("core_auditevent_no_change", "core_auditevent_no_truncate")


@pytest.fixture
def chain(db):
    return [
        audit.record("test.event", object_type="test", object_id=str(i), detail={"n": i}) for i in range(5)
    ]


@contextmanager
def triggers_lifted():
    """Tampering the way an attacker with database access would: lift the triggers, then restore."""
    from kechuang.core.testdb import append_only_migration

    migration = append_only_migration()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for statement in migration.SQLITE_DOWN:
                cursor.execute(statement)
        else:
            for name in POSTGRES_TRIGGERS:
                cursor.execute(f"ALTER TABLE core_auditevent DISABLE TRIGGER {name}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                for statement in migration.SQLITE_UP:
                    cursor.execute(statement)
            else:
                for name in POSTGRES_TRIGGERS:
                    cursor.execute(f"ALTER TABLE core_auditevent ENABLE TRIGGER {name}")


def raw(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def verify() -> tuple[int, str]:
    from io import StringIO

    out = StringIO()
    try:
        call_command("audit_verify", stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


# --- append-only ----------------------------------------------------------------------------------


def test_model_refuses_to_save_an_existing_row_or_delete_one(chain):
    event = chain[0]
    event.action = "changed"
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()


def test_database_refuses_an_orm_update(chain):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=chain[1].pk).update(result="denied")
    assert AuditEvent.objects.get(pk=chain[1].pk).result == "ok"


def test_database_refuses_an_orm_bulk_delete(chain):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == 5


def test_database_refuses_a_raw_sql_update(chain):
    with pytest.raises(DatabaseError), transaction.atomic():
        raw("UPDATE core_auditevent SET actor_username = %s WHERE id = %s", ["mallory", chain[2].pk])
    assert AuditEvent.objects.get(pk=chain[2].pk).actor_username == ""


def test_database_refuses_a_raw_sql_delete(chain):
    with pytest.raises(DatabaseError), transaction.atomic():
        raw("DELETE FROM core_auditevent WHERE id = %s", [chain[3].pk])
    assert AuditEvent.objects.filter(pk=chain[3].pk).exists()


@pytest.mark.postgres
def test_postgresql_refuses_truncate(chain):
    with pytest.raises(DatabaseError), transaction.atomic():
        raw("TRUNCATE core_auditevent")
    assert AuditEvent.objects.count() == 5


@pytest.mark.postgres
def test_postgresql_triggers_are_installed():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'core_auditevent'::regclass AND NOT tgisinternal"
        )
        names = {row[0] for row in cursor.fetchall()}
    assert names >= set(POSTGRES_TRIGGERS)


def test_inserting_still_works_and_extends_the_chain(chain):
    event = audit.record("test.more")
    assert event.prev_hash == chain[-1].hash


# --- audit-verify ---------------------------------------------------------------------------------


def test_verify_passes_a_clean_chain(chain):
    code, output = verify()
    assert code == 0
    assert "完整" in output and "5 条" in output


def test_verify_passes_an_empty_log(db):
    assert verify()[0] == 0


def test_verify_finds_a_row_whose_content_was_changed(chain):
    target = chain[2]
    with triggers_lifted():
        raw("UPDATE core_auditevent SET actor_username = %s WHERE id = %s", ["mallory", target.pk])
    code, output = verify()
    assert code == 1
    assert f"记录 {target.pk}" in output and "内容与哈希不符" in output
    assert f"记录 {chain[3].pk}" not in output


def test_verify_finds_a_changed_row_even_when_its_hash_was_recomputed(chain):
    target = AuditEvent.objects.get(pk=chain[1].pk)
    target.detail = {"n": 999}
    forged = target.compute_hash()
    with triggers_lifted():
        raw(
            "UPDATE core_auditevent SET detail = %s, hash = %s WHERE id = %s",
            ['{"n": 999}', forged, target.pk],
        )
    code, output = verify()
    assert code == 1
    assert f"记录 {chain[2].pk}" in output and "链接断开" in output


def test_verify_finds_a_deleted_row(chain):
    with triggers_lifted():
        raw("DELETE FROM core_auditevent WHERE id = %s", [chain[2].pk])
    code, output = verify()
    assert code == 1
    assert f"记录 {chain[3].pk}" in output and "链接断开" in output


def test_verify_with_an_anchor_finds_rows_cut_from_the_end(chain):
    anchor = chain[-1].hash
    assert verify()[0] == 0
    with triggers_lifted():
        raw("DELETE FROM core_auditevent WHERE id = %s", [chain[-1].pk])
    assert verify()[0] == 0  # a cut tail leaves a consistent chain; only an anchor kept elsewhere shows it
    from io import StringIO

    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("audit_verify", anchor=anchor, stdout=out)
    assert caught.value.returncode == 1
    assert "锚点" in out.getvalue()


def test_verify_prints_the_head_hash_to_keep_as_an_anchor(chain):
    _code, output = verify()
    assert chain[-1].hash in output


@pytest.mark.slow
def test_kechuang_audit_verify_exits_1_on_a_tampered_sqlite_database(tmp_path):
    """End to end: the console script on its own SQLite database, tampered with sqlite3."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "LANG": "C.UTF-8",
        "HOME": str(tmp_path),
        "KECHUANG_HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "kechuang.settings.base",
        "SECRET_KEY": "test-only-secret-key-for-a-subprocess-0123456789abcdef",
    }
    script = [sys.executable, "-m", "kechuang"]
    prepared = subprocess.run(
        [
            sys.executable,
            "-c",
            (
                "import django; django.setup()\n"
                "from django.core.management import call_command\n"
                "call_command('migrate', 'core', verbosity=0)\n"
                "from kechuang.core import audit\n"
                "for i in range(3): audit.record('test.event', object_id=str(i))\n"
                "call_command('audit_verify')\n"
            ),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert prepared.returncode == 0, prepared.stderr
    assert "完整" in prepared.stdout
    database = sqlite3.connect(tmp_path / "kechuang.sqlite3")
    database.execute("DROP TRIGGER core_auditevent_no_update")
    database.execute("UPDATE core_auditevent SET result = 'denied' WHERE id = 2")
    database.commit()
    database.close()
    tampered = subprocess.run([*script, "audit-verify"], env=env, capture_output=True, text=True, timeout=60)
    assert tampered.returncode == 1
    assert "记录 2" in tampered.stdout
