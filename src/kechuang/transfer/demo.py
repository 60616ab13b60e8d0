"""Demo data for the transfer platform: achievements (mostly from the institutes), demands (from
enterprises), interests, deals at every stage and a few registered contracts.

Registered with ``kechuang.directory.demo.register_demo_generator`` (see TransferConfig.ready), so
``kechuang demo-data`` / ``kechuang demo`` run it after the directory data. Everything is planned in
memory from the seeded random source and organizations in a stable order, then written through the
services, skipping what already exists (an organization's listing with the same title; an interest of
the same organization in the same listing): the same seed twice creates nothing new. Interests go only
to listings that take interest at that moment (``accepts_interest``), and an organization's planned
titles are unique, so two plans never land on one listing.

At large scale the listings are inserted in bulk (``_bulk_write_listings``): the same rows the services
would leave (data handling, codes, statuses, timestamps, index version), without per-row audit events,
review notifications or index upkeep; one audit event per batch records the insert and the matching
index picks the rows up lazily. Interests, deals and contracts always go through the services.

Vectors are not computed here: the listings are lexically searchable at once, and one batch of vector
tasks is queued at the end (the ``db_worker`` fills the dense leg in behind; ``kechuang match-reindex``
does it in the foreground with progress).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kechuang.core.codes import next_code
from kechuang.directory.choices import OrganizationKind
from kechuang.directory.models import Organization, TechnologyField

from . import demo_words as W
from . import matching, services
from .choices import (
    AchievementStatus,
    ContractType,
    CooperationMode,
    DealStage,
    DemandStatus,
    IPKind,
    Visibility,
)
from .models import Achievement, Deal, Demand, Interest
from .permissions import listing_is_open

SCALES = {"tiny": (30, 16), "small": (150, 80), "large": (1500, 800)}
WAN = 1_000_000  # fen per 万元


@dataclass
class PlannedListing:
    kind: str  # achievement / demand
    organization: Organization
    area: dict[str, Any]
    data: dict[str, Any]
    fields: list[TechnologyField]
    status: str
    age_days: int
    interests: list[tuple[Organization, str, str]] = field(default_factory=list)  # (org, message, outcome)


def _fmt(rng: random.Random, template: str) -> str:
    return template.format(
        p=rng.choice(["0.1", "0.2", "0.5", "1"]),
        u=rng.choice([2, 5, 10, 20, 50]),
        y=rng.choice([3, 5, 8, 10]),
        k=rng.choice([1, 2, 3, 5, 6, 10]),
        t=rng.choice([85, 105, 125, 150]),
        r=rng.choice([20, 30, 35, 40, 50, 60]),
        n=rng.randint(2, 8),
        asil=rng.choice(["B", "C", "D"]),
    )


def _area_fields(area: dict[str, Any], all_fields: list[TechnologyField]) -> list[TechnologyField]:
    by_code = {f.code: f for f in all_fields}
    chosen = [by_code[c] for c in area["fields"] if c in by_code]
    if not chosen:
        chosen = [f for f in all_fields if f.parent_id and any(w in f.name for w in area["field_words"])]
    return chosen or [f for f in all_fields if f.parent_id][:1] or all_fields[:1]


def _orgs_for(
    area: dict[str, Any],
    orgs: list[Organization],
    org_fields: dict[int, set[int]],
    area_field_ids: set[int],
    words: list[str],
) -> list[Organization]:
    fit = [o for o in orgs if org_fields.get(o.pk, set()) & area_field_ids]
    seen = {o.pk for o in fit}  # by pk: ``o not in fit`` compares model instances, quadratic at large scale
    fit += [o for o in orgs if o.pk not in seen and any(w in o.name for w in words)]
    return fit or orgs


def _unique_title(title: str, used: set[str], fallback: str) -> str:
    """``title`` if the organization has no listing of that name yet, else the fallback, else the fallback
    numbered (an organization's listings are told apart by title: a repeat would merge two plans)."""
    for candidate in (title, fallback):
        if candidate[:120] not in used:
            return candidate[:120]
    n = 2
    while f"{fallback[:110]}（{n}）" in used:
        n += 1
    return f"{fallback[:110]}（{n}）"


def _achievement(
    rng: random.Random, area: dict[str, Any], org: Organization, used: set[str]
) -> dict[str, Any]:
    tech = rng.choice(area["techs"])
    scene, scene2 = rng.sample(tech["scenes"], 2)
    for _attempt in range(20):
        prefix = rng.choice(W.TITLE_PREFIXES).format(
            scene=scene, method_short=rng.choice(W.METHOD_SHORT[area["key"]])
        )
        title = f"{prefix}{tech['name']}"
        if title not in used:
            break
        scene = rng.choice(tech["scenes"])
    else:
        title = f"{tech['name']}（{scene}）"
    title = _unique_title(title, used, f"{tech['name']}（{scene}）")
    used.add(title)
    m1, m2, m3 = (_fmt(rng, m) for m in rng.sample(tech["metrics"], 3))
    pain = rng.choice(tech["pains"])
    org_name = org.short_name or org.name
    summary = rng.choice(W.ACHIEVEMENT_SUMMARIES).format(
        org=org_name,
        tech=tech["name"],
        method=tech["method"],
        m1=m1,
        m2=m2,
        scene=scene,
        scene2=scene2,
        pain=pain,
    )
    trl = rng.choices([3, 4, 5, 6, 7, 8], weights=[1, 3, 4, 4, 3, 1])[0]
    price = None if rng.random() < 0.2 else rng.choice([20, 30, 50, 80, 100, 150, 200, 300, 500]) * WAN
    modes = sorted(
        rng.sample(
            [
                CooperationMode.TRANSFER,
                CooperationMode.LICENSE,
                CooperationMode.EQUITY,
                CooperationMode.CO_DEVELOPMENT,
                CooperationMode.SERVICE,
            ],
            rng.randint(1, 3),
        )
    )
    ip = sorted(
        rng.sample([IPKind.INVENTION, IPKind.UTILITY, IPKind.SOFTWARE, IPKind.KNOW_HOW], rng.randint(1, 2))
    )
    return {
        "title": title[:120],
        "summary": summary,
        "problem_solved": f"解决{scene}中{pain}的问题。",
        "advantages": f"与现有方案相比，{m1}；{m2}；{m3}。",
        "scenarios": "、".join(tech["scenes"]) + "。",
        "trl": trl,
        "asking_price_fen": price,
        "transfer_modes": modes,
        "ip_kinds": ip,
        "ip_details": rng.choice(W.IP_TEMPLATES).format(a=rng.randint(1, 8), b=rng.randint(1, 6)),
        "asking_terms": rng.choice(W.ASKING_TERMS) if price else "",
        "team": rng.choice(W.TEAMS).format(n=rng.randint(5, 30), d=rng.randint(2, 12)),
        "keywords": " ".join(tech["keywords"]),
        "visibility": rng.choices(
            [Visibility.PUBLIC, Visibility.MEMBERS, Visibility.OPERATORS], weights=[85, 10, 5]
        )[0],
        "contact_name": rng.choice(["王", "李", "张", "刘", "陈", "杨", "周", "吴"])
        + rng.choice(["老师", "研究员", "主任", "工"]),
        "contact_phone": f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
    }


def _demand(rng: random.Random, area: dict[str, Any], org: Organization, used: set[str]) -> dict[str, Any]:
    tech = rng.choice(area["techs"])
    tech_short = tech["name"].replace(" ", "")
    scene = rng.choice(tech["scenes"])
    pain = rng.choice(tech["pains"])
    for _attempt in range(20):
        title = rng.choice(W.DEMAND_TITLES).format(tech_short=tech_short, scene=scene)
        if title not in used:
            break
        scene = rng.choice(tech["scenes"])
    else:
        title = f"{tech_short}需求（{scene}）"
    title = _unique_title(title, used, f"{tech_short}需求（{scene}）")
    used.add(title)
    m1, m2 = (_fmt(rng, m) for m in rng.sample(tech["metrics"], 2))
    low = rng.choice([10, 20, 30, 50, 80, 100, 200])
    high = low * rng.choice([2, 3, 4])
    return {
        "title": title[:120],
        "summary": rng.choice(W.DEMAND_SUMMARIES).format(
            business=rng.choice(W.BUSINESS),
            scene=scene,
            pain=pain,
            tech_short=tech_short,
            goal=rng.choice(W.GOALS),
        ),
        "current_state": rng.choice(W.CURRENT_STATES).format(n=rng.randint(3, 20)),
        "target_indicators": rng.choice(W.TARGETS).format(m1=m1, m2=m2, months=rng.choice([3, 6, 9, 12])),
        "trl_required": rng.choice([None, 4, 5, 6, 6, 7]),
        "budget_min_fen": low * WAN if rng.random() < 0.85 else None,
        "budget_max_fen": high * WAN,
        "deadline": timezone.localdate() + timedelta(days=rng.randint(60, 400)),
        "cooperation_modes": sorted(
            rng.sample(
                [
                    CooperationMode.TRANSFER,
                    CooperationMode.LICENSE,
                    CooperationMode.CO_DEVELOPMENT,
                    CooperationMode.COMMISSIONED,
                    CooperationMode.SERVICE,
                ],
                rng.randint(1, 3),
            )
        ),
        "keywords": " ".join(tech["keywords"][:3]),
        "visibility": rng.choices(
            [Visibility.PUBLIC, Visibility.MEMBERS, Visibility.OPERATORS], weights=[80, 15, 5]
        )[0],
        "contact_name": rng.choice(["赵", "钱", "孙", "李", "周", "吴", "郑", "王"])
        + rng.choice(["经理", "总", "工", "主管"]),
        "contact_phone": f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
    }


ACHIEVEMENT_STATUS_WEIGHTS = [
    (AchievementStatus.PUBLISHED, 78),
    (AchievementStatus.NEGOTIATING, 7),
    (AchievementStatus.TRANSFERRED, 4),
    (AchievementStatus.SUBMITTED, 6),
    (AchievementStatus.DRAFT, 5),
]
DEMAND_STATUS_WEIGHTS = [
    (DemandStatus.PUBLISHED, 78),
    (DemandStatus.NEGOTIATING, 8),
    (DemandStatus.SOLVED, 4),
    (DemandStatus.SUBMITTED, 6),
    (DemandStatus.DRAFT, 4),
]
PATHS = {
    "draft": [],
    "submitted": ["submitted"],
    "published": ["submitted", "published"],
    "negotiating": ["submitted", "published", "negotiating"],
    "transferred": ["submitted", "published", "transferred"],
    "solved": ["submitted", "published", "solved"],
}
DEAL_TARGETS = [
    DealStage.INTENT,
    DealStage.NEGOTIATION,
    DealStage.SIGNED,
    DealStage.REGISTERED,
    DealStage.IMPLEMENTING,
    DealStage.ACCEPTED,
]


def showcase_enterprise() -> Organization | None:
    """The enterprise the ``enterprise`` demo account will act for, so that its home page has demands
    with recommendations. Uses the directory's demo-account rules; without them, no showcase."""
    try:
        from django.conf import settings

        from kechuang.directory.demo.accounts import DEMO_ACCOUNTS, _pick_organization
        from kechuang.directory.demo.generator import load_demo_config
        from kechuang.directory.profiles import load_profile

        account = next(a for a in DEMO_ACCOUNTS if a.username == "enterprise")
        spec = (load_demo_config(settings.DISTRICT).get("accounts") or {}).get("enterprise") or {}
        organization = _pick_organization(None, spec, load_profile(settings.DISTRICT), account)
    except Exception:  # the hook is a nicety: any change on the directory side just turns it off
        return None
    return organization if organization.kind == OrganizationKind.ENTERPRISE else None


def plan(*, scale: str, rng: random.Random) -> list[PlannedListing]:
    n_achievements, n_demands = SCALES.get(scale, SCALES["small"])
    all_fields = list(TechnologyField.objects.order_by("code"))
    institutes = list(Organization.objects.filter(kind=OrganizationKind.INSTITUTE).order_by("name"))
    enterprises = list(Organization.objects.filter(kind=OrganizationKind.ENTERPRISE).order_by("name"))
    if not enterprises or not all_fields:
        return []
    org_fields: dict[int, set[int]] = {}
    for org_id, field_id in Organization.fields.through.objects.filter(
        Q(organization__kind=OrganizationKind.INSTITUTE) | Q(organization__kind=OrganizationKind.ENTERPRISE)
    ).values_list("organization_id", "technologyfield_id"):
        org_fields.setdefault(org_id, set()).add(field_id)
    planned: list[PlannedListing] = []
    used: dict[int, set[str]] = {}
    pools: dict[tuple[str, str], list[Organization]] = {}  # the same pool for every listing of an area

    def pool_for(area: dict[str, Any], kind: str, ids: set[int]) -> list[Organization]:
        key = (area["key"], kind)
        if key not in pools:
            pools[key] = (
                _orgs_for(area, institutes, org_fields, ids, area["institute_words"])
                if kind == "institute"
                else _orgs_for(area, enterprises, org_fields, ids, [])
            )
        return pools[key]

    for i in range(n_achievements):
        area = W.AREAS[i % len(W.AREAS)]
        fields = _area_fields(area, all_fields)
        ids = {f.pk for f in fields}
        from_institute = bool(institutes) and rng.random() < 0.8
        org = rng.choice(pool_for(area, "institute" if from_institute else "enterprise", ids))
        data = _achievement(rng, area, org, used.setdefault(org.pk, set()))
        status = rng.choices(
            [s for s, _w in ACHIEVEMENT_STATUS_WEIGHTS], [w for _s, w in ACHIEVEMENT_STATUS_WEIGHTS]
        )[0]
        planned.append(
            PlannedListing(
                "achievement",
                org,
                area,
                data,
                rng.sample(fields, min(len(fields), 2)),
                status,
                rng.randint(0, 330),
            )
        )
    showcase = showcase_enterprise()
    if showcase is not None:  # two published demands of the demo enterprise, in optics and automotive
        for key in ("optics", "auto"):
            area = next(a for a in W.AREAS if a["key"] == key)
            fields = _area_fields(area, all_fields)
            data = _demand(rng, area, showcase, used.setdefault(showcase.pk, set()))
            data["visibility"] = Visibility.PUBLIC
            planned.append(
                PlannedListing("demand", showcase, area, data, fields[:2], "published", rng.randint(3, 30))
            )
    for i in range(n_demands - (2 if showcase is not None else 0)):
        area = W.AREAS[(i * 5 + 1) % len(W.AREAS)]
        fields = _area_fields(area, all_fields)
        ids = {f.pk for f in fields}
        org = rng.choice(pool_for(area, "enterprise", ids))
        data = _demand(rng, area, org, used.setdefault(org.pk, set()))
        status = rng.choices([s for s, _w in DEMAND_STATUS_WEIGHTS], [w for _s, w in DEMAND_STATUS_WEIGHTS])[
            0
        ]
        planned.append(
            PlannedListing(
                "demand",
                org,
                area,
                data,
                rng.sample(fields, min(len(fields), 2)),
                status,
                rng.randint(0, 200),
            )
        )
    # interests: on about a quarter of the open, shareable listings
    for item in planned:
        if item.status not in ("published", "negotiating") or item.data["visibility"] == Visibility.OPERATORS:
            continue
        if rng.random() > 0.25:
            continue
        candidates = enterprises if item.kind == "achievement" else (institutes or enterprises)
        for asker in rng.sample(candidates, min(len(candidates), rng.randint(1, 2))):
            if asker.pk == item.organization.pk:
                continue
            outcome = rng.choices(["pending", "accepted", "declined"], weights=[45, 40, 15])[0]
            item.interests.append((asker, rng.choice(W.INTEREST_MESSAGES), outcome))
    return planned


def _write_listing(item: PlannedListing) -> tuple[Any, bool]:
    model = Achievement if item.kind == "achievement" else Demand
    existing = model.objects.filter(organization=item.organization, title=item.data["title"]).first()
    if existing is not None:
        return existing, False
    create = services.achievement_create if item.kind == "achievement" else services.demand_create
    transition = services.achievement_transition if item.kind == "achievement" else services.demand_transition
    listing = create(actor=None, organization=item.organization, fields=item.fields, **item.data)
    for target in PATHS[item.status]:
        listing = transition(actor=None, **{item.kind: listing}, target=target)
    if listing.published_at:
        when = timezone.now() - timedelta(days=item.age_days, hours=item.age_days % 9)
        model.objects.filter(pk=listing.pk).update(published_at=when, submitted_at=when - timedelta(days=2))
        listing.published_at, listing.submitted_at = when, when - timedelta(days=2)
    return listing, True


def _build_listing(item: PlannedListing, *, now: Any, version: int) -> Achievement | Demand:
    """The row ``_write_listing`` would leave behind (same data handling, status, timestamps), unsaved."""
    is_achievement = item.kind == "achievement"
    model = Achievement if is_achievement else Demand
    data = services._prepare_listing_data(item.data, achievement=is_achievement)
    listing = model(organization=item.organization, created_by=None)
    services._apply(listing, data, services.ACHIEVEMENT_FIELDS if is_achievement else services.DEMAND_FIELDS)
    if not listing.contact_name and item.organization.contact_name:
        listing.contact_name = item.organization.contact_name
    if not listing.contact_phone and item.organization.contact_phone:
        listing.contact_phone = item.organization.contact_phone
    # the field checks of the service; its per-row constraint queries are left to the database itself
    listing.clean_fields(exclude=["code", "organization", "created_by", "reviewed_by"])
    listing.clean()
    if len(listing.title) < 4:
        raise ValueError(f"demo listing title too short: {listing.title!r}")
    path = PATHS[item.status]
    listing.status = item.status
    if path:
        listing.submitted_at = now
    if "published" in path:
        when = now - timedelta(days=item.age_days, hours=item.age_days % 9)
        listing.published_at, listing.submitted_at = when, when - timedelta(days=2)
        listing.index_version = version  # as listing_changed() stamps it; the index picks it up lazily
    return listing


def _bulk_write_listings(planned: list[PlannedListing]) -> tuple[list[Any], list[bool]]:
    """All listings at once: one query for what exists, bulk inserts for the rest, codes assigned as
    the service does, one index-version bump, one audit event for the batch (no per-row audit events or
    notifications: demo listings are nobody's work to review or hear about)."""
    from kechuang.core import audit

    found: dict[tuple[str, int, str], Any] = {}
    for model in (Achievement, Demand):
        orgs = {p.organization.pk for p in planned if p.kind == model.KIND}
        titles = {p.data["title"] for p in planned if p.kind == model.KIND}
        for row in model.objects.filter(organization_id__in=orgs, title__in=titles).order_by("pk"):
            found.setdefault((model.KIND, row.organization_id, row.title), row)
    listings: list[Any] = []
    created: list[bool] = []
    new: dict[str, list[tuple[Any, PlannedListing]]] = {"achievement": [], "demand": []}
    now = timezone.now()
    version = 0
    if any("published" in PATHS[p.status] for p in planned):
        version = matching.bump_version()
    for item in planned:
        key = (item.kind, item.organization.pk, item.data["title"])
        if key in found:
            listings.append(found[key])
            created.append(False)
            continue
        listing = _build_listing(item, now=now, version=version)
        found[key] = listing
        new[item.kind].append((listing, item))
        listings.append(listing)
        created.append(True)
    pending = getattr(matching._deferral, "ids", None)
    kinds: tuple[Any, ...] = (Achievement, Demand)
    for model in kinds:
        rows = new[model.KIND]
        if not rows:
            continue
        objs = model.objects.bulk_create([listing for listing, _item in rows], batch_size=500)
        for obj in objs:
            obj.code = next_code("transfer", model.CODE_PREFIX, width=6, year=obj.created_at.year)
        model.objects.bulk_update(objs, ["code"], batch_size=500)
        m2m = model._meta.get_field("fields")
        through: Any = m2m.remote_field.through
        own, other = m2m.m2m_field_name(), m2m.m2m_reverse_field_name()
        through.objects.bulk_create(
            [
                through(**{f"{own}_id": listing.pk, f"{other}_id": f.pk})
                for listing, item in rows
                for f in dict.fromkeys(item.fields)
            ],
            batch_size=1000,
        )
        public = [obj for obj in objs if obj.index_version]
        if pending is not None:
            pending.extend(matching.doc_id_for(obj) for obj in public)
        audit.record(
            f"{model.KIND}.demo_bulk_create",
            detail={"count": len(objs), "first": objs[0].code, "last": objs[-1].code},
        )
    return listings, created


def accepts_interest(listing: Achievement | Demand, asker: Organization) -> bool:
    """Whether ``asker`` may express interest in ``listing`` as it is now (the same rule as
    ``services.interest_express``): a listing already found under the same title, or changed since a
    previous run, may be in a status that takes no interest."""
    return listing_is_open(listing) and listing.organization_id != asker.pk


BULK_SCALES = frozenset({"large"})


def generate(
    *, scale: str, seed: int, rng: random.Random, stdout: Any = None, bulk: bool | None = None
) -> dict[str, int]:
    """The registered demo generator (see the module docstring). With ``bulk`` (the default at large
    scale) the listings are inserted in bulk instead of one by one through the services; interests,
    deals and contracts always go through the services."""
    planned = plan(scale=scale, rng=rng)
    counts = {"科技成果": 0, "技术需求": 0, "意向": 0, "项目对接": 0, "技术合同": 0}
    deal_rng = random.Random(f"{seed}:transfer.deals")
    if bulk is None:
        bulk = scale in BULK_SCALES
    with matching.deferred():
        written = _bulk_write_listings(planned) if bulk else None
        for index, item in enumerate(planned):
            if written is not None:
                listing, created = written[0][index], written[1][index]
            else:
                listing, created = _write_listing(item)
            if created:
                counts["科技成果" if item.kind == "achievement" else "技术需求"] += 1
            for asker, message, outcome in item.interests:
                if not accepts_interest(listing, asker):
                    continue
                lookup = {item.kind: listing, "organization": asker}
                if Interest.objects.filter(**lookup).exists():
                    continue
                interest = services.interest_express(
                    actor=None,
                    listing=listing,
                    organization=asker,
                    message=message,
                    contact_name="",
                    contact_phone="",
                )
                counts["意向"] += 1
                if outcome == "declined":
                    services.interest_decline(actor=None, interest=interest, note="暂无合作计划，感谢关注。")
                elif outcome == "accepted":
                    services.interest_accept(actor=None, interest=interest, note="欢迎来访交流。")
                    deal = Deal.objects.get(interest=interest)
                    counts["项目对接"] += 1
                    counts["技术合同"] += _move_deal(
                        deal,
                        DEAL_TARGETS[index % len(DEAL_TARGETS)],
                        deal_rng,
                        terminate=deal_rng.random() < 0.08,
                    )
            if stdout is not None and index and index % 100 == 0:
                stdout.write(f"  技术转移演示数据：{index}/{len(planned)}")
    counts["对接负责人"] = _give_deals_owners()
    # organizations and experts get their vectors too (the listings' batches are queued by deferred())
    transaction.on_commit(matching.enqueue_missing)
    return counts


BROKERS = ["沈立群", "顾佳怡", "陆文博"]  # the district's technology brokers (技术经理人) in the demo


def _give_deals_owners() -> int:
    """Every deal has an operator in charge (issue 14 item 8: "every deal's owner is —"). Deals opened by
    an accepted interest have none yet; the demo hands them round-robin to the demo operator account
    (when there is one) and to three synthetic brokers of the district office, who cannot sign in."""
    from django.contrib.auth.models import Group

    from kechuang.accounts.choices import Role
    from kechuang.accounts.models import Membership, User

    orphans = list(Deal.objects.filter(owner__isnull=True).order_by("pk").values_list("pk", flat=True))
    if not orphans:
        return 0
    office = Organization.objects.filter(kind=OrganizationKind.GOVERNMENT).order_by("id").first()
    group, _created = Group.objects.get_or_create(name=Role.OPERATOR)
    owners = list(User.objects.filter(username="operator", is_demo=True, groups__name=Role.OPERATOR))
    for index, name in enumerate(BROKERS, start=1):
        user, created = User.objects.get_or_create(
            username=f"broker{index:02d}", defaults={"display_name": name, "is_demo": True}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            user.groups.add(group)
            if office is not None:
                Membership.objects.get_or_create(
                    user=user, organization=office, defaults={"position": "技术经理人", "is_default": True}
                )
        owners.append(user)
    for index, pk in enumerate(orphans):
        Deal.objects.filter(pk=pk).update(owner=owners[index % len(owners)])
    return len(orphans)


NOTES = [
    "双方首次线上沟通，确认技术指标。",
    "到院所实验室现场考察，演示样机。",
    "企业提交需求规格书，院所评估可行性。",
    "合同条款基本达成一致，进入法务审核。",
    "完成合同签署。",
    "技术合同认定登记完成。",
    "首批样件交付企业验证。",
    "企业完成验收测试，指标达标。",
]


def _move_deal(deal: Deal, target: str, rng: random.Random, *, terminate: bool) -> int:
    contracts = 0
    path = DEAL_TARGETS[: DEAL_TARGETS.index(target) + 1]
    for step, stage in enumerate(path[1:], start=1):
        if stage == DealStage.REGISTERED:
            amount = (
                deal.achievement.asking_price_fen
                if deal.achievement and deal.achievement.asking_price_fen
                else rng.choice([30, 50, 80, 120, 200]) * WAN
            )
            services.contract_register(
                actor=None,
                deal=deal,
                contract_type=rng.choice(
                    [
                        ContractType.TRANSFER,
                        ContractType.LICENSE,
                        ContractType.DEVELOPMENT,
                        ContractType.SERVICE,
                    ]
                ),
                title=f"{deal.title[:60]}技术合同",
                seller=deal.supplier,
                buyer=deal.buyer,
                signed_on=timezone.localdate() - timedelta(days=rng.randint(5, 120)),
                contract_amount_fen=amount,
                technology_amount_fen=amount * rng.choice([70, 80, 90, 100]) // 100,
            )
            contracts += 1
        else:
            services.deal_advance(
                actor=None,
                deal=deal,
                stage=stage,
                note=NOTES[min(step, len(NOTES) - 1)],
                next_step=NOTES[min(step + 1, len(NOTES) - 1)][:20],
            )
        deal.refresh_from_db()
    if terminate and deal.stage not in (DealStage.ACCEPTED,):
        services.deal_advance(
            actor=None, deal=deal, stage=DealStage.TERMINATED, note="企业调整投资计划，暂停合作。"
        )
    return contracts
