"""The bell's unread count kept per user in the shared cache (notifications.selectors.unread_count,
docs/adr/0029-page-speed.md): read once, and right after every send and every read."""

from __future__ import annotations

import pytest

from kechuang.notifications import services
from kechuang.notifications.models import Notification
from kechuang.notifications.selectors import unread_count

pytestmark = pytest.mark.django_db


def test_the_count_is_kept_and_follows_every_send_and_read(
    cached, enterprise_user, django_assert_num_queries
):
    assert unread_count(enterprise_user) == 0
    with django_assert_num_queries(0):
        assert unread_count(enterprise_user) == 0
    services.notification_send(recipients=[enterprise_user], kind="test", title="第一条")
    services.notification_send(recipients=[enterprise_user], kind="test", title="第二条")
    assert unread_count(enterprise_user) == 2
    services.notification_mark_read(actor=enterprise_user, notification=Notification.objects.first())
    assert unread_count(enterprise_user) == 1
    services.notification_mark_all_read(actor=enterprise_user)
    assert unread_count(enterprise_user) == 0


def test_one_users_count_is_their_own(cached, enterprise_user, institute_user):
    services.notification_send(recipients=[enterprise_user], kind="test", title="只给企业")
    assert unread_count(enterprise_user) == 1 and unread_count(institute_user) == 0
