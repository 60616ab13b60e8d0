"""Shared instruments (共享研发平台, docs/adr/0024-instruments.md): the institutes' and providers' instruments,
their rate cards, who is trained on them, maintenance blocks, bookings of machine time and sample-testing
requests.

Money is integer fen (``kechuang.core.money``). Booking periods are half-open ``[start_at, end_at)``:
two holding bookings of one instrument may not overlap, and no holding booking may fall inside one of its
maintenance blocks. The database refuses both (migration 0002: an exclusion constraint and triggers on
PostgreSQL, triggers on SQLite); the services lock the instrument row first so that racing requests get
a clean answer rather than an integrity error.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kechuang.core.codes import next_code
from kechuang.core.money import yuan_compact

from .choices import (
    ApprovalRule,
    BookingStatus,
    InstrumentStatus,
    InvoiceStatus,
    RateUnit,
    SampleStatus,
    ServiceMode,
    UserClass,
)

USER = settings.AUTH_USER_MODEL
SCOPE = "instruments"


def new_code(prefix: str) -> str:
    """The next public code of a kind (``YQ-2026-00012``): year and sequence (kechuang.core.codes)."""
    return next_code(SCOPE, prefix, width=5)


def _person(verbose: object, related: str = "+") -> models.ForeignKey:
    return models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name=related, verbose_name=verbose
    )


class InstrumentCategory(models.Model):
    """A node of the instrument classification (the national 大型科研仪器 classification's top levels and
    some of their branches; seeded by migration 0003)."""

    code = models.CharField(_("分类编码"), max_length=16, unique=True)
    name = models.CharField(_("分类名称"), max_length=60)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("上级分类"),
    )
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("仪器分类")
        verbose_name_plural = _("仪器分类")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class Instrument(models.Model):
    """An instrument an organization (an institute or a provider) opens to others: where it is, what it
    is, how it may be used (self-operated use, sample testing or both), who may book it without asking,
    and when."""

    code = models.CharField(_("仪器编号"), max_length=16, unique=True, editable=False)
    name = models.CharField(_("仪器名称"), max_length=120)
    owner = models.ForeignKey(
        "directory.Organization",
        on_delete=models.PROTECT,
        related_name="instruments",
        verbose_name=_("所属单位"),
    )
    building = models.ForeignKey(
        "directory.Building",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="instruments",
        verbose_name=_("楼宇"),
    )
    room = models.CharField(_("房间"), max_length=40, blank=True)
    category = models.ForeignKey(
        InstrumentCategory, on_delete=models.PROTECT, related_name="instruments", verbose_name=_("分类")
    )
    model_number = models.CharField(_("型号"), max_length=80, blank=True)
    maker = models.CharField(_("生产厂商"), max_length=120, blank=True)
    original_value_fen = models.BigIntegerField(_("原值（分）"), default=0)
    purchase_year = models.PositiveSmallIntegerField(_("购置年份"), null=True, blank=True)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=InstrumentStatus.choices,
        default=InstrumentStatus.IN_SERVICE,
        db_index=True,
    )
    description = models.TextField(_("主要功能与技术指标"), blank=True)
    service_mode = models.CharField(
        _("服务方式"), max_length=8, choices=ServiceMode.choices, default=ServiceMode.BOTH
    )
    approval_rule = models.CharField(
        _("预约审批规则"), max_length=12, choices=ApprovalRule.choices, default=ApprovalRule.OWNER
    )
    slot_minutes = models.PositiveSmallIntegerField(_("时段长度（分钟）"), default=60)
    open_from = models.TimeField(_("开放开始时间"), default=dt.time(8, 30))
    open_until = models.TimeField(_("开放结束时间"), default=dt.time(17, 30))
    open_weekdays = models.CharField(
        _("开放日"), max_length=7, default="12345", help_text=_("星期几开放：1 为周一，7 为周日")
    )
    min_notice_hours = models.PositiveSmallIntegerField(_("最少提前预约（小时）"), default=24)
    free_cancel_hours = models.PositiveSmallIntegerField(_("免费取消时限（小时）"), default=24)
    voucher_service = models.OneToOneField(
        "vouchers.ProviderService",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="instrument",
        verbose_name=_("创新券服务项目"),
    )
    voucher_sample_service = models.OneToOneField(
        "vouchers.ProviderService",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sample_instrument",
        verbose_name=_("创新券委托测试项目"),
    )
    index_version = models.BigIntegerField(_("索引版本"), default=0, db_index=True, editable=False)
    created_by = _person(_("登记人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    KIND = "instrument"  # its kind in the matching index (kechuang.instruments.matching)

    class Meta:
        verbose_name = _("共享仪器")
        verbose_name_plural = _("共享仪器")
        ordering = ["owner_id", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(original_value_fen__gte=0), name="instrument_value_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=15, slot_minutes__lte=1440), name="instrument_slot_range"
            ),
            models.CheckConstraint(condition=Q(open_until__gt=F("open_from")), name="instrument_open_hours"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def value_yuan(self) -> str:
        return yuan_compact(self.original_value_fen)

    @property
    def self_operated(self) -> bool:
        return self.service_mode in (ServiceMode.SELF, ServiceMode.BOTH)

    @property
    def sample_testing(self) -> bool:
        return self.service_mode in (ServiceMode.SAMPLE, ServiceMode.BOTH)

    def weekdays(self) -> set[int]:
        return {int(c) for c in self.open_weekdays if c in "1234567"}


class Rate(models.Model):
    """One line of an instrument's rate card: the price for a user class per hour or per sample."""

    instrument = models.ForeignKey(
        Instrument, on_delete=models.CASCADE, related_name="rates", verbose_name=_("仪器")
    )
    user_class = models.CharField(_("用户类别"), max_length=10, choices=UserClass.choices)
    unit = models.CharField(_("计价单位"), max_length=8, choices=RateUnit.choices)
    price_fen = models.BigIntegerField(_("价格（分）"))

    class Meta:
        verbose_name = _("收费标准")
        verbose_name_plural = _("收费标准")
        ordering = ["instrument_id", "unit", "user_class"]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "user_class", "unit"], name="instrument_rate_unique"
            ),
            models.CheckConstraint(condition=Q(price_fen__gte=0), name="instrument_rate_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_user_class_display()} {yuan_compact(self.price_fen)}{self.get_unit_display()}"


class Qualification(models.Model):
    """A user trained on an instrument by its owner: when, until when, by whom."""

    user = models.ForeignKey(
        USER, on_delete=models.CASCADE, related_name="instrument_qualifications", verbose_name=_("人员")
    )
    instrument = models.ForeignKey(
        Instrument, on_delete=models.CASCADE, related_name="qualifications", verbose_name=_("仪器")
    )
    trained_on = models.DateField(_("培训日期"))
    expires_on = models.DateField(_("有效期至"), null=True, blank=True)
    trainer = _person(_("培训人"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("上机资格")
        verbose_name_plural = _("上机资格")
        ordering = ["instrument_id", "user_id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "instrument"], name="instrument_qualification_unique"),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gte=F("trained_on")),
                name="instrument_qualification_dates",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.instrument_id}"

    def valid_on(self, day: dt.date) -> bool:
        return self.trained_on <= day and (self.expires_on is None or day <= self.expires_on)


class MaintenanceBlock(models.Model):
    """A period in which the instrument cannot be booked (maintenance, calibration, the owner's own use)."""

    instrument = models.ForeignKey(
        Instrument, on_delete=models.CASCADE, related_name="maintenance_blocks", verbose_name=_("仪器")
    )
    start_at = models.DateTimeField(_("开始时间"))
    end_at = models.DateTimeField(_("结束时间"))
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    created_by = _person(_("登记人"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("维护时段")
        verbose_name_plural = _("维护时段")
        ordering = ["start_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end_at__gt=F("start_at")), name="maintenance_period_order"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.start_at:%Y-%m-%d %H:%M}"


class Booking(models.Model):
    """Machine time booked by an organization's user (自主上机): requested, confirmed (by the rule or the
    owner), checked in and out (the actual minutes), or a no-show, or cancelled / rejected. The charge is
    the rate of the booker's class × the actual time (docs/adr/0024-instruments.md)."""

    code = models.CharField(_("预约编号"), max_length=16, unique=True, editable=False)
    instrument = models.ForeignKey(
        Instrument, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("仪器")
    )
    organization = models.ForeignKey(
        "directory.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("预约单位")
    )
    user = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("上机人员"),
        help_text=_("导入的历史记录和演示数据可不填"),
    )
    start_at = models.DateTimeField(_("开始时间"))
    end_at = models.DateTimeField(_("结束时间"))
    purpose = models.CharField(_("实验内容"), max_length=300, blank=True)
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=BookingStatus.choices,
        default=BookingStatus.REQUESTED,
        db_index=True,
    )
    user_class = models.CharField(_("用户类别"), max_length=10, choices=UserClass.choices)
    rate_fen = models.BigIntegerField(_("小时单价（分）"), default=0)
    actual_minutes = models.PositiveIntegerField(_("实际机时（分钟）"), null=True, blank=True)
    charge_fen = models.BigIntegerField(_("费用（分）"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("上机时间"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("下机时间"), null=True, blank=True)
    late_cancel = models.BooleanField(_("逾期取消"), default=False)
    charge_confirmed_at = models.DateTimeField(_("费用确认时间"), null=True, blank=True)
    decided_by = _person(_("审批人"))
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=300, blank=True)
    voucher_order = models.OneToOneField(
        "vouchers.ServiceOrder",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="instrument_booking",
        verbose_name=_("创新券订单"),
    )
    created_by = _person(_("预约人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("机时预约")
        verbose_name_plural = _("机时预约")
        ordering = ["-start_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(end_at__gt=F("start_at")), name="booking_period_order"),
            models.CheckConstraint(
                condition=Q(charge_fen__isnull=True) | Q(charge_fen__gte=0),
                name="booking_charge_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["instrument", "start_at"], name="instr_booking_start")]

    def __str__(self) -> str:
        return self.code

    @property
    def booked_minutes(self) -> int:
        return int((self.end_at - self.start_at).total_seconds() // 60)


def report_path(instance: SampleRequest, filename: str) -> str:
    return f"instruments/reports/{instance.code}.bin"


class SampleRequest(models.Model):
    """A sample-testing request (委托测试): the requester submits samples and the test wanted, the owner
    accepts, records receipt, uploads the report; the requester confirms. Charge = samples × rate."""

    code = models.CharField(_("委托编号"), max_length=16, unique=True, editable=False)
    instrument = models.ForeignKey(
        Instrument, on_delete=models.PROTECT, related_name="sample_requests", verbose_name=_("仪器")
    )
    organization = models.ForeignKey(
        "directory.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("委托单位")
    )
    sample_count = models.PositiveIntegerField(_("样品数量"))
    sample_description = models.CharField(_("样品说明"), max_length=500)
    requirements = models.TextField(_("测试要求"), blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=SampleStatus.choices, default=SampleStatus.SUBMITTED, db_index=True
    )
    user_class = models.CharField(_("用户类别"), max_length=10, choices=UserClass.choices)
    rate_fen = models.BigIntegerField(_("每样品单价（分）"), default=0)
    charge_fen = models.BigIntegerField(_("费用（分）"), null=True, blank=True)
    report = models.FileField(_("测试报告"), upload_to=report_path, max_length=200, blank=True)
    report_name = models.CharField(_("报告文件名"), max_length=160, blank=True)
    report_content_type = models.CharField(max_length=100, blank=True)
    note = models.CharField(_("处理说明"), max_length=300, blank=True)
    submitted_by = _person(_("委托人"))
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    accepted_by = _person(_("受理人"))
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    received_at = models.DateTimeField(_("收样时间"), null=True, blank=True)
    reported_by = _person(_("报告人"))
    reported_at = models.DateTimeField(_("报告时间"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    voucher = models.ForeignKey(
        "vouchers.Voucher",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("支付用创新券"),
    )
    voucher_order = models.OneToOneField(
        "vouchers.ServiceOrder",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="instrument_sample",
        verbose_name=_("创新券订单"),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("委托测试")
        verbose_name_plural = _("委托测试")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sample_count__gte=1, sample_count__lte=1000), name="sample_count_range"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class BookingRating(models.Model):
    """The booker's rating of a finished booking (service, instrument condition), one per booking."""

    booking = models.OneToOneField(
        Booking, on_delete=models.CASCADE, related_name="rating", verbose_name=_("预约")
    )
    instrument = models.ForeignKey(
        Instrument, on_delete=models.CASCADE, related_name="ratings", verbose_name=_("仪器")
    )
    score = models.PositiveSmallIntegerField(_("评分"))
    comment = models.CharField(_("评价"), max_length=300, blank=True)
    created_by = _person(_("评价人"))
    created_at = models.DateTimeField(_("评价时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("使用评价")
        verbose_name_plural = _("使用评价")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=5), name="instrument_rating_score_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.booking_id}: {self.score}"


def photo_path(instance: InstrumentPhoto, filename: str) -> str:
    return f"instruments/photos/{instance.instrument.code}-{instance.sha256[:16]}.bin"


class InstrumentPhoto(models.Model):
    """A photo of an instrument (PNG or JPEG, checked by content), served through an access-checked view."""

    instrument = models.ForeignKey(
        Instrument, on_delete=models.CASCADE, related_name="photos", verbose_name=_("仪器")
    )
    image = models.FileField(_("照片"), upload_to=photo_path, max_length=200)
    name = models.CharField(_("文件名"), max_length=160)
    content_type = models.CharField(max_length=100)
    sha256 = models.CharField(max_length=64)
    created_by = _person(_("上传人"))
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("仪器照片")
        verbose_name_plural = _("仪器照片")
        ordering = ["instrument_id", "id"]

    def __str__(self) -> str:
        return self.name


class Invoice(models.Model):
    """The owner's invoice for the part of a booking's or a sample test's charge paid directly (not by
    voucher): its number, amount, date and payer; issued, then recorded as paid
    (docs/adr/0024-instruments.md)."""

    code = models.CharField(_("编号"), max_length=16, unique=True, editable=False)
    number = models.CharField(_("发票号码"), max_length=40)
    owner = models.ForeignKey(
        "directory.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("开票单位")
    )
    payer = models.ForeignKey(
        "directory.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("付款单位")
    )
    booking = models.OneToOneField(
        Booking,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoice",
        verbose_name=_("预约"),
    )
    sample_request = models.OneToOneField(
        SampleRequest,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoice",
        verbose_name=_("委托测试"),
    )
    amount_fen = models.BigIntegerField(_("金额（分）"))
    issued_on = models.DateField(_("开票日期"))
    status = models.CharField(
        _("状态"), max_length=8, choices=InvoiceStatus.choices, default=InvoiceStatus.ISSUED, db_index=True
    )
    paid_on = models.DateField(_("付款日期"), null=True, blank=True)
    issued_by = _person(_("开票人"))
    paid_recorded_by = _person(_("登记付款人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("收费发票")
        verbose_name_plural = _("收费发票")
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(booking__isnull=False, sample_request__isnull=True)
                | Q(booking__isnull=True, sample_request__isnull=False),
                name="invoice_for_one_charge",
            ),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="invoice_amount_positive"),
            models.CheckConstraint(
                condition=Q(status="issued", paid_on__isnull=True) | Q(status="paid", paid_on__isnull=False),
                name="invoice_paid_has_date",
            ),
            models.UniqueConstraint(fields=["owner", "number"], name="invoice_number_per_owner"),
        ]

    def __str__(self) -> str:
        return self.number
