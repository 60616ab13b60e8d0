"""Service-desk pages: requests (enterprise, commissioner, leader, operator), enterprises with their
commissioner, plan and visits, the workload board, figures, the working-day calendar and clocks, and
the enterprise's own 无事不扰 setting. Views validate the input and call one service; they never save."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from kechuang.accounts.choices import Role
from kechuang.core.uploads import attachment_response
from kechuang.core.web import (
    KeptPaginator,
    acting_organization,
    attach_errors,
    error_text,
    form_errors_text,
    query_without_page,
)
from kechuang.directory.choices import OrganizationKind
from kechuang.directory.models import Organization

from . import clock, selectors, services
from .choices import AssignmentRole, CalendarDayKind, PlanItemKind, RequestCategory, VisitStatus
from .filters import ServiceRequestFilter
from .forms import (
    AssignmentForm,
    AttachForm,
    CalendarDayForm,
    CalendarYearForm,
    CloseForm,
    HandOverForm,
    MessageForm,
    PlanItemForm,
    PlanItemStatusForm,
    PlanSummaryForm,
    PreferenceForm,
    ReassignForm,
    ReopenForm,
    RequestFileForm,
    ResolveForm,
    RespondForm,
    SlaPolicyForm,
    VisitCancelForm,
    VisitPlanForm,
    VisitRecordForm,
    WithdrawForm,
)
from .models import CalendarDay, CalendarYear, PlanItem, ServicePreference, ServiceRequest, SlaPolicy, Visit
from .permissions import (
    attachment_visible_to,
    can_act_for_enterprise,
    can_edit_calendar,
    can_edit_plan,
    can_edit_sla_policy,
    can_file_request,
    can_handle_request,
    can_manage_assignments,
    can_note_request,
    can_plan_visit,
    can_reassign_request,
    can_set_preference,
    can_view_desk,
    can_view_figures,
    can_view_plan,
    can_view_workload,
    enterprise_member_ids,
    is_desk_staff,
    plan_visible_to,
    request_visible_to,
    visit_visible_to,
)
from .workcalendar import DEFAULT_SLA, calendar_status, work_calendar

PAGE_SIZE = 25


class DeskMixin(LoginRequiredMixin):
    """Signed-in enterprise users and desk staff; everyone else gets 403."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and not can_view_desk(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def acting_enterprise(request: HttpRequest) -> Organization | None:
    """The acting organization when it is an enterprise the user files requests for."""
    organization = acting_organization(request)
    if (
        organization is not None
        and organization.kind == OrganizationKind.ENTERPRISE
        and organization.pk in enterprise_member_ids(request.user)
    ):
        return organization  # type: ignore[no-any-return]
    return None


def tabs_context(request: HttpRequest, active: str) -> dict[str, Any]:
    user = request.user
    enterprise = acting_enterprise(request)
    return {
        "desk_tab": active,
        "desk_is_staff": is_desk_staff(user),
        "desk_enterprise": enterprise,
        "desk_can_workload": can_view_workload(user),
        "desk_can_figures": can_view_figures(user),
        "desk_can_calendar": can_edit_calendar(user),
        # staff see the warning when a calendar year is missing (docs/reliability.md M5)
        "desk_calendar": calendar_status() if is_desk_staff(user) else None,
    }


# --- requests ----------------------------------------------------------------------------------------


class ClockedRows:
    """A page's requests with their clocks (``selectors.annotate_clock_states``), read when the rows are
    rendered: a page whose rows fragment is in the cache (request_rows.html) reads neither the rows nor
    the calendar."""

    def __init__(self, page: Any, now: Any) -> None:
        self.page = page
        self.now = now
        self._rows: list[ServiceRequest] | None = None

    def __iter__(self) -> Any:
        if self._rows is None:
            self._rows = selectors.annotate_clock_states(list(self.page.object_list), now=self.now)
        return iter(self._rows)


class RequestListView(DeskMixin, TemplateView):
    template_name = "servicedesk/request_list.html"

    def get_template_names(self) -> list[str]:
        if getattr(self.request, "htmx", False) and not getattr(self.request.htmx, "boosted", False):
            return ["servicedesk/partials/request_rows.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        base = request_visible_to(user).select_related("organization", "commissioner")
        filterset = ServiceRequestFilter(self.request.GET or None, queryset=base)
        qs = filterset.qs if filterset.is_bound and filterset.is_valid() else base
        paginator = KeptPaginator(qs.order_by("-filed_at", "-id"), PAGE_SIZE)
        page = paginator.get_page(self.request.GET.get("page"))
        now = clock.now()
        enterprise = acting_enterprise(self.request)
        context.update(
            filter=filterset,
            page=page,
            rows=ClockedRows(page, now),
            total=paginator.count,
            query_string=query_without_page(self.request),
            can_file=enterprise is not None and can_file_request(user, enterprise),
            enterprise=enterprise,
            now=now,
            **tabs_context(self.request, "requests"),
        )
        if enterprise is not None:
            context.update(selectors.my_enterprise_context(actor=user, organization=enterprise))
        return context


class RequestCreateView(DeskMixin, View):
    template_name = "servicedesk/request_form.html"

    def _organization(self, request: HttpRequest) -> Organization | None:
        enterprise = acting_enterprise(request)
        raw = request.POST.get("organization") or request.GET.get("organization")
        if raw and is_desk_staff(request.user):
            try:
                candidate = Organization.objects.filter(pk=int(raw), kind=OrganizationKind.ENTERPRISE).first()
            except (TypeError, ValueError):
                candidate = None
            if candidate is None:
                raise Http404
            return candidate
        return enterprise

    def _context(self, request: HttpRequest, form: Any, organization: Organization | None) -> dict[str, Any]:
        policies = {p.category: p for p in SlaPolicy.objects.all()}
        clocks = [
            {
                "label": label,
                "response": getattr(policies.get(value), "response_days", DEFAULT_SLA[value][0]),
                "resolution": getattr(policies.get(value), "resolution_days", DEFAULT_SLA[value][1]),
            }
            for value, label in RequestCategory.choices
        ]
        return {
            "form": form,
            "organization": organization,
            "clocks": clocks,
            "staff_filing": organization is not None
            and organization.pk not in enterprise_member_ids(request.user),
            **tabs_context(request, "requests"),
        }

    def get(self, request: HttpRequest) -> HttpResponse:
        organization = self._organization(request)
        if organization is None:
            messages.info(request, _("请以企业身份提交诉求；服务专员代企业登记时，请从企业页面进入。"))
            return HttpResponseRedirect(reverse("servicedesk:request-list"))
        if not can_file_request(request.user, organization):
            raise PermissionDenied
        form = RequestFileForm(initial={"organization": organization.pk})
        return render(request, self.template_name, self._context(request, form, organization))

    def post(self, request: HttpRequest) -> HttpResponse:
        organization = self._organization(request)
        if organization is None or not can_file_request(request.user, organization):
            raise PermissionDenied
        form = RequestFileForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            staff = organization.pk not in enterprise_member_ids(request.user)
            try:
                created = services.request_file(
                    actor=request.user,
                    organization=organization,
                    category=data["category"],
                    title=data["title"],
                    text=data["text"],
                    channel=(data.get("channel") or "platform") if staff else "platform",
                    files=data.get("files") or [],
                )
            except ValidationError as error:
                attach_errors(form, error)
            else:
                messages.success(
                    request,
                    _("诉求已提交，编号 %(code)s。服务专员将在 %(due)s 前首次答复。")
                    % {
                        "code": created.code,
                        "due": created.response_due_at.astimezone(clock.TZ).strftime("%Y-%m-%d %H:%M"),
                    },
                )
                return HttpResponseRedirect(reverse("servicedesk:request-detail", args=[created.code]))
        return render(request, self.template_name, self._context(request, form, organization), status=400)


def _request_or_404(request: HttpRequest, code: str) -> ServiceRequest:
    found = selectors.request_get(actor=request.user, code=code)
    if found is None:
        raise Http404
    return found


def request_detail_context(request: HttpRequest, service_request: ServiceRequest) -> dict[str, Any]:
    user = request.user
    calendar = work_calendar()
    now = clock.now()
    handler = can_handle_request(user, service_request)
    enterprise = can_act_for_enterprise(user, service_request)
    status = service_request.status
    version = {"version": service_request.version}
    people = selectors.current_assignments(service_request.organization)
    clocks = selectors.request_clocks(service_request, now=now, calendar=calendar)
    estimated = sorted({year for c in clocks if c.is_running for year in c.estimated_years})
    return {
        "sr": service_request,
        "clocks": clocks,
        "estimated_years": "、".join(str(y) for y in estimated),
        "events": selectors.request_events(actor=user, request=service_request),
        "attachments": selectors.request_attachments(actor=user, request=service_request),
        "leader": people[AssignmentRole.LEADER],
        "is_handler": handler,
        "is_enterprise": enterprise,
        "can_note": can_note_request(user, service_request),
        "can_respond": handler and status == "submitted",
        "can_hand_over": handler and status in ("submitted", "in_progress", "handed_over"),
        "can_resolve": handler and status in ("submitted", "in_progress", "handed_over"),
        "can_close": enterprise and status in ("in_progress", "handed_over", "resolved"),
        "can_reopen": enterprise and status in ("resolved", "closed"),
        "can_withdraw": enterprise and status in ("submitted", "in_progress", "handed_over"),
        "can_reassign": can_reassign_request(user) and service_request.is_open,
        "can_message": (handler or enterprise)
        and status in ("submitted", "in_progress", "handed_over", "resolved"),
        "can_attach": (handler or enterprise) and status not in ("closed", "withdrawn"),
        "respond_form": RespondForm(initial=version),
        "message_form": MessageForm(initial=version),
        "hand_over_form": HandOverForm(initial=version),
        "resolve_form": ResolveForm(initial=version),
        "close_form": CloseForm(initial={**version, "rating": 5}),
        "reopen_form": ReopenForm(initial=version),
        "withdraw_form": WithdrawForm(initial=version),
        "reassign_form": ReassignForm(initial=version) if can_reassign_request(user) else None,
        "attach_form": AttachForm(),
        "now": now,
        **tabs_context(request, "requests"),
    }


class RequestDetailView(DeskMixin, View):
    template_name = "servicedesk/request_detail.html"

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        service_request = _request_or_404(request, code)
        return render(request, self.template_name, request_detail_context(request, service_request))


class RequestActionView(DeskMixin, View):
    """POST endpoints of the detail page: one service each. A stale version answers 409 with the page
    showing what changed."""

    action = ""
    form_class: Any = None
    success_message = ""

    def call(self, request: HttpRequest, service_request: ServiceRequest, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        service_request = _request_or_404(request, code)
        form = self.form_class(request.POST, request.FILES)
        status = 400
        if not form.is_valid():
            messages.error(request, _("请检查填写的内容：%(errors)s") % {"errors": form_errors_text(form)})
        else:
            try:
                self.call(request, service_request, form.cleaned_data)
            except services.RequestConflict as conflict:
                messages.error(request, conflict.message)
                status = 409
                service_request = _request_or_404(request, code)
            except ValidationError as error:
                messages.error(request, error_text(error))
            else:
                if self.success_message:
                    messages.success(request, self.success_message)
                return HttpResponseRedirect(
                    reverse("servicedesk:request-detail", args=[service_request.code])
                )
        context = request_detail_context(request, _request_or_404(request, code))
        return render(request, "servicedesk/request_detail.html", context, status=status)


class RequestRespondView(RequestActionView):
    form_class = RespondForm

    def call(self, request: HttpRequest, sr: ServiceRequest, data: dict[str, Any]) -> Any:
        self.success_message = _("已答复，首次响应计时停止。")
        return services.request_respond(
            actor=request.user, request=sr, version=data["version"], text=data["text"]
        )


class RequestMessageView(RequestActionView):
    form_class = MessageForm

    def call(self, request: HttpRequest, sr: ServiceRequest, data: dict[str, Any]) -> Any:
        self.success_message = _("已记录。") if data.get("internal") else _("留言已发送。")
        return services.request_reply(
            actor=request.user,
            request=sr,
            text=data["text"],
            internal=bool(data.get("internal")),
            version=data.get("version"),
        )


class RequestHandOverView(RequestActionView):
    form_class = HandOverForm

    def call(self, request: HttpRequest, sr: ServiceRequest, data: dict[str, Any]) -> Any:
        self.success_message = _("已转办，专员仍负责跟踪办结。")
        return services.request_hand_over(
            actor=request.user,
            request=sr,
            version=data["version"],
            department=data["department"],
            department_name=data.get("department_name", ""),
            text=data["text"],
        )


class RequestResolveView(RequestActionView):
    form_class = ResolveForm

    def call(self, request: HttpRequest, sr: ServiceRequest, data: dict[str, Any]) -> Any:
        self.success_message = _("已办结，等待企业评价。")
        return services.request_resolve(
            actor=request.user, request=sr, version=data["version"], text=data["text"]
        )


class RequestCloseView(RequestActionView):
    form_class = CloseForm

    def call(self, request: HttpRequest, sr: ServiceRequest, data: dict[str, Any]) -> Any:
        self.success_message = _("感谢评价，诉求已关闭。")
        return services.request_close(
            actor=request.user,
            request=sr,
            version=data["version"],
            rating=data["rating"],
            comment=data.get("comment", ""),
        )


class RequestReopenView(RequestActionView):
    form_class = ReopenForm

    def call(self, request: HttpRequest, sr: ServiceRequest, data: dict[str, Any]) -> Any:
        self.success_message = _("诉求已重新打开，办结时限重新计算。")
        return services.request_reopen(
            actor=request.user, request=sr, version=data["version"], reason=data["reason"]
        )


class RequestWithdrawView(RequestActionView):
    form_class = WithdrawForm

    def call(self, request: HttpRequest, sr: ServiceRequest, data: dict[str, Any]) -> Any:
        self.success_message = _("诉求已撤回。")
        return services.request_withdraw(
            actor=request.user, request=sr, version=data["version"], reason=data.get("reason", "")
        )


class RequestReassignView(RequestActionView):
    form_class = ReassignForm

    def call(self, request: HttpRequest, sr: ServiceRequest, data: dict[str, Any]) -> Any:
        self.success_message = _("已更换服务专员。")
        return services.request_reassign(
            actor=request.user,
            request=sr,
            version=data["version"],
            commissioner=data["commissioner"],
            reason=data.get("reason", ""),
        )


class RequestAttachView(RequestActionView):
    form_class = AttachForm

    def call(self, request: HttpRequest, sr: ServiceRequest, data: dict[str, Any]) -> Any:
        self.success_message = _("附件已上传。")
        return services.request_attach(actor=request.user, request=sr, files=data["files"])


class AttachmentDownloadView(DeskMixin, View):
    def get(self, request: HttpRequest, token: Any) -> HttpResponse:
        attachment = get_object_or_404(attachment_visible_to(request.user), token=token)
        return attachment_response(
            attachment.file, filename=attachment.original_name, content_type=attachment.content_type
        )


# --- enterprises, plans and assignments ------------------------------------------------------------


class EnterpriseListView(DeskMixin, TemplateView):
    template_name = "servicedesk/enterprise_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        if not is_desk_staff(self.request.user):
            raise PermissionDenied
        context = super().get_context_data(**kwargs)
        scope = self.request.GET.get("scope", "")
        qs = selectors.enterprise_service_list(
            actor=self.request.user, q=self.request.GET.get("q", ""), scope=scope
        )
        paginator = KeptPaginator(qs, PAGE_SIZE)
        page = paginator.get_page(self.request.GET.get("page"))
        selectors.attach_people(list(page.object_list))
        context.update(
            page=page,
            total=paginator.count,
            q=self.request.GET.get("q", ""),
            scope=scope,
            query_string=query_without_page(self.request),
            **tabs_context(self.request, "enterprises"),
        )
        return context


def _enterprise_or_404(pk: int) -> Organization:
    return get_object_or_404(Organization, pk=pk, kind=OrganizationKind.ENTERPRISE)


class EnterpriseDetailView(DeskMixin, TemplateView):
    """One enterprise's service file: commissioner and leader (with history), 一企一策, visits, requests.
    The enterprise itself sees its plan, its people and its visits, not the assignment history."""

    template_name = "servicedesk/enterprise_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        organization = _enterprise_or_404(kwargs["pk"])
        if not can_view_plan(user, organization):
            raise Http404
        staff = is_desk_staff(user)
        plan = plan_visible_to(user).filter(organization=organization).first()
        items = (
            list(plan.items.select_related("request", "visit").order_by("status", "due_on", "id"))
            if plan
            else []
        )
        preference = ServicePreference.objects.filter(organization=organization).first()
        today = services.local_today()
        context.update(
            organization=organization,
            staff=staff,
            plan=plan,
            plan_items=items,
            people=selectors.current_assignments(organization),
            history=selectors.assignment_history(organization) if staff else [],
            visits=list(selectors.visit_list(actor=user, organization=organization)[:20]),
            requests=selectors.annotate_clock_states(
                list(
                    request_visible_to(user)
                    .filter(organization=organization)
                    .select_related("commissioner")
                    .order_by("-filed_at", "-id")[:10]
                )
            ),
            preference=preference,
            cap=services.effective_cap(preference),
            visits_this_month=selectors.visits_this_month(organization, today),
            today=today,
            can_edit_plan=can_edit_plan(user, organization),
            can_plan_visit=can_plan_visit(user, organization),
            can_assign=can_manage_assignments(user),
            can_file=can_file_request(user, organization) and staff,
            plan_form=PlanSummaryForm(initial={"summary": plan.summary if plan else ""}),
            item_form=PlanItemForm(),
            assign_form=AssignmentForm(),
            commissioners=list(selectors.staff_with_role(Role.COMMISSIONER)),
            leaders=list(selectors.staff_with_role(Role.LEADER)),
            item_kinds=PlanItemKind.choices,
            **tabs_context(self.request, "enterprises" if staff else "mine"),
        )
        return context


class AssignmentSetView(DeskMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        organization = _enterprise_or_404(pk)
        if not can_manage_assignments(request.user):
            raise PermissionDenied
        form = AssignmentForm(request.POST)
        back = HttpResponseRedirect(
            request.POST.get("next")
            if request.POST.get("next", "").startswith("/service/")
            else reverse("servicedesk:enterprise-detail", args=[organization.pk])
        )
        if not form.is_valid():
            messages.error(request, _("请选择职责和人员。"))
            return back
        user = get_user_model().objects.filter(pk=form.cleaned_data["user"]).first()
        try:
            services.assignment_set(
                actor=request.user,
                organization=organization,
                role=form.cleaned_data["role"],
                user=user,
                reason=form.cleaned_data.get("reason", ""),
            )
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(
                request,
                _("已更新“%(org)s”的%(role)s。")
                % {"org": organization.name, "role": AssignmentRole(form.cleaned_data["role"]).label},
            )
        return back


class PlanUpdateView(DeskMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        organization = _enterprise_or_404(pk)
        form = PlanSummaryForm(request.POST)
        if form.is_valid():
            try:
                services.plan_update(
                    actor=request.user, organization=organization, summary=form.cleaned_data["summary"]
                )
            except ValidationError as error:
                messages.error(request, error_text(error))
            else:
                messages.success(request, _("一企一策已保存。"))
        else:
            messages.error(request, form_errors_text(form))
        return HttpResponseRedirect(
            reverse("servicedesk:enterprise-detail", args=[organization.pk]) + "#plan"
        )


class PlanItemAddView(DeskMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        organization = _enterprise_or_404(pk)
        form = PlanItemForm(request.POST)
        if form.is_valid():
            try:
                services.plan_item_add(actor=request.user, organization=organization, **form.cleaned_data)
            except ValidationError as error:
                messages.error(request, error_text(error))
            else:
                messages.success(request, _("已加入一企一策。"))
        else:
            messages.error(request, form_errors_text(form))
        return HttpResponseRedirect(
            reverse("servicedesk:enterprise-detail", args=[organization.pk]) + "#plan"
        )


class PlanItemStatusView(DeskMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        item = get_object_or_404(PlanItem.objects.select_related("plan__organization"), pk=pk)
        if not can_view_plan(request.user, item.plan.organization):
            raise Http404
        form = PlanItemStatusForm(request.POST)
        if form.is_valid():
            try:
                services.plan_item_set_status(
                    actor=request.user, item=item, status=form.cleaned_data["status"]
                )
            except ValidationError as error:
                messages.error(request, error_text(error))
        return HttpResponseRedirect(
            reverse("servicedesk:enterprise-detail", args=[item.plan.organization_id]) + "#plan"
        )


class WorkloadView(DeskMixin, TemplateView):
    template_name = "servicedesk/workload.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        if not can_view_workload(self.request.user):
            raise PermissionDenied
        context = super().get_context_data(**kwargs)
        loads = selectors.workload()
        top = max((w.score for w in loads), default=0) or 1
        for row in loads:
            row.bar = round(100 * row.score / top)  # type: ignore[attr-defined]
        context.update(
            loads=loads,
            hints=selectors.rebalance_hints(loads),
            suggestions=selectors.assignment_suggestions(limit=30),
            unassigned=selectors.unassigned_enterprises().count(),
            key_without_leader=selectors.unassigned_key_enterprises().count(),
            can_assign=can_manage_assignments(self.request.user),
            **tabs_context(self.request, "workload"),
        )
        return context


class ApplySuggestionsView(DeskMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        if not can_manage_assignments(request.user):
            raise PermissionDenied
        done = services.assignments_apply_suggestions(actor=request.user, limit=200)
        messages.success(request, _("已按建议为 %(n)s 家企业分配服务专员。") % {"n": len(done)})
        return HttpResponseRedirect(reverse("servicedesk:workload"))


# --- visits ------------------------------------------------------------------------------------------


class VisitListView(DeskMixin, TemplateView):
    template_name = "servicedesk/visit_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        status = self.request.GET.get("status", "")
        qs = selectors.visit_list(actor=self.request.user, status=status)
        paginator = KeptPaginator(qs, PAGE_SIZE)
        page = paginator.get_page(self.request.GET.get("page"))
        context.update(
            page=page,
            total=paginator.count,
            status=status,
            statuses=VisitStatus.choices,
            query_string=query_without_page(self.request),
            today=services.local_today(),
            **tabs_context(self.request, "visits"),
        )
        return context


class VisitCreateView(DeskMixin, View):
    template_name = "servicedesk/visit_form.html"

    def _context(self, request: HttpRequest, organization: Organization, form: Any) -> dict[str, Any]:
        preference = ServicePreference.objects.filter(organization=organization).first()
        today = services.local_today()
        return {
            "organization": organization,
            "form": form,
            "preference": preference,
            "cap": services.effective_cap(preference),
            "today": today,
            "visits_this_month": selectors.visits_this_month(organization, today),
            "open_requests": list(
                ServiceRequest.objects.filter(organization=organization, status__in=selectors.OPEN).order_by(
                    "-filed_at"
                )[:10]
            ),
            **tabs_context(request, "visits"),
        }

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        organization = _enterprise_or_404(pk)
        if not can_plan_visit(request.user, organization):
            raise PermissionDenied
        form = VisitPlanForm(
            initial={
                "planned_for": services.local_today() + dt.timedelta(days=1),
                "request": request.GET.get("request", ""),
            }
        )
        return render(request, self.template_name, self._context(request, organization, form))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        organization = _enterprise_or_404(pk)
        if not can_plan_visit(request.user, organization):
            raise PermissionDenied
        form = VisitPlanForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            linked = None
            if data.get("request"):
                linked = (
                    request_visible_to(request.user)
                    .filter(code=data["request"].strip().upper(), organization=organization)
                    .first()
                )
                if linked is None:
                    form.add_error("request", _("找不到该企业的这条诉求。"))
            if not form.errors:
                try:
                    visit = services.visit_plan(
                        actor=request.user,
                        organization=organization,
                        planned_for=data["planned_for"],
                        purpose=data["purpose"],
                        companions=data.get("companions", ""),
                        request=linked,
                    )
                except ValidationError as error:
                    attach_errors(form, error)
                else:
                    messages.success(
                        request,
                        _("已安排 %(date)s 走访，并告知企业。")
                        % {"date": visit.planned_for.strftime("%Y-%m-%d")},
                    )
                    return HttpResponseRedirect(reverse("servicedesk:visit-detail", args=[visit.code]))
        return render(request, self.template_name, self._context(request, organization, form), status=400)


def _visit_or_404(request: HttpRequest, code: str) -> Visit:
    return get_object_or_404(
        visit_visible_to(request.user).select_related("organization", "visitor", "request"), code=code
    )


class VisitDetailView(DeskMixin, TemplateView):
    template_name = "servicedesk/visit_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        visit = _visit_or_404(self.request, kwargs["code"])
        user = self.request.user
        may_record = visit.visitor_id == user.pk or can_plan_visit(user, visit)
        context.update(
            visit=visit,
            today=services.local_today(),
            can_record=may_record and visit.status != VisitStatus.CANCELLED,
            can_cancel=visit.status == VisitStatus.PLANNED
            and (may_record or can_act_for_enterprise(user, visit)),
            is_enterprise=can_act_for_enterprise(user, visit),
            record_form=VisitRecordForm(initial={"notes": visit.notes}),
            cancel_form=VisitCancelForm(),
            plan_items=list(visit.plan_items.all()) if is_desk_staff(user) else [],
            **tabs_context(self.request, "visits" if is_desk_staff(user) else "mine"),
        )
        return context


class VisitRecordView(DeskMixin, View):
    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        visit = _visit_or_404(request, code)
        form = VisitRecordForm(request.POST)
        if form.is_valid():
            try:
                services.visit_record(
                    actor=request.user,
                    visit=visit,
                    notes=form.cleaned_data["notes"],
                    follow_ups=(form.cleaned_data.get("follow_ups") or "").splitlines(),
                )
            except ValidationError as error:
                messages.error(request, error_text(error))
            else:
                messages.success(request, _("走访记录已保存。"))
        else:
            messages.error(request, form_errors_text(form))
        return HttpResponseRedirect(reverse("servicedesk:visit-detail", args=[visit.code]))


class VisitCancelView(DeskMixin, View):
    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        visit = _visit_or_404(request, code)
        form = VisitCancelForm(request.POST)
        form.is_valid()
        try:
            services.visit_cancel(actor=request.user, visit=visit, reason=form.cleaned_data.get("reason", ""))
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("走访已取消。"))
        return HttpResponseRedirect(reverse("servicedesk:visit-detail", args=[visit.code]))


class PreferenceView(DeskMixin, View):
    """The enterprise's own 无事不扰 setting."""

    template_name = "servicedesk/preferences.html"

    def _organization(self, request: HttpRequest) -> Organization:
        organization = acting_enterprise(request)
        if organization is None or not can_set_preference(request.user, organization):
            raise PermissionDenied
        return organization

    def _context(self, request: HttpRequest, organization: Organization, form: Any) -> dict[str, Any]:
        preference = ServicePreference.objects.filter(organization=organization).first()
        return {
            "form": form,
            "organization": organization,
            "preference": preference,
            "district_cap": services.visit_cap(),
            **tabs_context(request, "preferences"),
        }

    def get(self, request: HttpRequest) -> HttpResponse:
        organization = self._organization(request)
        preference = ServicePreference.objects.filter(organization=organization).first()
        initial = {}
        if preference is not None:
            initial = {
                "do_not_disturb": preference.do_not_disturb,
                "do_not_disturb_until": preference.do_not_disturb_until,
                "max_visits_per_month": preference.max_visits_per_month,
                "note": preference.note,
            }
        return render(
            request, self.template_name, self._context(request, organization, PreferenceForm(initial=initial))
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        organization = self._organization(request)
        form = PreferenceForm(request.POST)
        if form.is_valid():
            try:
                services.preference_set(actor=request.user, organization=organization, **form.cleaned_data)
            except ValidationError as error:
                attach_errors(form, error)
            else:
                messages.success(request, _("服务偏好已保存。"))
                return HttpResponseRedirect(reverse("servicedesk:preferences"))
        return render(request, self.template_name, self._context(request, organization, form), status=400)


# --- figures, calendar and clocks ---------------------------------------------------------------------

PERIODS = [("30", _("近 30 天")), ("90", _("近 90 天")), ("365", _("近一年")), ("all", _("全部"))]


class FiguresView(DeskMixin, TemplateView):
    template_name = "servicedesk/figures.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        if not can_view_figures(self.request.user):
            raise PermissionDenied
        context = super().get_context_data(**kwargs)
        period = self.request.GET.get("period", "90")
        if period not in dict(PERIODS):
            period = "90"
        now = clock.now()
        since = None if period == "all" else now - dt.timedelta(days=int(period))
        data = selectors.figures(actor=self.request.user, since=since, now=now)
        chart = {
            "categories": [r["label"] for r in data["by_category"]],
            "response_hours": [r["avg_response_hours"] for r in data["by_category"]],
            "breach": [r["resolution_breach_rate"] for r in data["by_category"]],
            "rating": [r["avg_rating"] for r in data["by_category"]],
            "commissioners": [r["label"] for r in data["by_commissioner"]],
            "commissioner_rating": [r["avg_rating"] for r in data["by_commissioner"]],
            "commissioner_breach": [r["resolution_breach_rate"] for r in data["by_commissioner"]],
        }
        context.update(
            figures=data,
            chart=chart,
            period=period,
            periods=PERIODS,
            scope_note=not (self.request.user.has_role(Role.OPERATOR, Role.LEADER)),
            **tabs_context(self.request, "figures"),
        )
        return context


class CalendarView(DeskMixin, View):
    template_name = "servicedesk/calendar.html"

    def _context(self, request: HttpRequest, form: Any, year_form: Any = None) -> dict[str, Any]:
        today = services.local_today()
        days = CalendarDay.objects.select_related("updated_by").order_by("date")
        confirmed = {y.year: y for y in CalendarYear.objects.select_related("confirmed_by")}
        years = sorted({d.year for d in days.values_list("date", flat=True)} | set(confirmed) | {today.year})
        if today.month >= 11 or (today.year + 1) in years:
            years = sorted(set(years) | {today.year + 1})
        try:
            chosen = int(request.GET.get("year", "") or today.year)
        except ValueError:
            chosen = today.year
        if not 2000 <= chosen <= 2100:
            chosen = today.year
        policies = {p.category: p for p in SlaPolicy.objects.all()}
        rows = []
        for value, label in RequestCategory.choices:
            policy = policies.get(value)
            rows.append(
                {
                    "category": value,
                    "label": label,
                    "response_days": policy.response_days if policy else DEFAULT_SLA[value][0],
                    "resolution_days": policy.resolution_days if policy else DEFAULT_SLA[value][1],
                }
            )
        shown = list(days.filter(date__year=chosen))
        return {
            "form": form,
            "year_form": year_form or CalendarYearForm(initial={"year": chosen}),
            "days": shown,
            "holiday_count": sum(1 for d in shown if d.kind == CalendarDayKind.HOLIDAY),
            "years": years,
            "year": chosen,
            "year_row": confirmed.get(chosen),
            "confirmed_years": confirmed,
            "policies": rows,
            "can_edit": can_edit_calendar(request.user),
            "can_edit_policy": can_edit_sla_policy(request.user),
            "kinds": CalendarDayKind.choices,
            **tabs_context(request, "calendar"),
        }

    def _initial(self, request: HttpRequest) -> dict[str, Any]:
        """``?edit=2027-02-10`` fills the form with that day, to change it."""
        try:
            date = dt.date.fromisoformat(request.GET.get("edit", ""))
        except ValueError:
            return {}
        day = CalendarDay.objects.filter(date=date).first()
        if day is None:
            return {"date": date}
        return {"date": day.date, "kind": day.kind, "name": day.name, "note": day.note}

    def get(self, request: HttpRequest) -> HttpResponse:
        if not is_desk_staff(request.user):
            raise PermissionDenied
        form = CalendarDayForm(initial=self._initial(request))
        return render(request, self.template_name, self._context(request, form))

    def post(self, request: HttpRequest) -> HttpResponse:
        if not can_edit_calendar(request.user):
            raise PermissionDenied
        form = CalendarDayForm(request.POST)
        if form.is_valid():
            try:
                day = services.calendar_day_set(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                attach_errors(form, error)
            else:
                until = form.cleaned_data.get("until")
                what = day.date.isoformat()
                if until and until != day.date:
                    what = _("%(first)s 至 %(last)s") % {"first": what, "last": until.isoformat()}
                messages.success(
                    request,
                    _("已保存 %(date)s（%(kind)s）。未办结诉求的时限已按新日历重新计算。")
                    % {"date": what, "kind": day.get_kind_display()},
                )
                return HttpResponseRedirect(reverse("servicedesk:calendar") + f"?year={day.date.year}")
        return render(request, self.template_name, self._context(request, form), status=400)


class CalendarDayDeleteView(DeskMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not can_edit_calendar(request.user):
            raise PermissionDenied
        day = get_object_or_404(CalendarDay, pk=pk)
        year = day.date.year
        services.calendar_day_delete(actor=request.user, day=day)
        messages.success(
            request,
            _("已删除，该日恢复为普通的%(kind)s。")
            % {"kind": _("工作日") if day.date.weekday() < 5 else _("周末")},
        )
        return HttpResponseRedirect(reverse("servicedesk:calendar") + f"?year={year}")


class CalendarLoadView(DeskMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        if not can_edit_calendar(request.user):
            raise PermissionDenied
        counts = services.calendar_load(actor=request.user)
        text = _("已从官方日历文件载入：新增 %(c)s 天，已有 %(u)s 天保持不变。") % {
            "c": counts["created"],
            "u": counts["unchanged"],
        }
        if counts.get("years"):
            text += _("已确认完整的年份：%(years)s。") % {"years": "、".join(str(y) for y in counts["years"])}
        messages.success(request, text)
        return HttpResponseRedirect(reverse("servicedesk:calendar"))


class CalendarYearConfirmView(DeskMixin, View):
    """确认某年已录入完整 (or take it back with ``undo``)."""

    def post(self, request: HttpRequest) -> HttpResponse:
        if not can_edit_calendar(request.user):
            raise PermissionDenied
        form = CalendarYearForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请检查填写的内容：%(errors)s") % {"errors": form_errors_text(form)})
            return HttpResponseRedirect(reverse("servicedesk:calendar"))
        year = form.cleaned_data["year"]
        if request.POST.get("undo"):
            services.calendar_year_unconfirm(actor=request.user, year=year)
            messages.success(
                request, _("已撤销 %(year)s 年的确认：该年的时限重新标为估算。") % {"year": year}
            )
        else:
            try:
                services.calendar_year_confirm(
                    actor=request.user, year=year, source=form.cleaned_data["source"]
                )
            except ValidationError as error:
                messages.error(request, error_text(error))
            else:
                messages.success(
                    request,
                    _("已确认 %(year)s 年的节假日安排录入完整：该年的诉求时限不再标为估算。")
                    % {"year": year},
                )
        return HttpResponseRedirect(reverse("servicedesk:calendar") + f"?year={year}")


class SlaPolicyUpdateView(DeskMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        if not can_edit_sla_policy(request.user):
            raise PermissionDenied
        form = SlaPolicyForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请检查填写的内容：%(errors)s") % {"errors": form_errors_text(form)})
        else:
            try:
                policy = services.sla_policy_set(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                messages.error(request, error_text(error))
            else:
                messages.success(
                    request,
                    _(
                        "“%(cat)s”类诉求的时限已更新：首次响应 %(r)s 个工作日，"
                        "办结 %(d)s 个工作日（对新提交的诉求生效）。"
                    )
                    % {
                        "cat": policy.get_category_display(),
                        "r": policy.response_days,
                        "d": policy.resolution_days,
                    },
                )
        return HttpResponseRedirect(reverse("servicedesk:calendar") + "#policies")
