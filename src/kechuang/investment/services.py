"""Every write of the investment app: ``<entity>_<verb>(*, actor, ...)``, typed, keyword-only, atomic,
permission-checked, audited (docs/conventions.md; docs/adr/0026-investment-attraction.md).

Clocks run on the service desk's working-day calendar (``servicedesk.workcalendar``): a lead is
acknowledged within 1 working day of being received, first assessed within 3, the company hears back
within 5, and the lead is updated at least every 10 working days. ``clocks_tick`` (the scheduler's
``investment-clocks`` job) escalates each breach once to the responsible leader: the unique
``LeadEscalation`` row per (lead, clock, due time) is the idempotency key.

Landing (``lead_advance`` into 注册) is one transaction: the organization in the directory with its USCC
checked, the commissioner assignment, the 一企一策 plan and, for a key project, the leader's 包保.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kechuang.core import audit
from kechuang.core.actors import Actor, deny, is_system, require, user_of
from kechuang.core.errors import ApplicationError, Conflict
from kechuang.core.money import checked_fen
from kechuang.core.roles import Role, roles_of
from kechuang.core.text import checked_text, clean_text
from kechuang.core.uploads import check_upload
from kechuang.directory import uscc as uscc_rules
from kechuang.directory.choices import OrganizationKind
from kechuang.directory.models import Block, Organization, TechnologyField
from kechuang.notifications.services import notification_send, role_holders
from kechuang.notifications.text import lazy_text
from kechuang.servicedesk import clock
from kechuang.servicedesk.workcalendar import work_calendar
from kechuang.spaces.choices import LeaseStatus, SpaceType
from kechuang.spaces.models import Lease, Reservation, SpaceUnit

from . import permissions as perms
from .choices import (
    AUTOMATIC_SIGNALS,
    CLOSED_STAGES,
    EVIDENCE_FOR,
    PIPELINE,
    ActivityKind,
    LeadClock,
    LeadSource,
    LeadStage,
    LostReason,
    ProjectStatus,
    RetentionSignal,
    RetentionStatus,
)
from .models import (
    AnnualTarget,
    KeyProject,
    Lead,
    LeadActivity,
    LeadDocument,
    LeadEscalation,
    Milestone,
    ProjectIssue,
    ProjectStatusReport,
    RetentionAction,
    RetentionCase,
    StageEvidence,
    new_code,
)

ACKNOWLEDGE_DAYS = 1
ASSESSMENT_DAYS = 3
FEEDBACK_DAYS = 5
UPDATE_DAYS = 10
MAX_AREA = Decimal("1000000")
MAX_JOBS = 1_000_000
MAX_POWER_KW = 1_000_000
NAME_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "研发团队", "创业团队", "项目组", "团队", "公司")


def now() -> dt.datetime:
    """The service desk's clock (tests freeze ``servicedesk.clock.now``)."""
    return clock.now()


def normalize_name(name: str) -> str:
    """The name as duplicates are compared: full-width folded, case, spaces and punctuation dropped,
    the legal-form suffix (有限公司, 团队…) cut: 「上海 芯光科技有限公司」 and 「上海芯光科技（有限公司）」 meet."""
    text = unicodedata.normalize("NFKC", name or "").lower()
    text = "".join(ch for ch in text if not (ch.isspace() or unicodedata.category(ch)[0] in "PSZC"))
    changed = True
    while changed:
        changed = False
        for suffix in NAME_SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                text, changed = text[: -len(suffix)], True
    return text[:120]


def _checked_uscc(value: str, field: str = "uscc") -> str:
    try:
        return uscc_rules.validate(value)
    except uscc_rules.USCCError as error:
        raise ApplicationError({field: str(error)}, code="uscc") from error


def duplicates_of(name: str, uscc: str = "", *, exclude_pk: int | None = None) -> list[Lead]:
    """Leads with the same normalized name or the same USCC, oldest first."""
    condition = Q(normalized_name=normalize_name(name))
    if uscc:
        condition |= Q(uscc=uscc)
    leads = Lead.objects.filter(condition)
    if exclude_pk is not None:
        leads = leads.exclude(pk=exclude_pk)
    return list(leads.order_by("received_at", "pk")[:5])


def _activity(lead: Lead, *, kind: str, actor: Actor, text: str = "", when: dt.datetime, **data: Any) -> None:
    LeadActivity.objects.create(
        lead=lead, kind=kind, text=text, data=data, actor=user_of(actor), created_at=when
    )


def _due(start: dt.datetime, days: int) -> dt.datetime:
    return clock.add_working_days(start, days, work_calendar())


def _touch(lead: Lead, when: dt.datetime) -> None:
    """An update: the 10-working-day clock starts again."""
    lead.last_update_at = when
    lead.update_due_at = _due(when, UPDATE_DAYS)


def _check_leader(user: Any) -> None:
    if user is not None and (not user.is_active or Role.LEADER not in roles_of(user)):
        raise ApplicationError({"leader": _("挂帅领导必须是在岗的班子领导。")})


def _check_officer(user: Any) -> None:
    if user is not None and (not user.is_active or not roles_of(user) & {Role.COMMISSIONER, Role.OPERATOR}):
        raise ApplicationError({"case_officer": _("项目专员必须是在岗的企业专员或运营人员。")})


@dataclass(frozen=True)
class LeadInput:
    """What a lead says about the company (the create and update forms and the API fill it)."""

    source: str
    name: str
    source_detail: str = ""
    uscc: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    cluster: TechnologyField | None = None
    block: Block | None = None
    summary: str = ""
    planned_investment_fen: int = 0
    jobs: int = 0
    space_area_m2: Decimal | None = None
    space_type: str = ""
    power_kw: int | None = None
    asks_policy: bool = False
    asks_talent: bool = False
    asks_financing: bool = False
    asks_note: str = ""
    terms: str = ""
    is_key: bool = False


def _cleaned(data: LeadInput) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if data.source not in LeadSource.values:
        errors["source"] = _("请选择线索来源。")
    if data.space_type and data.space_type not in SpaceType.values:
        errors["space_type"] = _("空间类型无效。")
    if data.space_area_m2 is not None and not (Decimal(0) < Decimal(data.space_area_m2) <= MAX_AREA):
        errors["space_area_m2"] = _("需求面积必须大于 0 且不超过 1,000,000 ㎡。")
    if not (0 <= int(data.jobs) <= MAX_JOBS):
        errors["jobs"] = _("就业岗位数必须在 0 到 1,000,000 之间。")
    if data.power_kw is not None and not (0 <= int(data.power_kw) <= MAX_POWER_KW):
        errors["power_kw"] = _("用电需求必须在 0 到 1,000,000 kW 之间。")
    if data.cluster is not None and data.cluster.parent_id is not None:
        errors["cluster"] = _("请选择街区的产业集群（一级领域）。")
    if errors:
        raise ApplicationError(errors)
    uscc = _checked_uscc(data.uscc) if clean_text(data.uscc) else ""
    return {
        "source": data.source,
        "source_detail": checked_text(
            data.source_detail, "source_detail", label=_("来源说明"), limit=200, required=False
        ),
        "name": checked_text(data.name, "name", label=_("企业或团队名称"), limit=120),
        "uscc": uscc,
        "contact_name": checked_text(
            data.contact_name, "contact_name", label=_("联系人"), limit=40, required=False
        ),
        "contact_phone": checked_text(
            data.contact_phone, "contact_phone", label=_("联系电话"), limit=20, required=False
        ),
        "cluster": data.cluster,
        "block": data.block,
        "summary": checked_text(data.summary, "summary", label=_("项目概况"), limit=4000, required=False),
        "planned_investment_fen": checked_fen(
            data.planned_investment_fen, "planned_investment_fen", label=_("计划投资"), allow_zero=True
        ),
        "jobs": int(data.jobs),
        "space_area_m2": data.space_area_m2,
        "space_type": data.space_type,
        "power_kw": data.power_kw,
        "asks_policy": bool(data.asks_policy),
        "asks_talent": bool(data.asks_talent),
        "asks_financing": bool(data.asks_financing),
        "asks_note": checked_text(
            data.asks_note, "asks_note", label=_("诉求说明"), limit=500, required=False
        ),
        "terms": checked_text(data.terms, "terms", label=_("谈判条款"), limit=4000, required=False),
        "is_key": bool(data.is_key),
    }


def duplicate_message(existing: Lead) -> str:
    return _("疑似重复：已有线索 %(code)s“%(name)s”（%(stage)s）。") % {
        "code": existing.code,
        "name": existing.name,
        "stage": existing.get_stage_display(),
    }


@transaction.atomic
def lead_create(
    *,
    actor: Actor,
    data: LeadInput,
    leader: Any = None,
    case_officer: Any = None,
    allow_duplicate: bool = False,
    received_at: dt.datetime | None = None,
) -> Lead:
    """Register a lead. One with the same normalized name or USCC as an existing lead is refused
    (``Conflict`` naming the existing code) unless ``allow_duplicate``, which keeps it flagged."""
    if not is_system(actor) and not perms.can_create_lead(actor):
        raise deny(_("只有街区工作人员可以登记招商线索。"))
    values = _cleaned(data)
    _check_leader(leader)
    _check_officer(case_officer)
    same = duplicates_of(values["name"], values["uscc"])
    if same and not allow_duplicate:
        raise Conflict({"name": duplicate_message(same[0])}, code="duplicate")
    when = received_at or now()
    lead = Lead(
        code=new_code("ZS"),
        normalized_name=normalize_name(values["name"]),
        leader=leader,
        case_officer=case_officer,
        stage=LeadStage.LEAD,
        stage_entered_at=when,
        received_at=when,
        acknowledge_due_at=_due(when, ACKNOWLEDGE_DAYS),
        assessment_due_at=_due(when, ASSESSMENT_DAYS),
        feedback_due_at=_due(when, FEEDBACK_DAYS),
        last_update_at=when,
        update_due_at=_due(when, UPDATE_DAYS),
        duplicate_of=same[0] if same else None,
        created_by=user_of(actor),
        **values,
    )
    lead.save()
    _activity(lead, kind=ActivityKind.NOTE, actor=actor, when=when, text=_("登记线索。"), source=lead.source)
    audit.record(
        "investment.lead.create",
        actor=actor,
        obj=lead,
        detail={"source": lead.source, "duplicate_of": same[0].code if same else None},
    )
    return lead


def _locked(lead: Lead) -> Lead:
    return Lead.objects.select_for_update().get(pk=lead.pk)


def _may_work(actor: Actor, lead: Lead) -> None:
    require(
        is_system(actor) or perms.can_work_lead(actor, lead),
        _("只有该线索的挂帅领导、项目专员或运营人员可以办理。"),
    )


def _still_open(lead: Lead) -> None:
    if lead.stage in CLOSED_STAGES:
        raise ApplicationError(_("该线索已%(stage)s，不能再办理。") % {"stage": lead.get_stage_display()})


@transaction.atomic
def lead_update(*, actor: Actor, lead: Lead, data: LeadInput) -> Lead:
    """Correct what the lead says; the name and USCC are checked for duplicates again."""
    current = _locked(lead)
    _may_work(actor, current)
    values = _cleaned(data)
    same = duplicates_of(values["name"], values["uscc"], exclude_pk=current.pk)
    if same and same[0].pk != current.duplicate_of_id:
        raise Conflict({"name": duplicate_message(same[0])}, code="duplicate")
    if current.organization_id and values["uscc"] != current.uscc:
        raise ApplicationError({"uscc": _("企业已注册落地，统一社会信用代码以名录为准，不能在线索中修改。")})
    changed = sorted(k for k, v in values.items() if getattr(current, k) != v)
    for key, value in values.items():
        setattr(current, key, value)
    current.normalized_name = normalize_name(current.name)
    when = now()
    _touch(current, when)
    current.save()
    _activity(
        current, kind=ActivityKind.NOTE, actor=actor, when=when, text=_("修改线索信息。"), fields=changed
    )
    audit.record("investment.lead.update", actor=actor, obj=current, detail={"fields": changed})
    return current


@transaction.atomic
def lead_assign(*, actor: Actor, lead: Lead, leader: Any, case_officer: Any) -> Lead:
    """Set the responsible leader (挂帅) and the case officer."""
    if not is_system(actor) and not perms.can_assign_lead(actor):
        raise deny(_("只有运营人员可以确定挂帅领导和项目专员。"))
    current = _locked(lead)
    _still_open(current)
    _check_leader(leader)
    _check_officer(case_officer)
    before = {"leader": current.leader_id, "case_officer": current.case_officer_id}
    current.leader, current.case_officer = leader, case_officer
    when = now()
    current.save(update_fields=["leader", "case_officer", "updated_at"])
    after = {"leader": getattr(leader, "pk", None), "case_officer": getattr(case_officer, "pk", None)}
    _activity(
        current,
        kind=ActivityKind.OWNERS,
        actor=actor,
        when=when,
        text=_("确定责任人。"),
        before=before,
        after=after,
    )
    audit.record(
        "investment.lead.assign", actor=actor, obj=current, detail={"before": before, "after": after}
    )
    url = reverse("investment:lead-detail", args=[current.code])
    for user, role in ((leader, gettext_lazy("挂帅领导")), (case_officer, gettext_lazy("项目专员"))):
        if user is not None:
            notification_send(
                recipients=[user],
                kind="investment.assigned",
                title=lazy_text(
                    gettext_lazy("您已被确定为招商线索 %(code)s 的%(role)s"), code=current.code, role=role
                ),
                body=current.name,
                url=url,
                dedupe_key=f"zs:{current.pk}:owner:{user.pk}",
            )
    return current


@transaction.atomic
def lead_acknowledge(*, actor: Actor, lead: Lead, text: str = "") -> Lead:
    """The case officer has taken the lead up (the 1-working-day clock stops)."""
    current = _locked(lead)
    _may_work(actor, current)
    _still_open(current)
    if current.acknowledged_at is not None:
        return current
    when = now()
    current.acknowledged_at = when
    _touch(current, when)
    current.save()
    note = checked_text(text, "text", label=_("说明"), limit=4000, required=False) or _("已受理。")
    _activity(current, kind=ActivityKind.ACKNOWLEDGED, actor=actor, when=when, text=note)
    audit.record("investment.lead.acknowledge", actor=actor, obj=current)
    return current


@transaction.atomic
def lead_record(*, actor: Actor, lead: Lead, text: str, feedback: bool = False) -> LeadActivity:
    """A follow-up note, or (``feedback``) what the company was told; either restarts the update clock,
    and the first feedback stops the 5-working-day clock."""
    current = _locked(lead)
    _may_work(actor, current)
    _still_open(current)
    body = checked_text(text, "text", label=_("跟进内容"), limit=4000)
    when = now()
    if current.acknowledged_at is None:
        current.acknowledged_at = when
    if feedback and current.feedback_at is None:
        current.feedback_at = when
    _touch(current, when)
    current.save()
    kind = ActivityKind.FEEDBACK if feedback else ActivityKind.NOTE
    activity = LeadActivity.objects.create(
        lead=current, kind=kind, text=body, actor=user_of(actor), created_at=when
    )
    audit.record("investment.lead.record", actor=actor, obj=current, detail={"kind": kind})
    return activity


def next_stage(lead: Lead) -> str | None:
    if lead.stage not in PIPELINE:
        return None
    index = PIPELINE.index(lead.stage)
    return PIPELINE[index + 1] if index + 1 < len(PIPELINE) else None


@dataclass(frozen=True)
class EvidenceInput:
    """The evidence for entering the next stage: always a note; the business licence's USCC at 注册
    (and the commissioner who will serve the firm), the lease at 入驻, the first output at 投产."""

    note: str
    uscc: str = ""
    commissioner: Any = None
    lease: Lease | None = None
    amount_fen: int | None = None
    document: LeadDocument | None = None


STAGE_NEEDS: dict[str, Any] = {
    LeadStage.ASSESSMENT: gettext_lazy("进入“研判”需要研判意见。"),
    LeadStage.NEGOTIATION: gettext_lazy("进入“在谈”需要投资意向书（条款清单）的要点。"),
    LeadStage.SIGNED: gettext_lazy("进入“签约”需要签约协议的说明。"),
    LeadStage.REGISTERED: gettext_lazy("进入“注册”需要营业执照信息和有效的统一社会信用代码。"),
    LeadStage.SETTLED: gettext_lazy("进入“入驻”需要该企业在街区的租约。"),
    LeadStage.PRODUCING: gettext_lazy("进入“投产”需要首笔产出的说明和金额。"),
}


@transaction.atomic
def lead_advance(*, actor: Actor, lead: Lead, evidence: EvidenceInput) -> Lead:
    """Move the lead to the next stage with the evidence that stage requires (Chinese refusal otherwise).
    Entering 注册 lands the firm (see ``_land``); everything happens or nothing does."""
    current = _locked(lead)
    _may_work(actor, current)
    _still_open(current)
    target = next_stage(current)
    if target is None:
        raise ApplicationError(_("该线索已是最后阶段“投产”。"))
    note = clean_text(evidence.note)[:4000]
    if not note:
        raise ApplicationError({"note": str(STAGE_NEEDS[target])}, code="evidence")
    if evidence.document is not None and evidence.document.lead_id != current.pk:
        raise ApplicationError({"document": _("附件不属于该线索。")})
    when = now()
    row = StageEvidence(
        lead=current,
        stage=target,
        kind=EVIDENCE_FOR[target],
        note=note,
        document=evidence.document,
        recorded_by=user_of(actor),
        recorded_at=when,
    )
    detail: dict[str, Any] = {"from": current.stage, "to": target}
    if target == LeadStage.REGISTERED:
        if not clean_text(evidence.uscc):
            raise ApplicationError({"uscc": str(STAGE_NEEDS[target])}, code="evidence")
        row.uscc = _checked_uscc(evidence.uscc)
        organization = _land(
            actor=actor, lead=current, uscc=row.uscc, commissioner=evidence.commissioner, when=when
        )
        detail["organization"] = organization.pk
    elif target == LeadStage.SETTLED:
        row.lease = _settling_lease(current, evidence.lease)
        detail["lease"] = row.lease.code
    elif target == LeadStage.PRODUCING:
        if evidence.amount_fen is None:
            raise ApplicationError({"amount_fen": str(STAGE_NEEDS[target])}, code="evidence")
        row.amount_fen = checked_fen(evidence.amount_fen, "amount_fen", label=_("首笔产出"))
    elif target == LeadStage.ASSESSMENT and current.assessed_at is None:
        current.assessed_at = when
    row.save()
    previous = current.stage
    current.stage = target
    current.stage_entered_at = when
    if current.acknowledged_at is None:
        current.acknowledged_at = when
    _touch(current, when)
    current.save()
    _activity(
        current,
        kind=ActivityKind.STAGE,
        actor=actor,
        when=when,
        text=_("%(from)s → %(to)s：%(note)s")
        % {"from": LeadStage(previous).label, "to": LeadStage(target).label, "note": note[:200]},
        stage=target,
    )
    audit.record("investment.lead.advance", actor=actor, obj=current, detail=detail)
    return current


def _settling_lease(lead: Lead, lease: Lease | None) -> Lease:
    if lead.organization_id is None:
        raise ApplicationError(_("企业尚未注册落地，不能入驻。"))
    leases = Lease.objects.filter(organization_id=lead.organization_id, status=LeaseStatus.ACTIVE)
    chosen = (
        leases.filter(pk=lease.pk).first()
        if lease is not None
        else leases.order_by("-start_date", "-pk").first()
    )
    if chosen is None:
        raise ApplicationError({"lease": str(STAGE_NEEDS[LeadStage.SETTLED])}, code="evidence")
    return chosen


def _land(*, actor: Actor, lead: Lead, uscc: str, commissioner: Any, when: dt.datetime) -> Organization:
    """The 注册 step inside ``lead_advance``'s transaction: the directory's organization (its service
    checks the USCC again and its uniqueness), the commissioner, the 一企一策 plan with the lead's asks,
    and for a key project the leader's 包保. The sub-steps run as the system (the operators' own
    permissions on assignments do not apply to a leader landing his lead); this audit record names who."""
    from kechuang.directory.services import organization_create
    from kechuang.servicedesk.choices import AssignmentRole, PlanItemKind
    from kechuang.servicedesk.services import assignment_set, plan_item_add, plan_update

    commissioner = commissioner or (
        lead.case_officer
        if lead.case_officer is not None and Role.COMMISSIONER in roles_of(lead.case_officer)
        else None
    )
    if commissioner is None or not commissioner.is_active or Role.COMMISSIONER not in roles_of(commissioner):
        raise ApplicationError({"commissioner": _("注册落地需要指定一位在岗的服务专员。")})
    if lead.is_key and lead.leader is None:
        raise ApplicationError({"leader": _("重点项目注册落地前需要确定挂帅领导（包保）。")})
    clash = Organization.objects.filter(uscc=uscc).first()
    if clash is not None:
        raise ApplicationError(
            {"uscc": _("该统一社会信用代码已被名录中的“%(name)s”使用。") % {"name": clash.name}}
        )
    organization = organization_create(
        actor=None,
        fields=[lead.cluster] if lead.cluster is not None else [],
        kind=OrganizationKind.ENTERPRISE,
        name=lead.name,
        uscc=uscc,
        block=lead.block,
        is_key=lead.is_key,
        contact_name=lead.contact_name,
        contact_phone=lead.contact_phone,
        description=lead.summary[:2000],
    )
    assignment_set(
        actor=None,
        organization=organization,
        role=AssignmentRole.COMMISSIONER,
        user=commissioner,
        reason=_("招商线索 %(code)s 注册落地") % {"code": lead.code},
    )
    plan_update(
        actor=None,
        organization=organization,
        summary=_("由招商线索 %(code)s 落地。%(summary)s")
        % {
            "code": lead.code,
            "summary": lead.summary[:3000],
        },
    )
    asks = [(lead.asks_policy, _("政策")), (lead.asks_talent, _("人才")), (lead.asks_financing, _("融资"))]
    for wanted, label in asks:
        if wanted:
            plan_item_add(
                actor=None,
                organization=organization,
                kind=PlanItemKind.NEED,
                text=_("招商时提出的%(what)s诉求：%(note)s") % {"what": label, "note": lead.asks_note or "—"},
            )
    if lead.is_key and lead.leader is not None:
        assignment_set(
            actor=None,
            organization=organization,
            role=AssignmentRole.LEADER,
            user=lead.leader,
            reason=_("重点项目 %(code)s 包保") % {"code": lead.code},
        )
    lead.organization = organization
    lead.uscc = uscc
    audit.record(
        "investment.lead.land",
        actor=actor,
        obj=lead,
        detail={
            "organization": organization.pk,
            "uscc": uscc,
            "commissioner": commissioner.pk,
            "baobao": lead.leader_id if lead.is_key else None,
        },
    )
    return organization


def checked_reason(reason_code: str, reason: str, *, text_required: bool = False) -> tuple[str, str]:
    """A reason from the fixed list (``LostReason``) and its free text: the text is required for 其他
    (and wherever ``text_required``), optional otherwise."""
    if reason_code not in LostReason.values:
        raise ApplicationError({"reason_code": _("请从列表中选择原因。")})
    if text_required or reason_code == LostReason.OTHER:
        return reason_code, checked_text(reason, "reason", label=_("原因说明"), limit=500)
    return reason_code, checked_text(reason or "", "reason", label=_("原因说明"), limit=500, required=False)


@transaction.atomic
def lead_close(*, actor: Actor, lead: Lead, outcome: str, reason_code: str, reason: str = "") -> Lead:
    """Lost (流失) or withdrawn (撤回), with a reason from the fixed list and, for 其他, its text."""
    current = _locked(lead)
    _may_work(actor, current)
    _still_open(current)
    if outcome not in CLOSED_STAGES:
        raise ApplicationError({"outcome": _("请选择流失或撤回。")})
    code, text = checked_reason(reason_code, reason)
    when = now()
    current.closed_from_stage = current.stage
    current.stage = outcome
    current.closed_reason_code = code
    current.closed_reason = text
    current.stage_entered_at = when
    current.save()
    label = str(LostReason(code).label)
    _activity(
        current,
        kind=ActivityKind.STAGE,
        actor=actor,
        when=when,
        text=f"{label}：{text}" if text else label,
        stage=outcome,
        reason=code,
    )
    audit.record(
        "investment.lead.close",
        actor=actor,
        obj=current,
        detail={"outcome": outcome, "from": current.closed_from_stage, "reason": code},
    )
    return current


@transaction.atomic
def lead_reserve_unit(
    *, actor: Actor, lead: Lead, unit: SpaceUnit, start_date: dt.date, end_date: dt.date
) -> Reservation:
    """Hold a unit for the landed firm through the spaces engine (its own permission and overlap rules)."""
    from kechuang.spaces.services import reservation_create

    current = _locked(lead)
    _may_work(actor, current)
    _still_open(current)
    if current.organization is None:
        raise ApplicationError(_("企业注册落地后才能预订房源。"))
    reservation = reservation_create(
        actor=actor, unit=unit, organization=current.organization, start_date=start_date, end_date=end_date
    )
    when = now()
    _touch(current, when)
    current.save(update_fields=["last_update_at", "update_due_at", "updated_at"])
    _activity(
        current,
        kind=ActivityKind.RESERVATION,
        actor=actor,
        when=when,
        text=_("预订房源 %(unit)s（%(code)s）。") % {"unit": str(unit), "code": reservation.code},
        reservation=reservation.code,
    )
    return reservation


MAX_DOCUMENTS = 30


@transaction.atomic
def document_add(*, actor: Actor, lead: Lead, file: Any) -> LeadDocument:
    from django.core.files.base import ContentFile

    current = _locked(lead)
    _may_work(actor, current)
    if LeadDocument.objects.filter(lead=current).count() >= MAX_DOCUMENTS:
        raise ApplicationError({"file": _("每条线索最多 %(n)s 个附件。") % {"n": MAX_DOCUMENTS}})
    checked = check_upload(file, name=getattr(file, "name", "") or "", field="file")
    if hasattr(file, "seek"):
        file.seek(0)
    content = file.read() if hasattr(file, "read") else bytes(file)
    document = LeadDocument(
        lead=current,
        original_name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=user_of(actor),
        created_at=now(),
    )
    document.file.save("upload.bin", ContentFile(content), save=False)
    document.save()
    audit.record("investment.lead.document", actor=actor, obj=current, detail={"sha256": checked.sha256})
    return document


# --- clocks ----------------------------------------------------------------------------------------


@dataclass
class ClockReport:
    escalated: list[str] = field(default_factory=list)
    notifications: int = 0

    def summary(self) -> str:
        return _("升级 %(n)s 项，发出通知 %(m)s 条") % {"n": len(self.escalated), "m": self.notifications}


# A lead in production is the service desk's (its commissioner) from then on: its clocks stop, as a
# closed lead's do.
CLOCKLESS_STAGES: frozenset[str] = CLOSED_STAGES | {LeadStage.PRODUCING}

CLOCK_FIELDS: dict[str, tuple[str, str | None]] = {
    LeadClock.ACKNOWLEDGE: ("acknowledge_due_at", "acknowledged_at"),
    LeadClock.ASSESSMENT: ("assessment_due_at", "assessed_at"),
    LeadClock.FEEDBACK: ("feedback_due_at", "feedback_at"),
    LeadClock.UPDATE: ("update_due_at", None),
}


def breached_clocks(lead: Lead, moment: dt.datetime) -> list[tuple[str, dt.datetime]]:
    """(clock, due time) of each clock of an open lead that has run out at ``moment``."""
    if lead.stage in CLOCKLESS_STAGES:
        return []
    out = []
    for name, (due_field, done_field) in CLOCK_FIELDS.items():
        due = getattr(lead, due_field)
        if due is not None and due <= moment and (done_field is None or getattr(lead, done_field) is None):
            out.append((name, due))
    return out


def clocks_tick(*, moment: dt.datetime | None = None) -> ClockReport:
    """Escalate every breached clock of every open lead to its responsible leader (all leaders when it
    has none) and tell the case officer. Idempotent: a breach is escalated once (``LeadEscalation``),
    and the notifications carry a dedupe key as well."""
    moment = moment or now()
    report = ClockReport()
    due_now = Q()
    for due_field, done_field in CLOCK_FIELDS.values():
        part = Q(**{f"{due_field}__lte": moment})
        if done_field:
            part &= Q(**{f"{done_field}__isnull": True})
        due_now |= part
    candidates = Lead.objects.filter(due_now).exclude(stage__in=list(CLOCKLESS_STAGES)).order_by("pk")
    for lead in candidates.select_related("leader", "case_officer"):
        for name, due in breached_clocks(lead, moment):
            _escalate(lead, name, due, moment, report)
    return report


def _escalate(lead: Lead, name: str, due: dt.datetime, moment: dt.datetime, report: ClockReport) -> None:
    try:
        with transaction.atomic():
            row = LeadEscalation.objects.create(lead=lead, clock=name, due_at=due, escalated_at=moment)
    except IntegrityError:
        return  # escalated by an earlier run
    leaders = (
        [lead.leader]
        if lead.leader is not None and lead.leader.is_active
        else list(role_holders(Role.LEADER).order_by("id"))
    )
    label = LeadClock(name).label
    due_text = due.astimezone(clock.TZ).strftime("%Y-%m-%d %H:%M")
    with transaction.atomic():
        LeadEscalation.objects.filter(pk=row.pk).update(notified=[u.pk for u in leaders])
        _activity(
            lead,
            kind=ActivityKind.ESCALATED,
            actor=None,
            when=moment,
            text=_("%(clock)s超时（时限 %(due)s），已升级至挂帅领导。") % {"clock": label, "due": due_text},
            clock=name,
        )
        audit.record(
            "investment.lead.escalate",
            actor=None,
            obj=lead,
            username="investment-clocks",
            detail={"clock": name, "due": due_text, "leaders": [u.pk for u in leaders]},
        )
        title = lazy_text(
            gettext_lazy("招商线索 %(code)s %(clock)s超时"), code=lead.code, clock=LeadClock(name).label
        )
        body = lazy_text(
            gettext_lazy("“%(name)s”（%(stage)s）的%(clock)s时限为 %(due)s，现已超时。"),
            name=lead.name,
            stage=LeadStage(lead.stage).label,
            clock=LeadClock(name).label,
            due=due_text,
        )
        recipients = leaders + ([lead.case_officer] if lead.case_officer is not None else [])
        report.notifications += len(
            notification_send(
                recipients=recipients,
                kind="investment.escalated",
                title=title,
                body=body,
                url=reverse("investment:lead-detail", args=[lead.code]),
                dedupe_key=f"zs:{lead.pk}:{name}:{due.isoformat()}",
            )
        )
    report.escalated.append(f"{lead.code}:{name}")


# --- key projects (重点项目包保) ---------------------------------------------------------------------------


def _check_departments(departments: list[str]) -> list[str]:
    from kechuang.servicedesk.choices import Department

    unknown = [d for d in departments if d not in Department.values]
    if unknown:
        raise ApplicationError({"departments": _("无效的责任部门：%(d)s") % {"d": "、".join(unknown)}})
    return list(dict.fromkeys(departments))


def _may_manage_project(actor: Actor, project: KeyProject) -> None:
    require(
        is_system(actor) or perms.can_manage_project(actor, project),
        _("只有该项目的包保领导或运营人员可以办理。"),
    )


@transaction.atomic
def project_create(
    *,
    actor: Actor,
    name: str,
    leader: Any,
    organization: Organization | None = None,
    lead: Lead | None = None,
    description: str = "",
    departments: list[str] | None = None,
    planned_investment_fen: int = 0,
) -> KeyProject:
    """A key project under a responsible leader; for a firm in the directory, the leader becomes its 包保."""
    if not is_system(actor) and not perms.can_create_project(actor):
        raise deny(_("只有运营人员可以设立重点项目。"))
    if leader is None or not leader.is_active or Role.LEADER not in roles_of(leader):
        raise ApplicationError({"leader": _("包保领导必须是在岗的班子领导。")})
    if organization is not None and organization.kind != OrganizationKind.ENTERPRISE:
        raise ApplicationError({"organization": _("重点项目只能属于企业。")})
    if lead is not None and KeyProject.objects.filter(lead=lead).exists():
        raise Conflict({"lead": _("该线索已有重点项目。")})
    project = KeyProject.objects.create(
        code=new_code("ZD"),
        name=checked_text(name, "name", label=_("项目名称"), limit=120),
        leader=leader,
        organization=organization or (lead.organization if lead is not None else None),
        lead=lead,
        description=checked_text(description, "description", label=_("项目内容"), limit=4000, required=False),
        departments=_check_departments(departments or []),
        planned_investment_fen=checked_fen(
            planned_investment_fen, "planned_investment_fen", label=_("计划投资"), allow_zero=True
        ),
        created_by=user_of(actor),
    )
    if project.organization is not None:
        from kechuang.servicedesk.choices import AssignmentRole
        from kechuang.servicedesk.services import assignment_set

        assignment_set(
            actor=None,
            organization=project.organization,
            role=AssignmentRole.LEADER,
            user=leader,
            reason=_("重点项目 %(code)s 包保") % {"code": project.code},
        )
    audit.record("investment.project.create", actor=actor, obj=project, detail={"leader": leader.pk})
    return project


@transaction.atomic
def milestone_add(*, actor: Actor, project: KeyProject, title: str, due_on: dt.date) -> Milestone:
    _may_manage_project(actor, project)
    milestone = Milestone.objects.create(
        project=project, title=checked_text(title, "title", label=_("节点"), limit=200), due_on=due_on
    )
    audit.record("investment.project.milestone", actor=actor, obj=project, detail={"milestone": milestone.pk})
    return milestone


@transaction.atomic
def milestone_update(*, actor: Actor, milestone: Milestone, title: str, due_on: dt.date) -> Milestone:
    """Correct a milestone's title or planned date (the project's leader and operators). A milestone moved
    to a later date may be overdue again: its overdue reminder is re-armed."""
    _may_manage_project(actor, milestone.project)
    locked = Milestone.objects.select_for_update().get(pk=milestone.pk)
    before = {"title": locked.title, "due_on": locked.due_on.isoformat()}
    locked.title = checked_text(title, "title", label=_("节点"), limit=200)
    if locked.due_on != due_on:
        locked.due_on = due_on
        locked.overdue_notified_at = None
    locked.save(update_fields=["title", "due_on", "overdue_notified_at"])
    audit.record(
        "investment.project.milestone_update",
        actor=actor,
        obj=locked.project,
        detail={"milestone": locked.pk, "before": before, "due_on": locked.due_on.isoformat()},
    )
    return locked


@transaction.atomic
def milestone_done(*, actor: Actor, milestone: Milestone, done_on: dt.date | None = None) -> Milestone:
    _may_manage_project(actor, milestone.project)
    locked = Milestone.objects.select_for_update().get(pk=milestone.pk)
    today = now().astimezone(clock.TZ).date()
    if done_on is not None and done_on > today:
        raise ApplicationError({"done_on": _("完成日期不能晚于今天。")})
    locked.done_on = done_on or today
    locked.save(update_fields=["done_on"])
    audit.record(
        "investment.project.milestone_done", actor=actor, obj=locked.project, detail={"milestone": locked.pk}
    )
    return locked


@transaction.atomic
def issue_raise(
    *,
    actor: Actor,
    project: KeyProject,
    text: str,
    department: str = "",
    service_request_code: str = "",
    file_request_category: str = "",
) -> ProjectIssue:
    """An issue of the project, resolved through the service desk: ``service_request_code`` links the
    firm's existing request (诉求); ``file_request_category`` files a new one for the firm (as the system,
    on the channel 其他; its commissioner and clocks take it from there)."""
    from kechuang.servicedesk.choices import RequestCategory, RequestChannel
    from kechuang.servicedesk.models import ServiceRequest
    from kechuang.servicedesk.services import request_file

    _may_manage_project(actor, project)
    if department:
        _check_departments([department])
    text = checked_text(text, "text", label=_("问题"), limit=500)
    request = None
    if file_request_category:
        if file_request_category not in RequestCategory.values:
            raise ApplicationError({"file_request_category": _("请选择诉求类别。")})
        if project.organization is None:
            raise ApplicationError(
                {"file_request_category": _("项目未关联名录中的企业，不能登记为企业诉求。")}
            )
        request = request_file(
            actor=None,
            organization=project.organization,
            category=file_request_category,
            title=(_("重点项目 %(code)s：") % {"code": project.code} + text)[:120],
            text=text,
            channel=RequestChannel.OTHER,
        )
    elif service_request_code.strip():
        request = ServiceRequest.objects.filter(code=service_request_code.strip()).first()
        if request is None or request.organization_id != project.organization_id:
            raise ApplicationError({"service_request": _("诉求编号不存在或不属于该项目的企业。")})
    issue = ProjectIssue.objects.create(
        project=project,
        text=text,
        department=department,
        service_request=request,
        raised_by=user_of(actor),
        raised_at=now(),
    )
    audit.record(
        "investment.project.issue",
        actor=actor,
        obj=project,
        detail={"issue": issue.pk, "request": request.code if request is not None else None},
    )
    return issue


@transaction.atomic
def issue_resolve(*, actor: Actor, issue: ProjectIssue, resolution: str) -> ProjectIssue:
    _may_manage_project(actor, issue.project)
    locked = ProjectIssue.objects.select_for_update().get(pk=issue.pk)
    if locked.resolved_at is not None:
        return locked
    locked.resolution = checked_text(resolution, "resolution", label=_("解决情况"), limit=500)
    locked.resolved_at = now()
    locked.save(update_fields=["resolution", "resolved_at"])
    audit.record(
        "investment.project.issue_resolve", actor=actor, obj=locked.project, detail={"issue": locked.pk}
    )
    return locked


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


@transaction.atomic
def status_report(
    *, actor: Actor, project: KeyProject, status: str, note: str = "", month: dt.date | None = None
) -> ProjectStatusReport:
    """The month's status (one per month; a second report that month corrects the first). Blocked, or
    at risk two months running, escalates to the responsible leader and every leader."""
    _may_manage_project(actor, project)
    if status not in ProjectStatus.values:
        raise ApplicationError({"status": _("请选择项目状态。")})
    when = now()
    month = month_of(month or when.astimezone(clock.TZ).date())
    text = checked_text(note, "note", label=_("说明"), limit=1000, required=status != ProjectStatus.ON_TRACK)
    report, _created = ProjectStatusReport.objects.update_or_create(
        project=project,
        month=month,
        defaults={"status": status, "note": text, "reported_by": user_of(actor), "reported_at": when},
    )
    locked = KeyProject.objects.select_for_update().get(pk=project.pk)
    locked.status = status
    previous = ProjectStatusReport.objects.filter(project=project, month__lt=month).order_by("-month").first()
    escalate = status == ProjectStatus.BLOCKED or (
        status == ProjectStatus.AT_RISK and previous is not None and previous.status != ProjectStatus.ON_TRACK
    )
    if escalate:
        locked.escalated_at = when
        recipients = [locked.leader, *role_holders(Role.LEADER).order_by("id")]
        notification_send(
            recipients=recipients,
            kind="investment.project",
            title=lazy_text(
                gettext_lazy("重点项目 %(code)s %(status)s"),
                code=locked.code,
                status=ProjectStatus(status).label,
            ),
            body=text,
            url=reverse("investment:project-detail", args=[locked.code]),
            dedupe_key=f"zd:{locked.pk}:{month:%Y-%m}:{status}",
        )
    locked.save(update_fields=["status", "escalated_at", "updated_at"])
    audit.record(
        "investment.project.status",
        actor=actor,
        obj=locked,
        detail={"month": f"{month:%Y-%m}", "status": status, "escalated": escalate},
    )
    return report


def milestones_tick(*, moment: dt.datetime | None = None) -> int:
    """Tell the leader of each milestone that passed its date undone, once (idempotent)."""
    moment = moment or now()
    today = moment.astimezone(clock.TZ).date()
    told = 0
    for milestone in Milestone.objects.filter(
        done_on__isnull=True, due_on__lt=today, overdue_notified_at__isnull=True
    ).select_related("project__leader"):
        with transaction.atomic():
            if not Milestone.objects.filter(pk=milestone.pk, overdue_notified_at__isnull=True).update(
                overdue_notified_at=moment
            ):
                continue
            project = milestone.project
            told += len(
                notification_send(
                    recipients=[project.leader],
                    kind="investment.milestone",
                    title=lazy_text(gettext_lazy("重点项目 %(code)s 节点逾期"), code=project.code),
                    body=lazy_text(
                        gettext_lazy("“%(title)s”计划于 %(due)s 完成，尚未完成。"),
                        title=milestone.title,
                        due=milestone.due_on.isoformat(),
                    ),
                    url=reverse("investment:project-detail", args=[project.code]),
                    dedupe_key=f"zd-milestone:{milestone.pk}:{milestone.due_on.isoformat()}",
                )
            )
    return told


# --- 稳商 ----------------------------------------------------------------------------------------------

LEASE_HORIZON_DAYS = 183  # six months
REQUEST_WINDOW_DAYS = 90
REPEATED_REQUESTS = 3
BREACHED_REQUESTS = 2  # one late answer is the desk's business; two in a quarter is a firm at risk
LOW_RATING = 2


@dataclass(frozen=True)
class Signal:
    organization_id: int
    signal: str
    ref: str
    detail: str


def current_signals(*, today: dt.date) -> list[Signal]:
    """Every automatic signal the platform's own data gives today (see ``RetentionSignal``)."""
    from django.db.models import Avg, Count, Max

    from kechuang.servicedesk.models import ServiceRequest
    from kechuang.spaces.choices import RequestStatus as SpaceRequestStatus
    from kechuang.spaces.choices import UnitStatus
    from kechuang.spaces.models import SpaceRequest

    signals: list[Signal] = []
    horizon = today + dt.timedelta(days=LEASE_HORIZON_DAYS)
    ending = Lease.objects.filter(status=LeaseStatus.ACTIVE, end_date__gte=today, end_date__lte=horizon)
    for lease in ending.select_related("unit").order_by("pk"):
        renewed = (
            Lease.objects.filter(
                organization_id=lease.organization_id, status=LeaseStatus.ACTIVE, end_date__gt=lease.end_date
            ).exists()
            or Reservation.objects.filter(
                organization_id=lease.organization_id, status="active", end_date__gt=lease.end_date
            ).exists()
        )
        if not renewed:
            signals.append(
                Signal(
                    lease.organization_id,
                    RetentionSignal.LEASE_ENDING,
                    lease.code,
                    _("租约 %(code)s（%(unit)s）将于 %(end)s 到期，尚未续租。")
                    % {"code": lease.code, "unit": str(lease.unit), "end": lease.end_date.isoformat()},
                )
            )
    since = dt.datetime.combine(today - dt.timedelta(days=REQUEST_WINDOW_DAYS), dt.time(0), tzinfo=clock.TZ)
    requests = (
        ServiceRequest.objects.filter(filed_at__gte=since)
        .values("organization_id")
        .annotate(
            n=Count("pk"),
            breached=Count("pk", filter=Q(response_breached=True) | Q(resolution_breached=True)),
        )
        .order_by("organization_id")
    )
    for row in requests:
        if row["n"] >= REPEATED_REQUESTS or row["breached"] >= BREACHED_REQUESTS:
            signals.append(
                Signal(
                    row["organization_id"],
                    RetentionSignal.REQUESTS,
                    "",
                    _("近 90 天诉求 %(n)s 件，其中超时 %(b)s 件。") % {"n": row["n"], "b": row["breached"]},
                )
            )
    rated = (
        ServiceRequest.objects.filter(rating__isnull=False, filed_at__gte=since)
        .values("organization_id")
        .annotate(mean=Avg("rating"), n=Count("pk"))
        .order_by("organization_id")
    )
    for rating in rated:
        if rating["mean"] is not None and rating["mean"] <= LOW_RATING:
            signals.append(
                Signal(
                    rating["organization_id"],
                    RetentionSignal.SATISFACTION,
                    "",
                    _("近 90 天 %(n)s 次评价平均 %(m)s 分。")
                    % {"n": rating["n"], "m": round(float(rating["mean"]), 1)},
                )
            )
    largest = SpaceUnit.objects.filter(status=UnitStatus.VACANT).aggregate(m=Max("area_m2"))["m"] or Decimal(
        0
    )
    for request in SpaceRequest.objects.filter(
        status=SpaceRequestStatus.OPEN, area_min_m2__gt=largest
    ).order_by("pk"):
        signals.append(
            Signal(
                request.organization_id,
                RetentionSignal.SPACE_TOO_LARGE,
                request.code,
                _("用房需求 %(code)s 至少 %(a)s㎡，街区最大空置房源 %(m)s㎡。")
                % {"code": request.code, "a": request.area_min_m2, "m": largest},
            )
        )
    return signals


@dataclass
class WatchReport:
    opened: list[str] = field(default_factory=list)
    cleared: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return _("新开稳商案件 %(o)s 件，信号消除结案 %(c)s 件") % {
            "o": len(self.opened),
            "c": len(self.cleared),
        }


def _default_owner(organization_id: int) -> Any:
    from kechuang.servicedesk.services import current_assignee

    return current_assignee(organization_id)


def watchlist_build(*, moment: dt.datetime | None = None) -> WatchReport:
    """Open one case per firm and signal (and subject) that has none open, and close as cleared the open
    automatic cases whose signal is gone (a lease renewed). Idempotent: the partial unique index on open
    cases is the last word when two runs race."""
    moment = moment or now()
    today = moment.astimezone(clock.TZ).date()
    report = WatchReport()
    signals = current_signals(today=today)
    live = {(s.organization_id, s.signal, s.ref) for s in signals}
    enterprise_ids = set(
        Organization.objects.filter(
            pk__in={s.organization_id for s in signals}, kind=OrganizationKind.ENTERPRISE
        ).values_list("pk", flat=True)
    )
    open_cases = {
        (c.organization_id, c.signal, c.signal_ref): c
        for c in RetentionCase.objects.filter(status=RetentionStatus.OPEN, signal__in=list(AUTOMATIC_SIGNALS))
    }
    for signal in signals:
        key = (signal.organization_id, signal.signal, signal.ref)
        if key in open_cases or signal.organization_id not in enterprise_ids:
            continue
        try:
            with transaction.atomic():
                owner = _default_owner(signal.organization_id)
                case = RetentionCase.objects.create(
                    code=new_code("WS"),
                    organization_id=signal.organization_id,
                    signal=signal.signal,
                    signal_ref=signal.ref,
                    detail=signal.detail[:500],
                    owner=owner,
                    opened_at=moment,
                )
                audit.record(
                    "investment.retention.open",
                    actor=None,
                    obj=case,
                    username="investment-watchlist",
                    detail={"signal": signal.signal, "ref": signal.ref},
                )
                if owner is not None:
                    notification_send(
                        recipients=[owner],
                        kind="investment.retention",
                        title=lazy_text(gettext_lazy("稳商预警 %(code)s"), code=case.code),
                        body=case.detail,
                        url=reverse("investment:retention-detail", args=[case.code]),
                        dedupe_key=f"ws:{case.pk}:open",
                    )
        except IntegrityError:
            continue  # another run opened it
        open_cases[key] = case
        report.opened.append(case.code)
    for key, case in open_cases.items():
        if key in live or case.signal not in AUTOMATIC_SIGNALS:
            continue
        with transaction.atomic():
            if RetentionCase.objects.filter(pk=case.pk, status=RetentionStatus.OPEN).update(
                status=RetentionStatus.CLEARED, closed_at=moment, reason=_("信号已消除（如已续租）。")
            ):
                audit.record(
                    "investment.retention.clear", actor=None, obj=case, username="investment-watchlist"
                )
                report.cleared.append(case.code)
    return report


@transaction.atomic
def retention_case_open(
    *, actor: Actor, organization: Organization, signal: str, detail: str, owner: Any = None
) -> RetentionCase:
    """A case opened by hand: a stated plan to move, or any signal staff learned of."""
    if not is_system(actor) and not perms.can_create_case(actor):
        raise deny(_("只有街区工作人员可以登记稳商预警。"))
    if signal not in RetentionSignal.values:
        raise ApplicationError({"signal": _("请选择预警信号。")})
    if organization.kind != OrganizationKind.ENTERPRISE:
        raise ApplicationError({"organization": _("稳商预警只适用于企业。")})
    if owner is not None and not roles_of(owner) & {Role.COMMISSIONER, Role.OPERATOR, Role.LEADER}:
        raise ApplicationError({"owner": _("负责人必须是街区工作人员。")})
    if RetentionCase.objects.filter(
        organization=organization, signal=signal, signal_ref="", status=RetentionStatus.OPEN
    ).exists():
        raise Conflict({"signal": _("该企业已有同一信号的未结案件。")})
    case = RetentionCase.objects.create(
        code=new_code("WS"),
        organization=organization,
        signal=signal,
        detail=checked_text(detail, "detail", label=_("信号说明"), limit=500),
        owner=owner or _default_owner(organization.pk) or user_of(actor),
        opened_at=now(),
    )
    audit.record("investment.retention.open", actor=actor, obj=case, detail={"signal": signal})
    return case


def _may_work_case(actor: Actor, case: RetentionCase) -> None:
    require(is_system(actor) or perms.can_work_case(actor, case), _("只有该案件的负责人或运营人员可以办理。"))


@transaction.atomic
def retention_action_add(
    *, actor: Actor, case: RetentionCase, text: str, due_on: dt.date | None = None
) -> RetentionAction:
    _may_work_case(actor, case)
    if case.status != RetentionStatus.OPEN:
        raise ApplicationError(_("案件已结案。"))
    action = RetentionAction.objects.create(
        case=case,
        text=checked_text(text, "text", label=_("措施"), limit=500),
        due_on=due_on,
        created_by=user_of(actor),
        created_at=now(),
    )
    audit.record("investment.retention.action", actor=actor, obj=case, detail={"action": action.pk})
    return action


@transaction.atomic
def retention_action_done(*, actor: Actor, action: RetentionAction) -> RetentionAction:
    _may_work_case(actor, action.case)
    RetentionAction.objects.filter(pk=action.pk, done_at__isnull=True).update(done_at=now())
    action.refresh_from_db()
    return action


@transaction.atomic
def retention_case_close(
    *, actor: Actor, case: RetentionCase, outcome: str, reason: str = "", reason_code: str = ""
) -> RetentionCase:
    """Kept (留住), with what kept the firm, or lost (流失), with a reason from the fixed list
    (``LostReason``; text required for 其他): the figures of firms kept and lost count these."""
    _may_work_case(actor, case)
    if outcome not in (RetentionStatus.KEPT, RetentionStatus.LOST):
        raise ApplicationError({"outcome": _("请选择已留住或已流失。")})
    if outcome == RetentionStatus.LOST:
        code, text = checked_reason(reason_code, reason)
    else:
        code, text = "", checked_text(reason, "reason", label=_("原因"), limit=500)
    locked = RetentionCase.objects.select_for_update().get(pk=case.pk)
    if locked.status != RetentionStatus.OPEN:
        raise ApplicationError(_("案件已结案。"))
    locked.status = outcome
    locked.reason_code = code
    locked.reason = text
    locked.closed_at = now()
    locked.save(update_fields=["status", "reason_code", "reason", "closed_at"])
    audit.record(
        "investment.retention.close", actor=actor, obj=locked, detail={"outcome": outcome, "reason": code}
    )
    return locked


# --- the year's target -----------------------------------------------------------------------------------


@transaction.atomic
def target_set(*, actor: Actor, year: int, investment_fen: int, jobs: int) -> AnnualTarget:
    """Set the year's target (operators): planned investment and jobs of the projects signed that year."""
    if not is_system(actor) and not perms.can_assign_lead(actor):
        raise deny(_("只有运营人员可以设定年度招商目标。"))
    if not (2000 <= year <= 2100):
        raise ApplicationError({"year": _("年度无效。")})
    if not (0 <= jobs <= MAX_JOBS):
        raise ApplicationError({"jobs": _("就业岗位数必须在 0 到 1,000,000 之间。")})
    amount = checked_fen(investment_fen, "investment_fen", label=_("计划投资目标"), allow_zero=True)
    target, _created = AnnualTarget.objects.update_or_create(
        year=year, defaults={"investment_fen": amount, "jobs": jobs, "updated_by": user_of(actor)}
    )
    audit.record(
        "investment.target.set", actor=actor, obj=target, detail={"investment_fen": amount, "jobs": jobs}
    )
    return target
