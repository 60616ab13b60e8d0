"""Instrument pages: the public catalogue and instrument detail with a week calendar; booking and sample
requests; my bookings; the owner's instruments, queue and check-in/out; the operators' overview. Views
validate input and call one service; they never save."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from kechuang.core.money import fen_from_yuan
from kechuang.core.uploads import attachment_response
from kechuang.core.web import (
    ActionView,
    acting_organization,
    attach_errors,
    error_text,
    form_errors_text,
    paginate,
    query_without_page,
)
from kechuang.directory.models import Organization, Park
from kechuang.vouchers.choices import VoucherStatus
from kechuang.vouchers.models import Voucher

from . import permissions as perms
from . import selectors, services
from .choices import BookingStatus, InstrumentStatus, SampleStatus, ServiceMode
from .forms import (
    BookingForm,
    CheckOutForm,
    InstrumentEditForm,
    InstrumentForm,
    InvoiceForm,
    InvoicePaidForm,
    MaintenanceForm,
    PhotoForm,
    QualificationForm,
    RatingForm,
    ReportForm,
    SampleRequestForm,
)
from .models import Instrument, InstrumentCategory

PAGE_SIZE = 20


def _booking_organization(request: HttpRequest) -> Organization | None:
    """The organization the user books and pays for: the acting organization, unless it is one of the
    district's own offices (staff act for the district, which books no instrument)."""
    organization = acting_organization(request)
    if organization is not None and organization.pk in perms.member_organization_ids(request.user):
        return organization  # type: ignore[no-any-return]
    return None


def _chosen_voucher(request: HttpRequest, code: str, organization: Organization) -> Voucher | None:
    """The organization's voucher named on a form (``None`` for none); a code of no voucher of the
    organization's is a refusal."""
    if not code:
        return None
    voucher = Voucher.objects.filter(code=code, enterprise=organization).first()
    if voucher is None:
        raise ValidationError(_("未找到本企业的这张创新券。"))
    return voucher


def _vouchers_of(organization: Organization | None) -> list[Voucher]:
    if organization is None:
        return []
    return list(
        Voucher.objects.filter(
            enterprise=organization, status=VoucherStatus.ACTIVE, expires_on__gte=timezone.localdate()
        ).order_by("code")
    )


# --- catalogue ---------------------------------------------------------------------------------------


class InstrumentListView(View):
    """The public catalogue: search and filters by category, institute, park, mode and price."""

    def get(self, request: HttpRequest) -> HttpResponse:
        params = request.GET
        try:
            max_rate = fen_from_yuan(params["max_rate"]) if params.get("max_rate") else None
        except (ValidationError, ValueError, TypeError):
            max_rate = None

        def number(name: str) -> int | None:
            value = params.get(name, "")
            return int(value) if value.isdigit() and len(value) < 12 else None

        instruments = selectors.instrument_list(
            actor=request.user,
            q=params.get("q", ""),
            category=params.get("category", "")[:16],
            owner=number("owner"),
            mode=params.get("mode", "")[:8],
            park=number("park"),
            max_rate_fen=max_rate,
        ).prefetch_related("rates")
        page = paginate(request, instruments, PAGE_SIZE)
        context = {
            "page": page,
            "query": query_without_page(request),
            "categories": InstrumentCategory.objects.filter(parent__isnull=True).order_by("sort_order"),
            "owners": Organization.objects.filter(instruments__isnull=False).distinct().order_by("name"),
            "parks": Park.objects.order_by("sort_order", "code"),
            "modes": [(ServiceMode.SELF, _("可自主上机")), (ServiceMode.SAMPLE, _("可委托测试"))],
            "params": params,
            "can_operate": perms.is_operator_user(request.user),
        }
        return render(request, "instruments/instrument_list.html", context)


def _week_start(request: HttpRequest) -> dt.date:
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    try:
        asked = dt.date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        return monday
    asked = asked - dt.timedelta(days=asked.weekday())
    return asked if abs((asked - monday).days) <= 400 else monday


def _visible_instrument(request: HttpRequest, code: str) -> Instrument:
    """The instrument the user may see, with what its page shows beside it (404 otherwise)."""
    return get_object_or_404(
        perms.instrument_visible_to(request.user).select_related("owner", "category", "building"), code=code
    )


class InstrumentDetailView(View):
    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        instrument = _visible_instrument(request, code)
        return _detail_page(request, instrument, _week_start(request))


def _detail_page(
    request: HttpRequest,
    instrument: Instrument,
    week: dt.date,
    *,
    booking_form: BookingForm | None = None,
    sample_form: SampleRequestForm | None = None,
) -> HttpResponse:
    """The instrument's page; after a refused booking or request, with the user's entries kept and the
    calendar on the week of the start they asked for."""
    days = selectors.week_slots(instrument, week)
    organization = _booking_organization(request)
    context = {
        "instrument": instrument,
        "rates": instrument.rates.all(),
        "photos": instrument.photos.all(),
        "days": days,
        "hours": sorted(
            {
                slot.start.astimezone(timezone.get_current_timezone()).strftime("%H:%M")
                for d in days
                for slot in d.slots
            }
        ),
        "week": week,
        "previous_week": week - dt.timedelta(days=7),
        "next_week": week + dt.timedelta(days=7),
        "organization": organization,
        "vouchers": _vouchers_of(organization)
        if instrument.voucher_service_id or instrument.voucher_sample_service_id
        else [],
        "booking_form": booking_form or BookingForm(),
        "sample_form": sample_form or SampleRequestForm(),
        "can_manage": perms.can_manage_instrument(request.user, instrument),
        "statuses": InstrumentStatus.choices,
        "figures": selectors.instrument_figures(instrument)
        if perms.can_manage_instrument(request.user, instrument) or perms.reads_all(request.user)
        else None,
    }
    return render(request, "instruments/instrument_detail.html", context)


def _week_of(moment: dt.datetime | None) -> dt.date:
    """The Monday of the week of ``moment`` (this week's when there is none)."""
    day = timezone.localtime(moment).date() if moment else timezone.localdate()
    return day - dt.timedelta(days=day.weekday())


class BookingCreateView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        instrument = _visible_instrument(request, code)
        form = BookingForm(request.POST)

        def refused(text: str) -> HttpResponse:
            # the page again, with what the user entered, not an empty form (a redirect would lose it)
            messages.error(request, text)
            start = form.cleaned_data.get("start_at") if hasattr(form, "cleaned_data") else None
            return _detail_page(request, instrument, _week_of(start), booking_form=form)

        if not form.is_valid():
            return refused(form_errors_text(form))
        organization = _booking_organization(request)
        if organization is None:
            raise PermissionDenied(_("请以所在单位成员身份预约。"))
        start = form.cleaned_data["start_at"]
        try:
            voucher = _chosen_voucher(request, form.cleaned_data["voucher"], organization)
            booking = services.booking_create(
                actor=request.user,
                instrument=instrument,
                organization=organization,
                start_at=start,
                end_at=start + dt.timedelta(minutes=instrument.slot_minutes * form.cleaned_data["slots"]),
                purpose=form.cleaned_data["purpose"],
                voucher=voucher,
            )
        except (ValidationError, PermissionDenied) as error:
            return refused(error_text(error))
        if booking.status == BookingStatus.REQUESTED:
            messages.success(request, _("预约 %(c)s 已提交，等待管理方审批。") % {"c": booking.code})
        else:
            messages.success(request, _("预约 %(c)s 已确认。") % {"c": booking.code})
        return HttpResponseRedirect(reverse("instruments:booking-list"))


class SampleRequestCreateView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        instrument = _visible_instrument(request, code)
        form = SampleRequestForm(request.POST)

        def refused(text: str) -> HttpResponse:
            messages.error(request, text)
            return _detail_page(request, instrument, _week_of(None), sample_form=form)

        if not form.is_valid():
            return refused(form_errors_text(form))
        organization = _booking_organization(request)
        if organization is None:
            raise PermissionDenied(_("请以所在单位成员身份提交委托。"))
        data = dict(form.cleaned_data)
        try:
            data["voucher"] = _chosen_voucher(request, data.pop("voucher"), organization)
            sample = services.sample_request_submit(
                actor=request.user, instrument=instrument, organization=organization, **data
            )
        except (ValidationError, PermissionDenied) as error:
            return refused(error_text(error))
        messages.success(request, _("委托 %(c)s 已提交。") % {"c": sample.code})
        return HttpResponseRedirect(reverse("instruments:booking-list"))


# --- my bookings, the owner's queue, the overview ------------------------------------------------------


class BookingListView(LoginRequiredMixin, View):
    """我的预约: the bookings and sample requests of the user's organizations."""

    def get(self, request: HttpRequest) -> HttpResponse:
        orgs = perms.member_organization_ids(request.user)
        from django.db.models import Exists, OuterRef

        from .models import BookingRating

        bookings = (
            selectors.booking_list(actor=request.user)
            .filter(organization__in=orgs)
            .annotate(rated=Exists(BookingRating.objects.filter(booking=OuterRef("pk"))))
        )
        samples = (
            perms.sample_request_visible_to(request.user)
            .filter(organization__in=orgs)
            .select_related("instrument", "instrument__owner", "voucher")
            .order_by("-submitted_at")[:50]
        )
        return render(
            request,
            "instruments/booking_list.html",
            {
                "page": paginate(request, bookings, PAGE_SIZE),
                "query": query_without_page(request),
                "samples": samples,
            },
        )


class OwnerQueueView(LoginRequiredMixin, View):
    """The owner's desk: my instruments with their figures, bookings to approve, today's and past
    bookings to check in and out, sample requests to handle."""

    def get(self, request: HttpRequest) -> HttpResponse:
        owned = perms.owner_organization_ids(request.user)
        if not owned and not perms.is_operator_user(request.user):
            raise PermissionDenied(_("只有仪器所属单位可以使用此页面。"))
        scope = {"instrument__owner__in": owned} if owned else {}
        bookings = selectors.booking_list(actor=request.user).filter(**scope)
        now = timezone.now()
        instruments = Instrument.objects.filter(owner__in=owned).select_related("category").order_by("code")
        context = {
            "instruments": selectors.instruments_figures(list(instruments[:60])),
            "requested": bookings.filter(status=BookingStatus.REQUESTED).order_by("start_at")[:50],
            "to_handle": bookings.filter(
                status__in=[BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN],
                start_at__lte=now + dt.timedelta(hours=12),
            ).order_by("start_at")[:50],
            "samples": perms.sample_request_visible_to(request.user)
            .filter(**scope)
            .exclude(status__in=[SampleStatus.CONFIRMED, SampleStatus.CANCELLED, SampleStatus.REJECTED])
            .select_related("instrument", "organization")
            .order_by("submitted_at")[:50],
            "checkout_form": CheckOutForm(),
        }
        return render(request, "instruments/owner_queue.html", context)


class OverviewView(LoginRequiredMixin, View):
    """运营总览: per owner, hours used, the share used by others, enterprises served, income."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not perms.reads_all(request.user):
            raise PermissionDenied(_("只有运营人员和领导可以查看共享仪器总览。"))
        return render(
            request,
            "instruments/overview.html",
            {"totals": selectors.district_figures(), "owners": selectors.owner_figures()},
        )


# --- actions -------------------------------------------------------------------------------------------


class BookingActionView(ActionView):
    """approve, reject, cancel, check-in, check-out, no-show, confirm-charge: one service each."""

    ACTIONS = {
        "approve": (services.booking_approve, _("已同意预约。")),
        "reject": (services.booking_reject, _("已驳回预约。")),
        "cancel": (services.booking_cancel, _("预约已取消。")),
        "check-in": (services.booking_check_in, _("已办理上机。")),
        "check-out": (services.booking_check_out, _("已办理下机，费用已计算。")),
        "no-show": (services.booking_no_show, _("已登记未到场。")),
        "confirm-charge": (services.booking_confirm_charge, _("费用已确认。")),
    }

    def get_object(self, request: HttpRequest, **kwargs: Any) -> Any:
        if kwargs["action"] not in self.ACTIONS:
            raise Http404
        self.action = kwargs["action"]
        return get_object_or_404(perms.booking_visible_to(request.user), code=kwargs["code"])

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        fn, _message = self.ACTIONS[self.action]
        extra: dict[str, Any] = {}
        if self.action in ("approve", "reject"):
            extra["note"] = request.POST.get("note", "")[:300]
        elif self.action == "cancel":
            extra["reason"] = request.POST.get("note", "")[:300]
        elif self.action == "check-out":
            form = CheckOutForm(request.POST)
            if not form.is_valid():
                raise ValidationError(form_errors_text(form))
            extra["actual_minutes"] = form.cleaned_data["actual_minutes"]
        return fn(actor=request.user, booking=obj, **extra)

    def message(self, obj: Any, result: Any) -> str:
        return str(self.ACTIONS[self.action][1])

    def next_url(self, request: HttpRequest, obj: Any) -> str:
        if obj.organization_id in perms.member_organization_ids(request.user) and self.action in (
            "cancel",
            "confirm-charge",
        ):
            return reverse("instruments:booking-list")
        return reverse("instruments:owner-queue")


class SampleActionView(ActionView):
    ACTIONS = {
        "accept": (services.sample_request_accept, _("已受理委托。")),
        "reject": (services.sample_request_reject, _("已不予受理。")),
        "receive": (services.sample_request_receive, _("已登记收样。")),
        "report": (services.sample_request_report, _("报告已上传。")),
        "confirm": (services.sample_request_confirm, _("已确认报告。")),
        "cancel": (services.sample_request_cancel, _("委托已取消。")),
    }

    def get_object(self, request: HttpRequest, **kwargs: Any) -> Any:
        if kwargs["action"] not in self.ACTIONS:
            raise Http404
        self.action = kwargs["action"]
        return get_object_or_404(perms.sample_request_visible_to(request.user), code=kwargs["code"])

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        fn, _message = self.ACTIONS[self.action]
        if self.action == "reject":
            return fn(actor=request.user, sample_request=obj, note=request.POST.get("note", "")[:300])
        if self.action == "report":
            form = ReportForm(request.POST, request.FILES)
            if not form.is_valid():
                raise ValidationError(form_errors_text(form))
            upload = form.cleaned_data["report"]
            return fn(
                actor=request.user,
                sample_request=obj,
                report=upload,
                report_name=upload.name,
                note=form.cleaned_data["note"],
            )
        return fn(actor=request.user, sample_request=obj)

    def message(self, obj: Any, result: Any) -> str:
        return str(self.ACTIONS[self.action][1])

    def next_url(self, request: HttpRequest, obj: Any) -> str:
        if self.action in ("confirm", "cancel"):
            return reverse("instruments:booking-list")
        return reverse("instruments:owner-queue")


class SampleReportView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        sample = get_object_or_404(perms.sample_request_visible_to(request.user), code=code)
        if not sample.report:
            raise Http404
        return attachment_response(
            sample.report, filename=sample.report_name, content_type=sample.report_content_type
        )


class SharingReportView(LoginRequiredMixin, View):
    """The owner's annual sharing report as Excel (?owner=&year=)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        from kechuang.core.excel import xlsx_response

        owned = perms.owner_organization_ids(request.user)
        owner_id = request.GET.get("owner", "")
        if owner_id.isdigit() and len(owner_id) < 12:
            owner = get_object_or_404(Organization, pk=int(owner_id), instruments__isnull=False)
        elif owned:
            owner = get_object_or_404(Organization.objects.filter(pk__in=owned)[:1])
        else:
            raise Http404
        year_text = request.GET.get("year", "")
        year = int(year_text) if year_text.isdigit() and len(year_text) == 4 else timezone.localdate().year
        try:
            content = services.sharing_report_export(actor=request.user, owner=owner, year=year)
        except ValidationError as error:
            messages.error(request, error_text(error))
            return HttpResponseRedirect(reverse("instruments:owner-queue"))
        return xlsx_response(content, f"{owner.name}-{year}年仪器共享报告.xlsx")


# --- the owner registers and manages its instruments ------------------------------------------------------

RATE_FIELDS = {
    "rate_owner_hour": ("owner", "hour"),
    "rate_district_hour": ("district", "hour"),
    "rate_outside_hour": ("outside", "hour"),
    "rate_owner_sample": ("owner", "sample"),
    "rate_district_sample": ("district", "sample"),
    "rate_outside_sample": ("outside", "sample"),
}


def _instrument_form(request: HttpRequest, data: Any = None) -> InstrumentForm:
    form = InstrumentForm(data)
    owners = Organization.objects.filter(kind__in=["institute", "provider"]).order_by("name")
    if not perms.is_operator_user(request.user):
        owners = owners.filter(pk__in=perms.owner_organization_ids(request.user))
    form.fields["owner"].queryset = owners
    form.fields["category"].queryset = InstrumentCategory.objects.select_related("parent").order_by("code")
    for field in form.fields.values():
        field.widget.attrs.setdefault(
            "class", "form-select" if getattr(field.widget, "input_type", "") == "select" else "form-control"
        )
    return form


class InstrumentCreateView(LoginRequiredMixin, View):
    def _allowed(self, request: HttpRequest) -> None:
        if not (perms.is_operator_user(request.user) or perms.owner_organization_ids(request.user)):
            raise PermissionDenied(_("只有运营人员或院所、服务机构的人员可以登记共享仪器。"))

    def get(self, request: HttpRequest) -> HttpResponse:
        self._allowed(request)
        return render(request, "instruments/instrument_form.html", {"form": _instrument_form(request)})

    def post(self, request: HttpRequest) -> HttpResponse:
        self._allowed(request)
        form = _instrument_form(request, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            rates = {line: data[key] for key, line in RATE_FIELDS.items() if data.get(key) is not None}
            try:
                instrument = services.instrument_register(
                    actor=request.user,
                    owner=data["owner"],
                    name=data["name"],
                    category=data["category"],
                    model_number=data["model_number"],
                    maker=data["maker"],
                    original_value_fen=data["original_value"] or 0,
                    purchase_year=data["purchase_year"],
                    room=data["room"],
                    service_mode=data["service_mode"],
                    approval_rule=data["approval_rule"],
                    slot_minutes=data["slot_minutes"],
                    min_notice_hours=data["min_notice_hours"],
                    free_cancel_hours=data["free_cancel_hours"],
                    description=data["description"],
                    rates=rates,
                )
            except (ValidationError, PermissionDenied) as error:
                messages.error(request, error_text(error))
            else:
                messages.success(request, _("仪器 %(c)s 已登记。") % {"c": instrument.code})
                return HttpResponseRedirect(reverse("instruments:instrument-detail", args=[instrument.code]))
        return render(request, "instruments/instrument_form.html", {"form": form}, status=400)


class InstrumentUpdateView(LoginRequiredMixin, View):
    """编辑仪器: the owner's members or an operator change a registered instrument and its rate card;
    a refused field is shown on the form in Chinese and nothing is written."""

    def _instrument(self, request: HttpRequest, code: str) -> Instrument:
        instrument = get_object_or_404(perms.instrument_visible_to(request.user), code=code)
        if not perms.can_manage_instrument(request.user, instrument):
            raise PermissionDenied(_("只有仪器所属单位或运营人员可以修改仪器。"))
        return instrument

    def _form(self, data: Any = None, initial: Any = None) -> InstrumentEditForm:
        form = InstrumentEditForm(data, initial=initial)
        form.fields["category"].queryset = InstrumentCategory.objects.select_related("parent").order_by(
            "code"
        )
        for name, field in form.fields.items():
            if name != "open_weekdays":
                field.widget.attrs.setdefault(
                    "class",
                    "form-select" if getattr(field.widget, "input_type", "") == "select" else "form-control",
                )
        return form

    def _render(
        self, request: HttpRequest, instrument: Instrument, form: Any, status: int = 200
    ) -> HttpResponse:
        return render(
            request,
            "instruments/instrument_form.html",
            {"form": form, "instrument": instrument, "editing": True},
            status=status,
        )

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        instrument = self._instrument(request, code)
        rates = {(r.user_class, r.unit): r.price_fen for r in instrument.rates.all()}
        initial: dict[str, Any] = {
            name: getattr(instrument, name)
            for name in (
                "name",
                "category",
                "model_number",
                "maker",
                "purchase_year",
                "room",
                "service_mode",
                "approval_rule",
                "slot_minutes",
                "min_notice_hours",
                "free_cancel_hours",
                "open_from",
                "open_until",
                "description",
            )
        }
        initial["original_value"] = instrument.original_value_fen
        initial["open_weekdays"] = list(instrument.open_weekdays)
        for key, line in RATE_FIELDS.items():
            initial[key] = rates.get(line)
        return self._render(request, instrument, self._form(initial=initial))

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        instrument = self._instrument(request, code)
        form = self._form(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.instrument_update(
                    actor=request.user,
                    instrument=instrument,
                    name=data["name"],
                    category=data["category"],
                    building=instrument.building,
                    model_number=data["model_number"],
                    maker=data["maker"],
                    original_value_fen=data["original_value"] or 0,
                    purchase_year=data["purchase_year"],
                    room=data["room"],
                    service_mode=data["service_mode"],
                    approval_rule=data["approval_rule"],
                    slot_minutes=data["slot_minutes"],
                    open_from=data["open_from"],
                    open_until=data["open_until"],
                    open_weekdays="".join(data["open_weekdays"]),
                    min_notice_hours=data["min_notice_hours"],
                    free_cancel_hours=data["free_cancel_hours"],
                    description=data["description"],
                    rates={line: data[key] for key, line in RATE_FIELDS.items() if data.get(key) is not None},
                )
            except ValidationError as error:
                attach_errors(form, error, {"original_value_fen": "original_value"})
            else:
                messages.success(request, _("仪器 %(c)s 已保存。") % {"c": instrument.code})
                return HttpResponseRedirect(reverse("instruments:instrument-detail", args=[instrument.code]))
        return self._render(request, instrument, form, status=400)


class _ManageAction(ActionView):
    def get_object(self, request: HttpRequest, **kwargs: Any) -> Any:
        return get_object_or_404(perms.instrument_visible_to(request.user), code=kwargs["code"])

    def allowed(self, request: HttpRequest, obj: Any) -> bool:
        return bool(perms.can_manage_instrument(request.user, obj))

    denied_message = _("只有仪器所属单位或运营人员可以管理该仪器。")

    def next_url(self, request: HttpRequest, obj: Any) -> str:
        return reverse("instruments:instrument-detail", args=[obj.code])


class QualificationGrantView(_ManageAction):
    form_class = QualificationForm
    success_message = _("已登记上机培训。")

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(username=data["username"], is_active=True).first()
        if user is None:
            raise ValidationError(_("找不到用户“%(u)s”。") % {"u": data["username"]})
        return services.qualification_grant(
            actor=request.user,
            instrument=obj,
            user=user,
            trained_on=data["trained_on"],
            expires_on=data["expires_on"],
        )


class MaintenanceBlockView(_ManageAction):
    form_class = MaintenanceForm
    success_message = _("已安排维护时段。")

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        return services.maintenance_block(
            actor=request.user,
            instrument=obj,
            start_at=data["start_at"],
            end_at=data["end_at"],
            reason=data["reason"],
        )


class InstrumentStatusView(_ManageAction):
    success_message = _("仪器状态已更新。")

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        return services.instrument_set_status(
            actor=request.user, instrument=obj, status=request.POST.get("status", "")[:16]
        )


class EnableVouchersView(_ManageAction):
    success_message = _("该仪器已接受创新券支付。")

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        return services.instrument_enable_vouchers(actor=request.user, instrument=obj)


class BookingRateView(ActionView):
    form_class = RatingForm
    success_message = _("感谢评价。")

    def get_object(self, request: HttpRequest, **kwargs: Any) -> Any:
        return get_object_or_404(perms.booking_visible_to(request.user), code=kwargs["code"])

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        return services.booking_rate(
            actor=request.user, booking=obj, score=data["score"], comment=data["comment"]
        )

    def next_url(self, request: HttpRequest, obj: Any) -> str:
        return reverse("instruments:booking-list")


class PhotoAddView(_ManageAction):
    form_class = PhotoForm
    success_message = _("照片已上传。")

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        upload = data["image"]
        return services.instrument_photo_add(
            actor=request.user, instrument=obj, image=upload, name=upload.name
        )


class PhotoView(View):
    """A photo of an instrument the viewer may see (the public catalogue's instruments: anyone)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        from .models import InstrumentPhoto

        photo = get_object_or_404(
            InstrumentPhoto.objects.filter(instrument__in=perms.instrument_visible_to(request.user)), pk=pk
        )
        return attachment_response(photo.image, filename=photo.name, content_type=photo.content_type)


# --- invoices for direct payment ------------------------------------------------------------------------


def _uninvoiced(request: HttpRequest) -> list[tuple[str, Any, int]]:
    """The owner's fixed charges with a directly paid part and no invoice yet: (kind, record, direct
    part), newest first, at most 30 of each kind."""
    owned = perms.owner_organization_ids(request.user)
    if not owned:
        return []
    bookings = (
        perms.booking_visible_to(request.user)
        .filter(instrument__owner__in=owned, charge_fen__gt=0, invoice__isnull=True)
        .filter(Q(status__in=[BookingStatus.COMPLETED, BookingStatus.NO_SHOW]) | Q(late_cancel=True))
        .select_related("instrument", "organization", "voucher_order")
        .order_by("-start_at")[:30]
    )
    samples = (
        perms.sample_request_visible_to(request.user)
        .filter(
            instrument__owner__in=owned,
            status__in=[SampleStatus.REPORTED, SampleStatus.CONFIRMED],
            invoice__isnull=True,
        )
        .select_related("instrument", "organization", "voucher_order")
        .order_by("-reported_at")[:30]
    )
    rows: list[tuple[str, Any, int]] = []
    for kind, records in (("booking", bookings), ("sample", samples)):
        for record in records:
            direct = services.direct_part_of(record.charge_fen or 0, record.voucher_order)
            if direct > 0:
                rows.append((kind, record, direct))
    return rows


class InvoiceListView(LoginRequiredMixin, View):
    """收费发票: the invoices an owner issued and those its payers received, with the owner's charges
    still to invoice."""

    def get(self, request: HttpRequest) -> HttpResponse:
        invoices = (
            perms.invoice_visible_to(request.user)
            .select_related("owner", "payer", "booking__instrument", "sample_request__instrument")
            .order_by("-issued_on", "-id")
        )
        owned = perms.owner_organization_ids(request.user)
        return render(
            request,
            "instruments/invoice_list.html",
            {
                "page": paginate(request, invoices, PAGE_SIZE),
                "query": query_without_page(request),
                "owned": owned,
                "uninvoiced": _uninvoiced(request),
                "paid_form": InvoicePaidForm(),
            },
        )


class InvoiceCreateView(LoginRequiredMixin, View):
    """The owner records the invoice it issued for the directly paid part of one charge."""

    def _record(self, request: HttpRequest, kind: str, code: str) -> Any:
        if kind == "booking":
            qs: Any = perms.booking_visible_to(request.user)
        elif kind == "sample":
            qs = perms.sample_request_visible_to(request.user)
        else:
            raise Http404
        record = get_object_or_404(qs.select_related("instrument", "organization"), code=code)
        if not perms.can_issue_invoice(request.user, record):
            raise PermissionDenied(_("只有仪器所属单位可以开具发票。"))
        return record

    def _render(
        self, request: HttpRequest, kind: str, record: Any, form: Any, status: int = 200
    ) -> HttpResponse:
        return render(
            request,
            "instruments/invoice_form.html",
            {
                "form": form,
                "kind": kind,
                "record": record,
                "direct": services.direct_part_fen(record),
                "voucher_part": (record.charge_fen or 0) - services.direct_part_fen(record),
            },
            status=status,
        )

    def get(self, request: HttpRequest, kind: str, code: str) -> HttpResponse:
        record = self._record(request, kind, code)
        form = InvoiceForm(initial={"issued_on": timezone.localdate()})
        return self._render(request, kind, record, form)

    def post(self, request: HttpRequest, kind: str, code: str) -> HttpResponse:
        record = self._record(request, kind, code)
        form = InvoiceForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                invoice = services.invoice_issue(
                    actor=request.user,
                    booking=record if kind == "booking" else None,
                    sample_request=record if kind == "sample" else None,
                    number=data["number"],
                    amount_fen=data["amount"],
                    issued_on=data["issued_on"],
                )
            except ValidationError as error:
                attach_errors(form, error, {"amount_fen": "amount"})
            else:
                messages.success(request, _("发票 %(n)s 已登记。") % {"n": invoice.number})
                return HttpResponseRedirect(reverse("instruments:invoice-list"))
        return self._render(request, kind, record, form, status=400)


class InvoicePaidView(ActionView):
    form_class = InvoicePaidForm
    denied_message = _("只有开票单位可以登记付款。")
    success_message = _("已登记付款。")

    def get_object(self, request: HttpRequest, **kwargs: Any) -> Any:
        return get_object_or_404(
            perms.invoice_visible_to(request.user).select_related("booking", "sample_request"),
            code=kwargs["code"],
        )

    def allowed(self, request: HttpRequest, obj: Any) -> bool:
        return bool(perms.can_issue_invoice(request.user, obj.booking or obj.sample_request))

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        return services.invoice_mark_paid(actor=request.user, invoice=obj, paid_on=data.get("paid_on"))

    def next_url(self, request: HttpRequest, obj: Any) -> str:
        return reverse("instruments:invoice-list")
