"""Shortcuts for tests, demo data and the browser journey: each goes through the real services, so what
they build is exactly what the pages and the API would have built."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from kechuang.directory.models import Organization, Person

from . import services
from .models import Application, Award, Challenge, Milestone, Panel


def minimal_pdf(text: str = "plan") -> bytes:
    """A small, valid PDF (passes the upload content check)."""
    from kechuang.vouchers.factories import minimal_pdf as pdf

    return pdf(text)


def make_challenge(
    *, actor: Any, issuer: Organization, publish_by: Any = None, **overrides: Any
) -> Challenge:
    data: dict[str, Any] = {
        "title": "高精度激光雷达点云实时处理算法",
        "problem": "车规级激光雷达点云在嵌入式平台上的实时分割与目标识别。",
        "indicators": "单帧处理时延 ≤ 20 ms；识别准确率 ≥ 95%；功耗 ≤ 15 W。",
        "issuer_fen": 30_000_000,
        "subsidy_fen": 20_000_000,
        "deadline": timezone.localdate() + dt.timedelta(days=30),
        "ip_terms": "背景知识产权归各自所有；项目新产生的知识产权归发榜方，揭榜方享有非独占使用权。",
        "max_winners": 1,
    }
    data.update(overrides)
    challenge = services.challenge_create(actor=actor, issuer=issuer, **data)
    if publish_by is not None:
        services.challenge_submit(actor=actor, challenge=challenge)
        challenge = services.challenge_review(actor=publish_by, challenge=challenge, approve=True)
    return challenge


def make_application(
    *,
    challenge: Challenge,
    actor: Any,
    organization: Organization,
    budget_fen: int = 40_000_000,
    **extra: Any,
) -> Application:
    return services.application_submit(
        actor=actor,
        challenge=challenge,
        organization=organization,
        team="团队 8 人，含博士 3 人，平均年龄 29 岁。",
        plan="基于稀疏卷积与量化推理的点云分割方案，分三阶段实施。",
        milestones="1. 算法原型；2. 嵌入式移植；3. 装车验证。",
        budget_fen=budget_fen,
        **extra,
    )


def make_panel(*, challenge: Challenge, operator: Any, experts: list[Person], criteria: Any = None) -> Panel:
    challenge = Challenge.objects.get(pk=challenge.pk)
    if challenge.status == "published":
        services.challenge_close(actor=operator, challenge=challenge)
        challenge.refresh_from_db()
    return services.panel_build(actor=operator, challenge=challenge, experts=experts, criteria=criteria)


def score_all(*, panel: Panel, reviewers: dict[Any, dict[str, int]]) -> None:
    """``reviewers``: user → {application code: score for every criterion}."""
    for user, by_code in reviewers.items():
        for code, value in by_code.items():
            application = Application.objects.get(code=code)
            services.score_submit(
                actor=user,
                panel=panel,
                application=application,
                values={c["code"]: value for c in panel.criteria},
                comment="方案可行",
            )


def milestone_plan(amount_fen: int, parts: int = 3) -> list[dict[str, Any]]:
    today = timezone.localdate()
    share, rest = divmod(amount_fen, parts)
    names = ["算法原型与仿真验证", "嵌入式平台移植", "整车道路验证与结题"]
    return [
        {
            "title": names[i] if i < len(names) else f"阶段 {i + 1}",
            "criteria": "提交测试报告，指标达到任务书要求。",
            "due_on": today + dt.timedelta(days=60 * (i + 1)),
            "amount_fen": share + (rest if i == parts - 1 else 0),
        }
        for i in range(parts)
    ]


def sign(*, award: Award, actor: Any, parts: int = 3) -> Award:
    return services.task_book_sign(
        actor=actor,
        award=award,
        task_book="按任务书开展攻关，三个里程碑逐一验收拨付。",
        milestones=milestone_plan(award.amount_fen, parts),
    )


def pay_milestone(*, milestone: Milestone, solver: Any, issuer: Any, maker: Any, checker: Any) -> Any:
    services.milestone_deliver(actor=solver, milestone=milestone, note="已完成，报告见附件。")
    services.milestone_accept(actor=issuer, milestone=milestone)
    services.tranche_request(actor=maker, milestone=milestone)
    return services.tranche_pay(actor=checker, milestone=milestone)
