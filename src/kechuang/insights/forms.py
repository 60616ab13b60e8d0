from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class KpiTargetForm(forms.Form):
    """Targets of one KPI for one year (in the KPI's unit)."""

    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    this_year_target = forms.DecimalField(
        label=_("本年目标"), required=False, min_value=0, max_digits=16, decimal_places=2
    )
    overall_target = forms.DecimalField(
        label=_("总目标"), required=False, min_value=0, max_digits=16, decimal_places=2
    )
    manual_actual = forms.DecimalField(
        label=_("本年实际（填报）"), required=False, min_value=0, max_digits=16, decimal_places=2
    )
    note = forms.CharField(label=_("说明"), required=False, max_length=300)

    def __init__(self, *args, manual: bool = False, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        if not manual:
            del self.fields["manual_actual"]
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")
