"""docs/reliability.md B1–B3 for the transfer platform: anonymous access, the role × action matrix, and
another organization asking for someone else's objects by code (IDOR)."""

import datetime

import pytest
from django.urls import reverse

from kechuang.accounts.choices import Role
from kechuang.directory.choices import OrganizationKind
from kechuang.testing.factories import InstituteFactory, OrganizationFactory, user_with_role
from kechuang.transfer import services
from kechuang.transfer.factories import make_achievement, make_demand
from kechuang.transfer.models import Deal, Demand, Interest
from kechuang.transfer.permissions import PERMISSION_TABLE

pytestmark = pytest.mark.django_db

KIND_FOR_ROLE = {
    Role.INSTITUTE: OrganizationKind.INSTITUTE,
    Role.ENTERPRISE: OrganizationKind.ENTERPRISE,
    Role.PROVIDER: OrganizationKind.PROVIDER,
}


def _user(role):
    kind = KIND_FOR_ROLE.get(role, OrganizationKind.GOVERNMENT)
    org = (
        InstituteFactory()
        if kind == OrganizationKind.INSTITUTE
        else OrganizationFactory(
            kind=kind,
            uscc=None
            if kind != OrganizationKind.ENTERPRISE
            else OrganizationFactory.uscc.function(900 + len(role)),
        )
    )
    return user_with_role(role, org, username=f"matrix-{role}")


def test_role_matrix_matches_the_approved_table(db):
    users = {role: _user(role) for role in Role.values}
    for permission, approved in PERMISSION_TABLE.items():
        granted = {role for role, user in users.items() if user.has_perm(permission)}
        assert granted == set(approved), permission


@pytest.fixture
def objects(enterprise_user, enterprise_org, institute_user, institute_org, operator, fields):
    achievement = make_achievement(institute_org)
    draft = make_demand(enterprise_org, title="草稿需求：焊点视觉检测", status="draft")
    published = make_demand(enterprise_org)
    interest = services.interest_express(
        actor=institute_user,
        listing=published,
        organization=institute_org,
        message="我所可以承担该需求的攻关。",
    )
    other_interest = services.interest_express(
        actor=enterprise_user, listing=achievement, organization=enterprise_org, message="希望了解许可方式。"
    )
    services.interest_accept(actor=institute_user, interest=other_interest)
    deal = Deal.objects.get(interest=other_interest)
    return {
        "achievement": achievement,
        "draft": draft,
        "published": published,
        "interest": interest,
        "deal": deal,
    }


PUBLIC_GETS = ["transfer:achievement-list", "transfer:demand-list", "transfer:search"]


def test_anonymous_only_reaches_the_public_pages(client, objects):
    for name in PUBLIC_GETS:
        assert client.get(reverse(name)).status_code == 200, name
    assert (
        client.get(reverse("transfer:achievement-detail", args=[objects["achievement"].code])).status_code
        == 200
    )
    assert client.get(reverse("transfer:demand-detail", args=[objects["published"].code])).status_code == 200
    assert client.get(reverse("transfer:demand-detail", args=[objects["draft"].code])).status_code == 404
    login_only = [
        "transfer:achievement-export",
        "transfer:demand-export",
        "transfer:achievement-create",
        "transfer:demand-create",
        "transfer:my-listings",
        "transfer:review-queue",
        "transfer:matching-board",
        "transfer:interest-inbox",
        "transfer:deal-board",
        "transfer:contract-list",
        "transfer:contract-create",
        "notifications:notification-list",
    ]
    for name in login_only:
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name
    deal_page = client.get(reverse("transfer:deal-detail", args=[objects["deal"].code]))
    assert deal_page.status_code == 302
    posts = [
        reverse("transfer:deal-advance", args=[objects["deal"].code]),
        reverse("transfer:interest-respond", args=[objects["interest"].code]),
        reverse("transfer:demand-transition", args=[objects["draft"].code]),
        reverse("transfer:achievement-interest", args=[objects["achievement"].code]),
    ]
    for url in posts:
        assert client.post(
            url, {"stage": "negotiation", "decision": "accept", "target": "submitted", "message": "匿名意向"}
        ).status_code in (302, 403, 404), url
    assert Interest.objects.count() == 2 and Deal.objects.get().stage == "intent"


def test_anonymous_api(client, objects):
    assert client.get("/api/v1/achievements/").status_code == 200
    assert client.get(f"/api/v1/achievements/{objects['achievement'].code}/").status_code == 200
    assert client.get("/api/v1/search/", {"q": "激光"}).status_code == 200
    for url in (
        "/api/v1/interests/",
        "/api/v1/deals/",
        "/api/v1/contracts/",
        f"/api/v1/demands/{objects['published'].code}/recommendations/",
    ):
        assert client.get(url).status_code in (401, 403), url
    response = client.post(
        "/api/v1/demands/",
        {"title": "匿名需求标题", "summary": "匿名用户不能发布需求。"},
        content_type="application/json",
    )
    assert response.status_code in (401, 403)
    assert Demand.objects.count() == 2


@pytest.mark.parametrize(
    "role, expected",
    [
        (
            Role.OPERATOR,
            {
                "achievement-create": 403,
                "demand-create": 403,
                "review-queue": 200,
                "matching-board": 200,
                "deal-board": 200,
                "contract-create": 200,
            },
        ),
        (
            Role.LEADER,
            {
                "achievement-create": 403,
                "demand-create": 403,
                "review-queue": 403,
                "matching-board": 403,
                "deal-board": 200,
                "contract-create": 403,
            },
        ),
        (
            Role.INSTITUTE,
            {
                "achievement-create": 200,
                "demand-create": 403,
                "review-queue": 403,
                "matching-board": 403,
                "deal-board": 200,
                "contract-create": 403,
            },
        ),
        (
            Role.ENTERPRISE,
            {
                "achievement-create": 200,
                "demand-create": 200,
                "review-queue": 403,
                "matching-board": 403,
                "deal-board": 200,
                "contract-create": 403,
            },
        ),
        (
            Role.PROVIDER,
            {
                "achievement-create": 403,
                "demand-create": 403,
                "review-queue": 403,
                "matching-board": 403,
                "deal-board": 403,
                "contract-create": 403,
            },
        ),
        (
            Role.EXPERT,
            {
                "achievement-create": 403,
                "demand-create": 403,
                "review-queue": 403,
                "matching-board": 403,
                "deal-board": 403,
                "contract-create": 403,
            },
        ),
        (
            Role.SYSADMIN,
            {
                "achievement-create": 403,
                "demand-create": 403,
                "review-queue": 403,
                "matching-board": 403,
                "deal-board": 403,
                "contract-create": 403,
            },
        ),
    ],
)
def test_pages_by_role(client, db, fields, role, expected):
    client.force_login(_user(role))
    for name, status in expected.items():
        assert client.get(reverse(f"transfer:{name}")).status_code == status, (role, name)


def test_other_enterprise_cannot_touch_a_draft(client, objects, other_enterprise_user):
    draft = objects["draft"]
    client.force_login(other_enterprise_user)
    assert client.get(reverse("transfer:demand-detail", args=[draft.code])).status_code == 404
    assert client.get(reverse("transfer:demand-update", args=[draft.code])).status_code == 404
    assert (
        client.post(reverse("transfer:demand-update", args=[draft.code]), {"title": "被别人改了"}).status_code
        == 404
    )
    assert (
        client.post(
            reverse("transfer:demand-transition", args=[draft.code]), {"target": "submitted"}
        ).status_code
        == 404
    )
    assert (
        client.patch(
            f"/api/v1/demands/{draft.code}/", {"title": "被别人改了"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/demands/{draft.code}/transition/",
            {"target": "submitted"},
            content_type="application/json",
        ).status_code
        == 404
    )
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.title == "草稿需求：焊点视觉检测"


def test_other_enterprise_cannot_answer_or_read_an_interest(client, objects, other_enterprise_user):
    interest = objects["interest"]
    client.force_login(other_enterprise_user)
    assert (
        client.post(
            reverse("transfer:interest-respond", args=[interest.code]), {"decision": "accept"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/interests/{interest.code}/accept/", {}, content_type="application/json"
        ).status_code
        == 404
    )
    assert client.get(f"/api/v1/interests/{interest.code}/").status_code == 404
    assert client.get("/api/v1/interests/").json()["count"] == 0
    interest.refresh_from_db()
    assert interest.status == "pending"


def test_requester_cannot_accept_its_own_interest(client, objects, institute_user):
    interest = objects["interest"]
    client.force_login(institute_user)
    assert (
        client.post(
            reverse("transfer:interest-respond", args=[interest.code]), {"decision": "accept"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/api/v1/interests/{interest.code}/accept/", {}, content_type="application/json"
        ).status_code
        == 403
    )
    interest.refresh_from_db()
    assert interest.status == "pending"


def test_other_enterprise_cannot_see_or_move_a_deal(client, objects, other_enterprise_user, enterprise_user):
    deal = objects["deal"]
    client.force_login(other_enterprise_user)
    assert client.get(reverse("transfer:deal-detail", args=[deal.code])).status_code == 404
    assert (
        client.post(reverse("transfer:deal-advance", args=[deal.code]), {"stage": "negotiation"}).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/deals/{deal.code}/advance/", {"stage": "negotiation"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/deals/{deal.code}/notes/", {"text": "别人的记录"}, content_type="application/json"
        ).status_code
        == 404
    )
    # a party sees it, may add notes, but may not move it
    client.force_login(enterprise_user)
    assert client.get(reverse("transfer:deal-detail", args=[deal.code])).status_code == 200
    assert (
        client.post(reverse("transfer:deal-advance", args=[deal.code]), {"stage": "negotiation"}).status_code
        == 403
    )
    assert (
        client.post(
            f"/api/v1/deals/{deal.code}/advance/", {"stage": "negotiation"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/api/v1/deals/{deal.code}/notes/", {"text": "企业的跟进记录"}, content_type="application/json"
        ).status_code
        == 201
    )
    deal.refresh_from_db()
    assert deal.stage == "intent" and not deal.notes.filter(text="别人的记录").exists()


def test_contracts_visible_only_to_parties_and_staff(
    client, objects, operator, other_enterprise_user, enterprise_user
):
    deal = objects["deal"]
    services.deal_advance(actor=operator, deal=deal, stage="negotiation")
    services.deal_advance(actor=operator, deal=deal, stage="signed")
    contract = services.contract_register(
        actor=operator,
        deal=deal,
        contract_type="license",
        title="许可合同",
        seller=deal.supplier,
        buyer=deal.buyer,
        signed_on=datetime.date(2026, 3, 1),
        contract_amount_fen=100_00,
        technology_amount_fen=100_00,
    )
    client.force_login(other_enterprise_user)
    assert client.get("/api/v1/contracts/").json()["count"] == 0
    assert client.get(f"/api/v1/contracts/{contract.code}/").status_code == 404
    assert contract.registration_number not in client.get(reverse("transfer:contract-list")).content.decode()
    client.force_login(enterprise_user)
    assert client.get(f"/api/v1/contracts/{contract.code}/").status_code == 200


def test_only_operators_review(client, objects, enterprise_user, enterprise_org):
    submitted = make_demand(enterprise_org, title="待审核的需求标题", status="submitted")
    client.force_login(enterprise_user)
    assert (
        client.post(
            reverse("transfer:demand-review", args=[submitted.code]), {"decision": "approve"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/api/v1/demands/{submitted.code}/review/", {"approve": True}, content_type="application/json"
        ).status_code
        == 403
    )
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_attachment_download_is_access_checked(
    client, objects, enterprise_user, enterprise_org, other_enterprise_user, institute_user, pdf_bytes
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    draft = objects["draft"]
    attachment = services.attachment_add(
        actor=enterprise_user,
        listing=draft,
        file=SimpleUploadedFile("规格书.pdf", pdf_bytes, "application/pdf"),
    )
    url = reverse("transfer:attachment-download", args=[attachment.token])
    client.force_login(other_enterprise_user)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 404
    client.force_login(enterprise_user)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == pdf_bytes
    # a "parties only" attachment of a published demand: hidden until the owner accepts the interest
    published = objects["published"]
    secret = services.attachment_add(
        actor=enterprise_user,
        listing=published,
        access="parties",
        file=SimpleUploadedFile("图纸.pdf", pdf_bytes, "application/pdf"),
    )
    open_one = services.attachment_add(
        actor=enterprise_user,
        listing=published,
        file=SimpleUploadedFile("简介.pdf", pdf_bytes, "application/pdf"),
    )
    client.force_login(institute_user)
    assert client.get(reverse("transfer:attachment-download", args=[open_one.token])).status_code == 200
    assert client.get(reverse("transfer:attachment-download", args=[secret.token])).status_code == 404
    services.interest_accept(actor=enterprise_user, interest=objects["interest"])
    assert client.get(reverse("transfer:attachment-download", args=[secret.token])).status_code == 200
