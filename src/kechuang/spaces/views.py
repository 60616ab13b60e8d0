"""Space pages: the inventory, space requests with matched units, viewings, reservations, leases,
the vacancy map, and the unit import. Views validate input and call one service; they never save."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View

from kechuang.core.money import fen_from_yuan_decimal
from kechuang.core.web import (
    ActionView,
    acting_organization,
    attach_errors,
    form_errors_text,
    paginate,
    query_without_page,
    safe_next,
)
from kechuang.directory.choices import OrganizationKind
from kechuang.directory.models import Building, Organization

from . import permissions as perms
from . import selectors, services
from .choices import RequestStatus, ViewingStatus
from .filters import SpaceRequestFilter, SpaceUnitFilter
from .forms import (
    LeaseForm,
    ReleaseForm,
    ReservationForm,
    SpaceRequestForm,
    SpaceUnitForm,
    ViewingForm,
)
from .models import Lease, SpaceUnit

PAGE_SIZE = 25


def acting_enterprise(request: HttpRequest) -> Organization | None:
    """The acting organization when it is an enterprise the user may act for here."""
    organization = acting_organization(request)
    if (
        organization is not None
        and organization.kind == OrganizationKind.ENTERPRISE
        and organization.pk in perms.enterprise_ids(request.user)
    ):
        return organization  # type: ignore[no-any-return]
    return None


def _style(form: Any) -> None:
    for name, field in form.fields.items():
        field.widget.attrs.setdefault(
            "class", "form-select" if field.widget.input_type == "select" else "form-control"
        )
        field.widget.attrs.setdefault("id", f"id_{name}")


def _manager_buildings(user: Any) -> Any:
    qs = Building.objects.select_related("park", "block").order_by("code")
    if perms.is_operator(user):
        return qs
    return qs.filter(park__in=perms.managed_park_ids(user))


# --- inventory -----------------------------------------------------------------------------------


class UnitListView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        data = request.GET.copy()
        units = selectors.unit_list(actor=request.user)
        unit_filter = SpaceUnitFilter(data, queryset=units)
        _style(unit_filter.form)
        qs = unit_filter.qs if unit_filter.is_valid() else units.none()
        page = paginate(request, qs, PAGE_SIZE)
        context = {
            "filter": unit_filter,
            "page": page,
            "units": page.object_list,
            "query": query_without_page(request),
            "can_add": perms.can_manage_unit(request.user, None),
            "can_import": perms.can_import_units(request.user),
        }
        template = "spaces/partials/unit_rows.html" if request.htmx else "spaces/unit_list.html"  # type: ignore[attr-defined]
        return render(request, template, context)


def _unit(request: HttpRequest, code: str) -> SpaceUnit:
    return get_object_or_404(
        selectors.unit_list(actor=request.user).select_related("building__park__institute"), code=code
    )


class UnitDetailView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        unit = _unit(request, code)
        return render(request, "spaces/unit_detail.html", _unit_context(request, unit))


def _unit_context(request: HttpRequest, unit: SpaceUnit, **extra: Any) -> dict[str, Any]:
    manager = perms.can_manage_unit(request.user, unit)
    context: dict[str, Any] = {
        "unit": unit,
        "manager": manager,
        "see_holders": perms.may_see_holders(request.user, unit),
    }
    if manager:
        context.update(selectors.unit_holds(unit))
        context["viewings"] = list(selectors.viewing_list(actor=request.user).filter(unit=unit)[:20])
        context.setdefault(
            "reserve_form",
            extra.pop("reserve_form", None)
            or ReservationForm(initial={"space_request": request.GET.get("request")}),
        )
        context["lease_form"] = LeaseForm(initial={"rent": unit.rent_yuan})
        context["release_form"] = ReleaseForm(initial={"free_from": services.today()})
    enterprise = acting_enterprise(request)
    if enterprise is not None:
        context["my_requests"] = list(
            selectors.request_list(actor=request.user).filter(
                organization=enterprise, status=RequestStatus.OPEN
            )
        )
    context.update(extra)
    return context


class UnitCreateView(LoginRequiredMixin, View):
    template_name = "spaces/unit_form.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and not perms.can_manage_unit(request.user, None):
            raise PermissionDenied(_("只有运营人员或园区运营方可以登记房源。"))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        form = SpaceUnitForm(buildings=_manager_buildings(request.user))
        return render(request, self.template_name, {"form": form})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SpaceUnitForm(request.POST, buildings=_manager_buildings(request.user))
        if form.is_valid():
            d = form.cleaned_data
            try:
                unit = services.unit_create(
                    actor=request.user,
                    building=d["building"],
                    unit_code=d["unit_code"],
                    floor=d["floor"],
                    area_m2=d["area_m2"],
                    space_type=d["space_type"],
                    rent_fen_per_m2_day=fen_from_yuan_decimal(d["rent"]) or 0,
                    floor_load_kn_m2=d.get("floor_load_kn_m2"),
                    power_kw=d.get("power_kw"),
                    description=d.get("description") or "",
                )
            except ValidationError as error:
                attach_errors(form, error)
            else:
                messages.success(request, _("房源 %(code)s 已登记。") % {"code": unit.code})
                return HttpResponseRedirect(reverse("spaces:unit-detail", args=[unit.code]))
        return render(request, self.template_name, {"form": form}, status=400)


class UnitEditView(LoginRequiredMixin, View):
    template_name = "spaces/unit_form.html"

    def _get(self, request: HttpRequest, code: str) -> SpaceUnit:
        unit = _unit(request, code)
        if not perms.can_manage_unit(request.user, unit):
            raise PermissionDenied(_("只有运营人员或该园区的运营方可以修改房源。"))
        return unit

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        unit = self._get(request, code)
        form = SpaceUnitForm(
            editing=True,
            initial={
                "floor": unit.floor,
                "area_m2": unit.area_m2,
                "space_type": unit.space_type,
                "rent": unit.rent_yuan,
                "floor_load_kn_m2": unit.floor_load_kn_m2,
                "power_kw": unit.power_kw,
                "description": unit.description,
            },
        )
        return render(request, self.template_name, {"form": form, "unit": unit})

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        unit = self._get(request, code)
        form = SpaceUnitForm(request.POST, editing=True)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.unit_update(
                    actor=request.user,
                    unit=unit,
                    floor=d["floor"],
                    area_m2=d["area_m2"],
                    space_type=d["space_type"],
                    rent_fen_per_m2_day=fen_from_yuan_decimal(d["rent"]) or 0,
                    floor_load_kn_m2=d.get("floor_load_kn_m2"),
                    power_kw=d.get("power_kw"),
                    description=d.get("description") or "",
                )
            except ValidationError as error:
                attach_errors(form, error)
            else:
                messages.success(request, _("房源信息已更新。"))
                return HttpResponseRedirect(reverse("spaces:unit-detail", args=[unit.code]))
        return render(request, self.template_name, {"form": form, "unit": unit}, status=400)


class UnitReserveView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        unit = _unit(request, code)
        if not perms.can_reserve_unit(request.user, unit):
            raise PermissionDenied(_("只有运营人员或该园区的运营方可以预订房源。"))
        form = ReservationForm(request.POST)
        if form.is_valid():
            space_request = form.cleaned_data["space_request"]
            try:
                reservation = services.reservation_create(
                    actor=request.user,
                    unit=unit,
                    organization=space_request.organization,
                    start_date=form.cleaned_data["start_date"],
                    end_date=form.cleaned_data["end_date"],
                    space_request=space_request,
                )
            except ValidationError as error:
                attach_errors(form, error)
            else:
                messages.success(
                    request,
                    _("已为 %(org)s 预订，预订编号 %(code)s。")
                    % {"org": space_request.organization.name, "code": reservation.code},
                )
                return HttpResponseRedirect(reverse("spaces:unit-detail", args=[unit.code]))
        unit.refresh_from_db()
        return render(
            request, "spaces/unit_detail.html", _unit_context(request, unit, reserve_form=form), status=400
        )


class _HoldAction(ActionView):
    """An action on a reservation or a lease: operators and the park's manager; back to the unit."""

    def allowed(self, request: HttpRequest, obj: Any) -> bool:
        return bool(perms.can_handle_hold(request.user, obj))

    def next_url(self, request: HttpRequest, obj: Any) -> str:
        return reverse("spaces:unit-detail", args=[obj.unit.code])


class ReservationLeaseView(_HoldAction):
    form_class = LeaseForm
    denied_message = _lazy("只有运营人员或该园区的运营方可以签订租约。")

    def get_object(self, request: HttpRequest, **kwargs: Any) -> Any:
        return get_object_or_404(selectors.reservation_list(actor=request.user), code=kwargs["code"])

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        return services.lease_sign(
            actor=request.user,
            unit=obj.unit,
            organization=obj.organization,
            start_date=data["start_date"],
            end_date=data["end_date"],
            rent_fen_per_m2_day=fen_from_yuan_decimal(data["rent"]),
            reservation=obj,
        )

    def message(self, obj: Any, result: Any) -> str:
        return _("租约 %(code)s 已签订。") % {"code": result.code}


class ReservationCancelView(_HoldAction):
    denied_message = _lazy("只有运营人员或该园区的运营方可以取消预订。")
    success_message = _lazy("预订已取消。")

    def get_object(self, request: HttpRequest, **kwargs: Any) -> Any:
        return get_object_or_404(selectors.reservation_list(actor=request.user), code=kwargs["code"])

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        return services.reservation_cancel(actor=request.user, reservation=obj)


class LeaseReleaseView(_HoldAction):
    form_class = ReleaseForm
    denied_message = _lazy("只有运营人员或该园区的运营方可以办理退租。")
    success_message = _lazy("已办理退租，房源可重新出租。")

    def get_object(self, request: HttpRequest, **kwargs: Any) -> Lease:
        lease: Lease = get_object_or_404(selectors.lease_list(actor=request.user), code=kwargs["code"])
        return lease

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        return services.lease_release(actor=request.user, lease=obj, free_from=data["free_from"])


# --- requests and viewings -----------------------------------------------------------------------


class RequestListView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        qs = selectors.request_list(actor=request.user)
        request_filter = SpaceRequestFilter(request.GET, queryset=qs)
        _style(request_filter.form)
        rows = request_filter.qs if request_filter.is_valid() else qs.none()
        page = paginate(request, rows, PAGE_SIZE)
        return render(
            request,
            "spaces/request_list.html",
            {
                "filter": request_filter,
                "page": page,
                "requests": page.object_list,
                "query": query_without_page(request),
                "can_create": perms.can_create_request(request.user),
            },
        )


class RequestCreateView(LoginRequiredMixin, View):
    template_name = "spaces/request_form.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and acting_enterprise(request) is None:
            raise PermissionDenied(_("只有企业用户可以提出用房需求。"))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": SpaceRequestForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SpaceRequestForm(request.POST)
        if form.is_valid():
            try:
                space_request = services.space_request_create(
                    actor=request.user, organization=acting_enterprise(request), **form.service_arguments()
                )
            except ValidationError as error:
                attach_errors(form, error)
            else:
                messages.success(request, _("用房需求已提交，以下是为您匹配的房源。"))
                return HttpResponseRedirect(reverse("spaces:request-detail", args=[space_request.code]))
        return render(request, self.template_name, {"form": form}, status=400)


def _space_request(request: HttpRequest, code: str) -> Any:
    return get_object_or_404(selectors.request_list(actor=request.user).prefetch_related("fields"), code=code)


class RequestDetailView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        space_request = _space_request(request, code)
        return render(request, "spaces/request_detail.html", _request_context(request, space_request))


def _request_context(request: HttpRequest, space_request: Any, **extra: Any) -> dict[str, Any]:
    owner = perms.can_book_viewing(request.user, space_request)
    matches = selectors.match_units(space_request) if space_request.status == RequestStatus.OPEN else []
    viewings = list(selectors.viewing_list(actor=request.user).filter(request=space_request))
    booked = {v.unit_id for v in viewings if v.status in (ViewingStatus.REQUESTED, ViewingStatus.CONFIRMED)}
    return {
        "space_request": space_request,
        "matches": [m for m in matches if m.meets_requirements],
        "apart": [m for m in matches if not m.meets_requirements],
        "viewings": viewings,
        "booked": booked,
        "owner": owner,
        "can_cancel": perms.can_cancel_request(request.user, space_request)
        and space_request.status == RequestStatus.OPEN,
        "viewing_form": extra.pop("viewing_form", None) or ViewingForm(),
        "manager": perms.can_manage_unit(request.user, None),
        **extra,
    }


class RequestCancelView(ActionView):
    denied_message = _lazy("您无权撤销这条用房需求。")
    success_message = _lazy("用房需求已撤销。")

    def get_object(self, request: HttpRequest, **kwargs: Any) -> Any:
        return _space_request(request, kwargs["code"])

    def allowed(self, request: HttpRequest, obj: Any) -> bool:
        return bool(perms.can_cancel_request(request.user, obj))

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        return services.space_request_cancel(actor=request.user, space_request=obj)

    def next_url(self, request: HttpRequest, obj: Any) -> str:
        return reverse("spaces:request-detail", args=[obj.code])


class ViewingBookView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        space_request = _space_request(request, code)
        if not perms.can_book_viewing(request.user, space_request):
            raise PermissionDenied(_("只能为本企业的用房需求预约看房。"))
        form = ViewingForm(request.POST)
        if form.is_valid():
            unit = SpaceUnit.objects.select_related("building").filter(code=form.cleaned_data["unit"]).first()
            if unit is None:
                form.add_error(None, _("房源不存在。"))
            else:
                try:
                    viewing = services.viewing_book(
                        actor=request.user,
                        space_request=space_request,
                        unit=unit,
                        scheduled_at=form.cleaned_data["scheduled_at"],
                        note=form.cleaned_data.get("note") or "",
                    )
                except ValidationError as error:
                    attach_errors(form, error)
                else:
                    messages.success(
                        request,
                        _("已预约看房 %(unit)s，预约编号 %(code)s，园区将与您确认时间。")
                        % {"unit": unit, "code": viewing.code},
                    )
                    return HttpResponseRedirect(reverse("spaces:request-detail", args=[space_request.code]))
        messages.error(request, form_errors_text(form) or _("预约失败，请检查看房时间。"))
        return render(
            request,
            "spaces/request_detail.html",
            _request_context(request, space_request, viewing_form=form),
            status=400,
        )


class ViewingListView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        qs = selectors.viewing_list(actor=request.user)
        status = request.GET.get("status") or ""
        if status in ViewingStatus.values:
            qs = qs.filter(status=status)
        page = paginate(request, qs, PAGE_SIZE)
        rows = [
            {
                "viewing": v,
                "can_handle": perms.can_handle_viewing(request.user, v),
                "can_cancel": perms.can_cancel_viewing(request.user, v),
            }
            for v in page.object_list
        ]
        return render(
            request,
            "spaces/viewing_list.html",
            {
                "page": page,
                "rows": rows,
                "status": status,
                "statuses": ViewingStatus.choices,
                "query": query_without_page(request),
            },
        )


VIEWING_ACTIONS = {
    "confirm": services.viewing_confirm,
    "complete": services.viewing_complete,
    "cancel": services.viewing_cancel,
}


class ViewingActionView(ActionView):
    success_message = _lazy("看房预约已更新。")

    def get_object(self, request: HttpRequest, **kwargs: Any) -> Any:
        if kwargs["action"] not in VIEWING_ACTIONS:
            raise Http404
        self.action = kwargs["action"]
        return get_object_or_404(selectors.viewing_list(actor=request.user), code=kwargs["code"])

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        return VIEWING_ACTIONS[self.action](actor=request.user, viewing=obj)  # the service checks who

    def next_url(self, request: HttpRequest, obj: Any) -> str:
        pages = (
            reverse("spaces:viewing-list"),
            reverse("spaces:request-detail", args=[obj.request.code]),
            reverse("spaces:unit-detail", args=[obj.unit.code]),
        )
        return safe_next(request, pages, default=pages[0])


# --- vacancy map ---------------------------------------------------------------------------------


class VacancyMapView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        figures = selectors.vacancy_figures()
        return render(
            request,
            "spaces/vacancy_map.html",
            {"figures": figures, "map_data": selectors.vacancy_map_data(figures)},
        )
