"""``kechuang web-bench``'s client processes end on the pool's SIGTERM whatever handler the forking process
had: a test process that had run a command installing its own SIGTERM handler (``kechuang demo``) forked
clients that ignored the pool's shutdown, and one client waiting on the pool's queue lock kept the test
waiting for ever (seen once in the PostgreSQL pass)."""

from __future__ import annotations

import multiprocessing
import signal

import pytest

from kechuang.insights.management.commands import web_bench

pytestmark = pytest.mark.no_db


def _handler_in_client(initializer) -> object:
    previous = signal.signal(signal.SIGTERM, lambda *_: None)  # a handler that does not exit
    try:
        pool = multiprocessing.get_context("fork").Pool(1, initializer=initializer)
        try:
            return pool.apply(_sigterm_handler_name)
        finally:  # close and join, not terminate: a client with the inherited handler would not end
            pool.close()
            pool.join()
    finally:
        signal.signal(signal.SIGTERM, previous)


def _sigterm_handler_name() -> str:
    handler = signal.getsignal(signal.SIGTERM)
    return "default" if handler is signal.SIG_DFL else "inherited"


def test_a_client_process_ends_on_sigterm_whatever_it_inherited():
    assert _handler_in_client(None) == "inherited"  # what fork alone gives
    assert _handler_in_client(web_bench._client_process) == "default"
