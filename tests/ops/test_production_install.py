"""docs/operations.md "Install", followed on this machine without Docker: the install script into a
fresh prefix, the environment file from deploy/kechuang.env.template, a fresh PostgreSQL database and
a Redis of its own (``CACHE_URL``), ``kechuang upgrade``, the first account, ``kechuang serve`` and, in front of it, the
nginx site of deploy/nginx/ with TLS. Then, through nginx over HTTPS: /healthz, the login page, every
static file it asks for (served by nginx from disk), signing in, the HTTP→HTTPS redirect and the
upload limit; /metrics and /readyz straight from the app server, and refused by nginx. Everything is removed afterwards; the times are printed (``-s``) for docs/operations.md.

Users and modes as in production: the platform's commands run with the systemd units' ``UMask=0027``
and the data folder is ``0750``; nginx's workers run as another user that is only in the platform's
group (as www-data in group kechuang), so a static file the web server cannot read fails the test.

What a test cannot do as root of a shared machine is left to tests/ops/test_deploy_files.py: the
systemd units (verified, not started) and the kechuang system user.
"""

from __future__ import annotations

import contextlib
import grp
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import redis
from ops_helpers import (
    REPO,
    TEMPLATE,
    Client,
    free_port,
    fresh_database,
    render_nginx_site,
    start_server,
    static_references,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

INSTALLER_PASSWORD = "Install-Check-Passw0rd-2026"


def _environment_file(path: Path, **values: str) -> dict[str, str]:
    """deploy/kechuang.env.template with the REQUIRED lines filled in, as the operator does; returns
    what systemd's EnvironmentFile would give the services."""
    lines = TEMPLATE.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        name = line.split("=", 1)[0]
        if name in values:
            lines[number] = f"{name}={values.pop(name)}"
    assert not values, f"not in the template: {sorted(values)}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def _nginx_binary() -> str:
    found = shutil.which("nginx") or str(REPO / ".cache" / "test-deps" / "nginx" / "usr" / "sbin" / "nginx")
    if not os.access(found, os.X_OK):
        pytest.fail("nginx is missing: run scripts/ensure-test-deps.sh (make test does)")
    return found


def _certificate(folder: Path) -> tuple[Path, Path]:
    certificate, key = folder / "fullchain.pem", folder / "privkey.pem"
    subject = ["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
    files = ["-keyout", str(key), "-out", str(certificate)]
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", *subject, *files],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return certificate, key


def _start_nginx(folder: Path, site: str) -> tuple[subprocess.Popen[bytes], int, int]:
    """The rendered site on two free loopback ports, in a throwaway nginx (no system service)."""
    http_port, https_port = free_port(), free_port()
    site = re.sub(r"^\s*listen \[::\]:\d+.*$", "", site, flags=re.MULTILINE)
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    (folder / "kechuang.conf").write_text(site, encoding="utf-8")
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # As root, nginx's workers run as "nobody" in the test user's group: another user that reads what the
    # platform's group may read, as www-data in group kechuang does (docs/operations.md, step 7).
    worker_user = f"user nobody {grp.getgrgid(os.getgid()).gr_name};\n" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(
        worker_user
        + f"daemon off;\nworker_processes 1;\npid {folder / 'nginx.pid'};\nerror_log stderr warn;\n"
        + "events { worker_connections 64; }\n"
        + "http {\n"
        + "    types { text/html html; text/css css; application/javascript js; font/woff2 woff2; font/woff woff; application/json map; image/svg+xml svg; }\n"
        + "    default_type application/octet-stream;\n    access_log off;\n"
        + f"{temp}\n    include {folder / 'kechuang.conf'};\n}}\n",
        encoding="utf-8",
    )
    binary = _nginx_binary()
    check = subprocess.run(
        [binary, "-t", "-p", str(folder), "-c", str(folder / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, f"nginx -t refused the site:\n{check.stderr}"
    with open(folder / "nginx.log", "wb") as log:
        process = subprocess.Popen(
            [binary, "-p", str(folder), "-c", str(folder / "nginx.conf")],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", https_port), timeout=1):
            return process, http_port, https_port
        assert process.poll() is None, (folder / "nginx.log").read_text()
        time.sleep(0.1)
    process.kill()
    raise AssertionError("nginx did not listen")


def test_the_documented_production_install_serves_the_platform_behind_nginx(tmp_path, redis_cache_url):
    timings: dict[str, float] = {}
    prefix = tmp_path / "opt"
    # KECHUANG_HOME and nginx's folder outside pytest's private temporary folder (0700), so that nginx's
    # workers can reach them as they reach /var/lib/kechuang; the modes are production's.
    home = Path(tempfile.mkdtemp(prefix="kechuang-home-"))
    home.chmod(0o750)
    web_folder = Path(tempfile.mkdtemp(prefix="kechuang-nginx-"))
    web_folder.chmod(0o755)
    started = time.monotonic()
    install = subprocess.run(
        [str(REPO / "scripts" / "install-production.sh"), str(prefix)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    timings["install script (fresh virtualenv, pip)"] = time.monotonic() - started
    python = str(prefix / "venv" / "bin" / "python")
    kechuang = str(prefix / "venv" / "bin" / "kechuang")
    nginx, server = None, None
    try:
        with fresh_database("install") as database_url:
            assert database_url, "marked postgres: runs in the PostgreSQL pass"
            port = free_port()
            settings_env = _environment_file(
                tmp_path / "kechuang.env",
                SECRET_KEY=secrets.token_urlsafe(50),
                ALLOWED_HOSTS="localhost,127.0.0.1",
                KECHUANG_HOME=str(home),
                DATABASE_URL=database_url,
                CACHE_URL=redis_cache_url,  # a Redis of the test's own (tests/ops/conftest.py)
                WEB_BIND=f"127.0.0.1:{port}",
            )
            env = {"PATH": os.environ["PATH"], "HOME": str(home), "LANG": "C.UTF-8", **settings_env}

            started = time.monotonic()
            upgrade = subprocess.run(
                [kechuang, "upgrade"],
                env=env,
                cwd=home,
                capture_output=True,
                text=True,
                timeout=900,
                umask=0o027,  # the systemd units' UMask
            )
            assert upgrade.returncode == 0, upgrade.stdout[-3000:] + upgrade.stderr[-3000:]
            timings["kechuang upgrade (empty database)"] = time.monotonic() - started
            assert re.findall(r"^\[(\d)/5\]", upgrade.stdout, re.MULTILINE) == ["1", "2", "3", "4", "5"]
            first_account = subprocess.run(
                [
                    kechuang,
                    "createsuperuser",
                    "--noinput",
                    "--username",
                    "installer",
                    "--email",
                    "it@example.gov.cn",
                ],
                env={**env, "DJANGO_SUPERUSER_PASSWORD": INSTALLER_PASSWORD},
                cwd=home,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert first_account.returncode == 0, first_account.stderr

            server = start_server(env, tmp_path / "serve.log", workers=2, python=python)
            timings["kechuang serve until /healthz answers"] = server.started_in

            certificate, key = _certificate(tmp_path)
            site = render_nginx_site(
                KECHUANG_SERVER_NAME="localhost",
                KECHUANG_UPSTREAM=server.host,
                KECHUANG_STATIC_ROOT=str(home / "static"),
                KECHUANG_TLS_CERTIFICATE=str(certificate),
                KECHUANG_TLS_KEY=str(key),
            )
            nginx, http_port, https_port = _start_nginx(web_folder, site)
            tls = ssl.create_default_context(cafile=str(certificate))
            browser = Client(f"127.0.0.1:{https_port}", tls=tls)

            health = browser.get("/healthz")
            assert health.status == 200 and '"vendor": "postgresql"' in health.text
            # The monitoring reads each app server directly over plain HTTP (docs/monitoring.md); through
            # the public site both answers are nginx's 404.
            direct = Client(server.host, https=False)
            metrics = direct.get("/metrics")
            assert metrics.status == 200 and metrics.header("Content-Type").startswith("text/plain; version=")
            assert (
                "kechuang_migrations_ok 1.0" in metrics.text
                and "kechuang_http_requests_total{" in metrics.text
            )
            ready = json.loads(direct.get("/readyz").body)
            assert {name for name, check in ready["checks"].items() if check["state"] == "ok"} == {
                "database",
                "cache",
                "storage",
            }
            assert ready["failing"] == ["worker", "scheduler"]  # this test starts neither
            for path in ("/metrics", "/readyz"):
                refused = browser.get(path)
                assert refused.status == 404 and not refused.header("X-Request-ID"), path
            login = browser.get("/accounts/login/")
            assert login.status == 200 and "csrfmiddlewaretoken" in login.text  # no redirect loop behind TLS
            assert login.header("Strict-Transport-Security")
            assets = static_references(login.text)
            assert len(assets) >= 4
            for path in assets:
                asset = browser.get(path, headers={"Accept-Encoding": "gzip"})
                assert asset.status == 200, path
                assert asset.header("Server").startswith("nginx") and not asset.header("X-Request-ID"), (
                    f"{path} did not come from nginx's static folder"
                )
                assert asset.headers.get_all("Cache-Control") == ["public, max-age=315360000, immutable"]
            assert "/static/" not in Path(server.log).read_text()  # gunicorn never saw a static request

            plain = Client(f"127.0.0.1:{http_port}", https=False).get("/accounts/login/")
            assert plain.status == 301 and plain.header("Location") == "https://localhost/accounts/login/"

            browser.login("installer", INSTALLER_PASSWORD)  # the form, CSRF and Secure cookies over TLS
            home_page = browser.get("/")
            assert home_page.status == 200 and "/accounts/logout/" in home_page.text
            # the home page's figures went to the shared cache: Redis, as CACHE_URL says
            server_url, _, query = redis_cache_url.partition("?key_prefix=")
            assert list(redis.Redis.from_url(server_url).scan_iter(match=f"{query}:*", count=1000))

            # A body over client_max_body_size is refused from its Content-Length, before it is sent.
            with (
                socket.create_connection(("127.0.0.1", https_port), timeout=10) as raw,
                tls.wrap_socket(raw, server_hostname="localhost") as secure,
            ):
                secure.sendall(
                    b"POST /accounts/login/ HTTP/1.1\r\nHost: localhost\r\n"
                    + f"Content-Length: {22 * 1024 * 1024}\r\nConnection: close\r\n\r\n".encode()
                )
                answer = b""
                while chunk := secure.recv(65536):
                    answer += chunk
            head, _, body = answer.decode("utf-8", errors="replace").partition("\r\n\r\n")
            assert head.startswith("HTTP/1.1 413") and "文件过大" in body
    finally:
        if nginx is not None:
            nginx.send_signal(signal.SIGQUIT)  # graceful
            nginx.wait(timeout=30)
        if server is not None:
            assert server.stop() == 0
        shutil.rmtree(prefix, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(web_folder, ignore_errors=True)
    print("\nproduction install on this machine:")
    for step, seconds in timings.items():
        print(f"  {step}: {seconds:.1f} s")
