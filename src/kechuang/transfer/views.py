"""Transfer pages: listings (lists, details, forms, workflow), attachments, interest, search, matching
board, deals (board and detail) and contract registration. Views validate input and call one service;
reads go through selectors and the visibility querysets."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Q, When
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from kechuang.core import audit, exporting
from kechuang.core.figures import cached_figures
from kechuang.core.money import format_range, format_wan, wan_from_fen
from kechuang.core.uploads import attachment_response
from kechuang.core.web import KeptPaginator, attach_errors, error_text, query_without_page
from kechuang.directory.permissions import member_organization_ids

from . import exports, selectors, services
from .choices import DealStage, InterestStatus
from .filters import AchievementFilter, DemandFilter
from .forms import (
    AchievementForm,
    AttachmentForm,
    ContractForm,
    DealAdvanceForm,
    DealNoteForm,
    DealUpdateForm,
    DemandForm,
    InterestForm,
    RespondForm,
    ReviewForm,
    TransitionForm,
)
from .models import Achievement, Demand
from .permissions import (
    achievement_visible_to,
    attachment_visible_to,
    can_advance_deal,
    can_change_listing,
    can_create_achievement,
    can_create_demand,
    can_express_interest,
    can_note_deal,
    can_register_contract,
    can_review_listing,
    can_view_contact,
    can_view_deal_board,
    can_view_matching_board,
    can_view_review_queue,
    deal_visible_to,
    demand_visible_to,
    interest_visible_to,
    is_member_of,
    listing_is_open,
)
from .workflow import ACHIEVEMENT_TRANSITIONS, DEAL_TRANSITIONS, DEMAND_TRANSITIONS, actions_for

PAGE_SIZE = 20


FORM_FIELDS = {
    "asking_price_fen": "asking_price_wan",
    "budget_min_fen": "budget_min_wan",
    "budget_max_fen": "budget_max_wan",
    "contract_amount_fen": "contract_amount_wan",
    "technology_amount_fen": "technology_amount_wan",
    "expected_amount_fen": "expected_amount_wan",
}
"""A service's field names in fen → the form's fields in 万元."""


def _flash_error(request: HttpRequest, error: ValidationError | PermissionDenied) -> None:
    messages.error(request, error_text(error))


class Kind:
    """What differs between the achievement pages and the demand pages."""

    def __init__(
        self,
        *,
        model: type,
        name: str,
        label: str,
        form: type,
        filterset: type,
        visible: Any,
        transitions: dict[Any, Any],
        can_create: Any,
    ) -> None:
        self.model, self.name, self.label, self.form, self.filterset = model, name, label, form, filterset
        self.visible, self.transitions, self.can_create = visible, transitions, can_create

    def url(self, view: str, *args: Any) -> str:
        return reverse(f"transfer:{self.name}-{view}", args=args)


ACHIEVEMENTS = Kind(
    model=Achievement,
    name="achievement",
    label="科技成果",
    form=AchievementForm,
    filterset=AchievementFilter,
    visible=achievement_visible_to,
    transitions=ACHIEVEMENT_TRANSITIONS,
    can_create=can_create_achievement,
)
DEMANDS = Kind(
    model=Demand,
    name="demand",
    label="技术需求",
    form=DemandForm,
    filterset=DemandFilter,
    visible=demand_visible_to,
    transitions=DEMAND_TRANSITIONS,
    can_create=can_create_demand,
)


def _get_listing(kind: Kind, request: HttpRequest, code: str) -> Any:
    listing = (
        kind.visible(request.user)
        .select_related("organization", "organization__park")
        .filter(code=code)
        .first()
    )
    if listing is None:
        raise Http404
    return listing


class ListingListView(TemplateView):
    kind: Kind = ACHIEVEMENTS

    def get_template_names(self) -> list[str]:
        if getattr(self.request, "htmx", False) and not self.request.htmx.boosted:  # type: ignore[attr-defined]
            return [f"transfer/partials/{self.kind.name}_rows.html"]
        return [f"transfer/{self.kind.name}_list.html"]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        base = self.kind.visible(user).select_related("organization").prefetch_related("fields")
        params = self.request.GET.copy()
        if not params.get("status") and not params.get("mine"):
            # the public list shows published listings; owners find drafts under 我的发布
            public = [s for s in ("published", "negotiating", "transferred", "solved")]
            base = base.filter(status__in=public)
        filterset = self.kind.filterset(params or None, queryset=base, request=self.request)
        if filterset.is_bound and filterset.is_valid():
            qs = filterset.qs
        else:
            qs = base.order_by("-published_at", "-updated_at", "-id")
        paginator = KeptPaginator(qs, PAGE_SIZE)
        page = paginator.get_page(self.request.GET.get("page"))
        context.update(
            filter=filterset,
            page=page,
            total=paginator.count,
            kind=self.kind,
            can_create=bool(self.kind.can_create(user)),
            query_string=query_without_page(self.request),
            search_capped=getattr(filterset, "search_capped", 0),
        )
        return context


class AchievementListView(ListingListView):
    kind = ACHIEVEMENTS


class DemandListView(ListingListView):
    kind = DEMANDS


class ListingExportView(LoginRequiredMixin, View):
    """CSV of the listings the user may see under the current filters (formula-safe cells, audited),
    built by the task worker (``exports``; docs/adr/0027): this view starts it and shows its page."""

    kind: Kind = ACHIEVEMENTS

    def get(self, request: HttpRequest) -> HttpResponse:
        builder = exports.achievements_csv if self.kind is ACHIEVEMENTS else exports.demands_csv
        return exporting.start(request, builder, params=exporting.params_of(request.GET))


class AchievementExportView(ListingExportView):
    kind = ACHIEVEMENTS


class DemandExportView(ListingExportView):
    kind = DEMANDS


def _mode_labels(values: list[str]) -> list[str]:
    from .choices import CooperationMode

    labels = dict(CooperationMode.choices)
    return [str(labels.get(v, v)) for v in values or []]


class ListingDetailView(TemplateView):
    kind: Kind = ACHIEVEMENTS

    def get_template_names(self) -> list[str]:
        return [f"transfer/{self.kind.name}_detail.html"]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        request, user = self.request, self.request.user
        listing = _get_listing(self.kind, request, kwargs["code"])
        is_owner = is_member_of(user, listing.organization_id)
        operator = bool(can_review_listing(user))
        actions = [
            t
            for t in actions_for(
                self.kind.transitions, listing.status, is_owner=is_owner, is_operator=operator
            )
            if t.action not in ("publish", "return")
        ]
        attachments = list(attachment_visible_to(user).filter(**{self.kind.name: listing}))
        acting = getattr(request, "acting_organization", None)
        interest_q = {self.kind.name: listing}
        my_interest = None
        if acting is not None and not is_owner:
            my_interest = (
                interest_visible_to(user)
                .filter(
                    organization=acting,
                    status__in=[InterestStatus.PENDING, InterestStatus.ACCEPTED],
                    **interest_q,
                )
                .first()
            )
        received = []
        if is_owner or operator:
            received = list(
                interest_visible_to(user).filter(**interest_q).select_related("organization", "created_by")
            )
        context.update(
            listing=listing,
            kind=self.kind,
            fields=list(listing.fields.all()),
            is_owner=is_owner,
            is_operator=operator,
            can_edit=can_change_listing.test(user, listing),
            actions=actions,
            can_review=operator and listing.status == "submitted",
            show_contact=can_view_contact(user, listing),
            attachments=attachments,
            attachment_form=AttachmentForm() if (is_owner or operator) else None,
            can_interest=bool(
                user.is_authenticated
                and can_express_interest(user)
                and acting is not None
                and not is_owner
                and listing_is_open(listing)
                and my_interest is None
            ),
            interest_form=InterestForm(initial={"contact_name": getattr(user, "display_name", "")}),
            my_interest=my_interest,
            received_interests=received,
            review_form=ReviewForm(),
            modes=_mode_labels(
                listing.transfer_modes if self.kind is ACHIEVEMENTS else listing.cooperation_modes
            ),
        )
        if self.kind is ACHIEVEMENTS:
            context["price"] = format_wan(listing.asking_price_fen)
            if is_owner or operator:
                context["recommendations"] = selectors.achievement_recommendations(
                    actor=user, achievement=listing
                )
        else:
            context["budget"] = format_range(listing.budget_min_fen, listing.budget_max_fen)
            if user.is_authenticated:
                context["recommendations"] = selectors.demand_recommendations(actor=user, demand=listing)
        return context


class AchievementDetailView(ListingDetailView):
    kind = ACHIEVEMENTS


class DemandDetailView(ListingDetailView):
    kind = DEMANDS


class ListingCreateView(LoginRequiredMixin, View):
    kind: Kind = ACHIEVEMENTS

    def _template(self) -> str:
        return "transfer/listing_form.html"

    def _check(self, request: HttpRequest) -> Any:
        if not self.kind.can_create(request.user):
            raise PermissionDenied
        organization = getattr(request, "acting_organization", None)
        if organization is None:
            raise PermissionDenied(_("请先选择您所代表的机构。"))
        return organization

    def get(self, request: HttpRequest) -> HttpResponse:
        organization = self._check(request)
        form = self.kind.form(
            initial={"contact_name": organization.contact_name, "contact_phone": organization.contact_phone}
        )
        return render(request, self._template(), {"form": form, "kind": self.kind, "creating": True})

    def post(self, request: HttpRequest) -> HttpResponse:
        organization = self._check(request)
        form = self.kind.form(request.POST)
        if form.is_valid():
            create = services.achievement_create if self.kind is ACHIEVEMENTS else services.demand_create
            try:
                listing = create(actor=request.user, organization=organization, **form.service_data())
                if request.POST.get("submit_now"):
                    transition = (
                        services.achievement_submit if self.kind is ACHIEVEMENTS else services.demand_submit
                    )
                    transition(actor=request.user, **{self.kind.name: listing})
            except ValidationError as error:
                attach_errors(form, error, FORM_FIELDS)
            else:
                messages.success(request, _("已保存“%(t)s”。") % {"t": listing.title})
                return HttpResponseRedirect(self.kind.url("detail", listing.code))
        return render(
            request, self._template(), {"form": form, "kind": self.kind, "creating": True}, status=400
        )


class AchievementCreateView(ListingCreateView):
    kind = ACHIEVEMENTS


class DemandCreateView(ListingCreateView):
    kind = DEMANDS


class ListingUpdateView(LoginRequiredMixin, View):
    kind: Kind = ACHIEVEMENTS

    def _get(self, request: HttpRequest, code: str) -> Any:
        listing = _get_listing(self.kind, request, code)
        if not can_change_listing.test(request.user, listing):
            raise PermissionDenied
        return listing

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        listing = self._get(request, code)
        form = self.kind.form(instance=listing)
        return render(
            request, "transfer/listing_form.html", {"form": form, "kind": self.kind, "listing": listing}
        )

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        listing = self._get(request, code)
        form = self.kind.form(request.POST, instance=self.kind.model.objects.get(pk=listing.pk))
        if form.is_valid():
            update = services.achievement_update if self.kind is ACHIEVEMENTS else services.demand_update
            try:
                update(actor=request.user, **{self.kind.name: listing}, **form.service_data())
            except ValidationError as error:
                attach_errors(form, error, FORM_FIELDS)
            else:
                messages.success(request, _("已保存。"))
                return HttpResponseRedirect(self.kind.url("detail", listing.code))
        return render(
            request,
            "transfer/listing_form.html",
            {"form": form, "kind": self.kind, "listing": listing},
            status=400,
        )


class AchievementUpdateView(ListingUpdateView):
    kind = ACHIEVEMENTS


class DemandUpdateView(ListingUpdateView):
    kind = DEMANDS


class ListingTransitionView(LoginRequiredMixin, View):
    kind: Kind = ACHIEVEMENTS

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        listing = _get_listing(self.kind, request, code)
        form = TransitionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请求无效。"))
            return HttpResponseRedirect(self.kind.url("detail", code))
        transition = (
            services.achievement_transition if self.kind is ACHIEVEMENTS else services.demand_transition
        )
        try:
            updated = transition(
                actor=request.user,
                **{self.kind.name: listing},
                target=form.cleaned_data["target"],
                note=form.cleaned_data["note"],
            )
        except (ValidationError, PermissionDenied) as error:
            _flash_error(request, error)
        else:
            messages.success(request, _("状态已更新为“%(s)s”。") % {"s": updated.get_status_display()})
        if not self.kind.visible(request.user).filter(pk=listing.pk).exists():
            return HttpResponseRedirect(reverse("transfer:my-listings"))
        return HttpResponseRedirect(self.kind.url("detail", code))


class AchievementTransitionView(ListingTransitionView):
    kind = ACHIEVEMENTS


class DemandTransitionView(ListingTransitionView):
    kind = DEMANDS


class ListingReviewView(LoginRequiredMixin, View):
    kind: Kind = ACHIEVEMENTS

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        if not can_review_listing(request.user):
            raise PermissionDenied
        listing = _get_listing(self.kind, request, code)
        form = ReviewForm(request.POST)
        if not form.is_valid():
            messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
            return HttpResponseRedirect(self.kind.url("detail", code))
        review = services.achievement_review if self.kind is ACHIEVEMENTS else services.demand_review
        try:
            review(
                actor=request.user,
                **{self.kind.name: listing},
                approve=form.cleaned_data["decision"] == "approve",
                note=form.cleaned_data["note"],
            )
        except (ValidationError, PermissionDenied) as error:
            _flash_error(request, error)
        else:
            messages.success(request, _("审核完成。"))
        next_url = request.POST.get("next")
        if next_url == "queue":
            return HttpResponseRedirect(reverse("transfer:review-queue"))
        return HttpResponseRedirect(self.kind.url("detail", code))


class AchievementReviewView(ListingReviewView):
    kind = ACHIEVEMENTS


class DemandReviewView(ListingReviewView):
    kind = DEMANDS


class AttachmentUploadView(LoginRequiredMixin, View):
    kind: Kind = ACHIEVEMENTS

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        listing = _get_listing(self.kind, request, code)
        if not (is_member_of(request.user, listing.organization_id) or can_review_listing(request.user)):
            raise PermissionDenied
        form = AttachmentForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.attachment_add(
                    actor=request.user,
                    listing=listing,
                    file=form.cleaned_data["file"],
                    access=form.cleaned_data["access"],
                )
            except ValidationError as error:
                messages.error(request, _("附件未上传：%(m)s") % {"m": "；".join(error.messages)})
            else:
                messages.success(request, _("附件已上传。"))
        else:
            messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
        return HttpResponseRedirect(self.kind.url("detail", code))


class AchievementAttachmentUploadView(AttachmentUploadView):
    kind = ACHIEVEMENTS


class DemandAttachmentUploadView(AttachmentUploadView):
    kind = DEMANDS


class AttachmentDownloadView(View):
    """The only way to a stored file: access-checked, served as a download (docs/reliability.md K3)."""

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        attachment = attachment_visible_to(request.user).filter(token=token).first()
        if attachment is None:
            raise Http404
        audit.record("attachment.download", actor=request.user, obj=attachment)
        return attachment_response(
            attachment.file, filename=attachment.original_name, content_type=attachment.content_type
        )


class AttachmentDeleteView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        attachment = attachment_visible_to(request.user).filter(token=token).first()
        if attachment is None:
            raise Http404
        listing = attachment.listing
        kind = ACHIEVEMENTS if isinstance(listing, Achievement) else DEMANDS
        try:
            services.attachment_remove(actor=request.user, attachment=attachment)
        except PermissionDenied:
            raise
        messages.success(request, _("附件已删除。"))
        return HttpResponseRedirect(kind.url("detail", listing.code))


class InterestCreateView(LoginRequiredMixin, View):
    kind: Kind = ACHIEVEMENTS

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        listing = _get_listing(self.kind, request, code)
        if not can_express_interest(request.user):
            raise PermissionDenied
        form = InterestForm(request.POST)
        if form.is_valid():
            try:
                services.interest_express(
                    actor=request.user,
                    listing=listing,
                    organization=getattr(request, "acting_organization", None),
                    **form.cleaned_data,
                )
            except (ValidationError, PermissionDenied) as error:
                _flash_error(request, error)
            else:
                messages.success(request, _("意向已发送，对方接受后您将看到联系方式。"))
        else:
            messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
        return HttpResponseRedirect(self.kind.url("detail", code))


class AchievementInterestView(InterestCreateView):
    kind = ACHIEVEMENTS


class DemandInterestView(InterestCreateView):
    kind = DEMANDS


class MyListingsView(LoginRequiredMixin, TemplateView):
    template_name = "transfer/my_listings.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        orgs = member_organization_ids(user)
        context.update(
            achievements=list(
                Achievement.objects.filter(organization_id__in=orgs)
                .select_related("organization")
                .order_by("-updated_at", "-id")[:200]
            ),
            demands=list(
                Demand.objects.filter(organization_id__in=orgs)
                .select_related("organization")
                .order_by("-updated_at", "-id")[:200]
            ),
            can_create_achievement=bool(can_create_achievement(user)),
            can_create_demand=bool(can_create_demand(user)),
        )
        return context


class ReviewQueueView(LoginRequiredMixin, TemplateView):
    template_name = "transfer/review_queue.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not can_view_review_queue(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        show_all = self.request.GET.get("all") == "1"
        limit = selectors.REVIEW_QUEUE_MAX if show_all else selectors.REVIEW_QUEUE_SHOWN
        context.update(selectors.review_queue(limit=limit), show_all=show_all)
        return context


class SearchView(TemplateView):
    template_name = "transfer/search.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        query = (self.request.GET.get("q") or "").replace("\x00", "").strip()[:200]
        kind = self.request.GET.get("kind") or ""
        known = selectors.search_kinds()
        kinds = [kind] if kind in known else None
        result = selectors.search_page(
            actor=self.request.user, query=query, kinds=kinds, page=self.request.GET.get("page") or 1
        )
        context.update(
            query=query,
            kind=kind,
            results=result.matches,
            search=result,
            page=result.page,
            kinds=known,
            query_string=query_without_page(self.request),
        )
        return context


class DemandMatchesView(LoginRequiredMixin, TemplateView):
    """All recommended achievements for a demand, paged (docs/adr/0020-calibrated-matching.md)."""

    template_name = "transfer/demand_matches.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        demand = _get_listing(DEMANDS, self.request, kwargs["code"])
        page = selectors.demand_recommendation_page(
            actor=self.request.user, demand=demand, page=self.request.GET.get("page") or 1
        )
        context.update(
            demand=demand, page=page, matches=list(page), query_string=query_without_page(self.request)
        )
        return context


class MatchingBoardView(LoginRequiredMixin, TemplateView):
    template_name = "transfer/matching_board.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not can_view_matching_board(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from . import matching

        context = super().get_context_data(**kwargs)
        try:
            days = max(1, min(365, int(self.request.GET.get("days") or 30)))
        except ValueError:
            days = 30
        try:
            page = max(1, min(10_000, int(self.request.GET.get("page") or 1)))
        except ValueError:
            page = 1
        index = matching.index_status()  # brings this process's engine up to the stored version
        context.update(
            board=matching_board_html(self.request, days, index["version"], page=page),
            days=days,
            index=index,
        )
        return context


CSRF_PLACEHOLDER = "kc-csrf-placeholder"


def matching_board_html(request: HttpRequest, days: int, version: int | None = None, *, page: int = 1) -> str:
    """The board's rows, a page of ten demands (``page``) with the pager, rendered once per engine version,
    data generation, viewer and language and kept in the shared cache: ten demands' recommendations cost
    the engine, a dozen queries and a large template, and the first visits after a change arrive
    together (docs/adr/0029-page-speed.md). Several
    requests that miss at once wait for the one that computes (``cached_figures``). The rows' forms carry
    this request's CSRF token, put in after the cache. ``version``: the index version this process's
    engine was just brought to (``index_status``), saving a second read of it."""
    from . import matching

    user = request.user
    viewer = matching.Viewer.of(user)
    key = ":".join(
        [
            "transfer:matching-board",
            str(days),
            str(page),
            str(matching.current_version() if version is None else version),
            f"{int(viewer.signed_in)}{int(viewer.operator)}",
            ",".join(str(pk) for pk in sorted(viewer.organizations)),
            get_language() or "-",
        ]
    )

    def render() -> str:
        total = selectors.matching_board_demands(actor=user, days=days).count()
        shown = Paginator(range(total), selectors.BOARD_PAGE).get_page(page)  # past the last: the last
        rows = selectors.matching_board(actor=user, days=days, offset=shown.start_index() - 1 if total else 0)
        return str(
            render_to_string(
                "transfer/partials/matching_rows.html",
                {
                    "rows": rows,
                    "csrf_token": CSRF_PLACEHOLDER,
                    "total": total,
                    "page": shown,
                    "query_string": f"days={days}",
                },
            )
        )

    html = cached_figures(key, render)
    # our own template, escaped when it was rendered
    return mark_safe(html.replace(CSRF_PLACEHOLDER, get_token(request)))


INBOX_LIMIT = 30


class InterestInboxView(LoginRequiredMixin, TemplateView):
    template_name = "transfer/interest_inbox.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        orgs = member_organization_ids(user)
        qs = selectors.interest_list(actor=user)
        received = qs.filter(Q(achievement__organization_id__in=orgs) | Q(demand__organization_id__in=orgs))
        sent = qs.filter(organization_id__in=orgs)
        # pending interests first (they wait for an answer), then the latest; each column shows its total
        order = (Case(When(status=InterestStatus.PENDING, then=0), default=1), "-created_at", "-id")
        context.update(
            received=list(received.order_by(*order)[:INBOX_LIMIT]),
            sent=list(sent.order_by(*order)[:INBOX_LIMIT]),
            received_total=received.count(),
            sent_total=sent.count(),
            inbox_limit=INBOX_LIMIT,
        )
        return context


class InterestRespondView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        interest = interest_visible_to(request.user).filter(code=code).first()
        if interest is None:
            raise Http404
        form = RespondForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请求无效。"))
            return HttpResponseRedirect(reverse("transfer:interest-inbox"))
        try:
            if form.cleaned_data["decision"] == "accept":
                services.interest_accept(
                    actor=request.user, interest=interest, note=form.cleaned_data["note"]
                )
                messages.success(request, _("已接受意向，对方现在可以看到您的联系方式，对接项目已建立。"))
            else:
                services.interest_decline(
                    actor=request.user, interest=interest, note=form.cleaned_data["note"]
                )
                messages.success(request, _("已婉拒。"))
        except PermissionDenied:
            raise
        except ValidationError as error:
            _flash_error(request, error)
        return HttpResponseRedirect(
            (request.POST.get("back") == "listing" and _listing_url(interest))
            or reverse("transfer:interest-inbox")
        )


def _listing_url(interest: Any) -> str:
    listing = interest.listing
    kind = ACHIEVEMENTS if isinstance(listing, Achievement) else DEMANDS
    return kind.url("detail", listing.code)


class InterestWithdrawView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        interest = interest_visible_to(request.user).filter(code=code).first()
        if interest is None:
            raise Http404
        try:
            services.interest_withdraw(actor=request.user, interest=interest)
        except PermissionDenied:
            raise
        except ValidationError as error:
            _flash_error(request, error)
        else:
            messages.success(request, _("已撤回意向。"))
        return HttpResponseRedirect(reverse("transfer:interest-inbox"))


class DealBoardView(LoginRequiredMixin, TemplateView):
    template_name = "transfer/deal_board.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not can_view_deal_board(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_template_names(self) -> list[str]:
        if getattr(self.request, "htmx", False):
            return ["transfer/partials/deal_columns.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            columns=selectors.deal_board(
                actor=user,
                filters={"mine": self.request.GET.get("mine")},
                expand=self.request.GET.get("column") or None,
            ),
            can_move=bool(can_advance_deal(user)),
            mine=bool(self.request.GET.get("mine")),
        )
        return context


def _get_deal(request: HttpRequest, code: str) -> Any:
    deal = (
        deal_visible_to(request.user)
        .select_related("supplier", "buyer", "owner", "achievement", "demand", "interest")
        .filter(code=code)
        .first()
    )
    if deal is None:
        raise Http404
    return deal


class DealDetailView(LoginRequiredMixin, TemplateView):
    template_name = "transfer/deal_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        deal = _get_deal(self.request, kwargs["code"])
        moves = [t for (s, _t), t in DEAL_TRANSITIONS.items() if s == deal.stage]
        context.update(
            deal=deal,
            notes=list(deal.notes.select_related("author")[:100]),
            contracts=list(deal.contracts.select_related("seller", "buyer")),
            can_move=bool(can_advance_deal.test(user, deal)),
            can_note=bool(can_note_deal.test(user, deal)),
            moves=moves,
            advance_form=DealAdvanceForm(initial={"next_step": deal.next_step}),
            note_form=DealNoteForm(),
            update_form=DealUpdateForm(
                initial={
                    "owner": deal.owner_id,
                    "next_step": deal.next_step,
                    "next_step_due": deal.next_step_due,
                }
            ),
            can_register=bool(can_register_contract(user))
            and deal.stage
            in (DealStage.SIGNED, DealStage.REGISTERED, DealStage.IMPLEMENTING, DealStage.ACCEPTED),
            expected=format_wan(deal.expected_amount_fen, empty="—"),
            expected_wan=wan_from_fen(deal.expected_amount_fen),
            achievement_visible=deal.achievement_id is not None
            and achievement_visible_to(user).filter(pk=deal.achievement_id).exists(),
            demand_visible=deal.demand_id is not None
            and demand_visible_to(user).filter(pk=deal.demand_id).exists(),
        )
        return context


class DealAdvanceView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        deal = _get_deal(request, code)
        if not can_advance_deal.test(request.user, deal):
            raise PermissionDenied
        form = DealAdvanceForm(request.POST)
        error_text = ""
        if form.is_valid():
            try:
                services.deal_advance(
                    actor=request.user,
                    deal=deal,
                    stage=form.cleaned_data["stage"],
                    note=form.cleaned_data["note"],
                    next_step=form.cleaned_data["next_step"] or None,
                    next_step_due=form.cleaned_data["next_step_due"],
                )
            except ValidationError as error:
                error_text = "；".join(error.messages)
        else:
            error_text = _("请求无效。")
        if getattr(request, "htmx", False) and request.POST.get("from") == "board":
            context = {
                "columns": selectors.deal_board(actor=request.user),
                "can_move": True,
                "board_error": error_text,
            }
            return render(request, "transfer/partials/deal_columns.html", context)
        if error_text:
            messages.error(request, error_text)
        else:
            messages.success(request, _("对接阶段已更新。"))
        return HttpResponseRedirect(reverse("transfer:deal-detail", args=[code]))


class DealNoteView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        deal = _get_deal(request, code)
        if not can_note_deal.test(request.user, deal):
            raise PermissionDenied
        form = DealNoteForm(request.POST)
        if form.is_valid():
            try:
                services.deal_note_add(actor=request.user, deal=deal, text=form.cleaned_data["text"])
            except ValidationError as error:
                _flash_error(request, error)
        else:
            messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
        return HttpResponseRedirect(reverse("transfer:deal-detail", args=[code]))


class DealUpdateView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        deal = _get_deal(request, code)
        if not can_advance_deal.test(request.user, deal):
            raise PermissionDenied
        form = DealUpdateForm(request.POST)
        if form.is_valid():
            try:
                services.deal_update(actor=request.user, deal=deal, **form.service_data())
            except ValidationError as error:
                _flash_error(request, error)
            else:
                messages.success(request, _("已保存。"))
        else:
            messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
        return HttpResponseRedirect(reverse("transfer:deal-detail", args=[code]))


class DealCreateView(LoginRequiredMixin, View):
    """An operator opens a deal from a demand–achievement pair (matching board)."""

    def post(self, request: HttpRequest) -> HttpResponse:
        from .permissions import can_create_deal

        if not can_create_deal(request.user):
            raise PermissionDenied
        demand = demand_visible_to(request.user).filter(code=request.POST.get("demand", "")).first()
        achievement = (
            achievement_visible_to(request.user).filter(code=request.POST.get("achievement", "")).first()
        )
        if demand is None or achievement is None:
            raise Http404
        try:
            deal = services.deal_create(
                actor=request.user,
                title=f"{achievement.title} × {demand.organization.name}",
                supplier=achievement.organization,
                buyer=demand.organization,
                achievement=achievement,
                demand=demand,
                next_step=_("联系双方，安排首次洽谈"),
            )
        except ValidationError as error:
            _flash_error(request, error)
            return HttpResponseRedirect(reverse("transfer:matching-board"))
        messages.success(request, _("已建立对接项目 %(c)s。") % {"c": deal.code})
        return HttpResponseRedirect(reverse("transfer:deal-detail", args=[deal.code]))


class ContractCreateView(LoginRequiredMixin, View):
    template_name = "transfer/contract_form.html"

    def _deal(self, request: HttpRequest) -> Any:
        code = request.GET.get("deal") or request.POST.get("deal") or ""
        return (
            deal_visible_to(request.user).select_related("supplier", "buyer").filter(code=code).first()
            if code
            else None
        )

    def _check(self, request: HttpRequest) -> None:
        if not can_register_contract(request.user):
            raise PermissionDenied

    def get(self, request: HttpRequest) -> HttpResponse:
        self._check(request)
        deal = self._deal(request)
        initial: dict[str, Any] = {"signed_on": timezone.localdate()}
        if deal is not None:
            initial.update(
                seller=deal.supplier_id,
                buyer=deal.buyer_id,
                title=deal.title,
                contract_type="transfer" if deal.achievement_id else "development",
            )
        return render(request, self.template_name, {"form": ContractForm(initial=initial), "deal": deal})

    def post(self, request: HttpRequest) -> HttpResponse:
        self._check(request)
        deal = self._deal(request)
        form = ContractForm(request.POST)
        if form.is_valid():
            try:
                contract = services.contract_register(actor=request.user, deal=deal, **form.service_data())
            except ValidationError as error:
                attach_errors(form, error, FORM_FIELDS)
            else:
                messages.success(
                    request, _("技术合同已登记，登记号 %(n)s。") % {"n": contract.registration_number}
                )
                if deal is not None:
                    return HttpResponseRedirect(reverse("transfer:deal-detail", args=[deal.code]))
                return HttpResponseRedirect(reverse("transfer:contract-list"))
        return render(request, self.template_name, {"form": form, "deal": deal}, status=400)


class ContractListView(LoginRequiredMixin, TemplateView):
    template_name = "transfer/contract_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from django.db.models import Sum

        context = super().get_context_data(**kwargs)
        qs = selectors.contract_list(actor=self.request.user)
        page = Paginator(qs, 50).get_page(self.request.GET.get("page"))
        totals = qs.aggregate(contract=Sum("contract_amount_fen"), technology=Sum("technology_amount_fen"))
        context.update(
            page=page,
            total_contract=format_wan(totals["contract"] or 0, empty="0"),
            total_technology=format_wan(totals["technology"] or 0, empty="0"),
            can_register=bool(can_register_contract(self.request.user)),
        )
        return context
