"""Real servers on loopback for the channel tests: an SMTP server (aiosmtpd) and an HTTP server that
answers like a 企业微信 / 钉钉 group robot. Each takes a free port from the operating system, so tests
can run in parallel (pytest-xdist)."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

SITE = "https://kc.example.gov.cn"
FROM = "kechuang@kc.example.gov.cn"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    subject: str
    sender: str
    to: str
    text: str
    raw: str


class _Collect:
    def __init__(self, box: list[ReceivedMail]) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.content.decode("utf-8", errors="replace")
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.box.append(
            ReceivedMail(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                subject=str(message["Subject"]).strip(),  # Django folds an encoded subject onto its own line
                sender=str(message["From"]),
                to=str(message["To"]),
                text=message.get_content(),
                raw=raw,
            )
        )
        return "250 Message accepted for delivery"


class SmtpServer:
    """``start()`` / ``stop()`` on one port, so a test can take the server down and bring it back."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[ReceivedMail] = []
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(_Collect(self.messages), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@dataclass
class RobotRequest:
    path: str
    query: dict[str, str]
    content_type: str
    body: bytes
    payload: Any


@dataclass
class RobotServer:
    """Answers POSTs like a group robot: ``mode`` "ok" (200, errcode 0), "500" or "errcode"."""

    mode: str = "ok"
    requests: list[RobotRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                parts = urllib.parse.urlsplit(self.path)
                robot.requests.append(
                    RobotRequest(
                        path=parts.path,
                        query=dict(urllib.parse.parse_qsl(parts.query)),
                        content_type=self.headers.get("Content-Type", ""),
                        body=body,
                        payload=json.loads(body.decode("utf-8")),
                    )
                )
                if robot.mode == "500":
                    self.send_response(500)
                    self.end_headers()
                    self.wfile.write(b"internal error")
                    return
                answer = {"errcode": 0, "errmsg": "ok"}
                if robot.mode == "errcode":
                    answer = {"errcode": 310000, "errmsg": "sign not match"}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/cgi-bin/webhook/send?key=test-key-0001") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
