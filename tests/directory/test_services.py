"""Directory services: every write validated, permission-checked, atomic and audited. USCC rules
(docs/reliability.md F4): normalised, checked, and a duplicate refused with a Chinese message naming the field."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from kechuang.core.models import AuditEvent
from kechuang.directory import services
from kechuang.directory.models import Organization
from kechuang.testing.factories import OrganizationFactory, make_uscc

pytestmark = pytest.mark.django_db

CODE = "91350100M000100Y43"
# Full-width, lower case, an ideographic space before and a zero-width space after.
NOISY = "\u3000９１３５０１００ｍ０００１００ｙ４３\u200b "


def full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def count() -> int:
    return Organization.objects.exclude(kind="government").count()  # the district office of the fixtures


def create(actor, **data):
    data.setdefault("kind", "enterprise")
    data.setdefault("name", "上海菊园测试科技有限公司")
    return services.organization_create(actor=actor, **data)


def test_create_stores_the_canonical_uscc_and_audits(operator):
    organization = create(operator, uscc=NOISY)
    assert organization.uscc == CODE
    event = AuditEvent.objects.get(action="organization.create")
    assert event.actor_id == operator.pk and event.object_id == str(organization.pk)
    assert organization.created_by == operator


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("91350100M000100Y44", "校验位"),
        ("91350100M000100Y4Z", "不允许的字符"),
        ("91350100M000100Y4", "18 位"),
        ("91350100M0001OOY43", "不允许的字符"),
    ],
)
def test_invalid_uscc_is_refused_naming_the_field_and_nothing_is_created(operator, code, fragment):
    with pytest.raises(ValidationError) as caught:
        create(operator, uscc=code)
    errors = caught.value.message_dict
    assert list(errors) == ["uscc"]
    assert "统一社会信用代码" in errors["uscc"][0] and fragment in errors["uscc"][0]
    assert count() == 0
    assert not AuditEvent.objects.filter(action="organization.create").exists()


@pytest.mark.parametrize("variant", [CODE, CODE.lower(), full_width(CODE), f" {CODE}\u200b", NOISY])
def test_duplicate_uscc_in_any_spelling_is_refused_naming_the_holder(operator, variant):
    holder = OrganizationFactory(uscc=CODE, name="已登记的企业")
    with pytest.raises(ValidationError) as caught:
        create(operator, uscc=variant, name="另一家企业")
    message = caught.value.message_dict["uscc"][0]
    assert "统一社会信用代码" in message and holder.name in message
    assert count() == 1


def test_enterprise_without_uscc_is_refused(operator):
    with pytest.raises(ValidationError) as caught:
        create(operator, uscc="")
    assert "企业必须填写统一社会信用代码" in caught.value.message_dict["uscc"][0]
    assert count() == 0


def test_institute_without_uscc_is_stored_with_none(operator):
    first = create(operator, kind="institute", name="研究所甲", uscc="")
    second = create(operator, kind="institute", name="研究所乙", uscc="  ")
    assert first.uscc is None and second.uscc is None


def test_same_kind_and_name_twice_is_refused_in_chinese_naming_the_field(operator):
    create(operator, uscc=make_uscc(seed=1))
    with pytest.raises(ValidationError) as caught:
        create(operator, uscc=make_uscc(seed=2))
    assert "同名" in caught.value.message_dict["name"][0]
    assert count() == 1


def test_update_to_another_organizations_uscc_is_refused_and_nothing_changes(operator):
    holder = OrganizationFactory(uscc=CODE, name="持有者")
    other = OrganizationFactory(name="修改者")
    before = other.uscc
    with pytest.raises(ValidationError) as caught:
        services.organization_update(actor=operator, organization=other, uscc=CODE.lower(), address="新地址")
    assert holder.name in caught.value.message_dict["uscc"][0]
    other.refresh_from_db()
    assert other.uscc == before and other.address != "新地址"
    assert not AuditEvent.objects.filter(action="organization.update").exists()


def test_update_keeping_its_own_uscc_is_allowed(operator):
    organization = OrganizationFactory(uscc=CODE)
    services.organization_update(
        actor=operator, organization=organization, uscc=CODE.lower(), address="新地址"
    )
    organization.refresh_from_db()
    assert organization.uscc == CODE and organization.address == "新地址"


def test_update_records_only_the_changed_fields(operator, enterprise_org):
    services.organization_update(
        actor=operator, organization=enterprise_org, name=enterprise_org.name, address="嘉定区平城路 1 号"
    )
    assert AuditEvent.objects.get(action="organization.update").detail == {"changed": ["address"]}


def test_only_operators_create_organizations(enterprise_user, institute_user, commissioner):
    for actor in (enterprise_user, institute_user, commissioner):
        with pytest.raises(PermissionDenied):
            create(actor, uscc=make_uscc(seed=3), name=f"{actor.username} 新建")
    assert not Organization.objects.filter(name__endswith="新建").exists()


def test_an_organization_admin_updates_its_own_profile_but_not_its_kind(enterprise_user, enterprise_org):
    services.organization_update(actor=enterprise_user, organization=enterprise_org, description="自己改的")
    with pytest.raises(PermissionDenied):
        services.organization_update(actor=enterprise_user, organization=enterprise_org, kind="government")
    enterprise_org.refresh_from_db()
    assert enterprise_org.kind == "enterprise" and enterprise_org.description == "自己改的"


def test_another_enterprise_cannot_update(enterprise_user, other_enterprise_org):
    with pytest.raises(PermissionDenied):
        services.organization_update(actor=enterprise_user, organization=other_enterprise_org, name="改")
    other_enterprise_org.refresh_from_db()
    assert other_enterprise_org.name != "改"


def test_unknown_fields_are_refused(operator, enterprise_org):
    with pytest.raises(ValidationError):
        services.organization_update(actor=operator, organization=enterprise_org, created_by=operator)
    with pytest.raises(ValidationError):
        create(operator, uscc=make_uscc(seed=4), id=999)


def test_a_failure_after_the_save_leaves_nothing_half_written(operator, monkeypatch):
    from kechuang.directory import services as module

    def broken_record(*args, **kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(module.audit, "record", broken_record)
    with pytest.raises(RuntimeError):
        create(operator, uscc=CODE)
    assert count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_creates_with_one_uscc_give_one_organization_and_one_clean_refusal(
    operator, monkeypatch
):
    """Real parallel connections, both past the duplicate check before either saves: the database's
    unique index decides, and the loser gets the same Chinese message as a sequential duplicate,
    not an IntegrityError (a 500)."""
    barrier = threading.Barrier(2)
    outcomes: list[object] = []
    checked = services._clean_uscc

    def check_then_wait(*args, **kwargs):
        result = checked(*args, **kwargs)
        barrier.wait(timeout=10)
        return result

    monkeypatch.setattr(services, "_clean_uscc", check_then_wait)

    def attempt(n: int) -> None:
        try:
            outcomes.append(create(operator, uscc=CODE, name=f"并发企业{n}"))
        except Exception as error:
            outcomes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    created = [o for o in outcomes if isinstance(o, Organization)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(created) == 1 and len(refused) == 1, outcomes
    assert "统一社会信用代码" in refused[0].message_dict["uscc"][0]
    assert Organization.objects.filter(uscc=CODE).count() == 1
