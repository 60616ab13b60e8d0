"""Competition pages: the public list and page (rules, tracks and prizes, the 公示 with its objection
channel), entering a project, the operators' board (eligibility, panels, 公示, objections, prizes) and the
judge's live scoring sheet. Views validate input and call one service; they never save."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from kechuang.core import dates
from kechuang.core.money import fen_from_yuan_decimal
from kechuang.core.text import CleanTextForm
from kechuang.core.web import acting_organization, attach_errors, error_text
from kechuang.directory.models import Organization, Person

from . import permissions as perms
from . import selectors, services
from .choices import CompetitionStatus, Round
from .forms import style
from .models import Competition, Entry, JudgingPanel, Objection, Track


class CompetitionForm(CleanTextForm):
    title = forms.CharField(label=gettext_lazy("大赛名称"), max_length=120)
    organizer = forms.ModelChoiceField(
        label=gettext_lazy("主办单位"), queryset=Organization.objects.order_by("kind", "name")
    )
    rules = forms.CharField(
        label=gettext_lazy("大赛规则"), max_length=20000, widget=forms.Textarea(attrs={"rows": 4})
    )
    entry_deadline = dates.DateField(
        label=gettext_lazy("报名截止日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    finalists_per_track = forms.IntegerField(
        label=gettext_lazy("每个赛道晋级决赛数"), min_value=1, max_value=100, initial=5
    )
    publicity_working_days = forms.IntegerField(
        label=gettext_lazy("公示期（工作日）"), min_value=1, max_value=30, initial=5
    )
    tracks = forms.CharField(
        label=gettext_lazy("赛道与奖项"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "每行一个赛道：赛道名称｜奖项,奖金（元）,分期次数｜…，如：院所成果｜一等奖,300000,2｜二等奖,100000,1"
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)

    def clean_tracks(self) -> list[services.TrackInput]:
        tracks = []
        for line in (self.cleaned_data.get("tracks") or "").splitlines():
            parts = [p.strip() for p in line.replace("|", "｜").split("｜") if p.strip()]
            if not parts:
                continue
            prizes = []
            for rank, text in enumerate(parts[1:], start=1):
                bits = [b.strip() for b in text.replace("，", ",").split(",")]
                try:
                    amount = fen_from_yuan_decimal(bits[1])
                    tranches = int(bits[2]) if len(bits) > 2 and bits[2] else 1
                except (IndexError, ValueError, ArithmeticError) as error:
                    raise forms.ValidationError(
                        _("奖项“%(t)s”应写成 奖项,奖金（元）,分期次数。") % {"t": text}
                    ) from error
                prizes.append(services.PrizeInput(rank, bits[0], amount, tranches))
            tracks.append(services.TrackInput(parts[0], prizes))
        if not tracks:
            raise forms.ValidationError(_("请至少填写一个赛道。"))
        return tracks


class EntryForm(CleanTextForm):
    track = forms.ModelChoiceField(label=gettext_lazy("赛道"), queryset=Track.objects.none())
    project = forms.CharField(label=gettext_lazy("项目名称"), max_length=120)
    summary = forms.CharField(
        label=gettext_lazy("项目简介"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    team = forms.CharField(
        label=gettext_lazy("团队介绍"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    business_plan = forms.CharField(
        label=gettext_lazy("商业计划"),
        max_length=20000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    ip_summary = forms.CharField(
        label=gettext_lazy("知识产权情况"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    achievements = forms.ModelMultipleChoiceField(
        label=gettext_lazy("关联本单位的科技成果"), queryset=Organization.objects.none(), required=False
    )
    partners = forms.ModelMultipleChoiceField(
        label=gettext_lazy("合作单位"), queryset=Organization.objects.none(), required=False
    )

    def __init__(
        self, *args: Any, competition: Competition, organization: Organization, **kwargs: Any
    ) -> None:
        from kechuang.transfer.models import Achievement

        super().__init__(*args, **kwargs)
        tracks = competition.tracks.order_by("sort_order")
        self.fields["track"].queryset = tracks
        if len(tracks) == 1:  # one track: nothing to choose
            self.fields["track"].initial = tracks[0].pk
        self.fields["achievements"].queryset = Achievement.objects.filter(organization=organization).order_by(
            "-pk"
        )
        self.fields["partners"].queryset = (
            Organization.objects.exclude(pk=organization.pk).exclude(kind="government").order_by("name")
        )
        style(self)


def _competition(request: HttpRequest, code: str) -> Competition:
    competition = selectors.competition_get(actor=request.user, code=code)
    if competition is None:
        raise Http404
    return competition


class CompetitionListView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request,
            "events/competition_list.html",
            {
                "competitions": selectors.competition_list(actor=request.user),
                "can_create": perms.can_manage_competition(request.user),
                "judge_panels": selectors.judge_panels(actor=request.user),
            },
        )


class CompetitionCreateView(LoginRequiredMixin, View):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not perms.can_manage_competition(request.user):
            raise PermissionDenied(_("只有运营人员可以设立大赛。"))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "events/competition_form.html", {"form": CompetitionForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = CompetitionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                competition = services.competition_create(
                    actor=request.user,
                    title=data["title"],
                    rules=data["rules"],
                    organizer=data["organizer"],
                    entry_deadline=data["entry_deadline"],
                    tracks=data["tracks"],
                    finalists_per_track=data["finalists_per_track"],
                    publicity_working_days=data["publicity_working_days"],
                )
            except ValidationError as error:
                attach_errors(form, error)
            else:
                return HttpResponseRedirect(reverse("events:competition-detail", args=[competition.code]))
        return render(request, "events/competition_form.html", {"form": form}, status=400)


class CompetitionDetailView(View):
    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        competition = _competition(request, code)
        user = request.user
        manage = perms.can_manage_competition(user, competition)
        context: dict[str, Any] = {
            "competition": competition,
            "tracks": competition.tracks.prefetch_related("prizes").order_by("sort_order"),
            "manage": manage,
            "can_enter": perms.can_enter(user, competition),
            "can_object": perms.can_object(user, competition),
            "results": selectors.announced_results(competition)
            if competition.status in (CompetitionStatus.PUBLICITY, CompetitionStatus.FINAL)
            else [],
            "my_entries": list(
                Entry.objects.filter(
                    competition=competition, organization_id__in=perms.member_organization_ids(user)
                )
                .select_related("track", "aftercare")
                .order_by("pk")
            )
            if user.is_authenticated
            else [],
        }
        if manage:
            context.update(selectors.competition_board(actor=user, competition=competition))
            context["experts"] = (
                Person.objects.filter(is_expert=True).select_related("organization").order_by("name")
            )
            context["rounds"] = Round.choices
            context["followup"] = selectors.winners_followup(competition)
            context["commissioners"] = selectors.commissioner_choices()
        return render(request, "events/competition_detail.html", context)


class EntryCreateView(LoginRequiredMixin, View):
    def _setup(self, request: HttpRequest, code: str) -> tuple[Competition, Organization]:
        competition = _competition(request, code)
        organization = acting_organization(request)
        if organization is None or not perms.can_enter(request.user, competition, organization):
            raise PermissionDenied(_("只能在报名期内以本单位名义报名参赛。"))
        return competition, organization

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        competition, organization = self._setup(request, code)
        form = EntryForm(competition=competition, organization=organization)
        return render(
            request,
            "events/entry_form.html",
            {"form": form, "competition": competition, "organization": organization},
        )

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        competition, organization = self._setup(request, code)
        form = EntryForm(request.POST, competition=competition, organization=organization)
        if form.is_valid():
            data = form.cleaned_data
            try:
                entry = services.entry_submit(
                    actor=request.user,
                    competition=competition,
                    track=data["track"],
                    organization=organization,
                    details=services.EntryDetails(
                        project=data["project"],
                        summary=data["summary"],
                        team=data["team"],
                        business_plan=data.get("business_plan") or "",
                        ip_summary=data.get("ip_summary") or "",
                        partners=list(data.get("partners") or []),
                        achievements=list(data.get("achievements") or []),
                    ),
                )
            except ValidationError as error:
                attach_errors(form, error)
            else:
                messages.success(request, _("报名成功，参赛编号 %(c)s。") % {"c": entry.code})
                return HttpResponseRedirect(reverse("events:competition-detail", args=[competition.code]))
        context = {"form": form, "competition": competition, "organization": organization}
        return render(request, "events/entry_form.html", context, status=400)


class CompetitionActionView(LoginRequiredMixin, View):
    """One POST, one service, for the competition's operators and participants."""

    def post(self, request: HttpRequest, code: str, action: str) -> HttpResponse:
        competition = _competition(request, code)
        user, post = request.user, request.POST
        target = reverse("events:competition-detail", args=[competition.code])
        try:
            if action == "open":
                services.competition_open(actor=user, competition=competition)
            elif action == "close":
                services.competition_close_entries(actor=user, competition=competition)
            elif action == "screen":
                entry = get_object_or_404(Entry, competition=competition, code=post.get("entry", ""))
                services.entry_screen(
                    actor=user,
                    entry=entry,
                    eligible=post.get("eligible") == "1",
                    note=post.get("note", "")[:500],
                )
            elif action == "panel":
                track = get_object_or_404(Track, competition=competition, pk=int(post.get("track") or 0))
                experts = list(
                    Person.objects.filter(pk__in=[int(p) for p in post.getlist("experts") if p.isdigit()])
                )
                services.panel_build(actor=user, track=track, round=post.get("round", ""), experts=experts)
            elif action == "publicize":
                services.competition_publicize(actor=user, competition=competition)
            elif action == "finalize":
                services.competition_finalize(actor=user, competition=competition)
            elif action == "pay":
                entry = get_object_or_404(Entry, competition=competition, code=post.get("entry", ""))
                services.prize_pay(actor=user, entry=entry)
            elif action == "aftercare":
                entry = get_object_or_404(Entry, competition=competition, code=post.get("entry", ""))
                commissioner = None
                if post.get("commissioner", "").isdigit():
                    from django.contrib.auth import get_user_model

                    commissioner = get_user_model().objects.filter(pk=int(post["commissioner"])).first()
                services.aftercare_offer(actor=user, entry=entry, commissioner=commissioner)
            elif action == "object":
                entry = Entry.objects.filter(competition=competition, code=post.get("entry", "")).first()
                services.objection_file(
                    actor=user, competition=competition, entry=entry, reason=post.get("reason", "")
                )
            elif action == "resolve":
                objection = get_object_or_404(
                    Objection, competition=competition, code=post.get("objection", "")
                )
                services.objection_resolve(
                    actor=user,
                    objection=objection,
                    upheld=post.get("upheld") == "1",
                    resolution=post.get("resolution", ""),
                )
            else:
                raise Http404
        except (ValidationError, ValueError) as error:
            messages.error(
                request, error_text(error) if isinstance(error, ValidationError) else _("输入有误。")
            )
        else:
            messages.success(request, _("已完成。"))
        return HttpResponseRedirect(target)


def _panel(request: HttpRequest, pk: int) -> JudgingPanel:
    panel = get_object_or_404(JudgingPanel.objects.select_related("track__competition"), pk=pk)
    person = perms.expert_person(request.user)
    on_panel = person is not None and panel.judges.filter(expert=person).exists()
    if not on_panel and not perms.can_manage_competition(request.user):
        raise Http404
    return panel


class PanelView(LoginRequiredMixin, View):
    """The judge's live scoring sheet (one form per entry, revisable until the panel closes); for the
    operators, who has scored how many entries (never the values while the panel is open)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        panel = _panel(request, pk)
        rows = selectors.judge_sheet(actor=request.user, panel=panel)
        progress = []
        if perms.can_manage_competition(request.user):
            for judge in panel.judges.select_related("expert"):
                progress.append({"judge": judge, "scored": judge.scores.count()})
        context = {
            "panel": panel,
            "rows": rows,
            "progress": progress,
            "can_score": perms.can_score(request.user, panel),
            "manage": perms.can_manage_competition(request.user),
            "visible_scores": perms.entry_score_visible_to(request.user)
            .filter(judge__panel=panel)
            .select_related("judge__expert", "entry")
            if panel.status == "closed"
            else [],
        }
        return render(request, "events/panel.html", context)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        panel = _panel(request, pk)
        target = reverse("events:panel", args=[panel.pk])
        try:
            if request.POST.get("close"):
                services.panel_close(actor=request.user, panel=panel)
            else:
                entry = get_object_or_404(Entry, track=panel.track, code=request.POST.get("entry", ""))
                values = {c["code"]: request.POST.get(c["code"], "") for c in panel.criteria}
                services.entry_score_submit(
                    actor=request.user,
                    panel=panel,
                    entry=entry,
                    values=values,
                    comment=request.POST.get("comment", ""),
                )
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("已保存。"))
        return HttpResponseRedirect(target)
