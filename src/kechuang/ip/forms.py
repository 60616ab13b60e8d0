"""Input shapes of the IP pages (Chinese labels; amounts in 元 or 万元 as staff type them)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kechuang.core import dates
from kechuang.core.money import YuanField, wan_field
from kechuang.core.text import CleanTextForm

from .choices import LegalStatus, NationalAward, ServiceKind, TransactionKind

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


def _lines(text: str) -> list[str]:
    """A list typed one per line (or separated by ；, ; or ，)."""
    import re

    return [part.strip() for part in re.split(r"[\n;；,，、]+", text or "") if part.strip()]


class AssetEditForm(StyledForm):
    """An asset's descriptive fields, as ``services.asset_update`` takes them (docs/adr/0028). The claims
    and abstract of an unpublished application are dropped for a user who may not read them."""

    number = forms.CharField(label=_("申请号/登记号"), max_length=40)
    title = forms.CharField(label=_("名称"), max_length=200)
    publication_number = forms.CharField(label=_("公开（公告）号"), max_length=40, required=False)
    applicant_names = forms.CharField(label=_("申请人（原文）"), max_length=500, required=False)
    inventor_names = forms.CharField(label=_("发明人（原文）"), max_length=500, required=False)
    filed_on = dates.DateField(label=_("申请日"), widget=DATE)
    published_on = dates.DateField(label=_("公开日"), required=False, widget=DATE)
    granted_on = dates.DateField(label=_("授权公告日"), required=False, widget=DATE)
    legal_status = forms.ChoiceField(label=_("法律状态"), choices=LegalStatus.choices)
    national_award = forms.ChoiceField(label=_("中国专利奖"), choices=NationalAward.choices, required=False)
    ipc_codes = forms.CharField(
        label=_("IPC 分类号"),
        required=False,
        max_length=1000,
        help_text=_("每行一个，或以分号分隔，如 G01L 9/00"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    family = forms.CharField(
        label=_("海外同族"),
        required=False,
        max_length=2000,
        help_text=_("每行一个，如 US10123456B2"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    abstract = forms.CharField(
        label=_("摘要"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    claims = forms.CharField(
        label=_("权利要求"), max_length=50000, required=False, widget=forms.Textarea(attrs={"rows": 8})
    )

    def __init__(self, *args: Any, reads_claims: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not reads_claims:
            del self.fields["abstract"], self.fields["claims"]

    @classmethod
    def initial_for(cls, asset: Any) -> dict[str, Any]:
        names = [name for name in cls.base_fields if name not in ("ipc_codes", "family")]
        initial = {name: getattr(asset, name) for name in names}
        initial["ipc_codes"] = "\n".join(asset.ipc_codes or [])
        initial["family"] = "\n".join(asset.family.values_list("number", flat=True))
        return initial

    def changes(self) -> dict[str, Any]:
        """The cleaned data as the service's keyword arguments."""
        data = dict(self.cleaned_data)
        data["ipc_codes"] = _lines(data.get("ipc_codes", ""))
        data["family"] = _lines(data.get("family", ""))
        data["national_award"] = data.get("national_award") or ""
        return data
