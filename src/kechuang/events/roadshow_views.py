"""Roadshow pages (路演对接) and the winners' after-prize step (赛后服务), docs/adr/0025-events-and-competitions.md.

One page serves the three audiences: an investment institution's member (the roadshow entries, its
interests, meetings and outcomes), an entry's team (who is interested, the meetings, the outcomes) and
the operators and leaders (every record and the totals). Each POST validates a small form and calls one
service; a refusal becomes a message and nothing is written."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from kechuang.core import dates
from kechuang.core.money import fen_from_wan, fen_from_yuan_decimal, wan_field
from kechuang.core.text import CleanTextForm
from kechuang.core.web import acting_organization, error_text
from kechuang.directory.choices import OrganizationKind
from kechuang.directory.models import Organization

from . import permissions as perms
from . import selectors, services
from .choices import OutcomeKind
from .forms import style
from .models import Aftercare, Entry, Meeting


class InterestForm(CleanTextForm):
    note = forms.CharField(label=gettext_lazy("关注点"), max_length=500, required=False)


class MeetingForm(CleanTextForm):
    proposed_at = dates.DateTimeField(
        label=gettext_lazy("建议时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    place = forms.CharField(label=gettext_lazy("地点或线上链接"), max_length=200, required=False)
    message = forms.CharField(label=gettext_lazy("留言"), max_length=1000, required=False)


class AnswerForm(CleanTextForm):
    accept = forms.BooleanField(required=False)
    scheduled_at = dates.DateTimeField(
        label=gettext_lazy("约定时间"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    place = forms.CharField(label=gettext_lazy("地点或线上链接"), max_length=200, required=False)
    answer = forms.CharField(label=gettext_lazy("回复"), max_length=500, required=False)


class OutcomeForm(CleanTextForm):
    kind = forms.ChoiceField(label=gettext_lazy("结果"), choices=OutcomeKind.choices)
    amount_wan = wan_field(gettext_lazy("金额（万元）"))
    occurred_on = dates.DateField(
        label=gettext_lazy("发生日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=gettext_lazy("说明"), max_length=1000, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["occurred_on"].initial = timezone.localdate()
        style(self)


def _entry(user: Any, code: str) -> Entry:
    """A roadshow entry an investor may consider, or one of the team's own entries; else 404."""
    rows: QuerySet[Entry] = perms.roadshow_entries_visible_to(user).filter(code=code)
    entry = rows.select_related("competition", "organization").first()
    if entry is None:
        entry = (
            Entry.objects.filter(code=code, organization_id__in=perms.team_organization_ids(user))
            .select_related("competition", "organization")
            .first()
        )
    if entry is None:
        raise Http404
    return entry


def _named_investor(request: HttpRequest, post: Any = None) -> Organization:
    """The investor a POST names (a team speaking to it), or the one the user acts for."""
    raw = (post if post is not None else request.POST).get("investor", "")
    if raw.isdigit():
        investor = Organization.objects.filter(pk=int(raw), kind=OrganizationKind.INVESTOR).first()
    else:
        investor = selectors.investor_acted_for(request.user, acting_organization(request))
    if investor is None:
        raise Http404
    return investor


def _meeting(user: Any, code: str) -> Meeting:
    meeting = perms.meeting_visible_to(user).filter(code=code).select_related("entry", "investor").first()
    if meeting is None:
        raise Http404
    return meeting


class RoadshowView(LoginRequiredMixin, View):
    """GET: the roadshow board of the caller (investor, team, or operator and leader)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        board = selectors.roadshow_board(actor=request.user)
        board.update(
            {
                "acting_investor": selectors.investor_acted_for(request.user, acting_organization(request)),
                "outcome_kinds": OutcomeKind.choices,
                "reads_all": perms.reads_all(request.user),
                "now": timezone.localtime(),
            }
        )
        return render(request, "events/roadshow.html", board)


class RoadshowActionView(LoginRequiredMixin, View):
    """One POST, one service: interest, meeting, answer, withdraw, outcome."""

    def post(self, request: HttpRequest, action: str) -> HttpResponse:
        user, post = request.user, request.POST
        try:
            if action == "interest":
                entry = _entry(user, post.get("entry", ""))
                form: forms.Form = InterestForm(post)
                if form.is_valid():
                    investor = selectors.investor_acted_for(request.user, acting_organization(request))
                    if investor is None:
                        raise PermissionDenied(_("只有投资机构成员可以关注参赛项目。"))
                    services.interest_register(
                        actor=user, entry=entry, investor=investor, note=form.cleaned_data["note"]
                    )
            elif action == "meeting":
                entry = _entry(user, post.get("entry", ""))
                form = MeetingForm(post)
                if form.is_valid():
                    services.meeting_request(
                        actor=user,
                        entry=entry,
                        investor=_named_investor(request),
                        proposed_at=form.cleaned_data["proposed_at"],
                        place=form.cleaned_data["place"],
                        message=form.cleaned_data["message"],
                    )
            elif action in ("answer", "withdraw"):
                meeting = _meeting(user, post.get("meeting", ""))
                form = AnswerForm(post)
                if form.is_valid():
                    if action == "withdraw":
                        services.meeting_withdraw(actor=user, meeting=meeting)
                    else:
                        data = form.cleaned_data
                        services.meeting_answer(
                            actor=user,
                            meeting=meeting,
                            accept=bool(data["accept"]),
                            scheduled_at=data["scheduled_at"],
                            place=data["place"],
                            answer=data["answer"],
                        )
            elif action == "outcome":
                entry_code, _bar, investor_id = post.get("pair", "").partition("|")
                if entry_code:  # the page's select: "<entry code>|<investor id>"
                    post = post.copy()
                    post["entry"], post["investor"] = entry_code, investor_id
                entry = _entry(user, post.get("entry", ""))
                form = OutcomeForm(post)
                if form.is_valid():
                    data = form.cleaned_data
                    meeting = None
                    if post.get("meeting"):
                        meeting = _meeting(user, post.get("meeting", ""))
                    services.outcome_record(
                        actor=user,
                        entry=entry,
                        investor=_named_investor(request, post),
                        kind=data["kind"],
                        amount_fen=fen_from_wan(data["amount_wan"]) or 0,
                        occurred_on=data["occurred_on"],
                        note=data["note"],
                        meeting=meeting,
                    )
            else:
                raise Http404
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            if form.errors:
                messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
            else:
                messages.success(request, _("已完成。"))
        return HttpResponseRedirect(reverse("events:roadshow"))


# --- after the prize ------------------------------------------------------------------------------------


class AftercareForm(CleanTextForm):
    """The winner's one step: a space request and a voucher application, each optional."""

    want_space = forms.BooleanField(label=gettext_lazy("提出用房需求"), required=False, initial=True)
    space_title = forms.CharField(label=gettext_lazy("用房需求标题"), max_length=120, required=False)
    area_min_m2 = forms.DecimalField(
        label=gettext_lazy("最小面积（㎡）"), min_value=1, max_digits=10, decimal_places=2, required=False
    )
    area_max_m2 = forms.DecimalField(
        label=gettext_lazy("最大面积（㎡）"), min_value=1, max_digits=10, decimal_places=2, required=False
    )
    move_in_by = dates.DateField(
        label=gettext_lazy("希望入驻日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    want_voucher = forms.BooleanField(label=gettext_lazy("申领创新券"), required=False, initial=True)
    scheme = forms.ModelChoiceField(label=gettext_lazy("创新券批次"), queryset=None, required=False)  # type: ignore[arg-type]
    requested_yuan = forms.DecimalField(
        label=gettext_lazy("申请额度（元）"), min_value=1, max_digits=14, decimal_places=2, required=False
    )
    purpose = forms.CharField(
        label=gettext_lazy("创新券用途"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from kechuang.vouchers.models import Scheme

        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["scheme"].queryset = Scheme.objects.filter(
            pk__in=[s.pk for s in Scheme.objects.order_by("-pk")[:50] if s.is_accepting_applications(today)]
        )
        style(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("want_space"):
            for name in ("space_title", "area_min_m2", "area_max_m2"):
                if not data.get(name):
                    self.add_error(name, _("提出用房需求时请填写。"))
        if data.get("want_voucher"):
            for name in ("scheme", "requested_yuan", "purpose"):
                if not data.get(name):
                    self.add_error(name, _("申领创新券时请填写。"))
        return data


def _aftercare(request: HttpRequest, code: str) -> Aftercare:
    aftercare = (
        perms.aftercare_visible_to(request.user)
        .filter(entry__code=code)
        .select_related("entry__organization", "entry__competition", "entry__prize", "assignment__user")
        .first()
    )
    if aftercare is None:
        raise Http404
    return aftercare


class AftercareView(LoginRequiredMixin, View):
    """The winner's after-prize page: the commissioner already assigned, and one form for the space request
    and the voucher application (or neither: no thanks)."""

    def _render(
        self, request: HttpRequest, aftercare: Aftercare, form: AftercareForm, status: int = 200
    ) -> Any:
        context = {
            "aftercare": aftercare,
            "entry": aftercare.entry,
            "form": form,
            "can_answer": perms.can_answer_aftercare(request.user, aftercare),
        }
        return render(request, "events/aftercare.html", context, status=status)

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        aftercare = _aftercare(request, code)
        entry = aftercare.entry
        form = AftercareForm(initial={"space_title": _("%(p)s 项目用房") % {"p": entry.project}})
        return self._render(request, aftercare, form)

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        aftercare = _aftercare(request, code)
        if not perms.can_answer_aftercare(request.user, aftercare):
            raise PermissionDenied(_("只能由获奖单位成员确认待确认的赛后服务。"))
        form = AftercareForm(request.POST)
        declined = bool(request.POST.get("decline"))
        if declined or form.is_valid():
            data = form.cleaned_data if not declined else {}
            space = voucher = None
            if data.get("want_space"):
                space = services.SpaceAsk(
                    title=data["space_title"],
                    area_min_m2=data["area_min_m2"],
                    area_max_m2=data["area_max_m2"],
                    move_in_by=data.get("move_in_by"),
                )
            if data.get("want_voucher"):
                voucher = services.VoucherAsk(
                    scheme=data["scheme"],
                    requested_fen=fen_from_yuan_decimal(data["requested_yuan"]) or 0,
                    purpose=data["purpose"],
                )
            try:
                services.aftercare_accept(
                    actor=request.user, aftercare=aftercare, space=space, voucher=voucher
                )
            except ValidationError as error:
                messages.error(request, error_text(error))
                return self._render(request, aftercare, form, status=400)
            messages.success(request, _("已提交。") if (space or voucher) else _("已记录：暂不需要。"))
            return HttpResponseRedirect(reverse("events:aftercare", args=[aftercare.entry.code]))
        return self._render(request, aftercare, form, status=400)
