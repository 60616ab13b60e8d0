"""Each gunicorn worker warms its matching engine in the background; /healthz says when it is ready."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from kechuang import gunicorn_conf
from kechuang.transfer import matching


@pytest.mark.slow
def test_worker_init_warms_the_engine_in_a_background_thread(monkeypatch):
    seen: list[str] = []
    monkeypatch.setattr(gunicorn_conf, "warm_matching", lambda: seen.append(threading.current_thread().name))
    gunicorn_conf.post_worker_init(worker=None)
    for thread in threading.enumerate():
        if thread.name == "kechuang-warm-matching":
            thread.join(timeout=10)
    assert seen == ["kechuang-warm-matching"]


def test_healthz_says_warming_until_the_engine_is_built(client, achievement, monkeypatch):
    monkeypatch.setattr(connection, "close", lambda: None)  # the test's transaction must survive
    matching.reset()
    assert client.get("/healthz").json()["matching"] == "warming"
    gunicorn_conf.warm_matching()
    assert matching.is_ready()
    assert client.get("/healthz").json()["matching"] == "ready"
    assert f"achievement:{achievement.pk}" in matching.get_engine()  # the warmed engine is the one used
