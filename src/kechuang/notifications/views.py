"""Notification list, opening one (marks it read and follows its link), and marking all read."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView

from . import services
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
