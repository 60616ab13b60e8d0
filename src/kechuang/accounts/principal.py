"""The signed-in user, their roles and their organizations, read from the shared cache on every request
instead of three queries (docs/adr/0029-page-speed.md, "the signed-in page's fixed cost").

Every signed-in request needs the user (to check the session's password hash and that the account may
sign in), the user's roles (menu, permissions) and memberships (the organization the user acts for).
That is three queries before the page starts its own work. Here the three are kept together as one
*principal* entry per user in the shared cache (``CACHE_URL``), valid only under the current token of the
``accounts`` topic (``core.figures``):

- every write to a user, a user's groups, a membership, an organization or a group replaces the token at
  once *and* again after its transaction commits (:func:`retire_principals`, connected to the models'
  signals in ``accounts.apps``), so an entry written by a request that read the database before the
  commit is refused after it;
- the token and the entry are read in one round trip; an entry stored under another token, a cache
  that cannot be read, or ``PRINCIPAL_CACHE_SECONDS = 0`` mean the three queries as before.

So a deactivated account, a changed password (the session hash is checked against the entry's) or a
removed role take effect on the next request, on every app server. ``QuerySet.update()`` sends no
signal: code that updates these tables in bulk calls :func:`retire_principals` itself.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from kechuang.core import figures

logger = logging.getLogger(__name__)

TOPIC = "accounts"
_KEY = "kechuang:principal:"


def _seconds() -> int:
    return int(getattr(settings, "PRINCIPAL_CACHE_SECONDS", 300))


def _replace_token() -> None:
    try:
        figures.replace_topic_token(TOPIC)
    except Exception as error:  # the cache is down: it is not read either, so nothing stale is served
        logger.error("principal: could not retire the cached users (%s)", error)


def retire_principals(**_signal: Any) -> None:
    """Every cached principal is refused from now on, and again once the current transaction commits."""
    _replace_token()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_replace_token, robust=True)


def load_principal(user_model: Any, user_id: Any) -> Any:
    """The user ``user_id`` with roles and memberships attached, from the cache when its entry is
    current, else from the database (then remembered); None when there is no such user."""
    seconds = _seconds()
    if not seconds:
        return _from_database(user_model, user_id)
    token_key = figures.topic_key(TOPIC)
    data_key = figures.topic_key(figures.GENERATION)  # the page's cached figures need it next
    key = f"{_KEY}{user_id}"
    try:
        found = cache.get_many([token_key, key, data_key])
    except Exception as error:
        logger.warning("principal: the shared cache cannot be read (%s)", error)
        return _from_database(user_model, user_id)
    figures.remember_token(figures.GENERATION, found.get(data_key))
    token = found.get(token_key)
    entry = found.get(key)
    if token is not None and isinstance(entry, tuple) and len(entry) == 2 and entry[0] == token:
        return entry[1]
    if token is None:
        token = figures.topic_token(TOPIC)  # read before the database: a later write replaces it
    user = _from_database(user_model, user_id)
    if user is not None:
        try:
            cache.set(key, (token, user), seconds)
        except Exception as error:
            logger.warning("principal: the shared cache cannot be written (%s)", error)
    return user


def _from_database(user_model: Any, user_id: Any) -> Any:
    from .models import Membership

    try:
        user = user_model._default_manager.get(pk=user_id)
    except user_model.DoesNotExist:
        return None
    user.roles  # noqa: B018 (reads and keeps the roles on the object: User.roles)
    user._memberships_cache = list(
        Membership.objects.filter(user=user).select_related("organization").order_by("-is_default", "id")
    )
    return user
