"""The data migration of the lost reasons (investment 0005): leads lost or withdrawn and retention cases
lost before the fixed list existed are classified 其他, their free text kept; open and kept rows keep no
code; and the check constraints that follow (0006) hold on the migrated rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from kechuang.investment.models import Lead, RetentionCase

BEFORE = [("investment", "0003_issue_department_choices")]
AFTER = [("investment", "0006_lost_reason_code_required")]
WHEN = dt.datetime(2026, 3, 16, 10, tzinfo=dt.UTC)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_free_text_reasons_become_other_with_their_text_kept():
    from kechuang.testing.factories import OrganizationFactory

    firm, other_firm = (
        OrganizationFactory(name="上海菊园智感科技有限公司"),
        OrganizationFactory(name="光擎激光"),
    )
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(BEFORE)
        old = executor.loader.project_state(BEFORE).apps
        OldLead = old.get_model("investment", "Lead")
        OldCase = old.get_model("investment", "RetentionCase")
        clocks = {
            f: WHEN
            for f in (
                "stage_entered_at",
                "received_at",
                "acknowledge_due_at",
                "assessment_due_at",
                "feedback_due_at",
                "last_update_at",
                "update_due_at",
            )
        }
        for code, stage, reason in (
            ("ZS-2026-00001", "lost", "选择了苏州工业园"),
            ("ZS-2026-00002", "withdrawn", "团队解散"),
            ("ZS-2026-00003", "negotiation", ""),
        ):
            OldLead.objects.create(
                code=code,
                source="event",
                name=code,
                normalized_name=code,
                stage=stage,
                closed_reason=reason,
                **clocks,
            )
        OldCase.objects.create(
            code="WS-2026-00001",
            organization_id=firm.pk,
            signal="move_plan",
            status="lost",
            reason="总部搬迁",
            opened_at=WHEN,
        )
        OldCase.objects.create(
            code="WS-2026-00002",
            organization_id=other_firm.pk,
            signal="move_plan",
            status="kept",
            reason="扩租",
            opened_at=WHEN,
        )

        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)

        leads = {
            row[0]: row[1:] for row in Lead.objects.values_list("code", "closed_reason_code", "closed_reason")
        }
        assert leads == {
            "ZS-2026-00001": ("other", "选择了苏州工业园"),
            "ZS-2026-00002": ("other", "团队解散"),
            "ZS-2026-00003": ("", ""),
        }
        cases = dict(RetentionCase.objects.values_list("code", "reason_code"))
        assert cases == {"WS-2026-00001": "other", "WS-2026-00002": ""}
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
        Lead.objects.all().delete()
        RetentionCase.objects.all().delete()
