"""Notification settings and the operators' work-chat robots in a real browser (ADR 0015).

A commissioner sets how each group of notifications reaches them; an enterprise user without an
email address is told they get nothing by email; an operator connects a 企业微信 robot (a local HTTP
server stands in for it), sees a wrong address refused in Chinese, and sends a test message.
Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from kechuang.notifications.models import NotificationSettings, WebhookTarget

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "notifications"))
from channel_servers import RobotServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def robot():
    server = RobotServer()
    yield server
    server.close()


def test_commissioner_sets_channels_per_group_and_language(page, shot, login, commissioner, settings):
    settings.NOTIFICATIONS_EMAIL = True
    commissioner.email = "comm@district.example.cn"
    commissioner.save(update_fields=["email"])
    login(page, "comm")
    page.locator("[data-testid=user-menu]").click()
    page.get_by_role("link", name="通知设置").click()
    expect(page.locator("h1")).to_have_text("通知设置")
    urgent = page.locator("[data-testid='channel-row-servicedesk.urgent']")
    expect(urgent).to_contain_text("诉求紧急事件")
    expect(urgent.locator("select")).to_have_value("immediate")
    expect(page.locator("[data-testid=channel-row-transfer] select")).to_have_value("digest")
    expect(page.locator("[data-testid=email-status]")).to_contain_text("comm@district.example.cn")
    expect(page.locator("[data-testid=webhook-status]")).to_contain_text("由运营人员配置")
    shot("defaults")

    page.select_option("select[name=language]", "en")
    page.select_option("[data-testid=channel-row-transfer] select", "off")
    page.select_option("[data-testid=channel-row-vouchers] select", "immediate")
    page.locator("[data-testid=notification-settings-save]").click()
    expect(page.locator(".alert-success")).to_contain_text("通知设置已保存")
    expect(page.locator("[data-testid=channel-row-transfer] select")).to_have_value("off")
    row = NotificationSettings.objects.get(user=commissioner)
    assert row.language == "en" and row.channels["vouchers"]["email"] == "immediate"
    shot("saved")


def test_enterprise_user_without_email_is_told_nothing_goes_by_email(
    page, shot, login, enterprise_user, settings
):
    settings.NOTIFICATIONS_EMAIL = True
    login(page, "ent", next_path="/notifications/settings/")
    page.goto("/notifications/settings/")
    expect(page.locator("[data-testid=no-email]")).to_contain_text("不会收到任何邮件通知")
    expect(page.locator("[data-testid=channel-row-transfer] select")).to_have_count(0)
    expect(page.locator("[data-testid='channel-row-servicedesk.urgent']")).to_have_count(0)
    shot("no-email")


def test_operator_connects_a_robot_and_sends_a_test_message(
    page, shot, login, operator, commissioner, leader, robot, settings, browser_problems
):
    browser_problems.allow(r"status of 400 .* @ .*/notifications/webhooks/new/")  # the refused address
    settings.NOTIFICATIONS_WEBHOOK_HOSTS = ["qyapi.weixin.qq.com", "oapi.dingtalk.com", "127.0.0.1"]
    login(page, "op")
    page.goto("/notifications/webhooks/")
    expect(page.locator("[data-testid=webhook-table]")).to_contain_text("还没有接入工作群机器人")
    page.locator("[data-testid=webhook-create]").click()
    page.fill("input[name=name]", "企业服务专员群")
    page.fill("input[name=url]", "https://hooks.example.com/send?key=1")
    page.locator("[data-testid=webhook-members]").get_by_label("comm", exact=False).check()
    page.locator("[data-testid=webhook-save]").click()
    expect(page.locator("[data-testid=webhook-form]")).to_contain_text("不允许向 hooks.example.com 发送消息")
    shot("refused")

    page.fill("input[name=url]", robot.url())
    page.locator("[data-testid=webhook-members]").get_by_label("lead", exact=False).check()
    page.locator("[data-testid=webhook-save]").click()
    expect(page.locator(".alert-success")).to_contain_text("已保存")
    target = WebhookTarget.objects.get()
    assert set(target.members.values_list("user__username", flat=True)) == {"comm", "lead"}
    page.locator(f"[data-testid=webhook-test-{target.pk}]").click()
    expect(page.locator(".alert-success")).to_contain_text("测试消息已送达")
    assert robot.requests[-1].payload["msgtype"] == "markdown"
    expect(page.locator("[data-testid=webhook-table]")).not_to_contain_text("test-key-0001")
    shot("list")
