"""The demo data (docs/adr/0028): each institute gets a portfolio in its field with the patents behind its
achievements; the KPI 每万人高价值发明专利拥有量 equals a hand count over the demo data; a demand in an
enterprise's own words finds the patent behind an achievement with the matching claim; a second run
creates nothing."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.urls import reverse

from kechuang.directory.demo.generator import generate_directory
from kechuang.directory.profiles.apply import apply_profile, load_profile
from kechuang.insights.kpis import compute, get_kpi
from kechuang.ip import demo, selectors
from kechuang.ip.ipc import is_strategic
from kechuang.ip.models import IpAsset, IpTransaction
from kechuang.transfer import demo as transfer_demo
from kechuang.transfer import matching
from kechuang.transfer.factories import make_demand

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def district(db, settings):
    settings.MATCH_EMBEDDER = "hashing"
    matching.reset()
    apply_profile("juyuan", profile=load_profile("juyuan"))
    generate_directory(district="juyuan", scale="tiny", seed=7)
    transfer_demo.generate(scale="tiny", seed=7, rng=random.Random("7:transfer"))
    made = demo.generate(scale="small", seed=7, rng=random.Random("7:ip"))
    yield made
    matching.reset()


def hand_count(today: dt.date) -> int:
    """The definition applied by hand to every stored asset, from its raw facts."""
    count = 0
    for asset in IpAsset.objects.prefetch_related("family", "transactions"):
        if asset.kind != "invention" or asset.legal_status != "granted":
            continue
        pledges = [t.amount_fen for t in asset.transactions.all() if t.kind == "pledge"]
        if (
            is_strategic(asset.ipc_codes)
            or asset.family.exists()
            or today > asset.filed_on.replace(year=asset.filed_on.year + 10, day=min(asset.filed_on.day, 28))
            or max(pledges, default=0) >= 10_000_000 * 100
            or asset.national_award
        ):
            count += 1
    return count


def test_the_demo_portfolios_and_the_kpi_equal_a_hand_count(district):
    assert 350 <= district["知识产权"] <= 450
    assert district["海外同族"] > 0 and district["知识产权交易"] > 0 and district["开放许可"] > 0
    assert IpAsset.objects.filter(achievement__isnull=False).exists()
    assert IpAsset.objects.filter(legal_status="filed").exists()  # unpublished applications too
    assert IpTransaction.objects.filter(kind="pledge").exists()
    # each institute's portfolio is in its own field
    optics = IpAsset.objects.filter(holder__name__contains="光学精密机械")
    assert optics.exists() and optics.filter(fields__code__startswith="ENE").exists()
    today = dt.date.today()
    expected = hand_count(today)
    assert expected == selectors.high_value_count() > 0
    kpi = get_kpi("transfer.high_value_patents_per_10k")
    value = compute(kpi, today.year).actual
    assert value == (Decimal(expected) * 10000 / 5300).quantize(Decimal("0.01"))
    assert compute(get_kpi("transfer.high_value_patents"), today.year).actual == expected
    per_institute = {row.name: row.high_value for row in selectors.district_figures()["figures"].institutes}
    assert (
        sum(per_institute.values())
        == IpAsset.objects.filter(high_value=True, holder__kind="institute").count()
    )
    assert demo.generate(scale="small", seed=7, rng=random.Random("7:ip"))["知识产权"] == 0


def test_a_demand_in_an_enterprises_words_finds_the_patent_behind_an_achievement(
    district, enterprise_org, enterprise_user, client
):
    asset = (
        IpAsset.objects.filter(achievement__isnull=False, legal_status__in=["granted", "published"])
        .select_related("achievement")
        .order_by("pk")
        .first()
    )
    achievement = asset.achievement
    scene = achievement.scenarios.split("、")[0].rstrip("。")
    demand = make_demand(
        enterprise_org,
        title=f"{scene}遇到难题，求合作",
        summary=f"我们公司做{scene}，{achievement.problem_solved.removeprefix('解决').rstrip('。')}，"
        f"希望找到{achievement.title}方面的技术。",
    )
    found = selectors.demand_patents(actor=enterprise_user, demand=demand, k=8)
    assert found, "no patent found"
    hits = [m for m in found if m.asset.achievement_id == achievement.pk]
    assert hits, [m.asset.title for m in found]
    match = hits[0]
    assert match.claim.startswith(f"{match.claim_number}.") and match.claim in match.asset.claims
    client.force_login(enterprise_user)
    page = client.get(reverse("ip:demand-patents")).content.decode()
    assert match.asset.title in page and "相符的权利要求" in page
