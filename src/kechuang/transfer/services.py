"""Every write of the transfer platform: ``<entity>_<verb>(*, actor, ...)``, atomic, permission-checked,
audited. ``actor=None`` means the system itself (demo data, commands) and skips the permission checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core import audit
from kechuang.core.actors import deny, is_system
from kechuang.core.codes import next_code
from kechuang.core.money import optional_fen
from kechuang.core.text import refuse_nul
from kechuang.core.uploads import check_upload
from kechuang.directory.models import Organization, TechnologyField

from . import matching, notify
from .choices import (
    AchievementStatus,
    AttachmentAccess,
    ContractType,
    CooperationMode,
    DealNoteKind,
    DealStage,
    DemandStatus,
    InterestStatus,
    IPKind,
    Visibility,
)
from .models import (
    Achievement,
    Attachment,
    ContractRegistration,
    Deal,
    DealNote,
    Demand,
    Interest,
)
from .permissions import (
    can_advance_deal,
    can_change_listing,
    can_create_achievement,
    can_create_deal,
    can_create_demand,
    can_express_interest,
    can_note_deal,
    can_register_contract,
    can_respond_interest,
    can_review_listing,
    can_withdraw_interest,
    is_member_of,
    listing_is_open,
)
from .workflow import (
    ACHIEVEMENT_PUBLIC_STATUSES,
    ACHIEVEMENT_TRANSITIONS,
    DEAL_TRANSITIONS,
    DEMAND_PUBLIC_STATUSES,
    DEMAND_TRANSITIONS,
    INTEREST_TRANSITIONS,
    Transition,
)

Listing = Achievement | Demand


class _ListingData(TypedDict, total=False):
    title: str
    summary: str
    keywords: str
    visibility: str
    contact_name: str
    contact_phone: str
    contact_email: str


class AchievementData(_ListingData, total=False):
    """The fields ``achievement_create`` and ``achievement_update`` take, by name and type."""

    problem_solved: str
    advantages: str
    scenarios: str
    trl: int | None
    ip_kinds: list[str]
    ip_details: str
    transfer_modes: list[str]
    asking_price_fen: int | None
    asking_terms: str
    team: str


class DemandData(_ListingData, total=False):
    """The fields ``demand_create`` and ``demand_update`` take, by name and type."""

    current_state: str
    target_indicators: str
    trl_required: int | None
    budget_min_fen: int | None
    budget_max_fen: int | None
    deadline: date | None
    cooperation_modes: list[str]


class DealData(TypedDict, total=False):
    """What ``deal_update`` changes: the owner (负责人), the next step and its due date, the amount."""

    title: str
    owner: Any
    next_step: str
    next_step_due: date | None
    expected_amount_fen: int | None


COMMON_FIELDS = set(_ListingData.__annotations__)
ACHIEVEMENT_FIELDS = COMMON_FIELDS | set(AchievementData.__annotations__)
DEMAND_FIELDS = COMMON_FIELDS | set(DemandData.__annotations__)
DEAL_FIELDS = set(DealData.__annotations__)


def _choice_list(values: Iterable[str] | None, choices: Any, field: str) -> list[str]:
    values = list(values or [])
    valid = set(choices.values)
    bad = [v for v in values if v not in valid]
    if bad:
        raise ValidationError({field: _("无效的选项：%(v)s") % {"v": "、".join(map(str, bad))}})
    return [v for v in choices.values if v in values]  # canonical order, no duplicates


def _normalize_keywords(value: str) -> str:
    words = [w for w in re.split(r"[\s,，;；、]+", value or "") if w]
    seen: list[str] = []
    for w in words:
        if w not in seen:
            seen.append(w[:20])
    return " ".join(seen)[:200]


def _apply(instance: Model, data: Mapping[str, Any], allowed: set[str]) -> list[str]:
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError(_("不能修改这些字段：%(names)s") % {"names": "、".join(sorted(unknown))})
    changed = []
    for key, value in data.items():
        if getattr(instance, key) != value:
            setattr(instance, key, value)
            changed.append(key)
    return changed


def _prepare_listing_data(raw: Mapping[str, Any], *, achievement: bool) -> dict[str, Any]:
    refuse_nul(raw)
    data = dict(raw)
    if "keywords" in data:
        data["keywords"] = _normalize_keywords(data["keywords"] or "")
    if "visibility" in data and data["visibility"] not in Visibility.values:
        raise ValidationError({"visibility": _("无效的公开范围。")})
    for key in ("title", "summary"):
        if key in data and isinstance(data[key], str):
            data[key] = data[key].strip()
    if achievement:
        if "ip_kinds" in data:
            data["ip_kinds"] = _choice_list(data["ip_kinds"], IPKind, "ip_kinds")
        if "transfer_modes" in data:
            data["transfer_modes"] = _choice_list(data["transfer_modes"], CooperationMode, "transfer_modes")
        if "asking_price_fen" in data:
            data["asking_price_fen"] = optional_fen(data["asking_price_fen"], "asking_price_fen")
    else:
        if "cooperation_modes" in data:
            data["cooperation_modes"] = _choice_list(
                data["cooperation_modes"], CooperationMode, "cooperation_modes"
            )
        for key in ("budget_min_fen", "budget_max_fen"):
            if key in data:
                data[key] = optional_fen(data[key], key)
    return data


def _validate_listing(listing: Listing) -> None:
    """Field-level checks first (messages name the field), then the model's own validation."""
    errors: dict[str, str] = {}
    if len(listing.title or "") < 4:
        errors["title"] = _("标题太短，请至少写 4 个字。")
    if isinstance(listing, Demand):
        low, high = listing.budget_min_fen, listing.budget_max_fen
        if low is not None and high is not None and low > high:
            errors["budget_max_fen"] = _("预算上限不能低于预算下限。")
        if listing.deadline and listing.pk is None and listing.deadline < timezone.localdate():
            errors["deadline"] = _("期望完成日期不能早于今天。")
        trl = listing.trl_required
    else:
        trl = listing.trl
    if trl is not None and not (isinstance(trl, int) and 1 <= trl <= 9):
        errors["trl_required" if isinstance(listing, Demand) else "trl"] = _("技术成熟度（TRL）应为 1–9。")
    if errors:
        raise ValidationError(errors)
    listing.full_clean(exclude=["code", "organization", "created_by", "reviewed_by"])


def _assign_code(obj: Any, prefix: str) -> None:
    obj.code = next_code("transfer", prefix, width=6)
    type(obj).objects.filter(pk=obj.pk).update(code=obj.code)


def _public_statuses(listing: Listing) -> frozenset[str]:
    return ACHIEVEMENT_PUBLIC_STATUSES if isinstance(listing, Achievement) else DEMAND_PUBLIC_STATUSES


def _listing_label(listing: Listing) -> str:
    return _("科技成果") if isinstance(listing, Achievement) else _("技术需求")


def listing_url(listing: Listing) -> str:
    name = "transfer:achievement-detail" if isinstance(listing, Achievement) else "transfer:demand-detail"
    return reverse(name, args=[listing.code])


# --- listings: create, update ------------------------------------------------------------------------


def _listing_create(
    model: type[Listing],
    *,
    actor: Any,
    organization: Organization,
    fields: Iterable[TechnologyField],
    data: Mapping[str, Any],
) -> Listing:
    is_achievement = model is Achievement
    if not is_system(actor):
        allowed = can_create_achievement(actor) if is_achievement else can_create_demand(actor)
        if not allowed:
            raise deny(_("您的角色不能发布%(what)s。") % {"what": _listing_label(model())})
        if organization is None or not is_member_of(actor, organization.pk):
            raise deny(_("请先选择您所代表的机构。"))
    data = _prepare_listing_data(data, achievement=is_achievement)
    listing = model(organization=organization, created_by=actor)
    _apply(listing, data, ACHIEVEMENT_FIELDS if is_achievement else DEMAND_FIELDS)
    if not listing.contact_name and organization.contact_name:
        listing.contact_name = organization.contact_name
    if not listing.contact_phone and organization.contact_phone:
        listing.contact_phone = organization.contact_phone
    _validate_listing(listing)
    listing.save()
    _assign_code(listing, model.CODE_PREFIX)
    if fields:
        listing.fields.set(list(fields))
    audit.record(f"{model.KIND}.create", actor=actor, obj=listing)
    return listing


@transaction.atomic
def achievement_create(
    *,
    actor: Any,
    organization: Organization,
    fields: Iterable[TechnologyField] = (),
    **data: Unpack[AchievementData],
) -> Achievement:
    """A new achievement, as a draft of ``organization``."""
    return _listing_create(Achievement, actor=actor, organization=organization, fields=fields, data=data)  # type: ignore[return-value]


@transaction.atomic
def demand_create(
    *,
    actor: Any,
    organization: Organization,
    fields: Iterable[TechnologyField] = (),
    **data: Unpack[DemandData],
) -> Demand:
    """A new demand, as a draft of ``organization``."""
    return _listing_create(Demand, actor=actor, organization=organization, fields=fields, data=data)  # type: ignore[return-value]


def _listing_update(
    listing: Listing, *, actor: Any, fields: Iterable[TechnologyField] | None, data: Mapping[str, Any]
) -> Listing:
    model = type(listing)
    locked = model.objects.select_for_update().get(pk=listing.pk)
    if not is_system(actor) and not can_change_listing.test(actor, locked):
        if is_member_of(actor, locked.organization_id):
            raise deny(
                _("当前状态（%(status)s）下不能修改；请先撤回。") % {"status": locked.get_status_display()}
            )
        raise deny(_("您无权修改该条目。"))
    data = _prepare_listing_data(data, achievement=model is Achievement)
    changed = _apply(locked, data, ACHIEVEMENT_FIELDS if model is Achievement else DEMAND_FIELDS)
    _validate_listing(locked)
    locked.save()
    if fields is not None:
        new = sorted(f.pk for f in fields)
        if new != sorted(locked.fields.values_list("pk", flat=True)):
            locked.fields.set(new)
            changed.append("fields")
    if locked.status in _public_statuses(locked) and changed:
        matching.listing_changed(locked)
    audit.record(f"{model.KIND}.update", actor=actor, obj=locked, detail={"changed": sorted(changed)})
    return locked


@transaction.atomic
def achievement_update(
    *,
    actor: Any,
    achievement: Achievement,
    fields: Iterable[TechnologyField] | None = None,
    **data: Unpack[AchievementData],
) -> Achievement:
    return _listing_update(achievement, actor=actor, fields=fields, data=data)  # type: ignore[return-value]


@transaction.atomic
def demand_update(
    *, actor: Any, demand: Demand, fields: Iterable[TechnologyField] | None = None, **data: Unpack[DemandData]
) -> Demand:
    return _listing_update(demand, actor=actor, fields=fields, data=data)  # type: ignore[return-value]


# --- listings: workflow ------------------------------------------------------------------------------


def _allowed(t: Transition, actor: Any, listing: Listing) -> bool:
    if is_system(actor):
        return True
    owner = is_member_of(actor, listing.organization_id)
    operator = bool(can_review_listing(actor))
    return (
        (t.actor == "owner" and owner)
        or (t.actor == "operator" and operator)
        or (t.actor == "either" and (owner or operator))
    )


def _listing_transition(listing: Listing, *, actor: Any, target: str, note: str = "") -> Listing:
    model = type(listing)
    table = ACHIEVEMENT_TRANSITIONS if model is Achievement else DEMAND_TRANSITIONS
    locked = model.objects.select_for_update().get(pk=listing.pk)
    source = locked.status
    step = table.get((source, target))
    if step is None:
        raise ValidationError(
            _("不能从“%(a)s”变为“%(b)s”。")
            % {
                "a": locked.get_status_display(),
                "b": dict(locked._meta.get_field("status").flatchoices).get(target, target),
            }
        )
    if not _allowed(step, actor, locked):
        raise deny(_("您无权执行“%(action)s”。") % {"action": step.label})
    if "\x00" in (note or ""):
        raise ValidationError({"note": _("不能包含空字符。")})
    now = timezone.now()
    if step.action == "return" and not (note or "").strip():
        raise ValidationError({"note": _("退回时请写明需要修改的地方。")})
    if step.action == "submit":
        _validate_listing(locked)
        if not locked.summary.strip():
            raise ValidationError({"summary": _("提交前请填写简介。")})
        locked.submitted_at = now
    if step.action in ("publish", "return"):
        locked.reviewed_by = actor
        locked.review_note = (note or "")[:500]
    if step.action == "publish":
        locked.published_at = locked.published_at or now
    locked.status = target
    locked.save()
    was_public = source in _public_statuses(locked)
    is_public = target in _public_statuses(locked)
    if was_public or is_public:
        matching.listing_changed(locked)
    audit.record(
        f"{model.KIND}.{step.action}",
        actor=actor,
        obj=locked,
        detail={"from": source, "to": target, "note": (note or "")[:200]},
    )
    if step.action in ("publish", "return"):
        notify.listing_reviewed(locked, approved=step.action == "publish", note=note)
    elif step.action == "submit":
        notify.listing_submitted(locked)
    return locked


@transaction.atomic
def achievement_transition(
    *, actor: Any, achievement: Achievement, target: str, note: str = ""
) -> Achievement:
    return _listing_transition(achievement, actor=actor, target=target, note=note)  # type: ignore[return-value]


@transaction.atomic
def demand_transition(*, actor: Any, demand: Demand, target: str, note: str = "") -> Demand:
    return _listing_transition(demand, actor=actor, target=target, note=note)  # type: ignore[return-value]


def achievement_submit(*, actor: Any, achievement: Achievement) -> Achievement:
    return achievement_transition(actor=actor, achievement=achievement, target=AchievementStatus.SUBMITTED)


def achievement_review(*, actor: Any, achievement: Achievement, approve: bool, note: str = "") -> Achievement:
    target = AchievementStatus.PUBLISHED if approve else AchievementStatus.RETURNED
    return achievement_transition(actor=actor, achievement=achievement, target=target, note=note)


def demand_submit(*, actor: Any, demand: Demand) -> Demand:
    return demand_transition(actor=actor, demand=demand, target=DemandStatus.SUBMITTED)


def demand_review(*, actor: Any, demand: Demand, approve: bool, note: str = "") -> Demand:
    target = DemandStatus.PUBLISHED if approve else DemandStatus.RETURNED
    return demand_transition(actor=actor, demand=demand, target=target, note=note)


# --- attachments -------------------------------------------------------------------------------------

MAX_ATTACHMENTS = 10


@transaction.atomic
def attachment_add(
    *, actor: Any, listing: Listing, file: Any, access: str = AttachmentAccess.LISTING
) -> Attachment:
    """Attach a file after checking its content (docs/reliability.md K3)."""
    if not is_system(actor) and not (
        is_member_of(actor, listing.organization_id) or can_review_listing(actor)
    ):
        raise deny(_("只有发布机构可以上传附件。"))
    if access not in AttachmentAccess.values:
        raise ValidationError({"access": _("无效的查看范围。")})
    lookup = {"achievement": listing} if isinstance(listing, Achievement) else {"demand": listing}
    if Attachment.objects.filter(**lookup).count() >= MAX_ATTACHMENTS:
        raise ValidationError({"file": _("每条最多 %(n)s 个附件。") % {"n": MAX_ATTACHMENTS}})
    checked = check_upload(file, name=getattr(file, "name", "") or "", field="file")
    from django.core.files.base import ContentFile

    if hasattr(file, "seek"):
        file.seek(0)
    content = file.read() if hasattr(file, "read") else bytes(file)
    attachment = Attachment(
        **lookup,
        original_name=checked.name,
        content_type=checked.content_type,
        kind_label=checked.label,
        size=checked.size,
        sha256=checked.sha256,
        access=access,
        uploaded_by=actor,
    )
    attachment.file.save("upload.bin", ContentFile(content), save=False)
    attachment.save()
    audit.record(
        "attachment.add",
        actor=actor,
        obj=attachment,
        detail={"listing": listing.code, "sha256": checked.sha256, "kind": checked.kind},
    )
    return attachment


@transaction.atomic
def attachment_remove(*, actor: Any, attachment: Attachment) -> None:
    listing = attachment.listing
    if not is_system(actor) and not (
        is_member_of(actor, listing.organization_id) or can_review_listing(actor)
    ):
        raise deny(_("只有发布机构可以删除附件。"))
    audit.record("attachment.remove", actor=actor, obj=attachment, detail={"listing": listing.code})
    stored = attachment.file
    attachment.delete()
    transaction.on_commit(lambda: stored.delete(save=False))


# --- interest ----------------------------------------------------------------------------------------


@transaction.atomic
def interest_express(
    *,
    actor: Any,
    listing: Listing,
    organization: Organization,
    message: str,
    contact_name: str = "",
    contact_phone: str = "",
) -> Interest:
    """An organization asks about a published listing; the owner is notified."""
    refuse_nul({"message": message, "contact_name": contact_name, "contact_phone": contact_phone})
    if not is_system(actor):
        if not can_express_interest(actor):
            raise deny(_("您的角色不能表达意向。"))
        if organization is None or not is_member_of(actor, organization.pk):
            raise deny(_("请先选择您所代表的机构。"))
    model = type(listing)
    locked = model.objects.select_for_update().get(pk=listing.pk)
    if not listing_is_open(locked):
        raise ValidationError(_("该条目当前不接受意向。"))
    if locked.organization_id == organization.pk:
        raise ValidationError(_("不能对本机构发布的条目表达意向。"))
    message = (message or "").strip()
    if len(message) < 5:
        raise ValidationError({"message": _("请简要说明您的意向（至少 5 个字）。")})
    lookup = {"achievement": locked} if model is Achievement else {"demand": locked}
    if Interest.objects.filter(
        **lookup, organization=organization, status__in=[InterestStatus.PENDING, InterestStatus.ACCEPTED]
    ).exists():
        raise ValidationError(_("贵机构已对该条目表达过意向，请等待对方回复。"))
    interest = Interest(
        **lookup,
        organization=organization,
        created_by=actor,
        message=message[:2000],
        contact_name=(contact_name or "")[:40],
        contact_phone=(contact_phone or "")[:20],
    )
    interest.full_clean(
        exclude=["code", "created_by", "responded_by", "achievement", "demand", "organization"]
    )
    try:
        with transaction.atomic():
            interest.save()
    except IntegrityError:
        raise ValidationError(_("贵机构已对该条目表达过意向，请等待对方回复。")) from None
    _assign_code(interest, Interest.CODE_PREFIX)
    audit.record("interest.express", actor=actor, obj=interest, detail={"listing": locked.code})
    notify.interest_expressed(interest)
    return interest


def _interest_step(interest: Interest, *, actor: Any, target: str, note: str) -> tuple[Interest, Transition]:
    locked = (
        Interest.objects.select_for_update(of=("self",))
        .select_related("achievement", "demand")
        .get(pk=interest.pk)
    )
    step = INTEREST_TRANSITIONS.get((locked.status, target))
    if step is None:
        raise ValidationError(_("该意向已处理（%(s)s），不能再变更。") % {"s": locked.get_status_display()})
    if not is_system(actor):
        allowed = (
            can_withdraw_interest.test(actor, locked)
            if step.actor == "requester"
            else can_respond_interest.test(actor, locked)
        )
        if not allowed:
            raise deny(_("您无权处理该意向。"))
    refuse_nul({"note": note or ""})
    locked.status = target
    locked.response_note = (note or "")[:500]
    if step.actor == "owner":
        locked.responded_by = actor
        locked.responded_at = timezone.now()
    locked.save()
    audit.record(f"interest.{step.action}", actor=actor, obj=locked, detail={"to": target})
    return locked, step


@transaction.atomic
def interest_accept(*, actor: Any, interest: Interest, note: str = "") -> Interest:
    """The owner accepts: contact details are released to the asking organization and a deal opens
    at 意向."""
    locked, _step = _interest_step(interest, actor=actor, target=InterestStatus.ACCEPTED, note=note)
    listing = locked.listing
    if isinstance(listing, Achievement):
        supplier, buyer = listing.organization, locked.organization
    else:
        supplier, buyer = locked.organization, listing.organization
    if supplier.pk != buyer.pk and not Deal.objects.filter(interest=locked).exists():
        deal = Deal(
            title=listing.title[:160],
            achievement=listing if isinstance(listing, Achievement) else None,
            demand=listing if isinstance(listing, Demand) else None,
            interest=locked,
            supplier=supplier,
            buyer=buyer,
            stage=DealStage.INTENT,
            created_by=actor,
            next_step=_("双方联系，约定首次洽谈"),
        )
        deal.save()
        _assign_code(deal, Deal.CODE_PREFIX)
        DealNote.objects.create(
            deal=deal,
            kind=DealNoteKind.SYSTEM,
            to_stage=DealStage.INTENT,
            author=actor,
            text=_("意向 %(code)s 被接受，建立对接。") % {"code": locked.code},
        )
        audit.record("deal.create", actor=actor, obj=deal, detail={"interest": locked.code})
    notify.interest_answered(locked)
    return locked


@transaction.atomic
def interest_decline(*, actor: Any, interest: Interest, note: str = "") -> Interest:
    locked, _step = _interest_step(interest, actor=actor, target=InterestStatus.DECLINED, note=note)
    notify.interest_answered(locked)
    return locked


@transaction.atomic
def interest_withdraw(*, actor: Any, interest: Interest) -> Interest:
    locked, _step = _interest_step(interest, actor=actor, target=InterestStatus.WITHDRAWN, note="")
    return locked


# --- deals -------------------------------------------------------------------------------------------


@transaction.atomic
def deal_create(
    *,
    actor: Any,
    title: str,
    supplier: Organization,
    buyer: Organization,
    achievement: Achievement | None = None,
    demand: Demand | None = None,
    owner: Any = None,
    next_step: str = "",
    next_step_due: date | None = None,
    expected_amount_fen: int | None = None,
    stage: str = DealStage.INTENT,
) -> Deal:
    """An operator opens a brokered deal (deals also open when an interest is accepted)."""
    if not is_system(actor) and not can_create_deal(actor):
        raise deny(_("只有运营人员可以建立对接项目。"))
    refuse_nul({"title": title, "next_step": next_step})
    if supplier.pk == buyer.pk:
        raise ValidationError({"buyer": _("供给方与需求方不能是同一机构。")})
    if stage not in DealStage.values:
        raise ValidationError({"stage": _("无效的阶段。")})
    deal = Deal(
        title=(title or "").strip()[:160],
        supplier=supplier,
        buyer=buyer,
        achievement=achievement,
        demand=demand,
        owner=owner or actor,
        next_step=(next_step or "")[:200],
        next_step_due=next_step_due,
        expected_amount_fen=optional_fen(expected_amount_fen, "expected_amount_fen"),
        stage=stage,
        created_by=actor,
    )
    if len(deal.title) < 2:
        raise ValidationError({"title": _("请填写项目名称。")})
    deal.save()
    _assign_code(deal, Deal.CODE_PREFIX)
    DealNote.objects.create(
        deal=deal, kind=DealNoteKind.SYSTEM, to_stage=stage, author=actor, text=_("建立对接项目。")
    )
    audit.record("deal.create", actor=actor, obj=deal)
    return deal


@transaction.atomic
def deal_advance(
    *,
    actor: Any,
    deal: Deal,
    stage: str,
    note: str = "",
    next_step: str | None = None,
    next_step_due: date | None = None,
) -> Deal:
    """Move a deal one step along 意向 → 洽谈 → 签约 → 登记 → 实施 → 验收 (or back one, or terminate)."""
    locked = Deal.objects.select_for_update().get(pk=deal.pk)
    if not is_system(actor) and not can_advance_deal.test(actor, locked):
        raise deny(_("只有运营人员可以推进对接阶段。"))
    refuse_nul({"note": note or "", "next_step": next_step or ""})
    step = DEAL_TRANSITIONS.get((locked.stage, stage))
    if step is None:
        label = dict(DealStage.choices).get(stage, stage)
        raise ValidationError(
            {"stage": _("不能从“%(a)s”直接变为“%(b)s”。") % {"a": locked.get_stage_display(), "b": label}}
        )
    if stage == DealStage.REGISTERED and step.action == "advance" and not locked.contracts.exists():
        raise ValidationError({"stage": _("请先登记技术合同，再推进到“登记”。")})
    if stage == DealStage.TERMINATED and not (note or "").strip():
        raise ValidationError({"note": _("终止对接时请写明原因。")})
    source = locked.stage
    locked.stage = stage
    locked.stage_changed_at = timezone.now()
    if next_step is not None:
        locked.next_step = next_step[:200]
    if next_step_due is not None:
        locked.next_step_due = next_step_due
    if locked.owner_id is None and actor is not None:
        locked.owner = actor
    locked.save()
    DealNote.objects.create(
        deal=locked,
        kind=DealNoteKind.STAGE,
        from_stage=source,
        to_stage=stage,
        author=actor,
        text=(note or "").strip()[:2000] or str(step.label),
    )
    audit.record(f"deal.{step.action}", actor=actor, obj=locked, detail={"from": source, "to": stage})
    notify.deal_moved(locked, source)
    return locked


@transaction.atomic
def deal_update(*, actor: Any, deal: Deal, **data: Unpack[DealData]) -> Deal:
    """Owner (负责人), next step and its due date, expected amount."""
    locked = Deal.objects.select_for_update().get(pk=deal.pk)
    if not is_system(actor) and not can_advance_deal.test(actor, locked):
        raise deny(_("只有运营人员可以修改对接项目。"))
    refuse_nul(data)
    if "expected_amount_fen" in data:
        data["expected_amount_fen"] = optional_fen(data["expected_amount_fen"], "expected_amount_fen")
    changed = _apply(locked, data, DEAL_FIELDS)
    locked.full_clean(
        exclude=["code", "achievement", "demand", "interest", "supplier", "buyer", "created_by"]
    )
    locked.save()
    audit.record("deal.update", actor=actor, obj=locked, detail={"changed": sorted(changed)})
    return locked


@transaction.atomic
def deal_note_add(*, actor: Any, deal: Deal, text: str) -> DealNote:
    if not is_system(actor) and not can_note_deal.test(actor, deal):
        raise deny(_("您无权在该项目下记录。"))
    refuse_nul({"text": text})
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("请填写记录内容。")})
    note = DealNote.objects.create(deal=deal, kind=DealNoteKind.NOTE, text=text[:2000], author=actor)
    Deal.objects.filter(pk=deal.pk).update(updated_at=timezone.now())
    audit.record("deal.note", actor=actor, obj=deal, detail={"note_id": note.pk})
    return note


# --- contract registration ---------------------------------------------------------------------------

_REG_NUMBER = re.compile(r"^[0-9A-Z][0-9A-Z\-]{5,31}$")


def _next_registration_number(signed_on: date) -> str:
    prefix = f"{signed_on.year}JS"
    count = ContractRegistration.objects.filter(registration_number__startswith=prefix).count()
    while True:
        count += 1
        candidate = f"{prefix}{count:06d}"
        if not ContractRegistration.objects.filter(registration_number=candidate).exists():
            return candidate


@transaction.atomic
def contract_register(
    *,
    actor: Any,
    contract_type: str,
    title: str,
    seller: Organization,
    buyer: Organization,
    signed_on: date,
    contract_amount_fen: int,
    technology_amount_fen: int,
    registration_number: str = "",
    deal: Deal | None = None,
    note: str = "",
) -> ContractRegistration:
    """Register a technology contract (技术合同登记). With a deal at 签约 the deal moves to 登记."""
    if not is_system(actor) and not can_register_contract(actor):
        raise deny(_("只有运营人员可以登记技术合同。"))
    refuse_nul({"title": title, "registration_number": registration_number, "note": note})
    errors: dict[str, str] = {}
    if contract_type not in ContractType.values:
        errors["contract_type"] = _("请选择合同类型。")
    if seller.pk == buyer.pk:
        errors["buyer"] = _("买卖双方不能是同一机构。")
    contract_amount_fen = optional_fen(contract_amount_fen, "contract_amount_fen")  # type: ignore[assignment]
    technology_amount_fen = optional_fen(technology_amount_fen, "technology_amount_fen")  # type: ignore[assignment]
    if not contract_amount_fen:
        errors["contract_amount_fen"] = _("合同成交额必须大于零。")
    if technology_amount_fen is None:
        errors["technology_amount_fen"] = _("请填写技术交易额。")
    elif contract_amount_fen and technology_amount_fen > contract_amount_fen:
        errors["technology_amount_fen"] = _("技术交易额不能超过合同成交额。")
    if signed_on and signed_on > timezone.localdate():
        errors["signed_on"] = _("签订日期不能晚于今天。")
    title = (title or "").strip()
    if len(title) < 2:
        errors["title"] = _("请填写合同名称。")
    number = re.sub(r"\s+", "", registration_number or "").upper()
    if number and not _REG_NUMBER.match(number):
        errors["registration_number"] = _("登记号只能包含数字、大写字母和连字符，6–32 位。")
    elif number and ContractRegistration.objects.filter(registration_number=number).exists():
        errors["registration_number"] = _("登记号 %(n)s 已被使用。") % {"n": number}
    locked_deal = None
    if deal is not None:
        locked_deal = Deal.objects.select_for_update().get(pk=deal.pk)
        if locked_deal.stage in (DealStage.INTENT, DealStage.NEGOTIATION, DealStage.TERMINATED):
            errors["deal"] = _("项目处于“%(s)s”阶段，签约后才能登记合同。") % {
                "s": locked_deal.get_stage_display()
            }
        elif {locked_deal.supplier_id, locked_deal.buyer_id} != {seller.pk, buyer.pk}:
            errors["deal"] = _("合同双方与对接项目的双方不一致。")
    if errors:
        raise ValidationError(errors)
    contract = ContractRegistration(
        registration_number=number or _next_registration_number(signed_on),
        contract_type=contract_type,
        title=title[:160],
        deal=locked_deal,
        seller=seller,
        buyer=buyer,
        signed_on=signed_on,
        contract_amount_fen=contract_amount_fen,
        technology_amount_fen=technology_amount_fen,
        note=(note or "")[:500],
        registered_by=actor,
    )
    try:
        with transaction.atomic():
            contract.save()
    except IntegrityError:
        raise ValidationError({"registration_number": _("登记号已被使用，请重试。")}) from None
    _assign_code(contract, ContractRegistration.CODE_PREFIX)
    audit.record(
        "contract.register",
        actor=actor,
        obj=contract,
        detail={
            "registration_number": contract.registration_number,
            "contract_amount_fen": contract_amount_fen,
            "technology_amount_fen": technology_amount_fen,
            "deal": locked_deal.code if locked_deal else "",
        },
    )
    if locked_deal is not None and locked_deal.stage == DealStage.SIGNED:
        deal_advance(
            actor=actor,
            deal=locked_deal,
            stage=DealStage.REGISTERED,
            note=_("技术合同已登记，登记号 %(n)s。") % {"n": contract.registration_number},
            next_step=_("组织实施"),
        )
    return contract
