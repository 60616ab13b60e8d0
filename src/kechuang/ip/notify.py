"""Who hears what in the IP module (docs/architecture.md, "Notifications")."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext_lazy

from kechuang.notifications.services import notification_send
from kechuang.notifications.text import lazy_text

from .choices import ReminderKind
from .models import IpAsset, IpTransaction

MESSAGES = {
    ReminderKind.ANNUITY: gettext_lazy("专利 %(number)s“%(title)s”的年费缴纳期限为 %(date)s，请按时缴纳。"),
    ReminderKind.GRACE: gettext_lazy(
        "专利 %(number)s“%(title)s”的年费已过缴纳期限，处于滞纳期，须在 %(date)s 前补缴年费和滞纳金，"
        "逾期专利权将终止。"
    ),
    ReminderKind.EXPIRY: gettext_lazy("专利 %(number)s“%(title)s”的保护期将于 %(date)s 届满。"),
}


def deadline_reminder(asset: IpAsset, kind: str, deadline: dt.date, today: dt.date) -> int:
    from .services import holder_staff

    sent = notification_send(
        recipients=holder_staff([asset.holder_id]),
        kind=f"ip.{kind}",
        title=lazy_text(
            MESSAGES[kind], number=asset.number, title=asset.title[:60], date=deadline.isoformat()
        ),
        url=reverse("ip:asset-detail", args=[asset.number]),
        dedupe_key=f"ip.{kind}:{asset.pk}:{deadline.isoformat()}",
    )
    return len(sent)


def licence_taken_up(record: IpTransaction) -> None:
    from .services import holder_staff

    notification_send(
        recipients=holder_staff([record.asset.holder_id]),
        kind="ip.open_licence_taken",
        title=lazy_text(
            gettext_lazy("%(org)s 接受了专利“%(title)s”的开放许可，待登记技术合同。"),
            org=record.counterparty_name,
            title=record.asset.title[:60],
        ),
        url=reverse("ip:asset-detail", args=[record.asset.number]),
    )
