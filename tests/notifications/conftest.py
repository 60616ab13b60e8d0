"""Fixtures for the outside channels: a real SMTP server and a group-robot HTTP server on loopback,
and the settings that point the platform at them."""

from __future__ import annotations

import pytest
from channel_servers import FROM, SITE, RobotServer, SmtpServer


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def robot():
    server = RobotServer()
    yield server
    server.close()


@pytest.fixture
def channels_on(settings, smtp):
    """Email through the local SMTP server, robots allowed on loopback, links to the site, and retries
    after 60 s, 120 s then given up (three attempts)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = FROM
    settings.NOTIFICATIONS_EMAIL = True
    settings.NOTIFICATIONS_WEBHOOK_HOSTS = ["127.0.0.1"]
    settings.NOTIFICATIONS_WEBHOOK_TIMEOUT = 5
    settings.NOTIFICATIONS_RETRY_SECONDS = [60, 120]
    settings.SITE_URL = SITE
    return settings
