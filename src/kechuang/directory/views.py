"""Directory pages: the district, organizations, people and the field tree (bulk import: urls.py)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from kechuang.core.web import KeptPaginator, attach_errors

from . import selectors, services
from .filters import OrganizationFilter, PersonFilter
from .forms import OrganizationForm
from .models import Organization
from .permissions import (
    can_change_organization,
    can_create_organization,
    organization_visible_to,
    person_visible_to,
)
from .presenters import phone_for

PAGE_SIZE = 30


class DistrictView(TemplateView):
    template_name = "directory/district.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["map_data"] = selectors.district_map_data()
        context["counts"] = selectors.district_counts()
        context["field_tree"] = selectors.field_tree()
        return context


class OrganizationListView(TemplateView):
    template_name = "directory/organization_list.html"

    def get_template_names(self) -> list[str]:
        if getattr(self.request, "htmx", False):
            return ["directory/partials/organization_rows.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        base = organization_visible_to(self.request.user).select_related("block", "park", "industry")
        filterset = OrganizationFilter(self.request.GET or None, queryset=base)
        qs = filterset.qs if filterset.is_bound and filterset.is_valid() else base
        paginator = KeptPaginator(qs.order_by("kind", "name", "id"), PAGE_SIZE)
        page = paginator.get_page(self.request.GET.get("page"))
        context.update(
            filter=filterset,
            page=page,
            total=paginator.count,
            can_create=can_create_organization(self.request.user),
            query_string=_query_without_page(self.request),
        )
        return context


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


class OrganizationDetailView(TemplateView):
    template_name = "directory/organization_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        organization = get_object_or_404(
            organization_visible_to(user).select_related("block", "park", "industry"), pk=kwargs["pk"]
        )
        people = list(
            person_visible_to(user).filter(organization=organization).order_by("-is_expert", "name")[:50]
        )
        for person in people:
            person.shown_phone = phone_for(user, person.phone, organization.pk)
        context.update(
            organization=organization,
            fields=list(organization.fields.all()),
            people=people,
            contact_phone=phone_for(user, organization.contact_phone, organization.pk),
            can_change=can_change_organization(user, organization),
            paired_parks=list(organization.paired_parks.all()),
        )
        return context


class OrganizationCreateView(LoginRequiredMixin, View):
    template_name = "directory/organization_form.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        if not can_create_organization(request.user):
            raise PermissionDenied
        return render(request, self.template_name, {"form": OrganizationForm(), "creating": True})

    def post(self, request: HttpRequest) -> HttpResponse:
        if not can_create_organization(request.user):
            raise PermissionDenied
        form = OrganizationForm(request.POST)
        if form.is_valid():
            try:
                organization = services.organization_create(actor=request.user, **form.service_data())
            except ValidationError as error:
                attach_errors(form, error)
            else:
                messages.success(request, _("已新建机构“%(name)s”。") % {"name": organization.name})
                return HttpResponseRedirect(organization_url(organization))
        return render(request, self.template_name, {"form": form, "creating": True}, status=400)


class OrganizationUpdateView(LoginRequiredMixin, View):
    template_name = "directory/organization_form.html"

    def _get(self, request: HttpRequest, pk: int) -> Organization:
        organization = organization_visible_to(request.user).filter(pk=pk).first()
        if organization is None:
            raise Http404
        if not can_change_organization(request.user, organization):
            raise PermissionDenied
        return organization

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        organization = self._get(request, pk)
        form = OrganizationForm(instance=organization)
        return render(request, self.template_name, {"form": form, "organization": organization})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        organization = self._get(request, pk)
        form = OrganizationForm(request.POST, instance=Organization.objects.get(pk=pk))
        if form.is_valid():
            try:
                services.organization_update(
                    actor=request.user, organization=organization, **form.service_data()
                )
            except ValidationError as error:
                attach_errors(form, error)
            else:
                messages.success(request, _("已保存。"))
                return HttpResponseRedirect(organization_url(organization))
        return render(request, self.template_name, {"form": form, "organization": organization}, status=400)


def organization_url(organization: Organization) -> str:
    from django.urls import reverse

    return reverse("directory:organization-detail", args=[organization.pk])


class PersonListView(LoginRequiredMixin, TemplateView):
    template_name = "directory/person_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        base = person_visible_to(user).select_related("organization")
        filterset = PersonFilter(self.request.GET or None, queryset=base)
        qs = filterset.qs if filterset.is_bound and filterset.is_valid() else base
        paginator = KeptPaginator(qs.order_by("name", "id"), PAGE_SIZE)
        page = paginator.get_page(self.request.GET.get("page"))
        for person in page.object_list:
            person.shown_phone = phone_for(user, person.phone, person.organization_id)
        context.update(
            filter=filterset, page=page, total=paginator.count, query_string=_query_without_page(self.request)
        )
        return context


class PersonDetailView(LoginRequiredMixin, TemplateView):
    template_name = "directory/person_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        person = get_object_or_404(person_visible_to(user).select_related("organization"), pk=kwargs["pk"])
        person.shown_phone = phone_for(user, person.phone, person.organization_id)
        context.update(person=person, fields=list(person.fields.all()))
        return context


class FieldTreeView(TemplateView):
    template_name = "directory/field_tree.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["field_tree"] = selectors.field_tree()
        return context
