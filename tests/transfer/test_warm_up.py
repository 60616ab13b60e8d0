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


class _Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, message: str, *args: object) -> None:
        self.lines.append(message % args)


class _Server:
    def __init__(self) -> None:
        self.log = _Log()


def test_the_master_builds_one_shared_index_before_the_workers_fork(achievement, monkeypatch):
    """docs/adr/0030-engine-at-city-scale.md: the engine is built in the master (the workers inherit it
    copy-on-write), its database connections are closed before the fork and the heap is frozen."""
    import gc

    from django.db import connections

    from matchcore import threads

    closed: list[bool] = []
    frozen: list[bool] = []
    fork_ready: list[bool] = []
    monkeypatch.setattr(threads, "fork_friendly_openmp", lambda: fork_ready.append(True))
    monkeypatch.setattr(connections, "close_all", lambda: closed.append(True))
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    from matchcore import store

    trimmed: list[bool] = []
    monkeypatch.setattr(store, "release_free_memory", lambda: trimmed.append(True) or True)
    matching.reset()
    server = _Server()
    gunicorn_conf.when_ready(server)
    assert matching.is_ready()
    assert f"achievement:{achievement.pk}" in matching.get_engine()
    assert closed == [True] and frozen == [True] and trimmed == [True]
    assert fork_ready == [
        True
    ]  # the workers must not inherit a started OpenMP pool (tests/matchcore/test_matchcore_fork.py)
    assert any("shared" in line for line in server.log.lines)


def test_the_shared_index_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("WEB_SHARED_MATCHING", "0")
    matching.reset()
    gunicorn_conf.build_shared_matching(_Server())
    assert not matching.is_ready()
