"""Token exchange: POST a username and password, get ``{"token": "..."}``. Lockout applies (A2)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from kechuang.core import audit


class TokenInput(serializers.Serializer):
    username = serializers.CharField(label=_("用户名"), max_length=150)
    password = serializers.CharField(
        label=_("密码"), max_length=256, trim_whitespace=False, style={"input_type": "password"}
    )


class TokenThrottle(AnonRateThrottle):
    scope = "token"


class TokenObtainView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [TokenThrottle]

    @extend_schema(
        request=TokenInput,
        # 400 (field errors, or "detail" for wrong credentials) and 429 are added to every operation by
        # kechuang.api.schema.add_error_responses.
        responses={200: inline_serializer("TokenOutput", {"token": serializers.CharField()})},
        auth=[],
        summary="用户名和密码换取令牌",
    )
    def post(self, request: Request) -> Response:
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if getattr(request._request, "axes_locked_out", False):
            # Answer here rather than rely on the middleware swapping the response (docs/reliability.md A2).
            from kechuang.accounts.views import LOCKOUT_MESSAGE

            return Response({"detail": str(LOCKOUT_MESSAGE)}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        if user is None or not user.is_active:
            return Response({"detail": str(_("用户名或密码不正确。"))}, status=status.HTTP_400_BAD_REQUEST)
        token, _created = Token.objects.get_or_create(user=user)
        audit.record("auth.token", actor=user, obj=user)
        return Response({"token": token.key})
