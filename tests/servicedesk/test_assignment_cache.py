"""A commissioner's assigned enterprises from the shared cache (permissions.assigned_organization_ids,
docs/adr/0029-page-speed.md): every page of a commissioner filters by them, so they are kept until the
next write; an assignment set or ended by the services, or saved by the admin, is seen at once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kechuang.accounts.models import User
from kechuang.servicedesk import services
from kechuang.servicedesk.choices import AssignmentRole
from kechuang.servicedesk.models import Assignment
from kechuang.servicedesk.permissions import assigned_organization_ids, request_visible_to

pytestmark = pytest.mark.django_db

COMMISSIONER = AssignmentRole.COMMISSIONER


def _assigned(user: User) -> set[int]:
    return assigned_organization_ids(User.objects.get(pk=user.pk))  # a new request's user object


def test_assignments_set_and_ended_by_the_services_are_seen_at_once(
    cached, operator, commissioner, enterprise_org, django_capture_on_commit_callbacks
):
    assert _assigned(commissioner) == set()
    with django_capture_on_commit_callbacks(execute=True):
        services.assignment_set(
            actor=operator, organization=enterprise_org, role=COMMISSIONER, user=commissioner
        )
    connection.run_on_commit.clear()  # committed: the next write registers its own callback
    assert _assigned(commissioner) == {enterprise_org.pk}
    fresh = User.objects.get(pk=commissioner.pk)
    with CaptureQueriesContext(connection) as captured:
        assert assigned_organization_ids(fresh) == {enterprise_org.pk}
    assert not captured.captured_queries  # from the shared cache

    with django_capture_on_commit_callbacks(execute=True):
        services.assignment_end(actor=operator, organization=enterprise_org, role=COMMISSIONER)
    assert _assigned(commissioner) == set()
    assert (
        not request_visible_to(User.objects.get(pk=commissioner.pk))
        .filter(organization=enterprise_org)
        .exists()
    )


def test_an_assignment_saved_or_deleted_outside_the_services_is_seen_at_once(
    cached, operator, commissioner, enterprise_org, django_capture_on_commit_callbacks
):
    assert _assigned(commissioner) == set()
    with django_capture_on_commit_callbacks(execute=True):
        row = Assignment.objects.create(  # as the admin
            organization=enterprise_org, role=COMMISSIONER, user=commissioner, started_at=timezone.now()
        )
    connection.run_on_commit.clear()
    assert _assigned(commissioner) == {enterprise_org.pk}
    with django_capture_on_commit_callbacks(execute=True):
        row.ended_at = timezone.now()
        row.save()
    connection.run_on_commit.clear()
    assert _assigned(commissioner) == set()
    with django_capture_on_commit_callbacks(execute=True):
        row.ended_at = None
        row.save()
    connection.run_on_commit.clear()
    assert _assigned(commissioner) == {enterprise_org.pk}
    with django_capture_on_commit_callbacks(execute=True):
        row.delete()
    assert _assigned(commissioner) == set()
