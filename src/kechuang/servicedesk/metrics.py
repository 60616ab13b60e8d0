"""The service desk's figures on ``/metrics`` (registered in ``apps.py``; docs/adr/0021-observability.md).

Counts over every request, not over what a user sees: the endpoint answers only the monitoring's
addresses and carries numbers, never a request, an enterprise or a person.
"""

from __future__ import annotations

from django.db.models import Count, Q

from kechuang.core.metrics import Reading

from . import clock
from .choices import RequestStatus
from .models import OPEN_STATUSES, ServiceRequest


def sla_readings() -> list[Reading]:
    """Open requests past their response or resolution deadline, and those of them not yet escalated
    (``sla-tick`` escalates within a minute: a number that stays above zero means it does not run).
    One query."""
    now = clock.now()
    response = Q(status=RequestStatus.SUBMITTED, response_due_at__lte=now)
    resolution = Q(status__in=OPEN_STATUSES, resolution_due_at__lte=now)
    counts = ServiceRequest.objects.aggregate(
        response=Count("pk", filter=response),
        resolution=Count("pk", filter=resolution),
        response_unescalated=Count("pk", filter=response & Q(response_escalated_at__isnull=True)),
        resolution_unescalated=Count("pk", filter=resolution & Q(resolution_escalated_at__isnull=True)),
    )
    return [
        Reading(
            "kechuang_servicedesk_sla_breaches_open",
            "Open service requests past their response or resolution deadline (working-day SLA clocks).",
            [({"clock": "response"}, counts["response"]), ({"clock": "resolution"}, counts["resolution"])],
        ),
        Reading(
            "kechuang_servicedesk_sla_breaches_unescalated",
            "Open breaches that sla-tick has not escalated yet.",
            [
                ({"clock": "response"}, counts["response_unescalated"]),
                ({"clock": "resolution"}, counts["resolution_unescalated"]),
            ],
        ),
    ]
