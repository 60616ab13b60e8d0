"""Choices of the ledger core."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountKind(models.TextChoices):
    """What an account holds. Every kind except ``EXTERNAL`` must never go below zero (nor below what is
    held on it): the database refuses it with a CHECK constraint."""

    ASSET = "asset", _("资产")  # debit-normal: money the platform holds (a scheme's fund)
    LIABILITY = "liability", _("负债")  # credit-normal: money owed (a voucher's balance, a provider payable)
    EQUITY = "equity", _("净资产")  # credit-normal: unallocated budget
    EXTERNAL = "external", _("外部往来")  # either side, may go negative: the world outside the ledger


NON_NEGATIVE_KINDS = frozenset({AccountKind.ASSET, AccountKind.LIABILITY, AccountKind.EQUITY})


class Side(models.TextChoices):
    DEBIT = "D", _("借")
    CREDIT = "C", _("贷")


NORMAL_SIDE = {
    AccountKind.ASSET: Side.DEBIT,
    AccountKind.LIABILITY: Side.CREDIT,
    AccountKind.EQUITY: Side.CREDIT,
}


class HoldStatus(models.TextChoices):
    ACTIVE = "active", _("冻结中")
    CAPTURED = "captured", _("已入账")
    VOIDED = "voided", _("已解冻")
    EXPIRED = "expired", _("已过期")


class PostingOperation(models.TextChoices):
    POST = "post", _("记账")
    HOLD = "hold", _("冻结")
    CAPTURE = "capture", _("冻结入账")
    VOID = "void", _("解冻")
    EXPIRE = "expire", _("冻结过期")
