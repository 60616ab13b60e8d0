"""Targets of the five heights' KPIs. The KPIs themselves are code (kpis.py, catalogue.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class KpiTarget(models.Model):
    """This year's target and the overall target of one KPI for one year, set by an operator.

    For a KPI no module records yet (kind ``manual``), ``manual_actual`` holds the year's actual as
    entered from the operator's ledger. Values are in the KPI's display unit (万元 for amounts)."""

    kpi_code = models.CharField(_("指标编码"), max_length=64)
    year = models.PositiveSmallIntegerField(_("年度"))
    this_year_target = models.DecimalField(
        _("本年目标"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    overall_target = models.DecimalField(_("总目标"), max_digits=16, decimal_places=2, null=True, blank=True)
    manual_actual = models.DecimalField(
        _("本年实际（填报）"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("仅用于尚无业务模块统计的指标"),
    )
    note = models.CharField(_("说明"), max_length=300, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("修改人"),
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("指标目标")
        verbose_name_plural = _("指标目标")
        ordering = ["-year", "kpi_code"]
        constraints = [
            models.UniqueConstraint(fields=["kpi_code", "year"], name="kpi_target_once_per_year"),
            models.CheckConstraint(
                condition=(Q(this_year_target__isnull=True) | Q(this_year_target__gte=0))
                & (Q(overall_target__isnull=True) | Q(overall_target__gte=0))
                & (Q(manual_actual__isnull=True) | Q(manual_actual__gte=0)),
                name="kpi_target_not_negative",
                violation_error_message=_("目标和实际值不能为负数。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi_code} {self.year}"
