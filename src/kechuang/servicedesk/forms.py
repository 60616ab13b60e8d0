"""Input shapes of the service-desk pages. Validation here is about shape; the rules live in services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from kechuang.accounts.choices import Role
from kechuang.core import dates

from .choices import (
    AssignmentRole,
    CalendarDayKind,
    Department,
    PlanItemKind,
    PlanItemStatus,
    RequestCategory,
    RequestChannel,
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"class": "form-control"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def _text(
    label: Any, max_length: int, *, required: bool = True, rows: int = 0, **attrs: Any
) -> forms.CharField:
    widget: forms.Widget
    if rows:
        widget = forms.Textarea(
            attrs={"class": "form-control", "rows": rows, "maxlength": max_length, **attrs}
        )
    else:
        widget = forms.TextInput(attrs={"class": "form-control", "maxlength": max_length, **attrs})
    return forms.CharField(label=label, max_length=max_length, required=required, widget=widget, strip=True)


class RequestFileForm(forms.Form):
    """An enterprise files a request; staff filing for an enterprise also choose it and the channel."""

    organization = forms.IntegerField(label=_("企业"), required=False, widget=forms.HiddenInput)
    category = forms.ChoiceField(
        label=_("诉求类别"),
        choices=RequestCategory.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    title = _text(_("标题"), 120, placeholder=_("一句话说明需要什么帮助"))
    text = _text(
        _("诉求内容"),
        4000,
        rows=6,
        placeholder=_("请写清楚现状、需要解决的问题和期望的时间；涉及材料的可上传附件。"),
    )
    channel = forms.ChoiceField(
        label=_("来源渠道"),
        choices=RequestChannel.choices,
        required=False,
        initial=RequestChannel.PLATFORM,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    files = MultipleFileField(
        label=_("附件"),
        required=False,
        help_text=_("可上传 PDF、Word、Excel、PowerPoint、OFD、PNG 或 JPEG，一次最多 5 个。"),
    )


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class RespondForm(VersionForm):
    text = _text(_("答复内容"), 4000, rows=4)


class MessageForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)
    text = _text(_("留言"), 4000, rows=3)
    internal = forms.BooleanField(label=_("仅内部可见（企业看不到）"), required=False)


class HandOverForm(VersionForm):
    department = forms.ChoiceField(
        label=_("转办部门"),
        choices=Department.choices,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    department_name = _text(_("部门名称（选“其他部门”时填写）"), 60, required=False)
    text = _text(_("转办说明"), 2000, rows=2)


class ResolveForm(VersionForm):
    text = _text(_("办结说明"), 4000, rows=3)


class CloseForm(VersionForm):
    rating = forms.TypedChoiceField(
        label=_("满意度"),
        coerce=int,
        choices=[
            (5, _("5 分 · 非常满意")),
            (4, _("4 分 · 满意")),
            (3, _("3 分 · 一般")),
            (2, _("2 分 · 不满意")),
            (1, _("1 分 · 很不满意")),
        ],
        widget=forms.RadioSelect,
    )
    comment = _text(_("评价（选填）"), 500, required=False, rows=2)


class ReopenForm(VersionForm):
    reason = _text(_("重新打开的原因"), 2000, rows=2)


class WithdrawForm(VersionForm):
    reason = _text(_("撤回原因（选填）"), 500, required=False)


class AttachForm(forms.Form):
    files = MultipleFileField(label=_("附件"))


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj}（{obj.username}）"


def staff_field(role: str, label: Any, *, required: bool = True) -> StaffChoiceField:
    queryset = (
        get_user_model().objects.filter(groups__name=role, is_active=True).order_by("display_name", "id")
    )
    return StaffChoiceField(
        queryset=queryset, label=label, required=required, widget=forms.Select(attrs={"class": "form-select"})
    )


class ReassignForm(VersionForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["commissioner"] = staff_field(Role.COMMISSIONER, _("改由专员"))
        self.fields["reason"] = _text(_("说明"), 200, required=False)


class AssignmentForm(forms.Form):
    role = forms.ChoiceField(
        label=_("职责"), choices=AssignmentRole.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    user = forms.IntegerField(label=_("人员"), widget=forms.Select(attrs={"class": "form-select"}))
    reason = _text(_("说明"), 200, required=False)


class VisitPlanForm(forms.Form):
    planned_for = dates.DateField(
        label=_("走访日期"), widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
    )
    purpose = _text(_("走访事由"), 200)
    companions = _text(_("同行人员"), 200, required=False)
    request = forms.CharField(
        label=_("关联诉求编号（选填）"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "SQ-2026-000123"}),
    )


class VisitRecordForm(forms.Form):
    notes = _text(_("走访记录"), 4000, rows=5)
    follow_ups = _text(_("后续跟进事项（每行一条，将写入一企一策）"), 2000, required=False, rows=3)


class VisitCancelForm(forms.Form):
    reason = _text(_("取消原因"), 200, required=False)


class PreferenceForm(forms.Form):
    do_not_disturb = forms.BooleanField(
        label=_("开启“无事不扰”：不安排上门走访"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    do_not_disturb_until = dates.DateField(
        label=_("截止日期（留空表示一直有效）"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )
    max_visits_per_month = forms.IntegerField(
        label=_("每月最多接受走访次数（留空按街区统一上限）"),
        required=False,
        min_value=0,
        max_value=10,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )
    note = _text(_("给专员的说明"), 200, required=False)


class PlanSummaryForm(forms.Form):
    summary = _text(_("企业概况与服务思路"), 4000, required=False, rows=4)


class PlanItemForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("类型"), choices=PlanItemKind.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    text = _text(_("内容"), 500)
    due_on = dates.DateField(
        label=_("计划完成日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )


class PlanItemStatusForm(forms.Form):
    status = forms.ChoiceField(choices=PlanItemStatus.choices)


class CalendarDayForm(forms.Form):
    date = dates.DateField(
        label=_("日期"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", "class": "form-control"}),
    )
    until = dates.DateField(
        label=_("至（可选）"),
        required=False,
        help_text=_("连续放假时填最后一天，一次录入整段假期"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", "class": "form-control"}),
    )
    kind = forms.ChoiceField(
        label=_("类型"), choices=CalendarDayKind.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    name = _text(_("名称"), 40, required=False, placeholder=_("如：春节、台风停工"))
    note = _text(_("说明"), 200, required=False)


class CalendarYearForm(forms.Form):
    year = forms.IntegerField(min_value=2000, max_value=2100, widget=forms.HiddenInput)
    source = _text(
        _("依据"), 200, required=False, placeholder=_("如：国务院办公厅关于2027年部分节假日安排的通知")
    )


class SlaPolicyForm(forms.Form):
    category = forms.ChoiceField(choices=RequestCategory.choices, widget=forms.HiddenInput)
    response_days = forms.IntegerField(
        label=_("首次响应（工作日）"),
        min_value=1,
        max_value=30,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
    )
    resolution_days = forms.IntegerField(
        label=_("办结（工作日）"),
        min_value=1,
        max_value=120,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
    )
