"""Figures that sum whole tables, shown on every visit to a home page, kept for a short while.

``INSIGHTS_CACHE_SECONDS`` (default 60; 0 in tests, so query-budget tests see every query) bounds how
stale such a figure may be. Only aggregate figures go through here: to-do lists and anything a user
acts on are read live, and the module's own pages show the live figures.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

T = TypeVar("T")


def cached_figures(key: str, compute: Callable[[], T]) -> T:
    """``compute()``, remembered under ``key`` for ``INSIGHTS_CACHE_SECONDS``."""
    seconds = getattr(settings, "INSIGHTS_CACHE_SECONDS", 60)
    if not seconds:
        return compute()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, seconds)
    return value  # type: ignore[no-any-return]
