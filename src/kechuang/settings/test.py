"""Test settings: fast hashing, in-process tasks, a throwaway data folder."""

import os
import tempfile

os.environ.setdefault("KECHUANG_HOME", tempfile.mkdtemp(prefix="kechuang-test-"))

from .base import *  # noqa: F403
from .base import DATABASES, env

if not env.str("DATABASE_URL", default=""):
    # in-memory SQLite for the SQLite pass, one per pytest-xdist worker; the name must say ":memory:"
    # (pytest-django suffixes any other name with the worker's id, docs/adr/0017-test-suite-speed.md)
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}

# Django's backends, except that the flush after a transaction=True test may empty the append-only
# audit table (see kechuang.core.testdb); production keeps the plain backends and refuses it.
DATABASES["default"]["ENGINE"] = {
    "django.db.backends.sqlite3": "kechuang.core.testdb.sqlite3",
    "django.db.backends.postgresql": "kechuang.core.testdb.postgresql",
}.get(DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"])

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DEBUG = False
INSIGHTS_CACHE_SECONDS = 0  # query-budget tests must see every query
MATCH_EMBEDDER = "hashing"  # the real model is exercised by tests/matchcore and the match-eval benchmark
# A fast cache of this process: tests that need the shared one (database table, Redis) set it up
# themselves (tests/core/test_shared_cache.py); the file storage is the local folder unless a test says.
# The "database" alias is the embedded default's table, created with the test database (Django runs
# createcachetable there), for the tests that exercise it.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "database": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": CACHE_TABLE},  # noqa: F405
}
STORAGES = {**STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}  # noqa: F405
