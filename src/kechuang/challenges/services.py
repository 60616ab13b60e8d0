"""Every write of the challenge module: ``<entity>_<verb>(*, actor, ...)``, keyword-only, one transaction
(retried on deadlocks when outermost), permission-checked first, audited last. Bad input raises a
``ValidationError`` keyed by the field, with a Chinese message; nothing is half-written.

Locks are taken in one order everywhere — challenge, application, panel, award, milestones (by
sequence), then the code counter, then the ledger — so two services never wait for each other in a cycle.

Money: when a challenge is awarded each award posts Dr challenge fund / Cr award payable (the
commitment); each tranche posts Dr award payable / Cr fund with the idempotency key and business
reference ``challenges.tranche:<milestone code>``. Payments are strictly in order, never beyond the
award, never twice (the milestone row is locked; ``TranchePayment.milestone`` is UNIQUE; the ledger's
business reference is UNIQUE), and approved by someone other than the requester.

Ranking (documented tie rule): applications are ranked by the mean of the reviewers' weighted totals,
highest first; ties go to the higher mean score on the heaviest-weighted criterion (the first such
criterion if several weigh the same), then to the lower requested budget, then to the earlier submission.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from typing import Any, TypedDict, Unpack

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core import audit
from kechuang.core.actors import require, user_of
from kechuang.core.codes import next_code
from kechuang.core.money import MAX_FEN, checked_fen
from kechuang.core.scoring import checked_criteria, checked_values, weighted_total_x100
from kechuang.core.text import checked_text
from kechuang.core.uploads import check_upload
from kechuang.directory.choices import OrganizationKind
from kechuang.directory.models import Organization, Person, TechnologyField
from kechuang.ledger import services as ledger
from kechuang.ledger.choices import AccountKind
from kechuang.ledger.models import Account, JournalEntry
from kechuang.ledger.retry import atomic_with_retry

from . import notify
from . import permissions as perms
from .choices import (
    PUBLIC_STATUSES,
    ApplicationStatus,
    AwardStatus,
    ChallengeStatus,
    IssuerKind,
    MilestoneStatus,
    PanelStatus,
)
from .models import (
    Application,
    ApplicationAttachment,
    Award,
    Challenge,
    Milestone,
    Panel,
    PanelMember,
    Score,
    TranchePayment,
)

MAX_ATTACHMENTS = 10
MAX_MILESTONES = 12
DEFAULT_CRITERIA = [
    {"code": "tech", "name": "技术方案先进性与可行性", "weight": 40},
    {"code": "team", "name": "团队能力与基础", "weight": 30},
    {"code": "indicators", "name": "指标达成可能性", "weight": 20},
    {"code": "budget", "name": "经费合理性", "weight": 10},
]
NOT_CHOSEN_REASON = "综合评分第 %(rank)s 名（共 %(count)s 家申请），未进入揭榜名单。"


# --- helpers ------------------------------------------------------------------------------------------


def _date(raw: Any, field: str, label: str) -> dt.date:
    value: Any = raw
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value))
        except ValueError:
            raise ValidationError(
                {field: _("“%(label)s”不是有效日期（如 2026-12-31）。") % {"label": label}}
            ) from None
    day: dt.date = value
    return day


def _index_changed(challenge: Challenge) -> None:
    """The challenge entered or left the public matching index (site search, 可揭榜的榜单)."""
    from kechuang.transfer import matching

    matching.object_changed(challenge, public=challenge.status in PUBLIC_STATUSES)


def _lock_challenge(challenge: Challenge) -> Challenge:
    return Challenge.objects.select_for_update().get(pk=challenge.pk)


def _fields(values: Iterable[Any]) -> list[TechnologyField]:
    wanted = [v.pk if isinstance(v, TechnologyField) else v for v in values or []]
    found = list(TechnologyField.objects.filter(pk__in=[w for w in wanted if isinstance(w, int)]))
    if len(found) != len(set(wanted)):
        raise ValidationError({"fields": _("技术领域无效。")})
    return found


# --- challenges ---------------------------------------------------------------------------------------

_CHALLENGE_TEXT = {
    "title": (_("榜单名称"), 120, True),
    "problem": (_("技术难题"), 5000, True),
    "indicators": (_("目标指标"), 3000, True),
    "ip_terms": (_("知识产权约定"), 2000, True),
    "eligibility": (_("揭榜条件"), 1000, False),
}


def _challenge_data(data: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name, (label, limit, required) in _CHALLENGE_TEXT.items():
        if name in data:
            clean[name] = checked_text(data[name], name, label=str(label), limit=limit, required=required)
    if "issuer_fen" in data:
        clean["issuer_fen"] = checked_fen(
            data["issuer_fen"], "issuer_fen", label=_("发榜方出资"), allow_zero=True
        )
    if "subsidy_fen" in data:
        clean["subsidy_fen"] = checked_fen(
            data["subsidy_fen"], "subsidy_fen", label=_("街区补贴"), allow_zero=True
        )
    if "deadline" in data:
        clean["deadline"] = _date(data["deadline"], "deadline", _("揭榜截止日期"))
    if "max_winners" in data:
        winners = data["max_winners"]
        if isinstance(winners, bool) or not isinstance(winners, int) or not 1 <= winners <= 10:
            raise ValidationError({"max_winners": _("“最多揭榜单位数”应为 1 到 10 之间的整数。")})
        clean["max_winners"] = winners
    return clean


def _check_budget(challenge: Challenge) -> None:
    if challenge.issuer_fen + challenge.subsidy_fen <= 0:
        raise ValidationError({"issuer_fen": _("发榜方出资与街区补贴合计必须大于零。")})
    if challenge.issuer_fen + challenge.subsidy_fen > MAX_FEN:
        raise ValidationError({"issuer_fen": _("榜单总额过大。")})


@atomic_with_retry
def challenge_create(
    *,
    actor: Any,
    issuer: Organization,
    title: str,
    problem: str,
    indicators: str,
    issuer_fen: int,
    subsidy_fen: int,
    deadline: Any,
    ip_terms: str,
    eligibility: str = "",
    max_winners: int = 1,
    fields: Sequence[Any] = (),
) -> Challenge:
    """A draft challenge. Enterprises post for their own organization; operators may post for any
    enterprise or for the district (a government organization: 街区出题)."""
    require(perms.can_create_challenge(actor, issuer), _("只有企业成员（为本企业）或运营人员可以发榜。"))
    if issuer.kind == OrganizationKind.GOVERNMENT:
        require(perms.is_operator(actor), _("只有运营人员可以以街区名义发榜。"))
        issuer_kind = IssuerKind.DISTRICT
    elif issuer.kind == OrganizationKind.ENTERPRISE:
        issuer_kind = IssuerKind.ENTERPRISE
    else:
        raise ValidationError({"issuer": _("发榜单位应为企业或街区管理机构。")})
    data = _challenge_data(
        {
            "title": title,
            "problem": problem,
            "indicators": indicators,
            "issuer_fen": issuer_fen,
            "subsidy_fen": subsidy_fen,
            "deadline": deadline,
            "ip_terms": ip_terms,
            "eligibility": eligibility,
            "max_winners": max_winners,
        }
    )
    if not data["eligibility"]:
        data.pop("eligibility")
    if data["deadline"] <= timezone.localdate():
        raise ValidationError({"deadline": _("揭榜截止日期应晚于今天。")})
    challenge = Challenge(
        code=next_code("challenges", "JB", width=4),
        issuer=issuer,
        issuer_kind=issuer_kind,
        created_by=user_of(actor),
        **data,
    )
    _check_budget(challenge)
    challenge.save()
    challenge.fields.set(_fields(fields))
    audit.record(
        "challenges.challenge.create",
        actor=actor,
        obj=challenge,
        detail={"budget_fen": challenge.budget_fen, "issuer": issuer.pk},
    )
    return challenge


class ChallengeChanges(TypedDict, total=False):
    """What ``challenge_update`` changes in a draft or returned challenge, by name and type."""

    title: str
    problem: str
    indicators: str
    ip_terms: str
    eligibility: str
    issuer_fen: int
    subsidy_fen: int
    deadline: Any  # a date or its ISO text (the API's and the forms' input)
    max_winners: int
    fields: Any  # technology fields (objects or codes) or None to keep them


@atomic_with_retry
def challenge_update(*, actor: Any, challenge: Challenge, **changes: Unpack[ChallengeChanges]) -> Challenge:
    challenge = _lock_challenge(challenge)
    require(
        perms.can_edit_challenge(actor, challenge), _("只有发榜单位或运营人员可以修改草稿或被退回的榜单。")
    )
    data: dict[str, Any] = dict(changes)
    fields = data.pop("fields", None)
    unknown = set(data) - set(_CHALLENGE_TEXT) - {"issuer_fen", "subsidy_fen", "deadline", "max_winners"}
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("此项不能修改。")})
    clean = _challenge_data(data)
    for name, value in clean.items():
        setattr(challenge, name, value)
    _check_budget(challenge)
    if "deadline" in clean and challenge.deadline <= timezone.localdate():
        raise ValidationError({"deadline": _("揭榜截止日期应晚于今天。")})
    challenge.save()
    if fields is not None:
        challenge.fields.set(_fields(fields))
    audit.record("challenges.challenge.update", actor=actor, obj=challenge, detail={"fields": sorted(clean)})
    return challenge


@atomic_with_retry
def challenge_submit(*, actor: Any, challenge: Challenge) -> Challenge:
    """Send the draft to the operators for review (发榜审核)."""
    challenge = _lock_challenge(challenge)
    require(
        perms.can_submit_challenge(actor, challenge), _("只有发榜单位或运营人员可以提交草稿或被退回的榜单。")
    )
    if challenge.deadline <= timezone.localdate():
        raise ValidationError({"deadline": _("揭榜截止日期已过，请先修改。")})
    challenge.status, challenge.submitted_at, challenge.status_reason = (
        ChallengeStatus.SUBMITTED,
        timezone.now(),
        "",
    )
    challenge.save(update_fields=["status", "submitted_at", "status_reason", "updated_at"])
    notify.challenge_submitted(challenge)
    audit.record("challenges.challenge.submit", actor=actor, obj=challenge)
    return challenge


@atomic_with_retry
def challenge_review(*, actor: Any, challenge: Challenge, approve: bool, reason: str = "") -> Challenge:
    """An operator (never the one who drafted it) publishes the challenge (公示) or sends it back with a
    reason."""
    challenge = _lock_challenge(challenge)
    if challenge.status != ChallengeStatus.SUBMITTED:
        raise ValidationError(_("只有待审核的榜单可以审核。"))
    require(
        perms.can_review_challenge(actor, challenge),
        _("只有运营人员可以审核榜单，且不能审核自己起草的榜单。"),
    )
    reason = checked_text(reason, "reason", label=_("审核意见"), limit=500, required=not approve)
    challenge.reviewed_by = user_of(actor)
    if approve:
        if challenge.deadline <= timezone.localdate():
            raise ValidationError({"deadline": _("揭榜截止日期已过，不能发布。")})
        challenge.status, challenge.published_at, challenge.status_reason = (
            ChallengeStatus.PUBLISHED,
            timezone.now(),
            "",
        )
    else:
        challenge.status, challenge.status_reason = ChallengeStatus.REJECTED, reason
    challenge.save(update_fields=["status", "reviewed_by", "published_at", "status_reason", "updated_at"])
    if approve:
        _index_changed(challenge)
    notify.challenge_reviewed(challenge, approved=approve)
    audit.record(
        "challenges.challenge.publish" if approve else "challenges.challenge.reject",
        actor=actor,
        obj=challenge,
        detail={"reason": reason},
    )
    return challenge


@atomic_with_retry
def challenge_withdraw(*, actor: Any, challenge: Challenge, reason: str) -> Challenge:
    challenge = _lock_challenge(challenge)
    require(
        perms.can_withdraw_challenge(actor, challenge),
        _("只有发榜单位或运营人员可以撤回尚未截止报名的榜单。"),
    )
    reason = checked_text(reason, "reason", label=_("撤回原因"), limit=500)
    was_public = challenge.status in PUBLIC_STATUSES
    challenge.status, challenge.status_reason = ChallengeStatus.WITHDRAWN, reason
    challenge.save(update_fields=["status", "status_reason", "updated_at"])
    if was_public:
        _index_changed(challenge)
    pending = list(Application.objects.filter(challenge=challenge, status=ApplicationStatus.SUBMITTED))
    Application.objects.filter(pk__in=[a.pk for a in pending]).update(
        status=ApplicationStatus.NOT_CHOSEN, decision_reason=_("榜单已撤回：%(r)s") % {"r": reason}
    )
    notify.challenge_withdrawn(challenge, pending)
    audit.record("challenges.challenge.withdraw", actor=actor, obj=challenge, detail={"reason": reason})
    return challenge


@atomic_with_retry
def challenge_close(*, actor: Any, challenge: Challenge) -> Challenge:
    """Close applications (截止报名); the submitted applications go to review."""
    challenge = _lock_challenge(challenge)
    require(perms.can_close_challenge(actor, challenge), _("只有运营人员可以截止揭榜中的榜单。"))
    if not Application.objects.filter(challenge=challenge, status=ApplicationStatus.SUBMITTED).exists():
        raise ValidationError(_("还没有揭榜申请，不能截止报名；可延期或撤回榜单。"))
    challenge.status, challenge.closed_at = ChallengeStatus.CLOSED, timezone.now()
    challenge.save(update_fields=["status", "closed_at", "updated_at"])
    Application.objects.filter(challenge=challenge, status=ApplicationStatus.SUBMITTED).update(
        status=ApplicationStatus.IN_REVIEW
    )
    audit.record("challenges.challenge.close", actor=actor, obj=challenge)
    return challenge


# --- applications -------------------------------------------------------------------------------------


@atomic_with_retry
def application_submit(
    *,
    actor: Any,
    challenge: Challenge,
    organization: Organization,
    team: str,
    plan: str,
    milestones: str,
    budget_fen: int,
    co_applicants: Sequence[Organization] = (),
    team_members: Sequence[Person] = (),
) -> Application:
    """Apply to a published challenge for one's own organization (揭榜). Open to any capable team."""
    challenge = _lock_challenge(challenge)
    if challenge.status != ChallengeStatus.PUBLISHED:
        raise ValidationError(_("该榜单当前不接受揭榜申请。"))
    require(
        perms.can_apply(actor, challenge, organization),
        _("只能以本人所在机构揭榜，且发榜单位不能揭自己的榜。"),
    )
    if challenge.deadline < timezone.localdate():
        raise ValidationError(_("揭榜已截止。"))
    team = checked_text(team, "team", label=_("团队介绍"), limit=3000)
    plan = checked_text(plan, "plan", label=_("技术方案"), limit=10000)
    milestones = checked_text(milestones, "milestones", label=_("拟定里程碑"), limit=3000)
    budget_fen = checked_fen(budget_fen, "budget_fen", label=_("申请经费"))
    if budget_fen > challenge.budget_fen:
        raise ValidationError(
            {
                "budget_fen": _("申请经费不能超过榜单总额 %(y)s 元。")
                % {"y": f"{challenge.budget_fen / 100:,.2f}"}
            }
        )
    co = [o for o in co_applicants if o.pk != organization.pk]
    if any(o.pk == challenge.issuer_id for o in co):
        raise ValidationError({"co_applicants": _("发榜单位不能作为联合申报单位。")})
    if Application.objects.filter(challenge=challenge, organization=organization).exists():
        raise ValidationError({"organization": _("本机构已经揭过这张榜。")})
    application = Application.objects.create(
        code=next_code("challenges", "JS", width=5),
        challenge=challenge,
        organization=organization,
        team=team,
        plan=plan,
        milestones=milestones,
        budget_fen=budget_fen,
        submitted_by=user_of(actor),
    )
    application.co_applicants.set(co)
    application.team_members.set(list(team_members))
    notify.application_submitted(application)
    audit.record(
        "challenges.application.submit",
        actor=actor,
        obj=application,
        detail={"challenge": challenge.code, "budget_fen": budget_fen},
    )
    return application


@atomic_with_retry
def application_withdraw(*, actor: Any, application: Application) -> Application:
    _lock_challenge(application.challenge)
    application = Application.objects.select_for_update().select_related("challenge").get(pk=application.pk)
    require(perms.can_withdraw_application(actor, application), _("只能在截止报名前撤回本机构的申请。"))
    application.status = ApplicationStatus.WITHDRAWN
    application.save(update_fields=["status"])
    audit.record("challenges.application.withdraw", actor=actor, obj=application)
    return application


@atomic_with_retry
def attachment_add(*, actor: Any, application: Application, file: Any) -> ApplicationAttachment:
    """Attach a file after checking its content (docs/reliability.md K3): PDF, OOXML, OLE2, OFD or images."""
    application = Application.objects.select_for_update().select_related("challenge").get(pk=application.pk)
    require(perms.can_attach(actor, application), _("只有揭榜单位可以在截止报名前上传附件。"))
    if application.attachments.count() >= MAX_ATTACHMENTS:
        raise ValidationError({"file": _("每份申请最多 %(n)s 个附件。") % {"n": MAX_ATTACHMENTS}})
    checked = check_upload(file, name=getattr(file, "name", "") or "", field="file")
    if hasattr(file, "seek"):
        file.seek(0)
    content = file.read() if hasattr(file, "read") else bytes(file)
    attachment = ApplicationAttachment(
        application=application,
        original_name=checked.name,
        content_type=checked.content_type,
        kind_label=checked.label,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=user_of(actor),
    )
    attachment.file.save("upload.bin", ContentFile(content), save=False)
    attachment.save()
    audit.record(
        "challenges.attachment.add",
        actor=actor,
        obj=attachment,
        detail={"application": application.code, "sha256": checked.sha256, "kind": checked.kind},
    )
    return attachment


# --- expert review ------------------------------------------------------------------------------------


def _criteria(raw: Any) -> list[dict[str, Any]]:
    return checked_criteria(raw, DEFAULT_CRITERIA)


@atomic_with_retry
def panel_build(
    *, actor: Any, challenge: Challenge, experts: Sequence[Person], criteria: Any = None
) -> Panel:
    """Build the review panel from the expert pool. An expert in conflict with any application (same
    organization as the applicant or a co-applicant, or on a team) cannot be assigned."""
    challenge = _lock_challenge(challenge)
    require(perms.can_build_panel(actor, challenge), _("只有运营人员可以为已截止报名的榜单组建评审组。"))
    if Panel.objects.filter(challenge=challenge).exists():
        raise ValidationError(_("该榜单已有评审组。"))
    experts = list(dict.fromkeys(experts))
    if not experts:
        raise ValidationError({"experts": _("请至少选择一位评审专家。")})
    if len(experts) > 15:
        raise ValidationError({"experts": _("评审专家不超过 15 位。")})
    not_experts = [p.name for p in experts if not p.is_expert]
    if not_experts:
        raise ValidationError({"experts": _("不在专家库中：%(names)s") % {"names": "、".join(not_experts)}})
    applications = Application.objects.filter(challenge=challenge, status=ApplicationStatus.IN_REVIEW)
    conflicted = [p.name for p in experts if perms.conflicted_application_ids(p, applications)]
    if conflicted:
        raise ValidationError(
            {
                "experts": _(
                    "以下专家与揭榜单位存在利益冲突（同单位、联合申报单位或团队成员），"
                    "不能参加评审：%(names)s"
                )
                % {"names": "、".join(conflicted)}
            }
        )
    panel = Panel.objects.create(challenge=challenge, criteria=_criteria(criteria), created_by=user_of(actor))
    PanelMember.objects.bulk_create([PanelMember(panel=panel, expert=p) for p in experts])
    notify.panel_invited(panel, experts)
    challenge.status = ChallengeStatus.REVIEWING
    challenge.save(update_fields=["status", "updated_at"])
    audit.record(
        "challenges.panel.build",
        actor=actor,
        obj=panel,
        detail={"experts": [p.pk for p in experts], "criteria": panel.criteria},
    )
    return panel


@atomic_with_retry
def score_submit(
    *, actor: Any, panel: Panel, application: Application, values: dict[str, Any], comment: str = ""
) -> Score:
    """A reviewer scores one application (0–100 per criterion); they may revise it until the panel closes."""
    panel = Panel.objects.select_for_update().get(pk=panel.pk)
    require(perms.can_score(actor, panel), _("只有本评审组的专家可以在评审结束前评分。"))
    person = perms.expert_person(actor)
    assert person is not None
    application = Application.objects.get(pk=application.pk)
    if application.challenge_id != panel.challenge_id or application.status != ApplicationStatus.IN_REVIEW:
        raise ValidationError({"application": _("该申请不在本评审组的评审范围内。")})
    if perms.has_conflict(person, application):
        raise PermissionDenied(_("您与该揭榜单位存在利益冲突，不能评审。"))
    clean = checked_values(panel.criteria, values)
    comment = checked_text(comment, "comment", label=_("评审意见"), limit=1000, required=False)
    member = PanelMember.objects.get(panel=panel, expert=person)
    score, created = Score.objects.update_or_create(
        member=member,
        application=application,
        defaults={
            "values": clean,
            "total_x100": weighted_total_x100(panel.criteria, clean),
            "comment": comment,
            "submitted_at": timezone.now(),
        },
    )
    audit.record(
        "challenges.score.submit",
        actor=actor,
        obj=score,
        detail={"application": application.code, "revised": not created},
    )  # no values: blind
    return score


def ranking_key(row: dict[str, Any]) -> tuple[Any, ...]:
    """The documented tie rule (see the module docstring)."""
    return (-row["mean_x100"], -row["lead_x100"], row["budget_fen"], row["submitted_at"], row["code"])


def compute_ranking(panel: Panel) -> list[dict[str, Any]]:
    criteria = panel.criteria
    lead = max(criteria, key=lambda c: c["weight"])["code"] if criteria else ""
    rows = []
    applications = list(
        Application.objects.filter(challenge_id=panel.challenge_id, status=ApplicationStatus.IN_REVIEW)
    )
    scores: dict[int, list[Score]] = {}
    for score in Score.objects.filter(member__panel=panel):
        scores.setdefault(score.application_id, []).append(score)
    for application in applications:
        mine = scores.get(application.pk, [])
        count = len(mine) or 1
        rows.append(
            {
                "application": application,
                "code": application.code,
                "budget_fen": application.budget_fen,
                "submitted_at": application.submitted_at,
                "reviewers": len(mine),
                "mean_x100": round(sum(s.total_x100 for s in mine) / count),
                "lead_x100": round(sum(int(s.values.get(lead, 0)) * 100 for s in mine) / count),
            }
        )
    rows.sort(key=ranking_key)
    return rows


@atomic_with_retry
def panel_close(*, actor: Any, panel: Panel) -> Panel:
    """Close the panel once every reviewer has scored every application they may review; rank them."""
    _lock_challenge(panel.challenge)
    panel = Panel.objects.select_for_update().select_related("challenge").get(pk=panel.pk)
    require(perms.can_close_panel(actor, panel), _("只有运营人员可以结束评审。"))
    applications = list(
        Application.objects.filter(challenge_id=panel.challenge_id, status=ApplicationStatus.IN_REVIEW)
    )
    done = set(Score.objects.filter(member__panel=panel).values_list("member_id", "application_id"))
    missing = []
    for member in panel.members.select_related("expert"):
        for application in applications:
            if (member.pk, application.pk) not in done and not perms.has_conflict(member.expert, application):
                missing.append(f"{member.expert.name}→{application.code}")
    if missing:
        raise ValidationError(_("还有评分未完成：%(list)s") % {"list": "、".join(missing[:10])})
    rows = compute_ranking(panel)
    for rank, row in enumerate(rows, start=1):
        Application.objects.filter(pk=row["application"].pk).update(rank=rank, score_x100=row["mean_x100"])
    panel.status, panel.closed_by, panel.closed_at = PanelStatus.CLOSED, user_of(actor), timezone.now()
    panel.save(update_fields=["status", "closed_by", "closed_at"])
    audit.record(
        "challenges.panel.close",
        actor=actor,
        obj=panel,
        detail={"ranking": [(r["code"], r["mean_x100"]) for r in rows]},
    )
    return panel


# --- award --------------------------------------------------------------------------------------------


def _fund_account(challenge: Challenge) -> Account:
    return ledger.account_open(
        code=f"challenges:{challenge.code}:fund",
        kind=AccountKind.ASSET,
        name=f"{challenge.title[:60]} · 榜单资金",
        group=challenge.code,
        reference=challenge.code,
    )


def _payable_account(challenge: Challenge, award_code: str, solver: Organization) -> Account:
    return ledger.account_open(
        code=f"challenges:{challenge.code}:award:{award_code}",
        kind=AccountKind.LIABILITY,
        name=f"{solver.name[:60]} · 揭榜经费应付",
        group=challenge.code,
        reference=award_code,
    )


@atomic_with_retry
def challenge_award(
    *,
    actor: Any,
    challenge: Challenge,
    winners: Sequence[Application],
    amounts: Sequence[int] | None = None,
    reasons: dict[str, str] | None = None,
) -> list[Award]:
    """Decide the winners (one, or several in parallel: 赛马制) after the panel closed. Each award commits
    its amount in the ledger (Dr fund / Cr award payable); every other applicant is told how many applied
    and why they were not chosen."""
    challenge = _lock_challenge(challenge)
    require(perms.can_award(actor, challenge), _("只有运营人员可以在评审结束后定榜。"))
    winners = list(dict.fromkeys(winners))
    if not winners:
        raise ValidationError({"winners": _("请至少选择一个揭榜单位。")})
    if len(winners) > challenge.max_winners:
        raise ValidationError({"winners": _("本榜最多 %(n)s 个揭榜单位。") % {"n": challenge.max_winners}})
    pool = {
        a.pk: a
        for a in Application.objects.select_for_update()
        .filter(challenge=challenge, status=ApplicationStatus.IN_REVIEW)
        .select_related("organization")
        .order_by("pk")
    }
    if any(w.pk not in pool for w in winners):
        raise ValidationError({"winners": _("所选申请不在本榜的评审范围内。")})
    if amounts is None:
        share, rest = divmod(challenge.budget_fen, len(winners))
        amounts = [share + (rest if i == 0 else 0) for i in range(len(winners))]
    amounts = [checked_fen(a, "amounts", label=_("支持金额")) for a in amounts]
    if len(amounts) != len(winners):
        raise ValidationError({"amounts": _("支持金额的个数应与揭榜单位一致。")})
    if sum(amounts) > challenge.budget_fen:
        raise ValidationError({"amounts": _("支持金额合计超过榜单总额。")})
    fund = _fund_account(challenge)
    awards = []
    count = len(pool)
    for application, amount in zip(winners, amounts, strict=True):
        application = pool[application.pk]
        code = next_code("challenges", "LX", width=4)
        payable = _payable_account(challenge, code, application.organization)
        award = Award.objects.create(
            code=code,
            challenge=challenge,
            application=application,
            amount_fen=amount,
            payable_account=payable,
            created_by=user_of(actor),
        )
        ledger.post(
            actor=actor,
            idempotency_key=f"challenges.award:{code}",
            kind="challenges.award",
            memo=_("%(c)s 定榜：%(o)s") % {"c": challenge.code, "o": application.organization.name},
            reference=code,
            business_reference=f"challenges.award:{code}",
            lines=[ledger.debit(fund, amount), ledger.credit(payable, amount)],
        )
        application.status, application.decision_reason = (
            ApplicationStatus.WON,
            _("揭榜成功，进入任务书签订。"),
        )
        application.save(update_fields=["status", "decision_reason"])
        awards.append(award)
    reasons = reasons or {}
    won = {w.pk for w in winners}
    for application in pool.values():
        if application.pk in won:
            continue
        reason = checked_text(
            reasons.get(application.code), "reasons", label=_("未入选原因"), limit=500, required=False
        )
        if not reason:
            reason = _(NOT_CHOSEN_REASON) % {"rank": application.rank or "—", "count": count}
        application.status, application.decision_reason = ApplicationStatus.NOT_CHOSEN, reason
        application.save(update_fields=["status", "decision_reason"])
    challenge.status, challenge.awarded_at, challenge.fund_account = (
        ChallengeStatus.AWARDED,
        timezone.now(),
        fund,
    )
    challenge.save(update_fields=["status", "awarded_at", "fund_account", "updated_at"])
    notify.decided(challenge, pool.values())
    audit.record(
        "challenges.challenge.award",
        actor=actor,
        obj=challenge,
        detail={"awards": [(a.code, a.amount_fen) for a in awards], "applications": count},
    )
    return awards


@atomic_with_retry
def task_book_sign(
    *, actor: Any, award: Award, task_book: str, milestones: Sequence[dict[str, Any]]
) -> Award:
    """Sign the task book (任务书): its milestones (军令状) with acceptance criteria and tranche amounts,
    which must add up to the award exactly."""
    _lock_challenge(award.challenge)
    award = Award.objects.select_for_update().select_related("challenge", "application").get(pk=award.pk)
    require(perms.can_sign_task_book(actor, award), _("只有发榜单位或运营人员可以签订任务书。"))
    if award.status != AwardStatus.SIGNING:
        raise ValidationError(_("任务书已经签订。"))
    task_book = checked_text(task_book, "task_book", label=_("任务书"), limit=10000)
    if not milestones or len(milestones) > MAX_MILESTONES:
        raise ValidationError({"milestones": _("请填写 1 到 %(n)s 个里程碑。") % {"n": MAX_MILESTONES}})
    rows = []
    for index, item in enumerate(milestones, start=1):
        if not isinstance(item, dict):
            raise ValidationError({"milestones": _("第 %(n)s 个里程碑格式不对。") % {"n": index}})
        title = checked_text(
            item.get("title"), "milestones", label=_("第 %(n)s 个里程碑的名称") % {"n": index}, limit=120
        )
        criteria = checked_text(
            item.get("criteria"),
            "milestones",
            label=_("第 %(n)s 个里程碑的验收标准") % {"n": index},
            limit=3000,
        )
        due_on = _date(item.get("due_on"), "milestones", _("第 %(n)s 个里程碑的计划完成日期") % {"n": index})
        amount = checked_fen(
            item.get("amount_fen"), "milestones", label=_("第 %(n)s 笔拨付金额") % {"n": index}
        )
        rows.append((title, criteria, due_on, amount))
    total = sum(r[3] for r in rows)
    if total != award.amount_fen:
        raise ValidationError(
            {
                "milestones": _("各笔拨付合计 %(t)s 元，应等于支持金额 %(a)s 元。")
                % {"t": f"{total / 100:,.2f}", "a": f"{award.amount_fen / 100:,.2f}"}
            }
        )
    if any(b[2] < a[2] for a, b in itertools.pairwise(rows)):
        raise ValidationError({"milestones": _("里程碑的计划完成日期应按顺序排列。")})
    for sequence, (title, criteria, due_on, amount) in enumerate(rows, start=1):
        Milestone.objects.create(
            code=next_code("challenges", "BF", width=5),
            award=award,
            sequence=sequence,
            title=title,
            criteria=criteria,
            due_on=due_on,
            amount_fen=amount,
        )
    award.task_book, award.status = task_book, AwardStatus.IN_PROGRESS
    award.signed_by, award.signed_at = user_of(actor), timezone.now()
    award.save(update_fields=["task_book", "status", "signed_by", "signed_at"])
    Challenge.objects.filter(pk=award.challenge_id, status=ChallengeStatus.AWARDED).update(
        status=ChallengeStatus.IN_PROGRESS, updated_at=timezone.now()
    )
    audit.record(
        "challenges.award.sign", actor=actor, obj=award, detail={"milestones": len(rows), "total_fen": total}
    )
    return award


def _lock_milestone(milestone: Milestone) -> tuple[Award, Milestone]:
    award = (
        Award.objects.select_for_update()
        .select_related("challenge", "application")
        .get(pk=milestone.award_id)
    )
    milestone = (
        Milestone.objects.select_for_update()
        .select_related("award__challenge", "award__application")
        .get(pk=milestone.pk)
    )
    return award, milestone


def _earlier(milestone: Milestone) -> Any:
    return Milestone.objects.filter(award_id=milestone.award_id, sequence__lt=milestone.sequence)


@atomic_with_retry
def milestone_deliver(*, actor: Any, milestone: Milestone, note: str) -> Milestone:
    """The solver reports a milestone done (in order: the previous one must have been accepted)."""
    _award, milestone = _lock_milestone(milestone)
    require(
        milestone.status == MilestoneStatus.PLANNED and perms.is_solver(actor, milestone.award),
        _("只有揭榜单位可以提交进行中的里程碑。"),
    )
    if _earlier(milestone).filter(status__in=[MilestoneStatus.PLANNED, MilestoneStatus.DELIVERED]).exists():
        raise ValidationError(_("请按顺序提交：前一个里程碑尚未验收。"))
    note = checked_text(note, "note", label=_("交付说明"), limit=3000)
    milestone.status, milestone.delivery_note = MilestoneStatus.DELIVERED, note
    milestone.delivered_by, milestone.delivered_at = user_of(actor), timezone.now()
    milestone.save(update_fields=["status", "delivery_note", "delivered_by", "delivered_at"])
    notify.milestone_delivered(milestone)
    audit.record("challenges.milestone.deliver", actor=actor, obj=milestone)
    return milestone


@atomic_with_retry
def milestone_accept(*, actor: Any, milestone: Milestone, approve: bool = True, note: str = "") -> Milestone:
    """The issuer accepts a delivered milestone against its criteria (or sends it back with a note)."""
    _award, milestone = _lock_milestone(milestone)
    require(perms.can_accept_milestone(actor, milestone), _("只有发榜单位可以验收待验收的里程碑。"))
    if approve:
        milestone.status, milestone.accepted_by, milestone.accepted_at = (
            MilestoneStatus.ACCEPTED,
            user_of(actor),
            timezone.now(),
        )
    else:
        note = checked_text(note, "note", label=_("退回意见"), limit=1000)
        milestone.status = MilestoneStatus.PLANNED
        milestone.delivery_note = f"{milestone.delivery_note}\n【退回】{note}"[:3000]
    milestone.save(update_fields=["status", "accepted_by", "accepted_at", "delivery_note"])
    notify.milestone_answered(milestone, approved=approve)
    audit.record(
        "challenges.milestone.accept" if approve else "challenges.milestone.return",
        actor=actor,
        obj=milestone,
        detail={"note": note},
    )
    return milestone


@atomic_with_retry
def tranche_request(*, actor: Any, milestone: Milestone) -> Milestone:
    """An operator asks for the tranche of an accepted milestone to be paid (maker)."""
    _award, milestone = _lock_milestone(milestone)
    if milestone.status in (MilestoneStatus.REQUESTED, MilestoneStatus.PAID):
        raise ValidationError(_("这笔拨付已经申请或已拨付。"))
    require(perms.can_request_tranche(actor, milestone), _("只有运营人员可以为已验收的里程碑申请拨付。"))
    if _earlier(milestone).exclude(status=MilestoneStatus.PAID).exists():
        raise ValidationError(_("请按顺序拨付：前一笔尚未拨付。"))
    _refuse_what_payment_would(_award, milestone)  # the checker's step must not be bound to fail
    milestone.status, milestone.requested_by, milestone.requested_at = (
        MilestoneStatus.REQUESTED,
        user_of(actor),
        timezone.now(),
    )
    milestone.save(update_fields=["status", "requested_by", "requested_at"])
    notify.tranche_requested(milestone, actor)
    audit.record(
        "challenges.tranche.request", actor=actor, obj=milestone, detail={"amount_fen": milestone.amount_fen}
    )
    return milestone


def _refuse_what_payment_would(award: Award, milestone: Milestone) -> None:
    """What :func:`tranche_pay` refuses regardless of who approves, checked when the tranche is requested
    (docs/reliability.md, two-step decisions): beyond the award, or no fund account."""
    paid = TranchePayment.objects.filter(award=award).aggregate(total=Sum("amount_fen"))["total"] or 0
    if paid + milestone.amount_fen > award.amount_fen:
        raise ValidationError(
            _("拨付合计将超过支持金额 %(a)s 元，已拒绝。") % {"a": f"{award.amount_fen / 100:,.2f}"}
        )
    if award.challenge.fund_account_id is None or award.payable_account_id is None:
        raise ValidationError(_("榜单资金账户未建立。"))


@atomic_with_retry
def tranche_return(*, actor: Any, milestone: Milestone, reason: str) -> Milestone:
    """The checker does not approve a requested tranche: it goes back to 已验收 with the reason, for the
    operators to request again when it is in order (maker-checker kept: never the requester)."""
    _award, milestone = _lock_milestone(milestone)
    if milestone.status != MilestoneStatus.REQUESTED:
        raise ValidationError(_("这笔不在待审批状态。"))
    if milestone.requested_by_id == getattr(actor, "pk", None):
        raise PermissionDenied(_("拨付申请人不能审批自己的申请（制单与审批分离）。"))
    require(perms.can_approve_tranche(actor, milestone), _("只有运营人员或班子领导可以审批拨付。"))
    reason = checked_text(reason, "reason", label=_("退回原因"), limit=500)
    if not reason:
        raise ValidationError({"reason": _("退回时请填写原因。")})
    requester_id = milestone.requested_by_id
    milestone.status, milestone.requested_by, milestone.requested_at = MilestoneStatus.ACCEPTED, None, None
    milestone.save(update_fields=["status", "requested_by", "requested_at"])
    notify.tranche_returned(milestone, requester_id=requester_id, reason=reason)
    audit.record(
        "challenges.tranche.return",
        actor=actor,
        obj=milestone,
        detail={"amount_fen": milestone.amount_fen, "requested_by": requester_id, "reason": reason},
    )
    return milestone


@atomic_with_retry
def tranche_pay(*, actor: Any, milestone: Milestone) -> TranchePayment:
    """Approve and pay a requested tranche (checker): never the requester, strictly in order, never twice,
    never beyond the award. Posts Dr award payable / Cr fund under ``challenges.tranche:<code>``."""
    award, milestone = _lock_milestone(milestone)
    if (
        milestone.status == MilestoneStatus.PAID
        or TranchePayment.objects.filter(milestone=milestone).exists()
    ):
        raise ValidationError(_("这笔已经拨付，不能重复拨付。"))
    if milestone.status != MilestoneStatus.REQUESTED:
        raise ValidationError(_("这笔尚未申请拨付。"))
    if milestone.requested_by_id == getattr(actor, "pk", None):
        raise PermissionDenied(_("拨付申请人不能审批自己的申请（制单与审批分离）。"))
    require(perms.can_approve_tranche(actor, milestone), _("只有运营人员或班子领导可以审批拨付。"))
    if _earlier(milestone).exclude(status=MilestoneStatus.PAID).exists():
        raise ValidationError(_("请按顺序拨付：前一笔尚未拨付。"))
    paid = TranchePayment.objects.filter(award=award).aggregate(total=Sum("amount_fen"))["total"] or 0
    if paid + milestone.amount_fen > award.amount_fen:
        raise ValidationError(
            _("拨付合计将超过支持金额 %(a)s 元，已拒绝。") % {"a": f"{award.amount_fen / 100:,.2f}"}
        )
    challenge = award.challenge
    if challenge.fund_account_id is None or award.payable_account_id is None:
        raise ValidationError(_("榜单资金账户未建立。"))
    reference = milestone.ledger_reference
    try:
        with transaction.atomic():
            payment = TranchePayment.objects.create(
                milestone=milestone,
                award=award,
                amount_fen=milestone.amount_fen,
                requested_by_id=milestone.requested_by_id,
                approved_by=actor,
            )
    except IntegrityError:
        raise ValidationError(_("这笔已经拨付，不能重复拨付。")) from None
    result = ledger.post(
        actor=actor,
        idempotency_key=reference,
        kind="challenges.tranche",
        reference=milestone.code,
        business_reference=reference,
        memo=_("%(c)s 第 %(n)s 笔拨付") % {"c": challenge.code, "n": milestone.sequence},
        lines=[
            ledger.debit(Account.objects.get(pk=award.payable_account_id), milestone.amount_fen),
            ledger.credit(Account.objects.get(pk=challenge.fund_account_id), milestone.amount_fen),
        ],
    )
    if result.replayed:  # pragma: no cover - the locks above make this unreachable
        raise ValidationError(_("这笔已经拨付，不能重复拨付。"))
    payment.entry = JournalEntry.objects.get(uuid=str(result.entry_uuid))
    payment.save(update_fields=["entry"])
    milestone.status = MilestoneStatus.PAID
    milestone.save(update_fields=["status"])
    notify.tranche_paid(milestone)
    if not award.milestones.exclude(status=MilestoneStatus.PAID).exists():
        award.status, award.accepted_at = AwardStatus.ACCEPTED, timezone.now()
        award.save(update_fields=["status", "accepted_at"])
        if not Award.objects.filter(challenge=challenge).exclude(status=AwardStatus.ACCEPTED).exists():
            Challenge.objects.filter(pk=challenge.pk).update(
                status=ChallengeStatus.COMPLETED, updated_at=timezone.now()
            )
    audit.record(
        "challenges.tranche.pay",
        actor=actor,
        obj=milestone,
        detail={
            "amount_fen": milestone.amount_fen,
            "entry": result.entry_uuid,
            "requested_by": milestone.requested_by_id,
        },
    )
    return payment


def challenges_close_due(*, today: dt.date | None = None) -> dict[str, list[str]]:
    """The system closes applications of published challenges past their deadline (one transaction per
    challenge, audited as the system). Those without applications stay published and are reported."""
    today = today or timezone.localdate()
    closed, empty = [], []
    for pk in Challenge.objects.filter(status=ChallengeStatus.PUBLISHED, deadline__lt=today).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            challenge = Challenge.objects.select_for_update().get(pk=pk)
            if challenge.status != ChallengeStatus.PUBLISHED:
                continue
            submitted = Application.objects.filter(challenge=challenge, status=ApplicationStatus.SUBMITTED)
            if not submitted.exists():
                empty.append(challenge.code)
                continue
            challenge.status, challenge.closed_at = ChallengeStatus.CLOSED, timezone.now()
            challenge.save(update_fields=["status", "closed_at", "updated_at"])
            submitted.update(status=ApplicationStatus.IN_REVIEW)
            audit.record(
                "challenges.challenge.close",
                obj=challenge,
                username="system",
                detail={"reason": "deadline", "deadline": challenge.deadline.isoformat()},
            )
            closed.append(challenge.code)
    return {"closed": closed, "empty": empty}
