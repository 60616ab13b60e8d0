from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Membership, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organization"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, ("Kechuang", {"fields": ("display_name", "phone", "is_demo")}))
    list_display = ("username", "display_name", "is_active", "is_demo", "last_login")
    search_fields = ("username", "display_name")
    inlines = [MembershipInline]
