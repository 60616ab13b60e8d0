"""The one-POST-one-service action view (core.web.ActionView, ADR 0019): who may act, the form, the
service's refusal as a message with nothing written, and a posted ``next`` never followed blindly."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import RequestFactory

from kechuang.core.web import ActionView, safe_next


class _User:
    is_authenticated = True
    is_active = True
    pk = 1


class AmountForm(forms.Form):
    amount = forms.IntegerField(min_value=1)


class SetAmount(ActionView):
    """Sets ``amount`` on one of two objects; only object "mine" may be changed; over 100 is refused."""

    form_class = AmountForm
    denied_message = "不能修改别人的记录。"
    objects: dict[str, dict[str, Any]] = {}

    def get_object(self, request: Any, **kwargs: Any) -> Any:
        if kwargs["code"] not in self.objects:
            raise Http404
        return self.objects[kwargs["code"]]

    def allowed(self, request: Any, obj: Any) -> bool:
        return bool(obj["owner"] == request.user.pk)

    def perform(self, request: Any, obj: Any, data: dict[str, Any]) -> Any:
        if data["amount"] > 100:
            raise ValidationError({"amount": ["金额不能超过 100。"]})
        obj["amount"] = data["amount"]
        return obj

    def next_url(self, request: Any, obj: Any) -> str:
        return safe_next(request, ["/records/", f"/records/{obj['code']}/"], default="/records/")

    def message(self, obj: Any, result: Any) -> str:
        return f"已改为 {result['amount']}。"


def _post(
    data: dict[str, Any], code: str = "mine", user: Any = None
) -> tuple[Any, list[str], dict[str, Any]]:
    objects = {
        "mine": {"code": "mine", "owner": 1, "amount": 5},
        "theirs": {"code": "theirs", "owner": 2, "amount": 7},
    }
    request = RequestFactory().post(f"/records/{code}/set/", data)
    request.user = user or _User()
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    view = SetAmount.as_view(objects=objects)
    response = view(request, code=code)
    return response, [str(m) for m in get_messages(request)], objects


def test_the_service_runs_and_the_user_returns_with_a_success_message():
    response, texts, objects = _post({"amount": "42", "next": "/records/mine/"})
    assert response.status_code == 302 and response["Location"] == "/records/mine/"
    assert objects["mine"]["amount"] == 42
    assert texts == ["已改为 42。"]


def test_a_refusal_of_the_service_is_a_message_and_nothing_is_written():
    response, texts, objects = _post({"amount": "500"})
    assert response.status_code == 302
    assert objects["mine"]["amount"] == 5
    assert texts == ["金额不能超过 100。"]


def test_an_invalid_form_never_reaches_the_service():
    response, texts, objects = _post({"amount": "abc"})
    assert response.status_code == 302
    assert objects["mine"]["amount"] == 5
    assert len(texts) == 1 and texts[0]


def test_another_users_object_is_refused_with_the_views_reason():
    with pytest.raises(PermissionDenied, match="不能修改别人的记录"):
        _post({"amount": "3"}, code="theirs")


def test_an_object_the_user_cannot_see_is_not_found():
    with pytest.raises(Http404):
        _post({"amount": "3"}, code="nobody")


def test_a_posted_next_outside_the_allowed_pages_is_not_followed():
    response, _texts, _objects = _post({"amount": "3", "next": "https://elsewhere.example/phish"})
    assert response["Location"] == "/records/"


def test_anonymous_visitors_are_sent_to_sign_in():
    response, _texts, objects = _post({"amount": "3"}, user=AnonymousUser())
    assert response.status_code == 302 and "login" in response["Location"]
    assert objects["mine"]["amount"] == 5
