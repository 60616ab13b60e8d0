"""Cached figures live in the shared cache and every write retires them for every process
(docs/reliability.md M3; docs/adr/0016-shared-state-and-backups.md). Run against both shared caches a
district may configure: the database's cache table (the embedded default) and a real Redis."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache, caches
from ops_helpers import cache_config, free_port

from kechuang.core import audit, figures
from kechuang.insights.kpis import all_kpis
from kechuang.insights.selectors import kpi_table
from kechuang.insights.services import kpi_target_set
from kechuang.settings.base import CACHE_TABLE

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["database", "redis"])
def shared_cache(request, settings):
    """``CACHE_URL`` as a district sets it: the default database table, or Redis."""
    if request.param == "database":
        url = f"dbcache://{CACHE_TABLE}"
    else:
        url = request.getfixturevalue("redis_cache_url")
    settings.CACHES = {"default": cache_config(url)}
    settings.INSIGHTS_CACHE_SECONDS = 60
    return request.param


def counting(value):
    calls = []

    def compute():
        calls.append(1)
        return value

    return compute, calls


def test_the_settings_read_cache_url(monkeypatch):
    assert cache_config("dbcache://kechuang_cache") == {
        "BACKEND": "kechuang.core.readahead.DatabaseCache",  # Django's, with the read-ahead
        "LOCATION": "kechuang_cache",
    }
    redis = cache_config("redis://127.0.0.1:6379/4?key_prefix=site1&socket_timeout=2")
    assert redis["BACKEND"] == "kechuang.core.readahead.RedisCache"  # Django's own (not django-redis)
    assert redis["LOCATION"] == "redis://127.0.0.1:6379/4"
    assert redis["KEY_PREFIX"] == "site1"
    assert redis["OPTIONS"] == {"socket_timeout": 2}


def test_the_cache_table_exists_in_the_test_database():
    caches["database"].set("probe", 1)
    assert caches["database"].get("probe") == 1


def test_a_figure_is_computed_once_then_read_from_the_shared_cache(shared_cache):
    compute, calls = counting({"open": 7})
    assert figures.cached_figures("test:figure", compute) == {"open": 7}
    assert figures.cached_figures("test:figure", compute) == {"open": 7}
    assert len(calls) == 1


def test_a_committed_write_retires_every_cached_figure(
    shared_cache, operator, django_capture_on_commit_callbacks
):
    compute, calls = counting(1)
    figures.cached_figures("test:figure", compute)
    token = figures.topic_token()
    with django_capture_on_commit_callbacks(execute=True):
        kpi_target_set(
            actor=operator,
            kpi_code=all_kpis()[0].code,
            year=2026,
            this_year_target=Decimal(5),
            overall_target=None,
        )
    assert figures.topic_token() != token
    figures.cached_figures("test:figure", compute)
    assert len(calls) == 2


def test_a_write_that_rolls_back_retires_nothing(shared_cache, operator, django_capture_on_commit_callbacks):
    token = figures.topic_token()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            from django.db import transaction

            with transaction.atomic():
                audit.record("test.change", actor=operator, object_type="test.thing", object_id="1")
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert callbacks == []
    assert figures.topic_token() == token


def test_a_download_or_a_login_retires_nothing(shared_cache, operator, django_capture_on_commit_callbacks):
    token = figures.topic_token()
    with django_capture_on_commit_callbacks(execute=True):
        audit.record("attachment.download", actor=operator, object_type="transfer.attachment", object_id="1")
        audit.record("auth.login", actor=operator)
    assert figures.topic_token() == token


def test_many_writes_in_one_transaction_share_one_callback(
    shared_cache, operator, django_capture_on_commit_callbacks
):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        for number in range(5):
            audit.record(
                "organization.update",
                actor=operator,
                object_type="directory.organization",
                object_id=str(number),
            )
        audit.record("ledger.post", actor=operator, object_type="ledger.journalentry", object_id="1")
    pending = [c for c in callbacks if isinstance(c, figures._Pending)]
    assert len(pending) == 1
    assert pending[0].topics == {"directory", "ledger"}


def test_the_kpi_table_is_shared_and_a_target_shows_at_once(
    shared_cache, operator, django_capture_on_commit_callbacks, django_assert_num_queries
):
    code = all_kpis()[0].code
    kpi_table(2026)
    with django_assert_num_queries(2 if shared_cache == "database" else 0):  # the token and the table
        kpi_table(2026)
    with django_capture_on_commit_callbacks(execute=True):
        kpi_target_set(
            actor=operator, kpi_code=code, year=2026, this_year_target=Decimal("321"), overall_target=None
        )
    row = next(r for r in kpi_table(2026) if r["code"] == code)
    assert Decimal(str(row["this_year_target"])) == Decimal("321")


def test_a_cache_that_cannot_be_reached_costs_the_computation_not_the_page(
    settings, operator, django_capture_on_commit_callbacks
):
    settings.CACHES = {
        "default": cache_config(f"redis://127.0.0.1:{free_port()}/0?socket_connect_timeout=0.5")
    }
    settings.INSIGHTS_CACHE_SECONDS = 60
    compute, calls = counting(3)
    assert figures.cached_figures("test:figure", compute) == 3
    assert figures.cached_figures("test:figure", compute) == 3
    assert len(calls) == 2
    with django_capture_on_commit_callbacks(execute=True):  # the write commits; the retirement is logged
        kpi_target_set(
            actor=operator,
            kpi_code=all_kpis()[0].code,
            year=2026,
            this_year_target=Decimal(1),
            overall_target=None,
        )
    from kechuang.insights.models import KpiTarget

    assert KpiTarget.objects.filter(year=2026, this_year_target=1).exists()


def test_tokens_survive_an_emptied_cache_as_new_tokens(shared_cache):
    before = figures.topic_token("directory")
    cache.delete("kechuang:token:directory")  # evicted, or the cache server restarted
    assert figures.topic_token("directory") not in ("", "None", before)


@pytest.fixture
def fresh_index(settings):
    from kechuang.transfer import matching

    settings.MATCH_EMBEDDER = "hashing"
    matching.reset()
    yield matching
    matching.reset()


def test_an_organization_renamed_on_another_server_is_searchable_at_once(
    shared_cache, fresh_index, operator, enterprise_org, django_capture_on_commit_callbacks
):
    from kechuang.directory.services import organization_update
    from kechuang.transfer.selectors import search

    fresh_index.get_engine()  # this process has loaded the organizations
    with django_capture_on_commit_callbacks(execute=True):
        organization_update(actor=operator, organization=enterprise_org, name="上海菊园量子陀螺仪有限公司")
    hits = search(actor=operator, query="量子陀螺仪", kinds=["organization"])
    assert enterprise_org.pk in [
        hit.obj.pk for hit in hits if hit.kind == "organization"
    ]  # without waiting for the minute's resync


def test_a_restore_makes_every_process_rebuild_its_index(shared_cache, fresh_index, enterprise_org):
    engine = fresh_index.get_engine()
    assert fresh_index.get_engine() is engine
    figures.data_changed("database")  # what kechuang restore does
    assert fresh_index.get_engine() is not engine
