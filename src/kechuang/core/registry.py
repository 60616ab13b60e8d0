"""The extension points of the kernel (ADR 0019). Core imports no domain app: a module that provides
something core needs registers it here from its ``AppConfig.ready``."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

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


# --- the district profile -----------------------------------------------------------------------------

DistrictProfileProvider = Callable[[], dict[str, Any]]
_district_profile: DistrictProfileProvider | None = None


def register_district_profile(provider: DistrictProfileProvider) -> None:
    """The directory says where the district's profile (names, parks, targets) is read from."""
    global _district_profile
    _district_profile = provider


def district_profile() -> dict[str, Any]:
    """The loaded district profile, or ``{}`` before the directory registered its reader."""
    return _district_profile() if _district_profile is not None else {}


# --- demo data generators -----------------------------------------------------------------------------


class DemoGenerator(Protocol):
    """``kechuang demo-data`` calls each after the directory's data (docs/architecture.md, "Demo data"):
    idempotent, seeded by ``rng``, returning the records created per kind (Chinese labels)."""

    def __call__(self, *, scale: str, seed: int, rng: random.Random, stdout: Any) -> dict[str, int]: ...


_demo_generators: dict[str, Callable[..., dict[str, int]]] = {}
_after_every_module: set[str] = set()


def register_demo_generator(name: str, fn: Callable[..., dict[str, int]], *, last: bool = False) -> None:
    """Add (or replace, keeping its place) the demo generator called ``name``. ``last``: it summarises
    the others' data (the dashboard's targets are set from every module's figures), so it runs after
    every module's generator, whatever the order of ``INSTALLED_APPS``."""
    if not name:
        raise ValueError("演示数据生成器必须有名称。")
    _demo_generators[name] = fn
    if last:
        _after_every_module.add(name)
    else:
        _after_every_module.discard(name)


def unregister_demo_generator(name: str) -> None:
    _demo_generators.pop(name, None)
    _after_every_module.discard(name)


def registered_generators() -> list[tuple[str, Callable[..., dict[str, int]]]]:
    """The registered demo generators in registration order, those registered ``last`` at the end."""
    items = list(_demo_generators.items())
    return [item for item in items if item[0] not in _after_every_module] + [
        item for item in items if item[0] in _after_every_module
    ]


# --- ledger reconciliation checks ---------------------------------------------------------------------

ReconcileCheckFactory = Callable[..., Any]
"""``(counting) -> check``: a module's own reconciliation check (``kechuang ledger-reconcile``)."""

_reconcile_checks: dict[str, ReconcileCheckFactory] = {}


def register_reconcile_check(name: str, factory: ReconcileCheckFactory) -> None:
    """Add a module's own check to ``ledger-reconcile`` (a ledger Check subclass or a factory)."""
    _reconcile_checks[name] = factory


def reconcile_checks() -> list[tuple[str, ReconcileCheckFactory]]:
    return list(_reconcile_checks.items())


# --- the matching index -------------------------------------------------------------------------------


class IndexSourceLike(Protocol):
    """A kind of document a module puts in the matching index (transfer's ``IndexSource``)."""

    @property
    def kind(self) -> str: ...


_index_sources: dict[str, Any] = {}


def register_index_source(source: IndexSourceLike) -> None:
    """Add a module's kind of document to the matching index (the index reads them, ADR 0009)."""
    _index_sources[source.kind] = source


def index_source(kind: str) -> Any:
    return _index_sources.get(kind)


def index_sources() -> tuple[Any, ...]:
    return tuple(_index_sources.values())


@dataclass(frozen=True)
class SearchIndexState:
    """What the kernel asks of the matching index: the health check (is this worker's engine loaded)
    and ``kechuang upgrade`` (documents without a vector, and queueing them for the task worker)."""

    is_ready: Callable[[], bool]
    size: Callable[[], int]
    missing_vector_ids: Callable[[], list[str]]
    enqueue_missing: Callable[[], None]
    reindex_command: str
    task_path: str


_search_index: SearchIndexState | None = None


def register_search_index(state: SearchIndexState) -> None:
    global _search_index
    _search_index = state


def search_index() -> SearchIndexState | None:
    """The registered matching index, or ``None`` when no module provides one."""
    return _search_index
