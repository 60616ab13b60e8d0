"""Shared fixtures: one user per role, each acting for an organization of the right kind."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import factory.random
import pytest

# Test modules are imported by path (--import-mode=importlib), so two folders may hold files of the
# same name; each folder's helper modules (e.g. ledger_helpers) are importable by plain name.
# The helpers shared by every folder (fuzz, hypothesis_profiles) live in tests/ itself.
for _folder in [
    Path(__file__).parent,
    *sorted(p for p in Path(__file__).parent.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))),
]:
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))

import hypothesis_profiles  # noqa: E402
import template_db  # noqa: E402
from cpu_report import (  # noqa: E402, F401  (`pytest --cpu-report=N`: hooks collected from this conftest)
    pytest_addoption,
    pytest_runtest_logstart,
    pytest_runtest_makereport,
    pytest_terminal_summary,
)
from kechuang.accounts.choices import Role  # noqa: E402
from kechuang.directory.choices import OrganizationKind  # noqa: E402
from kechuang.testing.factories import InstituteFactory, OrganizationFactory, user_with_role  # noqa: E402

PASSWORD = "Kechuang-Test-2026"


hypothesis_profiles.register()

# Fixtures that give a test a database: pytest-django's, and the production site's (other processes
# on this pass's database).
DATABASE_FIXTURES = {
    "_django_db_helper",
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
    "production_home",
}
# Fixtures too heavy to build on every pytest-xdist worker (the production site: demo data and
# collectstatic, 90-140 s; the scheduler processes' migrated SQLite file, 25-50 s): their tests share one
# worker (`--dist loadgroup`), and being grouped they also run one after the other, so a module-scoped
# fixture is built once.
ONE_WORKER = {"production_home": "production-site", "migrated_sqlite": "scheduler-processes"}
# The scheduler-process tests share a migrated SQLite file only in the SQLite pass. On PostgreSQL they are
# transactional tests (a flush after each, which empties the data migrations' rows: the calendar years,
# the instrument classification), so there they keep pytest-django's place for them, after the others,
# instead of being sent ahead as a group.
SQLITE_ONLY_GROUPS = {"scheduler-processes"}


def touches_a_database(item: pytest.Item) -> bool:
    names = set(getattr(item, "fixturenames", ()))
    return bool(
        names & DATABASE_FIXTURES
        or item.get_closest_marker("django_db")
        or item.get_closest_marker("postgres")
        or item.get_closest_marker("db_subprocess")
    )


def pytest_itemcollected(item: pytest.Item) -> None:
    """Tests of a heavy session fixture share one pytest-xdist worker (the fixture is built once). Marked
    as each test is collected: pytest-xdist reads the group in its own pytest_collection_modifyitems,
    which ran before ours and so never saw a group added there (the production site was built twice)."""
    names = set(getattr(item, "fixturenames", ()))
    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql"))
    for fixture, group in ONE_WORKER.items():
        if on_postgres and group in SQLITE_ONLY_GROUPS:
            continue
        if fixture in names:
            item.add_marker(pytest.mark.xdist_group(group))
            break


def pytest_collection_finish(session: pytest.Session) -> None:
    """Python's cyclic garbage collector, tuned for a test run: the objects of the collection (modules,
    schemas, strategies: some 230,000) are frozen out of every later collection, and the collections
    come less often. On tests/security, transfer and api it spent 19.1 s of CPU in 15,560 collections
    out of about 100 s; frozen and with these thresholds, 8.9 s in 2,472 (docs/adr/0017-test-suite-speed.md).
    Only when collections run changes; what is garbage is still collected."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> Iterator[None]:
    """PostgreSQL-only tests run in the PostgreSQL pass; the SQLite pass says so in its summary.
    Tests that touch no database are marked ``no_db`` (the PostgreSQL pass leaves them out: they ran in
    the SQLite pass), and so are those marked ``any_database`` (what they prove is the same on either).
    Tests of a heavy session fixture are grouped on one pytest-xdist worker and run first.

    A wrapper: the marks are added before every other plugin's hook (the deselection by mark among them),
    the heavy tests moved ahead after pytest-django's own ordering (``_heavy_first``)."""
    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql"))
    skip = pytest.mark.skip(reason="needs PostgreSQL: runs in the PostgreSQL pass of `make test`")
    # Production runs on PostgreSQL (docs/operations.md): the production site (demo data, collectstatic
    # with the production storage, gunicorn under the production settings) is built and tested there only.
    production = pytest.mark.skip(reason="the production site runs on PostgreSQL: in the PostgreSQL pass")
    for item in items:
        if not touches_a_database(item) or item.get_closest_marker("any_database"):
            item.add_marker(pytest.mark.no_db)
        if not on_postgres and "postgres" in item.keywords:
            item.add_marker(skip)
        elif not on_postgres and "production_home" in getattr(item, "fixturenames", ()):
            item.add_marker(production)
    # Longest first, so no worker is left with a long test at the end: the grouped tests, then the slow
    # ones, then the rest (a stable sort: the same order on every worker, as pytest-xdist requires).
    items.sort(
        key=lambda item: 0 if item.get_closest_marker("xdist_group") else 1 if "slow" in item.keywords else 2
    )
    yield
    _heavy_first(items)


def _in_no_django_test_database(item: pytest.Item) -> bool:
    """What pytest-django orders last: a test without its test database (no ``django_db`` mark, no ``db``,
    ``transactional_db`` or ``live_server`` fixture): it starts its own servers and databases."""
    names = set(getattr(item, "fixturenames", ()))
    return not item.get_closest_marker("django_db") and not names & {"db", "transactional_db", "live_server"}


def _heavy_first(items: list[pytest.Item]) -> None:
    """pytest-django orders the tests as Django does (the test database's tests, then its transactional
    ones, then the rest), which put the heaviest tests of the PostgreSQL pass, the production site, the
    documented install, the previous release and the crash test (servers and databases of their own), at
    its very end, where one worker ran them while the other had nothing left: the pass's last minutes
    on one core (docs/adr/0017-test-suite-speed.md). Those, grouped or slow, go first; they do not touch
    the test database, so the order the test database's tests need is kept. A stable sort: the same
    order on every worker, as pytest-xdist requires."""
    items.sort(
        key=lambda item: (
            0
            if _in_no_django_test_database(item)
            and (item.get_closest_marker("xdist_group") or "slow" in item.keywords)
            else 1
        )
    )


@pytest.fixture(scope="session")
def django_db_setup(
    request: pytest.FixtureRequest,
    django_test_environment: None,
    django_db_blocker: Any,
    django_db_use_migrations: bool,
    django_db_keepdb: bool,
    django_db_createdb: bool,
    django_db_modify_db_settings: None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[None]:
    """pytest-django's test databases, except that under pytest-xdist one worker migrates and the
    others copy its database (tests/template_db.py)."""
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.fixtures import _disable_migrations, _get_databases_for_setup

    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    verbosity = request.config.option.verbose
    shared = os.environ.get("PYTEST_XDIST_WORKER") and aliases == {"default"} and not serialized_aliases
    keepdb = django_db_keepdb and not django_db_createdb
    with django_db_blocker.unblock():
        if shared and django_db_use_migrations and not keepdb:
            config = template_db.setup(tmp_path_factory.getbasetemp().parent, verbosity)
        else:
            if not django_db_use_migrations:
                _disable_migrations()
            config = setup_databases(
                verbosity=verbosity,
                interactive=False,
                aliases=aliases,
                serialized_aliases=serialized_aliases,
                keepdb=keepdb,
            )
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            teardown_databases(config, verbosity=verbosity)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The controller of a pytest-xdist run drops the template database its workers shared."""
    if not hasattr(session.config, "workerinput") and hasattr(session.config, "_tmp_path_factory"):
        factory = session.config._tmp_path_factory
        if factory._basetemp is not None:
            from pytest_django.plugin import blocking_manager_key

            with session.config.stash[blocking_manager_key].unblock():
                template_db.drop(factory.getbasetemp())


@pytest.fixture(autouse=True)
def _same_fake_data_every_run(request: pytest.FixtureRequest) -> None:
    """Factories draw their random names and sentences from a seed fixed per test, so a test sees the
    same fixture text on every run and in either pass, whatever ran before it."""
    factory.random.reseed_random(f"kechuang:{request.node.nodeid}")


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def district_office(db):
    return OrganizationFactory(kind=OrganizationKind.GOVERNMENT, name="菊园新区科创办", uscc=None)


@pytest.fixture
def enterprise_org(db):
    return OrganizationFactory(name="上海菊园智感科技有限公司")


@pytest.fixture
def other_enterprise_org(db):
    return OrganizationFactory(name="上海嘉定光擎激光有限公司")


@pytest.fixture
def institute_org(db):
    return InstituteFactory(name="中国科学院某光学研究所")


@pytest.fixture
def provider_org(db):
    return OrganizationFactory(kind=OrganizationKind.PROVIDER, name="上海菊园知识产权服务有限公司")


@pytest.fixture
def operator(db, district_office):
    return user_with_role(Role.OPERATOR, district_office, username="op")


@pytest.fixture
def leader(db, district_office):
    return user_with_role(Role.LEADER, district_office, username="lead")


@pytest.fixture
def commissioner(db, district_office):
    return user_with_role(Role.COMMISSIONER, district_office, username="comm")


@pytest.fixture
def enterprise_user(db, enterprise_org):
    return user_with_role(Role.ENTERPRISE, enterprise_org, username="ent")


@pytest.fixture
def other_enterprise_user(db, other_enterprise_org):
    return user_with_role(Role.ENTERPRISE, other_enterprise_org, username="ent2")


@pytest.fixture
def institute_user(db, institute_org):
    return user_with_role(Role.INSTITUTE, institute_org, username="inst")


@pytest.fixture
def provider_user(db, provider_org):
    return user_with_role(Role.PROVIDER, provider_org, username="prov")


@pytest.fixture
def expert_user(db):
    return user_with_role(Role.EXPERT, None, username="expert")


@pytest.fixture
def sysadmin(db):
    return user_with_role(Role.SYSADMIN, None, username="sysadmin")


@pytest.fixture
def auditor(db):
    return user_with_role(Role.AUDITOR, None, username="auditor")


@pytest.fixture
def cached(settings):
    """The shared cache on (the test settings keep nothing: ``INSIGHTS_CACHE_SECONDS = 0``), empty before
    and after: for the tests of what is kept until the next write (docs/adr/0029-page-speed.md)."""
    from django.core.cache import cache

    settings.INSIGHTS_CACHE_SECONDS = 60
    cache.clear()
    yield
    cache.clear()
