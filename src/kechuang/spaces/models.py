"""Industrial space (docs/design.md §3.7): units in the district's buildings, enterprises' space requests,
viewings, reservations and leases.

Money is integer fen. Rent is quoted the way the district's parks quote it: **fen per m² per day**
(``rent_fen_per_m2_day``; 2.8 元/㎡·天 is 280). Monthly rent of a unit = area × rent × 365 / 12.

Periods (reservations and leases) are whole days, both ends included: ``[start_date, end_date]``.
Two holding periods of one unit may not overlap; the database refuses it (migration 0002: an
exclusion constraint on PostgreSQL, triggers on SQLite), and the services lock the unit row first so
racing requests get a clean answer rather than an integrity error.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kechuang.core.codes import next_code
from kechuang.core.money import yuan_compact

from .choices import LeaseStatus, RequestStatus, ReservationStatus, SpaceType, UnitStatus, ViewingStatus


def new_code(prefix: str) -> str:
    """The next public code of a kind, such as ``SR-2026-00012``: year and sequence (kechuang.core.codes)."""
    return next_code("spaces", prefix, width=5)


def area_text(value: Decimal | int | float | None) -> str:
    if value is None:
        return ""
    text = f"{Decimal(str(value)).quantize(Decimal('0.01')):f}".rstrip("0").rstrip(".")
    return text or "0"


class SpaceUnit(models.Model):
    """A lettable unit (an office suite, a lab, a plant bay, a cleanroom) in a directory Building."""

    code = models.CharField(_("房源编号"), max_length=80, unique=True, editable=False)
    building = models.ForeignKey(
        "directory.Building", on_delete=models.PROTECT, related_name="space_units", verbose_name=_("楼宇")
    )
    unit_code = models.CharField(_("单元号"), max_length=32)
    floor = models.SmallIntegerField(_("楼层"))
    area_m2 = models.DecimalField(_("面积（㎡）"), max_digits=9, decimal_places=2)
    space_type = models.CharField(_("类型"), max_length=16, choices=SpaceType.choices, db_index=True)
    floor_load_kn_m2 = models.DecimalField(
        _("楼面承重（kN/㎡）"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    power_kw = models.PositiveIntegerField(_("供电容量（kW）"), null=True, blank=True)
    rent_fen_per_m2_day = models.PositiveIntegerField(_("租金（分/㎡·天）"))
    status = models.CharField(
        _("状态"), max_length=16, choices=UnitStatus.choices, default=UnitStatus.VACANT, db_index=True
    )
    vacant_since = models.DateField(_("空置起始日"), null=True, blank=True)
    description = models.CharField(_("说明"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("房源")
        verbose_name_plural = _("房源")
        ordering = ["building__code", "floor", "unit_code"]
        constraints = [
            models.UniqueConstraint(fields=["building", "unit_code"], name="spaceunit_unique_building_unit"),
            models.CheckConstraint(condition=Q(area_m2__gt=0), name="spaceunit_area_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.building.name} {self.unit_code}"

    @property
    def rent_yuan(self) -> str:
        return yuan_compact(self.rent_fen_per_m2_day)

    @property
    def area_shown(self) -> str:
        return area_text(self.area_m2)

    @property
    def monthly_rent_fen(self) -> int:
        return int(Decimal(self.area_m2) * self.rent_fen_per_m2_day * 365 / 12)


class SpaceRequest(models.Model):
    """An enterprise looking for room: area range, type, budget, timing and special needs."""

    code = models.CharField(_("需求编号"), max_length=16, unique=True, editable=False)
    organization = models.ForeignKey(
        "directory.Organization",
        on_delete=models.CASCADE,
        related_name="space_requests",
        verbose_name=_("企业"),
    )
    title = models.CharField(_("标题"), max_length=120)
    space_type = models.CharField(
        _("类型"), max_length=16, choices=SpaceType.choices, blank=True, help_text=_("不填表示类型不限")
    )
    area_min_m2 = models.DecimalField(_("最小面积（㎡）"), max_digits=9, decimal_places=2)
    area_max_m2 = models.DecimalField(_("最大面积（㎡）"), max_digits=9, decimal_places=2)
    budget_fen_per_m2_day = models.PositiveIntegerField(_("租金预算上限（分/㎡·天）"), null=True, blank=True)
    move_in_by = models.DateField(_("期望入驻日期"), null=True, blank=True)
    lease_months = models.PositiveSmallIntegerField(_("租期（月）"), null=True, blank=True)
    min_floor_load_kn_m2 = models.DecimalField(
        _("承重要求（kN/㎡）"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    min_power_kw = models.PositiveIntegerField(_("用电要求（kW）"), null=True, blank=True)
    block = models.ForeignKey(
        "directory.Block",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("意向板块"),
    )
    park = models.ForeignKey(
        "directory.Park",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("意向园区"),
    )
    fields = models.ManyToManyField(
        "directory.TechnologyField", blank=True, related_name="+", verbose_name=_("产业领域")
    )
    special_needs = models.TextField(_("特殊需求"), blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.OPEN, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("提交人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("用房需求")
        verbose_name_plural = _("用房需求")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(area_min_m2__gt=0) & Q(area_max_m2__gte=F("area_min_m2")),
                name="spacerequest_area_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def budget_yuan(self) -> str:
        return yuan_compact(self.budget_fen_per_m2_day)


class Viewing(models.Model):
    """An appointment to see a unit, booked by the enterprise from its request."""

    code = models.CharField(_("预约编号"), max_length=16, unique=True, editable=False)
    unit = models.ForeignKey(
        SpaceUnit, on_delete=models.CASCADE, related_name="viewings", verbose_name=_("房源")
    )
    request = models.ForeignKey(
        SpaceRequest, on_delete=models.CASCADE, related_name="viewings", verbose_name=_("用房需求")
    )
    organization = models.ForeignKey(
        "directory.Organization", on_delete=models.CASCADE, related_name="+", verbose_name=_("企业")
    )
    scheduled_at = models.DateTimeField(_("看房时间"))
    note = models.CharField(_("备注"), max_length=300, blank=True)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=ViewingStatus.choices,
        default=ViewingStatus.REQUESTED,
        db_index=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("预约人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("看房预约")
        verbose_name_plural = _("看房预约")
        ordering = ["scheduled_at", "id"]

    def __str__(self) -> str:
        return self.code


class Reservation(models.Model):
    """A hold on a unit for an enterprise and a period, before the lease is signed."""

    code = models.CharField(_("预订编号"), max_length=16, unique=True, editable=False)
    unit = models.ForeignKey(
        SpaceUnit, on_delete=models.PROTECT, related_name="reservations", verbose_name=_("房源")
    )
    organization = models.ForeignKey(
        "directory.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("企业")
    )
    request = models.ForeignKey(
        SpaceRequest,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reservations",
        verbose_name=_("用房需求"),
    )
    start_date = models.DateField(_("起始日"))
    end_date = models.DateField(_("截止日"))
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=ReservationStatus.choices,
        default=ReservationStatus.ACTIVE,
        db_index=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("经办人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("预订")
        verbose_name_plural = _("预订")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="reservation_period_order"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Lease(models.Model):
    """A signed lease: the unit is let to the enterprise from start to end at a rent.

    Releasing early moves ``end_date`` to the last day of occupancy (``contract_end_date`` keeps the
    signed end) and marks it ended, so the unit can be let again from the next day."""

    code = models.CharField(_("租约编号"), max_length=16, unique=True, editable=False)
    unit = models.ForeignKey(
        SpaceUnit, on_delete=models.PROTECT, related_name="leases", verbose_name=_("房源")
    )
    organization = models.ForeignKey(
        "directory.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("承租企业")
    )
    reservation = models.OneToOneField(
        Reservation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lease",
        verbose_name=_("来源预订"),
    )
    start_date = models.DateField(_("起租日"))
    end_date = models.DateField(_("到期日"))
    contract_end_date = models.DateField(_("合同到期日"))
    rent_fen_per_m2_day = models.PositiveIntegerField(_("租金（分/㎡·天）"))
    signed_on = models.DateField(_("签约日"))
    vacant_since = models.DateField(_("签约前空置起始日"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=LeaseStatus.choices, default=LeaseStatus.ACTIVE, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("经办人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("租约")
        verbose_name_plural = _("租约")
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="lease_period_order"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def rent_yuan(self) -> str:
        return yuan_compact(self.rent_fen_per_m2_day)
