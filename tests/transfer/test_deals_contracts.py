"""Deals (意向 → 洽谈 → 签约 → 登记 → 实施 → 验收) and technology contract registration."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from kechuang.core.models import AuditEvent
from kechuang.transfer import selectors, services
from kechuang.transfer.models import ContractRegistration, Deal

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal(enterprise_user, enterprise_org, institute_user, achievement):
    interest = services.interest_express(
        actor=enterprise_user,
        listing=achievement,
        organization=enterprise_org,
        message="希望进一步沟通合作方式。",
    )
    services.interest_accept(actor=institute_user, interest=interest)
    return Deal.objects.get(interest=interest)


def _register(operator, deal, **overrides):
    data = {
        "contract_type": "license",
        "title": "激光焊接工艺许可合同",
        "seller": deal.supplier,
        "buyer": deal.buyer,
        "signed_on": datetime.date(2026, 3, 1),
        "contract_amount_fen": 50_000_000,
        "technology_amount_fen": 45_000_000,
        "deal": deal,
    }
    data.update(overrides)
    return services.contract_register(actor=operator, **data)


def test_operator_moves_a_deal_one_step_at_a_time(operator, deal):
    deal = services.deal_advance(
        actor=operator, deal=deal, stage="negotiation", note="首次洽谈完成", next_step="提交合同草案"
    )
    assert deal.stage == "negotiation" and deal.next_step == "提交合同草案"
    with pytest.raises(ValidationError):
        services.deal_advance(actor=operator, deal=deal, stage="implementing")
    deal = services.deal_advance(actor=operator, deal=deal, stage="signed")
    assert list(deal.notes.filter(kind="stage").values_list("to_stage", flat=True)) == [
        "signed",
        "negotiation",
    ]
    assert AuditEvent.objects.filter(action="deal.advance", object_id=str(deal.pk)).count() == 2


def test_parties_cannot_move_a_deal(enterprise_user, institute_user, deal):
    for user in (enterprise_user, institute_user):
        with pytest.raises(PermissionDenied):
            services.deal_advance(actor=user, deal=deal, stage="negotiation")
    deal.refresh_from_db()
    assert deal.stage == "intent"


def test_registered_needs_a_contract_and_registration_moves_the_deal(operator, deal):
    deal = services.deal_advance(actor=operator, deal=deal, stage="negotiation")
    deal = services.deal_advance(actor=operator, deal=deal, stage="signed")
    with pytest.raises(ValidationError):
        services.deal_advance(actor=operator, deal=deal, stage="registered")
    contract = _register(operator, deal)
    deal.refresh_from_db()
    assert deal.stage == "registered"
    assert contract.registration_number.startswith("2026JS") and contract.code.startswith("HT-")
    assert AuditEvent.objects.filter(action="contract.register").exists()


def test_contract_before_signing_is_refused(operator, deal):
    with pytest.raises(ValidationError) as error:
        _register(operator, deal)
    assert "deal" in error.value.message_dict
    assert not ContractRegistration.objects.exists()


def test_registration_number_is_unique(operator, enterprise_org, institute_org):
    args = {
        "contract_type": "development",
        "title": "委托开发合同",
        "seller": institute_org,
        "buyer": enterprise_org,
        "signed_on": datetime.date(2026, 1, 5),
        "contract_amount_fen": 1_000_00,
        "technology_amount_fen": 1_000_00,
    }
    services.contract_register(actor=operator, registration_number="2026310114000123", **args)
    with pytest.raises(ValidationError) as error:
        services.contract_register(actor=operator, registration_number="2026310114000123", **args)
    assert "registration_number" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        ContractRegistration.objects.create(
            registration_number="2026310114000123",
            contract_type="service",
            title="绕过服务的重复登记",
            seller=institute_org,
            buyer=enterprise_org,
            signed_on=datetime.date(2026, 1, 5),
            contract_amount_fen=100,
            technology_amount_fen=100,
        )
    a = services.contract_register(actor=operator, **args)
    b = services.contract_register(actor=operator, **args)
    assert a.registration_number != b.registration_number


def test_contract_amounts_are_fen_and_checked(operator, enterprise_org, institute_org):
    args = {
        "contract_type": "transfer",
        "title": "技术转让合同",
        "seller": institute_org,
        "buyer": enterprise_org,
        "signed_on": datetime.date(2026, 1, 5),
    }
    with pytest.raises(ValidationError) as error:
        services.contract_register(actor=operator, contract_amount_fen=100, technology_amount_fen=200, **args)
    assert "technology_amount_fen" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.contract_register(actor=operator, contract_amount_fen=0, technology_amount_fen=0, **args)
    with pytest.raises(ValidationError):
        services.contract_register(actor=operator, contract_amount_fen=100.5, technology_amount_fen=1, **args)
    with pytest.raises(IntegrityError), transaction.atomic():
        ContractRegistration.objects.create(
            registration_number="X1",
            contract_type="service",
            title="超额",
            seller=institute_org,
            buyer=enterprise_org,
            signed_on=datetime.date(2026, 1, 5),
            contract_amount_fen=100,
            technology_amount_fen=101,
        )
    assert not ContractRegistration.objects.exists()


def test_only_operators_register_contracts(institute_user, enterprise_org, institute_org):
    with pytest.raises(PermissionDenied):
        services.contract_register(
            actor=institute_user,
            contract_type="transfer",
            title="技术转让合同",
            seller=institute_org,
            buyer=enterprise_org,
            signed_on=datetime.date(2026, 1, 5),
            contract_amount_fen=100,
            technology_amount_fen=100,
        )


def test_terminating_needs_a_reason(operator, deal):
    with pytest.raises(ValidationError):
        services.deal_advance(actor=operator, deal=deal, stage="terminated")
    deal = services.deal_advance(actor=operator, deal=deal, stage="terminated", note="企业暂停投资计划")
    assert deal.stage == "terminated"


def test_board_moves_with_htmx_and_shows_columns(client, operator, deal):
    client.force_login(operator)
    page = client.get(reverse("transfer:deal-board")).content.decode()
    assert 'data-testid="column-intent"' in page and deal.code in page
    response = client.post(
        reverse("transfer:deal-advance", args=[deal.code]),
        {"stage": "negotiation", "from": "board"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and 'data-testid="deal-board"' in response.content.decode()
    deal.refresh_from_db()
    assert deal.stage == "negotiation"


def test_contract_form_in_wan_yuan_registers_fen(client, operator, deal):
    services.deal_advance(actor=operator, deal=deal, stage="negotiation")
    services.deal_advance(actor=operator, deal=deal, stage="signed")
    client.force_login(operator)
    response = client.post(
        reverse("transfer:contract-create") + f"?deal={deal.code}",
        {
            "deal": deal.code,
            "contract_type": "license",
            "title": "激光焊接工艺许可合同",
            "seller": deal.supplier_id,
            "buyer": deal.buyer_id,
            "signed_on": "2026-03-01",
            "contract_amount_wan": "50",
            "technology_amount_wan": "45.5",
            "registration_number": "2026310114000999",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    contract = ContractRegistration.objects.get()
    assert contract.contract_amount_fen == 50_000_000 and contract.technology_amount_fen == 45_500_000
    deal.refresh_from_db()
    assert deal.stage == "registered"


def test_contract_form_shows_chinese_errors(client, operator, enterprise_org, institute_org):
    client.force_login(operator)
    response = client.post(
        reverse("transfer:contract-create"),
        {
            "contract_type": "license",
            "title": "合同",
            "seller": institute_org.pk,
            "buyer": institute_org.pk,
            "signed_on": "2100-01-01",  # in the accepted range (1900–2199), after today
            "contract_amount_wan": "10",
            "technology_amount_wan": "20",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    for message in ("技术交易额不能超过合同成交额", "买卖双方不能是同一机构", "签订日期不能晚于今天"):
        assert message in html


def test_board_columns_show_the_latest_cards_and_the_full_count(
    client, operator, institute_org, enterprise_org, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(selectors, "BOARD_COLUMN_CARDS", 2)
    codes = [
        services.deal_create(
            actor=operator, title=f"对接项目{i}", supplier=institute_org, buyer=enterprise_org
        ).code
        for i in range(3)
    ]
    client.force_login(operator)
    page = client.get(reverse("transfer:deal-board")).content.decode()
    intent = page.split('data-testid="column-intent"')[1].split('class="kc-col')[0]
    assert 'data-testid="column-total">3<' in intent
    assert intent.count('data-testid="deal-card"') == 2
    assert codes[2] in intent and codes[1] in intent and codes[0] not in intent  # the latest first
    assert "?column=intent" in intent
    expanded = client.get(reverse("transfer:deal-board") + "?column=intent").content.decode()
    intent = expanded.split('data-testid="column-intent"')[1].split('class="kc-col')[0]
    assert intent.count('data-testid="deal-card"') == 3 and 'data-testid="column-more"' not in intent
    with django_assert_max_num_queries(20):  # a count, then one query per column
        client.get(reverse("transfer:deal-board") + "?column=bogus")
