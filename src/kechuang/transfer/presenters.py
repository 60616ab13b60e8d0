"""Turning engine output into what people read: reasons in Chinese, highlighted snippets, masked contacts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from kechuang.core.money import format_range, format_wan


def _names(codes: Iterable[str], names: dict[str, str]) -> list[str]:
    return [names.get(c, c) for c in codes]


def reason_text(reason: Any, *, field_names: dict[str, str], park_names: dict[str, str] | None = None) -> str:
    """One sentence for one :class:`matchcore.Reason`; ``""`` when the reason is not worth showing."""
    d = reason.detail or {}
    code = reason.code
    if code == "terms":
        terms = [t for t in d.get("terms", []) if len(t) > 1][:6]
        return _("共同关键词：%(t)s") % {"t": "、".join(terms)} if terms else ""
    if code == "semantic":
        # the raw cosine is no measure of relevance (docs/adr/0020-calibrated-matching.md): say only
        # that the meaning is close, and only when the dense leg stands out from the catalogue
        if d.get("similarity") is None or reason.weight <= 0:
            return ""
        return _("内容语义相近")
    if code == "fields":
        shared = _names(d.get("shared", []), field_names)
        related = _names(d.get("related", []), field_names)
        if shared:
            return _("领域匹配：%(f)s") % {"f": "、".join(shared)}
        if related:
            return _("相关领域：%(f)s") % {"f": "、".join(related)}
        return ""
    if code == "trl":
        if d.get("mode") == "requirement":
            required, offered = d.get("required"), d.get("offered")
            if offered is not None and required is not None and offered >= required:
                return _("成熟度 TRL %(o)s，符合需求（≥%(r)s）") % {"o": offered, "r": required}
            return _("成熟度 TRL %(o)s，低于需求（≥%(r)s）") % {"o": offered, "r": required}
        return _("成熟度相近（TRL %(a)s / %(b)s）") % {"a": d.get("source_trl"), "b": d.get("target_trl")}
    if code == "budget":
        price = format_wan(d.get("price_fen"))
        budget = format_range(d.get("budget_min_fen"), d.get("budget_max_fen"))
        fit = d.get("fit")
        if fit == "within":
            return _("报价 %(p)s在预算 %(b)s内") % {"p": price, "b": budget}
        if fit == "below":
            return _("报价 %(p)s低于预算 %(b)s") % {"p": price, "b": budget}
        return _("报价 %(p)s高于预算 %(b)s") % {"p": price, "b": budget}
    if code == "park":
        if d.get("same"):
            name = (park_names or {}).get(d.get("source", ""), "")
            return _("同在%(p)s") % {"p": name} if name else _("同在一个园区")
        return ""
    if code == "cluster":
        if d.get("same"):
            return _("同属“%(c)s”产业集群") % {"c": field_names.get(d.get("source", ""), d.get("source", ""))}
        return ""
    return ""


TIER_LABELS = {"strong": _lazy("强"), "medium": _lazy("中"), "weak": _lazy("弱")}


def tier_label(tier: str) -> str:
    """强 / 中 / 弱 for a calibrated relevance tier (``""`` when unknown)."""
    label = TIER_LABELS.get(tier)
    return str(label) if label is not None else ""


def reason_list(
    reasons: Sequence[Any], *, field_names: dict[str, str], park_names: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """Reasons worth showing, strongest first: ``[{"code", "text", "weight", "positive"}]``."""
    out = []
    for reason in sorted(reasons, key=lambda r: -r.weight):
        text = reason_text(reason, field_names=field_names, park_names=park_names)
        if not text:
            continue
        d = reason.detail or {}
        positive = not (
            (reason.code == "trl" and d.get("mode") == "requirement" and d.get("gap", 0) > 0)
            or (reason.code == "budget" and d.get("fit") == "above")
        )
        out.append(
            {
                "code": reason.code,
                "text": text,
                "weight": round(float(reason.weight), 3),
                "positive": positive,
            }
        )
    return out


def snippet(text: str, terms: Sequence[str], *, width: int = 120) -> str:
    """A window of ``text`` around the first matched term (or its start)."""
    text = " ".join((text or "").split())
    if len(text) <= width:
        return text
    from matchcore import normalize

    norm = normalize(text)
    first = min((i for i in (norm.find(t.lower()) for t in terms if t) if i >= 0), default=0)
    start = max(0, first - width // 4)
    end = min(len(text), start + width)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def highlighted(text: str, terms: Sequence[str]) -> SafeString:
    """``text`` escaped, with every matched term wrapped in ``<mark>``."""
    from matchcore import highlight

    pieces = highlight(text, [t for t in terms if t and len(t) > 0])
    html = "".join(
        format_html("<mark>{}</mark>", seg) if hit else str(conditional_escape(seg)) for seg, hit in pieces
    )
    return mark_safe(html)
