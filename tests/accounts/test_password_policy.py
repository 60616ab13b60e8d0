"""docs/reliability.md A1: the password policy, through accounts.services and the password-change page."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kechuang.accounts import services
from kechuang.accounts.models import User
from kechuang.core.models import AuditEvent

pytestmark = pytest.mark.django_db

ACCEPTED = [
    "juyuansensorlab",  # 15 characters, one class: long enough
    "Kc7#pq2x",  # 8 characters, four classes
    "kc7#pq2x",  # 8 characters, three classes
    "光机所菊园科创园2026ab",  # Chinese counts as the symbol class
    "Lab-Sensor-Juyuan-88",
]
TOO_WEAK = [
    "Kc7#pq2",  # 7 characters
    "kcpq2x7b",  # 8 characters, two classes
    "KCPQ2X7B9Z1",  # 11 characters, two classes
    "abcdefghijk",  # 11 characters, one class
]
COMMON = [
    "password1234",  # in Django's list
    "qwertyuiop123",
    "Password@123",  # a common word dressed up
    "P@ssw0rd!2026",
    "Admin@2026!",
    "Woaini1314!!",
    "Juyuan@2026",
]


@pytest.fixture
def member(db):
    return User.objects.create_user(
        username="zhangwei", password="Old-Secret-Pass-1", display_name="张伟", phone="13812345678"
    )


def messages_of(error: ValidationError) -> str:
    return " ".join(error.messages)


@pytest.mark.parametrize("password", ACCEPTED)
def test_long_or_eight_with_three_classes_is_accepted(member, password):
    validate_password(password, member)


@pytest.mark.parametrize("password", TOO_WEAK)
def test_short_or_simple_passwords_are_refused_with_the_rule_in_chinese(member, password):
    with pytest.raises(ValidationError) as caught:
        validate_password(password, member)
    assert "至少 12 个字符" in messages_of(caught.value)


@pytest.mark.parametrize("password", COMMON)
def test_common_passwords_are_refused_in_chinese(member, password):
    with pytest.raises(ValidationError) as caught:
        validate_password(password, member)
    text = messages_of(caught.value)
    assert "常见" in text, text


@pytest.mark.parametrize("password", ["Zhangwei-2026!", "zhangwei@lab99", "iewgnahz-Lab-9", "13812345678ab!"])
def test_passwords_like_the_username_or_phone_are_refused(member, password):
    with pytest.raises(ValidationError) as caught:
        validate_password(password, member)
    text = messages_of(caught.value)
    assert "用户名" in text or "相似" in text or "手机" in text, text


def test_service_refuses_a_weak_new_password_and_keeps_the_old_one(member):
    with pytest.raises(ValidationError) as caught:
        services.password_change(actor=member, user=member, new_password="Password@123")
    assert "常见" in messages_of(caught.value)
    member.refresh_from_db()
    assert member.check_password("Old-Secret-Pass-1")
    assert not AuditEvent.objects.filter(action="user.password_change").exists()


def test_service_accepts_a_strong_password_and_audits_the_change(member):
    services.password_change(actor=member, user=member, new_password="Kc7#pq2x-lab")
    member.refresh_from_db()
    assert member.check_password("Kc7#pq2x-lab")
    event = AuditEvent.objects.get(action="user.password_change")
    assert event.actor_id == member.pk and event.object_id == str(member.pk)
    assert "Kc7#pq2x-lab" not in event.canonical()


def test_service_refuses_to_change_someone_elses_password_without_admin_role(member):
    other = User.objects.create_user(username="lisi", password="Another-Secret-9")
    with pytest.raises(PermissionDenied):
        services.password_change(actor=other, user=member, new_password="Kc7#pq2x-lab")


def test_user_create_refuses_a_weak_password_and_creates_nothing(operator):
    with pytest.raises(ValidationError):
        services.user_create(actor=operator, username="wangwu", password="12345678")
    assert not User.objects.filter(username="wangwu").exists()


def test_user_create_without_password_gives_an_unusable_one(operator):
    user = services.user_create(actor=operator, username="wangwu", password=None)
    assert not user.has_usable_password()


def test_password_change_page_refuses_a_common_password_in_chinese(client, member):
    client.force_login(member)
    response = client.post(
        reverse("accounts:password-change"),
        {
            "old_password": "Old-Secret-Pass-1",
            "new_password1": "Password@123",
            "new_password2": "Password@123",
        },
    )
    assert response.status_code == 200
    assert "常见" in response.content.decode()
    member.refresh_from_db()
    assert member.check_password("Old-Secret-Pass-1")


def test_password_change_page_refuses_a_short_password_in_chinese(client, member):
    client.force_login(member)
    response = client.post(
        reverse("accounts:password-change"),
        {
            "old_password": "Old-Secret-Pass-1",
            "new_password1": "Kc7#pq2",
            "new_password2": "Kc7#pq2",
        },
    )
    assert "至少 12 个字符" in response.content.decode()
    member.refresh_from_db()
    assert member.check_password("Old-Secret-Pass-1")


def test_password_change_page_accepts_a_strong_password_keeps_the_session_and_audits(client, member):
    client.force_login(member)
    response = client.post(
        reverse("accounts:password-change"),
        {
            "old_password": "Old-Secret-Pass-1",
            "new_password1": "Kc7#pq2x-lab",
            "new_password2": "Kc7#pq2x-lab",
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password("Kc7#pq2x-lab")
    assert client.get(reverse("accounts:profile")).status_code == 200
    assert AuditEvent.objects.filter(action="user.password_change", actor_id=member.pk).count() == 1


def test_password_change_page_needs_the_old_password(client, member):
    client.force_login(member)
    client.post(
        reverse("accounts:password-change"),
        {
            "old_password": "wrong",
            "new_password1": "Kc7#pq2x-lab",
            "new_password2": "Kc7#pq2x-lab",
        },
    )
    member.refresh_from_db()
    assert member.check_password("Old-Secret-Pass-1")


def test_password_change_page_needs_a_signed_in_user(client):
    response = client.get(reverse("accounts:password-change"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
