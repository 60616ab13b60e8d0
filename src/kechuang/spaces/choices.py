from django.db import models
from django.utils.translation import gettext_lazy as _


class SpaceType(models.TextChoices):
    OFFICE = "office", _("办公")
    LAB = "lab", _("研发实验室")
    PLANT = "plant", _("厂房")
    CLEANROOM = "cleanroom", _("洁净室")


class UnitStatus(models.TextChoices):
    VACANT = "vacant", _("空置")
    RESERVED = "reserved", _("已预订")
    LEASED = "leased", _("已出租")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    FULFILLED = "fulfilled", _("已落位")
    CANCELLED = "cancelled", _("已撤销")


class ViewingStatus(models.TextChoices):
    REQUESTED = "requested", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    DONE = "done", _("已看房")
    CANCELLED = "cancelled", _("已取消")


class ReservationStatus(models.TextChoices):
    ACTIVE = "active", _("预订中")
    CONVERTED = "converted", _("已转租约")
    CANCELLED = "cancelled", _("已取消")


class LeaseStatus(models.TextChoices):
    ACTIVE = "active", _("履行中")
    ENDED = "ended", _("已退租")


# Statuses whose period holds the unit (the database refuses two such rows overlapping on one unit).
HOLDING_RESERVATION = (ReservationStatus.ACTIVE,)
HOLDING_LEASE = (LeaseStatus.ACTIVE, LeaseStatus.ENDED)
