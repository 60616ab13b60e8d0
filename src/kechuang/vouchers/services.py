"""Every write of the voucher module: ``<entity>_<verb>(*, actor, ...)``, keyword-only, one transaction
(retried on deadlocks when outermost), permission-checked first, audited last.

Locks are taken in one order everywhere — scheme, application, voucher, order, batch, claims (by key),
then the code counter, then the ledger (which locks the hold, then accounts by key) — so two services
never wait for each other in a cycle. Every ledger key is derived from the business object
(``vouchers.grant:SQ-2026-000001``), so a rerun after a crash or a double click replays instead of
posting twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core import audit
from kechuang.core.actors import deny, is_system, require, user_of
from kechuang.core.codes import next_code
from kechuang.core.errors import Conflict
from kechuang.core.money import checked_fen, format_fen
from kechuang.core.text import clean_text
from kechuang.core.uploads import check_upload
from kechuang.directory.choices import OrganizationKind
from kechuang.directory.models import Organization
from kechuang.ledger import services as ledger
from kechuang.ledger.choices import AccountKind
from kechuang.ledger.errors import InsufficientFunds
from kechuang.ledger.models import Account, Hold
from kechuang.ledger.retry import atomic_with_retry

from . import notify
from . import permissions as perms
from .choices import (
    OPEN_ORDER_STATUSES,
    ApplicationStatus,
    BatchStatus,
    ClaimStatus,
    OrderStatus,
    ProviderStatus,
    SchemeStatus,
    ServiceCategory,
    VoucherStatus,
)
from .models import (
    Application,
    Provider,
    ProviderService,
    Rating,
    Scheme,
    ServiceOrder,
    SettlementBatch,
    SettlementClaim,
    Voucher,
)

INVOICE_KINDS = ("pdf", "ofd", "png", "jpeg")


# --- helpers ------------------------------------------------------------------------------------------


def _categories(values: Iterable[str], field: str) -> list[str]:
    codes = list(dict.fromkeys(str(v) for v in values))
    unknown = [c for c in codes if c not in ServiceCategory.values]
    if unknown:
        raise ValidationError({field: _("未知的服务类别：%(codes)s") % {"codes": "、".join(unknown)}})
    return codes


def _end_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59)))


def payable_account(scheme: Scheme, provider: Provider) -> Account:
    return ledger.account_open(
        code=f"vouchers:{scheme.code}:payable:{provider.code}",
        kind=AccountKind.LIABILITY,
        name=f"{scheme.name} · 应付 {provider.organization.name}"[:160],
        group=scheme.code,
        reference=provider.code,
    )


def _subsidy(price_fen: int, ratio_bp: int) -> int:
    return price_fen * ratio_bp // 10000


def _opened(account: Account | None, what: str) -> Account:
    """A scheme's or voucher's ledger account, which exists once the scheme is opened: a clear refusal,
    not an AttributeError deep in the ledger, if it does not."""
    if account is None:
        raise ValidationError(_("%(what)s尚未开立账本账户（批次是否已启用？）。") % {"what": what})
    return account


def _held(order: ServiceOrder) -> Hold:
    """The order's ledger hold, which every order but a draft has."""
    if order.hold is None:
        raise ValidationError(_("订单 %(code)s 没有冻结额度。") % {"code": order.code})
    return order.hold


# --- schemes ------------------------------------------------------------------------------------------


class SchemeData(TypedDict, total=False):
    """The fields ``scheme_create`` and ``scheme_update`` take, by name and type (amounts in fen, the
    subsidy ratio in basis points)."""

    name: str
    year: int
    description: str
    budget_fen: int
    subsidy_ratio_bp: int
    enterprise_cap_fen: int
    controller_cap_fen: int
    categories: list[str]
    apply_from: dt.date
    apply_until: dt.date
    expires_on: dt.date


class ServiceData(TypedDict, total=False):
    """What ``service_update`` changes in a provider's catalogue entry."""

    name: str
    description: str
    unit: str
    price_fen: int
    is_active: bool
    category: str


SCHEME_FIELDS = tuple(SchemeData.__annotations__)
SERVICE_FIELDS = tuple(ServiceData.__annotations__)


def _validate_scheme(data: Mapping[str, Any]) -> dict[str, Any]:
    clean = {key: data[key] for key in SCHEME_FIELDS if key in data}
    for key in ("budget_fen", "enterprise_cap_fen", "controller_cap_fen"):
        if key in clean:
            checked_fen(clean[key], key)
    ratio = clean.get("subsidy_ratio_bp")
    if ratio is not None and (
        isinstance(ratio, bool) or not isinstance(ratio, int) or not 1 <= ratio <= 10000
    ):
        raise ValidationError({"subsidy_ratio_bp": _("补贴比例应在 0.01% 到 100% 之间。")})
    if "categories" in clean:
        clean["categories"] = _categories(clean["categories"], "categories")
        if not clean["categories"]:
            raise ValidationError({"categories": _("至少选择一个适用服务类别。")})
    clean["name"] = clean_text(clean.get("name"), 100) if "name" in clean else None
    if clean.get("name") is None:
        clean.pop("name")
    if "description" in clean:
        clean["description"] = clean_text(clean["description"], 5000)
    return clean


def _check_scheme(scheme: Scheme) -> None:
    errors: dict[str, str] = {}
    if not scheme.name:
        errors["name"] = _("请填写批次名称。")
    if scheme.controller_cap_fen < scheme.enterprise_cap_fen:
        errors["controller_cap_fen"] = _("同一实际控制人上限不能低于单户上限。")
    if scheme.enterprise_cap_fen > scheme.budget_fen:
        errors["enterprise_cap_fen"] = _("单户上限不能超过批次预算。")
    if scheme.apply_until < scheme.apply_from:
        errors["apply_until"] = _("申领截止日期不能早于开始日期。")
    if scheme.expires_on < scheme.apply_until:
        errors["expires_on"] = _("有效期不能早于申领截止日期。")
    if not 2000 <= scheme.year <= 2100:
        errors["year"] = _("年度无效。")
    if errors:
        raise ValidationError(errors)


@atomic_with_retry
def scheme_create(*, actor: Any, **data: Unpack[SchemeData]) -> Scheme:
    require(perms.can_manage_scheme(actor), _("只有运营人员可以设立创新券批次。"))
    clean = _validate_scheme(data)
    missing = [k for k in SCHEME_FIELDS if k not in clean and k != "description"]
    if missing:
        raise ValidationError({k: _("此项必填。") for k in missing})
    scheme = Scheme(**clean, created_by=user_of(actor))
    _check_scheme(scheme)
    scheme.code = next_code("vouchers", "PC", width=2, year=scheme.year)
    scheme.save()
    audit.record(
        "vouchers.scheme.create",
        actor=actor,
        obj=scheme,
        detail={"budget_fen": scheme.budget_fen, "ratio_bp": scheme.subsidy_ratio_bp},
    )
    return scheme


@atomic_with_retry
def scheme_update(*, actor: Any, scheme: Scheme, **data: Unpack[SchemeData]) -> Scheme:
    require(perms.can_manage_scheme(actor), _("只有运营人员可以修改创新券批次。"))
    scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    if scheme.status != SchemeStatus.DRAFT:
        raise ValidationError(_("批次已启用，不能再修改预算和规则。"))
    clean = _validate_scheme(data)
    for key, value in clean.items():
        setattr(scheme, key, value)
    _check_scheme(scheme)
    scheme.save()
    audit.record("vouchers.scheme.update", actor=actor, obj=scheme, detail={"changed": sorted(clean)})
    return scheme


@atomic_with_retry
def scheme_open(*, actor: Any, scheme: Scheme) -> Scheme:
    """Open the scheme's accounts and post its budget: Dr fund / Cr unallocated budget."""
    require(perms.can_manage_scheme(actor), _("只有运营人员可以启用创新券批次。"))
    scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    if scheme.status != SchemeStatus.DRAFT:
        raise ValidationError(_("批次已经启用。"))
    fund = ledger.account_open(
        code=f"vouchers:{scheme.code}:fund",
        kind=AccountKind.ASSET,
        name=f"{scheme.name} · 财政资金",
        group=scheme.code,
        reference=scheme.code,
    )
    budget = ledger.account_open(
        code=f"vouchers:{scheme.code}:budget",
        kind=AccountKind.EQUITY,
        name=f"{scheme.name} · 未分配预算",
        group=scheme.code,
        reference=scheme.code,
    )
    ledger.post(
        actor=actor,
        idempotency_key=f"vouchers.scheme.fund:{scheme.code}",
        kind="vouchers.scheme.fund",
        memo=_("%(name)s 预算下达") % {"name": scheme.name},
        reference=scheme.code,
        lines=[ledger.debit(fund, scheme.budget_fen), ledger.credit(budget, scheme.budget_fen)],
    )
    scheme.fund_account, scheme.budget_account = fund, budget
    scheme.status = SchemeStatus.OPEN
    scheme.opened_by, scheme.opened_at = user_of(actor), timezone.now()
    scheme.save(update_fields=["fund_account", "budget_account", "status", "opened_by", "opened_at"])
    audit.record("vouchers.scheme.open", actor=actor, obj=scheme, detail={"budget_fen": scheme.budget_fen})
    return scheme


@atomic_with_retry
def scheme_close(*, actor: Any, scheme: Scheme) -> Scheme:
    require(perms.can_manage_scheme(actor), _("只有运营人员可以结束创新券批次。"))
    scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    if scheme.status != SchemeStatus.OPEN:
        raise ValidationError(_("只有已启用的批次可以结束。"))
    scheme.status, scheme.closed_at = SchemeStatus.CLOSED, timezone.now()
    scheme.save(update_fields=["status", "closed_at"])
    audit.record("vouchers.scheme.close", actor=actor, obj=scheme)
    return scheme


# --- providers and their catalogue ----------------------------------------------------------------------


@atomic_with_retry
def provider_register(
    *,
    actor: Any,
    organization: Organization,
    categories: Iterable[str],
    introduction: str = "",
    qualifications: str = "",
    contact_name: str = "",
    contact_phone: str = "",
) -> Provider:
    """A provider organization asks to join (服务机构入驻); an operator reviews it."""
    require(perms.can_register_provider(actor, organization), _("只有服务机构的成员可以为本机构申请入驻。"))
    if organization.kind not in (OrganizationKind.PROVIDER, OrganizationKind.INSTITUTE):
        raise ValidationError(_("只有服务机构类型的机构可以申请入驻。"))
    codes = _categories(categories, "categories")
    if not codes:
        raise ValidationError({"categories": _("至少选择一个服务类别。")})
    if organization.kind == OrganizationKind.INSTITUTE and codes != [ServiceCategory.INSTRUMENTS]:
        # an institute joins to be paid for its shared instruments' machine time (docs/adr/0024-instruments.md)
        raise ValidationError({"categories": _("科研院所只能以“仪器共享”类别入驻。")})
    existing = Provider.objects.select_for_update().filter(organization=organization).first()
    if existing is not None and existing.status in (ProviderStatus.PENDING, ProviderStatus.APPROVED):
        raise ValidationError(_("本机构已提交入驻申请或已入驻。"))
    provider = existing or Provider(organization=organization, code=next_code("vouchers", "FW", width=4))
    provider.status = ProviderStatus.PENDING
    provider.categories = codes
    provider.introduction = clean_text(introduction, 5000)
    provider.qualifications = clean_text(qualifications, 2000)
    provider.contact_name = clean_text(contact_name, 40)
    provider.contact_phone = clean_text(contact_phone, 20)
    provider.applied_by, provider.applied_at = user_of(actor), timezone.now()
    provider.reviewed_by, provider.reviewed_at, provider.review_note = None, None, ""
    provider.save()
    notify.provider_registered(provider, actor=actor)
    audit.record("vouchers.provider.register", actor=actor, obj=provider, detail={"categories": codes})
    return provider


@atomic_with_retry
def provider_review(*, actor: Any, provider: Provider, approve: bool, note: str = "") -> Provider:
    provider = (
        Provider.objects.select_for_update(of=("self",)).select_related("organization").get(pk=provider.pk)
    )
    require(
        perms.can_review_provider(actor, provider), _("只有运营人员可以审核入驻，且不能审核自己提交的申请。")
    )
    if provider.status != ProviderStatus.PENDING:
        raise ValidationError(_("该入驻申请已处理。"))
    note = clean_text(note, 500)
    if not approve and not note:
        raise ValidationError({"note": _("不通过时请填写原因。")})
    provider.status = ProviderStatus.APPROVED if approve else ProviderStatus.REJECTED
    provider.reviewed_by, provider.reviewed_at, provider.review_note = user_of(actor), timezone.now(), note
    provider.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    notify.provider_reviewed(provider, actor=actor)
    audit.record("vouchers.provider.review", actor=actor, obj=provider, detail={"approve": approve})
    return provider


@atomic_with_retry
def service_create(
    *,
    actor: Any,
    provider: Provider,
    name: str,
    category: str,
    price_fen: int,
    unit: str = "项",
    description: str = "",
) -> ProviderService:
    require(
        is_system(actor) or perms.can_manage_services(actor, provider), _("只有本机构成员可以维护服务目录。")
    )
    if category not in provider.categories:
        raise ValidationError({"category": _("该类别不在本机构入驻的服务类别中。")})
    name = clean_text(name, 100)
    if not name:
        raise ValidationError({"name": _("请填写服务名称。")})
    service = ProviderService.objects.create(
        provider=provider,
        code=next_code("vouchers", "FU", width=6),
        name=name,
        category=category,
        price_fen=checked_fen(price_fen, "price_fen"),
        unit=clean_text(unit, 10) or "项",
        description=clean_text(description, 5000),
    )
    audit.record("vouchers.service.create", actor=actor, obj=service, detail={"price_fen": service.price_fen})
    return service


@atomic_with_retry
def service_update(*, actor: Any, service: ProviderService, **data: Unpack[ServiceData]) -> ProviderService:
    service = (
        ProviderService.objects.select_for_update(of=("self",)).select_related("provider").get(pk=service.pk)
    )
    require(
        is_system(actor) or perms.can_manage_services(actor, service.provider),
        _("只有本机构成员可以维护服务目录。"),
    )
    changed = []
    given: Mapping[str, Any] = data
    for key in SERVICE_FIELDS:
        if key not in given:
            continue
        value = given[key]
        if key == "price_fen":
            value = checked_fen(value, "price_fen")
        elif key == "category" and value not in service.provider.categories:
            raise ValidationError({"category": _("该类别不在本机构入驻的服务类别中。")})
        elif key in ("name", "description", "unit"):
            value = clean_text(value, {"name": 100, "description": 5000, "unit": 10}[key])
        elif key == "is_active":
            value = bool(value)
        if getattr(service, key) != value:
            setattr(service, key, value)
            changed.append(key)
    if not service.name:
        raise ValidationError({"name": _("请填写服务名称。")})
    service.save()
    audit.record("vouchers.service.update", actor=actor, obj=service, detail={"changed": changed})
    return service


# --- applications and the two-level review ----------------------------------------------------------------


@atomic_with_retry
def application_submit(
    *,
    actor: Any,
    scheme: Scheme,
    enterprise: Organization,
    requested_fen: int,
    purpose: str,
    planned_categories: Iterable[str] = (),
    controller_name: str = "",
    controller_code: str = "",
    request_key: str | None = None,
    today: dt.date | None = None,
) -> Application:
    """An enterprise applies for a voucher (申领). ``request_key`` makes a retried submission return the
    first application instead of creating a second one."""
    require(perms.can_apply(actor, enterprise), _("只有本企业成员可以为本企业申领创新券。"))
    if request_key:
        existing = Application.objects.filter(request_key=request_key).first()
        if existing is not None:
            if (
                existing.enterprise_id != enterprise.pk
                or existing.scheme_id != scheme.pk
                or existing.requested_fen != requested_fen
            ):
                raise Conflict(_("该幂等键已用于另一份申请。"), code="idempotency_conflict")
            return existing
    if enterprise.kind != OrganizationKind.ENTERPRISE:
        raise ValidationError(_("只有企业可以申领创新券。"))
    scheme = Scheme.objects.get(pk=scheme.pk)
    if not scheme.is_accepting_applications(today):
        raise ValidationError(_("该批次当前不在申领期内。"))
    requested_fen = checked_fen(requested_fen, "requested_fen")
    if requested_fen > scheme.enterprise_cap_fen:
        raise ValidationError(
            {
                "requested_fen": _("申请额度不能超过单户上限 %(cap)s。")
                % {"cap": format_fen(scheme.enterprise_cap_fen)}
            }
        )
    purpose = clean_text(purpose, 2000)
    if not purpose:
        raise ValidationError({"purpose": _("请说明创新券的用途。")})
    planned = _categories(planned_categories, "planned_categories")
    outside = [c for c in planned if c not in scheme.categories]
    if outside:
        raise ValidationError(
            {
                "planned_categories": _("这些类别不在本批次支持范围内：%(c)s")
                % {"c": "、".join(str(ServiceCategory(c).label) for c in outside)}
            }
        )
    code = controller_code_for(enterprise, controller_code)
    room = headroom(scheme, enterprise_id=enterprise.pk, controller_code=code)
    if room.grantable_fen == 0:
        raise ValidationError(
            {"requested_fen": _("本批次已无可申领额度（单户或同一实际控制人上限已用完，或预算已发完）。")}
        )
    # A request above what is left is accepted (the form shows the figure); the first review
    # recommends at most what is left (application_review).
    try:
        with transaction.atomic():
            application = Application.objects.create(
                code=next_code("vouchers", "SL", width=6),
                scheme=scheme,
                enterprise=enterprise,
                requested_fen=requested_fen,
                purpose=purpose,
                planned_categories=planned,
                controller_name=clean_text(controller_name, 80),
                controller_code=code,
                submitted_by=user_of(actor),
                request_key=request_key or None,
            )
    except IntegrityError:
        if request_key and Application.objects.filter(request_key=request_key).exists():
            return Application.objects.get(request_key=request_key)
        raise ValidationError(_("本企业在该批次已有一份审核中的申请。")) from None
    notify.application_submitted(application, actor=actor)
    audit.record(
        "vouchers.application.submit",
        actor=actor,
        obj=application,
        detail={"scheme": scheme.code, "requested_fen": requested_fen},
    )
    return application


@atomic_with_retry
def application_withdraw(*, actor: Any, application: Application) -> Application:
    application = Application.objects.select_for_update().get(pk=application.pk)
    require(perms.can_withdraw_application(actor, application), _("只有本企业成员可以撤回申请。"))
    if application.status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.REVIEWED):
        raise ValidationError(_("该申请已处理，不能撤回。"))
    application.status = ApplicationStatus.WITHDRAWN
    application.save(update_fields=["status"])
    audit.record("vouchers.application.withdraw", actor=actor, obj=application)
    return application


@atomic_with_retry
def application_review(
    *, actor: Any, application: Application, approve: bool, recommended_fen: int | None = None, note: str = ""
) -> Application:
    """First level (运营初审): pass it to the leader with a recommended amount, or reject it."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    require(
        perms.can_review_application(actor, application),
        _("只有运营人员可以初审，且不能审核自己提交的申请。"),
    )
    if application.status != perms.REVIEWABLE_APPLICATION:
        raise ValidationError(_("该申请不在待初审状态。"))
    note = clean_text(note, 500)
    if approve:
        amount = (
            application.requested_fen
            if recommended_fen is None
            else checked_fen(recommended_fen, "recommended_fen")
        )
        if amount > application.requested_fen:
            raise ValidationError({"recommended_fen": _("建议额度不能超过申请额度。")})
        room = headroom(
            application.scheme,
            enterprise_id=application.enterprise_id,
            controller_code=application.controller_code,
        )
        if error := _over_headroom(room, amount, "recommended_fen"):
            raise error
        application.recommended_fen = amount
        application.status = ApplicationStatus.REVIEWED
    else:
        if not note:
            raise ValidationError({"note": _("不通过时请填写原因。")})
        application.status = ApplicationStatus.REJECTED
    application.operator_reviewer, application.operator_reviewed_at = user_of(actor), timezone.now()
    application.operator_note = note
    application.save()
    notify.application_reviewed(application, actor=actor)
    audit.record(
        "vouchers.application.review",
        actor=actor,
        obj=application,
        detail={"approve": approve, "recommended_fen": application.recommended_fen},
    )
    return application


def committed_for(
    scheme: Scheme, *, enterprise_id: int | None = None, controller_code: str | None = None
) -> int:
    """What vouchers of the scheme already count against a cap (granted, less what was returned)."""
    vouchers = Voucher.objects.filter(scheme=scheme)
    if enterprise_id is not None:
        vouchers = vouchers.filter(enterprise_id=enterprise_id)
    if controller_code is not None:
        vouchers = vouchers.filter(controller_code=controller_code)
    total = vouchers.aggregate(total=Coalesce(Sum(F("granted_fen") - F("returned_fen")), 0))["total"]
    return int(total or 0)


@dataclass(frozen=True)
class Headroom:
    """What a scheme can still grant to one application: the enterprise's yearly cap, the actual
    controller's cap and the scheme's remaining budget, each with what is already used (docs/design.md,
    创新券: 单户上限与同一实际控制人上限)."""

    enterprise_cap_fen: int
    enterprise_used_fen: int
    controller_cap_fen: int
    controller_used_fen: int
    budget_left_fen: int

    @property
    def enterprise_left_fen(self) -> int:
        return max(0, self.enterprise_cap_fen - self.enterprise_used_fen)

    @property
    def controller_left_fen(self) -> int:
        return max(0, self.controller_cap_fen - self.controller_used_fen)

    @property
    def grantable_fen(self) -> int:
        """The most one more voucher may be: the smallest of the three."""
        return min(self.enterprise_left_fen, self.controller_left_fen, max(0, self.budget_left_fen))

    def as_dict(self) -> dict[str, int]:
        return {
            "enterprise_cap_fen": self.enterprise_cap_fen,
            "enterprise_used_fen": self.enterprise_used_fen,
            "enterprise_left_fen": self.enterprise_left_fen,
            "controller_cap_fen": self.controller_cap_fen,
            "controller_used_fen": self.controller_used_fen,
            "controller_left_fen": self.controller_left_fen,
            "budget_left_fen": self.budget_left_fen,
            "grantable_fen": self.grantable_fen,
        }


def headroom(scheme: Scheme, *, enterprise_id: int, controller_code: str) -> Headroom:
    """The caps' headroom for a grant to ``enterprise_id`` under ``controller_code`` in ``scheme``."""
    budget_left = (
        Account.objects.filter(pk=scheme.budget_account_id).values_list("balance_fen", flat=True).first()
        if scheme.budget_account_id
        else scheme.budget_fen
    )
    return Headroom(
        enterprise_cap_fen=scheme.enterprise_cap_fen,
        enterprise_used_fen=committed_for(scheme, enterprise_id=enterprise_id),
        controller_cap_fen=scheme.controller_cap_fen,
        controller_used_fen=committed_for(scheme, controller_code=controller_code),
        budget_left_fen=int(budget_left or 0),
    )


def controller_code_for(enterprise: Organization, controller_code: str = "") -> str:
    """The actual controller's code as applications store it: the one given, else the enterprise's own."""
    return clean_text(controller_code, 40).upper().replace(" ", "") or (
        enterprise.uscc or f"ORG{enterprise.pk}"
    )


def _over_headroom(room: Headroom, amount: int, field: str) -> ValidationError | None:
    """The error, naming the figure, when ``amount`` exceeds what the caps or the budget still allow."""
    if amount <= room.grantable_fen:
        return None
    if amount > room.enterprise_left_fen:
        message = _("超过单户年度上限：该企业已获 %(used)s，上限 %(cap)s，最多还可发放 %(left)s。") % {
            "used": format_fen(room.enterprise_used_fen),
            "cap": format_fen(room.enterprise_cap_fen),
            "left": format_fen(room.enterprise_left_fen),
        }
        code = "enterprise_cap"
    elif amount > room.controller_left_fen:
        message = _(
            "超过同一实际控制人上限：其控制的企业已获 %(used)s，上限 %(cap)s，最多还可发放 %(left)s。"
        ) % {
            "used": format_fen(room.controller_used_fen),
            "cap": format_fen(room.controller_cap_fen),
            "left": format_fen(room.controller_left_fen),
        }
        code = "controller_cap"
    else:
        message = _("批次剩余预算不足：最多还可发放 %(left)s。") % {"left": format_fen(room.budget_left_fen)}
        code = "budget"
    return ValidationError({field: ValidationError(message, code=code)})


@atomic_with_retry
def application_decide(
    *,
    actor: Any,
    application: Application,
    approve: bool,
    note: str = "",
    approved_fen: int | None = None,
    today: dt.date | None = None,
) -> Application:
    """Second level (领导审批): approve — the voucher is granted at once — or reject. The leader may grant
    less than the first review recommended (``approved_fen``), with the reason in ``note``: when the caps
    leave less than the recommendation, approving less is the way forward, not a dead end. The scheme
    row is locked, so the caps are checked against every grant made before this one."""
    scheme = Scheme.objects.select_for_update().get(pk=application.scheme_id)
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("enterprise")
        .get(pk=application.pk)
    )
    require(
        perms.can_approve_application(actor, application),
        _("只有班子领导可以审批，且审批人不能是申请人或初审人。"),
    )
    if application.status != perms.APPROVABLE_APPLICATION:
        raise ValidationError(_("该申请不在待审批状态。"))
    note = clean_text(note, 500)
    application.leader_reviewer, application.leader_reviewed_at = user_of(actor), timezone.now()
    application.leader_note = note
    if not approve:
        if not note:
            raise ValidationError({"note": _("不通过时请填写原因。")})
        application.status = ApplicationStatus.REJECTED
        application.save()
        notify.application_decided(application, actor=actor)
        audit.record("vouchers.application.decide", actor=actor, obj=application, detail={"approve": False})
        return application
    if scheme.status != SchemeStatus.OPEN:
        raise ValidationError(_("批次未启用或已结束，不能发放。"))
    if (today or timezone.localdate()) > scheme.expires_on:
        raise ValidationError(_("批次已过有效期，不能发放。"))
    recommended = int(application.recommended_fen or application.requested_fen)
    amount = recommended if approved_fen is None else checked_fen(approved_fen, "approved_fen")
    if amount > recommended:
        raise ValidationError(
            {"approved_fen": _("批准额度不能高于初审建议额度 %(r)s。") % {"r": format_fen(recommended)}}
        )
    if amount < recommended and not note:
        raise ValidationError({"note": _("批准额度低于初审建议额度时，请填写原因。")})
    room = headroom(
        scheme, enterprise_id=application.enterprise_id, controller_code=application.controller_code
    )
    if error := _over_headroom(room, amount, "approved_fen"):
        raise error
    code = next_code("vouchers", "QZ", width=6)
    account = ledger.account_open(
        code=f"vouchers:{code}",
        kind=AccountKind.LIABILITY,
        name=f"创新券 {code} · {application.enterprise.name}"[:160],
        group=scheme.code,
        reference=code,
    )
    try:
        ledger.post(
            actor=actor,
            idempotency_key=f"vouchers.grant:{application.code}",
            kind="vouchers.grant",
            memo=_("发放创新券 %(code)s") % {"code": code},
            reference=code,
            lines=[
                ledger.debit(_opened(scheme.budget_account, _("批次预算")), amount),
                ledger.credit(account, amount),
            ],
        )
    except InsufficientFunds:
        raise ValidationError(
            _("批次剩余预算不足，无法发放 %(amount)s。") % {"amount": format_fen(amount)}, code="budget"
        ) from None
    voucher = Voucher.objects.create(
        code=code,
        scheme=scheme,
        enterprise=application.enterprise,
        application=application,
        account=account,
        controller_code=application.controller_code,
        granted_fen=amount,
        expires_on=scheme.expires_on,
        granted_by=user_of(actor),
    )
    application.status = ApplicationStatus.GRANTED
    application.granted_fen = amount
    application.save()
    notify.application_decided(application, actor=actor, voucher=voucher)
    audit.record(
        "vouchers.application.decide",
        actor=actor,
        obj=application,
        detail={"approve": True, "voucher": code, "granted_fen": amount, "recommended_fen": recommended},
    )
    return application


# --- vouchers: revocation and expiry -------------------------------------------------------------------------


def _close_open_orders(*, actor: Any, voucher: Voucher, reason: str, statuses: Iterable[str]) -> int:
    closed = 0
    for order in (
        ServiceOrder.objects.select_for_update()
        .filter(voucher=voucher, status__in=list(statuses))
        .order_by("pk")
    ):
        ledger.hold_void(
            actor=actor, idempotency_key=f"vouchers.order.void:{order.code}", hold=_held(order), reason=reason
        )
        order.status, order.closed_at, order.close_reason = OrderStatus.CANCELLED, timezone.now(), reason
        order.save(update_fields=["status", "closed_at", "close_reason"])
        closed += 1
    return closed


def _return_available(*, actor: Any, voucher: Voucher, memo: str) -> int:
    """Post what is available on the voucher back to the scheme's budget (Dr voucher / Cr budget)."""
    account = Account.objects.get(pk=voucher.account_id)
    amount = account.available_fen
    if amount <= 0:
        return 0
    scheme = voucher.scheme
    ledger.post(
        actor=actor,
        idempotency_key=f"vouchers.return:{voucher.code}:{account.line_count}",
        kind="vouchers.return",
        memo=memo,
        reference=voucher.code,
        lines=[
            ledger.debit(account, amount),
            ledger.credit(_opened(scheme.budget_account, _("批次预算")), amount),
        ],
    )
    voucher.returned_fen += amount
    voucher.save(update_fields=["returned_fen"])
    return amount


@atomic_with_retry
def voucher_revoke(*, actor: Any, voucher: Voucher, reason: str) -> Voucher:
    """Revoke a voucher: its open orders are cancelled (holds released) and what is left goes back to the
    scheme's budget. What was already redeemed stays redeemed."""
    require(perms.can_revoke_voucher(actor), _("只有运营人员可以撤销创新券。"))
    reason = clean_text(reason, 500)
    if not reason:
        raise ValidationError({"reason": _("请填写撤销原因。")})
    voucher = (
        Voucher.objects.select_for_update(of=("self",))
        .select_related("scheme__budget_account")
        .get(pk=voucher.pk)
    )
    if voucher.status == VoucherStatus.REVOKED:
        raise ValidationError(_("该创新券已撤销。"))
    _close_open_orders(
        actor=actor,
        voucher=voucher,
        reason=_("创新券被撤销：%(r)s") % {"r": reason},
        statuses=OPEN_ORDER_STATUSES,
    )
    returned = _return_available(
        actor=actor, voucher=voucher, memo=_("撤销创新券 %(c)s，余额收回") % {"c": voucher.code}
    )
    voucher.status = VoucherStatus.REVOKED
    voucher.revoked_by, voucher.revoked_at, voucher.revoke_reason = user_of(actor), timezone.now(), reason
    voucher.closed_at = voucher.revoked_at
    voucher.save(update_fields=["status", "revoked_by", "revoked_at", "revoke_reason", "closed_at"])
    notify.voucher_revoked(voucher, actor=actor, returned_fen=returned)
    audit.record("vouchers.voucher.revoke", actor=actor, obj=voucher, detail={"returned_fen": returned})
    return voucher


@atomic_with_retry
def voucher_expire(*, actor: Any, voucher: Voucher, today: dt.date | None = None) -> int:
    """Expire one voucher past its date: orders not yet delivered are cancelled; delivered ones keep their
    hold until the enterprise confirms or cancels; whatever is available goes back to the budget. Safe
    to run again: later runs return what cancellations freed."""
    voucher = (
        Voucher.objects.select_for_update(of=("self",))
        .select_related("scheme__budget_account")
        .get(pk=voucher.pk)
    )
    today = today or timezone.localdate()
    if voucher.expires_on >= today or voucher.status == VoucherStatus.REVOKED:
        return 0
    _close_open_orders(
        actor=actor,
        voucher=voucher,
        reason=_("创新券已到期"),
        statuses=[OrderStatus.PLACED, OrderStatus.ACCEPTED],
    )
    returned = _return_available(
        actor=actor, voucher=voucher, memo=_("创新券 %(c)s 到期，未使用额度收回") % {"c": voucher.code}
    )
    if voucher.status == VoucherStatus.ACTIVE:
        voucher.status, voucher.closed_at = VoucherStatus.EXPIRED, timezone.now()
        voucher.save(update_fields=["status", "closed_at"])
        notify.voucher_expired(voucher, actor=actor, returned_fen=returned)
    if returned or voucher.status == VoucherStatus.EXPIRED:
        audit.record("vouchers.voucher.expire", actor=actor, obj=voucher, detail={"returned_fen": returned})
    return returned


def vouchers_expire_due(*, actor: Any = None, today: dt.date | None = None) -> dict[str, int]:
    """Expire every voucher past its date (each in its own transaction); idempotent."""
    today = today or timezone.localdate()
    due = (
        Voucher.objects.filter(expires_on__lt=today)
        .exclude(status=VoucherStatus.REVOKED)
        .filter(Q(status=VoucherStatus.ACTIVE) | Q(account__balance_fen__gt=F("account__held_fen")))
    )
    expired = returned = 0
    for voucher in due.order_by("pk"):
        was_active = voucher.status == VoucherStatus.ACTIVE
        returned += voucher_expire(actor=actor, voucher=voucher, today=today)
        expired += 1 if was_active else 0
    return {"expired": expired, "returned_fen": returned}


# --- orders -------------------------------------------------------------------------------------------------


@atomic_with_retry
def order_place(
    *,
    actor: Any,
    voucher: Voucher,
    service: ProviderService,
    quantity: int = 1,
    note: str = "",
    request_key: str | None = None,
    today: dt.date | None = None,
) -> ServiceOrder:
    """Order a registered provider's service with a voucher: the voucher pays ratio × price, up to what is
    available on it, and that share is held at once. The system (actor ``None``) places an order on an
    enterprise's standing instruction checked by the caller (a sample test paid by voucher is held when
    the instrument's owner accepts it, docs/adr/0024-instruments.md)."""
    voucher = Voucher.objects.select_for_update(of=("self",)).select_related("scheme").get(pk=voucher.pk)
    require(
        is_system(actor) or perms.can_order_with_voucher(actor, voucher),
        _("只有本企业成员可以使用本企业的创新券。"),
    )
    if request_key:  # checked under the voucher's lock: a concurrent twin has committed or not started
        existing = ServiceOrder.objects.filter(request_key=request_key).first()
        if existing is not None:
            if (
                existing.voucher_id != voucher.pk
                or existing.service_id != service.pk
                or existing.quantity != quantity
            ):
                raise Conflict(_("该幂等键已用于另一笔订单。"), code="idempotency_conflict")
            return existing
    service = ProviderService.objects.select_related("provider__organization").get(pk=service.pk)
    today = today or timezone.localdate()
    if voucher.status != VoucherStatus.ACTIVE or voucher.expires_on < today:
        raise ValidationError(_("该创新券已到期或已撤销，不能下单。"))
    if not service.is_active or service.provider.status != ProviderStatus.APPROVED:
        raise ValidationError(_("该服务已下架或服务机构未入驻。"))
    if service.category not in voucher.scheme.categories:
        raise ValidationError(
            _("该服务类别（%(c)s）不在本批次支持范围内。") % {"c": service.get_category_display()}
        )
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 1000:
        raise ValidationError({"quantity": _("数量应在 1 到 1000 之间。")})
    price = service.price_fen * quantity
    available = Account.objects.get(pk=voucher.account_id).available_fen  # read after the voucher's lock
    share = min(_subsidy(price, voucher.scheme.subsidy_ratio_bp), available)
    if share <= 0:
        raise ValidationError(_("创新券可用余额不足。"), code="insufficient_funds")
    order = ServiceOrder(
        code=next_code("vouchers", "DD", width=6),
        voucher=voucher,
        scheme=voucher.scheme,
        enterprise_id=voucher.enterprise_id,
        provider=service.provider,
        service=service,
        category=service.category,
        quantity=quantity,
        price_fen=price,
        ratio_bp=voucher.scheme.subsidy_ratio_bp,
        voucher_fen=share,
        note=clean_text(note, 500),
        request_key=request_key or None,
        placed_by=user_of(actor),
    )
    try:
        held = ledger.hold_place(
            actor=actor,
            idempotency_key=f"vouchers.order.hold:{order.code}",
            account=f"vouchers:{voucher.code}",
            amount_fen=share,
            reference=order.code,
            memo=_("订单 %(c)s 冻结创新券额度") % {"c": order.code},
        )
    except InsufficientFunds:
        raise ValidationError(_("创新券可用余额不足。"), code="insufficient_funds") from None
    order.hold_id = _hold_id(held.hold_uuid)
    order.save(force_insert=True)
    notify.order_placed(order, actor=actor)
    audit.record(
        "vouchers.order.place",
        actor=actor,
        obj=order,
        detail={"price_fen": price, "voucher_fen": share, "voucher": voucher.code},
    )
    return order


def _hold_id(hold_uuid: str | None) -> int:
    from kechuang.ledger.models import Hold

    return int(Hold.objects.filter(uuid=str(hold_uuid)).values_list("pk", flat=True).get())


def _locked_order(order: ServiceOrder) -> tuple[Voucher, ServiceOrder]:
    voucher = (
        Voucher.objects.select_for_update(of=("self",)).select_related("scheme").get(pk=order.voucher_id)
    )
    locked = (
        ServiceOrder.objects.select_for_update(of=("self",))
        .select_related("provider__organization", "hold")
        .get(pk=order.pk)
    )
    return voucher, locked


@atomic_with_retry
def order_accept(*, actor: Any, order: ServiceOrder) -> ServiceOrder:
    _voucher, order = _locked_order(order)
    require(is_system(actor) or perms.can_handle_order(actor, order), _("只有承接该订单的服务机构可以接单。"))
    if order.status != OrderStatus.PLACED:
        raise ValidationError(_("该订单不在待接单状态。"))
    order.status, order.accepted_by, order.accepted_at = OrderStatus.ACCEPTED, user_of(actor), timezone.now()
    order.save(update_fields=["status", "accepted_by", "accepted_at"])
    notify.order_answered(order, actor=actor, accepted=True)
    audit.record("vouchers.order.accept", actor=actor, obj=order)
    return order


def _release_order(*, actor: Any, order: ServiceOrder, status: str, reason: str) -> ServiceOrder:
    ledger.hold_void(
        actor=actor, idempotency_key=f"vouchers.order.void:{order.code}", hold=_held(order), reason=reason
    )
    order.status, order.closed_at, order.close_reason = status, timezone.now(), reason
    order.save(update_fields=["status", "closed_at", "close_reason"])
    return order


@atomic_with_retry
def order_decline(*, actor: Any, order: ServiceOrder, reason: str) -> ServiceOrder:
    _voucher, order = _locked_order(order)
    require(perms.can_handle_order(actor, order), _("只有承接该订单的服务机构可以拒单。"))
    if order.status != OrderStatus.PLACED:
        raise ValidationError(_("只有待接单的订单可以拒绝。"))
    reason = clean_text(reason, 500)
    if not reason:
        raise ValidationError({"reason": _("请填写拒单原因。")})
    _release_order(actor=actor, order=order, status=OrderStatus.DECLINED, reason=reason)
    notify.order_answered(order, actor=actor, accepted=False)
    audit.record("vouchers.order.decline", actor=actor, obj=order)
    return order


@atomic_with_retry
def order_cancel(*, actor: Any, order: ServiceOrder, reason: str = "") -> ServiceOrder:
    _voucher, order = _locked_order(order)
    require(is_system(actor) or perms.can_confirm_order(actor, order), _("只有下单企业可以取消订单。"))
    if order.status not in perms.CANCELLABLE_ORDER:
        raise ValidationError(_("服务已交付或订单已结束，不能取消。"))
    _release_order(
        actor=actor,
        order=order,
        status=OrderStatus.CANCELLED,
        reason=clean_text(reason, 500) or _("企业取消"),
    )
    notify.order_cancelled(order, actor=actor)
    audit.record("vouchers.order.cancel", actor=actor, obj=order)
    return order


@atomic_with_retry
def order_deliver(*, actor: Any, order: ServiceOrder, note: str = "") -> ServiceOrder:
    _voucher, order = _locked_order(order)
    require(
        is_system(actor) or perms.can_handle_order(actor, order), _("只有承接该订单的服务机构可以提交交付。")
    )
    if order.status != OrderStatus.ACCEPTED:
        raise ValidationError(_("只有服务中的订单可以提交交付。"))
    order.status, order.delivered_by, order.delivered_at = (
        OrderStatus.DELIVERED,
        user_of(actor),
        timezone.now(),
    )
    order.delivery_note = clean_text(note, 500)
    order.save(update_fields=["status", "delivered_by", "delivered_at", "delivery_note"])
    notify.order_delivered(order, actor=actor)
    audit.record("vouchers.order.deliver", actor=actor, obj=order)
    return order


@atomic_with_retry
def order_confirm(*, actor: Any, order: ServiceOrder, redeem_fen: int | None = None) -> ServiceOrder:
    """The enterprise confirms delivery: the held share is redeemed (Dr voucher / Cr provider payable).
    ``redeem_fen`` redeems less than the held share (machine time charged at the actual minutes,
    docs/adr/0024-instruments.md); the rest of the hold is released."""
    voucher, order = _locked_order(order)
    # the system confirms only for demo data, which has no enterprise users yet (docs/adr/0024-instruments.md)
    require(is_system(actor) or perms.can_confirm_order(actor, order), _("只有下单企业可以确认交付。"))
    if order.status != OrderStatus.DELIVERED:
        raise ValidationError(_("只有待确认的订单可以确认交付。"))
    if user_of(actor) is not None and order.delivered_by_id == actor.pk:
        raise deny(_("提交交付的人不能确认同一订单。"))
    redeem = order.voucher_fen if redeem_fen is None else redeem_fen
    if isinstance(redeem, bool) or not isinstance(redeem, int) or not 0 < redeem <= order.voucher_fen:
        raise ValidationError({"redeem_fen": _("核销金额须大于零且不超过冻结的创新券额度。")})
    payable = payable_account(voucher.scheme, order.provider)
    result = ledger.hold_capture(
        actor=actor,
        idempotency_key=f"vouchers.order.redeem:{order.code}",
        hold=_held(order),
        destination=payable,
        amount_fen=redeem,
        kind="vouchers.redeem",
        reference=order.code,
        memo=_("订单 %(c)s 核销创新券") % {"c": order.code},
    )
    from kechuang.ledger.models import JournalEntry

    order.redemption_entry = JournalEntry.objects.get(uuid=str(result.entry_uuid))
    order.redeemed_fen = redeem
    order.status, order.confirmed_by, order.confirmed_at = (
        OrderStatus.CONFIRMED,
        user_of(actor),
        timezone.now(),
    )
    order.save(update_fields=["redemption_entry", "redeemed_fen", "status", "confirmed_by", "confirmed_at"])
    notify.order_confirmed(order, actor=actor)
    audit.record(
        "vouchers.order.confirm", actor=actor, obj=order, detail={"redeemed_fen": order.redeemed_fen}
    )
    return order


@atomic_with_retry
def order_rate(*, actor: Any, order: ServiceOrder, score: int, comment: str = "") -> Rating:
    order = ServiceOrder.objects.select_for_update().get(pk=order.pk)
    require(perms.can_confirm_order(actor, order), _("只有下单企业可以评价。"))
    if order.status != OrderStatus.CONFIRMED:
        raise ValidationError(_("确认交付后才能评价。"))
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationError({"score": _("评分为 1 到 5 分。")})
    if Rating.objects.filter(order=order).exists():
        raise ValidationError(_("该订单已经评价过。"))
    rating = Rating.objects.create(
        order=order,
        provider_id=order.provider_id,
        score=score,
        comment=clean_text(comment, 500),
        created_by=user_of(actor),
    )
    audit.record("vouchers.order.rate", actor=actor, obj=order, detail={"score": score})
    return rating


# --- settlement ---------------------------------------------------------------------------------------------


def _checked_invoice(invoice: Any, name: str) -> tuple[bytes, Any]:
    if invoice is None:
        raise ValidationError({"invoice": _("请上传发票。")})
    checked = check_upload(
        invoice, name=name, allowed=INVOICE_KINDS, field="invoice", max_bytes=10 * 1024 * 1024
    )
    if hasattr(invoice, "seek"):
        invoice.seek(0)
    data = invoice if isinstance(invoice, bytes) else invoice.read()
    return data, checked


def _invoice_fields(invoice_number: str, invoice_amount_fen: int, amount: int) -> tuple[str, int]:
    number = clean_text(invoice_number, 40)
    if not number:
        raise ValidationError({"invoice_number": _("请填写发票号码。")})
    invoice_amount = checked_fen(invoice_amount_fen, "invoice_amount_fen")
    if invoice_amount < amount:
        raise ValidationError(
            {"invoice_amount_fen": _("发票金额不能低于申请结算金额 %(a)s。") % {"a": format_fen(amount)}}
        )
    return number, invoice_amount


@atomic_with_retry
def claim_submit(
    *,
    actor: Any,
    order: ServiceOrder,
    invoice: Any,
    invoice_name: str,
    invoice_number: str,
    invoice_amount_fen: int,
) -> SettlementClaim:
    """The provider claims the redeemed voucher share of a confirmed order, with its invoice (checked by
    content: PDF, OFD, PNG or JPEG)."""
    order = ServiceOrder.objects.select_for_update(of=("self",)).select_related("provider").get(pk=order.pk)
    require(perms.can_claim_settlement(actor, order), _("只有承接该订单的服务机构可以申请结算。"))
    if order.status != OrderStatus.CONFIRMED:
        raise ValidationError(_("企业确认交付后才能申请结算。"))
    if SettlementClaim.objects.filter(order=order).exists():
        raise ValidationError(_("该订单已申请结算。"))
    number, invoice_amount = _invoice_fields(invoice_number, invoice_amount_fen, order.redeemed_fen)
    data, checked = _checked_invoice(invoice, invoice_name)
    claim = SettlementClaim(
        code=next_code("vouchers", "QK", width=6),
        order=order,
        provider=order.provider,
        scheme_id=order.scheme_id,
        amount_fen=order.redeemed_fen,
        invoice_number=number,
        invoice_amount_fen=invoice_amount,
        invoice_name=checked.name,
        invoice_content_type=checked.content_type,
        invoice_sha256=checked.sha256,
        submitted_by=user_of(actor),
    )
    claim.invoice.save(checked.name, ContentFile(data), save=False)
    claim.save()
    notify.claim_submitted(claim, actor=actor)
    audit.record(
        "vouchers.claim.submit",
        actor=actor,
        obj=claim,
        detail={"order": order.code, "amount_fen": claim.amount_fen, "invoice_sha256": checked.sha256},
    )
    return claim


@atomic_with_retry
def claim_resubmit(
    *,
    actor: Any,
    claim: SettlementClaim,
    invoice: Any,
    invoice_name: str,
    invoice_number: str,
    invoice_amount_fen: int,
) -> SettlementClaim:
    claim = (
        SettlementClaim.objects.select_for_update(of=("self",)).select_related("provider").get(pk=claim.pk)
    )
    require(perms.can_claim_settlement(actor, claim), _("只有本机构可以重新提交结算申请。"))
    if claim.status != ClaimStatus.REJECTED:
        raise ValidationError(_("只有被退回的结算申请可以重新提交。"))
    claim.invoice_number, claim.invoice_amount_fen = _invoice_fields(
        invoice_number, invoice_amount_fen, claim.amount_fen
    )
    data, checked = _checked_invoice(invoice, invoice_name)
    claim.invoice_name, claim.invoice_content_type, claim.invoice_sha256 = (
        checked.name,
        checked.content_type,
        checked.sha256,
    )
    claim.invoice.save(checked.name, ContentFile(data), save=False)
    claim.status, claim.submitted_by, claim.submitted_at = (
        ClaimStatus.SUBMITTED,
        user_of(actor),
        timezone.now(),
    )
    claim.reviewed_by = claim.reviewed_at = None
    claim.review_note = ""
    claim.save()
    notify.claim_submitted(claim, actor=actor)
    audit.record("vouchers.claim.resubmit", actor=actor, obj=claim, detail={"invoice_sha256": checked.sha256})
    return claim


@atomic_with_retry
def claim_review(*, actor: Any, claim: SettlementClaim, approve: bool, note: str = "") -> SettlementClaim:
    claim = SettlementClaim.objects.select_for_update().get(pk=claim.pk)
    require(
        perms.can_review_claim(actor, claim), _("只有运营人员可以审核结算申请，且不能审核自己提交的申请。")
    )
    if claim.status != perms.REVIEWABLE_CLAIM:
        raise ValidationError(_("该结算申请不在待审核状态。"))
    note = clean_text(note, 500)
    if not approve and not note:
        raise ValidationError({"note": _("退回时请填写原因。")})
    claim.status = ClaimStatus.APPROVED if approve else ClaimStatus.REJECTED
    claim.reviewed_by, claim.reviewed_at, claim.review_note = user_of(actor), timezone.now(), note
    claim.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    notify.claim_reviewed(claim, actor=actor)
    audit.record("vouchers.claim.review", actor=actor, obj=claim, detail={"approve": approve})
    return claim


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


@atomic_with_retry
def batch_create(*, actor: Any, period: dt.date) -> SettlementBatch | None:
    """Gather every claim approved before the end of ``period``'s month and not yet in a batch into a new
    monthly batch. Returns None when there is nothing to settle (so a rerun of the monthly job is safe)."""
    if actor is not None:
        require(perms.can_create_batch(actor), _("只有运营人员可以生成结算批次。"))
    start = month_start(period)
    end = _end_of_day(next_month(start) - dt.timedelta(days=1))
    claims = list(
        SettlementClaim.objects.select_for_update()
        .filter(status=ClaimStatus.APPROVED, batch__isnull=True, reviewed_at__lte=end)
        .order_by("pk")
    )
    if not claims:
        return None
    batch = SettlementBatch.objects.create(
        code=next_code("vouchers", "JP", width=4, year=start.year),
        period=start,
        created_by=user_of(actor),
        total_fen=sum(c.amount_fen for c in claims),
        claim_count=len(claims),
    )
    SettlementClaim.objects.filter(pk__in=[c.pk for c in claims]).update(
        batch=batch, status=ClaimStatus.BATCHED
    )
    notify.batch_created(batch, actor=actor)
    audit.record(
        "vouchers.batch.create",
        actor=actor,
        obj=batch,
        detail={"period": start.isoformat(), "claims": len(claims), "total_fen": batch.total_fen},
    )
    return batch


@atomic_with_retry
def batch_approve(*, actor: Any, batch: SettlementBatch) -> SettlementBatch:
    batch = SettlementBatch.objects.select_for_update().get(pk=batch.pk)
    require(perms.can_approve_batch(actor, batch), _("只有班子领导可以审批结算批次，且制单人不能审批。"))
    if batch.status != perms.APPROVABLE_BATCH:
        raise ValidationError(_("该结算批次不在待审批状态。"))
    batch.status, batch.approved_by, batch.approved_at = BatchStatus.APPROVED, user_of(actor), timezone.now()
    batch.save(update_fields=["status", "approved_by", "approved_at"])
    notify.batch_approved(batch, actor=actor)
    audit.record("vouchers.batch.approve", actor=actor, obj=batch, detail={"total_fen": batch.total_fen})
    return batch


@atomic_with_retry
def batch_return(
    *, actor: Any, batch: SettlementBatch, reason: str, claims: list[str] | None = None
) -> SettlementBatch | None:
    """The leader does not approve a batch as it stands (maker-checker kept: never its maker): the named
    claims, or all of them, leave the batch and go back to the operators' review with the reason; the
    batch keeps the rest for approval, or, left empty, is removed (its audit event remains). Returns the
    batch, or None when it was removed. Nothing was posted for a batch not yet paid, so nothing is undone
    in the ledger."""
    batch = SettlementBatch.objects.select_for_update().get(pk=batch.pk)
    require(perms.can_approve_batch(actor, batch), _("只有班子领导可以审批结算批次，且制单人不能审批。"))
    if batch.status != perms.APPROVABLE_BATCH:
        raise ValidationError(_("该结算批次不在待审批状态。"))
    reason = clean_text(reason, 500)
    if not reason:
        raise ValidationError({"reason": _("退回时请填写原因。")})
    in_batch = list(SettlementClaim.objects.select_for_update().filter(batch=batch).order_by("pk"))
    chosen = [c for c in in_batch if claims is None or c.code in set(claims)]
    if not chosen:
        raise ValidationError({"claims": _("请选择要退回的结算申请。")})
    note = _("结算批次 %(b)s 审批时退回：%(r)s") % {"b": batch.code, "r": reason}
    SettlementClaim.objects.filter(pk__in=[c.pk for c in chosen]).update(
        batch=None, status=ClaimStatus.SUBMITTED, reviewed_by=None, reviewed_at=None, review_note=note[:500]
    )
    kept = [c for c in in_batch if c not in chosen]
    code, creator_id = batch.code, batch.created_by_id
    detail = {"reason": reason, "claims": [c.code for c in chosen], "kept": len(kept)}
    if kept:
        batch.total_fen = sum(c.amount_fen for c in kept)
        batch.claim_count = len(kept)
        batch.save(update_fields=["total_fen", "claim_count"])
        audit.record("vouchers.batch.return", actor=actor, obj=batch, detail=detail)
    else:
        audit.record(
            "vouchers.batch.return",
            actor=actor,
            object_type="vouchers.settlementbatch",
            object_id=str(batch.pk),
            object_repr=code,
            detail=detail,
        )
        batch.delete()
    notify.batch_returned(
        code=code, creator_id=creator_id, actor=actor, reason=reason, count=len(chosen), removed=not kept
    )
    return batch if kept else None


@atomic_with_retry
def batch_pay(*, actor: Any, batch: SettlementBatch) -> SettlementBatch:
    """Record that the batch was paid: one posting per claim, Dr provider payable / Cr scheme fund, each
    with the claim as its unique business reference (a claim can never be paid twice)."""
    require(perms.can_pay_batch(actor), _("只有运营人员可以登记结算支付。"))
    batch = SettlementBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != perms.PAYABLE_BATCH:
        raise ValidationError(_("结算批次审批通过后才能支付。"))
    from kechuang.ledger.models import JournalEntry

    claims = list(SettlementClaim.objects.select_for_update().filter(batch=batch).order_by("pk"))
    now = timezone.now()
    for claim in claims:
        claim = SettlementClaim.objects.select_related("scheme__fund_account", "provider__organization").get(
            pk=claim.pk
        )
        result = ledger.post(
            actor=actor,
            idempotency_key=f"vouchers.claim.pay:{claim.code}",
            kind="vouchers.settle",
            memo=_("结算批次 %(b)s 支付 %(c)s") % {"b": batch.code, "c": claim.code},
            reference=claim.code,
            business_reference=f"vouchers.claim:{claim.code}",
            lines=[
                ledger.debit(payable_account(claim.scheme, claim.provider), claim.amount_fen),
                ledger.credit(_opened(claim.scheme.fund_account, _("批次资金")), claim.amount_fen),
            ],
        )
        SettlementClaim.objects.filter(pk=claim.pk).update(
            status=ClaimStatus.PAID,
            paid_at=now,
            payment_entry=JournalEntry.objects.get(uuid=str(result.entry_uuid)),
        )
    batch.status, batch.paid_by, batch.paid_at = BatchStatus.PAID, user_of(actor), now
    batch.save(update_fields=["status", "paid_by", "paid_at"])
    notify.batch_paid(batch, actor=actor)
    audit.record(
        "vouchers.batch.pay",
        actor=actor,
        obj=batch,
        detail={"claims": len(claims), "total_fen": batch.total_fen},
    )
    return batch


def batch_export(*, actor: Any, batch: SettlementBatch) -> bytes:
    """The settlement file (Excel, formula-safe cells); the export is audited (docs/reliability.md C1)."""
    from kechuang.core.excel import SheetData, workbook_bytes

    from .selectors import batch_export_rows

    require(perms.can_export_batch(actor), _("只有运营人员或班子领导可以导出结算文件。"))
    batch = SettlementBatch.objects.select_related("created_by", "approved_by").get(pk=batch.pk)
    header, rows = batch_export_rows(batch)
    summary: list[list[Any]] = [
        ["结算批次", batch.code],
        ["结算月份", f"{batch.period:%Y-%m}"],
        ["状态", batch.get_status_display()],
        ["结算笔数", batch.claim_count],
        ["结算金额（元）", batch.total_fen / 100],
        ["制单人", str(batch.created_by or "系统")],
        ["审批人", str(batch.approved_by or "")],
        ["支付时间", batch.paid_at],
    ]
    content = workbook_bytes(
        [
            SheetData(
                title="结算明细",
                header=header,
                rows=rows,
                widths=[18, 18, 30, 20, 24, 12, 14, 14, 14, 20, 12],
                text_columns=[0, 1, 3, 8],
            ),
            SheetData(title="汇总", header=["项目", "内容"], rows=summary, widths=[18, 30]),
        ]
    )
    with transaction.atomic():
        SettlementBatch.objects.filter(pk=batch.pk).update(exported_at=timezone.now())
        audit.record("vouchers.batch.export", actor=actor, obj=batch, detail={"rows": len(rows)})
    return content
