from __future__ import annotations

from rest_framework import serializers


class KpiSerializer(serializers.Serializer):
    """One KPI of the five heights with its definition, targets and actuals (in ``unit``)."""

    code = serializers.CharField()
    height = serializers.CharField(help_text="transfer / resources / incubation / talent / literacy")
    height_name = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    kind = serializers.ChoiceField(choices=["flow", "stock", "manual"])
    definition = serializers.CharField()
    year = serializers.IntegerField()
    actual = serializers.DecimalField(
        max_digits=20, decimal_places=2, allow_null=True, coerce_to_string=False
    )
    cumulative = serializers.DecimalField(
        max_digits=20, decimal_places=2, allow_null=True, coerce_to_string=False
    )
    this_year_target = serializers.DecimalField(
        max_digits=20, decimal_places=2, allow_null=True, coerce_to_string=False
    )
    overall_target = serializers.DecimalField(
        max_digits=20, decimal_places=2, allow_null=True, coerce_to_string=False
    )
    progress = serializers.FloatField(allow_null=True, help_text="本年实际 ÷ 本年目标（%）")
    overall_progress = serializers.FloatField(allow_null=True)
    months = serializers.ListField(
        child=serializers.DecimalField(
            max_digits=20, decimal_places=2, allow_null=True, coerce_to_string=False
        )
    )
    quarters = serializers.ListField(
        child=serializers.DecimalField(
            max_digits=20, decimal_places=2, allow_null=True, coerce_to_string=False
        )
    )
