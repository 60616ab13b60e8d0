"""Sign in, sign out, profile and choosing the organization one acts for."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View
from django.views.generic import TemplateView

from kechuang.core.masking import mask_phone

from .forms import LoginForm, OrganizationSwitchForm
from .middleware import SESSION_KEY
from .selectors import memberships_of

LOCKOUT_MESSAGE = _lazy("登录失败次数过多，该账号在此地址暂时锁定，请 5 分钟后再试。")


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    """Shown when axes refuses an attempt (docs/reliability.md A2). The same words for any username, so the
    page never tells whether an account exists. axes calls it as (request, original_response,
    credentials); the API gets JSON, pages get the sign-in form."""
    message = str(LOCKOUT_MESSAGE)
    if request.path.startswith("/api/"):
        from django.http import JsonResponse

        return JsonResponse({"detail": message}, status=429)
    form = LoginForm(request)
    return render(request, "accounts/login.html", {"form": form, "lockout_message": message}, status=429)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """POST only; flushes the server-side session (docs/reliability.md A3)."""


class ProfileView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/profile.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["memberships"] = memberships_of(user)
        context["masked_phone"] = mask_phone(getattr(user, "phone", ""))
        context["roles"] = sorted(user.roles)  # type: ignore[union-attr]
        return context


class OrganizationSwitchView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        form = OrganizationSwitchForm(request.POST)
        allowed = {m.organization_id: m.organization for m in memberships_of(request.user)}
        if form.is_valid() and form.cleaned_data["organization"] in allowed:
            organization = allowed[form.cleaned_data["organization"]]
            request.session[SESSION_KEY] = organization.pk
            messages.success(request, _("已切换为代表 %(name)s 办理业务。") % {"name": organization.name})
        else:
            messages.error(request, _("您不是该机构的成员，无法切换。"))
        target = request.POST.get("next") or reverse("accounts:profile")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("accounts:profile")
        return HttpResponseRedirect(target)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form: Any) -> HttpResponse:
        from kechuang.core import audit

        response = super().form_valid(form)
        audit.record("user.password_change", actor=self.request.user, obj=self.request.user)
        messages.success(self.request, _("密码已修改。"))
        return response
