"""揭榜挂帅 pages for the public, issuers, applicants, experts, operators and leaders: thin views over the
selectors and services.

Objects are found by their code inside the user's visibility queryset (anything else is a 404); every
POST calls one service; a refused step shows the service's Chinese message and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from kechuang.core import audit
from kechuang.core.uploads import attachment_response
from kechuang.core.web import acting_organization, attach_errors, error_text, paginate
from kechuang.directory.models import Person
from kechuang.directory.pickers import person_label

from . import forms as f
from . import permissions as perms
from . import selectors, services
from .choices import PanelStatus
from .filters import ApplicationFilter, ChallengeFilter
from .models import Application, Award, Challenge

PAGE_SIZE = 20
FORM_FIELDS = {"fields": "fields_"}  # the service's field name → the form's


def role_context(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    return {
        "is_operator": perms.is_operator(user),
        "is_leader": perms.is_leader(user),
        "reads_all": perms.is_staff_reader(user),
        "is_expert": perms.expert_person(user) is not None,
        "acting": acting_organization(request),
        "signed_in": bool(getattr(user, "is_authenticated", False)),
        "can_post": bool(getattr(user, "is_authenticated", False)) and perms.may(user, "create_challenge"),
    }


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, template, {**role_context(request), **context}, status=status)


def _next(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next", "")
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}):
        return candidate
    return default


def _run(request: HttpRequest, action: Any, success: str) -> bool:
    try:
        action()
    except ValidationError as error:
        messages.error(request, error_text(error))
        return False
    except PermissionDenied as error:
        messages.error(request, str(error) or _("没有权限。"))
        return False
    messages.success(request, success)
    return True


def _challenge(request: HttpRequest, code: str) -> Challenge:
    return get_object_or_404(perms.challenge_visible_to(request.user).select_related("issuer"), code=code)


# --- public list and notice ------------------------------------------------------------------------------


class HomeView(View):
    """The challenge board (榜单大厅): public challenges for everyone; drafts too for their issuer and staff.
    Filtering is htmx: only the rows are re-drawn."""

    def get(self, request: HttpRequest) -> HttpResponse:
        base = selectors.challenge_list(actor=request.user)
        filterset = ChallengeFilter(request.GET or None, queryset=base)
        qs = filterset.qs if filterset.is_bound and filterset.is_valid() else base
        page = paginate(request, qs, PAGE_SIZE)
        params = request.GET.copy()
        params.pop("page", None)
        context = {"page": page, "filter": filterset, "query": params.urlencode(), "section": "home"}
        if getattr(request, "htmx", False):
            return _render(request, "challenges/partials/challenge_rows.html", context)
        context["figures"] = selectors.overall_figures()
        return _render(request, "challenges/home.html", context)


class ChallengeDetailView(View):
    """The public notice (公示) of a challenge; its issuer and staff also see the workflow buttons."""

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        challenge = _challenge(request, code)
        user = request.user
        context: dict[str, Any] = {
            "challenge": challenge,
            "fields": list(challenge.fields.all()),
            "counts": selectors.application_counts(challenge),
            "is_issuer": perms.is_issuer_member(user, challenge),
            "can_edit": perms.can_edit_challenge(user, challenge),
            "can_submit": perms.can_submit_challenge(user, challenge),
            "can_review": perms.can_review_challenge(user, challenge),
            "can_withdraw": perms.can_withdraw_challenge(user, challenge),
            "can_close": perms.can_close_challenge(user, challenge),
            "can_apply": perms.can_apply(user, challenge, acting_organization(request))
            if acting_organization(request)
            else False,
            "applications": list(selectors.application_list(actor=user).filter(challenge=challenge)),
            "has_panel": hasattr(challenge, "panel"),
            "section": "home",
            "review_form": f.ReviewForm(),
            "reason_form": f.ReasonForm(),
            "progress": selectors.progress(challenge)
            if challenge.status in {"awarded", "in_progress", "completed"}
            else [],
        }
        return _render(request, "challenges/challenge_detail.html", context)


class ProgressView(View):
    """The public progress page of an awarded challenge: winners, milestones and what has been paid."""

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        challenge = _challenge(request, code)
        if challenge.status not in {"awarded", "in_progress", "completed"}:
            raise Http404
        return _render(
            request,
            "challenges/progress.html",
            {
                "challenge": challenge,
                "progress": selectors.progress(challenge),
                "counts": selectors.application_counts(challenge),
                "section": "home",
            },
        )


# --- signed-in work ----------------------------------------------------------------------------------------


class WorkView(LoginRequiredMixin, View):
    """Each role's desk: what waits for me, my challenges, my applications, my panels; figures for staff."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        orgs = perms.organizations_of(user)
        context: dict[str, Any] = {"todo": selectors.work_queue(actor=user), "section": "work"}
        context["my_challenges"] = (
            list(selectors.challenge_list(actor=user).filter(issuer_id__in=orgs)[:20]) if orgs else []
        )
        applications = selectors.application_list(actor=user)
        filterset = ApplicationFilter(request.GET or None, queryset=applications)
        if filterset.is_bound and filterset.is_valid():
            applications = filterset.qs
        context["filter"] = filterset
        context["my_applications"] = list(applications.filter(organization_id__in=orgs)[:20]) if orgs else []
        person = perms.expert_person(user)
        if person is not None:
            context["my_panels"] = list(
                perms.panel_visible_to(user)
                .filter(members__expert=person)
                .select_related("challenge")
                .order_by("-created_at")[:20]
            )
        if perms.is_staff_reader(user):
            context["figures"] = selectors.overall_figures()
            context["all_applications"] = list(applications[:30])
        return _render(request, "challenges/work.html", context)


class ChallengeCreateView(LoginRequiredMixin, View):
    template_name = "challenges/challenge_form.html"

    def _check(self, request: HttpRequest) -> Any:
        organization = acting_organization(request)
        if perms.is_operator(request.user):
            return organization
        if not perms.can_create_challenge(request.user, organization):
            raise PermissionDenied
        return organization

    def get(self, request: HttpRequest) -> HttpResponse:
        self._check(request)
        return _render(request, self.template_name, {"form": f.ChallengeForm(), "section": "work"})

    def post(self, request: HttpRequest) -> HttpResponse:
        issuer = self._check(request)
        form = f.ChallengeForm(request.POST)
        if form.is_valid():
            if issuer is None:
                form.add_error(None, _("请先选择所代表的机构。"))
            else:
                try:
                    challenge = services.challenge_create(
                        actor=request.user, issuer=issuer, **form.service_data()
                    )
                except ValidationError as error:
                    attach_errors(form, error, FORM_FIELDS)
                except PermissionDenied as error:
                    form.add_error(None, str(error))
                else:
                    messages.success(request, _("已保存草稿 %(c)s，核对后提交审核。") % {"c": challenge.code})
                    return HttpResponseRedirect(reverse("challenges:challenge-detail", args=[challenge.code]))
        return _render(request, self.template_name, {"form": form, "section": "work"}, status=400)


class ChallengeUpdateView(LoginRequiredMixin, View):
    template_name = "challenges/challenge_form.html"

    def _get(self, request: HttpRequest, code: str) -> Challenge:
        challenge = _challenge(request, code)
        if not perms.can_edit_challenge(request.user, challenge):
            raise PermissionDenied
        return challenge

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        challenge = self._get(request, code)
        initial = {
            name: getattr(challenge, name)
            for name in (
                "title",
                "problem",
                "indicators",
                "issuer_fen",
                "subsidy_fen",
                "deadline",
                "max_winners",
                "ip_terms",
                "eligibility",
            )
        }
        initial["fields_"] = list(challenge.fields.all())
        return _render(
            request,
            self.template_name,
            {"form": f.ChallengeForm(initial=initial), "challenge": challenge, "section": "work"},
        )

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        challenge = self._get(request, code)
        form = f.ChallengeForm(request.POST)
        if form.is_valid():
            try:
                services.challenge_update(actor=request.user, challenge=challenge, **form.service_data())
            except ValidationError as error:
                attach_errors(form, error, FORM_FIELDS)
            else:
                messages.success(request, _("已保存。"))
                return HttpResponseRedirect(reverse("challenges:challenge-detail", args=[challenge.code]))
        return _render(
            request, self.template_name, {"form": form, "challenge": challenge, "section": "work"}, status=400
        )


class ChallengeActionView(LoginRequiredMixin, View):
    """submit / review / withdraw / close: one service each."""

    step = ""

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        challenge = _challenge(request, code)
        user = request.user
        form = f.ReviewForm(request.POST) if self.step == "review" else f.ReasonForm(request.POST)
        if not form.is_valid():
            messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
            return HttpResponseRedirect(reverse("challenges:challenge-detail", args=[code]))
        reason = form.cleaned_data.get("reason", "")
        actions = {
            "submit": (lambda: services.challenge_submit(actor=user, challenge=challenge), _("已提交审核。")),
            "review": (
                lambda: services.challenge_review(
                    actor=user,
                    challenge=challenge,
                    approve=form.cleaned_data.get("decision") == "approve",
                    reason=reason,
                ),
                _("审核完成。"),
            ),
            "withdraw": (
                lambda: services.challenge_withdraw(actor=user, challenge=challenge, reason=reason),
                _("榜单已撤回。"),
            ),
            "close": (
                lambda: services.challenge_close(actor=user, challenge=challenge),
                _("已截止报名，进入评审。"),
            ),
        }
        action, success = actions[self.step]
        _run(request, action, success)
        return HttpResponseRedirect(reverse("challenges:challenge-detail", args=[code]))


class CandidatesView(LoginRequiredMixin, View):
    """Candidate solvers from the matching engine, with reasons (issuer and operators)."""

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        challenge = _challenge(request, code)
        if not (perms.is_operator(request.user) or perms.is_issuer_member(request.user, challenge)):
            raise PermissionDenied
        return _render(
            request,
            "challenges/candidates.html",
            {
                "challenge": challenge,
                "candidates": selectors.candidate_solvers(actor=request.user, challenge=challenge),
                "section": "home",
            },
        )


# --- applications -----------------------------------------------------------------------------------------


class ApplyView(LoginRequiredMixin, View):
    template_name = "challenges/application_form.html"

    def _get(self, request: HttpRequest, code: str) -> Challenge:
        challenge = _challenge(request, code)
        if not perms.can_apply(request.user, challenge, acting_organization(request)):
            raise PermissionDenied
        return challenge

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        challenge = self._get(request, code)
        return _render(
            request,
            self.template_name,
            {"form": f.ApplicationForm(), "challenge": challenge, "section": "home"},
        )

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        challenge = self._get(request, code)
        form = f.ApplicationForm(request.POST, request.FILES)
        if form.is_valid():
            data = dict(form.cleaned_data)
            upload = data.pop("attachment", None)
            try:
                with transaction.atomic():
                    application = services.application_submit(
                        actor=request.user,
                        challenge=challenge,
                        organization=acting_organization(request),
                        **data,
                    )
                    if upload:
                        services.attachment_add(actor=request.user, application=application, file=upload)
            except ValidationError as error:
                if hasattr(error, "error_dict") and "file" in error.error_dict:
                    form.add_error("attachment", error.message_dict["file"])
                else:
                    attach_errors(form, error, FORM_FIELDS)
            except PermissionDenied as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("揭榜申请 %(c)s 已提交。") % {"c": application.code})
                return HttpResponseRedirect(reverse("challenges:application-detail", args=[application.code]))
        return _render(
            request, self.template_name, {"form": form, "challenge": challenge, "section": "home"}, status=400
        )


def _application(request: HttpRequest, code: str) -> Application:
    return get_object_or_404(selectors.application_list(actor=request.user), code=code)


class ApplicationDetailView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        application = _application(request, code)
        user = request.user
        challenge = application.challenge
        panel = getattr(challenge, "panel", None)
        context: dict[str, Any] = {
            "application": application,
            "challenge": challenge,
            "section": "work",
            "attachments": list(application.attachments.all()),
            "co_applicants": list(application.co_applicants.all()),
            "team_members": list(application.team_members.all()),
            "counts": selectors.application_counts(challenge),
            "is_own": application.organization_id in perms.organizations_of(user),
            "can_withdraw": perms.can_withdraw_application(user, application),
            "can_attach": perms.can_attach(user, application),
            "attachment_form": f.AttachmentForm(),
        }
        if panel is not None and perms.can_score(user, panel):
            mine = (
                perms.score_visible_to(user)
                .filter(member__expert=perms.expert_person(user), application=application)
                .first()
            )
            form_class = f.score_form_class(panel.criteria)
            initial = {f"c_{k}": v for k, v in (mine.values if mine else {}).items()}
            if mine:
                initial["comment"] = mine.comment
            context.update(score_form=form_class(initial=initial), my_score=mine, panel=panel)
        if panel is not None and panel.status == PanelStatus.CLOSED:
            context["scores"] = list(
                perms.score_visible_to(user).filter(application=application).select_related("member__expert")
            )
            context["panel"] = panel
        return _render(request, "challenges/application_detail.html", context)


class ApplicationWithdrawView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        application = _application(request, code)
        _run(
            request,
            lambda: services.application_withdraw(actor=request.user, application=application),
            _("申请已撤回。"),
        )
        return HttpResponseRedirect(reverse("challenges:application-detail", args=[code]))


class AttachmentUploadView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        application = _application(request, code)
        form = f.AttachmentForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, _("请选择要上传的文件。"))
        else:
            _run(
                request,
                lambda: services.attachment_add(
                    actor=request.user, application=application, file=form.cleaned_data["file"]
                ),
                _("附件已上传。"),
            )
        return HttpResponseRedirect(reverse("challenges:application-detail", args=[code]))


class AttachmentDownloadView(View):
    """The only way to a stored file: access-checked, served as a download (docs/reliability.md K3)."""

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        attachment = perms.attachment_visible_to(request.user).filter(token=token).first()
        if attachment is None:
            raise Http404
        audit.record("challenges.attachment.download", actor=request.user, obj=attachment)
        return attachment_response(
            attachment.file, filename=attachment.original_name, content_type=attachment.content_type
        )


class ScoreView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        application = _application(request, code)
        panel = getattr(application.challenge, "panel", None)
        if panel is None:
            raise Http404
        form = f.score_form_class(panel.criteria)(request.POST)
        if not form.is_valid():
            messages.error(
                request,
                "；".join(
                    f"{form.fields[k].label}：{e}" if k in form.fields else str(e)
                    for k, errors in form.errors.items()
                    for e in errors
                ),
            )
        else:
            values = {c["code"]: form.cleaned_data[f"c_{c['code']}"] for c in panel.criteria}
            _run(
                request,
                lambda: services.score_submit(
                    actor=request.user,
                    panel=panel,
                    application=application,
                    values=values,
                    comment=form.cleaned_data["comment"],
                ),
                _("评分已保存；评审结束前其他人看不到您的分数。"),
            )
        return HttpResponseRedirect(_next(request, reverse("challenges:application-detail", args=[code])))


# --- panel and award ------------------------------------------------------------------------------------------


class PanelView(LoginRequiredMixin, View):
    """Operators build and close the panel and award; experts see what to score; after the panel closes
    the ranking and every score are shown to staff and the panel's members."""

    def _get(self, request: HttpRequest, code: str) -> Challenge:
        challenge = _challenge(request, code)
        user = request.user
        panel = getattr(challenge, "panel", None)
        if not (
            perms.is_staff_reader(user)
            or (panel is not None and perms.panel_visible_to(user).filter(pk=panel.pk).exists())
        ):
            raise PermissionDenied
        return challenge

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        challenge = self._get(request, code)
        user = request.user
        panel = getattr(challenge, "panel", None)
        context: dict[str, Any] = {"challenge": challenge, "panel": panel, "section": "work"}
        if panel is None and perms.can_build_panel(user, challenge):
            people, conflicts = selectors.expert_pool(challenge=challenge)
            context.update(
                pool_options=[(p, person_label(p), conflicts.get(p.pk)) for p in people],
                conflicts=conflicts,
                panel_form=f.PanelForm(
                    choices=[(str(p.pk), p.name) for p in people if p.pk not in conflicts]
                ),
            )
        if panel is not None:
            view = selectors.panel_view(actor=user, panel=panel)
            context["view"] = view
            context["can_close"] = perms.can_close_panel(user, panel)
            context["can_award"] = perms.can_award(user, challenge)
            if context["can_award"]:
                context["award_form"] = f.AwardForm(
                    choices=[(a.code, f"{a.rank}. {a.organization.name}") for a in view.applications]
                )
        return _render(request, "challenges/panel.html", context)

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        challenge = self._get(request, code)
        user = request.user
        step = request.POST.get("step", "")
        panel = getattr(challenge, "panel", None)
        if step == "build":
            people, _conflicts = selectors.expert_pool(challenge=challenge)
            form = f.PanelForm(request.POST, choices=[(str(p.pk), p.name) for p in people])
            if not form.is_valid():
                messages.error(request, _("请选择评审专家。"))
            else:
                experts = list(Person.objects.filter(pk__in=[int(x) for x in form.cleaned_data["experts"]]))
                _run(
                    request,
                    lambda: services.panel_build(actor=user, challenge=challenge, experts=experts),
                    _("评审组已组建。"),
                )
        elif step == "close" and panel is not None:
            _run(request, lambda: services.panel_close(actor=user, panel=panel), _("评审结束，已生成排名。"))
        elif step == "award" and panel is not None:
            choices = [(a.code, a.code) for a in Application.objects.filter(challenge=challenge)]
            form = f.AwardForm(request.POST, choices=choices)
            if not form.is_valid():
                messages.error(request, _("请选择揭榜单位。"))
            else:
                winners = list(
                    Application.objects.filter(challenge=challenge, code__in=form.cleaned_data["winners"])
                )
                if _run(
                    request,
                    lambda: services.challenge_award(actor=user, challenge=challenge, winners=winners),
                    _("已定榜，请发榜单位签订任务书。"),
                ):
                    return HttpResponseRedirect(reverse("challenges:challenge-detail", args=[code]))
        else:
            messages.error(request, _("无效的操作。"))
        return HttpResponseRedirect(reverse("challenges:panel", args=[code]))


def _award(request: HttpRequest, code: str) -> Award:
    return get_object_or_404(
        perms.award_visible_to(request.user).select_related("challenge__issuer", "application__organization"),
        code=code,
    )


class AwardDetailView(View):
    """The task book, milestones and tranches of one award; actions for the solver, the issuer, operators
    and leaders. Public (read-only) once the challenge is awarded, like the progress page."""

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        award = _award(request, code)
        user = request.user
        milestones = list(award.milestones.order_by("sequence").select_related("payment", "requested_by"))
        rows = [
            {
                "m": m,
                "deliver": perms.can_deliver_milestone(user, m),
                "accept": perms.can_accept_milestone(user, m),
                "request": perms.can_request_tranche(user, m),
                "pay": perms.can_approve_tranche(user, m),
                "self_requested": m.requested_by_id == getattr(user, "pk", None),
            }
            for m in milestones
        ]
        participant = (
            perms.is_staff_reader(user)
            or perms.is_issuer_member(user, award.challenge)
            or perms.is_solver(user, award)
        )
        context: dict[str, Any] = {
            "award": award,
            "challenge": award.challenge,
            "rows": rows,
            "can_see_task_book": participant,
            "figures": selectors.award_figures(award),
            "section": "work",
            "note_form": f.NoteForm(),
        }
        if (
            award.status == "signing"
            and getattr(user, "is_authenticated", False)
            and perms.can_sign_task_book(user, award)
        ):
            context["task_form"] = f.TaskBookForm(
                initial={f"m{i}_amount_fen": a for i, a in enumerate(_split(award.amount_fen), start=1)}
            )
        return _render(request, "challenges/award_detail.html", context)


def _split(amount: int, parts: int = 3) -> list[int]:
    share, rest = divmod(amount, parts)
    return [share] * (parts - 1) + [share + rest]


class TaskBookSignView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        award = _award(request, code)
        form = f.TaskBookForm(request.POST)
        if not form.is_valid():
            messages.error(
                request,
                "；".join(
                    f"{form.fields[k].label}：{e}" if k in form.fields else str(e)
                    for k, errors in form.errors.items()
                    for e in errors
                ),
            )
        else:
            _run(
                request,
                lambda: services.task_book_sign(
                    actor=request.user,
                    award=award,
                    task_book=form.cleaned_data["task_book"],
                    milestones=form.milestone_rows(),
                ),
                _("任务书已签订，进入攻关。"),
            )
        return HttpResponseRedirect(reverse("challenges:award-detail", args=[code]))


class MilestoneActionView(LoginRequiredMixin, View):
    step = ""

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        milestone = get_object_or_404(
            perms.milestone_visible_to(request.user).select_related("award"), code=code
        )
        user = request.user
        form = f.NoteForm(request.POST)
        note = form.cleaned_data.get("note", "") if form.is_valid() else ""
        actions = {
            "deliver": (
                lambda: services.milestone_deliver(actor=user, milestone=milestone, note=note),
                _("已提交验收。"),
            ),
            "accept": (
                lambda: services.milestone_accept(
                    actor=user,
                    milestone=milestone,
                    approve=request.POST.get("decision") != "return",
                    note=note,
                ),
                _("验收结果已记录。"),
            ),
            "request": (
                lambda: services.tranche_request(actor=user, milestone=milestone),
                _("已申请拨付，等待另一位人员审批。"),
            ),
            "pay": (
                lambda: services.tranche_pay(actor=user, milestone=milestone),
                _("已审批并拨付，已记入账本。"),
            ),
            "return": (
                lambda: services.tranche_return(
                    actor=user, milestone=milestone, reason=request.POST.get("reason", "")
                ),
                _("已退回拨付申请，申请人会收到原因。"),
            ),
        }
        action, success = actions[self.step]
        _run(request, action, success)
        return HttpResponseRedirect(reverse("challenges:award-detail", args=[milestone.award.code]))
