"""API authentication classes: DRF's, with the account rules of the web sign-in applied to tokens."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from kechuang.accounts.backends import demo_account_refused


class TokenAuthentication(authentication.TokenAuthentication):
    """A token of a demo account stops working when demo mode is off (docs/reliability.md A4)."""

    def authenticate_credentials(self, key: str) -> Any:
        user, token = super().authenticate_credentials(key)
        if demo_account_refused(user):
            raise exceptions.AuthenticationFailed(_("令牌无效。"))
        return user, token
