"""Input shapes of the IP pages (Chinese labels; amounts in 元 or 万元 as staff type them)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kechuang.core import dates
from kechuang.core.money import YuanField, wan_field
from kechuang.core.text import CleanTextForm

from .choices import LegalStatus, ServiceKind, TransactionKind

DATE = forms.DateInput(attrs={"type": "date"})


class StyledForm(CleanTextForm):
    """Bootstrap's classes on every widget (the pages render fields one by one)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select form-select-sm"
            else:
                css = "form-control form-control-sm"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class OpenLicenceForm(StyledForm):
    fee_yuan = YuanField(label=_("许可使用费（元/年）"), required=True, allow_zero=True)
    royalty_permille = forms.IntegerField(label=_("提成比例（‰）"), min_value=0, max_value=500, initial=0)
    term_years = forms.IntegerField(label=_("许可期限（年）"), min_value=1, max_value=20, initial=3)
    terms = forms.CharField(
        label=_("许可条件"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class TransactionForm(StyledForm):
    kind = forms.ChoiceField(
        label=_("类型"), choices=[c for c in TransactionKind.choices if c[0] != TransactionKind.LICENCE_OPEN]
    )
    counterparty_name = forms.CharField(label=_("对方（受让方/被许可方/质权银行）"), max_length=120)
    amount_wan = wan_field(_("金额（万元）"), required=True)
    signed_on = dates.DateField(label=_("签订日期"), widget=DATE)
    term_start = dates.DateField(label=_("期限起"), required=False, widget=DATE)
    term_end = dates.DateField(label=_("期限止"), required=False, widget=DATE)
    contract_number = forms.CharField(label=_("合同编号"), max_length=40, required=False)


class StatusForm(StyledForm):
    legal_status = forms.ChoiceField(label=_("法律状态"), choices=LegalStatus.choices)
    granted_on = dates.DateField(label=_("授权公告日"), required=False, widget=DATE)


class TakeUpForm(StyledForm):
    confirm = forms.BooleanField(label=_("我单位接受上述许可使用费和许可条件"), required=True)


class ServiceReportForm(StyledForm):
    asset_number = forms.CharField(label=_("专利申请号"), max_length=40)
    kind = forms.ChoiceField(label=_("服务类型"), choices=ServiceKind.choices)
    file = forms.FileField(label=_("报告文件"))


class AchievementLinkForm(StyledForm):
    achievement = forms.CharField(label=_("关联成果"), max_length=32, required=False)
