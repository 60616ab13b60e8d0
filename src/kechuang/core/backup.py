"""Backups and restores of one installation: the database, the uploaded files and a manifest
(docs/adr/0016-shared-state-and-backups.md; docs/reliability.md M2).

A backup is a folder::

    manifest.json        what is inside: code version, database vendor, migration heads, row counts per
                         table, every file with its size and SHA-256, when it was taken
    database.dump        PostgreSQL: ``pg_dump --format=custom`` of one snapshot
    database.sqlite3     SQLite: a copy made with SQLite's online backup API
    media/…              every stored file, by its storage name (local folder or S3 bucket)

Consistency while people work: on PostgreSQL the row counts are read in a REPEATABLE READ transaction
whose snapshot ``pg_dump --snapshot`` then dumps, so the counts describe exactly the dumped state; on
SQLite the backup API copies the database in one step under one read transaction, and the counts are
read from the copy. Files are copied after the database, so every file the database names was there.

A restore checks every file against the manifest before it changes anything, replaces the database
in one transaction (PostgreSQL: the emptied schema and ``pg_restore``'s script through ``psql
--single-transaction``; SQLite: the backup API into the live database, after a safety copy), replaces
the stored files, then compares the row counts and the files' checksums with the manifest.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection

from . import storage

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA = "media"
PG_FILE = "database.dump"
SQLITE_FILE = "database.sqlite3"
CHUNK = 1 << 20

Say = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do, in Chinese."""


# --- small helpers -----------------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def code_version() -> str:
    try:
        return metadata.version("kechuang")
    except metadata.PackageNotFoundError:  # pragma: no cover - a source tree without install
        return "unknown"


def cache_table() -> str:
    return str(getattr(settings, "CACHE_TABLE", "kechuang_cache"))


def _quiet(_message: str) -> None:
    return None


def _heads(applied: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Per app, the applied migrations no other applied migration of the code's graph depends on."""
    from django.db.migrations.loader import MigrationLoader

    applied = set(applied)
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    heads: dict[str, list[str]] = {}
    for app, name in sorted(applied):
        node = graph.node_map.get((app, name))
        children = {c.key for c in node.children if c.key[0] == app} if node is not None else set()
        if not (children & applied):
            heads.setdefault(app, []).append(name)
    return heads


def code_heads() -> dict[str, list[str]]:
    """The migration heads of this code (what ``migrate`` brings a database to)."""
    from django.db.migrations.loader import MigrationLoader

    heads: dict[str, list[str]] = {}
    for app, name in sorted(MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes()):
        heads.setdefault(app, []).append(name)
    return heads


def unknown_migrations(heads: dict[str, list[str]]) -> list[str]:
    """Migrations named by a backup that this code does not have (the backup is from newer code)."""
    from django.db.migrations.loader import MigrationLoader

    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    return [
        f"{app}.{name}" for app, names in heads.items() for name in names if (app, name) not in graph.nodes
    ]


# --- the database --------------------------------------------------------------------------------------


def _pg_conninfo() -> tuple[str, dict[str, str]]:
    """A libpq connection string for the default database (no password in it) and the environment for
    the PostgreSQL client programs (the password, if any, as PGPASSWORD)."""
    from psycopg.conninfo import make_conninfo

    params = connection.settings_dict
    options = {
        key: str(value)
        for key, value in (params.get("OPTIONS") or {}).items()
        if key in ("sslmode", "sslrootcert", "sslcert", "sslkey", "options", "target_session_attrs")
    }
    conninfo = make_conninfo(
        "",
        dbname=params.get("NAME") or "",
        user=params.get("USER") or None,
        host=params.get("HOST") or None,
        port=str(params.get("PORT") or "") or None,
        **options,
    )
    environment = {**os.environ, "PGAPPNAME": "kechuang-backup"}
    if params.get("PASSWORD"):
        environment["PGPASSWORD"] = str(params["PASSWORD"])
    return conninfo, environment


def _need(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        raise BackupError(
            f"找不到 PostgreSQL 客户端程序 {program}：请安装与服务器同一大版本的客户端"
            f"（Debian：apt-get install postgresql-client-15）后再试。"
        )
    return path


def _run(args: list[str], environment: dict[str, str], what: str) -> None:
    completed = subprocess.run(args, env=environment, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise BackupError(f"{what}失败（退出码 {completed.returncode}）：{completed.stderr.strip()[-2000:]}")


def _backup_postgresql(folder: Path) -> dict[str, Any]:
    """pg_dump of one exported snapshot, and the row counts and migrations read in that snapshot."""
    import psycopg

    pg_dump = _need("pg_dump")
    conninfo, environment = _pg_conninfo()
    with psycopg.connect(conninfo, autocommit=False) as snapshot_connection:
        with snapshot_connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot, server_version = cursor.fetchone()  # type: ignore[misc]
            cursor.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
            )
            tables = [row[0] for row in cursor.fetchall() if row[0] != cache_table()]
            counts = {}
            for table in tables:
                cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - names from the catalogue
                counts[table] = int(cursor.fetchone()[0])  # type: ignore[index]
            applied: list[tuple[str, str]] = []
            if "django_migrations" in counts:
                cursor.execute("SELECT app, name FROM django_migrations")
                applied = [(str(a), str(n)) for a, n in cursor.fetchall()]
            # The dump reads the same snapshot while this transaction stays open.
            _run(
                [
                    pg_dump,
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--exclude-table-data={cache_table()}",
                    "--file",
                    str(folder / PG_FILE),
                    "--dbname",
                    conninfo,
                ],
                environment,
                "pg_dump 导出数据库",
            )
        snapshot_connection.rollback()
    return {
        "vendor": "postgresql",
        "file": PG_FILE,
        "server_version": server_version,
        "tables": counts,
        "migrations": _heads(applied),
    }


def _sqlite_counts(database: sqlite3.Connection) -> dict[str, int]:
    tables = [
        row[0]
        for row in database.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
        if row[0] != cache_table()
    ]
    return {t: int(database.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in tables}  # noqa: S608


def _raw_sqlite() -> sqlite3.Connection:
    connection.ensure_connection()
    raw = connection.connection
    assert isinstance(raw, sqlite3.Connection)
    return raw


def _backup_sqlite(folder: Path) -> dict[str, Any]:
    """A copy through the online backup API (all pages in one step, so one consistent state)."""
    target_path = folder / SQLITE_FILE
    target = sqlite3.connect(target_path)
    try:
        _raw_sqlite().backup(target, pages=-1)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        if target.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [cache_table()]).fetchone():
            target.execute(f'DELETE FROM "{cache_table()}"')  # noqa: S608 - our own table's name
            target.commit()
        target.execute("VACUUM")
        counts = _sqlite_counts(target)
        applied: list[tuple[str, str]] = []
        if "django_migrations" in counts:
            applied = [(str(a), str(n)) for a, n in target.execute("SELECT app, name FROM django_migrations")]
        version = sqlite3.sqlite_version
    finally:
        target.close()
    return {
        "vendor": "sqlite",
        "file": SQLITE_FILE,
        "server_version": version,
        "tables": counts,
        "migrations": _heads(applied),
    }


def live_counts() -> dict[str, int]:
    """Row counts of every table of the live database (the cache table left out)."""
    with connection.cursor() as cursor:
        tables = [t for t in connection.introspection.table_names(cursor) if t != cache_table()]
        counts = {}
        for table in sorted(tables):
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = int(cursor.fetchone()[0])
    return counts


# --- files ---------------------------------------------------------------------------------------------


def _copy_media(folder: Path, say: Say) -> list[str]:
    """Copy every stored file to ``folder/media``; return their storage names. A file deleted while
    the copy runs (a user removed an attachment) is left out and named."""
    names = []
    for name in storage.walk(""):
        target = folder / MEDIA / name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with default_storage.open(name, "rb") as source, target.open("wb") as out:
                shutil.copyfileobj(source, out, CHUNK)
        except FileNotFoundError:
            target.unlink(missing_ok=True)
            say(f"文件 {name} 在复制前已被删除，未纳入备份。")
            continue
        names.append(name)
    return names


def _file_entry(folder: Path, relative: str) -> dict[str, Any]:
    path = folder / relative
    return {"name": relative, "size": path.stat().st_size, "sha256": sha256_of(path)}


# --- backup ----------------------------------------------------------------------------------------


def create(output: Path, *, say: Say = _quiet) -> dict[str, Any]:
    """Write a backup to the folder ``output`` (which must not exist or be empty); return the manifest.

    The work happens in a sibling folder renamed to ``output`` at the end, so a backup that stopped
    half-way is never mistaken for a complete one.
    """
    output = output.resolve()
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise BackupError(
            f"目标文件夹 {output} 已存在且不是空的：请指定一个新的文件夹（备份不会覆盖已有文件）。"
        )
    output.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{output.name}.partial-", dir=output.parent))
    try:
        started = dt.datetime.now(dt.UTC)
        vendor = connection.vendor
        say(f"数据库（{vendor}）导出中…")
        if vendor == "postgresql":
            database = _backup_postgresql(work)
        elif vendor == "sqlite":
            database = _backup_sqlite(work)
        else:
            raise BackupError(f"不支持备份 {vendor} 数据库。")
        say(f"数据库已导出：{len(database['tables'])} 张表，{sum(database['tables'].values())} 行。")
        say("上传文件复制中…")
        media = _copy_media(work, say)
        say(f"上传文件已复制：{len(media)} 个。")
        files = [_file_entry(work, database["file"])]
        files += [_file_entry(work, f"{MEDIA}/{name}") for name in media]
        manifest = {
            "format": FORMAT,
            "created_at": started.isoformat(),
            "finished_at": dt.datetime.now(dt.UTC).isoformat(),
            "code_version": code_version(),
            "database": {
                "vendor": database["vendor"],
                "file": database["file"],
                "server_version": database["server_version"],
            },
            "migrations": database["migrations"],
            "tables": database["tables"],
            "file_storage": getattr(settings, "FILE_STORAGE", "local"),
            "files": files,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        if output.exists():
            output.rmdir()
        work.rename(output)
        return manifest
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


# --- restore ---------------------------------------------------------------------------------------


@dataclass
class Verified:
    folder: Path
    manifest: dict[str, Any]
    media: list[str] = field(default_factory=list)


def verify(folder: Path) -> Verified:
    """Read the manifest and check every file it lists (size and SHA-256); raise on any difference."""
    folder = folder.resolve()
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(f"{folder} 里没有 {MANIFEST}：这不是完整的备份（备份中途停止时不会留下清单）。")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files = manifest["files"]
        database = manifest["database"]
        if not isinstance(manifest["tables"], dict) or not isinstance(manifest["migrations"], dict):
            raise TypeError("tables, migrations")
    except (ValueError, KeyError, TypeError) as error:
        raise BackupError(f"备份清单 {MANIFEST} 已损坏，无法读取（{error}）；未做任何改动。") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(
            f"备份格式 {manifest.get('format')} 不是本版本能恢复的格式 {FORMAT}；未做任何改动。"
        )
    problems = []
    listed = set()
    for entry in files:
        name = str(entry["name"])
        listed.add(name)
        target = (folder / name).resolve()
        if folder not in target.parents:
            problems.append(f"{name}：路径超出备份文件夹")
        elif not target.is_file():
            problems.append(f"{name}：文件缺失")
        elif target.stat().st_size != entry["size"]:
            problems.append(f"{name}：大小应为 {entry['size']} 字节，实为 {target.stat().st_size} 字节")
        elif sha256_of(target) != entry["sha256"]:
            problems.append(f"{name}：SHA-256 校验值不符")
    if database.get("file") not in listed:
        problems.append(f"{database.get('file')}：数据库文件不在清单中")
    if problems:
        shown = "\n  ".join(problems[:20])
        more = f"\n  ……另有 {len(problems) - 20} 处" if len(problems) > 20 else ""
        raise BackupError(f"备份已损坏，拒绝恢复（未做任何改动）：\n  {shown}{more}")
    media = sorted(n[len(MEDIA) + 1 :] for n in listed if n.startswith(f"{MEDIA}/"))
    return Verified(folder=folder, manifest=manifest, media=media)


_EMPTY_SCHEMA = """
SET lock_timeout = '15s';
DO $kechuang_restore$
DECLARE
  kinds text[] := ARRAY['v,m', 'r,p,f', 'S'];  -- views, then tables (with their own sequences), then the rest
  step text;
  item record;
BEGIN
  FOREACH step IN ARRAY kinds LOOP
    FOR item IN
      SELECT c.oid::regclass::text AS name,
             CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                            WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END AS kind
      FROM pg_class c
      WHERE c.relnamespace = 'public'::regnamespace
        AND c.relkind::text = ANY (string_to_array(step, ','))
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                        AND d.objid = c.oid AND d.deptype = 'e')
    LOOP
      EXECUTE format('DROP %s IF EXISTS %s CASCADE', item.kind, item.name);
    END LOOP;
  END LOOP;
  FOR item IN
    SELECT p.oid::regprocedure::text AS name FROM pg_proc p
    WHERE p.pronamespace = 'public'::regnamespace
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                      AND d.objid = p.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('DROP ROUTINE IF EXISTS %s CASCADE', item.name);
  END LOOP;
END
$kechuang_restore$;
"""


def _restore_postgresql(verified: Verified) -> None:
    """Empty the schema and load the dump in one transaction: on any error the database is unchanged."""
    pg_restore, psql = _need("pg_restore"), _need("psql")
    conninfo, environment = _pg_conninfo()
    connection.close()
    dump = verified.folder / verified.manifest["database"]["file"]
    with tempfile.TemporaryFile() as script_errors, tempfile.TemporaryFile() as loader_errors:
        script = subprocess.Popen(
            [pg_restore, "--no-owner", "--no-privileges", "--no-comments", "--file=-", str(dump)],
            stdout=subprocess.PIPE,
            stderr=script_errors,
            env=environment,
        )
        loader = subprocess.Popen(
            [
                psql,
                "--no-psqlrc",
                "--quiet",
                "--single-transaction",
                "--set=ON_ERROR_STOP=1",
                "--dbname",
                conninfo,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=loader_errors,
            env=environment,
        )
        assert script.stdout is not None and loader.stdin is not None
        try:
            loader.stdin.write(_EMPTY_SCHEMA.encode())
            shutil.copyfileobj(script.stdout, loader.stdin, CHUNK)
        except BrokenPipeError:
            pass  # psql stopped on an error; its message follows
        finally:
            with contextlib.suppress(BrokenPipeError):
                loader.stdin.close()
            script.stdout.close()
        script.wait()
        loader.wait()
        script_errors.seek(0)
        loader_errors.seek(0)
        script_message = script_errors.read().decode(errors="replace").strip()[-2000:]
        loader_message = loader_errors.read().decode(errors="replace").strip()[-2000:]
    if script.returncode != 0:
        raise BackupError(f"pg_restore 读取备份失败，数据库保持原样：{script_message}")
    if loader.returncode != 0:
        hint = (
            "（其他进程仍在使用数据库：请先停止网站、后台任务和定时任务进程）"
            if "lock timeout" in loader_message
            else ""
        )
        raise BackupError(f"数据库恢复失败，数据库保持原样{hint}：{loader_message}")


def _restore_sqlite(verified: Verified, *, say: Say) -> None:
    """Check the copy, keep a safety copy of the live database, then copy the backup over it with the
    backup API (which takes the database's own locks, so no process reads a half-copied file)."""
    source_path = verified.folder / verified.manifest["database"]["file"]
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    try:
        result = source.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise BackupError(f"备份中的 SQLite 数据库未通过完整性检查（{result}）；未做任何改动。")
        live = _raw_sqlite()
        name = str(connection.settings_dict.get("NAME") or "")
        if name and ":memory:" not in name and "mode=memory" not in name and Path(name).is_file():
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            safety = Path(name).with_name(f"{Path(name).name}.before-restore-{stamp}")
            keep = sqlite3.connect(safety)
            try:
                live.backup(keep, pages=-1)
            finally:
                keep.close()
            say(f"恢复前的数据库已另存为 {safety}")
        source.backup(live, pages=-1)
    finally:
        source.close()


def _restore_media(verified: Verified) -> None:
    """Make the file storage hold exactly the backup's files."""
    wanted = set(verified.media)
    for name in list(storage.walk("")):
        default_storage.delete(name)
    for name in sorted(wanted):
        with (verified.folder / MEDIA / name).open("rb") as handle:
            saved = default_storage.save(name, File(handle, name=name))
        if saved != name:
            raise BackupError(f"文件 {name} 无法按原名写回存储（存成了 {saved}）。")


def check_restored(verified: Verified) -> list[str]:
    """Differences between the restored installation and the manifest: row counts and files."""
    problems = []
    expected = verified.manifest["tables"]
    actual = live_counts()
    for table in sorted(set(expected) | set(actual)):
        if expected.get(table) != actual.get(table):
            problems.append(
                f"表 {table}：备份中 {expected.get(table, '无')} 行，恢复后 {actual.get(table, '无')} 行"
            )
    sums = {
        e["name"][len(MEDIA) + 1 :]: e["sha256"]
        for e in verified.manifest["files"]
        if e["name"].startswith(f"{MEDIA}/")
    }
    stored = set(storage.walk(""))
    for name in sorted(set(sums) | stored):
        if name not in stored:
            problems.append(f"文件 {name}：恢复后不在存储中")
        elif name not in sums:
            problems.append(f"文件 {name}：备份中没有")
        else:
            digest = hashlib.sha256()
            with default_storage.open(name, "rb") as handle:
                for chunk in iter(partial(handle.read, CHUNK), b""):
                    digest.update(chunk)
            if digest.hexdigest() != sums[name]:
                problems.append(f"文件 {name}：恢复后的 SHA-256 校验值不符")
    return problems


def restore(folder: Path, *, say: Say = _quiet) -> list[str]:
    """Restore the backup in ``folder`` over this installation; return the differences found after
    (empty when the restored database and files equal the manifest)."""
    verified = verify(folder)
    manifest = verified.manifest
    say(
        f"备份校验通过：清单中 {len(manifest['files'])} 个文件（数据库与上传文件），创建于 {manifest['created_at']}。"
    )
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(
            f"这是 {vendor} 数据库的备份，当前配置的数据库是 {connection.vendor}：请用 DATABASE_URL 指向"
            f"同类数据库后再恢复；未做任何改动。"
        )
    unknown = unknown_migrations(manifest["migrations"])
    if unknown:
        raise BackupError(
            "备份来自更新版本的代码（本版本没有这些数据库迁移："
            + "、".join(unknown[:10])
            + "）：请先升级代码再恢复；未做任何改动。"
        )
    say("恢复数据库…")
    if vendor == "postgresql":
        _restore_postgresql(verified)
    else:
        _restore_sqlite(verified, say=say)
    connection.close()
    say(f"恢复上传文件（{len(verified.media)} 个）…")
    _restore_media(verified)
    _after_restore()
    return check_restored(verified)


def _after_restore() -> None:
    """Every process forgets what it derived from the replaced data: the shared figures and tokens, and
    (through the ``database`` token) every process's matching engine."""
    from . import figures

    try:
        figures.data_changed("database", "directory")
    except Exception as error:  # the restore is done; say what is left to do
        raise BackupError(
            f"数据已恢复，但无法清除共享缓存（{error}）：请清空缓存（CACHE_URL）或重启所有网站进程。"
        ) from error
