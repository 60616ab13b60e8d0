from django.contrib import admin

from . import services
from .models import Block, Building, Industry, Line, Organization, Park, Person, TechnologyField


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "uscc", "block", "park", "is_key")
    list_filter = ("kind", "block", "is_key")
    search_fields = ("name", "short_name", "uscc")
    filter_horizontal = ("fields",)

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        """Writes go through the services (permission, USCC rules, audit), as everywhere else."""
        data = {k: v for k, v in form.cleaned_data.items() if k in services.ORGANIZATION_FIELDS}
        if change:
            saved = services.organization_update(
                actor=request.user, organization=Organization.objects.get(pk=obj.pk), **data
            )
        else:
            saved = services.organization_create(actor=request.user, **data)
        obj.pk = saved.pk
        obj._state.adding = False


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "title", "is_expert")
    list_filter = ("is_expert", "title")
    search_fields = ("name", "expertise")
    autocomplete_fields = ("organization",)
    filter_horizontal = ("fields",)


@admin.register(TechnologyField)
class TechnologyFieldAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "parent", "sort_order")
    search_fields = ("code", "name")


admin.site.register([Industry, Block, Park, Line, Building])
