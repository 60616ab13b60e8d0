"""Investment pages: the pipeline board, a lead (facts, clocks, evidence, history, actions), the lead
form, the leaders' view, key projects and the 稳商 watch list. Views validate input and call one
service; non-staff get 403 on the lists and 404 on any record (the records are confidential)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View

from kechuang.core.money import fen_from_wan
from kechuang.core.roles import Role, roles_of
from kechuang.core.web import ActionView, attach_errors, error_text, form_errors_text
from kechuang.directory import uscc as uscc_rules
from kechuang.directory.models import Organization, TechnologyField
from kechuang.spaces.models import SpaceUnit

from . import permissions as perms
from . import selectors, services
from .choices import LeadSource, LeadStage, ProjectStatus, RetentionSignal, RetentionStatus
from .forms import (
    AdvanceForm,
    CloseForm,
    DocumentForm,
    IssueForm,
    LeadForm,
    MilestoneForm,
    NoteForm,
    OwnersForm,
    ProjectForm,
    ReserveForm,
    ResolveForm,
    RetentionActionForm,
    RetentionCloseForm,
    RetentionOpenForm,
    StatusForm,
    TargetForm,
    staff_users,
)
from .models import KeyProject, Lead, LeadDocument, Milestone, RetentionCase
from .services import EvidenceInput, LeadInput


def _wan(fen: int) -> Decimal:
    """Fen as 万元 for a form's initial value, two places (what ``wan_field`` accepts back)."""
    return (Decimal(fen) / Decimal(1_000_000)).quantize(Decimal("0.01"))


def _style(form: Any) -> None:
    for name, field in form.fields.items():
        widget = field.widget
        if (
            getattr(widget, "input_type", "") in ("checkbox",)
            or widget.__class__.__name__ == "CheckboxSelectMultiple"
        ):
            continue
        widget.attrs.setdefault(
            "class", "form-select" if getattr(widget, "input_type", "") == "select" else "form-control"
        )
        widget.attrs.setdefault("id", f"id_{name}")


class StaffMixin(LoginRequiredMixin):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and not perms.is_district_staff(request.user):
            raise PermissionDenied(_("招商稳商信息仅街区工作人员可见。"))
        return super().dispatch(request, *args, **kwargs)


def _lead(request: HttpRequest, code: str) -> Lead:
    return get_object_or_404(selectors.lead_list(actor=request.user), code=code)


# --- leads ---------------------------------------------------------------------------------------------


class _Board:
    """The board's columns and the leads whose figures the viewer may see, loaded when the template first
    asks: the board's fragment is kept per viewer and filter under the data generation (core pagecache,
    docs/adr/0029-page-speed.md), and a kept fragment needs neither."""

    def __init__(self, user: Any, filters: dict[str, Any]) -> None:
        self.user, self.filters = user, filters

    @cached_property
    def columns(self) -> list[selectors.Column]:
        return selectors.board(actor=self.user, filters=self.filters)

    @cached_property
    def confidential(self) -> set[int]:
        return selectors.confidential_ids(self.user, [lead for c in self.columns for lead in c.leads])


class LeadBoardView(StaffMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        filters = {
            "q": request.GET.get("q", "").strip()[:60],
            "source": request.GET.get("source") if request.GET.get("source") in LeadSource.values else None,
            "cluster": request.GET.get("cluster") if (request.GET.get("cluster") or "").isdigit() else None,
            "leader": request.GET.get("leader") if (request.GET.get("leader") or "").isdigit() else None,
        }
        context = {
            "board": _Board(request.user, filters),
            "filters": filters,
            "sources": LeadSource.choices,
            "clusters": TechnologyField.objects.filter(parent__isnull=True).order_by("sort_order", "code"),
            "leaders": staff_users("leader"),
            "can_create": perms.can_create_lead(request.user),
            "breached": selectors.breached_count(actor=request.user),
        }
        return render(request, "investment/lead_board.html", context)


class LeadCreateView(StaffMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        form = LeadForm(initial={"source": request.GET.get("source", LeadSource.EVENT)})
        _style(form)
        return render(request, "investment/lead_form.html", {"form": form})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = LeadForm(request.POST)
        _style(form)
        if form.is_valid():
            try:
                lead = services.lead_create(
                    actor=request.user,
                    data=form.lead_input(),
                    case_officer=request.user if Role.COMMISSIONER in roles_of(request.user) else None,
                    allow_duplicate=form.cleaned_data.get("allow_duplicate", False),
                )
            except ValidationError as error:
                attach_errors(form, error, {"planned_investment_fen": "investment_wan"})
            else:
                messages.success(request, _("已登记招商线索 %(code)s。") % {"code": lead.code})
                return HttpResponseRedirect(reverse("investment:lead-detail", args=[lead.code]))
        return render(request, "investment/lead_form.html", {"form": form}, status=400)


class LeadEditView(StaffMixin, View):
    def _form(self, lead: Lead, data: Any = None) -> LeadForm:
        initial = {
            name: getattr(lead, name)
            for name in LeadInput.__dataclass_fields__
            if name != "planned_investment_fen"
        }
        initial["investment_wan"] = _wan(lead.planned_investment_fen) if lead.planned_investment_fen else None
        form = LeadForm(data, initial=initial)
        form.fields.pop("allow_duplicate")
        _style(form)
        return form

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        lead = _lead(request, code)
        if not perms.can_work_lead(request.user, lead):
            raise PermissionDenied(_("只有该线索的挂帅领导、项目专员或运营人员可以修改。"))
        return render(request, "investment/lead_form.html", {"form": self._form(lead), "lead": lead})

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        lead = _lead(request, code)
        form = self._form(lead, request.POST)
        if form.is_valid():
            try:
                services.lead_update(actor=request.user, lead=lead, data=form.lead_input())
            except ValidationError as error:
                attach_errors(form, error, {"planned_investment_fen": "investment_wan"})
            else:
                return HttpResponseRedirect(reverse("investment:lead-detail", args=[lead.code]))
        return render(request, "investment/lead_form.html", {"form": form, "lead": lead}, status=400)


def _lead_context(request: HttpRequest, lead: Lead, **forms: Any) -> dict[str, Any]:
    confidential = selectors.may_see_confidential(request.user, lead)
    can_work = bool(perms.can_work_lead(request.user, lead))
    target = services.next_stage(lead)
    advance = forms.get("advance_form") or AdvanceForm(initial={"commissioner": lead.case_officer_id})
    owners = forms.get("owners_form") or OwnersForm(
        initial={"leader": lead.leader_id, "case_officer": lead.case_officer_id}
    )
    for form in (advance, owners):
        _style(form)
    context = {
        "lead": lead,
        "confidential": confidential,
        "can_work": can_work and lead.is_open,
        "can_assign": perms.can_assign_lead(request.user) and lead.is_open,
        "clocks": selectors.lead_clocks(lead),
        "evidence": list(lead.evidence.select_related("lease", "document", "recorded_by"))
        if confidential
        else [],
        "activities": list(lead.activities.select_related("actor")[:50]),
        "documents": list(lead.documents.all()) if confidential else [],
        "target": target,
        "target_label": LeadStage(target).label if target else "",
        "stage_need": services.STAGE_NEEDS.get(target or "", ""),
        "advance_form": advance,
        "note_form": forms.get("note_form") or NoteForm(),
        "close_form": forms.get("close_form") or CloseForm(),
        "owners_form": owners,
        "reserve_form": forms.get("reserve_form")
        or ReserveForm(initial={"unit": request.GET.get("unit", "")[:80]}),
        "document_form": DocumentForm(),
        "matches": selectors.lead_matches(lead) if can_work and lead.is_open else [],
        "pipeline": [(s, LeadStage(s).label) for s in selectors.PIPELINE],
        "reservations": _reservations(lead),
    }
    for name in ("note_form", "close_form", "reserve_form", "document_form"):
        _style(context[name])
    return context


def _reservations(lead: Lead) -> list[Any]:
    if lead.organization_id is None:
        return []
    from kechuang.spaces.models import Reservation

    return list(
        Reservation.objects.filter(organization_id=lead.organization_id)
        .select_related("unit__building")
        .order_by("-pk")[:5]
    )


class LeadDetailView(StaffMixin, View):
    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        lead = _lead(request, code)
        return render(request, "investment/lead_detail.html", _lead_context(request, lead))


class _RecordAction(StaffMixin, ActionView):
    """One POST on a lead, a key project or a retention case, one service (docs/conventions.md, "Views"):
    the record by its code among those the user sees (404 otherwise), ``permission`` deciding who acts
    (403 otherwise), back to the record's page ``detail``."""

    lookup: Callable[[HttpRequest, str], Any]
    permission: Callable[[Any, Any], Any]
    detail = ""

    def get_object(self, request: HttpRequest, **kwargs: Any) -> Any:
        return type(self).lookup(request, kwargs["code"])

    def allowed(self, request: HttpRequest, obj: Any) -> bool:
        return bool(type(self).permission(request.user, obj))

    def next_url(self, request: HttpRequest, obj: Any) -> str:
        return reverse(self.detail, args=[obj.code])


class _LeadAction(_RecordAction):
    """On a lead: its leader, its case officer or an operator."""

    lookup = staticmethod(_lead)
    permission = staticmethod(perms.can_work_lead)
    detail = "investment:lead-detail"
    denied_message = _lazy("只有该线索的挂帅领导、项目专员或运营人员可以办理。")


class LeadAcknowledgeView(_LeadAction):
    success_message = _lazy("已受理。")

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        return services.lead_acknowledge(actor=request.user, lead=obj)


class LeadNoteView(_LeadAction):
    form_class = NoteForm
    success_message = _lazy("已记录。")

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        return services.lead_record(
            actor=request.user, lead=obj, text=data["text"], feedback=data["feedback"]
        )


class LeadAdvanceView(_LeadAction):
    form_class = AdvanceForm

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        return services.lead_advance(
            actor=request.user,
            lead=obj,
            evidence=EvidenceInput(
                note=data.get("note") or "",
                uscc=data.get("uscc") or "",
                commissioner=data.get("commissioner"),
                amount_fen=fen_from_wan(data.get("amount_wan")),
            ),
        )

    def message(self, obj: Any, result: Any) -> str:
        return _("已进入“%(stage)s”阶段。") % {"stage": result.get_stage_display()}


class LeadCloseView(_LeadAction):
    form_class = CloseForm
    success_message = _lazy("线索已关闭。")

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        return services.lead_close(
            actor=request.user,
            lead=obj,
            outcome=data["outcome"],
            reason_code=data["reason_code"],
            reason=data.get("reason") or "",
        )


class LeadOwnersView(_LeadAction):
    form_class = OwnersForm
    denied_message = _lazy("只有运营人员可以确定挂帅领导和项目专员。")
    success_message = _lazy("已更新责任人。")

    def allowed(self, request: HttpRequest, obj: Any) -> bool:
        return bool(perms.can_assign_lead(request.user))

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        return services.lead_assign(
            actor=request.user, lead=obj, leader=data["leader"], case_officer=data["case_officer"]
        )


class LeadReserveView(_LeadAction):
    form_class = ReserveForm

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        unit = SpaceUnit.objects.filter(code=data["unit"]).first()
        if unit is None:
            raise ValidationError(_("房源不存在。"))
        reservation = services.lead_reserve_unit(
            actor=request.user,
            lead=obj,
            unit=unit,
            start_date=data["start_date"],
            end_date=data["end_date"],
        )
        return unit, reservation

    def message(self, obj: Any, result: Any) -> str:
        unit, reservation = result
        return _("已预订房源 %(unit)s（%(code)s）。") % {"unit": str(unit), "code": reservation.code}


class LeadDocumentView(_LeadAction):
    success_message = _lazy("已上传附件。")

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError(_("请选择文件。"))
        return services.document_add(actor=request.user, lead=obj, file=upload)


def action_route(actions: dict[str, type[ActionView]]) -> Any:
    """One URL ``…/<code>/<action>/`` for a record's buttons: each action is its own ActionView."""
    views = {name: view.as_view() for name, view in actions.items()}

    def route(request: HttpRequest, code: str, action: str) -> HttpResponse:
        view = views.get(action)
        if view is None:
            if not perms.is_district_staff(request.user):
                raise PermissionDenied(_("招商稳商信息仅街区工作人员可见。"))
            raise Http404
        response: HttpResponse = view(request, code=code)
        return response

    return route


lead_action = action_route(
    {
        "acknowledge": LeadAcknowledgeView,
        "note": LeadNoteView,
        "advance": LeadAdvanceView,
        "close": LeadCloseView,
        "owners": LeadOwnersView,
        "reserve": LeadReserveView,
        "document": LeadDocumentView,
    }
)


class DocumentDownloadView(StaffMixin, View):
    def get(self, request: HttpRequest, token: str) -> FileResponse:
        document = get_object_or_404(LeadDocument.objects.select_related("lead"), token=token)
        if not selectors.lead_list(actor=request.user).filter(pk=document.lead_id).exists():
            raise Http404
        if not selectors.may_see_confidential(request.user, document.lead):
            raise PermissionDenied(_("只有该线索的挂帅领导、项目专员或运营人员可以查看附件。"))
        return FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=document.original_name,
            content_type="application/octet-stream",
        )


class LeaderView(StaffMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        figures = selectors.pipeline_figures(actor=request.user)
        target = figures["target"]
        form = TargetForm(
            initial={
                "year": figures["year"],
                "investment_wan": _wan(target.investment_fen) if target else None,
                "jobs": target.jobs if target else None,
            }
        )
        _style(form)
        context = {
            "figures": figures,
            "retention": selectors.retention_figures(actor=request.user),
            "target_form": form,
            "can_set_target": perms.can_assign_lead(request.user),
        }
        return render(request, "investment/leader_view.html", context)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = TargetForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(form_errors_text(form))
            services.target_set(
                actor=request.user,
                year=form.cleaned_data["year"],
                investment_fen=fen_from_wan(form.cleaned_data["investment_wan"]) or 0,
                jobs=form.cleaned_data["jobs"],
            )
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("已保存年度目标。"))
        return HttpResponseRedirect(reverse("investment:leader-view"))


class LeadExportView(StaffMixin, View):
    """The pipeline as an Excel workbook (formula-safe, core.excel); confidential amounts only where the
    user may see them."""

    def get(self, request: HttpRequest) -> HttpResponse:
        from kechuang.core import audit
        from kechuang.core.excel import workbook_bytes, xlsx_response

        content = workbook_bytes(selectors.export_sheets(actor=request.user))
        audit.record("investment.export", actor=request.user, object_type="investment.lead")
        day = services.now().astimezone(services.clock.TZ).strftime("%Y%m%d")
        return xlsx_response(content, f"招商线索-{day}.xlsx")


class WeeklyBriefView(StaffMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "investment/weekly_brief.html", selectors.weekly_brief(actor=request.user))


# --- key projects ----------------------------------------------------------------------------------------


def _organization_by_uscc(value: str) -> Organization | None:
    if not value.strip():
        return None
    try:
        code = uscc_rules.validate(value)
    except uscc_rules.USCCError as error:
        raise ValidationError({"organization_uscc": str(error)}) from error
    organization = Organization.objects.filter(uscc=code).first()
    if organization is None:
        raise ValidationError({"organization_uscc": _("名录中没有该统一社会信用代码的企业。")})
    return organization


class ProjectListView(StaffMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        status = request.GET.get("status") if request.GET.get("status") in ProjectStatus.values else None
        projects = selectors.project_list(actor=request.user, filters={"status": status}).prefetch_related(
            "milestones"
        )
        return render(
            request,
            "investment/project_list.html",
            {
                "projects": projects,
                "status": status,
                "statuses": ProjectStatus.choices,
                "can_create": perms.can_create_project(request.user),
            },
        )


class ProjectCreateView(StaffMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        if not perms.can_create_project(request.user):
            raise PermissionDenied(_("只有运营人员可以设立重点项目。"))
        form = ProjectForm()
        _style(form)
        return render(request, "investment/project_form.html", {"form": form})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ProjectForm(request.POST)
        _style(form)
        if form.is_valid():
            data = form.cleaned_data
            try:
                project = services.project_create(
                    actor=request.user,
                    name=data["name"],
                    leader=data["leader"],
                    organization=_organization_by_uscc(data.get("organization_uscc") or ""),
                    departments=list(data.get("departments") or []),
                    planned_investment_fen=fen_from_wan(data.get("investment_wan")) or 0,
                    description=data.get("description") or "",
                )
            except ValidationError as error:
                attach_errors(form, error, {"planned_investment_fen": "investment_wan"})
            else:
                return HttpResponseRedirect(reverse("investment:project-detail", args=[project.code]))
        return render(request, "investment/project_form.html", {"form": form}, status=400)


def _project(request: HttpRequest, code: str) -> KeyProject:
    return get_object_or_404(selectors.project_list(actor=request.user), code=code)


class ProjectDetailView(StaffMixin, View):
    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        project = _project(request, code)
        forms = [MilestoneForm(), IssueForm(), StatusForm(initial={"status": project.status}), ResolveForm()]
        for form in forms:
            _style(form)
        from kechuang.servicedesk.choices import Department

        context = {
            "project": project,
            "departments": [Department(d).label for d in project.departments if d in Department.values],
            "milestones": list(project.milestones.all()),
            "issues": list(project.issues.select_related("service_request")),
            "reports": list(project.reports.select_related("reported_by")[:12]),
            "can_manage": perms.can_manage_project(request.user, project),
            "milestone_form": forms[0],
            "issue_form": forms[1],
            "status_form": forms[2],
            "resolve_form": forms[3],
        }
        return render(request, "investment/project_detail.html", context)


class _ProjectAction(_RecordAction):
    """On a key project: its leader or an operator."""

    lookup = staticmethod(_project)
    permission = staticmethod(perms.can_manage_project)
    detail = "investment:project-detail"
    denied_message = _lazy("只有该项目的包保领导或运营人员可以办理。")
    success_message = _lazy("已保存。")


class MilestoneAddView(_ProjectAction):
    form_class = MilestoneForm

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        return services.milestone_add(
            actor=request.user, project=obj, title=data["title"], due_on=data["due_on"]
        )


class MilestoneDoneView(_ProjectAction):
    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        milestone = get_object_or_404(obj.milestones, pk=_posted_pk(request, "milestone"))
        return services.milestone_done(actor=request.user, milestone=milestone)


class IssueRaiseView(_ProjectAction):
    form_class = IssueForm

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        return services.issue_raise(
            actor=request.user,
            project=obj,
            text=data["text"],
            department=data.get("department") or "",
            service_request_code=data.get("service_request") or "",
            file_request_category=data.get("file_request_category") or "",
        )


class IssueResolveView(_ProjectAction):
    form_class = ResolveForm

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        issue = get_object_or_404(obj.issues, pk=_posted_pk(request, "issue"))
        return services.issue_resolve(actor=request.user, issue=issue, resolution=data["resolution"])


class StatusReportView(_ProjectAction):
    form_class = StatusForm

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        return services.status_report(
            actor=request.user, project=obj, status=data["status"], note=data.get("note") or ""
        )


def _posted_pk(request: HttpRequest, name: str) -> int:
    value = request.POST.get(name) or ""
    return int(value) if value.isdigit() and len(value) <= 12 else 0


project_action = action_route(
    {
        "milestone": MilestoneAddView,
        "milestone-done": MilestoneDoneView,
        "issue": IssueRaiseView,
        "resolve": IssueResolveView,
        "status": StatusReportView,
    }
)


class MilestoneEditView(StaffMixin, View):
    """Correct a milestone's title or planned date: the project's leader and operators."""

    def _milestone(self, request: HttpRequest, code: str, pk: int) -> tuple[KeyProject, Milestone]:
        project = _project(request, code)
        if not perms.can_manage_project(request.user, project):
            raise PermissionDenied(_("只有该项目的包保领导或运营人员可以修改节点。"))
        return project, get_object_or_404(project.milestones, pk=pk)

    def _render(
        self, request: HttpRequest, project: KeyProject, milestone: Milestone, form: Any, status: int = 200
    ) -> HttpResponse:
        _style(form)
        context = {"project": project, "milestone": milestone, "form": form}
        return render(request, "investment/milestone_form.html", context, status=status)

    def get(self, request: HttpRequest, code: str, pk: int) -> HttpResponse:
        project, milestone = self._milestone(request, code, pk)
        form = MilestoneForm(initial={"title": milestone.title, "due_on": milestone.due_on})
        return self._render(request, project, milestone, form)

    def post(self, request: HttpRequest, code: str, pk: int) -> HttpResponse:
        project, milestone = self._milestone(request, code, pk)
        form = MilestoneForm(request.POST)
        if form.is_valid():
            try:
                services.milestone_update(
                    actor=request.user,
                    milestone=milestone,
                    title=form.cleaned_data["title"],
                    due_on=form.cleaned_data["due_on"],
                )
            except ValidationError as error:
                attach_errors(form, error)
            else:
                messages.success(request, _("已修改节点。"))
                return HttpResponseRedirect(reverse("investment:project-detail", args=[project.code]))
        return self._render(request, project, milestone, form, status=400)


# --- 稳商 -------------------------------------------------------------------------------------------------


class RetentionListView(StaffMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        filters = {
            "status": request.GET.get("status")
            if request.GET.get("status") in RetentionStatus.values
            else RetentionStatus.OPEN,
            "signal": request.GET.get("signal")
            if request.GET.get("signal") in RetentionSignal.values
            else None,
        }
        if request.GET.get("status") == "all":
            filters["status"] = None
        form = RetentionOpenForm()
        _style(form)
        context = {
            "cases": selectors.retention_list(actor=request.user, filters=filters)[:200],
            "filters": filters,
            "statuses": RetentionStatus.choices,
            "signals": RetentionSignal.choices,
            "figures": selectors.retention_figures(actor=request.user),
            "open_form": form,
        }
        return render(request, "investment/retention_list.html", context)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = RetentionOpenForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(form_errors_text(form))
            organization = _organization_by_uscc(form.cleaned_data["organization_uscc"])
            if organization is None:
                raise ValidationError(_("请填写企业统一社会信用代码。"))
            case = services.retention_case_open(
                actor=request.user,
                organization=organization,
                signal=form.cleaned_data["signal"],
                detail=form.cleaned_data["detail"],
            )
        except ValidationError as error:
            messages.error(request, error_text(error))
            return HttpResponseRedirect(reverse("investment:retention-list"))
        return HttpResponseRedirect(reverse("investment:retention-detail", args=[case.code]))


def _case(request: HttpRequest, code: str) -> RetentionCase:
    return get_object_or_404(selectors.retention_list(actor=request.user), code=code)


class RetentionDetailView(StaffMixin, View):
    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        case = _case(request, code)
        action_form, close_form = RetentionActionForm(), RetentionCloseForm()
        _style(action_form)
        _style(close_form)
        context = {
            "case": case,
            "actions": list(case.actions.all()),
            "can_work": perms.can_work_case(request.user, case) and case.status == RetentionStatus.OPEN,
            "action_form": action_form,
            "close_form": close_form,
        }
        return render(request, "investment/retention_detail.html", context)


class _RetentionAction(_RecordAction):
    """On a retention case: its owner or an operator."""

    lookup = staticmethod(_case)
    permission = staticmethod(perms.can_work_case)
    detail = "investment:retention-detail"
    denied_message = _lazy("只有该案件的负责人或运营人员可以办理。")
    success_message = _lazy("已保存。")


class RetentionActionAddView(_RetentionAction):
    form_class = RetentionActionForm

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        return services.retention_action_add(
            actor=request.user, case=obj, text=data["text"], due_on=data.get("due_on")
        )


class RetentionActionDoneView(_RetentionAction):
    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        item = get_object_or_404(obj.actions, pk=_posted_pk(request, "action"))
        return services.retention_action_done(actor=request.user, action=item)


class RetentionCloseView(_RetentionAction):
    form_class = RetentionCloseForm

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        return services.retention_case_close(
            actor=request.user,
            case=obj,
            outcome=data["outcome"],
            reason_code=data.get("reason_code") or "",
            reason=data.get("reason") or "",
        )


retention_action = action_route(
    {
        "action": RetentionActionAddView,
        "done": RetentionActionDoneView,
        "close": RetentionCloseView,
    }
)
