from __future__ import annotations

from typing import Any

from django.contrib import admin

from kechuang.core import audit

from .models import KpiTarget


@admin.register(KpiTarget)
class KpiTargetAdmin(admin.ModelAdmin):
    list_display = (
        "kpi_code",
        "year",
        "this_year_target",
        "overall_target",
        "manual_actual",
        "updated_by",
        "updated_at",
    )
    list_filter = ("year",)
    search_fields = ("kpi_code",)
    readonly_fields = ("updated_by", "updated_at")

    def save_model(self, request: Any, obj: KpiTarget, form: Any, change: bool) -> None:
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
        audit.record(
            "insights.target_set",
            actor=request.user,
            obj=obj,
            detail={
                "kpi": obj.kpi_code,
                "year": obj.year,
                "via": "admin",
                "this_year_target": str(obj.this_year_target),
                "overall_target": str(obj.overall_target),
            },
        )

    def delete_model(self, request: Any, obj: KpiTarget) -> None:
        audit.record("insights.target_delete", actor=request.user, obj=obj, detail={"via": "admin"})
        super().delete_model(request, obj)
