"""Choices of the shared-instrument module (共享研发平台, docs/adr/0024-instruments.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class InstrumentStatus(models.TextChoices):
    IN_SERVICE = "in_service", _("在用")
    MAINTENANCE = "maintenance", _("维修中")
    RETIRED = "retired", _("已报废")


class ServiceMode(models.TextChoices):
    SELF = "self", _("自主上机")
    SAMPLE = "sample", _("委托测试")
    BOTH = "both", _("自主上机与委托测试")


class ApprovalRule(models.TextChoices):
    AUTOMATIC = "automatic", _("自动通过")
    TRAINED = "trained", _("仅限培训合格人员")
    OWNER = "owner", _("需管理方审批")


class UserClass(models.TextChoices):
    OWNER = "owner", _("本单位人员")
    DISTRICT = "district", _("街区企业")
    OUTSIDE = "outside", _("外部用户")


class RateUnit(models.TextChoices):
    HOUR = "hour", _("每小时")
    SAMPLE = "sample", _("每样品")


class BookingStatus(models.TextChoices):
    REQUESTED = "requested", _("待审批")
    CONFIRMED = "confirmed", _("已确认")
    CHECKED_IN = "checked_in", _("使用中")
    COMPLETED = "completed", _("已完成")
    NO_SHOW = "no_show", _("未到场")
    CANCELLED = "cancelled", _("已取消")
    REJECTED = "rejected", _("未通过")


# Statuses whose period holds the instrument: the database refuses two such bookings overlapping, and
# any of them inside a maintenance block (migration 0002). Completed and no-show bookings keep their
# period: the time was taken.
HOLDING_BOOKING = (
    BookingStatus.REQUESTED,
    BookingStatus.CONFIRMED,
    BookingStatus.CHECKED_IN,
    BookingStatus.COMPLETED,
    BookingStatus.NO_SHOW,
)
OPEN_BOOKING = (BookingStatus.REQUESTED, BookingStatus.CONFIRMED)


class SampleStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待受理")
    ACCEPTED = "accepted", _("已受理")
    RECEIVED = "received", _("已收样")
    REPORTED = "reported", _("报告已出具")
    CONFIRMED = "confirmed", _("已确认")
    REJECTED = "rejected", _("不予受理")
    CANCELLED = "cancelled", _("已取消")


class InvoiceStatus(models.TextChoices):
    ISSUED = "issued", _("已开票")
    PAID = "paid", _("已付款")
