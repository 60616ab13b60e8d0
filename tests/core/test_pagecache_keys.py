"""``{% pagecache %}`` keys of a page of rows (core/templatetags/pagecache.py): a queryset not read yet is
keyed by its primary keys from one narrow query, with the same text as the loaded rows."""

from __future__ import annotations

import pytest
from django.core.paginator import Paginator

from kechuang.core.templatetags.pagecache import vary_text
from kechuang.directory.models import Organization
from kechuang.testing import factories

pytestmark = pytest.mark.django_db


def test_unread_rows_are_keyed_by_their_primary_keys_as_the_loaded_rows_are(django_assert_num_queries):
    for _ in range(5):
        factories.OrganizationFactory()

    def rows():
        return (
            Organization.objects.select_related("created_by").prefetch_related("memberships").order_by("-pk")
        )

    loaded = Paginator(list(rows()), 2).page(2)
    unread = Paginator(rows(), 2).page(2)  # counted here
    with django_assert_num_queries(1):  # the primary keys alone: no rows, no related rows, no prefetch
        text = vary_text(unread)
    assert text == vary_text(loaded)
    assert unread.object_list._result_cache is None  # the rows are read only when the fragment is rendered
    assert [o.pk for o in unread] == [o.pk for o in loaded]


def test_a_changed_page_gets_another_key():
    first = factories.OrganizationFactory()
    rows = Organization.objects.order_by("pk")
    before = vary_text(Paginator(rows, 10).page(1))
    factories.OrganizationFactory()
    assert vary_text(Paginator(rows, 10).page(1)) != before
    assert f"directory.Organization:{first.pk}" in before


def test_a_distinct_page_is_keyed_by_the_same_primary_keys(django_assert_num_queries):
    for _ in range(4):
        organization = factories.OrganizationFactory()
        factories.PersonFactory(organization=organization)
        factories.PersonFactory(organization=organization)

    def rows():  # a join that repeats each organization, made distinct again, ordered by another column
        return Organization.objects.filter(people__isnull=False).distinct().order_by("name", "pk")

    loaded = Paginator(list(rows()), 3).page(1)
    unread = Paginator(rows(), 3).page(1)
    with django_assert_num_queries(1):
        text = vary_text(unread)
    assert text == vary_text(loaded) and text.count("directory.Organization:") == 3


def test_a_pages_count_and_keys_are_kept_until_the_next_write(
    cached, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """With the shared cache on, a second visit's total and row keys cost no query; a committed write
    (core.figures' data generation) and another query (another viewer's visibility) are not served them."""
    from django.db import connection

    from kechuang.core import audit
    from kechuang.core.web import KeptPaginator

    first = factories.OrganizationFactory()
    factories.OrganizationFactory()

    def page():
        return KeptPaginator(Organization.objects.order_by("pk"), 10).page(1)

    text = vary_text(page())
    with django_assert_num_queries(0):
        again = page()
        assert again.paginator.count == 2 and vary_text(again) == text
    mine = KeptPaginator(Organization.objects.filter(pk=first.pk).order_by("pk"), 10).page(1)
    assert mine.paginator.count == 1 and vary_text(mine) == f"page 1/1:[directory.Organization:{first.pk}]"

    with django_capture_on_commit_callbacks(execute=True):
        third = factories.OrganizationFactory()
        audit.record("organization.create", actor=None, obj=third)
    connection.run_on_commit.clear()
    after = page()
    assert after.paginator.count == 3 and f"directory.Organization:{third.pk}" in vary_text(after)


def test_a_query_that_can_match_nothing_is_counted_and_keyed_without_a_query(
    cached, django_assert_num_queries
):
    from kechuang.core.web import KeptPaginator

    factories.OrganizationFactory()
    with django_assert_num_queries(0):
        page = KeptPaginator(Organization.objects.filter(pk__in=[]).order_by("pk"), 10).page(1)
        assert page.paginator.count == 0 and vary_text(page) == "page 1/1:[]"


def test_a_query_with_a_moment_in_it_is_not_kept(cached, django_assert_num_queries):
    """``created_at <= now`` differs on every request: keeping it would only fill the cache."""
    from django.core.cache import cache
    from django.utils import timezone

    from kechuang.core.web import KeptPaginator

    factories.OrganizationFactory()
    cache.clear()
    rows = Organization.objects.filter(created_at__lte=timezone.now()).order_by("pk")
    page = KeptPaginator(rows, 10).page(1)
    assert page.paginator.count == 1 and vary_text(page).startswith("page 1/1:[directory.Organization:")
    assert not [key for key in cache._cache if ":count:" in key or ":pks:" in key]  # locmem's own table
