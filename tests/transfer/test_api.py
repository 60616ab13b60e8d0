"""The transfer API end to end, with token authentication (the acting organization is the default
membership) and the OpenAPI schema."""

import pytest
from rest_framework.authtoken.models import Token

from kechuang.transfer.models import ContractRegistration, Deal, Demand

pytestmark = pytest.mark.django_db


def _auth(user):
    return {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=user).key}"}


def test_demand_to_contract_through_the_api(
    client, enterprise_user, institute_user, operator, achievement, fields
):
    ent, inst, op = _auth(enterprise_user), _auth(institute_user), _auth(operator)
    response = client.post(
        "/api/v1/demands/",
        {
            "title": "电池托盘激光焊接气孔控制",
            "summary": "电池托盘铝合金激光焊接气孔率偏高，希望引进成熟工艺。",
            "fields": ["OPT.LASER", "AUTO"],
            "budget_min_fen": 30_000_000,
            "budget_max_fen": 80_000_000,
            "trl_required": 5,
            "cooperation_modes": ["license"],
            "contact_phone": "13900002222",
        },
        content_type="application/json",
        **ent,
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    code = body["code"]
    assert body["status"] == "draft" and body["contact"]["contact_phone"] == "13900002222"
    assert (
        client.patch(
            f"/api/v1/demands/{code}/",
            {"target_indicators": "气孔率低于 1%"},
            content_type="application/json",
            **ent,
        ).status_code
        == 200
    )
    assert (
        client.post(
            f"/api/v1/demands/{code}/transition/",
            {"target": "submitted"},
            content_type="application/json",
            **ent,
        ).json()["status"]
        == "submitted"
    )
    assert (
        client.post(
            f"/api/v1/demands/{code}/review/", {"approve": True}, content_type="application/json", **op
        ).json()["status"]
        == "published"
    )
    recs = client.get(f"/api/v1/demands/{code}/recommendations/", **ent).json()
    assert recs["primary"][0]["ref"] == achievement.code
    assert any(r["text"].startswith("领域匹配") for r in recs["primary"][0]["reasons"])

    interest = client.post(
        "/api/v1/interests/",
        {"achievement": achievement.code, "message": "希望了解许可方式与小批量验证。"},
        content_type="application/json",
        **ent,
    ).json()
    assert interest["status"] == "pending"
    assert client.get(f"/api/v1/achievements/{achievement.code}/", **ent).json()["contact"] is None
    accepted = client.post(
        f"/api/v1/interests/{interest['code']}/accept/",
        {"note": "欢迎来访"},
        content_type="application/json",
        **inst,
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert client.get(f"/api/v1/achievements/{achievement.code}/", **ent).json()["contact"]["contact_phone"]

    deal = Deal.objects.get()
    for stage in ("negotiation", "signed"):
        assert (
            client.post(
                f"/api/v1/deals/{deal.code}/advance/", {"stage": stage}, content_type="application/json", **op
            ).json()["stage"]
            == stage
        )
    contract = client.post(
        "/api/v1/contracts/",
        {
            "contract_type": "license",
            "title": "激光焊接工艺许可合同",
            "seller": deal.supplier_id,
            "buyer": deal.buyer_id,
            "signed_on": "2026-03-01",
            "contract_amount_fen": 50_000_000,
            "technology_amount_fen": 45_000_000,
            "deal": deal.code,
        },
        content_type="application/json",
        **op,
    )
    assert contract.status_code == 201, contract.json()
    assert client.get(f"/api/v1/deals/{deal.code}/", **ent).json()["stage"] == "registered"
    assert ContractRegistration.objects.get().technology_amount_fen == 45_000_000
    notes = client.get(f"/api/v1/deals/{deal.code}/notes/", **ent).json()
    assert [n["to_stage"] for n in notes if n["kind"] == "stage"][:1] == ["registered"]


def test_api_validation_messages_are_chinese_and_nothing_is_written(client, enterprise_user, fields):
    ent = _auth(enterprise_user)
    response = client.post(
        "/api/v1/demands/",
        {"title": "短", "summary": "太短", "budget_min_fen": 9, "budget_max_fen": 1, "trl_required": 11},
        content_type="application/json",
        **ent,
    )
    assert response.status_code == 400
    text = str(response.json())
    assert "title" in response.json() and "trl_required" in response.json()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text)
    response = client.post(
        "/api/v1/demands/",
        {
            "title": "预算颠倒的需求",
            "summary": "预算下限高于上限应被拒绝。",
            "budget_min_fen": 9,
            "budget_max_fen": 1,
        },
        content_type="application/json",
        **ent,
    )
    assert response.status_code == 400 and "预算上限不能低于预算下限" in str(response.json())
    assert not Demand.objects.exists()


def test_filters_are_shared_with_the_web_lists(client, achievement, institute_org, fields):
    from kechuang.transfer.factories import make_achievement

    make_achievement(
        institute_org,
        title="MEMS 压力传感器",
        fields=["IOT.SENSOR"],
        trl=4,
        transfer_modes=["transfer"],
        summary="硅基压阻 MEMS 压力传感器，测量精度 0.1%FS。",
    )
    codes = lambda params: [a["code"] for a in client.get("/api/v1/achievements/", params).json()["results"]]  # noqa: E731
    assert codes({"trl_min": 6}) == [achievement.code]
    assert codes({"transfer_mode": "license"}) == [achievement.code]
    assert codes({"field": "OPT"}) == [achievement.code]
    assert achievement.code not in codes({"q": "压力传感器"})
    assert client.get("/api/v1/achievements/", {"trl_min": 42}).status_code == 400


@pytest.mark.slow
@pytest.mark.any_database  # the schema is generated from the code, not from the database
def test_schema_is_valid_and_lists_the_new_routes(client):
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    for path in (
        "/api/v1/achievements/",
        "/api/v1/demands/{code}/recommendations/",
        "/api/v1/interests/{code}/accept/",
        "/api/v1/deals/{code}/advance/",
        "/api/v1/contracts/",
        "/api/v1/search/",
    ):
        assert path in schema["paths"], path
