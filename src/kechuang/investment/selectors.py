"""Reads of the investment app: lists from the visibility querysets, the pipeline board and the leaders'
figures, a lead's clocks, and the spaces engine's matches for a lead's space need."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from kechuang.core.roles import Role, roles_of
from kechuang.servicedesk import clock
from kechuang.spaces.models import SpaceRequest, SpaceUnit

from . import permissions as perms
from .choices import (
    CLOSED_STAGES,
    PIPELINE,
    LeadClock,
    LeadStage,
    LostReason,
    ProjectStatus,
    RetentionStatus,
)
from .models import AnnualTarget, KeyProject, Lead, LeadEscalation, RetentionCase, StageEvidence
from .services import CLOCK_FIELDS, CLOCKLESS_STAGES, now

SOON = dt.timedelta(hours=8)


def lead_list(*, actor: Any, filters: dict[str, Any] | None = None) -> QuerySet[Lead]:
    qs = perms.lead_visible_to(actor).select_related(
        "cluster", "block", "leader", "case_officer", "organization"
    )
    filters = filters or {}
    if filters.get("q"):
        q = str(filters["q"])
        qs = qs.filter(Q(name__icontains=q) | Q(code__iexact=q) | Q(uscc__iexact=q))
    for key in ("stage", "source", "cluster", "leader", "case_officer", "block"):
        if filters.get(key):
            qs = qs.filter(**{key: filters[key]})
    return qs


def may_see_confidential(actor: Any, lead: Lead) -> bool:
    return bool(perms.can_see_confidential(actor, lead))


def confidential_ids(actor: Any, leads: list[Lead]) -> set[int]:
    """Of ``leads``, those whose confidential fields the actor may see (no query)."""
    return {lead.pk for lead in leads if may_see_confidential(actor, lead)}


@dataclass(frozen=True)
class Column:
    stage: str
    label: str
    leads: list[Lead]
    count: int


BOARD_FIELDS = (
    "code",
    "name",
    "is_key",
    "stage",
    "stage_entered_at",
    "source",
    "planned_investment_fen",
    "cluster__name",
    "leader__username",
    "leader__display_name",
    "case_officer_id",
)


def board(*, actor: Any, filters: dict[str, Any] | None = None, per_column: int = 30) -> list[Column]:
    """The pipeline board: one column per stage (closed leads last), newest first in each."""
    leads = list(
        lead_list(actor=actor, filters={**(filters or {}), "stage": None})
        # what a card shows and who may see its figures: a lead has some 40 fields and its list five
        # related rows, which cost more to load than the page to render (docs/adr/0029-page-speed.md)
        .select_related(None)
        .select_related("cluster", "leader")
        .only(*BOARD_FIELDS)
        .order_by("-stage_entered_at", "-pk")
    )
    by_stage: dict[str, list[Lead]] = defaultdict(list)
    for lead in leads:
        by_stage[lead.stage].append(lead)
    return [
        Column(stage=s, label=str(LeadStage(s).label), leads=by_stage[s][:per_column], count=len(by_stage[s]))
        for s in (*PIPELINE, LeadStage.LOST, LeadStage.WITHDRAWN)
    ]


@dataclass(frozen=True)
class ClockState:
    clock: str
    label: str
    due_at: dt.datetime | None
    done_at: dt.datetime | None
    state: str  # done / running / soon / breached / stopped

    @property
    def css(self) -> str:
        return {"done": "success", "soon": "warning", "breached": "danger"}.get(self.state, "secondary")

    @property
    def state_label(self) -> str:
        return {
            "done": _("已完成"),
            "running": _("计时中"),
            "soon": _("即将到期"),
            "breached": _("已超时"),
            "stopped": _("已停止"),
        }[self.state]


def lead_clocks(lead: Lead, moment: dt.datetime | None = None) -> list[ClockState]:
    moment = moment or now()
    states = []
    for name, (due_field, done_field) in CLOCK_FIELDS.items():
        due = getattr(lead, due_field)
        done = getattr(lead, done_field) if done_field else None
        if done is not None:
            state = "done"
        elif lead.stage in CLOCKLESS_STAGES:
            state = "stopped"
        elif due <= moment:
            state = "breached"
        elif due - moment <= SOON:
            state = "soon"
        else:
            state = "running"
        states.append(ClockState(name, str(LeadClock(name).label), due, done, state))
    return states


def breached_count(*, actor: Any, moment: dt.datetime | None = None) -> int:
    moment = moment or now()
    condition = Q()
    for due_field, done_field in CLOCK_FIELDS.values():
        part = Q(**{f"{due_field}__lte": moment})
        if done_field:
            part &= Q(**{f"{done_field}__isnull": True})
        condition |= part
    return perms.lead_visible_to(actor).filter(condition).exclude(stage__in=list(CLOCKLESS_STAGES)).count()


# --- space matching -----------------------------------------------------------------------------------


def lead_matches(lead: Lead, *, limit: int = 6) -> list[Any]:
    """Vacant units for the lead's space need, scored by the spaces engine (``spaces.selectors``): the
    need is read as a request for the area ±25 %, the type, the power and the intended block."""
    from kechuang.spaces.choices import UnitStatus
    from kechuang.spaces.selectors import rank_matches, score_unit

    if not lead.space_area_m2:
        return []
    area = Decimal(lead.space_area_m2)
    probe = SpaceRequest(
        area_min_m2=(area * Decimal("0.75")).quantize(Decimal("0.01")),
        area_max_m2=(area * Decimal("1.25")).quantize(Decimal("0.01")),
        space_type=lead.space_type,
        min_power_kw=lead.power_kw,
        block_id=lead.block_id,
    )
    candidates = SpaceUnit.objects.filter(
        status=UnitStatus.VACANT,
        area_m2__gte=probe.area_min_m2 * Decimal("0.8"),
        area_m2__lte=probe.area_max_m2 * Decimal("1.2"),
    )
    if lead.space_type:
        candidates = candidates.filter(space_type=lead.space_type)
    units = list(candidates.select_related("building", "building__park", "building__block")[:500])
    field_ids = {lead.cluster_id} if lead.cluster_id else set()
    matches = [m for m in (score_unit(probe, unit, field_ids, {}) for unit in units) if m]
    return [m for m in rank_matches(matches, limit=limit) if m.meets_requirements]


# --- the leaders' figures -------------------------------------------------------------------------------


def _days(delta: dt.timedelta) -> float:
    return round(delta.total_seconds() / 86400, 1)


# A sum of planned investment is shown to a leader only when it cannot give away one lead's confidential
# figure: every lead in it is one whose figures the leader may see, or at least this many are not
# (docs/adr/0026-investment-attraction.md, "Confidentiality").
MIN_OTHERS_IN_SUM = 3


@dataclass(frozen=True)
class MoneyCell:
    """A sum of planned investment as one viewer may see it: ``fen`` is None when it is withheld."""

    fen: int | None
    withheld: bool = False


def money_cell(actor: Any, leads: list[Lead], seen: set[int] | None, *, audience: bool) -> MoneyCell:
    """The sum of ``leads``' planned investment for ``actor``: nothing outside the figures' audience
    (operators and leaders); for a leader, withheld when 1 or 2 of the leads are not his (their figures
    could be read off the sum). ``seen`` is None for those who see every lead's figures (operators)."""
    if not audience:
        return MoneyCell(None)
    if seen is not None:
        others = sum(1 for lead in leads if lead.pk not in seen)
        if 0 < others < MIN_OTHERS_IN_SUM:
            return MoneyCell(None, withheld=True)
    return MoneyCell(sum(lead.planned_investment_fen for lead in leads))


def pipeline_figures(*, actor: Any, year: int | None = None) -> dict[str, Any]:
    """Pipeline by stage, cluster, block and owner; conversion and mean days per stage; planned investment
    and jobs of the leads signed or later this year; lost and withdrawn leads by reason. Investment sums
    are shown to operators and leaders (the figures' audience), and to a leader only where they give away
    no single lead's confidential figure (``money_cell``); commissioners get the counts."""
    leads = list(perms.lead_visible_to(actor).select_related("cluster", "block", "leader"))
    show_money = bool(roles_of(actor) & {Role.OPERATOR, Role.LEADER})
    seen = None if Role.OPERATOR in roles_of(actor) else confidential_ids(actor, leads)
    year = year or now().astimezone(clock.TZ).year
    by_stage = []
    for stage in (*PIPELINE, LeadStage.LOST, LeadStage.WITHDRAWN):
        rows = [lead for lead in leads if lead.stage == stage]
        cell = money_cell(actor, rows, seen, audience=show_money)
        by_stage.append(
            {
                "stage": stage,
                "label": LeadStage(stage).label,
                "count": len(rows),
                "investment_fen": cell.fen,
                "investment_withheld": cell.withheld,
                "jobs": sum(r.jobs for r in rows),
            }
        )
    open_leads = [lead for lead in leads if lead.stage not in CLOSED_STAGES]

    def grouped(key: Any) -> list[dict[str, Any]]:
        counter: Counter[str] = Counter(key(lead) for lead in open_leads)
        return [{"name": name, "count": n} for name, n in counter.most_common()]

    evidence = StageEvidence.objects.filter(lead__in=[lead.pk for lead in leads]).values_list(
        "lead_id", "stage", "recorded_at"
    )
    entered: dict[int, dict[str, dt.datetime]] = defaultdict(dict)
    for lead in leads:
        entered[lead.pk][LeadStage.LEAD] = lead.received_at
    for lead_id, stage, when in evidence:
        entered[lead_id].setdefault(stage, when)
    conversion = []
    for index, stage in enumerate(PIPELINE[:-1]):
        following = PIPELINE[index + 1]
        reached = [pk for pk, stages in entered.items() if stage in stages]
        moved = [pk for pk in reached if following in entered[pk]]
        spans = [entered[pk][following] - entered[pk][stage] for pk in moved]
        conversion.append(
            {
                "stage": stage,
                "label": LeadStage(stage).label,
                "next_label": LeadStage(following).label,
                "reached": len(reached),
                "moved": len(moved),
                "rate": round(100 * len(moved) / len(reached)) if reached else None,
                "mean_days": _days(sum(spans, dt.timedelta()) / len(spans)) if spans else None,
            }
        )
    signed_stages = set(PIPELINE[PIPELINE.index(LeadStage.SIGNED) :])
    signed_this_year = [
        lead
        for lead in leads
        if lead.stage in signed_stages
        and (signed_at := entered[lead.pk].get(LeadStage.SIGNED)) is not None
        and signed_at.astimezone(clock.TZ).year == year
    ]
    target = AnnualTarget.objects.filter(year=year).first()
    signed = money_cell(actor, signed_this_year, seen, audience=show_money)
    signed_jobs = sum(lead.jobs for lead in signed_this_year)
    return {
        "year": year,
        "target": target,
        "investment_progress": _percent(signed.fen, target.investment_fen)
        if target and signed.fen is not None
        else None,
        "jobs_progress": _percent(signed_jobs, target.jobs) if target else None,
        "show_money": show_money,
        "min_others": MIN_OTHERS_IN_SUM,
        "total": len(leads),
        "open": len(open_leads),
        "by_stage": by_stage,
        "by_cluster": grouped(lambda lead: lead.cluster.name if lead.cluster else str(_("未定"))),
        "by_block": grouped(lambda lead: lead.block.name if lead.block else str(_("未定"))),
        "by_owner": grouped(lambda lead: str(lead.leader) if lead.leader else str(_("未定"))),
        "conversion": conversion,
        "lost_by_reason": lost_by_reason(leads),
        "signed_count": len(signed_this_year),
        "signed_investment_fen": signed.fen,
        "signed_investment_withheld": signed.withheld,
        "signed_jobs": sum(lead.jobs for lead in signed_this_year),
        "projects_at_risk": list(
            perms.project_visible_to(actor)
            .exclude(status=ProjectStatus.ON_TRACK)
            .select_related("leader", "organization")
            .order_by("status", "code")[:10]
        ),
    }


def lost_by_reason(leads: list[Lead]) -> list[dict[str, Any]]:
    """Lost and withdrawn leads counted by the fixed list of reasons (every reason, in the list's order)."""
    closed = [lead for lead in leads if lead.stage in CLOSED_STAGES]
    return [
        {
            "code": code,
            "label": label,
            "lost": sum(
                1 for lead in closed if lead.closed_reason_code == code and lead.stage == LeadStage.LOST
            ),
            "withdrawn": sum(
                1 for lead in closed if lead.closed_reason_code == code and lead.stage == LeadStage.WITHDRAWN
            ),
        }
        for code, label in LostReason.choices
    ]


def _percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def closed_reason_text(lead: Lead) -> str:
    """「选址外地：……」: the reason from the list and its text."""
    if not lead.closed_reason_code:
        return lead.closed_reason
    label = str(LostReason(lead.closed_reason_code).label)
    return f"{label}：{lead.closed_reason}" if lead.closed_reason else label


def export_sheets(*, actor: Any) -> list[Any]:
    """The pipeline as spreadsheet sheets: every lead the actor sees (investment and terms only where the
    actor may see them), and the figures by stage."""
    from kechuang.core.excel import SheetData

    leads = list(lead_list(actor=actor).order_by("received_at", "pk"))
    visible = confidential_ids(actor, leads)

    def local(moment: dt.datetime | None) -> str:
        return moment.astimezone(clock.TZ).strftime("%Y-%m-%d") if moment else ""

    rows = [
        [
            lead.code,
            lead.name,
            str(lead.get_source_display()),
            lead.cluster.name if lead.cluster else "",
            lead.block.name if lead.block else "",
            str(lead.get_stage_display()),
            str(lead.leader) if lead.leader else "",
            str(lead.case_officer) if lead.case_officer else "",
            local(lead.received_at),
            local(lead.stage_entered_at),
            lead.jobs,
            (lead.planned_investment_fen / 1_000_000) if lead.pk in visible else _("保密"),
            _("是") if lead.is_key else "",
            closed_reason_text(lead),
        ]
        for lead in leads
    ]
    figures = pipeline_figures(actor=actor)
    stage_rows = [
        [
            str(row["label"]),
            row["count"],
            (row["investment_fen"] / 1_000_000)
            if row["investment_fen"] is not None
            else (_("保密") if row["investment_withheld"] else ""),
            row["jobs"],
        ]
        for row in figures["by_stage"]
    ]
    conversion_rows = [
        [
            f"{row['label']} → {row['next_label']}",
            row["reached"],
            row["moved"],
            row["rate"] or "",
            row["mean_days"] or "",
        ]
        for row in figures["conversion"]
    ]
    return [
        SheetData(
            title=str(_("招商线索")),
            header=[
                _("编号"),
                _("名称"),
                _("来源"),
                _("产业集群"),
                _("板块"),
                _("阶段"),
                _("挂帅领导"),
                _("项目专员"),
                _("登记日期"),
                _("进入本阶段"),
                _("就业岗位"),
                _("计划投资（万元）"),
                _("重点项目"),
                _("流失或撤回原因"),
            ],
            rows=rows,
        ),
        SheetData(
            title=str(_("按阶段")),
            header=[_("阶段"), _("线索"), _("计划投资（万元）"), _("就业")],
            rows=stage_rows,
        ),
        SheetData(
            title=str(_("转化率")),
            header=[_("阶段"), _("到达"), _("推进"), _("转化率（%）"), _("平均用时（天）")],
            rows=conversion_rows,
        ),
    ]


def weekly_brief(*, actor: Any, moment: dt.datetime | None = None) -> dict[str, Any]:
    """The one-page weekly brief: the last seven days' new leads, stage moves, landings, clock escalations
    and retention cases; key projects at risk; the year's progress."""
    moment = moment or now()
    since = moment - dt.timedelta(days=7)
    visible = perms.lead_visible_to(actor)
    moves = list(
        StageEvidence.objects.filter(lead__in=visible, recorded_at__gte=since)
        .select_related("lead")
        .order_by("-recorded_at")[:30]
    )
    figures = pipeline_figures(actor=actor)
    return {
        "since": since,
        "until": moment,
        "new_leads": list(
            visible.filter(received_at__gte=since).select_related("cluster").order_by("-received_at")[:20]
        ),
        "moves": moves,
        "landed": [e for e in moves if e.stage == LeadStage.REGISTERED],
        "closed": list(
            visible.filter(stage__in=list(CLOSED_STAGES), stage_entered_at__gte=since).order_by(
                "-stage_entered_at"
            )[:20]
        ),
        "escalations": list(
            LeadEscalation.objects.filter(lead__in=visible, escalated_at__gte=since).select_related(
                "lead", "lead__leader"
            )[:20]
        ),
        "retention_opened": list(
            perms.retention_visible_to(actor).filter(opened_at__gte=since).select_related("organization")[:20]
        ),
        "figures": figures,
    }


def home_figures(*, actor: Any) -> dict[str, Any]:
    visible = perms.lead_visible_to(actor)
    counts = dict(visible.values_list("stage").annotate(n=Count("pk")).values_list("stage", "n"))
    mine = visible.filter(Q(leader_id=actor.pk) | Q(case_officer_id=actor.pk)).exclude(
        stage__in=list(CLOSED_STAGES)
    )
    return {
        "open": sum(n for stage, n in counts.items() if stage not in CLOSED_STAGES),
        "landed": sum(
            counts.get(stage, 0) for stage in (LeadStage.REGISTERED, LeadStage.SETTLED, LeadStage.PRODUCING)
        ),
        "mine": mine.count(),
        "breached": breached_count(actor=actor),
        "projects_at_risk": perms.project_visible_to(actor).exclude(status=ProjectStatus.ON_TRACK).count(),
        "retention_open": perms.retention_visible_to(actor).filter(status=RetentionStatus.OPEN).count(),
    }


# --- key projects and retention -----------------------------------------------------------------------


def project_list(*, actor: Any, filters: dict[str, Any] | None = None) -> QuerySet[KeyProject]:
    qs = perms.project_visible_to(actor).select_related("leader", "organization")
    status = (filters or {}).get("status")
    if status:
        qs = qs.filter(status=status)
    return qs


def retention_list(*, actor: Any, filters: dict[str, Any] | None = None) -> QuerySet[RetentionCase]:
    qs = perms.retention_visible_to(actor).select_related("organization", "owner")
    filters = filters or {}
    for key in ("status", "signal"):
        if filters.get(key):
            qs = qs.filter(**{key: filters[key]})
    return qs


def retention_figures(*, actor: Any) -> dict[str, Any]:
    """Firms kept and lost (closed cases), the lost ones by the fixed list of reasons (every reason, in
    the list's order)."""
    cases = perms.retention_visible_to(actor)
    counts = dict(cases.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    by_code = dict(
        cases.filter(status=RetentionStatus.LOST)
        .values_list("reason_code")
        .annotate(n=Count("pk"))
        .values_list("reason_code", "n")
    )
    return {
        "open": counts.get(RetentionStatus.OPEN, 0),
        "kept": counts.get(RetentionStatus.KEPT, 0),
        "lost": counts.get(RetentionStatus.LOST, 0),
        "cleared": counts.get(RetentionStatus.CLEARED, 0),
        "firms_kept": cases.filter(status=RetentionStatus.KEPT).values("organization").distinct().count(),
        "firms_lost": cases.filter(status=RetentionStatus.LOST).values("organization").distinct().count(),
        "lost_reasons": [
            {"code": code, "label": label, "n": by_code.get(code, 0)} for code, label in LostReason.choices
        ],
    }
