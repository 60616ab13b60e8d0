"""The extension points of the kernel (ADR 0019). Core imports no domain app: a module that provides
something core needs registers it here from its ``AppConfig.ready``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.http import HttpRequest

logger = logging.getLogger(__name__)

ActingOrganizationResolver = Callable[[Any, Any], Any]
"""``(user, session) -> organization or None``: which organization a signed-in user acts for."""

_acting_organization_resolver: ActingOrganizationResolver | None = None


def register_acting_organization_resolver(resolver: ActingOrganizationResolver) -> None:
    """The accounts module says how a user's acting organization is found (its memberships)."""
    global _acting_organization_resolver
    _acting_organization_resolver = resolver


def resolve_acting_organization(user: Any, session: Any) -> Any:
    if _acting_organization_resolver is None:
        return None
    return _acting_organization_resolver(user, session)


# --- home page ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HomePanel:
    """A card on a role's home page: ``template`` draws its body with ``data`` (= ``context``)."""

    title: Any
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    url: str | None = None
    url_label: Any = None
    testid: str | None = None
    width: Literal["half", "full"] = "half"


@dataclass(frozen=True)
class HomeAlert:
    """A short notice above the panels (e.g. a calendar year not loaded)."""

    text: Any
    level: str = "warning"
    url: str | None = None
    url_label: Any = None
    testid: str | None = None


@dataclass
class HomeSection:
    """What one module adds to a role's home page: panels, alerts and extra template context."""

    panels: list[HomePanel] = field(default_factory=list)
    alerts: list[HomeAlert] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)


HomeProvider = Callable[[HttpRequest, str], "HomeSection | None"]
"""``(request, role) -> HomeSection or None``; a module's ``AppConfig.ready`` registers it."""


@dataclass(frozen=True)
class _Registered:
    provider: HomeProvider
    order: int


_home_providers: list[_Registered] = []


def register_home_panel(provider: HomeProvider, *, order: int = 100) -> None:
    """Add a module's home-page provider; lower ``order`` comes first (the directory's own cards, 900,
    go after the modules' work panels)."""
    if all(entry.provider is not provider for entry in _home_providers):
        _home_providers.append(_Registered(provider, order))
        _home_providers.sort(key=lambda entry: entry.order)


def home_sections(request: HttpRequest, role: str) -> list[HomeSection]:
    """Every provider's section for this page. A provider that fails is logged and left out: a broken
    panel never takes the home page down."""
    sections = []
    for entry in list(_home_providers):
        try:
            section = entry.provider(request, role)
        except Exception:
            logger.exception("home panel %s failed", getattr(entry.provider, "__qualname__", entry.provider))
            continue
        if section is not None:
            sections.append(section)
    return sections


# --- every page's context -----------------------------------------------------------------------------

PageContextProvider = Callable[[HttpRequest], dict[str, Any]]
_page_context: list[PageContextProvider] = []


def register_page_context(provider: PageContextProvider) -> None:
    """Template context every page needs from a module (the district's names, the user's menu)."""
    if provider not in _page_context:
        _page_context.append(provider)


def page_context(request: HttpRequest) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for provider in _page_context:
        context.update(provider(request))
    return context


# --- demo accounts ------------------------------------------------------------------------------------

DemoAccountsMaker = Callable[[str], list[dict[str, Any]]]
"""``(password) -> accounts``: creates the demo accounts (one per role) and describes them."""

_demo_accounts_maker: DemoAccountsMaker | None = None
_after_demo_accounts: list[Callable[[], None]] = []


def register_demo_accounts(maker: DemoAccountsMaker) -> None:
    """The directory says how the demo accounts are made (``kechuang demo``)."""
    global _demo_accounts_maker
    _demo_accounts_maker = maker


def register_after_demo_accounts(hook: Callable[[], None]) -> None:
    """A module whose demo data needs the demo accounts (made after the data) attaches them here."""
    if hook not in _after_demo_accounts:
        _after_demo_accounts.append(hook)


def make_demo_accounts(password: str) -> list[dict[str, Any]]:
    """Make the demo accounts, then let every module attach them to its demo data."""
    accounts = _demo_accounts_maker(password) if _demo_accounts_maker is not None else []
    for hook in _after_demo_accounts:
        hook()
    return accounts
