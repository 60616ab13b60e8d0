"""The API fuzzing of docs/reliability.md K1, one harness for every module: schemathesis generates calls
from the OpenAPI schema for a module's operations, sends them to the WSGI application as each role
class (anonymous, owner, staff), and checks every answer: never a 5xx, and the status code, content
type and body match the schema.

A module's test builds its data once, then calls :func:`fuzz_roles`; each role class runs inside a
savepoint rolled back at its end, so every role class meets the data as built (docs/adr/0017).

Role classes: ``make test`` (profile ``ci``) runs the first role of each class, ``make test-full``
(``nightly``) every role of each (tests/hypothesis_profiles.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest

from hypothesis_profiles import ON_POSTGRES, PROFILE

# The one role list of the API fuzzing: each class's users, as fixtures of tests/conftest.py; the first
# of each class is the one `make test` runs.
ROLE_CLASSES: dict[str, tuple[str | None, ...]] = {
    "anonymous": (None,),
    "owner": ("enterprise_user", "institute_user", "provider_user", "other_enterprise_user", "expert_user"),
    "staff": ("operator", "leader", "commissioner", "auditor"),
}


def roles() -> list[tuple[str, str | None]]:
    """(role class, user fixture) pairs this profile runs."""
    every = PROFILE == "nightly"
    return [(kind, user) for kind, users in ROLE_CLASSES.items() for user in (users if every else users[:1])]


def checks() -> list[Any]:
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    return [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]


@contextmanager
def wsgi_calls() -> Iterator[None]:
    """Calling the WSGI handler directly sends request_started/finished, whose close_old_connections
    would close the test's connection (and its transaction) on PostgreSQL; Django's test client
    disconnects it the same way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


_SCHEMAS: dict[str, Any] = {}


def operations(path_regex: str) -> list[Any]:
    """The schema's operations whose path matches ``path_regex``. The schema is generated once per
    process and URL configuration."""
    import schemathesis
    from django.conf import settings
    from rest_framework.test import APIClient

    urlconf = str(settings.ROOT_URLCONF)
    if urlconf not in _SCHEMAS:
        response = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/json")
        assert response.status_code == 200, response.status_code
        _SCHEMAS[urlconf] = response.json()
    schema = schemathesis.openapi.from_dict(_SCHEMAS[urlconf])
    return [result.ok() for result in schema.include(path_regex=path_regex).get_all_operations()]


def _headers(request: pytest.FixtureRequest, user_fixture: str | None) -> dict[str, str]:
    from rest_framework.authtoken.models import Token

    if user_fixture is None:
        return {}
    user = request.getfixturevalue(user_fixture)
    return {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}


def _cases(operation: Any, *, count: int, real_codes: Sequence[str]) -> list[tuple[Any, str | None]]:
    """``count`` generated calls to one operation (with, for half of those that name a ``code``, one of
    ``real_codes``), drawn once and sent as every role class. The draws do not depend on the answers (a
    failure is recorded, never raised, so hypothesis never shrinks), so drawing them once per role class
    gave the same calls three times over; generating them is most of the fuzzing's cost."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    drawn: list[tuple[Any, str | None]] = []

    def keep(case: Any, real: str | None) -> None:
        drawn.append((case, real))

    def keep_case(case: Any) -> None:
        drawn.append((case, None))

    budget = settings(
        max_examples=count,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    if real_codes:
        reals = st.sampled_from([None] * len(real_codes) + list(real_codes))
        budget(given(case=operation.as_strategy(), real=reals)(keep))()
    else:
        budget(given(case=operation.as_strategy())(keep_case))()
    return drawn


def _exercise(
    operation: Any,
    cases: list[tuple[Any, str | None]],
    *,
    app: Any,
    headers: dict[str, str],
    statuses: set[int],
) -> str | None:
    """Send the drawn calls to one operation; the first failure, if any (one per operation is enough to
    report)."""
    checks_ = checks()
    for drawn, real in cases:
        case = drawn.derive()  # a copy: a role class never sees another's changes to the call
        if real and "code" in (case.path_parameters or {}):
            case.path_parameters["code"] = real
        try:
            response = case.call(app=app, headers=headers)
            statuses.add(response.status_code)
            case.validate_response(response, checks=checks_, headers=headers)
        except BaseException as error:
            if isinstance(error, KeyboardInterrupt):
                raise
            return f"{operation.method.upper()} {operation.path}: {str(error)[:800]}"
    return None


def fuzz_roles(
    request: pytest.FixtureRequest,
    path_regex: str,
    *,
    examples: int,
    real_codes: Sequence[str] = (),
    skip: Callable[[str, Any], bool] = lambda role_class, operation: False,
    postgres_share: float = 0.5,
) -> dict[str, set[int]]:
    """Fuzz the operations matching ``path_regex`` as each role of :func:`roles`, ``examples`` calls per
    operation (a quarter of them under ``dev``), and fail listing every operation that broke a check.
    With ``real_codes``, half of the calls that name a ``code`` use one of them (objects in known
    states), so the 400/403/409 answers are exercised too, not only 404. ``skip(role_class,
    operation)`` leaves an operation out for a role class. ``postgres_share``: the share of the calls
    the PostgreSQL pass sends under ``ci`` (1.0 for a test that asserts on the mix of answers). Returns
    the status codes seen per role."""
    from django.core.cache import cache
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import transaction

    found = operations(path_regex)
    assert found, f"no operation matches {path_regex}"
    count = examples if PROFILE != "dev" else max(2, math.ceil(examples / 4))
    if PROFILE == "ci" and ON_POSTGRES:
        # The SQLite pass sends every call; the PostgreSQL pass is there for what only PostgreSQL refuses
        # (a NUL character in a text, an integer beyond its column, a lock), which the first calls of
        # each operation already meet: half of them (docs/adr/0017-test-suite-speed.md). Nightly: all.
        count = max(2, math.ceil(count * postgres_share))
    app = WSGIHandler()
    failures: list[str] = []
    seen: dict[str, set[int]] = {}
    drawn: dict[int, list[tuple[Any, str | None]]] = {}  # per operation, drawn on first use
    with wsgi_calls():
        for role_class, user_fixture in roles():
            label = f"{role_class} ({user_fixture or 'no token'})"
            headers = _headers(request, user_fixture)
            statuses = seen.setdefault(user_fixture or role_class, set())
            cache.clear()  # throttle counters: each role starts from zero, as in a test of its own
            with transaction.atomic():
                for operation in found:
                    if skip(role_class, operation):
                        continue
                    if id(operation) not in drawn:
                        drawn[id(operation)] = _cases(operation, count=count, real_codes=real_codes)
                    failure = _exercise(
                        operation, drawn[id(operation)], app=app, headers=headers, statuses=statuses
                    )
                    if failure:
                        failures.append(f"as {label}: {failure}")
                transaction.set_rollback(True)
    assert not failures, "\n\n".join(failures)
    return seen
