"""Test settings: fast hashing, in-process tasks, a throwaway data folder."""

import os
import tempfile

os.environ.setdefault("KECHUANG_HOME", tempfile.mkdtemp(prefix="kechuang-test-"))

from .base import *  # noqa: E402,F403
from .base import DATABASES, env  # noqa: E402

if not env.str("DATABASE_URL", default=""):
    DATABASES["default"]["TEST"] = {"NAME": ""}  # in-memory SQLite for the SQLite pass

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # noqa: S105
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DEBUG = False
