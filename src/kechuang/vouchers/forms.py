"""Input shapes of the voucher pages. Amounts are typed in 元 (two decimals) and handed to the services
in fen; everything else is validated by the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kechuang.core import dates
from kechuang.core.money import YuanField
from kechuang.core.text import CleanTextForm

from .choices import ServiceCategory

CATEGORY_CHOICES = ServiceCategory.choices


class SchemeForm(CleanTextForm):
    name = forms.CharField(label=_("批次名称"), max_length=100)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    budget_fen = YuanField(label=_("预算（元）"))
    subsidy_percent = forms.DecimalField(
        label=_("补贴比例（%）"),
        min_value=0.01,
        max_value=100,
        decimal_places=2,
        help_text=_("创新券支付服务金额的比例，例如 50"),
    )
    enterprise_cap_fen = YuanField(label=_("单户年度上限（元）"))
    controller_cap_fen = YuanField(label=_("同一实际控制人上限（元）"))
    categories = forms.MultipleChoiceField(
        label=_("适用服务类别"), choices=CATEGORY_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    apply_from = dates.DateField(label=_("申领开始"), widget=forms.DateInput(attrs={"type": "date"}))
    apply_until = dates.DateField(label=_("申领截止"), widget=forms.DateInput(attrs={"type": "date"}))
    expires_on = dates.DateField(label=_("有效期至"), widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(
        label=_("说明"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["subsidy_ratio_bp"] = int(data.pop("subsidy_percent") * 100)
        return data


class ApplicationForm(CleanTextForm):
    requested_fen = YuanField(label=_("申请额度（元）"))
    purpose = forms.CharField(
        label=_("用途说明"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("拟购买哪些研发服务、解决什么问题"),
    )
    planned_categories = forms.MultipleChoiceField(
        label=_("拟使用服务类别"),
        choices=CATEGORY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    controller_name = forms.CharField(label=_("实际控制人"), max_length=80, required=False)
    controller_code = forms.CharField(
        label=_("实际控制人标识"),
        max_length=40,
        required=False,
        help_text=_("控股股东的统一社会信用代码；同一实际控制人的企业合并计算上限。不填则视为本企业自身"),
    )

    def __init__(self, *args: Any, scheme: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if scheme is not None:
            allowed = set(scheme.categories)
            self.fields["planned_categories"].choices = [c for c in CATEGORY_CHOICES if c[0] in allowed]


class ReviewForm(CleanTextForm):
    decision = forms.ChoiceField(choices=[("approve", _("通过")), ("reject", _("不通过"))])
    note = forms.CharField(label=_("意见"), max_length=500, required=False)
    recommended_fen = YuanField(label=_("建议额度（元）"), required=False)
    approved_fen = YuanField(label=_("批准额度（元）"), required=False)

    @property
    def approve(self) -> bool:
        return self.cleaned_data["decision"] == "approve"


class ReasonForm(CleanTextForm):
    reason = forms.CharField(label=_("原因"), max_length=500, required=False)


class NoteForm(CleanTextForm):
    note = forms.CharField(label=_("说明"), max_length=500, required=False)


class ProviderRegisterForm(CleanTextForm):
    categories = forms.MultipleChoiceField(
        label=_("服务类别"), choices=CATEGORY_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    introduction = forms.CharField(
        label=_("机构介绍"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    qualifications = forms.CharField(
        label=_("资质说明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    contact_name = forms.CharField(label=_("联系人"), max_length=40, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)


class ServiceForm(CleanTextForm):
    name = forms.CharField(label=_("服务名称"), max_length=100)
    category = forms.ChoiceField(label=_("服务类别"), choices=CATEGORY_CHOICES)
    price_fen = YuanField(label=_("价格（元）"))
    unit = forms.CharField(label=_("计价单位"), max_length=10, initial="项")
    description = forms.CharField(
        label=_("服务内容"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    is_active = forms.BooleanField(label=_("上架"), required=False, initial=True)

    def __init__(self, *args: Any, provider: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if provider is not None:
            allowed = set(provider.categories)
            self.fields["category"].choices = [c for c in CATEGORY_CHOICES if c[0] in allowed]


class OrderForm(CleanTextForm):
    quantity = forms.IntegerField(label=_("数量"), min_value=1, max_value=1000, initial=1)
    note = forms.CharField(
        label=_("需求说明"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    request_key = forms.CharField(max_length=60, required=False, widget=forms.HiddenInput)


class ClaimForm(CleanTextForm):
    invoice_number = forms.CharField(label=_("发票号码"), max_length=40)
    invoice_amount_fen = YuanField(label=_("发票金额（元）"))
    invoice = forms.FileField(label=_("发票文件"), help_text=_("PDF、OFD、PNG 或 JPEG，不超过 10 MB"))


class RatingForm(CleanTextForm):
    score = forms.TypedChoiceField(
        label=_("评分"), coerce=int, choices=[(i, "★" * i) for i in range(5, 0, -1)]
    )
    comment = forms.CharField(label=_("评价"), max_length=500, required=False)


class BatchForm(forms.Form):
    period = dates.DateField(
        label=_("结算月份"),
        widget=forms.DateInput(attrs={"type": "month"}),
        input_formats=["%Y-%m", "%Y-%m-%d"],
    )
