"""docs/reliability.md K5 (issue 14 item 12) under the real server: a POST whose body the application refuses
without reading it (over the size limit, or throttled) is answered with ``Connection: keep-alive`` and the
connection then serves the next request, rather than being dropped. gunicorn skips at most 64 KB of an
unread body before it gives up on a kept-alive connection; kechuang.core.middleware.DrainUnreadBodyMiddleware
reads the rest.
"""

from __future__ import annotations

import socket

import pytest
from ops_helpers import start_server

pytestmark = pytest.mark.slow


def _post_then_get(port: int, body: bytes) -> tuple[str, str]:
    """The status lines of a POST with ``body`` and of a GET sent after it on the same connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        head = (
            "POST /api/v1/auth/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: https\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
        ).encode()
        sock.sendall(head + body)
        buffer = bytearray()

        def response() -> str:
            while b"\r\n\r\n" not in buffer:
                chunk = sock.recv(65536)
                if not chunk:
                    return "connection closed"
                buffer.extend(chunk)
            header, _sep, rest = bytes(buffer).partition(b"\r\n\r\n")
            lines = header.decode("latin-1").split("\r\n")
            sizes = [int(line.split(":")[1]) for line in lines if line.lower().startswith("content-length")]
            assert sizes, lines  # every answer says its length, so the connection can carry the next one
            length = sizes[0]
            while len(rest) < length:
                chunk = sock.recv(65536)
                if not chunk:
                    return "connection closed"
                rest += chunk
            buffer[:] = rest[length:]
            return lines[0]

        first = response()
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: https\r\n\r\n")
        return first, response()


def test_a_refused_large_body_leaves_the_kept_alive_connection_usable(production_home, tmp_path):
    """On the session's production installation (migrated, static files collected: tests/ops/conftest.py),
    with a cache of this server's own, so the throttle's count starts at zero and stays here."""
    env = {**production_home.env, "CACHE_URL": "locmemcache://refused-body"}
    server = start_server(env, tmp_path / "serve.log", workers=1)
    try:
        port = server.port
        too_big = b'{"username": "x", "password": "' + b"y" * 11_000_000 + b'"}'
        first, second = _post_then_get(port, too_big)
        assert first.startswith("HTTP/1.1 413") and second.startswith("HTTP/1.1 200"), (first, second)
        for _ in range(25):  # the token endpoint allows 20 a minute
            first, second = _post_then_get(port, b'{"username": "x", "password": "y"}')
        assert first.startswith("HTTP/1.1 429"), first
        throttled = b'{"username": "x", "password": "' + b"y" * 2_000_000 + b'"}'
        first, second = _post_then_get(port, throttled)
        assert first.startswith("HTTP/1.1 429") and second.startswith("HTTP/1.1 200"), (first, second)
    finally:
        assert server.stop() == 0
