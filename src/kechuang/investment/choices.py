"""Choices of the investment app (招商稳商, docs/adr/0026-investment-attraction.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LeadSource(models.TextChoices):
    SPIN_OFF = "spin_off", _("院所成果转化")
    EVENT = "event", _("活动与大赛")
    REFERRAL = "referral", _("推荐介绍")
    OUTSIDE = "outside", _("区外企业")
    SPACE_ENQUIRY = "space_enquiry", _("用房咨询")


class LeadStage(models.TextChoices):
    """The pipeline in order, then the two ways out."""

    LEAD = "lead", _("线索")
    ASSESSMENT = "assessment", _("研判")
    NEGOTIATION = "negotiation", _("在谈")
    SIGNED = "signed", _("签约")
    REGISTERED = "registered", _("注册")
    SETTLED = "settled", _("入驻")
    PRODUCING = "producing", _("投产")
    LOST = "lost", _("流失")
    WITHDRAWN = "withdrawn", _("撤回")


PIPELINE: tuple[str, ...] = (
    LeadStage.LEAD,
    LeadStage.ASSESSMENT,
    LeadStage.NEGOTIATION,
    LeadStage.SIGNED,
    LeadStage.REGISTERED,
    LeadStage.SETTLED,
    LeadStage.PRODUCING,
)
CLOSED_STAGES: frozenset[str] = frozenset({LeadStage.LOST, LeadStage.WITHDRAWN})
LANDED_STAGES: frozenset[str] = frozenset({LeadStage.REGISTERED, LeadStage.SETTLED, LeadStage.PRODUCING})


class LostReason(models.TextChoices):
    """Why a lead was lost or withdrawn, or a firm left (the fixed list the leaders' figures group by;
    the free text beside it says more, and is required for 其他)."""

    ELSEWHERE = "elsewhere", _("选址外地")
    POLICY = "policy", _("政策不匹配")
    SPACE = "space", _("空间不足")
    FINANCING = "financing", _("融资未到位")
    OWN = "own", _("企业自身原因")
    OTHER = "other", _("其他")


class EvidenceKind(models.TextChoices):
    """What entering a stage requires (``EVIDENCE_FOR``)."""

    ASSESSMENT_NOTE = "assessment_note", _("研判意见")
    TERM_SHEET = "term_sheet", _("投资意向书（条款清单）")
    AGREEMENT = "agreement", _("签约协议")
    BUSINESS_LICENCE = "business_licence", _("营业执照")
    LEASE = "lease", _("租赁合同")
    FIRST_OUTPUT = "first_output", _("首笔产出")


EVIDENCE_FOR: dict[str, str] = {
    LeadStage.ASSESSMENT: EvidenceKind.ASSESSMENT_NOTE,
    LeadStage.NEGOTIATION: EvidenceKind.TERM_SHEET,
    LeadStage.SIGNED: EvidenceKind.AGREEMENT,
    LeadStage.REGISTERED: EvidenceKind.BUSINESS_LICENCE,
    LeadStage.SETTLED: EvidenceKind.LEASE,
    LeadStage.PRODUCING: EvidenceKind.FIRST_OUTPUT,
}


class ActivityKind(models.TextChoices):
    NOTE = "note", _("跟进记录")
    ACKNOWLEDGED = "acknowledged", _("受理")
    FEEDBACK = "feedback", _("反馈企业")
    STAGE = "stage", _("阶段变更")
    OWNERS = "owners", _("责任人变更")
    ESCALATED = "escalated", _("超时升级")
    RESERVATION = "reservation", _("预订房源")


class LeadClock(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", _("受理")
    ASSESSMENT = "assessment", _("首次研判")
    FEEDBACK = "feedback", _("反馈企业")
    UPDATE = "update", _("定期更新")


class ProjectStatus(models.TextChoices):
    ON_TRACK = "on_track", _("正常推进")
    AT_RISK = "at_risk", _("存在风险")
    BLOCKED = "blocked", _("受阻")


class RetentionSignal(models.TextChoices):
    LEASE_ENDING = "lease_ending", _("租约 6 个月内到期且未续租")
    REQUESTS = "requests", _("诉求反复或超时")
    SATISFACTION = "satisfaction", _("满意度下降")
    MOVE_PLAN = "move_plan", _("表示有迁出打算")
    SPACE_TOO_LARGE = "space_too_large", _("用房需求超出可供面积")


AUTOMATIC_SIGNALS: frozenset[str] = frozenset(
    {
        RetentionSignal.LEASE_ENDING,
        RetentionSignal.REQUESTS,
        RetentionSignal.SATISFACTION,
        RetentionSignal.SPACE_TOO_LARGE,
    }
)


class RetentionStatus(models.TextChoices):
    OPEN = "open", _("跟进中")
    KEPT = "kept", _("已留住")
    LOST = "lost", _("已流失")
    CLEARED = "cleared", _("信号已消除")
