"""Input shapes for the transfer pages. Money is typed in 万元 and handed to services in fen; services do
the real validation (the forms only give early, field-level messages in Chinese)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kechuang.core import dates
from kechuang.core.money import fen_from_wan, wan_field, wan_from_fen
from kechuang.directory.pickers import (
    field_picker,
    organization_picker,
    organization_queryset,
    technology_fields,
)

from .choices import AttachmentAccess, ContractType, CooperationMode, DealStage, IPKind, Visibility
from .models import Achievement, Demand

TRL_CHOICES = [
    (1, _("TRL 1 · 基本原理被发现和报告")),
    (2, _("TRL 2 · 形成技术概念和应用设想")),
    (3, _("TRL 3 · 关键功能经实验验证（概念验证）")),
    (4, _("TRL 4 · 实验室环境中原理样机验证")),
    (5, _("TRL 5 · 相关环境中原理样机验证")),
    (6, _("TRL 6 · 相关环境中系统原型演示")),
    (7, _("TRL 7 · 实际环境中系统原型演示")),
    (8, _("TRL 8 · 系统定型并通过试验验证")),
    (9, _("TRL 9 · 系统经实际运行验证（产业化）")),
]


def _fields_field() -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        label=_("技术领域"),
        queryset=technology_fields(),
        required=True,
        widget=field_picker(),
        error_messages={"required": _("请至少选择一个技术领域。")},
        help_text=_("可多选，输入名称或关键词搜索"),
    )


class ListingFormMixin:
    def clean_title(self) -> str:
        title = (self.cleaned_data.get("title") or "").strip()  # type: ignore[attr-defined]
        if len(title) < 4:
            raise forms.ValidationError(_("标题太短，请至少写 4 个字。"))
        return title

    def clean_summary(self) -> str:
        summary = (self.cleaned_data.get("summary") or "").strip()  # type: ignore[attr-defined]
        if len(summary) < 20:
            raise forms.ValidationError(_("简介太短，请至少写 20 个字，说明技术内容与用途。"))
        return summary


class AchievementForm(ListingFormMixin, forms.ModelForm):
    fields = _fields_field()
    trl = forms.TypedChoiceField(
        label=_("技术成熟度"),
        choices=TRL_CHOICES,
        coerce=int,
        error_messages={"required": _("请选择技术成熟度（TRL 1–9）。")},
    )
    transfer_modes = forms.MultipleChoiceField(
        label=_("转化方式"),
        choices=CooperationMode.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请至少选择一种转化方式。")},
    )
    ip_kinds = forms.MultipleChoiceField(
        label=_("知识产权"), choices=IPKind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    asking_price_wan = wan_field(_("意向价格"), help_text=_("单位：万元；不填表示面议"))
    visibility = forms.ChoiceField(
        label=_("公开范围"), choices=Visibility.choices, widget=forms.RadioSelect, initial=Visibility.PUBLIC
    )

    class Meta:
        model = Achievement
        fields = [
            "title",
            "summary",
            "problem_solved",
            "advantages",
            "scenarios",
            "fields",
            "keywords",
            "trl",
            "ip_kinds",
            "ip_details",
            "transfer_modes",
            "asking_price_wan",
            "asking_terms",
            "team",
            "visibility",
            "contact_name",
            "contact_phone",
            "contact_email",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 4}),
            "problem_solved": forms.Textarea(attrs={"rows": 3}),
            "advantages": forms.Textarea(attrs={"rows": 3}),
            "scenarios": forms.Textarea(attrs={"rows": 3}),
            "ip_details": forms.Textarea(attrs={"rows": 2}),
            "team": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {"contact_phone": _("仅在您接受对方意向后向对方公开")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.asking_price_fen is not None:
            self.initial["asking_price_wan"] = wan_from_fen(self.instance.asking_price_fen)

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["asking_price_fen"] = fen_from_wan(data.pop("asking_price_wan", None))
        data["fields"] = list(data.get("fields") or [])
        return data


class DemandForm(ListingFormMixin, forms.ModelForm):
    fields = _fields_field()
    trl_required = forms.TypedChoiceField(
        label=_("期望成熟度（不低于）"),
        choices=[("", _("不限")), *TRL_CHOICES],
        coerce=int,
        empty_value=None,
        required=False,
    )
    cooperation_modes = forms.MultipleChoiceField(
        label=_("合作方式"),
        choices=CooperationMode.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请至少选择一种合作方式。")},
    )
    budget_min_wan = wan_field(_("预算下限"))
    budget_max_wan = wan_field(_("预算上限"))
    visibility = forms.ChoiceField(
        label=_("公开范围"), choices=Visibility.choices, widget=forms.RadioSelect, initial=Visibility.PUBLIC
    )

    class Meta:
        model = Demand
        fields = [
            "title",
            "summary",
            "current_state",
            "target_indicators",
            "fields",
            "keywords",
            "trl_required",
            "budget_min_wan",
            "budget_max_wan",
            "deadline",
            "cooperation_modes",
            "visibility",
            "contact_name",
            "contact_phone",
            "contact_email",
        ]
        labels = {"summary": _("需求描述（要解决的问题）")}
        field_classes = {"deadline": dates.DateField}
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 4}),
            "current_state": forms.Textarea(attrs={"rows": 3}),
            "target_indicators": forms.Textarea(attrs={"rows": 3}),
            "deadline": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        }
        help_texts = {
            "contact_phone": _("仅在您接受对方意向后向对方公开"),
            "target_indicators": _("例如：焊缝强度 ≥ 母材 90%，节拍 ≤ 60 秒/件"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["budget_min_wan"] = wan_from_fen(self.instance.budget_min_fen)
            self.initial["budget_max_wan"] = wan_from_fen(self.instance.budget_max_fen)

    def clean_deadline(self) -> Any:
        deadline = self.cleaned_data.get("deadline")
        if (
            deadline
            and deadline < timezone.localdate()
            and (not self.instance.pk or deadline != self.instance.deadline)
        ):
            raise forms.ValidationError(_("期望完成日期不能早于今天。"))
        return deadline

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        low, high = data.get("budget_min_wan"), data.get("budget_max_wan")
        if low is not None and high is not None and low > high:
            self.add_error("budget_max_wan", _("预算上限不能低于预算下限。"))
        return data

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["budget_min_fen"] = fen_from_wan(data.pop("budget_min_wan", None))
        data["budget_max_fen"] = fen_from_wan(data.pop("budget_max_wan", None))
        data["fields"] = list(data.get("fields") or [])
        return data


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("附件"),
        help_text=_("PDF、Word、Excel、PowerPoint、OFD、PNG 或 JPEG，不超过 20 MB"),
        error_messages={"required": _("请选择要上传的文件。")},
    )
    access = forms.ChoiceField(
        label=_("查看范围"), choices=AttachmentAccess.choices, initial=AttachmentAccess.LISTING
    )


class InterestForm(forms.Form):
    message = forms.CharField(
        label=_("意向说明"),
        max_length=2000,
        min_length=5,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("请简要说明您的意向。"),
            "min_length": _("请简要说明您的意向（至少 5 个字）。"),
        },
        help_text=_("例如：希望了解技术许可方式与小批量验证的可能性"),
    )
    contact_name = forms.CharField(label=_("联系人"), max_length=40, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审核结论"),
        choices=[("approve", _("通过并发布")), ("return", _("退回修改"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("审核意见"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("decision") == "return" and not (data.get("note") or "").strip():
            self.add_error("note", _("退回时请写明需要修改的地方。"))
        return data


class TransitionForm(forms.Form):
    target = forms.CharField(max_length=20)
    note = forms.CharField(max_length=500, required=False)


class RespondForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", _("接受")), ("decline", _("婉拒"))])
    note = forms.CharField(label=_("回复"), max_length=500, required=False)


class DealAdvanceForm(forms.Form):
    stage = forms.ChoiceField(label=_("阶段"), choices=DealStage.choices)
    note = forms.CharField(
        label=_("说明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    next_step = forms.CharField(label=_("下一步"), max_length=200, required=False)
    next_step_due = dates.DateField(
        label=_("下一步期限"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )


class DealNoteForm(forms.Form):
    text = forms.CharField(
        label=_("对接记录"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请填写记录内容。")},
    )


class DealUpdateForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("负责人"), queryset=None, required=False)  # type: ignore[arg-type]
    next_step = forms.CharField(label=_("下一步"), max_length=200, required=False)
    next_step_due = dates.DateField(
        label=_("下一步期限"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    expected_amount_wan = wan_field(_("预计金额"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from django.contrib.auth import get_user_model

        self.fields["owner"].queryset = (
            get_user_model().objects.filter(groups__name="operator").order_by("username")
        )

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["expected_amount_fen"] = fen_from_wan(data.pop("expected_amount_wan", None))
        return data


class ContractForm(forms.Form):
    contract_type = forms.ChoiceField(label=_("合同类型"), choices=ContractType.choices)
    title = forms.CharField(label=_("合同名称"), max_length=160)
    seller = forms.ModelChoiceField(
        label=_("卖方（受托方）"),
        queryset=organization_queryset(),
        widget=organization_picker(),
        error_messages={"required": _("请选择卖方。")},
    )
    buyer = forms.ModelChoiceField(
        label=_("买方（委托方）"),
        queryset=organization_queryset(),
        widget=organization_picker(),
        error_messages={"required": _("请选择买方。")},
    )
    signed_on = dates.DateField(
        label=_("签订日期"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        error_messages={"required": _("请填写签订日期。"), "invalid": _("日期格式应为 2026-05-01。")},
    )
    contract_amount_wan = wan_field(_("合同成交额"), required=True)
    technology_amount_wan = wan_field(
        _("技术交易额"), required=True, help_text=_("单位：万元；不超过合同成交额")
    )
    registration_number = forms.CharField(
        label=_("登记号"),
        max_length=32,
        required=False,
        help_text=_("技术合同登记机构给出的登记号；留空则自动编号"),
    )
    note = forms.CharField(label=_("备注"), max_length=500, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        total, tech = data.get("contract_amount_wan"), data.get("technology_amount_wan")
        if total is not None and total <= 0:
            self.add_error("contract_amount_wan", _("合同成交额必须大于零。"))
        if total is not None and tech is not None and tech > total:
            self.add_error("technology_amount_wan", _("技术交易额不能超过合同成交额。"))
        seller, buyer = data.get("seller"), data.get("buyer")
        if seller and buyer and seller == buyer:
            self.add_error("buyer", _("买卖双方不能是同一机构。"))
        signed = data.get("signed_on")
        if signed and signed > timezone.localdate():
            self.add_error("signed_on", _("签订日期不能晚于今天。"))
        return data

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["contract_amount_fen"] = fen_from_wan(data.pop("contract_amount_wan"))
        data["technology_amount_fen"] = fen_from_wan(data.pop("technology_amount_wan"))
        return data
