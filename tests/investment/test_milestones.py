"""Key-project milestones after creation (issue 18 item 5): the edit page and the API endpoints, for the
project's responsible leader and operators only; anyone else is refused and nothing changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from rest_framework.test import APIClient

from kechuang.investment import services
from kechuang.investment.models import Milestone
from kechuang.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_leader(district_office):
    from kechuang.accounts.choices import Role
    from kechuang.testing.factories import user_with_role

    return user_with_role(Role.LEADER, district_office, username="lead2")


@pytest.fixture
def project(frozen, operator, leader, enterprise_org):
    return services.project_create(
        actor=operator, name="智感二期扩产", leader=leader, organization=enterprise_org
    )


@pytest.fixture
def milestone(project, leader):
    return services.milestone_add(
        actor=leader, project=project, title="设备进场", due_on=dt.date(2026, 3, 10)
    )


def state(milestone):
    return Milestone.objects.filter(pk=milestone.pk).values("title", "due_on", "done_on").get()


def test_the_leader_moves_a_milestone_and_an_overdue_one_is_reminded_again_when_it_runs_late_again(
    frozen, milestone, leader, project
):
    assert services.milestones_tick() == 1  # 03-10 has passed on 03-16
    moved = services.milestone_update(
        actor=leader, milestone=milestone, title="设备进场（二批）", due_on=dt.date(2026, 4, 10)
    )
    assert (moved.title, moved.due_on, moved.overdue_notified_at) == (
        "设备进场（二批）",
        dt.date(2026, 4, 10),
        None,
    )
    assert services.milestones_tick() == 0  # not late any more
    frozen.set(frozen.moment + dt.timedelta(days=30))
    assert services.milestones_tick() == 1
    assert Notification.objects.filter(kind="investment.milestone").count() == 2
    # a title change alone keeps the reminder already sent
    again = services.milestone_update(actor=leader, milestone=moved, title="设备进场", due_on=moved.due_on)
    assert again.overdue_notified_at is not None


def test_only_the_projects_leader_and_operators_may_edit_its_milestones(
    milestone, operator, commissioner, other_leader
):
    for outsider in (commissioner, other_leader):
        with pytest.raises(PermissionDenied):
            services.milestone_update(
                actor=outsider, milestone=milestone, title="x", due_on=dt.date(2026, 5, 1)
            )
    services.milestone_update(
        actor=operator, milestone=milestone, title="设备进场", due_on=dt.date(2026, 5, 1)
    )
    assert state(milestone)["due_on"] == dt.date(2026, 5, 1)


@pytest.mark.parametrize(
    ("who", "get_status", "post_status"),
    [
        ("leader", 200, 302),
        ("operator", 200, 302),
        ("other_leader", 403, 403),
        ("commissioner", 403, 403),
        ("enterprise_user", 403, 403),
        ("institute_user", 403, 403),
    ],
)
def test_the_milestone_edit_page_role_matrix(
    client, request, milestone, project, who, get_status, post_status
):
    client.force_login(request.getfixturevalue(who))
    url = reverse("investment:milestone-edit", args=[project.code, milestone.pk])
    before = state(milestone)
    assert client.get(url).status_code == get_status
    response = client.post(url, {"title": "取得施工许可", "due_on": "2026-06-30"})
    assert response.status_code == post_status
    if post_status == 302:
        assert state(milestone) == {"title": "取得施工许可", "due_on": dt.date(2026, 6, 30), "done_on": None}
    else:
        assert state(milestone) == before


def test_the_edit_page_shows_the_milestone_and_refuses_bad_input_in_chinese(
    client, leader, milestone, project
):
    client.force_login(leader)
    url = reverse("investment:milestone-edit", args=[project.code, milestone.pk])
    page = client.get(url).content.decode()
    assert "设备进场" in page and "2026-03-10" in page and 'data-testid="milestone-form"' in page
    response = client.post(url, {"title": "", "due_on": "2026-13-40"})
    assert response.status_code == 400 and state(milestone)["title"] == "设备进场"
    detail = client.get(reverse("investment:project-detail", args=[project.code])).content.decode()
    assert 'data-testid="milestone-edit"' in detail


def test_a_milestone_of_another_project_is_not_found(client, operator, leader, milestone, enterprise_org):
    other = services.project_create(actor=operator, name="光擎研发中心", leader=leader)
    client.force_login(operator)
    assert (
        client.get(reverse("investment:milestone-edit", args=[other.code, milestone.pk])).status_code == 404
    )
    api = APIClient()
    api.force_authenticate(operator)
    url = f"/api/v1/key-projects/{other.code}/milestones/{milestone.pk}/"
    assert api.patch(url, {"title": "x"}, format="json").status_code == 404


def test_the_milestone_api_lists_adds_corrects_and_completes(frozen, project, milestone, leader):
    api = APIClient()
    api.force_authenticate(leader)
    base = f"/api/v1/key-projects/{project.code}/milestones/"
    listed = api.get(base).json()
    assert listed == [{"id": milestone.pk, "title": "设备进场", "due_on": "2026-03-10", "done_on": None}]
    added = api.post(base, {"title": "中试线贯通", "due_on": "2026-09-30"}, format="json")
    assert added.status_code == 201 and added.json()["title"] == "中试线贯通"
    patched = api.patch(f"{base}{milestone.pk}/", {"due_on": "2026-04-30"}, format="json")
    assert patched.status_code == 200 and patched.json()["due_on"] == "2026-04-30"
    assert patched.json()["title"] == "设备进场"
    assert (
        api.post(f"{base}{milestone.pk}/done/", {"done_on": "2027-01-01"}, format="json").status_code == 400
    )
    done = api.post(f"{base}{milestone.pk}/done/", {}, format="json")
    assert done.status_code == 200 and done.json()["done_on"] == "2026-03-16"
    assert api.post(base, {"title": "", "due_on": "2026-09-30"}, format="json").status_code == 400


@pytest.mark.parametrize(
    ("who", "read", "write"),
    [
        ("leader", 200, True),
        ("operator", 200, True),
        ("other_leader", 200, False),
        ("commissioner", 200, False),
        ("enterprise_user", 404, False),
        (None, 401, False),
    ],
)
def test_the_milestone_api_role_matrix(request, project, milestone, who, read, write):
    api = APIClient()
    if who:
        api.force_authenticate(request.getfixturevalue(who))
    base = f"/api/v1/key-projects/{project.code}/milestones/"
    before = (state(milestone), Milestone.objects.count())
    assert api.get(base).status_code in ((read,) if read != 401 else (401, 403))
    calls = [
        api.post(base, {"title": "新节点", "due_on": "2026-09-30"}, format="json"),
        api.patch(f"{base}{milestone.pk}/", {"title": "改名"}, format="json"),
        api.post(f"{base}{milestone.pk}/done/", {}, format="json"),
    ]
    if write:
        assert [c.status_code for c in calls] == [201, 200, 200]
    else:
        assert all(c.status_code in (401, 403, 404) for c in calls), [c.status_code for c in calls]
        assert (state(milestone), Milestone.objects.count()) == before
