"""gunicorn settings shared by ``kechuang demo`` and the load harness (``--config python:kechuang.gunicorn_conf``).

Each worker warms the matching engine in a background thread as soon as it starts, so the first
person to open a page with recommendations does not wait for the index to be built from the database
(seconds on a district's catalogue); the worker answers other pages meanwhile. ``/healthz`` reports
``"matching": "warming"`` until this worker's engine is ready.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

logger = logging.getLogger("kechuang.gunicorn")


def warm_matching() -> None:
    from django.db import connection

    try:
        from kechuang.transfer import matching

        engine = matching.get_engine()
        engine.search("科技成果转化", k=1)  # loads the query encoder too, when vectors exist
    except Exception:  # warming is an optimisation: a failure leaves the first request to build it
        logger.exception("matching warm-up failed")
    finally:
        connection.close()


def post_worker_init(worker: Any) -> None:
    threading.Thread(target=warm_matching, name="kechuang-warm-matching", daemon=True).start()
