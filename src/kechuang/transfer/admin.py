from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Achievement, ContractRegistration, Deal, Demand, Interest, ListingVector, MatchIndexState


class ReadOnlyAdmin(admin.ModelAdmin):
    """Read-only: every change goes through the services (permission checks, audit, index upkeep)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Achievement)
class AchievementAdmin(ReadOnlyAdmin):
    list_display = ["code", "title", "organization", "status", "visibility", "trl", "published_at"]
    list_filter = ["status", "visibility"]
    search_fields = ["code", "title"]
    readonly_fields = ["code", "index_version", "created_at", "updated_at"]


@admin.register(Demand)
class DemandAdmin(ReadOnlyAdmin):
    list_display = ["code", "title", "organization", "status", "visibility", "published_at"]
    list_filter = ["status", "visibility"]
    search_fields = ["code", "title"]
    readonly_fields = ["code", "index_version", "created_at", "updated_at"]


@admin.register(Interest)
class InterestAdmin(ReadOnlyAdmin):
    list_display = ["code", "organization", "status", "created_at"]
    list_filter = ["status"]


@admin.register(Deal)
class DealAdmin(ReadOnlyAdmin):
    list_display = ["code", "title", "stage", "supplier", "buyer", "owner"]
    list_filter = ["stage"]


@admin.register(ContractRegistration)
class ContractRegistrationAdmin(ReadOnlyAdmin):
    list_display = ["registration_number", "title", "contract_type", "signed_on", "contract_amount_fen"]
    list_filter = ["contract_type"]


admin.site.register(ListingVector, ReadOnlyAdmin)
admin.site.register(MatchIndexState, ReadOnlyAdmin)
