"""Accounts in the Django admin (system administrators).

Guards: only a superuser can grant superuser status or single permissions, or change a superuser;
nobody changes their own roles or active/staff flags here. Every role change made here is audited as
``role.grant`` / ``role.revoke`` (docs/reliability.md C1), like the ones made through ``services``; other
admin changes are audited generically from the admin log (``kechuang.core.signals``).
"""

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from kechuang.core import audit

from .models import Membership, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organization"]


def _roles(user: User) -> set[str]:
    if user.pk is None:
        return set()
    return set(User.objects.get(pk=user.pk).groups.values_list("name", flat=True))


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, ("Kechuang", {"fields": ("display_name", "phone", "is_demo")}))
    list_display = ("username", "display_name", "is_active", "is_demo", "last_login")
    search_fields = ("username", "display_name")
    inlines = [MembershipInline]

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ["is_superuser", "user_permissions", "last_login", "date_joined"]
            if obj is not None and obj.pk == request.user.pk:
                fields += ["groups", "is_staff", "is_active"]  # no one raises their own rights
        return fields

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: Any, obj: User, form: Any, change: bool) -> None:
        obj._roles_before = _roles(obj) if change else set()  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def save_related(self, request: Any, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        user = form.instance
        before = getattr(user, "_roles_before", set())
        after = _roles(user)
        for role in sorted(after - before):
            audit.record("role.grant", actor=request.user, obj=user, detail={"role": role, "via": "admin"})
        for role in sorted(before - after):
            audit.record("role.revoke", actor=request.user, obj=user, detail={"role": role, "via": "admin"})
        user.__dict__.pop("_roles_cache", None)

    def user_change_password(self, request: Any, id: str, form_url: str = "") -> Any:
        before = User.objects.filter(pk=unquote(id)).values_list("password", flat=True).first()
        response = super().user_change_password(request, id, form_url)
        user = User.objects.filter(pk=unquote(id)).first()
        if user is not None and before is not None and user.password != before:
            audit.record("user.password_change", actor=request.user, obj=user, detail={"via": "admin"})
        return response
