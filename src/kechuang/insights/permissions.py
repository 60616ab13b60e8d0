"""Who sees the dashboards and who sets targets. Drill-down lists start from each source model's
own ``*_visible_to`` queryset (see kpis.records), so a figure never opens a record the viewer may
not see."""

from __future__ import annotations

from typing import Any

import rules

from kechuang.accounts.choices import Role
from kechuang.accounts.roles import roles_of

INSIGHT_ROLES = frozenset({Role.LEADER, Role.OPERATOR})


@rules.predicate
def may_view_insights(user: Any) -> bool:
    return bool(roles_of(user) & INSIGHT_ROLES)


@rules.predicate
def may_edit_targets(user: Any) -> bool:
    return Role.OPERATOR in roles_of(user)


rules.add_perm("insights.view_dashboard", may_view_insights)
rules.add_perm("insights.change_kpitarget", may_edit_targets)
