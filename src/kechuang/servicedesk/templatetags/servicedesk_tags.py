"""Display helpers for the service desk: status colours, working-time spans, clock captions."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from ..clock import split_minutes

register = template.Library()

STATUS_TONES = {
    "submitted": "warning",
    "in_progress": "primary",
    "handed_over": "info",
    "resolved": "success",
    "closed": "secondary",
    "withdrawn": "light",
}
CLOCK_TONES = {
    "running": "success",
    "due_soon": "warning",
    "breached": "danger",
    "met": "success",
    "late": "danger",
    "stopped": "secondary",
}


@register.filter
def status_tone(status: str) -> str:
    return STATUS_TONES.get(status, "secondary")


@register.filter
def clock_tone(state: str) -> str:
    return CLOCK_TONES.get(state, "secondary")


@register.filter
def working_span(minutes: Any) -> str:
    """510 working minutes → “1 个工作日”; 135 → “2 小时 15 分”."""
    if minutes is None or minutes == "":
        return "—"
    span = split_minutes(int(minutes))
    parts = []
    if span.days:
        parts.append(_("%(n)s 个工作日") % {"n": span.days})
    if span.hours:
        parts.append(_("%(n)s 小时") % {"n": span.hours})
    if span.minutes and not span.days:
        parts.append(_("%(n)s 分") % {"n": span.minutes})
    return " ".join(parts) or _("不到 1 分钟")


@register.filter
def clock_caption(view: Any) -> str:
    """What a clock says in one line: time left, time over, or how it ended."""
    if view is None:
        return ""
    span = working_span(view.minutes)
    if view.state in ("running", "due_soon"):
        return _("剩余 %(span)s") % {"span": span}
    if view.state == "breached":
        # outside office hours the working time over is still zero minutes: say only that it is late
        return _("已超时 %(span)s") % {"span": span} if view.minutes else _("已超时")
    if view.state == "late":
        return _("超时 %(span)s 后完成") % {"span": span}
    if view.state == "met":
        return _("按时完成，用时 %(span)s") % {"span": span}
    return _("已停止")


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def stars(rating: Any) -> str:
    try:
        value = int(rating)
    except (TypeError, ValueError):
        return ""
    return "★" * value + "☆" * (5 - value)
