"""deploy/: the compose file is valid (``docker-compose config``, no Docker engine needed), the image is
built with the same install script the tests run natively, the environment template lists every setting
the code reads, the systemd units pass ``systemd-analyze verify`` and are hardened, and the nginx site
agrees with the application's limits. The nginx site itself is run in tests/ops/test_production_install.py."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from django.conf import settings
from ops_helpers import DEPLOY, REPO, TEMPLATE, render_nginx_site, tool

UNITS = ("kechuang-web.service", "kechuang-worker.service", "kechuang-scheduler.service")


def _compose_config(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`docker-compose config` on a copy of deploy/, with kechuang.env made from the template as the
    operator makes it (docs/operations.md "Docker")."""
    copy = tmp_path / "deploy"
    shutil.copytree(DEPLOY, copy)
    shutil.copy(TEMPLATE, copy / "kechuang.env")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "DOCKER_"))}
    return subprocess.run(
        [
            tool("docker-compose"),
            "--project-directory",
            str(copy),
            "-f",
            str(copy / "compose.yaml"),
            "config",
        ],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_compose_file_is_valid_and_runs_the_whole_platform(tmp_path):
    result = _compose_config(tmp_path, POSTGRES_PASSWORD="s3cret-for-the-test")
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    services = config["services"]
    assert set(services) == {"postgres", "redis", "upgrade", "web", "worker", "scheduler", "nginx"}
    assert services["postgres"]["image"] == "postgres:15"
    assert services["redis"]["image"].startswith("redis:")
    commands = {name: services[name]["command"] for name in ("upgrade", "web", "worker", "scheduler")}
    assert commands == {
        "upgrade": ["kechuang", "upgrade"],
        "web": ["kechuang", "serve"],
        "worker": ["kechuang", "worker"],
        "scheduler": ["kechuang", "scheduler"],
    }
    for name in ("web", "worker", "scheduler"):
        assert services[name]["depends_on"]["upgrade"]["condition"] == "service_completed_successfully"
        environment = services[name]["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == "kechuang.settings.production"
        assert environment["DATABASE_URL"] == "postgres://kechuang:s3cret-for-the-test@postgres:5432/kechuang"
        assert environment["CACHE_URL"] == "redis://redis:6379/0"
        assert services[name]["build"]["dockerfile"] == "deploy/Dockerfile"
    assert services["web"]["environment"]["WEB_BIND"] == "0.0.0.0:8000"
    nginx_mounts = " ".join(services["nginx"]["volumes"])
    assert "kechuang.conf.template:/etc/nginx/templates/" in nginx_mounts
    assert "data:/var/lib/kechuang:ro" in nginx_mounts  # static files, read-only
    assert services["nginx"]["environment"]["KECHUANG_UPSTREAM"] == "web:8000"


def test_the_compose_file_refuses_to_start_without_a_database_password(tmp_path):
    result = _compose_config(tmp_path)
    assert result.returncode != 0
    assert "set POSTGRES_PASSWORD" in result.stderr


def test_the_image_is_built_with_the_native_install_script():
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^RUN /build/scripts/install-production\.sh /opt/kechuang", dockerfile, re.MULTILINE)
    script = (REPO / "scripts" / "install-production.sh").read_text(encoding="utf-8")
    packed = re.search(r"-cf - (.+?) \\?\n", script)
    assert packed, "install-production.sh no longer says which files it builds from"
    copied = " ".join(re.findall(r"^COPY (.+)$", dockerfile, re.MULTILINE))
    for name in packed.group(1).split():
        assert name in copied, f"the image does not copy {name}, which the install script builds from"
    assert re.search(r"^FROM python:3\.11-slim-bookworm$", dockerfile, re.MULTILINE)
    assert re.search(r'^CMD \["kechuang", "serve"\]$', dockerfile, re.MULTILINE)
    assert re.search(r"^USER kechuang$", dockerfile, re.MULTILINE)


def _settings_read_from_the_environment() -> set[str]:
    names: set[str] = set()
    sources = [
        *sorted((REPO / "src" / "kechuang" / "settings").glob("*.py")),
        REPO / "src" / "kechuang" / "gunicorn_conf.py",
    ]
    patterns = [
        r"""env(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]+)["']""",  # django-environ: env.str("NAME"), env("NAME")
        r"""_(?:int|list)\(\s*["']([A-Z][A-Z0-9_]+)["']""",  # gunicorn_conf helpers
        r"""os\.environ(?:\.get)?[\[(]\s*["']([A-Z][A-Z0-9_]+)["']""",
    ]
    for source in sources:
        text = source.read_text(encoding="utf-8")
        for pattern in patterns:
            names |= set(re.findall(pattern, text))
    names.discard("KC_LOAD_PLAN")
    return names


def test_the_environment_template_lists_every_setting_with_its_meaning():
    names = _settings_read_from_the_environment()
    assert {"SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "WEB_CONCURRENCY", "KECHUANG_HOME"} <= names
    names |= {"DJANGO_SETTINGS_MODULE", "KECHUANG_PROFILE_DIRS"}  # read by Django and the profile loader
    lines = TEMPLATE.read_text(encoding="utf-8").splitlines()
    listed: dict[str, int] = {}
    for number, line in enumerate(lines):
        match = re.match(r"^(?:# )?([A-Z][A-Z0-9_]+)=", line)
        if match:
            listed.setdefault(match.group(1), number)
    missing = sorted(names - listed.keys())
    assert not missing, f"deploy/kechuang.env.template does not list: {missing}"
    for name, number in listed.items():
        # a setting (or a group of settings, one line each) comes right after the comment explaining it
        above = number - 1
        while re.match(r"^(?:# )?[A-Z][A-Z0-9_]+=", lines[above]):
            above -= 1
        assert lines[above].startswith("#"), f"{name} has no comment saying what it means"
    for line in lines:  # systemd's EnvironmentFile and Compose's env_file both read it
        if line and not line.startswith("#"):
            assert re.fullmatch(r"[A-Z][A-Z0-9_]*=[^\s'\"]*", line), f"not KEY=value without quotes: {line!r}"


def test_the_systemd_units_verify_and_run_as_a_confined_user(tmp_path):
    analyze = tool("systemd-analyze")
    kechuang = Path(sys.executable).with_name(
        "kechuang"
    )  # an executable where /opt/kechuang/venv/bin/kechuang will be
    for name in (*UNITS, "kechuang.target"):
        text = (DEPLOY / "systemd" / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace("/opt/kechuang/venv/bin/kechuang", str(kechuang)))
    result = subprocess.run(
        [analyze, "verify", "--man=no", *(f"./{name}" for name in (*UNITS, "kechuang.target"))],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
    for name in UNITS:
        unit = dict(
            line.split("=", 1)
            for line in (DEPLOY / "systemd" / name).read_text(encoding="utf-8").splitlines()
            if "=" in line and not line.startswith("#")
        )
        assert unit["User"] == "kechuang" and unit["Group"] == "kechuang"
        assert unit["EnvironmentFile"] == "/etc/kechuang/kechuang.env"
        assert unit["ProtectSystem"] == "strict" and unit["ReadWritePaths"] == "/var/lib/kechuang"
        assert (
            unit["NoNewPrivileges"] == "yes" and unit["ProtectHome"] == "yes" and unit["PrivateTmp"] == "yes"
        )
        assert unit["CapabilityBoundingSet"] == ""
        command = name.removeprefix("kechuang-").removesuffix(".service")
        expected = {"web": "serve", "worker": "worker", "scheduler": "scheduler"}[command]
        assert unit["ExecStart"] == f"/opt/kechuang/venv/bin/kechuang {expected}"
        assert unit["WantedBy"] == "kechuang.target"
    web = (DEPLOY / "systemd" / "kechuang-web.service").read_text(encoding="utf-8")
    assert "Type=notify" in web and "ExecReload=/bin/kill -s HUP $MAINPID" in web
    stop = int(re.search(r"^TimeoutStopSec=(\d+)$", web, re.MULTILINE).group(1))
    assert stop > 30  # longer than WEB_GRACEFUL_TIMEOUT's default, so systemd never kills a graceful stop


def test_the_nginx_site_agrees_with_the_applications_limits():
    site = render_nginx_site(
        KECHUANG_SERVER_NAME="kechuang.example.gov.cn",
        KECHUANG_UPSTREAM="127.0.0.1:8000",
        KECHUANG_STATIC_ROOT="/var/lib/kechuang/static",
        KECHUANG_TLS_CERTIFICATE="/etc/ssl/kechuang/fullchain.pem",
        KECHUANG_TLS_KEY="/etc/ssl/kechuang/privkey.pem",
    )
    body_limit = int(re.search(r"client_max_body_size (\d+)m;", site).group(1)) * 1024 * 1024
    largest = max(settings.UPLOAD_MAX_BYTES, settings.IMPORT_MAX_BYTES)
    assert largest < body_limit <= largest + 2 * 1024 * 1024  # room for the form, not much more
    assert f"{settings.UPLOAD_MAX_BYTES // (1024 * 1024)} MB" in site  # the 413 page says the real limit
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in site
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in site
    read_timeout = int(re.search(r"proxy_read_timeout (\d+)s;", site).group(1))
    assert read_timeout > 60  # above WEB_TIMEOUT's default: gunicorn's timeout answers first
    assert "alias /var/lib/kechuang/static/;" in site
    assert "/media" not in site  # uploads only through the access-checked views (reliability K3)
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in site
