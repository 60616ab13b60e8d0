"""Input shapes of the investment pages. Amounts are typed in 万元 and stored in fen."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kechuang.core import dates
from kechuang.core.money import fen_from_wan, wan_field
from kechuang.core.roles import Role
from kechuang.core.text import CleanTextForm
from kechuang.directory.models import Block, TechnologyField
from kechuang.servicedesk.choices import Department, RequestCategory
from kechuang.spaces.choices import SpaceType

from .choices import LeadSource, LeadStage, LostReason, ProjectStatus, RetentionSignal, RetentionStatus
from .services import LeadInput


def staff_users(*roles: str) -> Any:
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=list(roles))
        .distinct()
        .order_by("username")
    )


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class LeadForm(CleanTextForm):
    source = forms.ChoiceField(label=_("来源"), choices=LeadSource.choices)
    source_detail = forms.CharField(label=_("来源说明"), max_length=200, required=False)
    name = forms.CharField(label=_("企业或团队名称"), max_length=120)
    uscc = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=40,
        required=False,
        help_text=_("已注册的企业填写；团队可不填"),
    )
    contact_name = forms.CharField(label=_("联系人"), max_length=40, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    cluster = forms.ModelChoiceField(
        label=_("产业集群"), queryset=TechnologyField.objects.filter(parent__isnull=True), required=False
    )
    block = forms.ModelChoiceField(label=_("意向板块"), queryset=Block.objects.all(), required=False)
    summary = forms.CharField(
        label=_("项目概况"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    investment_wan = wan_field(_("计划投资（万元）"))
    jobs = forms.IntegerField(label=_("预计就业岗位"), min_value=0, max_value=1_000_000, required=False)
    space_area_m2 = forms.DecimalField(
        label=_("需求面积（㎡）"),
        max_digits=9,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal(1_000_000),
        required=False,
    )
    space_type = forms.ChoiceField(
        label=_("空间类型"), choices=[("", _("不限")), *list(SpaceType.choices)], required=False
    )
    power_kw = forms.IntegerField(label=_("用电需求（kW）"), min_value=0, max_value=1_000_000, required=False)
    asks_policy = forms.BooleanField(label=_("政策诉求"), required=False)
    asks_talent = forms.BooleanField(label=_("人才诉求"), required=False)
    asks_financing = forms.BooleanField(label=_("融资诉求"), required=False)
    asks_note = forms.CharField(label=_("诉求说明"), max_length=500, required=False)
    terms = forms.CharField(
        label=_("谈判条款（保密）"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_key = forms.BooleanField(label=_("重点项目"), required=False)
    allow_duplicate = forms.BooleanField(label=_("确认不是重复线索，仍要登记"), required=False)

    def lead_input(self) -> LeadInput:
        data = self.cleaned_data
        return LeadInput(
            source=data["source"],
            source_detail=data.get("source_detail") or "",
            name=data["name"],
            uscc=data.get("uscc") or "",
            contact_name=data.get("contact_name") or "",
            contact_phone=data.get("contact_phone") or "",
            cluster=data.get("cluster"),
            block=data.get("block"),
            summary=data.get("summary") or "",
            planned_investment_fen=fen_from_wan(data.get("investment_wan")) or 0,
            jobs=data.get("jobs") or 0,
            space_area_m2=data.get("space_area_m2"),
            space_type=data.get("space_type") or "",
            power_kw=data.get("power_kw"),
            asks_policy=bool(data.get("asks_policy")),
            asks_talent=bool(data.get("asks_talent")),
            asks_financing=bool(data.get("asks_financing")),
            asks_note=data.get("asks_note") or "",
            terms=data.get("terms") or "",
            is_key=bool(data.get("is_key")),
        )


class OwnersForm(forms.Form):
    leader = UserChoiceField(label=_("挂帅领导"), queryset=staff_users(Role.LEADER), required=False)
    case_officer = UserChoiceField(
        label=_("项目专员"), queryset=staff_users(Role.COMMISSIONER, Role.OPERATOR), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = staff_users(Role.LEADER)  # type: ignore[attr-defined]
        self.fields["case_officer"].queryset = staff_users(Role.COMMISSIONER, Role.OPERATOR)  # type: ignore[attr-defined]


class NoteForm(CleanTextForm):
    text = forms.CharField(label=_("跟进内容"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))
    feedback = forms.BooleanField(label=_("这是给企业的反馈"), required=False)


class AdvanceForm(CleanTextForm):
    note = forms.CharField(
        label=_("阶段材料说明"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    uscc = forms.CharField(label=_("营业执照统一社会信用代码"), max_length=40, required=False)
    commissioner = UserChoiceField(
        label=_("服务专员"), queryset=staff_users(Role.COMMISSIONER), required=False
    )
    amount_wan = wan_field(_("首笔产出（万元）"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["commissioner"].queryset = staff_users(Role.COMMISSIONER)  # type: ignore[attr-defined]


class CloseForm(CleanTextForm):
    outcome = forms.ChoiceField(
        label=_("结果"),
        choices=[(LeadStage.LOST, LeadStage.LOST.label), (LeadStage.WITHDRAWN, LeadStage.WITHDRAWN.label)],
    )
    reason_code = forms.ChoiceField(label=_("原因"), choices=[("", _("选择原因")), *LostReason.choices])
    reason = forms.CharField(
        label=_("原因说明"),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("补充说明（选“其他”时必填）")}),
    )


class ReserveForm(forms.Form):
    unit = forms.CharField(label=_("房源编号"), max_length=80)
    start_date = dates.DateField(label=_("起始日"), widget=forms.DateInput(attrs={"type": "date"}))
    end_date = dates.DateField(label=_("截止日"), widget=forms.DateInput(attrs={"type": "date"}))


class DocumentForm(forms.Form):
    file = forms.FileField(label=_("附件"))


class ProjectForm(CleanTextForm):
    name = forms.CharField(label=_("项目名称"), max_length=120)
    organization_uscc = forms.CharField(
        label=_("企业统一社会信用代码"),
        max_length=40,
        required=False,
        help_text=_("项目属于名录中的企业时填写"),
    )
    leader = UserChoiceField(label=_("包保领导"), queryset=staff_users(Role.LEADER))
    departments = forms.MultipleChoiceField(
        label=_("责任部门"), choices=Department.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    investment_wan = wan_field(_("计划投资（万元）"))
    description = forms.CharField(
        label=_("项目内容"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = staff_users(Role.LEADER)  # type: ignore[attr-defined]


class MilestoneForm(CleanTextForm):
    title = forms.CharField(
        label=_("节点"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("节点名称，如：设备进场")}),
    )
    due_on = dates.DateField(label=_("计划完成日期"), widget=forms.DateInput(attrs={"type": "date"}))


class IssueForm(CleanTextForm):
    text = forms.CharField(label=_("问题"), max_length=500)
    department = forms.ChoiceField(
        label=_("责任部门"), choices=[("", "—"), *list(Department.choices)], required=False
    )
    service_request = forms.CharField(
        label=_("关联诉求编号"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("如 SQ-2026-000123")}),
    )
    file_request_category = forms.ChoiceField(
        label=_("登记为企业诉求"),
        choices=[("", _("不登记")), *RequestCategory.choices],
        required=False,
    )


class ResolveForm(CleanTextForm):
    resolution = forms.CharField(
        label=_("解决情况"), max_length=500, widget=forms.TextInput(attrs={"placeholder": _("解决情况")})
    )


class StatusForm(CleanTextForm):
    status = forms.ChoiceField(label=_("本月状态"), choices=ProjectStatus.choices)
    note = forms.CharField(
        label=_("说明"),
        max_length=1000,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("风险或受阻时必填")}),
    )


class RetentionOpenForm(CleanTextForm):
    organization_uscc = forms.CharField(
        label=_("企业统一社会信用代码"),
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": _("企业统一社会信用代码")}),
    )
    signal = forms.ChoiceField(
        label=_("信号"), choices=RetentionSignal.choices, initial=RetentionSignal.MOVE_PLAN
    )
    detail = forms.CharField(
        label=_("信号说明"),
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": _("信号说明，如：拟迁往外区")}),
    )


class RetentionActionForm(CleanTextForm):
    text = forms.CharField(
        label=_("措施"), max_length=500, widget=forms.TextInput(attrs={"placeholder": _("稳商措施")})
    )
    due_on = dates.DateField(
        label=_("计划完成日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class RetentionCloseForm(CleanTextForm):
    outcome = forms.ChoiceField(
        label=_("结果"),
        choices=[
            (RetentionStatus.KEPT, RetentionStatus.KEPT.label),
            (RetentionStatus.LOST, RetentionStatus.LOST.label),
        ],
    )
    reason_code = forms.ChoiceField(
        label=_("流失原因"),
        choices=[("", _("流失原因（已流失时必选）")), *LostReason.choices],
        required=False,
    )
    reason = forms.CharField(
        label=_("原因说明"),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("留住的做法或流失的说明")}),
    )


class TargetForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    investment_wan = wan_field(_("计划投资目标（万元）"), required=True)
    jobs = forms.IntegerField(label=_("就业岗位目标"), min_value=0, max_value=1_000_000)
