"""Input shapes of the spaces pages. Rents are typed in 元/㎡·天 and stored in fen."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kechuang.core import dates
from kechuang.core.money import fen_from_yuan_decimal
from kechuang.directory.models import Block, Building, Park
from kechuang.directory.pickers import field_picker, technology_fields

from .choices import RequestStatus, SpaceType
from .models import SpaceRequest


def _rent_field(label: Any, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=7,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=Decimal(1000),
        required=required,
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )


def _area_field(label: Any, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=9,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal(1_000_000),
        required=required,
    )


class _Styled:
    def style(self) -> None:
        for field in self.fields.values():  # type: ignore[attr-defined]
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)


class SpaceUnitForm(_Styled, forms.Form):
    building = forms.ModelChoiceField(label=_("楼宇"), queryset=Building.objects.none(), to_field_name="code")
    unit_code = forms.CharField(label=_("单元号"), max_length=32)
    floor = forms.IntegerField(label=_("楼层"), min_value=-10, max_value=200)
    area_m2 = _area_field(_("面积（㎡）"))
    space_type = forms.ChoiceField(label=_("类型"), choices=SpaceType.choices)
    rent = _rent_field(_("租金（元/㎡·天）"))
    floor_load_kn_m2 = forms.DecimalField(
        label=_("楼面承重（kN/㎡）"),
        max_digits=6,
        decimal_places=1,
        min_value=Decimal(0),
        max_value=Decimal(1000),
        required=False,
    )
    power_kw = forms.IntegerField(label=_("供电容量（kW）"), min_value=0, max_value=1_000_000, required=False)
    description = forms.CharField(
        label=_("说明"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, buildings: Any = None, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = buildings if buildings is not None else Building.objects.all()
        if editing:
            del self.fields["building"]
            del self.fields["unit_code"]
        self.style()


class SpaceRequestForm(_Styled, forms.Form):
    title = forms.CharField(
        label=_("标题"),
        max_length=120,
        widget=forms.TextInput(attrs={"placeholder": _("如：生物芯片中试线需洁净厂房")}),
    )
    space_type = forms.ChoiceField(
        label=_("类型"), choices=[("", _("不限")), *SpaceType.choices], required=False
    )
    area_min_m2 = _area_field(_("最小面积（㎡）"))
    area_max_m2 = _area_field(_("最大面积（㎡）"))
    budget = _rent_field(_("租金预算上限（元/㎡·天）"), required=False)
    move_in_by = dates.DateField(
        label=_("期望入驻日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    lease_months = forms.IntegerField(label=_("租期（月）"), min_value=1, max_value=240, required=False)
    min_floor_load_kn_m2 = forms.DecimalField(
        label=_("承重要求（kN/㎡）"),
        max_digits=6,
        decimal_places=1,
        min_value=Decimal(0),
        max_value=Decimal(1000),
        required=False,
    )
    min_power_kw = forms.IntegerField(
        label=_("用电要求（kW）"), min_value=0, max_value=1_000_000, required=False
    )
    block = forms.ModelChoiceField(
        label=_("意向板块"),
        queryset=Block.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("不限"),
    )
    park = forms.ModelChoiceField(
        label=_("意向园区"),
        queryset=Park.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("不限"),
    )
    fields = forms.ModelMultipleChoiceField(
        label=_("产业领域"),
        queryset=technology_fields(),
        widget=field_picker(),
        to_field_name="code",
        required=False,
        help_text=_("不选则使用本企业登记的技术领域，用于匹配园区主题"),
    )
    special_needs = forms.CharField(
        label=_("特殊需求"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fields"].widget.attrs["size"] = 6
        self.style()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        low, high = data.get("area_min_m2"), data.get("area_max_m2")
        if low is not None and high is not None and high < low:
            self.add_error("area_max_m2", _("最大面积不能小于最小面积。"))
        return data

    def service_arguments(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "title": d["title"],
            "space_type": d.get("space_type") or "",
            "area_min_m2": d["area_min_m2"],
            "area_max_m2": d["area_max_m2"],
            "budget_fen_per_m2_day": fen_from_yuan_decimal(d.get("budget")),
            "move_in_by": d.get("move_in_by"),
            "lease_months": d.get("lease_months"),
            "min_floor_load_kn_m2": d.get("min_floor_load_kn_m2"),
            "min_power_kw": d.get("min_power_kw"),
            "block": d.get("block"),
            "park": d.get("park"),
            "fields": list(d.get("fields") or []),
            "special_needs": d.get("special_needs") or "",
        }


class ViewingForm(_Styled, forms.Form):
    unit = forms.CharField(widget=forms.HiddenInput, max_length=80)
    scheduled_at = dates.DateTimeField(
        label=_("看房时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )
    note = forms.CharField(label=_("备注"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()


class ReservationForm(_Styled, forms.Form):
    space_request = forms.ModelChoiceField(
        label=_("用房需求（企业）"), queryset=SpaceRequest.objects.none(), to_field_name="code"
    )
    start_date = dates.DateField(label=_("起始日"), widget=forms.DateInput(attrs={"type": "date"}))
    end_date = dates.DateField(label=_("截止日"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["space_request"]
        field.queryset = (
            SpaceRequest.objects.filter(status=RequestStatus.OPEN)  # type: ignore[attr-defined]
            .select_related("organization")
            .order_by("-created_at")
        )
        field.label_from_instance = lambda r: f"{r.organization.name} · {r.title}（{r.code}）"  # type: ignore[attr-defined]
        self.style()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("start_date") and data.get("end_date") and data["end_date"] < data["start_date"]:
            self.add_error("end_date", _("截止日不能早于起始日。"))
        return data


class LeaseForm(_Styled, forms.Form):
    start_date = dates.DateField(label=_("起租日"), widget=forms.DateInput(attrs={"type": "date"}))
    end_date = dates.DateField(label=_("到期日"), widget=forms.DateInput(attrs={"type": "date"}))
    rent = _rent_field(_("租金（元/㎡·天）"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()


class ReleaseForm(_Styled, forms.Form):
    free_from = dates.DateField(
        label=_("腾退日（当日起可再出租）"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()
