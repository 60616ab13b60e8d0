"""Input shapes of the instrument pages (the services validate the rest)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kechuang.core import dates
from kechuang.core.text import CleanTextForm


class BookingForm(CleanTextForm):
    start_at = dates.DateTimeField(
        label=_("开始时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    slots = forms.IntegerField(label=_("时段数"), min_value=1, max_value=24, initial=1)
    purpose = forms.CharField(label=_("实验内容"), max_length=300, required=False)
    voucher = forms.CharField(label=_("创新券"), max_length=20, required=False)


class SampleRequestForm(CleanTextForm):
    sample_count = forms.IntegerField(label=_("样品数量"), min_value=1, max_value=1000, initial=1)
    sample_description = forms.CharField(label=_("样品说明"), max_length=500)
    requirements = forms.CharField(
        label=_("测试要求"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class NoteForm(CleanTextForm):
    note = forms.CharField(label=_("说明"), max_length=300, required=False)


class CheckOutForm(CleanTextForm):
    actual_minutes = forms.IntegerField(
        label=_("实际机时（分钟）"), min_value=1, max_value=1440, required=False
    )


class ReportForm(CleanTextForm):
    report = forms.FileField(label=_("测试报告"))
    note = forms.CharField(label=_("说明"), max_length=300, required=False)
