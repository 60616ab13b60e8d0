"""Who sees the dashboards and who sets targets. Drill-down lists start from each source model's
own ``*_visible_to`` queryset (see kpis.records), so a figure never opens a record the viewer may
not see."""

from __future__ import annotations

from typing import Any

from kechuang.accounts.choices import Role
from kechuang.accounts.roles import roles_of
from kechuang.core.predicates import add_perm, predicate

INSIGHT_ROLES = frozenset({Role.LEADER, Role.OPERATOR})


@predicate
def may_view_insights(user: Any) -> bool:
    return bool(roles_of(user) & INSIGHT_ROLES)


@predicate
def may_edit_targets(user: Any) -> bool:
    return Role.OPERATOR in roles_of(user)


add_perm("insights.view_dashboard", may_view_insights)
add_perm("insights.change_kpitarget", may_edit_targets)
