"""Voucher pages for every role: thin views over the selectors and services.

Objects are found by their code inside the user's visibility queryset (anything else is a 404); every
POST calls one service; a refused step shows the service's Chinese message and changes nothing.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from kechuang.core.excel import xlsx_response
from kechuang.core.money import format_fen
from kechuang.core.uploads import attachment_response
from kechuang.core.web import acting_organization, attach_errors, error_text, paginate, query_without_page
from kechuang.ledger.models import Account, JournalLine
from kechuang.ledger.permissions import can_view_ledger

from . import forms as f
from . import permissions as perms
from . import selectors, services
from .choices import (
    ApplicationStatus,
    BatchStatus,
    ClaimStatus,
    OrderStatus,
    ProviderStatus,
    SchemeStatus,
    ServiceCategory,
    VoucherStatus,
)
from .filters import ApplicationFilter, ClaimFilter, OrderFilter, ServiceFilter, VoucherFilter
from .models import Scheme

PAGE_SIZE = 25


def _filtered(filter_class: Any, request: HttpRequest, base: QuerySet[Any]) -> tuple[Any, QuerySet[Any]]:
    filterset = filter_class(request.GET or None, queryset=base)
    return filterset, (filterset.qs if filterset.is_bound and filterset.is_valid() else base)


def role_context(request: HttpRequest) -> dict[str, Any]:
    """What the sub-navigation and the pages need to know about the user's roles."""
    user = request.user
    organization = acting_organization(request)
    return {
        "is_operator": perms.is_operator(user),
        "is_leader": perms.is_leader(user),
        "is_enterprise": perms.is_enterprise_user(user),
        "is_provider": perms.is_provider_user(user),
        "reads_all": perms.is_staff_reader(user),
        "acting": organization,
        "my_provider": selectors.provider_for_organization(organization)
        if perms.is_provider_user(user)
        else None,
    }


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, template, {**role_context(request), **context}, status=status)


class VoucherPage(LoginRequiredMixin, TemplateView):
    """Every voucher page needs a signed-in user; ``section`` lights the sub-navigation."""

    section = ""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(section=self.section, **role_context(self.request))
        return context


class ActionView(LoginRequiredMixin, View):
    """A POST that runs one service on one visible object, then goes back where it came from."""

    form_class: Any = None
    success_message = ""

    def visible(self, request: HttpRequest) -> QuerySet[Any]:  # pragma: no cover - each subclass says
        raise NotImplementedError

    def act(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:  # pragma: no cover
        raise NotImplementedError

    def target(self, obj: Any) -> str:  # pragma: no cover
        raise NotImplementedError

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        obj = get_object_or_404(self.visible(request), code=code)
        data: dict[str, Any] = {}
        if self.form_class is not None:
            form = self.form_class(request.POST, request.FILES)
            if not form.is_valid():
                messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
                return HttpResponseRedirect(self._next(request, obj))
            data = form.cleaned_data
        try:
            self.act(request, obj, data)
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            if self.success_message:
                messages.success(request, self.success_message)
        return HttpResponseRedirect(self._next(request, obj))

    def _next(self, request: HttpRequest, obj: Any) -> str:
        candidate = request.POST.get("next", "")
        if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}):
            return candidate
        return self.target(obj)


# --- home ---------------------------------------------------------------------------------------------


class HomeView(VoucherPage):
    template_name = "vouchers/home.html"
    section = "home"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        if context["is_enterprise"]:
            vouchers = list(selectors.voucher_list(actor=user).filter(status=VoucherStatus.ACTIVE)[:6])
            context["my_vouchers"] = vouchers
            context["open_schemes"] = selectors.open_schemes_for_applying(actor=user)
            context["my_applications"] = list(
                selectors.application_list(actor=user).filter(
                    status__in=[ApplicationStatus.SUBMITTED, ApplicationStatus.REVIEWED]
                )[:5]
            )
            context["my_orders"] = list(
                selectors.order_list(actor=user)
                .filter(enterprise_id__in=perms.organizations_of(user))
                .exclude(status__in=[OrderStatus.CANCELLED, OrderStatus.DECLINED])[:6]
            )
        if context["is_provider"]:
            context["provider_orders"] = list(
                selectors.order_list(actor=user).filter(
                    provider__organization_id__in=perms.organizations_of(user),
                    status__in=[OrderStatus.PLACED, OrderStatus.ACCEPTED, OrderStatus.DELIVERED],
                )[:8]
            )
            context["claimable"] = list(
                selectors.order_list(actor=user).filter(
                    provider__organization_id__in=perms.organizations_of(user),
                    status=OrderStatus.CONFIRMED,
                    claim__isnull=True,
                )[:8]
            )
        if context["is_operator"] or context["is_leader"]:
            context["counts"] = selectors.review_counts_cached(actor=user)
            context["figures"] = selectors.overall_figures_cached()
        return context


# --- schemes ------------------------------------------------------------------------------------------


class SchemeListView(VoucherPage):
    template_name = "vouchers/scheme_list.html"
    section = "schemes"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["schemes"] = list(selectors.scheme_list(actor=self.request.user))
        context["today"] = timezone.localdate()
        return context


class SchemeDetailView(VoucherPage):
    template_name = "vouchers/scheme_detail.html"
    section = "schemes"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        scheme = get_object_or_404(selectors.scheme_list(actor=user), code=kwargs["code"])
        context["scheme"] = scheme
        context["can_apply"] = (
            scheme.is_accepting_applications()
            and acting_organization(self.request) is not None
            and perms.can_apply(user, acting_organization(self.request))
        )
        if perms.can_view_reports(user):
            context["figures"] = selectors.scheme_figures(scheme)
            context["by_category"] = selectors.use_by_category(scheme=scheme)
            context["by_provider"] = selectors.use_by_provider(scheme=scheme, limit=10)
        context["can_manage"] = perms.can_manage_scheme(user)
        return context


class SchemeCreateView(LoginRequiredMixin, View):
    template_name = "vouchers/scheme_form.html"

    def _check(self, request: HttpRequest) -> None:
        if not perms.can_manage_scheme(request.user):
            raise PermissionDenied

    def get(self, request: HttpRequest) -> HttpResponse:
        self._check(request)
        today = timezone.localdate()
        form = f.SchemeForm(
            initial={
                "year": today.year,
                "subsidy_percent": 50,
                "apply_from": today,
                "categories": [c.value for c in ServiceCategory],
            }
        )
        return _render(request, self.template_name, {"form": form, "section": "schemes"})

    def post(self, request: HttpRequest) -> HttpResponse:
        self._check(request)
        form = f.SchemeForm(request.POST)
        if form.is_valid():
            try:
                scheme = services.scheme_create(actor=request.user, **form.service_data())
            except ValidationError as error:
                attach_errors(form, error)
            else:
                messages.success(request, _("已创建批次 %(code)s，核对后请启用。") % {"code": scheme.code})
                return HttpResponseRedirect(reverse("vouchers:scheme-detail", args=[scheme.code]))
        return _render(request, self.template_name, {"form": form, "section": "schemes"}, status=400)


class SchemeOpenView(ActionView):
    success_message = "批次已启用，预算已下达到账本。"

    def visible(self, request: HttpRequest) -> QuerySet[Scheme]:
        return perms.scheme_visible_to(request.user)

    def act(self, request: HttpRequest, obj: Scheme, data: dict[str, Any]) -> Any:
        return services.scheme_open(actor=request.user, scheme=obj)

    def target(self, obj: Scheme) -> str:
        return reverse("vouchers:scheme-detail", args=[obj.code])


class SchemeCloseView(SchemeOpenView):
    success_message = "批次已结束。"

    def act(self, request: HttpRequest, obj: Scheme, data: dict[str, Any]) -> Any:
        return services.scheme_close(actor=request.user, scheme=obj)


# --- providers and the catalogue -----------------------------------------------------------------------------


class ServiceListView(VoucherPage):
    template_name = "vouchers/service_list.html"
    section = "services"

    def get_template_names(self) -> list[str]:
        if getattr(self.request, "htmx", False):
            return ["vouchers/partials/service_rows.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        filterset, services_qs = _filtered(
            ServiceFilter, self.request, selectors.service_list(actor=user).filter(is_active=True)
        )
        context.update(
            filter=filterset,
            page=paginate(self.request, services_qs, PAGE_SIZE),
            query_string=query_without_page(self.request),
            usable_vouchers=list(
                selectors.voucher_list(actor=user).filter(
                    status=VoucherStatus.ACTIVE, enterprise_id__in=perms.organizations_of(user)
                )
            )
            if context["is_enterprise"]
            else [],
        )
        return context


class ProviderListView(VoucherPage):
    template_name = "vouchers/provider_list.html"
    section = "providers"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        providers = selectors.provider_list(actor=self.request.user).annotate(
            service_count=Count("services", filter=Q(services__is_active=True), distinct=True)
        )
        context["page"] = paginate(self.request, providers, PAGE_SIZE)
        context["query_string"] = query_without_page(self.request)
        return context


class ProviderDetailView(VoucherPage):
    template_name = "vouchers/provider_detail.html"
    section = "providers"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        provider = get_object_or_404(selectors.provider_list(actor=user), code=kwargs["code"])
        context["provider"] = provider
        context["services"] = list(selectors.service_list(actor=user).filter(provider=provider))
        context["ratings"] = list(provider.ratings.select_related("order").order_by("-created_at")[:10])
        context["can_review"] = perms.can_review_provider(user, provider) and provider.status == "pending"
        context["can_manage"] = perms.can_manage_services(user, provider)
        return context


class ProviderRegisterView(LoginRequiredMixin, View):
    template_name = "vouchers/provider_register.html"

    def _organization(self, request: HttpRequest) -> Any:
        organization = acting_organization(request)
        if organization is None or not perms.can_register_provider(request.user, organization):
            raise PermissionDenied
        return organization

    def get(self, request: HttpRequest) -> HttpResponse:
        organization = self._organization(request)
        existing = selectors.provider_for_organization(organization)
        form = f.ProviderRegisterForm(
            initial={
                "categories": existing.categories if existing else [],
                "introduction": existing.introduction if existing else organization.description,
                "contact_name": organization.contact_name,
                "contact_phone": organization.contact_phone,
            }
        )
        return _render(
            request,
            self.template_name,
            {"form": form, "organization": organization, "existing": existing, "section": "providers"},
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        organization = self._organization(request)
        form = f.ProviderRegisterForm(request.POST)
        if form.is_valid():
            try:
                provider = services.provider_register(
                    actor=request.user, organization=organization, **form.cleaned_data
                )
            except ValidationError as error:
                attach_errors(form, error)
            else:
                messages.success(request, _("入驻申请已提交，等待运营审核。"))
                return HttpResponseRedirect(reverse("vouchers:provider-detail", args=[provider.code]))
        return _render(
            request,
            self.template_name,
            {"form": form, "organization": organization, "section": "providers"},
            status=400,
        )


class ProviderReviewView(ActionView):
    form_class = f.ReviewForm

    def visible(self, request: HttpRequest) -> QuerySet[Any]:
        return perms.provider_visible_to(request.user)

    def act(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        approve = data["decision"] == "approve"
        services.provider_review(actor=request.user, provider=obj, approve=approve, note=data.get("note", ""))
        messages.success(request, _("已通过入驻申请。") if approve else _("已退回入驻申请。"))

    def target(self, obj: Any) -> str:
        return reverse("vouchers:provider-detail", args=[obj.code])


class ServiceFormView(LoginRequiredMixin, View):
    template_name = "vouchers/service_form.html"

    def _context(self, request: HttpRequest, code: str | None) -> tuple[Any, Any]:
        if code:
            service = get_object_or_404(
                perms.service_visible_to(request.user).select_related("provider"), code=code
            )
            provider = service.provider
        else:
            service, provider = None, selectors.provider_for_organization(acting_organization(request))
        if provider is None or not perms.can_manage_services(request.user, provider):
            raise PermissionDenied
        return provider, service

    def get(self, request: HttpRequest, code: str | None = None) -> HttpResponse:
        provider, service = self._context(request, code)
        initial = {}
        if service is not None:
            initial = {
                k: getattr(service, k)
                for k in ("name", "category", "price_fen", "unit", "description", "is_active")
            }
        form = f.ServiceForm(initial=initial, provider=provider)
        return _render(
            request,
            self.template_name,
            {"form": form, "provider": provider, "service": service, "section": "services"},
        )

    def post(self, request: HttpRequest, code: str | None = None) -> HttpResponse:
        provider, service = self._context(request, code)
        form = f.ServiceForm(request.POST, provider=provider)
        if form.is_valid():
            try:
                if service is None:
                    data = dict(form.cleaned_data)
                    data.pop("is_active", None)
                    services.service_create(actor=request.user, provider=provider, **data)
                else:
                    services.service_update(actor=request.user, service=service, **form.cleaned_data)
            except ValidationError as error:
                attach_errors(form, error)
            else:
                messages.success(request, _("服务目录已保存。"))
                return HttpResponseRedirect(reverse("vouchers:provider-detail", args=[provider.code]))
        return _render(
            request,
            self.template_name,
            {"form": form, "provider": provider, "service": service, "section": "services"},
            status=400,
        )


# --- applications and vouchers --------------------------------------------------------------------------------


class ApplicationListView(VoucherPage):
    template_name = "vouchers/application_list.html"
    section = "applications"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        filterset, qs = _filtered(
            ApplicationFilter, self.request, selectors.application_list(actor=self.request.user)
        )
        context.update(
            filter=filterset,
            page=paginate(self.request, qs, PAGE_SIZE),
            query_string=query_without_page(self.request),
        )
        return context


class ApplicationCreateView(LoginRequiredMixin, View):
    template_name = "vouchers/application_form.html"

    def _context(self, request: HttpRequest, code: str) -> tuple[Scheme, Any]:
        scheme = get_object_or_404(perms.scheme_visible_to(request.user), code=code)
        enterprise = acting_organization(request)
        if enterprise is None or not perms.can_apply(request.user, enterprise):
            raise PermissionDenied
        return scheme, enterprise

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        scheme, enterprise = self._context(request, code)
        form = f.ApplicationForm(scheme=scheme, initial={"planned_categories": scheme.categories[:1]})
        return _render(request, self.template_name, self._page(form, scheme, enterprise))

    @staticmethod
    def _page(form: Any, scheme: Scheme, enterprise: Any) -> dict[str, Any]:
        room = services.headroom(
            scheme, enterprise_id=enterprise.pk, controller_code=services.controller_code_for(enterprise)
        )
        return {
            "form": form,
            "scheme": scheme,
            "enterprise": enterprise,
            "room": room,
            "section": "applications",
        }

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        scheme, enterprise = self._context(request, code)
        form = f.ApplicationForm(request.POST, scheme=scheme)
        if form.is_valid():
            try:
                application = services.application_submit(
                    actor=request.user, scheme=scheme, enterprise=enterprise, **form.cleaned_data
                )
            except ValidationError as error:
                attach_errors(form, error)
            else:
                messages.success(
                    request, _("申请 %(code)s 已提交，等待运营初审。") % {"code": application.code}
                )
                return HttpResponseRedirect(reverse("vouchers:application-detail", args=[application.code]))
        return _render(request, self.template_name, self._page(form, scheme, enterprise), status=400)


class ApplicationDetailView(VoucherPage):
    template_name = "vouchers/application_detail.html"
    section = "applications"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        application = get_object_or_404(selectors.application_list(actor=user), code=kwargs["code"])
        scheme = application.scheme
        context["application"] = application
        context["voucher"] = (
            getattr(application, "voucher", None) if application.status == ApplicationStatus.GRANTED else None
        )
        context["can_review"] = (
            application.status == ApplicationStatus.SUBMITTED
            and perms.can_review_application(user, application)
        )
        context["can_decide"] = (
            application.status == ApplicationStatus.REVIEWED
            and perms.can_approve_application(user, application)
        )
        context["can_withdraw"] = application.status in (
            ApplicationStatus.SUBMITTED,
            ApplicationStatus.REVIEWED,
        ) and perms.can_withdraw_application(user, application)
        if context["can_review"] or context["can_decide"]:
            room = services.headroom(
                scheme, enterprise_id=application.enterprise_id, controller_code=application.controller_code
            )
            context["room"] = room
            asked = application.recommended_fen or application.requested_fen
            context["suggested_fen"] = min(asked, room.grantable_fen)
            context["over_room"] = asked > room.grantable_fen
        return context


class ApplicationReviewView(ActionView):
    form_class = f.ReviewForm

    def visible(self, request: HttpRequest) -> QuerySet[Any]:
        return perms.application_visible_to(request.user)

    def act(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        approve = data["decision"] == "approve"
        services.application_review(
            actor=request.user,
            application=obj,
            approve=approve,
            recommended_fen=data.get("recommended_fen"),
            note=data.get("note", ""),
        )
        messages.success(request, _("初审通过，已提交领导审批。") if approve else _("已退回申请。"))

    def target(self, obj: Any) -> str:
        return reverse("vouchers:application-detail", args=[obj.code])


class ApplicationDecideView(ApplicationReviewView):
    def act(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        approve = data["decision"] == "approve"
        application = services.application_decide(
            actor=request.user,
            application=obj,
            approve=approve,
            note=data.get("note", ""),
            approved_fen=data.get("approved_fen"),
        )
        messages.success(
            request,
            _("已批准，创新券已发放：%(amount)s。") % {"amount": format_fen(application.granted_fen)}
            if approve
            else _("已驳回申请。"),
        )


class ApplicationWithdrawView(ApplicationReviewView):
    form_class = None

    def act(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        services.application_withdraw(actor=request.user, application=obj)
        messages.success(request, _("申请已撤回。"))


class VoucherListView(VoucherPage):
    template_name = "vouchers/voucher_list.html"
    section = "vouchers"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        filterset, qs = _filtered(
            VoucherFilter, self.request, selectors.voucher_list(actor=self.request.user)
        )
        context.update(
            filter=filterset,
            page=paginate(self.request, qs, PAGE_SIZE),
            query_string=query_without_page(self.request),
        )
        return context


class VoucherDetailView(VoucherPage):
    template_name = "vouchers/voucher_detail.html"
    section = "vouchers"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        voucher = get_object_or_404(selectors.voucher_list(actor=user), code=kwargs["code"])
        context["voucher"] = voucher
        context["balance"] = selectors.voucher_balance(voucher)
        context["lines"] = selectors.account_statement(voucher.account_id, limit=100)
        context["orders"] = list(selectors.order_list(actor=user).filter(voucher=voucher)[:50])
        context["can_order"] = voucher.status == VoucherStatus.ACTIVE and perms.can_order_with_voucher(
            user, voucher
        )
        context["can_revoke"] = voucher.status != VoucherStatus.REVOKED and perms.can_revoke_voucher(user)
        context["can_view_ledger"] = can_view_ledger(user)
        return context


class VoucherRevokeView(ActionView):
    form_class = f.ReasonForm
    success_message = "创新券已撤销，未使用额度已收回批次预算。"

    def visible(self, request: HttpRequest) -> QuerySet[Any]:
        return perms.voucher_visible_to(request.user)

    def act(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        services.voucher_revoke(actor=request.user, voucher=obj, reason=data.get("reason", ""))

    def target(self, obj: Any) -> str:
        return reverse("vouchers:voucher-detail", args=[obj.code])


# --- orders ---------------------------------------------------------------------------------------------------


class OrderListView(VoucherPage):
    template_name = "vouchers/order_list.html"
    section = "orders"

    def get_template_names(self) -> list[str]:
        if getattr(self.request, "htmx", False):
            return ["vouchers/partials/order_rows.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        filterset, qs = _filtered(OrderFilter, self.request, selectors.order_list(actor=self.request.user))
        context.update(
            filter=filterset,
            page=paginate(self.request, qs, PAGE_SIZE),
            query_string=query_without_page(self.request),
        )
        return context


class OrderCreateView(LoginRequiredMixin, View):
    template_name = "vouchers/order_form.html"

    def _context(self, request: HttpRequest, code: str) -> tuple[Any, Any]:
        voucher = get_object_or_404(
            perms.voucher_visible_to(request.user).select_related("scheme"), code=code
        )
        if not perms.can_order_with_voucher(request.user, voucher):
            raise PermissionDenied
        service_code = (request.GET.get("service") or request.POST.get("service") or "").replace("\x00", "")
        if not service_code:
            return voucher, None
        service = get_object_or_404(
            perms.service_visible_to(request.user).select_related("provider__organization"),
            code=service_code[:40],
        )
        return voucher, service

    def _choose(self, request: HttpRequest, voucher: Any, status: int = 200) -> HttpResponse:
        """No service named (a bookmarked or shortened link): offer the services this voucher can buy,
        instead of a 404 (issue 14 item 11)."""
        services_offered = (
            perms.service_visible_to(request.user)
            .filter(
                is_active=True,
                provider__status=ProviderStatus.APPROVED,
                category__in=voucher.scheme.categories,
            )
            .select_related("provider__organization")
            .order_by("category", "price_fen", "code")[:100]
        )
        return _render(
            request,
            "vouchers/order_choose.html",
            {"voucher": voucher, "services_offered": list(services_offered), "section": "orders"},
            status=status,
        )

    def _render(
        self, request: HttpRequest, voucher: Any, service: Any, form: Any, status: int = 200
    ) -> HttpResponse:
        balance = selectors.voucher_balance(voucher)
        share = min(service.price_fen * voucher.scheme.subsidy_ratio_bp // 10000, balance.available_fen)
        return _render(
            request,
            self.template_name,
            {
                "voucher": voucher,
                "service": service,
                "form": form,
                "balance": balance,
                "share": share,
                "section": "orders",
            },
            status=status,
        )

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        voucher, service = self._context(request, code)
        if service is None:
            return self._choose(request, voucher)
        return self._render(
            request, voucher, service, f.OrderForm(initial={"request_key": secrets.token_hex(12)})
        )

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        voucher, service = self._context(request, code)
        if service is None:
            messages.error(request, _("请先选择要购买的服务。"))
            return self._choose(request, voucher, status=400)
        form = f.OrderForm(request.POST)
        if form.is_valid():
            key = form.cleaned_data.get("request_key")
            try:
                order = services.order_place(
                    actor=request.user,
                    voucher=voucher,
                    service=service,
                    quantity=form.cleaned_data["quantity"],
                    note=form.cleaned_data["note"],
                    request_key=f"web:{request.user.pk}:{key}" if key else None,
                )
            except ValidationError as error:
                attach_errors(form, error)
            else:
                messages.success(
                    request, _("订单 %(code)s 已提交，创新券额度已冻结。") % {"code": order.code}
                )
                return HttpResponseRedirect(reverse("vouchers:order-detail", args=[order.code]))
        return self._render(request, voucher, service, form, status=400)


class OrderDetailView(VoucherPage):
    template_name = "vouchers/order_detail.html"
    section = "orders"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        order = get_object_or_404(
            selectors.order_list(actor=user).select_related("hold", "rating"), code=kwargs["code"]
        )
        context["order"] = order
        context["claim"] = getattr(order, "claim", None) if hasattr(order, "claim") else None
        handles = perms.can_handle_order(user, order)
        owns = perms.can_confirm_order(user, order)
        context.update(
            can_accept=handles and order.status == OrderStatus.PLACED,
            can_deliver=handles and order.status == OrderStatus.ACCEPTED,
            can_confirm=owns and order.status == OrderStatus.DELIVERED and order.delivered_by_id != user.pk,
            can_cancel=owns and order.status in perms.CANCELLABLE_ORDER,
            can_rate=owns and order.status == OrderStatus.CONFIRMED and not hasattr(order, "rating"),
            can_claim=perms.can_claim_settlement(user, order)
            and order.status == OrderStatus.CONFIRMED
            and context["claim"] is None,
            voucher_balance=selectors.voucher_balance(order.voucher)
            if owns or context["reads_all"]
            else None,
            rating_form=f.RatingForm(),
        )
        return context


class OrderActionView(ActionView):
    step = ""

    def visible(self, request: HttpRequest) -> QuerySet[Any]:
        return perms.order_visible_to(request.user)

    def target(self, obj: Any) -> str:
        return reverse("vouchers:order-detail", args=[obj.code])

    def act(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        user = request.user
        if self.step == "accept":
            services.order_accept(actor=user, order=obj)
            messages.success(request, _("已接单。"))
        elif self.step == "decline":
            services.order_decline(actor=user, order=obj, reason=data.get("reason", ""))
            messages.success(request, _("已拒单，冻结额度已释放。"))
        elif self.step == "deliver":
            services.order_deliver(actor=user, order=obj, note=data.get("note", ""))
            messages.success(request, _("已提交交付，等待企业确认。"))
        elif self.step == "confirm":
            order = services.order_confirm(actor=user, order=obj)
            messages.success(
                request,
                _("已确认交付，核销创新券 %(amount)s 元。") % {"amount": f"{order.redeemed_fen / 100:,.2f}"},
            )
        elif self.step == "cancel":
            services.order_cancel(actor=user, order=obj, reason=data.get("reason", ""))
            messages.success(request, _("订单已取消，冻结额度已释放。"))
        elif self.step == "rate":
            services.order_rate(actor=user, order=obj, score=data["score"], comment=data.get("comment", ""))
            messages.success(request, _("感谢评价。"))


def order_action(step: str, form_class: Any = None) -> Any:
    return OrderActionView.as_view(step=step, form_class=form_class)


# --- settlement -------------------------------------------------------------------------------------------------


class ClaimListView(VoucherPage):
    template_name = "vouchers/claim_list.html"
    section = "claims"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        filterset, qs = _filtered(ClaimFilter, self.request, selectors.claim_list(actor=self.request.user))
        context.update(
            filter=filterset,
            page=paginate(self.request, qs, PAGE_SIZE),
            query_string=query_without_page(self.request),
        )
        return context


class ClaimCreateView(LoginRequiredMixin, View):
    template_name = "vouchers/claim_form.html"

    def _order(self, request: HttpRequest, code: str) -> Any:
        order = get_object_or_404(
            perms.order_visible_to(request.user).select_related("provider", "service"), code=code
        )
        if not perms.can_claim_settlement(request.user, order):
            raise PermissionDenied
        return order

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        order = self._order(request, code)
        form = f.ClaimForm(initial={"invoice_amount_fen": order.price_fen})
        return _render(request, self.template_name, {"form": form, "order": order, "section": "claims"})

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        order = self._order(request, code)
        form = f.ClaimForm(request.POST, request.FILES)
        if form.is_valid():
            invoice = form.cleaned_data["invoice"]
            try:
                claim = services.claim_submit(
                    actor=request.user,
                    order=order,
                    invoice=invoice,
                    invoice_name=invoice.name,
                    invoice_number=form.cleaned_data["invoice_number"],
                    invoice_amount_fen=form.cleaned_data["invoice_amount_fen"],
                )
            except ValidationError as error:
                attach_errors(form, error)
            else:
                messages.success(request, _("结算申请 %(code)s 已提交。") % {"code": claim.code})
                return HttpResponseRedirect(reverse("vouchers:claim-detail", args=[claim.code]))
        return _render(
            request, self.template_name, {"form": form, "order": order, "section": "claims"}, status=400
        )


class ClaimDetailView(VoucherPage):
    template_name = "vouchers/claim_detail.html"
    section = "claims"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        claim = get_object_or_404(
            selectors.claim_list(actor=user).select_related("order__service", "payment_entry"),
            code=kwargs["code"],
        )
        context["claim"] = claim
        context["can_review"] = claim.status == ClaimStatus.SUBMITTED and perms.can_review_claim(user, claim)
        context["can_resubmit"] = claim.status == ClaimStatus.REJECTED and perms.can_claim_settlement(
            user, claim
        )
        context["resubmit_form"] = f.ClaimForm(initial={"invoice_amount_fen": claim.invoice_amount_fen})
        return context


class ClaimReviewView(ActionView):
    form_class = f.ReviewForm

    def visible(self, request: HttpRequest) -> QuerySet[Any]:
        return perms.claim_visible_to(request.user)

    def act(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        approve = data["decision"] == "approve"
        services.claim_review(actor=request.user, claim=obj, approve=approve, note=data.get("note", ""))
        messages.success(request, _("结算申请已审核通过。") if approve else _("结算申请已退回。"))

    def target(self, obj: Any) -> str:
        return reverse("vouchers:claim-detail", args=[obj.code])


class ClaimResubmitView(ClaimReviewView):
    form_class = f.ClaimForm

    def act(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        invoice = data["invoice"]
        services.claim_resubmit(
            actor=request.user,
            claim=obj,
            invoice=invoice,
            invoice_name=invoice.name,
            invoice_number=data["invoice_number"],
            invoice_amount_fen=data["invoice_amount_fen"],
        )
        messages.success(request, _("已重新提交结算申请。"))


class ClaimInvoiceView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        claim = get_object_or_404(perms.claim_visible_to(request.user), code=code)
        return attachment_response(
            claim.invoice, filename=claim.invoice_name, content_type=claim.invoice_content_type
        )


class ReviewQueueView(VoucherPage):
    template_name = "vouchers/review_queue.html"
    section = "queue"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if not (context["is_operator"] or context["is_leader"]):
            raise PermissionDenied
        context["queue"] = selectors.review_queue(actor=self.request.user)
        context["review_form"] = f.ReviewForm()
        return context


class BatchListView(VoucherPage):
    template_name = "vouchers/batch_list.html"
    section = "batches"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if not context["reads_all"]:
            raise PermissionDenied
        context["page"] = paginate(self.request, selectors.batch_list(actor=self.request.user), PAGE_SIZE)
        context["query_string"] = query_without_page(self.request)
        context["ready_claims"] = SettlementClaimCounts.ready()
        context["batch_form"] = f.BatchForm(initial={"period": timezone.localdate().strftime("%Y-%m")})
        context["can_create"] = perms.can_create_batch(self.request.user)
        return context


class SettlementClaimCounts:
    @staticmethod
    def ready() -> dict[str, int]:
        from django.db.models import Sum

        from .models import SettlementClaim

        row = SettlementClaim.objects.filter(status=ClaimStatus.APPROVED, batch__isnull=True).aggregate(
            n=Count("id"), total=Sum("amount_fen")
        )
        return {"count": row["n"] or 0, "total_fen": row["total"] or 0}


class BatchCreateView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        if not perms.can_create_batch(request.user):
            raise PermissionDenied
        form = f.BatchForm(request.POST)
        if not form.is_valid():
            errors = form.errors.get("period") or [_("请选择结算月份。")]
            messages.error(request, errors[0])
            return HttpResponseRedirect(reverse("vouchers:batch-list"))
        try:
            batch = services.batch_create(actor=request.user, period=form.cleaned_data["period"])
        except ValidationError as error:
            messages.error(request, error_text(error))
            return HttpResponseRedirect(reverse("vouchers:batch-list"))
        if batch is None:
            messages.info(request, _("该月没有待结算的申请。"))
            return HttpResponseRedirect(reverse("vouchers:batch-list"))
        messages.success(request, _("已生成结算批次 %(code)s，等待领导审批。") % {"code": batch.code})
        return HttpResponseRedirect(reverse("vouchers:batch-detail", args=[batch.code]))


class BatchDetailView(VoucherPage):
    template_name = "vouchers/batch_detail.html"
    section = "batches"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        batch = get_object_or_404(selectors.batch_list(actor=user), code=kwargs["code"])
        context["batch"] = batch
        context["claims"] = list(
            batch.claims.select_related("order__service", "provider__organization", "scheme").order_by(
                "provider__code", "code"
            )
        )
        context["can_approve"] = batch.status == BatchStatus.DRAFT and perms.can_approve_batch(user, batch)
        context["can_pay"] = batch.status == BatchStatus.APPROVED and perms.can_pay_batch(user)
        context["can_export"] = perms.can_export_batch(user)
        return context


class BatchActionView(ActionView):
    step = ""

    def visible(self, request: HttpRequest) -> QuerySet[Any]:
        return perms.batch_visible_to(request.user)

    def act(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        if self.step == "approve":
            services.batch_approve(actor=request.user, batch=obj)
            messages.success(request, _("结算批次已审批。"))
        elif self.step == "return":
            chosen = [code for code in request.POST.getlist("claims") if code][:1000] or None
            kept = services.batch_return(
                actor=request.user, batch=obj, reason=request.POST.get("reason", ""), claims=chosen
            )
            messages.success(
                request,
                _("已退回所选结算申请，其余仍待审批。")
                if kept is not None
                else _("已退回整个结算批次，结算申请回到运营人员审核。"),
            )
            self.returned_all = kept is None
        else:
            services.batch_pay(actor=request.user, batch=obj)
            messages.success(request, _("已登记支付，每笔结算已入账。"))

    returned_all = False

    def target(self, obj: Any) -> str:
        if self.returned_all:  # the batch is gone
            return reverse("vouchers:batch-list")
        return reverse("vouchers:batch-detail", args=[obj.code])


class BatchExportView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        batch = get_object_or_404(perms.batch_visible_to(request.user), code=code)
        content = services.batch_export(actor=request.user, batch=batch)
        return xlsx_response(content, f"创新券结算-{batch.code}.xlsx")


# --- reports and the ledger -------------------------------------------------------------------------------


class ReportView(VoucherPage):
    template_name = "vouchers/report.html"
    section = "reports"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        if not perms.can_view_reports(user):
            raise PermissionDenied
        schemes = list(selectors.scheme_list(actor=user).exclude(status=SchemeStatus.DRAFT))
        code = self.request.GET.get("scheme", "")
        scheme = next((s for s in schemes if s.code == code), schemes[0] if schemes else None)
        context.update(schemes=schemes, scheme=scheme, overall=selectors.overall_figures_cached())
        if scheme is not None:
            context.update(
                figures=selectors.scheme_figures(scheme),
                by_category=selectors.use_by_category(scheme=scheme),
                by_provider=selectors.use_by_provider(scheme=scheme, limit=15),
            )
        return context


class AccountDetailView(VoucherPage):
    """One ledger account's statement, with the running balance after each line (staff only)."""

    template_name = "vouchers/account_detail.html"
    section = "reports"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if not can_view_ledger(self.request.user):
            raise PermissionDenied
        account = get_object_or_404(
            Account.objects.filter(code__startswith="vouchers:"), code=kwargs["account"]
        )
        lines = JournalLine.objects.filter(account=account).select_related("entry").order_by("-id")
        context.update(
            account=account,
            page=paginate(self.request, lines, PAGE_SIZE),
            query_string=query_without_page(self.request),
        )
        return context
