"""The notification settings page (every signed-in user) and the operators' work-chat robot pages:
who may open them, what they say, what a save changes, and the Chinese errors for bad input."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kechuang.core.models import AuditEvent
from kechuang.notifications.models import NotificationSettings, WebhookTarget

pytestmark = pytest.mark.django_db

ROBOT_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"


def test_settings_page_lists_every_group_with_the_defaults(client, commissioner, settings):
    settings.NOTIFICATIONS_EMAIL = True
    commissioner.email = "comm@district.example.cn"
    commissioner.save(update_fields=["email"])
    client.force_login(commissioner)
    html = client.get(reverse("notifications:settings")).content.decode()
    assert "诉求紧急事件" in html and "技术转移" in html and "创新券" in html and "其他通知" in html
    assert "comm@district.example.cn" in html
    urgent = html[html.index('data-testid="channel-row-servicedesk.urgent"') :]
    urgent = urgent[: urgent.index("</tr>")]
    assert '<option value="immediate" selected>' in urgent
    transfer = html[html.index('data-testid="channel-row-transfer"') :]
    transfer = transfer[: transfer.index("</tr>")]
    assert '<option value="digest" selected>' in transfer
    assert "您还没有接入工作群" in html


def test_settings_page_says_a_user_without_email_gets_no_email(client, enterprise_user, settings):
    settings.NOTIFICATIONS_EMAIL = True
    client.force_login(enterprise_user)
    html = client.get(reverse("notifications:settings")).content.decode()
    assert 'data-testid="no-email"' in html and "不会收到任何邮件通知" in html
    assert 'name="email_transfer"' not in html  # no email choices where nothing goes by email
    assert 'data-testid="channel-row-transfer"' in html
    assert "channel-row-servicedesk.urgent" not in html  # staff-only events are not offered to enterprises


def test_settings_page_says_when_email_is_not_configured(client, enterprise_user, settings):
    settings.NOTIFICATIONS_EMAIL = False
    client.force_login(enterprise_user)
    html = client.get(reverse("notifications:settings")).content.decode()
    assert "本平台尚未配置邮件发送服务" in html


def test_saving_settings_stores_language_and_channels_and_audits(client, commissioner, settings):
    settings.NOTIFICATIONS_EMAIL = True
    commissioner.email = "comm@district.example.cn"
    commissioner.save(update_fields=["email"])
    client.force_login(commissioner)
    data = {
        "language": "en",
        "email_servicedesk_urgent": "immediate",
        "email_servicedesk": "off",
        "email_transfer": "immediate",
        "email_challenges": "digest",
        "email_vouchers": "digest",
        "email_other": "off",
    }
    response = client.post(reverse("notifications:settings"), data)
    assert response.status_code == 302
    row = NotificationSettings.objects.get(user=commissioner)
    assert row.language == "en"
    assert row.channels["servicedesk"] == {"email": "off", "webhook": False}
    assert row.channels["transfer"] == {"email": "immediate", "webhook": False}
    assert AuditEvent.objects.filter(action="notification.settings_set", actor=commissioner).exists()


def test_bad_settings_input_is_refused_in_chinese_and_nothing_saved(client, commissioner, settings):
    settings.NOTIFICATIONS_EMAIL = True
    commissioner.email = "comm@district.example.cn"
    commissioner.save(update_fields=["email"])
    client.force_login(commissioner)
    response = client.post(
        reverse("notifications:settings"), {"language": "fr", "email_transfer": "hourly\x00"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "选择一个有效的选项" in html or "有效" in html
    assert not NotificationSettings.objects.filter(user=commissioner).exists()


def test_settings_page_needs_sign_in(client):
    response = client.get(reverse("notifications:settings"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- operators' robot pages --------------------------------------------------------------------------

PAGES = ["notifications:webhook-list", "notifications:webhook-create"]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("operator", 200),
        ("commissioner", 403),
        ("leader", 403),
        ("enterprise_user", 403),
        ("institute_user", 403),
        ("provider_user", 403),
        ("expert_user", 403),
        ("sysadmin", 403),
        ("auditor", 403),
    ],
)
def test_robot_pages_are_for_operators_only(client, request, who, status):
    client.force_login(request.getfixturevalue(who))
    for name in PAGES:
        assert client.get(reverse(name)).status_code == status, (who, name)


def test_anonymous_is_sent_to_login_from_robot_pages(client):
    for name in PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def _form(**overrides):
    data = {
        "name": "企业服务专员群",
        "flavor": "wecom",
        "message_format": "markdown",
        "url": f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={ROBOT_KEY}",
        "secret": "",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_operator_connects_a_robot_with_members(client, operator, commissioner, leader):
    client.force_login(operator)
    response = client.post(
        reverse("notifications:webhook-create"), {**_form(), "members": [commissioner.pk, leader.pk]}
    )
    assert response.status_code == 302
    target = WebhookTarget.objects.get()
    assert target.url.endswith(ROBOT_KEY) and target.created_by == operator
    assert set(
        NotificationSettings.objects.filter(webhook_target=target).values_list("user_id", flat=True)
    ) == {
        commissioner.pk,
        leader.pk,
    }
    event = AuditEvent.objects.get(action="notification.webhook_create")
    assert event.detail["host"] == "qyapi.weixin.qq.com" and ROBOT_KEY not in str(event.detail)
    html = client.get(reverse("notifications:webhook-list")).content.decode()
    assert "企业服务专员群" in html and ROBOT_KEY not in html and "key=693a…aa" in html


def test_a_host_outside_the_allow_list_is_refused(client, operator):
    client.force_login(operator)
    response = client.post(
        reverse("notifications:webhook-create"), _form(url="https://collector.example.com/hook?key=1")
    )
    assert response.status_code == 400
    assert "不允许向 collector.example.com 发送消息" in response.content.decode()
    assert not WebhookTarget.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"url": "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=1"}, "Webhook 地址应以 https:// 开头"),
        ({"url": "https://user:pw@qyapi.weixin.qq.com/x"}, "不能包含用户名或密码"),
        ({"url": ""}, "请填写Webhook 地址"),
        ({"secret": "SECabc"}, "企业微信群机器人没有加签密钥"),
        (
            {
                "flavor": "dingtalk",
                "url": "https://oapi.dingtalk.com/robot/send?access_token=1",
                "secret": "abc",
            },
            "以 SEC 开头",
        ),
        ({"name": ""}, "该字段是必填项"),
    ],
)
def test_bad_robot_input_gets_a_chinese_error(client, operator, overrides, message):
    client.force_login(operator)
    response = client.post(reverse("notifications:webhook-create"), _form(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not WebhookTarget.objects.exists()


def test_a_person_is_in_one_group_only(client, operator, commissioner):
    client.force_login(operator)
    client.post(reverse("notifications:webhook-create"), {**_form(), "members": [commissioner.pk]})
    response = client.post(
        reverse("notifications:webhook-create"), {**_form(name="领导班子群"), "members": [commissioner.pk]}
    )
    assert response.status_code == 400
    assert "已接入其他工作群" in response.content.decode()
    assert WebhookTarget.objects.count() == 1


def test_enterprise_users_cannot_be_members(client, operator, enterprise_user):
    client.force_login(operator)
    response = client.post(
        reverse("notifications:webhook-create"), {**_form(), "members": [enterprise_user.pk]}
    )
    assert response.status_code == 400 and not WebhookTarget.objects.exists()


def test_editing_keeps_the_saved_address_and_secret_when_left_empty(client, operator, commissioner):
    target = WebhookTarget.objects.create(
        name="专员群",
        flavor="dingtalk",
        message_format="markdown",
        url="https://oapi.dingtalk.com/robot/send?access_token=abcdef123456",
        secret="SECkeepme",
    )
    client.force_login(operator)
    page = client.get(reverse("notifications:webhook-update", args=[target.pk])).content.decode()
    assert "abcdef123456" not in page and "SECkeepme" not in page
    response = client.post(
        reverse("notifications:webhook-update", args=[target.pk]),
        _form(name="专员群（新）", flavor="dingtalk", url="", secret="", members=[commissioner.pk]),
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.name, target.url.endswith("abcdef123456"), target.secret) == (
        "专员群（新）",
        True,
        "SECkeepme",
    )
    assert NotificationSettings.objects.get(user=commissioner).webhook_target == target


def test_test_button_reports_delivery_and_failure(client, operator, settings):
    from channel_servers import RobotServer

    settings.NOTIFICATIONS_WEBHOOK_HOSTS = ["127.0.0.1"]
    robot = RobotServer()
    try:
        target = WebhookTarget.objects.create(
            name="专员群", flavor="wecom", message_format="text", url=robot.url()
        )
        client.force_login(operator)
        page = client.post(
            reverse("notifications:webhook-test", args=[target.pk]), follow=True
        ).content.decode()
        assert "测试消息已送达" in page
        assert (
            robot.requests[0].payload["text"]["content"].splitlines()[1]
            == "测试消息：工作群机器人“专员群”已接通"
        )
        robot.mode = "500"
        page = client.post(
            reverse("notifications:webhook-test", args=[target.pk]), follow=True
        ).content.decode()
        assert "测试消息未送达：127.0.0.1 返回 HTTP 500" in page
    finally:
        robot.close()
    assert AuditEvent.objects.filter(action="notification.webhook_test").count() == 2
