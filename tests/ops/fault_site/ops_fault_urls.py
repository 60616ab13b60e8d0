"""The site's URLs, and in front of them the two test-only views of ops_fault_settings."""

import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import path

from kechuang.urls import handler400, handler403, handler404, handler500  # noqa: F401 (used by Django)
from kechuang.urls import urlpatterns as site_urlpatterns


def fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("deliberate failure for the error page test; caller 13812345678")


def slow(request: HttpRequest) -> HttpResponse:
    """Says it started (a file in the data folder), then answers after the given seconds."""
    (settings.HOME / "slow-request-started").touch()
    time.sleep(min(float(request.GET.get("seconds", "3")), 20))
    return HttpResponse("finished", content_type="text/plain")


urlpatterns = [path("ops-test/fail", fail), path("ops-test/slow", slow), *site_urlpatterns]
