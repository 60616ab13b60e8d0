"""``kechuang upgrade``: migrate, cache table, collectstatic, compilemessages, matching index, in that
order, each step printed; a second run finds nothing to do. Runs in this process on the test database,
with the static files and translations redirected to temporary folders (the repository's own
src/kechuang/locale is never written)."""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError

from kechuang.transfer import matching
from kechuang.transfer.factories import ensure_fields, make_achievement
from kechuang.transfer.models import ListingVector

pytestmark = pytest.mark.django_db

STEPS = ["数据库迁移", "缓存表", "静态文件", "翻译文件", "匹配索引"]


@pytest.fixture
def upgrade_site(settings, tmp_path):
    """Static files and translations in temporary folders; a .po newer than its .mo."""
    locale = tmp_path / "locale"
    shutil.copytree(Path(django_settings.LOCALE_PATHS[0]), locale)
    for po in locale.glob("*/LC_MESSAGES/*.po"):
        later = po.with_suffix(".mo").stat().st_mtime + 10
        os.utime(po, (later, later))
    settings.LOCALE_PATHS = [str(locale)]
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.MATCH_EMBEDDER = "hashing"
    matching.reset()
    yield tmp_path
    matching.reset()


def _upgrade(*args: str) -> str:
    out = io.StringIO()
    call_command("upgrade", *args, stdout=out)
    return out.getvalue()


@pytest.mark.slow
def test_upgrade_runs_every_step_in_order_and_a_second_run_has_nothing_to_do(upgrade_site, institute_org):
    ensure_fields()
    make_achievement(institute_org)
    ListingVector.objects.all().delete()  # a catalogue whose vectors are missing (a new embedder, say)

    first = _upgrade()
    headings = re.findall(r"^\[(\d)/5\] (\S+?)（", first, flags=re.MULTILINE)
    assert headings == [(str(n), step) for n, step in enumerate(STEPS, start=1)]
    assert "升级完成" in first
    assert "已编译 1 个翻译文件" in first
    mo = next((upgrade_site / "locale").glob("*/LC_MESSAGES/*.mo"))
    assert mo.stat().st_mtime >= mo.with_suffix(".po").stat().st_mtime
    collected = upgrade_site / "static" / "vendor" / "bootstrap-icons" / "fonts" / "bootstrap-icons.woff"
    assert collected.exists()
    assert "已加入后台任务队列" in first  # the tests' task backend runs it at once
    assert ListingVector.objects.exists()

    second = _upgrade()
    assert "No migrations to apply" in second
    assert re.search(r"\b0 static files copied", second)
    assert "1 个翻译文件已是最新" in second
    assert "语义向量齐全" in second


@pytest.mark.slow
def test_upgrade_computes_missing_vectors_in_the_foreground_when_asked(upgrade_site, institute_org):
    ensure_fields()
    make_achievement(institute_org)
    ListingVector.objects.all().delete()
    output = _upgrade("--reindex-now")
    assert "现在计算" in output and "完成：计算" in output
    assert matching.missing_vector_ids() == []


@pytest.mark.slow
def test_without_msgfmt_the_shipped_compiled_translations_are_kept(upgrade_site, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    mo = next((upgrade_site / "locale").glob("*/LC_MESSAGES/*.mo"))
    before = mo.read_bytes()
    output = _upgrade()
    assert "未安装 msgfmt" in output
    assert mo.read_bytes() == before


def test_a_missing_compiled_catalogue_without_msgfmt_stops_the_upgrade_with_what_to_install(
    upgrade_site, monkeypatch
):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    next((upgrade_site / "locale").glob("*/LC_MESSAGES/*.mo")).unlink()
    with pytest.raises(CommandError, match="apt-get install gettext"):
        _upgrade()


@pytest.mark.slow
def test_the_database_cache_table_is_created_when_the_database_cache_is_configured(upgrade_site, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "kc_ops_cache"}
    }
    output = _upgrade()
    assert "数据库缓存表已就绪：default" in output
    from django.db import connection

    assert "kc_ops_cache" in connection.introspection.table_names()  # rolled back with the test


@pytest.mark.any_database  # file modes; 27 s of CPU (every file compressed) once per run, not twice
def test_every_static_file_is_left_readable_by_the_web_server_whatever_the_umask(upgrade_site, settings):
    """nginx reads STATIC_ROOT as another user (docs/operations.md, step 7): neither the uploads' 0600
    mode, nor the services' UMask, nor a file collected by an earlier release with a narrow mode may
    leave a static file it cannot read."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage",
            "OPTIONS": django_settings.STATIC_FILE_MODES,
        },
    }
    earlier = Path(settings.STATIC_ROOT) / "old-release" / "kept.css"
    earlier.parent.mkdir(parents=True)
    earlier.write_text("body{}")
    earlier.chmod(0o600)
    earlier.parent.chmod(0o700)
    previous = os.umask(0o077)
    try:
        output = _upgrade()
    finally:
        os.umask(previous)
    modes = {path: path.stat().st_mode & 0o777 for path in Path(settings.STATIC_ROOT).rglob("*")}
    assert len(modes) > 100
    narrow = {str(path): oct(mode) for path, mode in modes.items() if mode not in (0o644, 0o755)}
    assert narrow == {}
    assert "改为所有用户可读" in output
