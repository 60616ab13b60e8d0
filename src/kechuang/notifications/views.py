"""Notification list, opening one (marks it read and follows its link), marking all read; a user's own
notification settings; the operators' work-chat robots and the state of deliveries; the language
switch, which also remembers the language for the user's notifications."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView
from django.views.i18n import set_language

from kechuang.core.web import attach_errors

from . import kinds, services
from .choices import DeliveryStatus
from .delivery import status_counts
from .forms import NotificationSettingsForm, WebhookTargetForm
from .models import Delivery, DigestEmail, NotificationSettings, WebhookTarget
from .permissions import can_manage_webhooks
from .selectors import notification_visible_to


class NotificationListView(LoginRequiredMixin, TemplateView):
    template_name = "notifications/notification_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        qs = notification_visible_to(self.request.user)
        if self.request.GET.get("unread"):
            qs = qs.filter(read_at__isnull=True)
        page = Paginator(qs, 30).get_page(self.request.GET.get("page"))
        context.update(page=page, unread_only=bool(self.request.GET.get("unread")))
        return context


class NotificationOpenView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        notification = get_object_or_404(notification_visible_to(request.user), pk=pk)
        services.notification_mark_read(actor=request.user, notification=notification)
        target = notification.url
        if not target or not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = reverse("notifications:notification-list")
        return HttpResponseRedirect(target)


class NotificationReadAllView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        services.notification_mark_all_read(actor=request.user)
        return HttpResponseRedirect(reverse("notifications:notification-list"))


# --- a user's own settings ---------------------------------------------------------------------------


class NotificationSettingsView(LoginRequiredMixin, View):
    template_name = "notifications/settings.html"

    def _state(self, request: HttpRequest) -> dict[str, Any]:
        user = request.user
        row = NotificationSettings.objects.filter(user=user).select_related("webhook_target").first()
        target = row.webhook_target if row is not None else None
        return {
            "row": row,
            "current": {g.key: kinds.choice(row.channels if row else None, g) for g in kinds.ALL_GROUPS},
            "email_configured": bool(settings.NOTIFICATIONS_EMAIL),
            "email": getattr(user, "email", ""),
            "target": target,
            "language": services.language_of(row),
            "groups": kinds.groups_for(getattr(user, "roles", frozenset())),
            "email_possible": bool(settings.NOTIFICATIONS_EMAIL) and bool(getattr(user, "email", "")),
            "webhook_possible": target is not None and target.is_active,
        }

    def _form(self, state: dict[str, Any], data: Any = None) -> NotificationSettingsForm:
        return NotificationSettingsForm(
            data,
            initial={"language": state["language"]},
            current=state["current"],
            groups=state["groups"],
            email_possible=state["email_possible"],
            webhook_possible=state["webhook_possible"],
        )

    def _render(
        self, request: HttpRequest, state: dict[str, Any], form: Any, status: int = 200
    ) -> HttpResponse:
        context = {
            **state,
            "form": form,
            "can_manage_webhooks": can_manage_webhooks(request.user),
            "digest_today": DigestEmail.objects.filter(user=request.user).order_by("-day").first(),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        state = self._state(request)
        return self._render(request, state, self._form(state))

    def post(self, request: HttpRequest) -> HttpResponse:
        state = self._state(request)
        form = self._form(state, request.POST)
        if form.is_valid():
            try:
                services.notification_settings_set(
                    actor=request.user, language=form.cleaned_data["language"], channels=form.channels()
                )
            except ValidationError as error:
                attach_errors(form, error)
            else:
                messages.success(request, _("通知设置已保存。"))
                return HttpResponseRedirect(reverse("notifications:settings"))
        return self._render(request, state, form, status=400)


class LanguageSetView(View):
    """Django's language switch (``set_language``), which also remembers a signed-in user's choice
    as the language their notifications are written in."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return set_language(request)

    def post(self, request: HttpRequest) -> HttpResponse:
        response = set_language(request)
        language = request.POST.get("language", "")
        if getattr(request.user, "is_authenticated", False) and language in {
            c for c, _n in settings.LANGUAGES
        }:
            services.notification_language_set(actor=request.user, language=language)
        return response


# --- operators: work-chat robots and deliveries --------------------------------------------------------


class OperatorMixin(LoginRequiredMixin):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and not can_manage_webhooks(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def _masked_url(url: str) -> str:
    """Scheme, host and path; the key or token in the query string shortened to its ends."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    query = parts.query
    if query:
        query = "?" + "&".join(
            f"{k}={v[:4]}…{v[-2:]}" if len(v) > 8 else f"{k}=…"
            for k, _sep, v in (item.partition("=") for item in query.split("&"))
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path}{query}"


class WebhookTargetListView(OperatorMixin, TemplateView):
    template_name = "notifications/webhook_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        targets = list(WebhookTarget.objects.order_by("name", "pk").prefetch_related("members__user"))
        for target in targets:
            target.masked_url = _masked_url(target.url)
        problems = (
            Delivery.objects.filter(status__in=[DeliveryStatus.RETRY, DeliveryStatus.FAILED])
            .select_related("notification__recipient", "target")
            .only(
                "channel",
                "status",
                "attempts",
                "next_attempt_at",
                "last_error",
                "created_at",
                "notification__kind",
                "notification__recipient__username",
                "notification__recipient__display_name",
                "target__name",
            )
            .order_by("-created_at", "-pk")[:30]
        )
        digest_problems = (
            DigestEmail.objects.filter(status__in=[DeliveryStatus.RETRY, DeliveryStatus.FAILED])
            .select_related("user")
            .order_by("-day", "-pk")[:10]
        )
        context.update(
            targets=targets,
            counts=status_counts(),
            problems=problems,
            digest_problems=digest_problems,
            email_configured=bool(settings.NOTIFICATIONS_EMAIL),
            allowed_hosts=settings.NOTIFICATIONS_WEBHOOK_HOSTS,
            site_url=settings.SITE_URL,
        )
        return context


class WebhookTargetFormView(OperatorMixin, View):
    template_name = "notifications/webhook_form.html"

    def _target(self, pk: int | None) -> WebhookTarget | None:
        return get_object_or_404(WebhookTarget, pk=pk) if pk is not None else None

    def _render(
        self, request: HttpRequest, target: WebhookTarget | None, form: Any, status: int = 200
    ) -> HttpResponse:
        context = {
            "form": form,
            "target": target,
            "masked_url": _masked_url(target.url) if target else "",
            "allowed_hosts": settings.NOTIFICATIONS_WEBHOOK_HOSTS,
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        target = self._target(pk)
        initial: dict[str, Any] = {"is_active": True}
        if target is not None:
            initial = {
                "name": target.name,
                "flavor": target.flavor,
                "message_format": target.message_format,
                "is_active": target.is_active,
                "members": [row.user_id for row in target.members.all()],
            }
        return self._render(request, target, WebhookTargetForm(initial=initial))

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        target = self._target(pk)
        form = WebhookTargetForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = services.webhook_target_save(
                    actor=request.user,
                    target=target,
                    name=data["name"],
                    flavor=data["flavor"],
                    message_format=data["message_format"],
                    url=data["url"],
                    secret=data["secret"],
                    clear_secret=data["clear_secret"],
                    is_active=data["is_active"],
                    members=list(data["members"]),
                )
            except ValidationError as error:
                attach_errors(form, error)
            else:
                messages.success(request, _("工作群机器人“%(name)s”已保存。") % {"name": saved.name})
                return HttpResponseRedirect(reverse("notifications:webhook-list"))
        return self._render(request, target, form, status=400)


class WebhookTargetTestView(OperatorMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        target = get_object_or_404(WebhookTarget, pk=pk)
        error = services.webhook_target_test(actor=request.user, target=target)
        if error:
            messages.error(request, _("测试消息未送达：%(error)s") % {"error": error})
        else:
            messages.success(request, _("测试消息已送达“%(name)s”。") % {"name": target.name})
        return HttpResponseRedirect(reverse("notifications:webhook-list"))
