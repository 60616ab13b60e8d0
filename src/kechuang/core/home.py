"""What each role's home page shows. Modules add panels with ``core.registry.register_home_panel``.

A provider returns a ``HomeSection`` for ``(request, role)`` (or ``None``): ``HomePanel`` cards (``title``,
``template`` such as "app/partials/home_panel.html", ``context``; optional ``url``, ``url_label``,
``testid``, and ``width`` "full" or "half"), ``HomeAlert`` notices shown above the panels (e.g. a calendar
year not loaded) and extra template context. Sections are collected in the providers' order; a provider
that raises is logged and left out (``core.registry.home_sections``). A panel's template is included
with ``panel`` and ``data`` (= ``panel["context"]``) and draws the body of the card.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .figures import cached_figures
from .registry import HomeAlert, HomePanel, home_sections
from .web import acting_organization

# Labels for headline figures a profile may give as a mapping (``figures: {researchers: 5300}``).
FIGURE_LABELS: dict[str, Any] = {
    "enterprises": _("科技企业"),
    "tech_enterprises": _("科技企业"),
    "researchers": _("科研技术人员"),
    "academicians": _("两院院士"),
    "senior_titles": _("中高级职称人员"),
    "intermediate_senior": _("中高级职称人员"),
    "titled_researchers": _("中高级职称人员"),
    "institutes": _("科研院所"),
    "parks": _("科创园区"),
}
FIGURE_ICONS: dict[str, str] = {
    "enterprises": "bi-buildings",
    "tech_enterprises": "bi-buildings",
    "researchers": "bi-people",
    "academicians": "bi-award",
    "senior_titles": "bi-mortarboard",
    "intermediate_senior": "bi-mortarboard",
    "titled_researchers": "bi-mortarboard",
    "institutes": "bi-bank",
    "parks": "bi-geo-alt",
}
HEIGHT_ICONS: dict[str, str] = {
    "transfer": "bi-arrow-left-right",
    "resources": "bi-diagram-3",
    "incubation": "bi-rocket-takeoff",
    "talent": "bi-people",
    "literacy": "bi-lightbulb",
    "science_literacy": "bi-lightbulb",
}
HEIGHT_ICON_ORDER = ["bi-arrow-left-right", "bi-diagram-3", "bi-rocket-takeoff", "bi-people", "bi-lightbulb"]


def _first(item: dict[str, Any], *keys: str, default: Any = "") -> Any:
    for key in keys:
        value = item.get(key)
        if value not in (None, ""):
            return value
    return default


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) and abs(value) >= 10000:
        return f"{value:,}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _figures(raw: Any) -> list[dict[str, Any]]:
    if isinstance(raw, dict) and isinstance(raw.get("items"), list):
        raw = raw["items"]
    items: list[dict[str, Any]] = []
    if isinstance(raw, dict):
        for key, value in raw.items():
            if key in ("year", "as_of", "source", "note"):
                continue
            entry = dict(value) if isinstance(value, dict) else {"value": value}
            entry.setdefault("key", key)
            items.append(entry)
    elif isinstance(raw, list):
        items = [dict(i) if isinstance(i, dict) else {"label": str(i)} for i in raw]
    figures = []
    for entry in items:
        key = str(entry.get("key") or entry.get("code") or "")
        value = _first(entry, "value", "number", "count", "figure")
        label = _first(entry, "label", "name", "title", default=FIGURE_LABELS.get(key, key))
        if value == "" or not label:
            continue
        shown = _shown(value)
        if entry.get("approx") and not shown.endswith("+"):
            shown += "+"
        figures.append(
            {
                "key": key,
                "label": label,
                "value": shown,
                "unit": entry.get("unit", ""),
                "note": _first(entry, "note", "description"),
                "icon": entry.get("icon") or FIGURE_ICONS.get(key, "bi-bar-chart"),
            }
        )
    return figures


def _heights(raw: Any) -> list[dict[str, Any]]:
    if isinstance(raw, dict) and isinstance(raw.get("items"), list):
        raw = raw["items"]
    if isinstance(raw, dict):
        raw = [
            {"code": k, **(v if isinstance(v, dict) else {"name": v})}
            for k, v in raw.items()
            if k not in ("title", "note", "source")
        ]
    heights = []
    for index, entry in enumerate(raw if isinstance(raw, list) else []):
        item = entry if isinstance(entry, dict) else {"name": str(entry)}
        code = str(item.get("code") or item.get("key") or "")
        name = _first(item, "name", "title", "label")
        if not name:
            continue
        heights.append(
            {
                "code": code,
                "name": name,
                "description": _first(item, "description", "summary", "text", "goal", "measure"),
                "icon": item.get("icon")
                or HEIGHT_ICONS.get(code, HEIGHT_ICON_ORDER[index % len(HEIGHT_ICON_ORDER)]),
            }
        )
    return heights


def district_overview(district: dict[str, Any]) -> dict[str, Any]:
    """The profile's headline figures and goals in one shape for the templates, whatever way the
    profile spells them (a list of ``{label, value, unit}``, or a mapping of known keys, optionally
    wrapped as ``{year, source, items}``)."""
    figures_raw = _first(district, "figures", "headline_figures", "headline", "stats", default=[])
    goals = district.get("goals")
    heights_raw = _first(district, "heights", "five_heights", default=None)
    if heights_raw is None:
        heights_raw = goals.get("heights", []) if isinstance(goals, dict) else (goals or [])
    figures_meta = figures_raw if isinstance(figures_raw, dict) else {}
    heights_meta = heights_raw if isinstance(heights_raw, dict) else {}
    return {
        "figures": _figures(figures_raw),
        "figures_year": district.get("figures_year")
        or figures_meta.get("year")
        or figures_meta.get("as_of")
        or "",
        "figures_source": district.get("figures_source") or figures_meta.get("source") or "",
        "heights": _heights(heights_raw),
        "heights_title": district.get("heights_title") or heights_meta.get("title") or "",
    }


def _url(name: str, *args: Any, query: str = "") -> str | None:
    try:
        url = reverse(name, args=args)
    except NoReverseMatch:
        return None
    return f"{url}?{query}" if query else url


def _shortcut(
    icon: str, label: Any, hint: Any, name: str, *args: Any, query: str = "", testid: str = ""
) -> dict[str, Any] | None:
    url = _url(name, *args, query=query)
    if url is None:
        return None
    return {"icon": icon, "label": label, "hint": hint, "url": url, "testid": testid}


def shortcuts_for(role: str, organization: Any = None) -> list[dict[str, Any]]:
    """The first things each role does here. Modules add their own work through panels."""
    mine: list[dict[str, Any] | None] = []
    if organization is not None:
        mine.append(
            _shortcut(
                "bi-building",
                _("本机构主页"),
                _("查看并维护本机构的资料与人员"),
                "directory:organization-detail",
                organization.pk,
                testid="my-organization",
            )
        )
    institutes = _shortcut(
        "bi-bank",
        _("科研院所"),
        _("院所与依托园区、研究方向"),
        "directory:organization-list",
        query="kind=institute",
    )
    providers = _shortcut(
        "bi-briefcase",
        _("服务机构"),
        _("法律、金融、知识产权、检验检测等服务"),
        "directory:organization-list",
        query="kind=provider",
    )
    enterprises = _shortcut(
        "bi-buildings",
        _("企业名录"),
        _("按板块、领域、资质筛选企业"),
        "directory:organization-list",
        query="kind=enterprise",
    )
    key_enterprises = _shortcut(
        "bi-star",
        _("重点企业"),
        _("包保责任制下的重点企业"),
        "directory:organization-list",
        query="is_key=true",
    )
    experts = _shortcut(
        "bi-person-badge",
        _("专家库"),
        _("按领域与职称查找专家"),
        "directory:person-list",
        query="is_expert=true",
    )
    fields = _shortcut(
        "bi-diagram-3", _("技术领域"), _("四大科技产业新集群与细分方向"), "directory:field-tree"
    )
    district_page = _shortcut(
        "bi-map", _("街区概况"), _("示意地图：板块、园区与科创融合线"), "directory:district"
    )
    items: list[dict[str, Any] | None]
    if role == "operator":
        items = [
            _shortcut(
                "bi-file-earmark-arrow-up",
                _("批量导入"),
                _("Excel/CSV 导入机构与人员，先预检后提交"),
                "directory:import-start",
                testid="shortcut-import",
            ),
            _shortcut(
                "bi-plus-square",
                _("新建机构"),
                _("登记院所、企业或服务机构"),
                "directory:organization-create",
            ),
            enterprises,
            key_enterprises,
            institutes,
            experts,
            district_page,
            _shortcut("bi-gear", _("后台管理"), _("账号、角色与基础数据"), "admin:index"),
        ]
    elif role == "leader":
        items = [district_page, key_enterprises, institutes, experts]
    elif role == "commissioner":
        items = [key_enterprises, enterprises, experts, district_page]
    elif role == "institute":
        items = [*mine, enterprises, experts, fields, district_page]
    elif role == "enterprise":
        items = [*mine, institutes, providers, experts, fields, district_page]
    elif role == "provider":
        items = [*mine, enterprises, institutes, district_page]
    elif role == "expert":
        items = [experts, fields, institutes, district_page]
    elif role == "public":
        items = [district_page, institutes, providers, fields]
    else:
        items = [*mine, institutes, providers, fields, district_page]
    # four to a row on wide screens: keep whole rows
    shown = [item for item in items if item is not None]
    return shown[:4] if len(shown) < 8 else shown[:8]


def _layout(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Two half-width panels share a row; a half panel left alone in its row takes the full width."""
    laid: list[dict[str, Any]] = []
    run: list[dict[str, Any]] = []

    def close_run() -> None:
        if len(run) % 2:
            run[-1]["col"] = "col-12"
        run.clear()

    for panel in panels:
        item = {**panel, "col": "col-12" if panel.get("width") == "full" else "col-lg-6"}
        if item["col"] == "col-12":
            close_run()
        else:
            run.append(item)
        laid.append(item)
    close_run()
    return laid


def _panel(panel: HomePanel, request: HttpRequest) -> dict[str, Any]:
    """A panel as the home template draws it: its card's header fields and its body rendered now (the
    body's template sees ``panel`` and ``data`` only, and the request's context processors)."""
    item = {
        "title": _text(panel.title),
        "template": panel.template,
        "url": panel.url,
        "url_label": _text(panel.url_label),
        "testid": panel.testid,
        "width": panel.width,
    }
    item["html"] = render_to_string(
        panel.template, {"panel": {**item, "context": panel.context}, "data": panel.context}, request=request
    )
    return item


def _text(value: Any) -> Any:
    return None if value is None else str(value)


def _alert(alert: HomeAlert) -> dict[str, Any]:
    return {
        "text": _text(alert.text),
        "level": alert.level,
        "url": alert.url,
        "url_label": _text(alert.url_label),
        "testid": alert.testid,
    }


def _sections(request: HttpRequest, role: str) -> dict[str, Any]:
    """Every registered module's panels (rendered), alerts and extra context for this page."""
    panels: list[dict[str, Any]] = []
    alerts: list[dict[str, Any]] = []
    extra: dict[str, Any] = {}
    for section in home_sections(request, role):
        panels.extend(_panel(panel, request) for panel in section.panels if panel.template)
        alerts.extend(_alert(alert) for alert in section.alerts if alert.text)
        extra.update(section.context)
    return {**extra, "home_panels": _layout(panels), "home_alerts": alerts}


def _viewer_key(request: HttpRequest, role: str, organization: Any) -> str:
    user = request.user
    return ":".join(
        [
            role,
            str(getattr(user, "pk", None) or "-"),
            str(getattr(organization, "pk", None) or "-"),
            get_language() or "-",
        ]
    )


def home_context(request: HttpRequest, role: str) -> dict[str, Any]:
    """The home page of ``role``: shortcuts, then every registered module's panels and alerts
    (``core.registry.home_sections``), laid out two to a row.

    The panels are the page's cost (ten modules' queries and templates, issue 15), so what they show is
    kept in the shared cache for this viewer (role, user, acting organization, language) under the data
    generation of ``core.figures``: any committed write anywhere retires it, and
    ``INSIGHTS_CACHE_SECONDS`` bounds what moves with the clock alone (an SLA clock turning red). A
    second visit without a write in between costs one cache read (docs/adr/0029-page-speed.md)."""
    organization = acting_organization(request)
    context: dict[str, Any] = {
        "organization": organization,
        "shortcuts": shortcuts_for(role, organization),
        "show_heights": role in ("leader", "public"),
    }
    key = f"home:{_viewer_key(request, role, organization)}"
    context.update(cached_figures(key, lambda: _sections(request, role)))
    return context
