"""Who hears about what, through the in-platform notifications (kechuang.notifications).

Every notification carries a dedupe key built from the request, the clock and the cycle, so a retried
or repeated step (the SLA tick run twice) notifies each person once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse

from kechuang.accounts.choices import Role
from kechuang.accounts.models import Membership
from kechuang.notifications.services import notification_send, role_holders

from .choices import AssignmentRole
from .models import Assignment, ServiceRequest, Visit


def _users_with_role(role: str) -> list[Any]:
    return list(role_holders(role).order_by("id"))


def enterprise_people(organization_id: int) -> list[Any]:
    """Active users acting for the enterprise with the enterprise role."""
    return [
        m.user
        for m in Membership.objects.filter(
            organization_id=organization_id,
            user__is_active=True,
            user__groups__name=Role.ENTERPRISE,
        )
        .select_related("user")
        .order_by("user_id")
        .distinct()
    ]


def request_enterprise_recipients(request: ServiceRequest) -> list[Any]:
    """The person who filed the request if they still act for the enterprise, else its enterprise users."""
    people = enterprise_people(request.organization_id)
    filer = next((p for p in people if p.pk == request.created_by_id), None)
    return [filer] if filer is not None else people


def request_staff_recipients(request: ServiceRequest) -> list[Any]:
    """The request's commissioner, else the operators (an enterprise without a commissioner)."""
    if request.commissioner_id and request.commissioner and request.commissioner.is_active:
        return [request.commissioner]
    return _users_with_role(Role.OPERATOR)


def leaders_for(organization_id: int) -> list[Any]:
    """The enterprise's responsible leader (包保), else every leader."""
    current = (
        Assignment.objects.filter(
            organization_id=organization_id,
            role=AssignmentRole.LEADER,
            ended_at__isnull=True,
            user__is_active=True,
        )
        .select_related("user")
        .first()
    )
    if current is not None:
        return [current.user]
    return _users_with_role(Role.LEADER)


def request_url(request: ServiceRequest) -> str:
    return reverse("servicedesk:request-detail", args=[request.code])


def send(
    recipients: Iterable[Any], *, kind: str, title: str, body: str = "", url: str = "", dedupe_key: str = ""
) -> int:
    return len(
        notification_send(
            recipients=recipients,
            kind=f"servicedesk.{kind}"[:40],
            title=title,
            body=body,
            url=url,
            dedupe_key=dedupe_key,
        )
    )


def visit_url(visit: Visit) -> str:
    return reverse("servicedesk:visit-detail", args=[visit.code])
