"""Input shapes of the challenge pages. Amounts are typed in 元 and handed to the services in fen;
everything else is validated by the services (the forms only check the shape)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kechuang.core import dates
from kechuang.core.money import YuanField
from kechuang.core.text import CleanTextForm
from kechuang.directory.pickers import field_picker, technology_fields


class ChallengeForm(CleanTextForm):
    title = forms.CharField(label=_("榜单名称"), max_length=120)
    fields_ = forms.ModelMultipleChoiceField(
        label=_("技术领域"), required=False, queryset=technology_fields(), widget=field_picker()
    )
    problem = forms.CharField(label=_("技术难题"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    indicators = forms.CharField(
        label=_("目标指标"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("可量化、可验收，例如：时延 ≤ 20 ms"),
    )
    issuer_fen = YuanField(label=_("发榜方出资（元）"), allow_zero=True, required=False)
    subsidy_fen = YuanField(label=_("申请街区补贴（元）"), allow_zero=True, required=False)
    deadline = dates.DateField(
        label=_("揭榜截止日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    max_winners = forms.IntegerField(
        label=_("最多揭榜单位数"),
        min_value=1,
        max_value=10,
        initial=1,
        help_text=_("大于 1 表示赛马制，多个团队并行攻关"),
    )
    ip_terms = forms.CharField(
        label=_("知识产权约定"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    eligibility = forms.CharField(
        label=_("揭榜条件"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("不得设置年龄、职称、成立年限门槛；留空使用默认说明"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fields_"].widget.attrs["size"] = 6

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["fields"] = list(data.pop("fields_"))
        data["issuer_fen"] = data.get("issuer_fen") or 0
        data["subsidy_fen"] = data.get("subsidy_fen") or 0
        return data


class ReasonForm(CleanTextForm):
    reason = forms.CharField(
        label=_("原因"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReviewForm(ReasonForm):
    decision = forms.ChoiceField(
        label=_("审核结论"), choices=[("approve", _("通过并发布")), ("reject", _("退回"))]
    )


class ApplicationForm(CleanTextForm):
    team = forms.CharField(
        label=_("团队介绍"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("不看年龄、职称与资历，重在能力与基础"),
    )
    plan = forms.CharField(label=_("技术方案"), max_length=10000, widget=forms.Textarea(attrs={"rows": 5}))
    milestones = forms.CharField(
        label=_("拟定里程碑"), max_length=3000, widget=forms.Textarea(attrs={"rows": 3})
    )
    budget_fen = YuanField(label=_("申请经费（元）"))
    co_applicants = forms.CharField(
        label=_("联合申报单位（可选）"),
        required=False,
        max_length=400,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("填写统一社会信用代码，每行一个；其人员将在专家评审中回避"),
    )
    attachment = forms.FileField(
        label=_("附件（可选）"),
        required=False,
        help_text=_("PDF、Word、Excel、PowerPoint、OFD 或图片；不接受压缩包与网页文件"),
    )

    def clean_co_applicants(self) -> list[Any]:
        from kechuang.directory.models import Organization
        from kechuang.directory.uscc import normalize

        codes = [
            line.strip()
            for line in (self.cleaned_data.get("co_applicants") or "").splitlines()
            if line.strip()
        ]
        if len(codes) > 10:
            raise forms.ValidationError(_("联合申报单位不超过 10 家。"))
        found = []
        for code in codes:
            organization = Organization.objects.filter(uscc=normalize(code)).first()
            if organization is None:
                raise forms.ValidationError(_("找不到统一社会信用代码为 %(c)s 的机构。") % {"c": code[:20]})
            found.append(organization)
        return found


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("附件"))


class PanelForm(forms.Form):
    experts = forms.MultipleChoiceField(label=_("评审专家"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, choices: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["experts"].choices = choices or []


def score_form_class(criteria: list[dict[str, Any]]) -> type[forms.Form]:
    """A form with one 0–100 field per criterion of the panel, and the comment."""
    attrs: dict[str, Any] = {}
    for criterion in criteria:
        attrs[f"c_{criterion['code']}"] = forms.IntegerField(
            label=f"{criterion['name']}（{criterion['weight']}%）", min_value=0, max_value=100
        )
    attrs["comment"] = forms.CharField(
        label=_("评审意见"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    return type("ScoreForm", (CleanTextForm,), attrs)


class AwardForm(forms.Form):
    winners = forms.MultipleChoiceField(
        label=_("揭榜单位"), widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["winners"].choices = choices or []


class TaskBookForm(CleanTextForm):
    task_book = forms.CharField(label=_("任务书"), max_length=10000, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, count: int = 3, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.count = count
        today = dt.date.today()
        css = {"class": "form-control form-control-sm"}
        for i in range(1, count + 1):
            self.fields[f"m{i}_title"] = forms.CharField(
                label=_("里程碑 %(n)s") % {"n": i}, max_length=120, widget=forms.TextInput(attrs=css)
            )
            self.fields[f"m{i}_criteria"] = forms.CharField(
                label=_("验收标准"), max_length=3000, widget=forms.TextInput(attrs=css)
            )
            self.fields[f"m{i}_due_on"] = dates.DateField(
                label=_("计划完成"),
                initial=today + dt.timedelta(days=90 * i),
                widget=forms.DateInput(attrs={"type": "date", **css}, format="%Y-%m-%d"),
            )
            self.fields[f"m{i}_amount_fen"] = YuanField(label=_("拨付金额（元）"))
            self.fields[f"m{i}_amount_fen"].widget.attrs.update(css)

    def milestone_rows(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        return [
            {
                "title": data[f"m{i}_title"],
                "criteria": data[f"m{i}_criteria"],
                "due_on": data[f"m{i}_due_on"],
                "amount_fen": data[f"m{i}_amount_fen"],
            }
            for i in range(1, self.count + 1)
        ]

    def rows(self) -> list[list[Any]]:
        return [
            [self[f"m{i}_title"], self[f"m{i}_criteria"], self[f"m{i}_due_on"], self[f"m{i}_amount_fen"]]
            for i in range(1, self.count + 1)
        ]


class NoteForm(CleanTextForm):
    note = forms.CharField(
        label=_("说明"), max_length=3000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
