"""Notifications outside the platform (docs/adr/0015-notification-channels.md): email through a real
SMTP server and work-chat messages to a real HTTP server on loopback, with the exact payloads they
receive; retries that succeed once the server is back while the in-platform copy stays; each
recipient's language; preferences; the daily digest once a day; no personal data in what goes out."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import time
from types import SimpleNamespace

import pytest
from channel_servers import FROM, SITE, RobotServer
from django.core.management import call_command
from django.utils import timezone, translation

from kechuang.accounts.choices import Role
from kechuang.notifications import delivery
from kechuang.notifications.choices import Channel, DeliveryStatus, Timing, WebhookFlavor, WebhookFormat
from kechuang.notifications.models import (
    Delivery,
    DigestEmail,
    Notification,
    NotificationSettings,
    WebhookTarget,
)
from kechuang.notifications.services import notification_send
from kechuang.notifications.text import lazy_text
from kechuang.testing.factories import user_with_role

pytestmark = pytest.mark.django_db

PLATFORM = "菊园新区技术转移平台"  # the Juyuan profile's platform name, used in Chinese
FOOTER = "这封邮件由平台自动发送，请勿直接回复。"


def text_of(mail) -> str:
    return mail.text.replace("\r\n", "\n")


def staff(username: str, *, email: str = "", language: str = "", role: str = Role.COMMISSIONER):
    user = user_with_role(role, None, username=username, email=email)
    if language:
        NotificationSettings.objects.create(user=user, language=language)
    return user


def send_now(django_capture_on_commit_callbacks, **kwargs):
    """Send as a service does, inside a transaction; the worker (immediate backend) runs at commit."""
    with django_capture_on_commit_callbacks(execute=True):
        return notification_send(**kwargs)


def connect(robot: RobotServer, *members, flavor=WebhookFlavor.WECOM, fmt=WebhookFormat.MARKDOWN, secret=""):
    target = WebhookTarget.objects.create(
        name="企业服务专员群", flavor=flavor, message_format=fmt, url=robot.url(), secret=secret
    )
    for member in members:
        NotificationSettings.objects.update_or_create(user=member, defaults={"webhook_target": target})
    return target


# --- email to a real SMTP server ----------------------------------------------------------------------


def test_urgent_notification_is_emailed_at_once_with_exact_content(
    channels_on, smtp, django_capture_on_commit_callbacks
):
    zhang = staff("zhang", email="zhang@district.example.cn")
    sent = send_now(
        django_capture_on_commit_callbacks,
        recipients=[zhang],
        kind="servicedesk.filed",
        title="新诉求 SQ-0001：厂房用电扩容",
        body="上海菊园智感科技有限公司提出了空间类诉求，请在 2026-03-17 10:00 前首次响应。",
        url="/service/requests/SQ-0001/",
    )
    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail.mail_from == FROM and mail.rcpt_tos == ["zhang@district.example.cn"]
    assert mail.sender == FROM and mail.to == "zhang@district.example.cn"
    assert mail.subject == f"【{PLATFORM}】新诉求 SQ-0001：厂房用电扩容"
    assert text_of(mail) == (
        "新诉求 SQ-0001：厂房用电扩容\n"
        "\n"
        "上海菊园智感科技有限公司提出了空间类诉求，请在 2026-03-17 10:00 前首次响应。\n"
        "\n"
        f"查看详情：{SITE}/service/requests/SQ-0001/\n"
        "\n"
        "-- \n"
        f"{PLATFORM} · 诉求紧急事件\n"
        f"{FOOTER}\n"
        f"修改通知方式：{SITE}/notifications/settings/\n"
    )
    row = Delivery.objects.get(notification=sent[0], channel=Channel.EMAIL)
    assert (row.status, row.timing, row.attempts, row.last_error) == (
        DeliveryStatus.SENT,
        Timing.IMMEDIATE,
        1,
        "",
    )
    assert row.sent_at is not None and row.next_attempt_at is None


def test_email_to_a_real_service_desk_request_reaches_the_commissioner(
    channels_on, smtp, django_capture_on_commit_callbacks, operator, enterprise_org, enterprise_user
):
    from kechuang.servicedesk import services as desk
    from kechuang.servicedesk.choices import AssignmentRole

    commissioner = staff("li", email="li@district.example.cn")
    desk.assignment_set(
        actor=operator, organization=enterprise_org, role=AssignmentRole.COMMISSIONER, user=commissioner
    )
    smtp.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        request = desk.request_file(
            actor=enterprise_user,
            organization=enterprise_org,
            category="space",
            title="申请扩租实验室",
            text="现有实验室面积不足，希望扩租 200 平方米。",
        )
    assert [m.rcpt_tos for m in smtp.messages] == [["li@district.example.cn"]]
    assert smtp.messages[0].subject == f"【{PLATFORM}】新诉求 {request.code}：申请扩租实验室"
    assert f"{SITE}/service/requests/{request.code}/" in text_of(smtp.messages[0])


# --- work-chat robots on a real HTTP server ---------------------------------------------------------


def test_wecom_markdown_message_is_exactly_the_robot_format(
    channels_on, robot, django_capture_on_commit_callbacks
):
    zhang = staff("zhang")
    target = connect(robot, zhang)
    send_now(
        django_capture_on_commit_callbacks,
        recipients=[zhang],
        kind="servicedesk.escalated",
        title="诉求 SQ-0002 首次响应超时，已升级",
        body="不应出现在群消息里的正文",
        url="/service/requests/SQ-0002/",
    )
    assert len(robot.requests) == 1
    received = robot.requests[0]
    assert received.path == "/cgi-bin/webhook/send" and received.query == {"key": "test-key-0001"}
    assert received.content_type == "application/json; charset=utf-8"
    assert received.payload == {
        "msgtype": "markdown",
        "markdown": {
            "content": (
                f"**【{PLATFORM}】诉求紧急事件**\n诉求 SQ-0002 首次响应超时，已升级\n"
                f"[查看详情]({SITE}/service/requests/SQ-0002/)"
            )
        },
    }
    assert "不应出现" not in received.body.decode()
    assert Delivery.objects.get(channel=Channel.WEBHOOK).target == target


def test_dingtalk_signed_markdown_message_carries_a_valid_signature(
    channels_on, robot, django_capture_on_commit_callbacks
):
    secret = "SEC0123456789abcdef"
    zhang = staff("zhang")
    connect(robot, zhang, flavor=WebhookFlavor.DINGTALK, secret=secret)
    before = round(time.time() * 1000)
    send_now(
        django_capture_on_commit_callbacks,
        recipients=[zhang],
        kind="servicedesk.due_soon",
        title="诉求 SQ-0003 即将首次响应超时",
        url="/service/requests/SQ-0003/",
    )
    received = robot.requests[0]
    assert received.payload == {
        "msgtype": "markdown",
        "markdown": {
            "title": f"【{PLATFORM}】诉求紧急事件",
            "text": (
                f"#### 【{PLATFORM}】诉求紧急事件\n\n诉求 SQ-0003 即将首次响应超时\n\n"
                f"[查看详情]({SITE}/service/requests/SQ-0003/)"
            ),
        },
    }
    timestamp = received.query["timestamp"]
    assert before <= int(timestamp) <= round(time.time() * 1000)
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert received.query["sign"] == expected and received.query["key"] == "test-key-0001"


@pytest.mark.parametrize("flavor", [WebhookFlavor.WECOM, WebhookFlavor.DINGTALK])
def test_text_messages_have_the_same_shape_for_both_robots(
    channels_on, robot, django_capture_on_commit_callbacks, flavor
):
    zhang = staff("zhang")
    connect(robot, zhang, flavor=flavor, fmt=WebhookFormat.TEXT)
    send_now(
        django_capture_on_commit_callbacks,
        recipients=[zhang],
        kind="servicedesk.filed",
        title="新诉求 SQ-0004：[点我](https://evil.example/)",
        url="/service/requests/SQ-0004/",
    )
    assert robot.requests[0].payload == {
        "msgtype": "text",
        "text": {
            "content": (
                f"【{PLATFORM}】诉求紧急事件\n新诉求 SQ-0004：[点我](https://evil.example/)\n"
                f"查看详情：{SITE}/service/requests/SQ-0004/"
            )
        },
    }


def test_markdown_from_user_text_cannot_make_links(channels_on, robot, django_capture_on_commit_callbacks):
    zhang = staff("zhang")
    connect(robot, zhang)
    send_now(
        django_capture_on_commit_callbacks,
        recipients=[zhang],
        kind="servicedesk.filed",
        title='新诉求：[点我](https://evil.example/) <font color="warning">急</font>',
    )
    content = robot.requests[0].payload["markdown"]["content"]
    assert "[点我]" not in content and "<font" not in content
    assert "［点我］(https://evil.example/) ＜font" in content


def test_a_group_hears_one_sending_once_however_many_members_it_reaches(
    channels_on, robot, django_capture_on_commit_callbacks
):
    people = [staff("zhang"), staff("wang"), staff("zhao")]
    connect(robot, *people)
    send_now(
        django_capture_on_commit_callbacks,
        recipients=people,
        kind="servicedesk.escalated",
        title="诉求 SQ-0005 办结超时，已升级",
        dedupe_key="sq:5:escalated",
    )
    assert len(robot.requests) == 1
    statuses = sorted(Delivery.objects.filter(channel=Channel.WEBHOOK).values_list("status", flat=True))
    assert statuses == [DeliveryStatus.SENT, DeliveryStatus.SKIPPED, DeliveryStatus.SKIPPED]
    assert Notification.objects.filter(dedupe_key="sq:5:escalated").count() == 3


def test_a_robot_that_answers_an_errcode_is_a_failure(channels_on, robot, django_capture_on_commit_callbacks):
    robot.mode = "errcode"
    zhang = staff("zhang")
    connect(robot, zhang)
    send_now(django_capture_on_commit_callbacks, recipients=[zhang], kind="servicedesk.filed", title="新诉求")
    row = Delivery.objects.get(channel=Channel.WEBHOOK)
    assert row.status == DeliveryStatus.RETRY
    assert row.last_error == "127.0.0.1 拒收了消息：errcode 310000 sign not match"


# --- failures, retries, and the in-platform copy ------------------------------------------------------


def test_smtp_down_is_retried_later_and_sent_when_the_server_is_back(
    channels_on, smtp, django_capture_on_commit_callbacks
):
    smtp.stop()
    zhang = staff("zhang", email="zhang@district.example.cn")
    started = timezone.now()
    notification = send_now(
        django_capture_on_commit_callbacks,
        recipients=[zhang],
        kind="servicedesk.filed",
        title="新诉求 SQ-0006",
    )[0]
    row = Delivery.objects.get(notification=notification)
    assert row.status == DeliveryStatus.RETRY and row.attempts == 1
    assert row.last_error.startswith("邮件服务器不可用：")
    assert (
        started + dt.timedelta(seconds=60) <= row.next_attempt_at <= timezone.now() + dt.timedelta(seconds=60)
    )
    assert Notification.objects.filter(pk=notification.pk, title="新诉求 SQ-0006").exists()

    call_command("notifications_deliver")  # not due yet: nothing happens
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.RETRY, 1)

    smtp.start()
    Delivery.objects.filter(pk=row.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )  # a minute on
    call_command("notifications_deliver")
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.SENT, 2, "")
    assert [m.subject for m in smtp.messages] == [f"【{PLATFORM}】新诉求 SQ-0006"]
    call_command("notifications_deliver")  # idempotent: nothing sent twice
    assert len(smtp.messages) == 1
    assert Notification.objects.filter(pk=notification.pk).exists()


def test_a_delivery_is_given_up_after_the_last_retry(channels_on, robot, django_capture_on_commit_callbacks):
    robot.mode = "500"
    zhang = staff("zhang")
    connect(robot, zhang)
    notification = send_now(
        django_capture_on_commit_callbacks, recipients=[zhang], kind="servicedesk.filed", title="新诉求"
    )[0]
    for _attempt in range(2):
        Delivery.objects.update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
        call_command("notifications_deliver")
    row = Delivery.objects.get()
    assert (row.status, row.attempts, row.next_attempt_at) == (DeliveryStatus.FAILED, 3, None)
    assert row.last_error == "127.0.0.1 返回 HTTP 500"
    assert len(robot.requests) == 3
    assert Notification.objects.filter(pk=notification.pk).exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_task_worker_retries_a_failing_robot_and_succeeds_when_it_is_back(channels_on, robot):
    """The real database task backend and ``db_worker``: the first attempt meets a 500, the worker's
    deferred retry a second later meets a working robot."""
    channels_on.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    channels_on.NOTIFICATIONS_RETRY_SECONDS = [1, 1]
    robot.mode = "500"
    zhang = staff("zhang")
    connect(robot, zhang)
    notification = notification_send(recipients=[zhang], kind="servicedesk.filed", title="新诉求 SQ-0007")[0]
    assert Delivery.objects.get().status == DeliveryStatus.PENDING  # queued, not yet sent

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    row = Delivery.objects.get()
    assert (row.status, row.attempts, len(robot.requests)) == (DeliveryStatus.RETRY, 1, 1)
    assert Notification.objects.filter(pk=notification.pk).exists()

    robot.mode = "ok"
    time.sleep(max(0.0, (row.next_attempt_at - timezone.now()).total_seconds()) + 0.2)
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    row.refresh_from_db()
    assert (row.status, row.attempts, len(robot.requests)) == (DeliveryStatus.SENT, 2, 2)
    assert robot.requests[1].payload["markdown"]["content"].splitlines()[1] == "新诉求 SQ-0007"


def test_planning_the_copies_never_undoes_the_notification_nor_raises(
    channels_on, monkeypatch, django_capture_on_commit_callbacks
):
    zhang = staff("zhang", email="zhang@district.example.cn")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Delivery.objects, "bulk_create", broken)
    sent = send_now(
        django_capture_on_commit_callbacks, recipients=[zhang], kind="servicedesk.filed", title="新诉求"
    )
    assert len(sent) == 1 and Notification.objects.filter(recipient=zhang).count() == 1
    assert not Delivery.objects.exists()


def test_a_queue_that_refuses_the_task_leaves_the_delivery_to_the_command(
    channels_on, smtp, monkeypatch, django_capture_on_commit_callbacks
):
    from kechuang.notifications import tasks

    def refuse(*args, **kwargs):
        raise ConnectionError("queue down")

    monkeypatch.setattr(tasks, "deliver_notifications", SimpleNamespace(enqueue=refuse))
    zhang = staff("zhang", email="zhang@district.example.cn")
    send_now(django_capture_on_commit_callbacks, recipients=[zhang], kind="servicedesk.filed", title="新诉求")
    assert Delivery.objects.get().status == DeliveryStatus.PENDING and smtp.messages == []
    call_command("notifications_deliver")
    assert Delivery.objects.get().status == DeliveryStatus.SENT and len(smtp.messages) == 1


def test_a_claimed_delivery_is_not_sent_twice(channels_on, smtp):
    zhang = staff("zhang", email="zhang@district.example.cn")
    notification = notification_send(recipients=[zhang], kind="servicedesk.filed", title="新诉求")[0]
    row = Delivery.objects.get(notification=notification)
    assert delivery.deliver(row.pk).status == DeliveryStatus.SENT
    assert delivery.deliver(row.pk) is None
    assert len(smtp.messages) == 1


# --- each recipient's language ----------------------------------------------------------------------


def test_english_reader_gets_english_while_the_sender_used_chinese(
    channels_on, smtp, django_capture_on_commit_callbacks, operator, enterprise_org, enterprise_user
):
    from kechuang.servicedesk import services as desk
    from kechuang.servicedesk.choices import AssignmentRole

    reader = staff("smith", email="smith@district.example.cn", language="en")
    desk.assignment_set(
        actor=operator, organization=enterprise_org, role=AssignmentRole.COMMISSIONER, user=reader
    )
    with translation.override("zh-hans"), django_capture_on_commit_callbacks(execute=True):
        request = desk.request_file(
            actor=enterprise_user,
            organization=enterprise_org,
            category="space",
            title="申请扩租实验室",
            text="面积不足",
        )
    stored = Notification.objects.get(recipient=reader, kind="servicedesk.filed")
    assert stored.title == f"New request {request.code}: 申请扩租实验室"
    mail = smtp.messages[-1]
    assert (
        mail.subject
        == f"【Kechuang Science & Innovation District Platform】New request {request.code}: 申请扩租实验室"
    )
    assert "新诉求" not in mail.subject and "新诉求" not in text_of(mail)


def test_chinese_reader_gets_chinese_while_the_sender_used_english(operator):
    from kechuang.transfer.models import Achievement
    from kechuang.transfer.notify import listing_submitted

    english_operator = staff("smith", role=Role.OPERATOR, language="en")
    with translation.override("en"):
        listing_submitted(Achievement(title="太赫兹成像芯片"))
    assert Notification.objects.get(recipient=operator).title == "待审核科技成果：太赫兹成像芯片"
    assert (
        Notification.objects.get(recipient=english_operator).title
        == "Pending review (Achievements): 太赫兹成像芯片"
    )


def test_lazy_text_renders_nested_lazy_parameters_in_the_reader_language():
    from django.utils.translation import gettext_lazy

    text = lazy_text(gettext_lazy("待审核%(what)s：%(title)s"), what=gettext_lazy("技术需求"), title="X")
    with translation.override("en"):
        assert str(text) == "Pending review (Technology demands): X"
    with translation.override("zh-hans"):
        assert str(text) == "待审核技术需求：X"


def test_switching_the_site_language_remembers_it_for_notifications(client, enterprise_user):
    client.force_login(enterprise_user)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert NotificationSettings.objects.get(user=enterprise_user).language == "en"
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert NotificationSettings.objects.get(user=enterprise_user).language == "zh-hans"


def test_anonymous_language_switch_still_works_and_stores_nothing(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302 and not NotificationSettings.objects.exists()


# --- preferences ------------------------------------------------------------------------------------


def test_defaults_urgent_immediately_the_rest_in_the_digest(
    channels_on, smtp, django_capture_on_commit_callbacks
):
    zhang = staff("zhang", email="zhang@district.example.cn")
    send_now(django_capture_on_commit_callbacks, recipients=[zhang], kind="servicedesk.filed", title="紧急")
    send_now(django_capture_on_commit_callbacks, recipients=[zhang], kind="transfer.review", title="不紧急")
    assert [m.subject for m in smtp.messages] == [f"【{PLATFORM}】紧急"]
    waiting = Delivery.objects.get(notification__title="不紧急")
    assert (waiting.timing, waiting.status, waiting.next_attempt_at) == (
        Timing.DIGEST,
        DeliveryStatus.PENDING,
        None,
    )


def test_preferences_turn_channels_off_and_move_urgent_to_the_digest(
    channels_on, robot, smtp, django_capture_on_commit_callbacks
):
    from kechuang.notifications.services import notification_settings_set

    zhang = staff("zhang", email="zhang@district.example.cn")
    connect(robot, zhang)
    notification_settings_set(
        actor=zhang,
        language="zh-hans",
        channels={
            "servicedesk.urgent": {"email": "digest", "webhook": False},
            "transfer": {"email": "off", "webhook": True},
        },
    )
    send_now(django_capture_on_commit_callbacks, recipients=[zhang], kind="servicedesk.filed", title="紧急")
    send_now(django_capture_on_commit_callbacks, recipients=[zhang], kind="transfer.review", title="技术转移")
    assert smtp.messages == []
    assert list(Delivery.objects.order_by("pk").values_list("notification__title", "channel", "timing")) == [
        ("紧急", Channel.EMAIL, Timing.DIGEST),
        ("技术转移", Channel.WEBHOOK, Timing.IMMEDIATE),
    ]
    assert [r.payload["markdown"]["content"].splitlines()[1] for r in robot.requests] == ["技术转移"]


def test_a_user_without_an_email_address_gets_nothing_by_email(
    channels_on, smtp, django_capture_on_commit_callbacks
):
    nobody = staff("zhang")
    send_now(django_capture_on_commit_callbacks, recipients=[nobody], kind="servicedesk.filed", title="紧急")
    assert smtp.messages == [] and not Delivery.objects.exists()
    assert Notification.objects.filter(recipient=nobody).count() == 1


def test_without_smtp_configured_there_is_no_email_channel(settings, django_capture_on_commit_callbacks):
    settings.NOTIFICATIONS_EMAIL = False
    zhang = staff("zhang", email="zhang@district.example.cn")
    send_now(django_capture_on_commit_callbacks, recipients=[zhang], kind="servicedesk.filed", title="紧急")
    assert not Delivery.objects.exists()


# --- the daily digest -------------------------------------------------------------------------------


def test_the_digest_is_sent_once_a_day_however_often_it_runs(
    channels_on, smtp, django_capture_on_commit_callbacks
):
    zhang = staff("zhang", email="zhang@district.example.cn")
    for title, kind in [
        ("成果待审核", "transfer.review"),
        ("订单待接单", "vouchers.order.placed"),
        ("榜单已发布", "challenges.reviewed"),
    ]:
        send_now(django_capture_on_commit_callbacks, recipients=[zhang], kind=kind, title=title, url="/x/")
    assert smtp.messages == []

    call_command("notifications_digest")
    call_command("notifications_digest")
    assert len(smtp.messages) == 1
    today = timezone.localdate()
    mail = smtp.messages[0]
    assert mail.subject == f"【{PLATFORM}】每日通知汇总：3 条（{today:%Y-%m-%d}）"
    text = text_of(mail)
    assert text.startswith(f"{today:%Y-%m-%d} 的通知汇总，共 3 条：\n")
    for section, title in [
        ("【技术转移】", "成果待审核"),
        ("【揭榜挂帅】", "榜单已发布"),
        ("【创新券】", "订单待接单"),
    ]:
        assert section in text and f" {title}\n  {SITE}/x/\n" in text
    assert text.index("【技术转移】") < text.index("【揭榜挂帅】") < text.index("【创新券】")
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}

    send_now(
        django_capture_on_commit_callbacks, recipients=[zhang], kind="transfer.review", title="晚到的通知"
    )
    call_command("notifications_digest")
    assert len(smtp.messages) == 1  # still one today: the late one waits for tomorrow
    assert Delivery.objects.get(notification__title="晚到的通知").status == DeliveryStatus.PENDING

    tomorrow = timezone.now() + dt.timedelta(days=1)
    report = delivery.digest_run(now=tomorrow)
    assert (report.created, report.sent) == (1, 1)
    assert "晚到的通知" in text_of(smtp.messages[1]) and "成果待审核" not in text_of(smtp.messages[1])
    assert DigestEmail.objects.count() == 2


def test_what_was_read_in_the_platform_is_left_out_of_the_digest(
    channels_on, smtp, django_capture_on_commit_callbacks
):
    from kechuang.notifications.services import notification_mark_read

    zhang = staff("zhang", email="zhang@district.example.cn")
    read = send_now(
        django_capture_on_commit_callbacks, recipients=[zhang], kind="transfer.review", title="已读的"
    )
    send_now(django_capture_on_commit_callbacks, recipients=[zhang], kind="transfer.review", title="未读的")
    notification_mark_read(actor=zhang, notification=read[0])
    call_command("notifications_digest")
    assert "未读的" in text_of(smtp.messages[0]) and "已读的" not in text_of(smtp.messages[0])
    assert Delivery.objects.get(notification=read[0]).status == DeliveryStatus.SKIPPED


def test_a_failed_digest_is_retried_by_the_deliver_command(
    channels_on, smtp, django_capture_on_commit_callbacks
):
    zhang = staff("zhang", email="zhang@district.example.cn")
    send_now(
        django_capture_on_commit_callbacks, recipients=[zhang], kind="transfer.review", title="成果待审核"
    )
    smtp.stop()
    call_command("notifications_digest")
    digest = DigestEmail.objects.get()
    assert (digest.status, digest.attempts, digest.item_count) == (DeliveryStatus.RETRY, 1, 1)
    smtp.start()
    DigestEmail.objects.update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
    call_command("notifications_digest")  # made today already: does not send another
    call_command("notifications_deliver")
    digest.refresh_from_db()
    assert digest.status == DeliveryStatus.SENT and len(smtp.messages) == 1
    assert Delivery.objects.get().status == DeliveryStatus.SENT


# --- personal data ---------------------------------------------------------------------------------


def test_no_full_phone_number_or_id_number_leaves_the_platform(
    channels_on, smtp, robot, django_capture_on_commit_callbacks
):
    zhang = staff("zhang", email="zhang@district.example.cn")
    connect(robot, zhang)
    body = "联系人手机 13812345678，座机 021-59991234，身份证 11010119900307123X，邮箱 boss@corp.example.com"
    send_now(
        django_capture_on_commit_callbacks,
        recipients=[zhang],
        kind="servicedesk.filed",
        title="新诉求：请回电 139 8765 4321",
        body=body,
    )
    stored = Notification.objects.get(recipient=zhang)
    assert stored.body == body  # the recipient may read it in the platform
    outbound = (
        smtp.messages[0].raw
        + text_of(smtp.messages[0])
        + smtp.messages[0].subject
        + robot.requests[0].body.decode()
    )
    for secret in ("13812345678", "139 8765 4321", "98765", "59991234", "11010119900307123X", "boss@corp"):
        assert secret not in outbound, secret
    assert "138****5678" in text_of(smtp.messages[0]) and "110101********123X" in text_of(smtp.messages[0])
    # in markdown the mask's asterisks are full-width, so they cannot turn into bold
    assert "139＊＊＊＊4321" in robot.requests[0].payload["markdown"]["content"]


# --- concurrency on PostgreSQL -----------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_deliverers_at_once_send_each_message_once(channels_on, smtp):
    from kechuang.testing.concurrency import concurrently

    channels_on.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}  # no worker
    people = [staff(f"reader{i}", email=f"reader{i}@district.example.cn") for i in range(6)]
    notification_send(recipients=people, kind="servicedesk.filed", title="新诉求", dedupe_key="sq:9:filed")
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING).count() == 6
    reports = concurrently(4, lambda _i: delivery.deliver_due())
    assert all(not isinstance(r, Exception) for r in reports), reports
    assert sum(r.sent for r in reports) == 6
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == sorted(p.email for p in people)
