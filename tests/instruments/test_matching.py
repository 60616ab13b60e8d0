"""Instruments in the matching index (issue 16, Discovery): a demand that needs TEM characterisation is
recommended the institute's TEM with reasons, on its page and through the search; a retired instrument
leaves the index."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from kechuang.instruments import services
from kechuang.instruments.choices import ApprovalRule, InstrumentStatus, ServiceMode
from kechuang.instruments.models import InstrumentCategory
from kechuang.transfer import matching, selectors
from kechuang.transfer.factories import ensure_fields, make_demand

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_index(settings):
    settings.MATCH_EMBEDDER = "hashing"
    matching.reset()
    yield
    matching.reset()


def register(operator, owner, name, description, category_code, run):
    with run(execute=True):
        return services.instrument_register(
            actor=operator,
            owner=owner,
            name=name,
            category=InstrumentCategory.objects.get(code=category_code),
            model_number="JEM-2100F" if "透射" in name else "",
            maker="日本电子" if "透射" in name else "",
            description=description,
            service_mode=ServiceMode.BOTH,
            approval_rule=ApprovalRule.TRAINED,
        )


def test_a_demand_needing_tem_characterisation_is_recommended_the_tem(
    operator, owner_org, enterprise_org, enterprise_user, django_capture_on_commit_callbacks, client
):
    ensure_fields()
    tem = register(
        operator,
        owner_org,
        "场发射透射电子显微镜",
        "高分辨透射电镜（TEM）表征：材料微观结构、晶格像、选区电子衍射与能谱分析，适用于MEMS器件与薄膜截面。",
        "0101",
        django_capture_on_commit_callbacks,
    )
    laser = register(
        operator,
        owner_org,
        "高功率光纤激光器测试台",
        "光纤激光器输出功率、光束质量与长期稳定性测试。",
        "0403",
        django_capture_on_commit_callbacks,
    )
    demand = make_demand(
        enterprise_org,
        title="MEMS 器件薄膜截面需要透射电镜表征",
        summary="我司 MEMS 压力传感器薄膜出现分层，需要透射电镜表征薄膜截面的微观结构与元素分布。",
    )
    recommendations = selectors.demand_recommendations(actor=enterprise_user, demand=demand)
    found = [m.obj for m in recommendations.instruments]
    assert found and found[0] == tem and laser not in found
    assert recommendations.instruments[0].reasons  # with the engine's reasons
    page = client.get(reverse("transfer:demand-detail", args=[demand.code]))
    client.force_login(enterprise_user)
    page = client.get(reverse("transfer:demand-detail", args=[demand.code]))
    html = page.content.decode()
    assert 'data-testid="demand-instruments"' in html
    assert reverse("instruments:instrument-detail", args=[tem.code]) in html
    # the site search finds it, linked to its page
    hits = selectors.search(actor=AnonymousUser(), query="透射电镜 表征")
    assert any(m.kind == "instrument" and m.obj == tem for m in hits)
    search = client.get(reverse("transfer:search"), {"q": "透射电镜 表征"}).content.decode()
    assert reverse("instruments:instrument-detail", args=[tem.code]) in search


def test_a_retired_instrument_leaves_the_index(operator, owner_org, django_capture_on_commit_callbacks):
    ensure_fields()
    tem = register(
        operator,
        owner_org,
        "透射电子显微镜",
        "透射电镜表征微观结构。",
        "0101",
        django_capture_on_commit_callbacks,
    )
    assert f"instrument:{tem.pk}" in matching.get_engine()
    with django_capture_on_commit_callbacks(execute=True):
        services.instrument_set_status(actor=operator, instrument=tem, status=InstrumentStatus.RETIRED)
    assert f"instrument:{tem.pk}" not in matching.get_engine()
