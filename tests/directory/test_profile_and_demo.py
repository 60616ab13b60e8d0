"""The district profile, the demo data generator and the demo accounts."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Q

from kechuang.accounts.choices import Role
from kechuang.accounts.models import Membership, User
from kechuang.core import registry
from kechuang.core.models import AuditEvent
from kechuang.directory import demo
from kechuang.directory.choices import OrganizationKind
from kechuang.directory.demo.accounts import DemoModeRequired, ensure_demo_accounts
from kechuang.directory.demo.generator import build_context, generate_directory, plan_directory
from kechuang.directory.models import (
    Block,
    Building,
    Industry,
    Line,
    Organization,
    Park,
    Person,
    TechnologyField,
)
from kechuang.directory.profiles import available_profiles, load_profile
from kechuang.directory.profiles.apply import apply_profile
from kechuang.directory.uscc import is_valid

pytestmark = pytest.mark.django_db

DISTRICT = "juyuan"
MOBILE = re.compile(r"^1[3-9]\d{9}$")
DEMO_KINDS = [
    OrganizationKind.ENTERPRISE,
    OrganizationKind.PROVIDER,
    OrganizationKind.INCUBATOR,
    OrganizationKind.INVESTOR,
]
PASSWORD = "Juyuan-Demo-2026!"
PROFILE = load_profile(DISTRICT)  # parsed once for the module


@pytest.fixture
def district(db):
    apply_profile(DISTRICT, profile=PROFILE)


@pytest.fixture
def no_module_generators(monkeypatch):
    """Only the directory data (and what a test registers itself): other modules test their own generators."""
    monkeypatch.setattr(registry, "_demo_generators", {})


@pytest.fixture
def small_demo(district):
    generate_directory(district=DISTRICT, scale="small", seed=7, profile=PROFILE)


def _generated():
    """Organizations made by the demo generator (not the ones the profile names)."""
    named = [item["name"] for item in PROFILE["organizations"]]
    return Organization.objects.filter(kind__in=DEMO_KINDS).exclude(name__in=named)


def _table_counts() -> dict[str, int]:
    models = [TechnologyField, Industry, Block, Park, Line, Building, Organization, Person]
    return {m.__name__: m.objects.count() for m in models} | {
        "org_fields": Organization.fields.through.objects.count(),
        "park_fields": Park.fields.through.objects.count(),
        "person_fields": Person.fields.through.objects.count(),
    }


# --- profile -------------------------------------------------------------------------------------


def test_juyuan_profile_is_available_and_names_the_district():
    assert DISTRICT in available_profiles()
    district = PROFILE["district"]
    assert district["name"] == "菊园新区"
    assert district["figures"]["researchers"]["value"] == 5300
    assert len(district["heights"]) == 5


def test_profile_pairs_each_of_the_four_institutes_with_its_park(district):
    expected = {
        "中国科学院上海微系统与信息技术研究所": "物联网研发中心科创园",
        "上海微技术工业研究院": "嘉唐智地BTIT科创产业园",
        "中国科学院上海光学精密机械研究所": "上海光机所菊园科创园",
        "中国电子科技集团公司第三十二研究所": "拟态安全产业园",
    }
    institutes = Organization.objects.filter(kind=OrganizationKind.INSTITUTE)
    assert {i.name for i in institutes} == set(expected)
    for park in Park.objects.select_related("institute"):
        assert expected[park.institute.name] == park.name
        assert park.fields.exists()
    for institute in institutes:
        assert institute.park.name == expected[institute.name]
        assert institute.uscc is None  # no invented code for a real institute


def test_profile_has_three_blocks_four_lines_and_the_four_cluster_roots(district):
    assert list(Block.objects.values_list("name", flat=True)) == ["菊西", "菊中", "菊东"]
    assert all(len(b.shape) >= 3 for b in Block.objects.all())
    assert set(Line.objects.values_list("name", flat=True)) == {
        "平城路科创走廊",
        "成果转化示范带",
        "创新生态融合带",
        "协同创新首发带",
    }
    roots = TechnologyField.objects.filter(parent__isnull=True)
    assert set(roots.values_list("name", flat=True)) == {
        "未来数字智能",
        "未来能源光源",
        "未来材料科技",
        "未来生命医学",
    }
    assert TechnologyField.objects.filter(parent__in=roots).count() >= 16
    assert TechnologyField.objects.get(name="网络安全与拟态防御").keywords.count(" ") >= 5
    assert Industry.objects.get(code="39").parent.code == "C"
    assert Building.objects.filter(park__isnull=False).count() >= 8


def test_profile_enterprises_carry_valid_demo_codes(district):
    enterprises = Organization.objects.filter(kind=OrganizationKind.ENTERPRISE)
    assert {"中电科数字", "左岸芯慧", "同望信息技术", "广电计量"} <= set(
        enterprises.values_list("short_name", flat=True)
    )
    for enterprise in enterprises:
        assert is_valid(enterprise.uscc) and enterprise.uscc[8:10] == "KC"
    government = Organization.objects.get(kind=OrganizationKind.GOVERNMENT)
    assert "菊园新区" in government.name


def test_loading_the_profile_twice_changes_nothing(district):
    before = _table_counts()
    stamps = dict(Organization.objects.values_list("pk", "updated_at"))
    events = AuditEvent.objects.count()
    counts = apply_profile(DISTRICT, profile=PROFILE)
    assert counts["created"] == 0 and counts["updated"] == 0
    assert _table_counts() == before
    assert dict(Organization.objects.values_list("pk", "updated_at")) == stamps
    assert AuditEvent.objects.count() == events


def test_load_district_command_prints_counts_and_then_reports_no_change(db):
    out = StringIO()
    call_command("load_district", DISTRICT, stdout=out)
    assert "技术领域" in out.getvalue() and "新增" in out.getvalue()
    out = StringIO()
    call_command("load_district", DISTRICT, stdout=out)
    assert "未作改动" in out.getvalue()


def test_load_district_command_refuses_an_unknown_name_and_lists_the_available_ones(db):
    with pytest.raises(CommandError) as error:
        call_command("load_district", "atlantis", stdout=StringIO())
    assert "找不到街区配置" in str(error.value) and DISTRICT in str(error.value)
    assert not Block.objects.exists()


# --- demo data -----------------------------------------------------------------------------------


def test_demo_small_makes_the_planned_numbers(small_demo):
    assert Organization.objects.filter(kind=OrganizationKind.ENTERPRISE).count() == 200 + 4  # + profile firms
    assert Organization.objects.filter(kind=OrganizationKind.PROVIDER).count() == 20
    researchers = Person.objects.filter(is_researcher=True)
    assert researchers.count() == 530
    titled = researchers.filter(title__in=["intermediate", "associate_senior", "senior"]).count()
    assert titled == round(530 * 3066 / 5300)
    assert Person.objects.filter(is_academician=True).count() == 3
    assert Person.objects.filter(is_expert=True).exclude(expertise="").count() >= 20
    assert 550 <= Person.objects.count() <= 650


def test_demo_same_seed_plans_the_same_names_and_codes_and_another_seed_differs(district):
    ctx = build_context(DISTRICT, PROFILE)
    first = plan_directory(ctx, scale="small", seed=11)
    second = plan_directory(build_context(DISTRICT, load_profile(DISTRICT)), scale="small", seed=11)
    other = plan_directory(ctx, scale="small", seed=12)
    assert [(o.name, o.uscc) for o in first.organizations] == [(o.name, o.uscc) for o in second.organizations]
    assert [(p.name, p.phone) for p in first.people] == [(p.name, p.phone) for p in second.people]
    assert {o.name for o in first.organizations} != {o.name for o in other.organizations}


@pytest.mark.slow
def test_demo_writes_what_it_planned(small_demo):
    planned = plan_directory(build_context(DISTRICT, PROFILE), scale="small", seed=7)
    stored = set(Organization.objects.filter(kind__in=DEMO_KINDS).values_list("name", "uscc"))
    assert {(o.name, o.uscc) for o in planned.organizations} <= stored


@pytest.mark.slow
def test_demo_second_run_with_the_same_seed_creates_nothing(district, no_module_generators):
    call_command("demo_data", scale="small", seed=7, stdout=StringIO())
    before = _table_counts()
    events = AuditEvent.objects.count()
    out = StringIO()
    call_command("demo_data", scale="small", seed=7, stdout=out)
    assert _table_counts() == before
    assert AuditEvent.objects.count() == events
    assert "企业 0" in out.getvalue()


@pytest.mark.slow
def test_a_failing_module_generator_is_reported_by_name_and_keeps_the_directory(
    district, no_module_generators
):
    def broken(*, scale, seed, rng, stdout):
        raise ValueError("样例故障")

    demo.register_demo_generator("test.broken", broken)
    try:
        with pytest.raises(CommandError, match=r"test\.broken.*样例故障"):
            call_command("demo_data", scale="tiny", seed=3, stdout=StringIO())
    finally:
        demo.unregister_demo_generator("test.broken")
    assert Organization.objects.filter(kind=OrganizationKind.ENTERPRISE).count() > 4


def test_every_generated_code_validates_and_is_unique(small_demo):
    codes = list(Organization.objects.exclude(uscc__isnull=True).values_list("uscc", flat=True))
    assert len(codes) == len(set(codes)) == 200 + 20 + 4 + 4 + 4  # + 4 investors
    assert all(is_valid(code) for code in codes)
    assert all(code[8:10] == "KC" for code in codes)  # recognisably synthetic


def test_every_generated_phone_is_a_mobile_number_and_unique(small_demo):
    phones = list(Person.objects.values_list("phone", flat=True))
    phones += list(_generated().values_list("contact_phone", flat=True))
    assert all(MOBILE.match(phone) for phone in phones)
    assert len(phones) == len(set(phones))


@pytest.mark.slow
def test_demo_names_read_like_chinese_company_names(small_demo):
    for organization in _generated():
        assert not re.search(r"\d", organization.name)
        assert organization.name.endswith(("公司", "事务所", "事务所（普通合伙）", "基金（有限合伙）"))
        assert len(organization.description) >= 40
        assert organization.address.startswith("上海市嘉定区")
    names = list(Person.objects.values_list("name", flat=True))
    assert all(2 <= len(name) <= 4 and not re.search(r"[\dA-Za-z]", name) for name in names)


@pytest.mark.slow
def test_enterprises_in_a_park_share_the_park_theme(small_demo):
    enterprises = Organization.objects.filter(kind=OrganizationKind.ENTERPRISE, park__isnull=False)
    assert enterprises.count() >= 40
    for enterprise in enterprises.select_related("park").prefetch_related("fields", "park__fields"):
        park_fields = {f.code for f in enterprise.park.fields.all()}
        assert park_fields & {f.code for f in enterprise.fields.all()}, enterprise.name
        assert enterprise.block_id == enterprise.park.block_id
    btit = Park.objects.get(code="btit-park")
    in_btit = Organization.objects.filter(park=btit, kind=OrganizationKind.ENTERPRISE)
    assert (
        in_btit.filter(Q(fields__code="LIF01") | Q(fields__code="DIG03")).distinct().count()
        >= in_btit.count() // 2
    )


def test_registered_generators_run_after_the_directory_in_order_with_a_seeded_rng(
    district, no_module_generators
):
    calls = []

    def first(*, scale, seed, rng, stdout):
        calls.append(
            (
                "first",
                scale,
                seed,
                rng.random(),
                Organization.objects.filter(kind=OrganizationKind.ENTERPRISE).count(),
            )
        )
        return {"样例": 1}

    def second(*, scale, seed, rng, stdout):
        calls.append(("second", scale, seed, rng.random(), 0))
        return {}

    demo.register_demo_generator("test.first", first)
    demo.register_demo_generator("test.second", second)
    try:
        out = StringIO()
        call_command("demo_data", scale="tiny", seed=5, stdout=out)
        call_command("demo_data", scale="tiny", seed=5, stdout=StringIO())
    finally:
        demo.unregister_demo_generator("test.first")
        demo.unregister_demo_generator("test.second")
    names = [c[0] for c in calls]
    assert names == ["first", "second", "first", "second"]
    assert calls[0][4] > 4  # the directory data exists before the hook runs
    assert calls[0][3] == calls[2][3]  # same seed, same random stream
    assert calls[0][3] != calls[1][3]  # each generator has its own stream
    assert "test.first：样例 1" in out.getvalue()


# --- demo accounts -------------------------------------------------------------------------------


def test_demo_accounts_are_refused_outside_demo_mode(small_demo, settings):
    settings.DEMO_MODE = False
    with pytest.raises(DemoModeRequired):
        ensure_demo_accounts(PASSWORD)
    assert not User.objects.filter(is_demo=True).exists()


@pytest.mark.slow
def test_demo_accounts_get_their_role_and_a_fitting_organization(small_demo, settings):
    settings.DEMO_MODE = True
    accounts = ensure_demo_accounts(PASSWORD)
    expected_kind = {
        Role.OPERATOR: OrganizationKind.GOVERNMENT,
        Role.COMMISSIONER: OrganizationKind.GOVERNMENT,
        Role.LEADER: OrganizationKind.GOVERNMENT,
        Role.SYSADMIN: OrganizationKind.GOVERNMENT,
        Role.AUDITOR: OrganizationKind.GOVERNMENT,
        Role.INSTITUTE: OrganizationKind.INSTITUTE,
        Role.ENTERPRISE: OrganizationKind.ENTERPRISE,
        Role.PROVIDER: OrganizationKind.PROVIDER,
        Role.EXPERT: OrganizationKind.INSTITUTE,
    }
    assert {a["username"] for a in accounts} == {r.value for r in expected_kind}
    for account in accounts:
        user = User.objects.get(username=account["username"])
        assert user.is_demo and user.display_name and not user.display_name.isascii()
        assert user.roles == frozenset({account["role"]})
        assert user.is_staff == (account["role"] in {Role.OPERATOR, Role.SYSADMIN, Role.AUDITOR})
        membership = Membership.objects.get(user=user, is_default=True)
        assert membership.organization.kind == expected_kind[account["role"]]
        assert membership.organization.name == account["organization"]
        assert user.check_password(PASSWORD)
    assert User.objects.get(username="institute").memberships.get().organization.short_name == "上海光机所"
    expert = User.objects.get(username="expert")
    assert expert.person.is_expert and expert.person.organization.kind == OrganizationKind.INSTITUTE


@pytest.mark.slow
def test_demo_accounts_second_run_creates_nothing(small_demo, settings):
    settings.DEMO_MODE = True
    first = ensure_demo_accounts(PASSWORD)
    counts = (
        User.objects.count(),
        Membership.objects.count(),
        Person.objects.count(),
        AuditEvent.objects.count(),
    )
    assert ensure_demo_accounts(PASSWORD) == first
    assert (
        User.objects.count(),
        Membership.objects.count(),
        Person.objects.count(),
        AuditEvent.objects.count(),
    ) == counts
