"""docs/reliability.md E1: ``manage.py check --deploy`` with the production settings reports nothing, and the
production settings refuse to start without a secret key and host names."""

from __future__ import annotations

import importlib
import os
import secrets
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

PRODUCTION = "kechuang.settings.production"


def run(args: list[str], tmp_path, **env_overrides: str) -> subprocess.CompletedProcess:
    # A clean environment, as on a server: nothing leaks in from the test run (other tests set
    # variables such as DJANGO_ALLOW_ASYNC_UNSAFE that --deploy rightly reports).
    env = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8", "HOME": str(tmp_path)}
    env.update({"DJANGO_SETTINGS_MODULE": PRODUCTION, "KECHUANG_HOME": str(tmp_path)})
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-m", "kechuang", *args], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def production_env() -> dict[str, str]:
    return {"SECRET_KEY": secrets.token_urlsafe(64), "ALLOWED_HOSTS": "kc.juyuan.example.cn"}


@pytest.mark.slow
def test_check_deploy_with_production_settings_reports_no_issue(tmp_path, production_env):
    result = run(["check", "--deploy", "--fail-level", "WARNING"], tmp_path, **production_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout + result.stderr


def load_production(monkeypatch, **env: str):
    """Import the production settings module afresh with the given environment (in-process, fast)."""
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "DEBUG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delitem(sys.modules, PRODUCTION, raising=False)
    return importlib.import_module(PRODUCTION)


def test_production_settings_need_a_secret_key(monkeypatch, production_env):
    production_env.pop("SECRET_KEY")
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        load_production(monkeypatch, **production_env)


def test_production_settings_need_host_names(monkeypatch, production_env):
    production_env.pop("ALLOWED_HOSTS")
    with pytest.raises(ImproperlyConfigured, match="ALLOWED_HOSTS"):
        load_production(monkeypatch, **production_env)


def test_production_settings_cannot_be_switched_to_debug_and_keep_cookies_secure(monkeypatch, production_env):
    production = load_production(monkeypatch, DEBUG="true", **production_env)
    assert production.DEBUG is False
    assert production.ALLOWED_HOSTS == ["kc.juyuan.example.cn"]
    assert (
        production.SESSION_COOKIE_SECURE and production.CSRF_COOKIE_SECURE and production.SECURE_SSL_REDIRECT
    )
    assert production.SECURE_HSTS_SECONDS >= 31536000
    assert production.SESSION_COOKIE_HTTPONLY and production.SESSION_COOKIE_AGE == 30 * 60
