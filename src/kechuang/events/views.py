"""Event pages: the public list, calendar and event page; my registrations with the check-in code; the
organizer's and operator's pages (proposal, review, sign-ups, the door). Views validate input and call
one service; they never save."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from kechuang.core.web import acting_organization, attach_errors, error_text, paginate, query_without_page

from . import permissions as perms
from . import selectors, services
from .choices import EventKind, EventStatus, Height, RegistrationStatus
from .forms import CheckInForm, EventForm, FeedbackForm, ReasonForm
from .models import Event, Registration

PAGE_SIZE = 20


def _event(request: HttpRequest, code: str) -> Event:
    event = selectors.event_get(actor=request.user, code=code)
    if event is None:
        raise Http404
    return event


class EventListView(View):
    """Public: upcoming events first (or past ones), filtered by kind, series and height."""

    def get(self, request: HttpRequest) -> HttpResponse:
        now = timezone.now()
        events = selectors.event_list(actor=request.user).filter(
            status__in=[EventStatus.PUBLISHED, EventStatus.FINISHED]
        )
        past = request.GET.get("when") == "past"
        events = (
            events.filter(ends_at__lt=now).order_by("-starts_at", "-pk")
            if past
            else events.filter(ends_at__gte=now).order_by("starts_at", "pk")
        )
        kind, height, series = (
            request.GET.get("kind", ""),
            request.GET.get("height", ""),
            request.GET.get("series", ""),
        )
        if kind in EventKind.values:
            events = events.filter(kind=kind)
        if height in Height.values:
            events = events.filter(height=height)
        if series.isdigit():
            events = events.filter(series_id=int(series))
        page = paginate(request, events, PAGE_SIZE)
        return render(
            request,
            "events/event_list.html",
            {
                "page": page,
                "events": page.object_list,
                "query": query_without_page(request),
                "past": past,
                "kinds": EventKind.choices,
                "heights": Height.choices,
                "series_list": selectors.series_list(),
                "chosen": {"kind": kind, "height": height, "series": series},
                "can_create": perms.can_create_event(request.user),
            },
        )


class CalendarView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        today = timezone.localdate()
        try:
            year, month = (int(p) for p in request.GET.get("month", "").split("-"))
            dt.date(year, month, 1)
            if not 2000 <= year <= 2100:
                raise ValueError
        except ValueError:
            year, month = today.year, today.month
        first = dt.date(year, month, 1)
        previous = (first - dt.timedelta(days=1)).replace(day=1)
        following = (first + dt.timedelta(days=32)).replace(day=1)
        return render(
            request,
            "events/calendar.html",
            {
                "weeks": selectors.month_calendar(actor=request.user, year=year, month=month),
                "month": first,
                "previous": previous.strftime("%Y-%m"),
                "following": following.strftime("%Y-%m"),
                "today": today,
                "weekdays": [_("周一"), _("周二"), _("周三"), _("周四"), _("周五"), _("周六"), _("周日")],
            },
        )


class EventDetailView(View):
    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        event = _event(request, code)
        return render(request, "events/event_detail.html", _detail_context(request, event))


def _detail_context(request: HttpRequest, event: Event, **extra: Any) -> dict[str, Any]:
    user = request.user
    mine = selectors.my_registration(actor=user, event=event)
    active = mine if mine is not None and mine.status != RegistrationStatus.CANCELLED else None
    context: dict[str, Any] = {
        "event": event,
        "mine": active,
        "position": selectors.waiting_position(active) if active else None,
        "can_register": perms.can_register(user, event) and active is None,
        "can_cancel_registration": active is not None and perms.can_cancel_registration(user, active),
        "can_edit": perms.can_edit_event(user, event),
        "can_review": perms.can_review_event(user, event),
        "can_cancel": perms.can_cancel_event(user, event),
        "can_manage": perms.can_manage_event(user, event),
        "can_finish": perms.can_finish_event(user, event),
        "can_check_in": perms.can_check_in(user, event),
        "reason_form": ReasonForm(),
        "signed_in": user.is_authenticated,
    }
    if context["can_manage"]:
        context["attendance"] = selectors.attendance(event)
    context.update(extra)
    return context


class EventFormMixin(LoginRequiredMixin):
    def organizer(self, request: HttpRequest, form: EventForm) -> Any:
        if perms.is_operator(request.user):
            return form.cleaned_data.get("organizer")
        organization = acting_organization(request)
        if organization is None or organization.pk not in perms.organizer_ids(request.user):
            raise PermissionDenied(_("请先切换到您所在的单位再创建活动。"))
        return organization


class EventCreateView(EventFormMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        if not perms.can_create_event(request.user):
            raise PermissionDenied(_("只有运营人员或机构成员可以创建活动。"))
        form = EventForm(operator=perms.is_operator(request.user))
        return render(request, "events/event_form.html", {"form": form})

    def post(self, request: HttpRequest) -> HttpResponse:
        if not perms.can_create_event(request.user):
            raise PermissionDenied(_("只有运营人员或机构成员可以创建活动。"))
        form = EventForm(request.POST, operator=perms.is_operator(request.user))
        if form.is_valid():
            try:
                event = services.event_create(
                    actor=request.user, organization=self.organizer(request, form), details=form.details()
                )
            except ValidationError as error:
                attach_errors(form, error)
            else:
                messages.success(request, _("活动草稿已保存，确认无误后提交审核。"))
                return HttpResponseRedirect(reverse("events:event-detail", args=[event.code]))
        return render(request, "events/event_form.html", {"form": form}, status=400)


def _initial(event: Event) -> dict[str, Any]:
    guests = "\n".join(
        "｜".join([s.guest_name, s.guest_affiliation, s.topic]).rstrip("｜")
        for s in event.speakers.all()
        if not s.person_id
    )
    return {
        "organizer": event.organizer_id,
        "title": event.title,
        "kind": event.kind,
        "series": event.series_id,
        "height": event.height,
        "audience": event.audience,
        "summary": event.summary,
        "agenda": event.agenda,
        "venue_kind": event.venue_kind,
        "building": event.building.code if event.building_id else None,
        "amenity": event.amenity,
        "venue_detail": event.venue_detail,
        "starts_at": timezone.localtime(event.starts_at),
        "ends_at": timezone.localtime(event.ends_at),
        "capacity": event.capacity,
        "co_organizers": list(event.co_organizers.all()),
        "speaker_people": [s.person for s in event.speakers.all() if s.person_id],
        "guests": guests,
    }


class EventEditView(EventFormMixin, View):
    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        event = _event(request, code)
        if not perms.can_edit_event(request.user, event):
            raise PermissionDenied(_("只有草稿状态的活动可以由主办方或运营人员修改。"))
        form = EventForm(initial=_initial(event), operator=perms.is_operator(request.user))
        return render(request, "events/event_form.html", {"form": form, "event": event})

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        event = _event(request, code)
        form = EventForm(request.POST, operator=perms.is_operator(request.user))
        if form.is_valid():
            try:
                services.event_update(actor=request.user, event=event, details=form.details())
            except ValidationError as error:
                attach_errors(form, error)
            else:
                messages.success(request, _("活动已保存。"))
                return HttpResponseRedirect(reverse("events:event-detail", args=[event.code]))
        return render(request, "events/event_form.html", {"form": form, "event": event}, status=400)


class EventActionView(LoginRequiredMixin, View):
    """One POST, one service: submit, publish, reject, cancel, finish, register."""

    def post(self, request: HttpRequest, code: str, action: str) -> HttpResponse:
        event = _event(request, code)
        reason = (request.POST.get("reason") or "")[:500]
        user = request.user
        done = {
            "submit": _("已提交审核，运营人员审核通过后发布。"),
            "publish": _("活动已发布。"),
            "reject": _("已退回主办方修改。"),
            "cancel": _("活动已取消，已报名的人会收到通知。"),
            "finish": _("已登记活动结束，参加者可以提交反馈。"),
        }
        try:
            if action == "submit":
                services.event_submit(actor=user, event=event)
            elif action == "publish":
                services.event_review(actor=user, event=event, approve=True)
            elif action == "reject":
                services.event_review(actor=user, event=event, approve=False, reason=reason)
            elif action == "cancel":
                services.event_cancel(actor=user, event=event, reason=reason)
            elif action == "finish":
                services.event_finish(actor=user, event=event)
            elif action == "register":
                organization = acting_organization(request)
                if organization is not None and organization.pk not in perms.member_organization_ids(user):
                    organization = None
                registration = services.registration_create(
                    actor=user, event=event, organization=organization
                )
                if registration.status == RegistrationStatus.CONFIRMED:
                    messages.success(
                        request, _("报名成功，签到码 %(c)s。") % {"c": registration.checkin_code}
                    )
                else:
                    messages.info(request, _("名额已满，您已进入候补名单；有人取消时按顺序递补并通知您。"))
                return HttpResponseRedirect(reverse("events:event-detail", args=[event.code]))
            else:
                raise Http404
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, done[action])
        return HttpResponseRedirect(reverse("events:event-detail", args=[event.code]))


class ReviewListView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        if not perms.is_operator(request.user):
            raise PermissionDenied(_("只有运营人员可以审核活动。"))
        return render(
            request, "events/review_list.html", {"events": selectors.review_queue(actor=request.user)}
        )


class ManageListView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        if not perms.can_manage_event(request.user, None):
            raise PermissionDenied(_("只有运营人员或机构成员可以管理活动。"))
        page = paginate(request, selectors.managed_events(actor=request.user), PAGE_SIZE)
        return render(
            request,
            "events/manage_list.html",
            {"page": page, "events": page.object_list, "query": query_without_page(request)},
        )


def _managed(request: HttpRequest, code: str) -> Event:
    event = _event(request, code)
    if not perms.can_manage_event(request.user, event):
        raise Http404
    return event


class RegistrationListView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        event = _managed(request, code)
        registrations = selectors.event_registrations(actor=request.user, event=event)
        return render(
            request,
            "events/registration_list.html",
            {"event": event, "registrations": registrations, "attendance": selectors.attendance(event)},
        )


class CheckInView(LoginRequiredMixin, View):
    """The door: staff type (or a scanner types) the code shown on the participant's phone."""

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        event = _managed(request, code)
        return self._page(request, event, CheckInForm())

    def _page(self, request: HttpRequest, event: Event, form: CheckInForm, **extra: Any) -> HttpResponse:
        status = extra.pop("status", 200)
        context = {
            "event": event,
            "form": form,
            "attendance": selectors.attendance(event),
            "can_check_in": perms.can_check_in(request.user, event),
            **extra,
        }
        return render(request, "events/checkin.html", context, status=status)

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        event = _managed(request, code)
        if "walk_in_name" in request.POST:
            try:
                registration = services.registration_walk_in(
                    actor=request.user, event=event, name=request.POST.get("walk_in_name", "")
                )
            except PermissionDenied:
                raise
            except ValidationError as error:
                return self._page(request, event, CheckInForm(), refused=error_text(error), status=400)
            return self._page(request, event, CheckInForm(), checked=registration)
        form = CheckInForm(request.POST)
        if not form.is_valid():
            return self._page(request, event, form, status=400)
        try:
            registration = services.registration_check_in(
                actor=request.user, event=event, code=form.cleaned_data["code"]
            )
        except PermissionDenied:
            raise
        except ValidationError as error:
            return self._page(request, event, CheckInForm(), refused=error_text(error), status=400)
        return self._page(request, event, CheckInForm(), checked=registration)


class MyRegistrationsView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        rows = []
        for registration in selectors.my_registrations(actor=request.user):
            rows.append(
                {
                    "registration": registration,
                    "position": selectors.waiting_position(registration),
                    "can_cancel": perms.can_cancel_registration(request.user, registration),
                    "can_feedback": perms.can_give_feedback(request.user, registration)
                    and not hasattr(registration, "feedback"),
                }
            )
        return render(
            request, "events/my_registrations.html", {"rows": rows, "feedback_form": FeedbackForm()}
        )


def _own_registration(request: HttpRequest, code: str) -> Registration:
    """Only one's own: the organizer's view of a sign-up is not a right to cancel or rate it."""
    return get_object_or_404(
        Registration.objects.filter(user=request.user).select_related("event"), code=code
    )


class RegistrationCancelView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        registration = _own_registration(request, code)
        try:
            services.registration_cancel(actor=request.user, registration=registration)
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("已取消报名。"))
        return HttpResponseRedirect(reverse("events:my-registrations"))


class FeedbackView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        registration = _own_registration(request, code)
        form = FeedbackForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请选择满意度（1–5）。"))
        else:
            try:
                services.feedback_submit(
                    actor=request.user,
                    registration=registration,
                    rating=form.cleaned_data["rating"],
                    comment=form.cleaned_data.get("comment") or "",
                )
            except ValidationError as error:
                messages.error(request, error_text(error))
            else:
                messages.success(request, _("感谢您的反馈。"))
        return HttpResponseRedirect(reverse("events:my-registrations"))
