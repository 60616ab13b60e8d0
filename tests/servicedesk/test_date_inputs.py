"""Issue 14 item 11: a date input shows its default. ``<input type="date">`` understands only YYYY-MM-DD
and ``datetime-local`` only YYYY-MM-DDTHH:MM; every form field renders in the first input format of the
active language, so that format is ISO in each (kechuang.formats)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django import forms
from django.utils import translation

from kechuang.servicedesk.forms import VisitPlanForm


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_date_and_datetime_inputs_render_iso(language):
    class Form(forms.Form):
        on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
        at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    with translation.override(language):
        html = str(Form(initial={"on": dt.date(2026, 12, 6), "at": dt.datetime(2026, 12, 6, 9, 30)}))
        assert 'value="2026-12-06"' in html
        assert 'value="2026-12-06T09:30"' in html
        if language == "zh-hans":  # what Chinese users type is still accepted
            bound = Form({"on": "2026/12/06", "at": "2026/12/06 09:30"})
            assert bound.is_valid(), bound.errors
        assert Form({"on": "2026-12-06", "at": "2026-12-06T09:30"}).is_valid()


def test_the_visit_form_shows_its_default_date():
    with translation.override("zh-hans"):
        html = str(VisitPlanForm(initial={"planned_for": dt.date(2026, 12, 6)}))
    field = re.search(r'<input[^>]*type="date"[^>]*>', html).group(0)
    assert 'value="2026-12-06"' in field
