"""Backup and restore (docs/reliability.md M2; docs/adr/0016-shared-state-and-backups.md): the drill on
demo data, a damaged backup refused, and a backup taken while a writer posts to the ledger. Each test
runs on the database of the pass: SQLite in the first pass of `make test`, PostgreSQL in the second."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection
from ops_helpers import ROOT, database_url

from kechuang.core import backup, storage

HERE = Path(__file__).resolve().parent


def stored_files() -> dict[str, str]:
    """Every stored file's SHA-256, by storage name."""
    out = {}
    for name in storage.walk(""):
        with default_storage.open(name, "rb") as handle:
            out[name] = hashlib.sha256(handle.read()).hexdigest()
    return out


def destroy_database() -> None:
    """What a lost disk or a bad DROP leaves: no tables at all."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(backup._EMPTY_SCHEMA)
        else:
            cursor.execute("PRAGMA foreign_keys=OFF")
            names = cursor.execute(
                "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'"
            ).fetchall()
            for kind, name in names:
                cursor.execute(f'DROP {kind.upper()} IF EXISTS "{name}"')
            cursor.execute("PRAGMA foreign_keys=ON")
        assert connection.introspection.table_names(cursor) == []


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MATCH_EMBEDDER = "hashing"
    return settings.MEDIA_ROOT


def quiet() -> io.StringIO:
    return io.StringIO()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_drill_demo_data_backed_up_destroyed_and_restored_verifies(media, tmp_path):
    started = time.monotonic()
    call_command("load_district", "juyuan", stdout=quiet())
    call_command("demo_data", scale="small", seed=2026, stdout=quiet())
    default_storage.save("transfer/附件/检测报告.pdf", ContentFile(b"%PDF-1.4 drill\n%%EOF\n"))
    built = time.monotonic() - started
    originals = backup.live_counts()
    files = stored_files()
    assert sum(originals.values()) > 10_000 and originals["ledger_journalline"] > 1000
    assert len(files) >= 2

    call_command("backup", output=str(tmp_path / "backup"), stdout=quiet())
    backed_up = time.monotonic() - started - built

    destroy_database()
    shutil.rmtree(media)
    assert stored_files() == {}

    out = io.StringIO()
    call_command("restore", str(tmp_path / "backup"), yes=True, stdout=out)
    assert "恢复完成" in out.getvalue()
    restored = time.monotonic() - started - built - backed_up
    call_command("audit_verify", stdout=quiet())  # raises CommandError on any break
    call_command("ledger_reconcile", stdout=quiet())
    assert backup.live_counts() == originals
    assert stored_files() == files
    print(
        f"\ndrill on {connection.vendor}: demo data {built:.1f}s, backup {backed_up:.1f}s, restore {restored:.1f}s"
    )


@pytest.fixture
def small_backup(media, tmp_path, operator):
    from kechuang.core import audit

    audit.record("test.before_backup", actor=operator, object_type="test.thing", object_id="1")
    default_storage.save("a/one.pdf", ContentFile(b"%PDF-1.4 one\n%%EOF\n"))
    call_command("backup", output=str(tmp_path / "backup"), stdout=quiet())
    audit.record("test.after_backup", actor=operator, object_type="test.thing", object_id="2")
    return tmp_path / "backup"


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("damage", ["database", "file", "missing file", "manifest"])
def test_a_damaged_backup_is_refused_and_nothing_changes(small_backup, damage):
    manifest = json.loads((small_backup / "manifest.json").read_text())
    if damage == "database":
        _flip_a_byte(small_backup / manifest["database"]["file"])
    elif damage == "file":
        _flip_a_byte(small_backup / "media" / "a" / "one.pdf")
    elif damage == "missing file":
        (small_backup / "media" / "a" / "one.pdf").unlink()
    else:
        (small_backup / "manifest.json").write_text("{not json")
    counts = backup.live_counts()
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(small_backup), yes=True, stdout=quiet())
    message = str(refused.value)
    assert "拒绝恢复" in message or "已损坏" in message
    assert "未做任何改动" in message
    if damage in ("database", "file"):
        assert "SHA-256" in message
    assert backup.live_counts() == counts  # the audit record written after the backup is still there
    assert stored_files()


@pytest.mark.django_db(transaction=True)
def test_restore_asks_for_yes_and_refuses_a_backup_of_newer_code_or_another_database(small_backup):
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(small_backup), stdout=quiet())
    manifest_path = small_backup / "manifest.json"
    manifest = json.loads(manifest_path.read_text())

    newer = {**manifest, "migrations": {**manifest["migrations"], "core": ["9999_from_the_future"]}}
    manifest_path.write_text(json.dumps(newer))
    with pytest.raises(CommandError, match="更新版本的代码"):
        call_command("restore", str(small_backup), yes=True, stdout=quiet())

    other = "sqlite" if connection.vendor == "postgresql" else "postgresql"
    manifest_path.write_text(json.dumps({**manifest, "database": {**manifest["database"], "vendor": other}}))
    with pytest.raises(CommandError, match="DATABASE_URL"):
        call_command("restore", str(small_backup), yes=True, stdout=quiet())


@pytest.mark.django_db(transaction=True)
def test_backup_refuses_a_folder_that_holds_files(media, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    with pytest.raises(CommandError, match="不是空的"):
        call_command("backup", output=str(tmp_path / "full"), stdout=quiet())
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine"


# --- a backup while people write ------------------------------------------------------------------


def _environment(url: str, home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "S3_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="kechuang.settings.base",
        DATABASE_URL=url,
        KECHUANG_HOME=str(home),
        MEDIA_ROOT=str(home / "media"),
        FILE_STORAGE="local",
        CACHE_URL="dbcache://kechuang_cache",
        MATCH_EMBEDDER="hashing",
        PYTHONPATH=os.pathsep.join([str(HERE), str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    )
    return env


def _kechuang(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kechuang", *args], env=env, capture_output=True, text=True, timeout=600
    )


def _file_database(path: Path) -> str:
    """The (migrated, empty) in-memory test database copied to a file, as an installation keeps it."""
    target = sqlite3.connect(path)
    backup._raw_sqlite().backup(target)
    target.execute("PRAGMA journal_mode=WAL")
    target.close()
    return f"sqlite:///{path}"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_backup_taken_while_a_writer_posts_restores_to_a_consistent_ledger_and_audit_chain(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    url = _file_database(tmp_path / "live.sqlite3") if connection.vendor == "sqlite" else database_url()
    env = _environment(url, home)
    writer_script = [sys.executable, str(HERE / "backup_writer.py")]
    setup = subprocess.run([*writer_script, "setup"], env=env, capture_output=True, text=True, timeout=300)
    assert setup.stdout.strip() == "READY", setup.stderr

    stop, acknowledged = tmp_path / "stop", tmp_path / "acknowledged.json"
    writer = subprocess.Popen(
        [*writer_script, "write", str(stop), str(acknowledged)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "WRITING"
        time.sleep(1.5)  # postings are under way
        backup_started = time.time()
        taken = _kechuang(env, "backup", "--output", str(tmp_path / "backup"))
        backup_finished = time.time()
        assert taken.returncode == 0, taken.stderr
        time.sleep(1.0)  # and go on after it
    finally:
        stop.touch()
        _out, errors = writer.communicate(timeout=120)
    assert writer.returncode == 0, errors
    acks = json.loads(acknowledged.read_text())
    during = [a for a in acks if backup_started <= a["at"] <= backup_finished]
    before = [a for a in acks if a["at"] < backup_started]
    assert before and during and len(acks) > len(before) + len(during), (
        "the writer wrote before, during and after"
    )

    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    spends_in_backup = manifest["tables"]["ledger_journalentry"] - 1  # the opening balance
    assert len(before) <= spends_in_backup <= len(acks)

    # Restore into an installation of its own (SQLite: a new file; PostgreSQL: the emptied test database).
    if connection.vendor == "sqlite":
        restored_env = _environment(f"sqlite:///{tmp_path / 'restored.sqlite3'}", tmp_path / "restored-home")
    else:
        connection.close()
        restored_env = env
    restored = _kechuang(restored_env, "restore", str(tmp_path / "backup"), "--yes")
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "恢复完成" in restored.stdout
    for command in ("ledger-reconcile", "audit-verify"):
        checked = _kechuang(restored_env, command)
        assert checked.returncode == 0, f"{command}: {checked.stdout}{checked.stderr}"
