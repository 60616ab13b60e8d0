"""docs/reliability.md K5 (issue 14 item 12): every date a form or the API takes keeps to 1900-01-01..2199-12-31,
so 9999-12-31 is a message naming the range, never an overflow in month arithmetic (a 500). Checked on
every form class of every app, including the fields a ModelForm makes from the model."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from django import forms

import kechuang
from kechuang.core import dates


def form_classes():
    found = []
    for module_info in pkgutil.walk_packages(kechuang.__path__, "kechuang."):
        if not module_info.name.endswith(".forms") or ".testing" in module_info.name:
            continue
        module = importlib.import_module(module_info.name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                found.append(cls)
    return found


def test_every_date_field_of_every_form_is_bounded():
    classes = form_classes()
    assert len(classes) > 20
    unbounded = [
        f"{cls.__module__}.{cls.__name__}.{name}"
        for cls in classes
        for name, field in cls.base_fields.items()
        if isinstance(field, forms.DateField | forms.DateTimeField)
        and not isinstance(field, dates.DateField | dates.DateTimeField)
    ]
    assert not unbounded, unbounded


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01"])
def test_a_date_outside_the_range_says_which_range(value):
    field = dates.DateField()
    with pytest.raises(forms.ValidationError) as error:
        field.clean(value)
    assert "1900-01-01" in error.value.messages[0] and "2199-12-31" in error.value.messages[0]


def test_dates_inside_the_range_pass():
    assert str(dates.DateField().clean("2199-12-31")) == "2199-12-31"
    assert str(dates.DateField().clean("1900-01-01")) == "1900-01-01"


@pytest.mark.django_db
def test_the_web_batch_form_refuses_the_end_of_the_calendar(client, operator):
    from django.urls import reverse

    client.force_login(operator)
    response = client.post(reverse("vouchers:batch-create"), {"period": "9999-12-31"}, follow=True)
    assert response.status_code == 200
    assert "1900-01-01" in response.content.decode()
