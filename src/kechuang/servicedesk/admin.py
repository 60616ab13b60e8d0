"""Admin pages: the calendar and the SLA policies are editable here too; requests and their history are
read-only (every change goes through the services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Assignment, CalendarDay, RequestEvent, ServiceRequest, SlaPolicy, Visit


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name", "source", "updated_at"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    search_fields = ["name", "note"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["category", "response_days", "resolution_days", "updated_at"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ServiceRequest)
class ServiceRequestAdmin(ReadOnlyAdmin):
    list_display = [
        "code",
        "organization",
        "category",
        "status",
        "commissioner",
        "filed_at",
        "resolution_due_at",
    ]
    list_filter = ["status", "category"]
    search_fields = ["code", "title", "organization__name"]
    list_select_related = ["organization", "commissioner"]


@admin.register(RequestEvent)
class RequestEventAdmin(ReadOnlyAdmin):
    list_display = ["request", "kind", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["request", "actor"]


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["organization", "role", "user", "started_at", "ended_at"]
    list_filter = ["role"]
    list_select_related = ["organization", "user"]


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ["code", "organization", "planned_for", "visitor", "status"]
    list_filter = ["status"]
    list_select_related = ["organization", "visitor"]
