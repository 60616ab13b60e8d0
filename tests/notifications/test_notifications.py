"""In-platform notifications: only the recipient sees them, the bell counts unread ones, opening marks
read and follows only local links, dedupe keys make a notification happen once."""

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from kechuang.notifications.models import Notification
from kechuang.notifications.services import notification_send

pytestmark = pytest.mark.django_db


def test_dedupe_key_sends_once(enterprise_user, institute_user):
    first = notification_send(
        recipients=[enterprise_user, institute_user, enterprise_user],
        kind="t",
        title="强匹配",
        dedupe_key="match:1:2",
    )
    again = notification_send(recipients=[enterprise_user], kind="t", title="强匹配", dedupe_key="match:1:2")
    assert len(first) == 2 and again == []
    assert Notification.objects.filter(recipient=enterprise_user).count() == 1


def test_list_shows_only_own_notifications_and_opening_marks_read(client, enterprise_user, institute_user):
    mine = notification_send(
        recipients=[enterprise_user], kind="t", title="给企业的通知", url="/transfer/demands/"
    )[0]
    notification_send(recipients=[institute_user], kind="t", title="给院所的通知")
    client.force_login(enterprise_user)
    html = client.get(reverse("notifications:notification-list")).content.decode()
    assert "给企业的通知" in html and "给院所的通知" not in html
    response = client.post(reverse("notifications:notification-open", args=[mine.pk]))
    assert response.status_code == 302 and response["Location"] == "/transfer/demands/"
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_cannot_open_someone_elses_notification(client, enterprise_user, institute_user):
    theirs = notification_send(recipients=[institute_user], kind="t", title="给院所的通知")[0]
    client.force_login(enterprise_user)
    assert client.post(reverse("notifications:notification-open", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_external_links_are_not_followed(client, enterprise_user):
    evil = notification_send(
        recipients=[enterprise_user], kind="t", title="外链", url="https://evil.example/"
    )[0]
    client.force_login(enterprise_user)
    response = client.post(reverse("notifications:notification-open", args=[evil.pk]))
    assert response["Location"] == reverse("notifications:notification-list")


def test_read_all_and_the_bell(client, enterprise_user):
    notification_send(recipients=[enterprise_user], kind="t", title="一")
    notification_send(recipients=[enterprise_user], kind="t", title="二")
    request = RequestFactory().get("/")
    request.user = enterprise_user
    html = Template("{% load notifications %}{% unread_notifications %}").render(
        Context({"request": request})
    )
    assert 'data-testid="notification-count">2' in html
    client.force_login(enterprise_user)
    client.post(reverse("notifications:notification-read-all"))
    assert not Notification.objects.filter(recipient=enterprise_user, read_at__isnull=True).exists()
    html = Template("{% load notifications %}{% unread_notifications %}").render(
        Context({"request": request})
    )
    assert "notification-count" not in html and "notification-bell" in html


def test_bell_is_empty_for_anonymous():
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    assert (
        Template("{% load notifications %}{% unread_notifications %}")
        .render(Context({"request": request}))
        .strip()
        == ""
    )


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("notifications:notification-list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_sending_to_many_costs_three_queries_whatever_their_number(django_assert_num_queries):
    from kechuang.accounts.models import User
    from kechuang.testing.factories import user_with_role

    people = [user_with_role(None, username=f"reader{i}") for i in range(12)]
    with django_assert_num_queries(3):  # who already has the key; the recipients' settings; one insert
        sent = notification_send(recipients=people, kind="t", title="批量", dedupe_key="bulk:1")
    assert len(sent) == 12
    with django_assert_num_queries(1):
        assert notification_send(recipients=people, kind="t", title="批量", dedupe_key="bulk:1") == []
    assert Notification.objects.filter(dedupe_key="bulk:1").count() == 12
    readers = User.objects.filter(username__startswith="reader")
    with django_assert_num_queries(3):  # the recipients with their settings (one join); the key; one insert
        assert len(notification_send(recipients=readers, kind="t", title="批量", dedupe_key="bulk:2")) == 12
