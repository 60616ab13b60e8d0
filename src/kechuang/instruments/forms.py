"""Input shapes of the instrument pages (the services validate the rest)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kechuang.core import dates
from kechuang.core.money import YuanField
from kechuang.core.text import CleanTextForm

from .choices import ApprovalRule, ServiceMode


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
    voucher = forms.CharField(label=_("创新券"), max_length=20, required=False)


class NoteForm(CleanTextForm):
    note = forms.CharField(label=_("说明"), max_length=300, required=False)


class CheckOutForm(CleanTextForm):
    actual_minutes = forms.IntegerField(
        label=_("实际机时（分钟）"), min_value=1, max_value=1440, required=False
    )


class ReportForm(CleanTextForm):
    report = forms.FileField(label=_("测试报告"))
    note = forms.CharField(label=_("说明"), max_length=300, required=False)


class InstrumentForm(CleanTextForm):
    owner = forms.ModelChoiceField(label=_("所属单位"), queryset=None)  # set by the view
    name = forms.CharField(label=_("仪器名称"), max_length=120)
    category = forms.ModelChoiceField(label=_("分类"), queryset=None)
    model_number = forms.CharField(label=_("型号"), max_length=80, required=False)
    maker = forms.CharField(label=_("生产厂商"), max_length=120, required=False)
    original_value = YuanField(label=_("原值（元）"), required=False, allow_zero=True)
    purchase_year = forms.IntegerField(label=_("购置年份"), min_value=1950, max_value=2100, required=False)
    room = forms.CharField(label=_("房间"), max_length=40, required=False)
    service_mode = forms.ChoiceField(label=_("服务方式"), choices=ServiceMode.choices)
    approval_rule = forms.ChoiceField(label=_("预约审批规则"), choices=ApprovalRule.choices)
    slot_minutes = forms.IntegerField(label=_("时段长度（分钟）"), min_value=15, max_value=1440, initial=60)
    min_notice_hours = forms.IntegerField(
        label=_("最少提前预约（小时）"), min_value=0, max_value=720, initial=24
    )
    free_cancel_hours = forms.IntegerField(
        label=_("免费取消时限（小时）"), min_value=0, max_value=720, initial=24
    )
    description = forms.CharField(
        label=_("主要功能与技术指标"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    rate_owner_hour = YuanField(label=_("本单位（元/小时）"), required=False, allow_zero=True)
    rate_district_hour = YuanField(label=_("街区企业（元/小时）"), required=False, allow_zero=True)
    rate_outside_hour = YuanField(label=_("外部用户（元/小时）"), required=False, allow_zero=True)
    rate_owner_sample = YuanField(label=_("本单位（元/样品）"), required=False, allow_zero=True)
    rate_district_sample = YuanField(label=_("街区企业（元/样品）"), required=False, allow_zero=True)
    rate_outside_sample = YuanField(label=_("外部用户（元/样品）"), required=False, allow_zero=True)


WEEKDAYS = [
    ("1", _("周一")),
    ("2", _("周二")),
    ("3", _("周三")),
    ("4", _("周四")),
    ("5", _("周五")),
    ("6", _("周六")),
    ("7", _("周日")),
]


class InstrumentEditForm(InstrumentForm):
    """The owner's or an operator's edit of a registered instrument: every field but the owner, with the
    opening hours and days."""

    open_from = forms.TimeField(
        label=_("开放时间自"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    open_until = forms.TimeField(
        label=_("开放时间至"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    open_weekdays = forms.MultipleChoiceField(
        label=_("开放日"), choices=WEEKDAYS, widget=forms.CheckboxSelectMultiple
    )

    field_order = [
        "name",
        "category",
        "model_number",
        "maker",
        "original_value",
        "purchase_year",
        "room",
        "service_mode",
        "approval_rule",
        "slot_minutes",
        "min_notice_hours",
        "free_cancel_hours",
        "open_from",
        "open_until",
        "open_weekdays",
        "description",
    ]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        del self.fields["owner"]
        self.order_fields(self.field_order)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("open_from"), data.get("open_until")
        if start and end and end <= start:  # said with the other problems, before the service's check
            self.add_error("open_until", _("开放结束时间须晚于开始时间。"))
        return data


class QualificationForm(CleanTextForm):
    username = forms.CharField(label=_("用户名"), max_length=150)
    trained_on = dates.DateField(label=_("培训日期"), widget=forms.DateInput(attrs={"type": "date"}))
    expires_on = dates.DateField(
        label=_("有效期至"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class MaintenanceForm(CleanTextForm):
    start_at = dates.DateTimeField(
        label=_("开始时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    end_at = dates.DateTimeField(
        label=_("结束时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    reason = forms.CharField(label=_("原因"), max_length=200, required=False)


class RatingForm(CleanTextForm):
    score = forms.TypedChoiceField(label=_("评分"), coerce=int, choices=[(n, n) for n in range(5, 0, -1)])
    comment = forms.CharField(label=_("评价"), max_length=300, required=False)


class PhotoForm(forms.Form):
    image = forms.FileField(label=_("照片"))


class InvoiceForm(CleanTextForm):
    number = forms.CharField(label=_("发票号码"), max_length=40)
    amount = YuanField(label=_("发票金额（元）"), required=False)
    issued_on = dates.DateField(label=_("开票日期"), widget=forms.DateInput(attrs={"type": "date"}))


class InvoicePaidForm(CleanTextForm):
    paid_on = dates.DateField(
        label=_("付款日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
