"""docs/reliability.md D1: a listing owner's contact details reach another organization only after the owner
accepts its interest. Accepting opens a deal at 意向."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kechuang.accounts.choices import Role
from kechuang.notifications.models import Notification
from kechuang.testing.factories import user_with_role
from kechuang.transfer import services
from kechuang.transfer.models import Deal, Interest

pytestmark = pytest.mark.django_db

PHONE = "13800001111"  # the achievement's contact phone (factories.ACHIEVEMENT_DEFAULTS)


def _detail(client, achievement):
    return client.get(reverse("transfer:achievement-detail", args=[achievement.code])).content.decode()


def _api_contact(client, achievement):
    return client.get(f"/api/v1/achievements/{achievement.code}/").json()["contact"]


def test_contact_hidden_until_the_owner_accepts(
    client, enterprise_user, enterprise_org, institute_user, achievement
):
    client.force_login(enterprise_user)
    assert PHONE not in _detail(client, achievement)
    assert _api_contact(client, achievement) is None
    assert all(
        "contact" not in a or a["contact"] is None
        for a in client.get("/api/v1/achievements/").json()["results"]
    )

    response = client.post(
        reverse("transfer:achievement-interest", args=[achievement.code]),
        {"message": "希望了解许可方式与小批量验证。", "contact_name": "赵总", "contact_phone": "13911112222"},
    )
    assert response.status_code == 302
    interest = Interest.objects.get(achievement=achievement, organization=enterprise_org)
    assert interest.status == "pending"
    assert PHONE not in _detail(client, achievement)  # still pending
    assert Notification.objects.filter(recipient=institute_user, kind="transfer.interest").exists()

    services.interest_accept(actor=institute_user, interest=interest)
    assert PHONE in _detail(client, achievement)
    assert _api_contact(client, achievement)["contact_phone"] == PHONE
    assert Notification.objects.filter(recipient=enterprise_user, kind="transfer.interest_answer").exists()


def test_declined_interest_keeps_contact_hidden(
    client, enterprise_user, enterprise_org, institute_user, achievement
):
    interest = services.interest_express(
        actor=enterprise_user,
        listing=achievement,
        organization=enterprise_org,
        message="希望进一步沟通合作方式。",
    )
    services.interest_decline(actor=institute_user, interest=interest, note="暂无合作计划")
    client.force_login(enterprise_user)
    assert PHONE not in _detail(client, achievement)
    assert _api_contact(client, achievement) is None


def test_acceptance_by_one_company_does_not_release_to_another(
    client, enterprise_user, enterprise_org, other_enterprise_user, institute_user, achievement
):
    interest = services.interest_express(
        actor=enterprise_user,
        listing=achievement,
        organization=enterprise_org,
        message="希望进一步沟通合作方式。",
    )
    services.interest_accept(actor=institute_user, interest=interest)
    client.force_login(other_enterprise_user)
    assert PHONE not in _detail(client, achievement)
    assert _api_contact(client, achievement) is None


def test_only_the_owner_can_accept(
    enterprise_user, enterprise_org, other_enterprise_user, operator, achievement
):
    interest = services.interest_express(
        actor=enterprise_user,
        listing=achievement,
        organization=enterprise_org,
        message="希望进一步沟通合作方式。",
    )
    for user in (enterprise_user, other_enterprise_user, operator):
        with pytest.raises(PermissionDenied):
            services.interest_accept(actor=user, interest=interest)
    interest.refresh_from_db()
    assert interest.status == "pending" and not Deal.objects.exists()


def test_accepting_opens_a_deal_at_intent(
    enterprise_user, enterprise_org, institute_user, institute_org, achievement
):
    interest = services.interest_express(
        actor=enterprise_user,
        listing=achievement,
        organization=enterprise_org,
        message="希望进一步沟通合作方式。",
    )
    services.interest_accept(actor=institute_user, interest=interest)
    deal = Deal.objects.get(interest=interest)
    assert deal.stage == "intent" and deal.code.startswith("DJ-")
    assert deal.supplier == institute_org and deal.buyer == enterprise_org
    assert deal.notes.filter(kind="system").exists()


def test_interest_rules(enterprise_user, enterprise_org, institute_user, institute_org, achievement, demand):
    with pytest.raises(ValidationError):  # own listing
        services.interest_express(
            actor=institute_user,
            listing=achievement,
            organization=institute_org,
            message="自己对自己的成果表达意向。",
        )
    services.interest_express(
        actor=enterprise_user, listing=achievement, organization=enterprise_org, message="第一次表达意向。"
    )
    with pytest.raises(ValidationError):  # twice while open
        services.interest_express(
            actor=enterprise_user,
            listing=achievement,
            organization=enterprise_org,
            message="第二次表达意向。",
        )
    with pytest.raises(ValidationError):  # too short
        services.interest_express(
            actor=institute_user, listing=demand, organization=institute_org, message="好"
        )
    # an institute answers an enterprise's demand
    answer = services.interest_express(
        actor=institute_user,
        listing=demand,
        organization=institute_org,
        message="我所在激光焊接方向有成熟工艺，可承担攻关。",
    )
    assert answer.demand == demand


def test_withdrawn_interest_can_be_expressed_again(enterprise_user, enterprise_org, achievement):
    first = services.interest_express(
        actor=enterprise_user, listing=achievement, organization=enterprise_org, message="第一次表达意向。"
    )
    services.interest_withdraw(actor=enterprise_user, interest=first)
    again = services.interest_express(
        actor=enterprise_user, listing=achievement, organization=enterprise_org, message="重新表达意向。"
    )
    assert again.pk != first.pk


def test_interest_on_draft_is_refused(enterprise_user, enterprise_org, institute_org, fields):
    from kechuang.transfer.factories import make_achievement

    draft = make_achievement(institute_org, status="draft", title="草稿成果不接受意向")
    with pytest.raises(ValidationError):
        services.interest_express(
            actor=enterprise_user, listing=draft, organization=enterprise_org, message="对草稿表达意向。"
        )


def test_inbox_shows_received_and_sent(client, enterprise_user, enterprise_org, institute_user, achievement):
    services.interest_express(
        actor=enterprise_user, listing=achievement, organization=enterprise_org, message="收件箱里的意向。"
    )
    client.force_login(institute_user)
    assert "收件箱里的意向" in client.get(reverse("transfer:interest-inbox")).content.decode()
    client.force_login(enterprise_user)
    assert "收件箱里的意向" in client.get(reverse("transfer:interest-inbox")).content.decode()


def test_inbox_shows_pending_interests_first_and_the_totals(client, institute_user, monkeypatch, fields):
    from kechuang.directory.models import Organization
    from kechuang.testing.factories import OrganizationFactory
    from kechuang.transfer import views
    from kechuang.transfer.factories import make_achievement

    monkeypatch.setattr(views, "INBOX_LIMIT", 2)
    owner = Organization.objects.get(pk=institute_user.memberships.first().organization_id)
    listing = make_achievement(owner)
    codes, names = [], []
    for i in range(3):
        org = OrganizationFactory(name=f"意向测试企业{i}有限公司")
        user = user_with_role(Role.ENTERPRISE, org, username=f"buyer{i}")
        codes.append(
            services.interest_express(
                actor=user, listing=listing, organization=org, message="希望进一步洽谈技术许可。"
            ).code
        )
        names.append(org.name)
    # the newest is declined: it waits for nothing, so it drops below the two older pending ones
    services.interest_decline(
        actor=institute_user, interest=Interest.objects.get(code=codes[2]), note="暂不考虑"
    )
    client.force_login(institute_user)
    page = client.get(reverse("transfer:interest-inbox")).content.decode()
    assert 'data-testid="received-total">3<' in page
    assert page.count('data-testid="received-interest"') == 2
    assert names[0] in page and names[1] in page and names[2] not in page
