"""Deterministic synthetic directory data: enterprises, service providers, incubators and people.

Everything is computed in memory from ``random.Random(seed)`` and the district profile (never from
what the database already holds), then written with ``bulk_create``, skipping every record whose
natural key exists: an organization's 统一社会信用代码 or its (kind, name), a person's
(organization, name, phone). So the same seed twice creates nothing new, and two seeds add up.

District-specific material (place names, roads, the industries that go with each park) comes from the
district's ``demo.yaml`` beside its ``profile.yaml``; without one, the generator falls back to the field
tree and the parks of the profile.

Synthetic 统一社会信用代码 carry "KC" at positions 9–10 (the start of the organization code), are valid
under GB 32100-2015 (and their organization-code part under GB 11714), and never start the following
six characters with 0 (profile files use that range for their own demo codes).
"""

from __future__ import annotations

import datetime
import math
import random
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.db import transaction

from kechuang.core import audit

from ..choices import OrganizationKind, Title
from ..models import Block, Building, Industry, Organization, Park, Person, TechnologyField
from ..profiles import load_profile, profile_dirs
from ..profiles.apply import apply_profile
from ..uscc import ALPHABET, check_character
from . import words
from .registry import generator_rng, registered_generators

SCALES = ("tiny", "small", "large")
DEFAULT_SEED = 2026
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_SIZE_WEIGHTS = {"micro": 30, "small": 42, "medium": 22, "large": 6}
_SIZE_YEARS = {"micro": (2016, 2025), "small": (2009, 2024), "medium": (2002, 2021), "large": (1996, 2016)}
_RESEARCH_WEIGHT = {"micro": 1.0, "small": 2.0, "medium": 4.5, "large": 9.0}


@dataclass(frozen=True)
class ScalePlan:
    """How much each scale makes. ``large`` matches the district's headline figures."""

    enterprises: int
    providers: int
    incubators: int
    researchers: int
    academicians: int
    titled: int  # researchers with an intermediate or senior title
    investors: int = 4  # 投资机构 (the "金" of 政产学研金服用): a handful at every scale


def scale_plan(scale: str, profile: dict[str, Any]) -> ScalePlan:
    figures = profile.get("district", {}).get("figures", {}) or {}

    def figure(key: str, default: int) -> int:
        value = figures.get(key)
        if isinstance(value, dict):
            value = value.get("value")
        return int(value) if value else default

    enterprises = figure("tech_enterprises", 2000)
    researchers = figure("researchers", 5300)
    academicians = figure("academicians", 15)
    ratio = figure("senior_titles", round(researchers * 0.58)) / max(researchers, 1)
    if scale == "large":
        return ScalePlan(enterprises, 60, 10, researchers, academicians, round(researchers * ratio), 8)
    if scale == "small":
        r = round(researchers / 10)
        return ScalePlan(round(enterprises / 10), 20, 4, r, max(3, round(academicians / 5)), round(r * ratio))
    if scale == "tiny":
        return ScalePlan(24, 6, 2, 60, 2, round(60 * ratio), 2)
    raise ValueError(f"未知的演示数据规模：{scale}（可选：{'、'.join(SCALES)}）")


@dataclass
class OrgSpec:
    kind: str
    name: str
    short_name: str
    uscc: str | None
    industry: str = ""
    block: str = ""
    park: str = ""
    address: str = ""
    size_band: str = ""
    founded_on: datetime.date | None = None
    qualifications: list[str] = field(default_factory=list)
    is_key: bool = False
    description: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    researchers: int = 0
    fields: list[str] = field(default_factory=list)
    # generation-only attributes
    sector: dict[str, Any] | None = None
    category: dict[str, Any] | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.name)


@dataclass
class PersonSpec:
    org: tuple[str, str]
    org_kind: str
    name: str
    phone: str
    position: str = ""
    title: str = ""
    fields: list[str] = field(default_factory=list)
    expertise: str = ""
    is_expert: bool = False
    is_academician: bool = False
    is_researcher: bool = False
    bio: str = ""


@dataclass
class Context:
    district: str
    profile: dict[str, Any]
    config: dict[str, Any]
    fields: dict[str, TechnologyField]
    industries: dict[str, Industry]
    blocks: dict[str, Block]
    parks: dict[str, Park]
    buildings: dict[str, list[Building]]
    institutes: dict[str, Organization]  # profile key -> institute
    park_fields: dict[str, list[str]] = field(default_factory=dict)  # park code -> field codes

    @property
    def district_name(self) -> str:
        return str(self.profile.get("district", {}).get("name", ""))


# ------------------------------------------------------------------------------------------------
# Loading


def load_demo_config(district: str) -> dict[str, Any]:
    """The ``demo.yaml`` beside the district's ``profile.yaml`` (empty when there is none)."""
    for base in profile_dirs():
        folder = base / district
        if (folder / "profile.yaml").is_file():
            path = folder / "demo.yaml"
            if path.is_file():
                loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available
                with path.open(encoding="utf-8") as handle:
                    return yaml.load(handle, Loader=loader) or {}  # noqa: S506 (a safe loader)
            return {}
    return {}


def build_context(district: str, profile: dict[str, Any] | None = None) -> Context:
    profile = profile if profile is not None else load_profile(district)
    config = load_demo_config(district)
    fields = {f.code: f for f in TechnologyField.objects.order_by("code")}
    buildings: dict[str, list[Building]] = {}
    for building in Building.objects.select_related("park").order_by("code"):
        if building.park is not None:
            buildings.setdefault(building.park.code, []).append(building)
    institutes: dict[str, Organization] = {}
    for item in profile.get("organizations", []):
        if item.get("key") and item.get("kind", OrganizationKind.INSTITUTE) == OrganizationKind.INSTITUTE:
            org = Organization.objects.filter(kind=OrganizationKind.INSTITUTE, name=item["name"]).first()
            if org is not None:
                institutes[str(item["key"])] = org
    return Context(
        district=district,
        profile=profile,
        config=config,
        fields=fields,
        industries={i.code: i for i in Industry.objects.order_by("code")},
        blocks={b.code: b for b in Block.objects.order_by("sort_order", "code")},
        parks={
            p.code: p
            for p in Park.objects.select_related("institute", "block").order_by("sort_order", "code")
        },
        buildings=buildings,
        institutes=institutes,
        park_fields={
            p.code: sorted(f.code for f in p.fields.all()) for p in Park.objects.prefetch_related("fields")
        },
    )


# ------------------------------------------------------------------------------------------------
# Small helpers


def _pick(rng: random.Random, weighted: Sequence[tuple[Any, float]] | Mapping[Any, float]) -> Any:
    items = list(weighted.items()) if isinstance(weighted, dict) else list(weighted)
    return rng.choices([i[0] for i in items], weights=[i[1] for i in items])[0]


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder, ties by position)."""
    if not weights or total <= 0:
        return [0] * len(weights)
    weight_sum = sum(weights) or 1.0
    raw = [total * w / weight_sum for w in weights]
    shares = [math.floor(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - shares[i]), i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def organization_code(body: str) -> str:
    """The 9-character organization code (GB 11714): 8 characters and their check character."""
    total = sum(
        (int(ch) if ch.isdigit() else ord(ch) - 55) * w for ch, w in zip(body, _ORG_CODE_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def _date_in(rng: random.Random, year: int) -> datetime.date:
    """A day in ``year``; never after mid-2025, so the data does not depend on today's date."""
    days = 180 if year >= 2025 else 364
    return datetime.date(min(year, 2025), 1, 1) + datetime.timedelta(days=rng.randint(0, days))


def _join(items: list[str]) -> str:
    return "、".join(items)


def _plain_keywords(tech_field: TechnologyField) -> list[str]:
    """A field's keywords that read well in a sentence (drops short Latin acronyms)."""
    out = []
    for word in tech_field.keywords.split():
        if word.isascii() and len(word) <= 3:
            continue
        out.append(word)
    return out or [tech_field.name]


class _State:
    """What has been handed out so far in one run: brands, names, codes, phones."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.brands: set[str] = set()
        self.names: set[tuple[str, str]] = set()
        self.codes: set[str] = set()
        self.phones: set[str] = set()
        self.park_numbers: dict[str, int] = {}
        self.people_by_org: dict[tuple[str, str], set[str]] = {}
        config = ctx.config
        self.city = str(config.get("city_prefix", "") or "")
        self.localities = [str(x) for x in config.get("localities", []) or []]
        self.division = str(
            config.get("uscc_division", "") or ctx.profile.get("district", {}).get("region_code") or "310000"
        )
        self.address_prefix = str(
            config.get("address_prefix", "") or ctx.profile.get("district", {}).get("city", "")
        )

    def brand(self, rng: random.Random, theme: list[str]) -> str:
        for attempt in range(400):
            roll = rng.random()
            if theme and roll < 0.45:
                first, second = rng.choice(theme), rng.choice(words.BRAND_CHARS)
            elif theme and roll < 0.75:
                first, second = rng.choice(words.BRAND_CHARS), rng.choice(theme)
            else:
                first, second = rng.choice(words.BRAND_CHARS), rng.choice(words.BRAND_CHARS)
            brand = first + second
            if first == second or brand in self.brands or brand in words.BRAND_BLOCKLIST:
                continue
            if attempt < 200 and any(brand in loc or loc in brand for loc in self.localities):
                continue
            self.brands.add(brand)
            return brand
        raise RuntimeError("字号用尽：请扩充 words.BRAND_CHARS。")

    def uscc(self, rng: random.Random, prefix: str) -> str:
        while True:
            body = "KC" + rng.choice(ALPHABET[1:]) + "".join(rng.choice(ALPHABET) for _ in range(5))
            head = prefix + self.division + organization_code(body)
            code = head + check_character(head)
            if code not in self.codes:
                self.codes.add(code)
                return code

    def phone(self, rng: random.Random) -> str:
        while True:
            number = rng.choice(words.MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def person_name(self, rng: random.Random, org: tuple[str, str] | None = None) -> str:
        taken = self.people_by_org.setdefault(org, set()) if org else set()
        while True:
            surname: str = _pick(rng, words.SURNAMES)
            roll = rng.random()
            pool = words.GIVEN_FEMALE if rng.random() < 0.42 else words.GIVEN_MALE
            if roll < 0.12:
                given: str = rng.choice(words.GIVEN_COMMON)
            elif roll < 0.40 or len(surname) > 1:
                given = rng.choice(pool)
            else:
                given = rng.choice(pool) + rng.choice(pool)
                if given[0] == given[1]:
                    continue
            name = surname + given
            if name not in taken:
                taken.add(name)
                return name

    def address(self, rng: random.Random, park_code: str, block_code: str, roads: dict[str, Any]) -> str:
        prefix = self.address_prefix
        park_roads = roads.get("parks") or {}
        block_roads = roads.get("blocks") or {}
        if park_code and park_code in park_roads:
            road, low, high = park_roads[park_code]
            if park_code not in self.park_numbers:
                self.park_numbers[park_code] = random.Random(f"{park_code}:{low}:{high}").randint(low, high)
            number = self.park_numbers[park_code]
            buildings = self.ctx.buildings.get(park_code, [])
            if buildings and rng.random() < 0.85:
                building = rng.choice(buildings)
                floor = rng.randint(1, building.floors or 6)
                return f"{prefix}{road}{number}号{building.name}{floor}{rng.randint(1, 18):02d}室"
            return (
                f"{prefix}{road}{number}号{rng.randint(1, 12)}幢{rng.randint(1, 6)}{rng.randint(1, 18):02d}室"
            )
        options = block_roads.get(block_code) or [r for v in block_roads.values() for r in v]
        if not options:
            return ""
        road, low, high = rng.choice(options)
        number = rng.randint(low, high)
        if rng.random() < 0.7:
            return (
                f"{prefix}{road}{number}号{rng.randint(1, 9)}幢{rng.randint(1, 6)}{rng.randint(1, 20):02d}室"
            )
        return f"{prefix}{road}{number}号{rng.randint(1, 5)}层"


# ------------------------------------------------------------------------------------------------
# Sectors (what an enterprise does, where it sits)


def _sectors(ctx: Context) -> list[dict[str, Any]]:
    configured = ctx.config.get("sectors") or []
    places = set(ctx.parks) | set(ctx.blocks)
    sectors = []
    for sector in configured:
        item = dict(sector)
        item["fields"] = [c for c in item.get("fields", []) if c in ctx.fields]
        item["places"] = {k: v for k, v in (item.get("places") or {}).items() if k in places}
        if not item["places"]:
            item["places"] = {code: 1 for code in ctx.blocks} or {"": 1}
        if item.get("industry") and str(item["industry"]) not in ctx.industries:
            item["industry"] = ""
        item["words"] = [
            list(w) if isinstance(w, list) else [str(w), str(w)[:2]] for w in item.get("words", [])
        ]
        sectors.append(item)
    if sectors:
        return sectors
    # No demo.yaml: one sector per leaf field, placed in the parks that share the field.
    for code in _leaf_fields(ctx):
        tech_field = ctx.fields[code]
        keywords = _plain_keywords(tech_field)
        park_places = {park: 3 for park, codes in ctx.park_fields.items() if code in codes}
        sectors.append(
            {
                "code": tech_field.code,
                "name": tech_field.name,
                "weight": 1,
                "fields": [tech_field.code],
                "industry": "",
                "words": [["科技", "科技"], ["技术", "技术"]],
                "brand": [],
                "places": {**{c: 1 for c in ctx.blocks}, **park_places} or {"": 1},
                "focus": [f"{tech_field.name}技术研发"],
                "products": keywords[:6],
                "applications": ["智能制造", "智慧城市", "医疗健康", "新能源"],
            }
        )
    return sectors


# ------------------------------------------------------------------------------------------------
# Organizations


def _qualifications(rng: random.Random, size: str, year: int) -> list[str]:
    quals = []
    high_tech = rng.random() < {"micro": 0.25, "small": 0.5, "medium": 0.75, "large": 0.85}[size]
    if high_tech:
        quals.append("high_tech")
    if size != "large" and rng.random() < 0.7:
        quals.append("tech_sme")
    if high_tech and size != "micro" and year <= 2020 and rng.random() < 0.3:
        quals.append("specialized")
        if size in ("medium", "large") and rng.random() < 0.25:
            quals.append("little_giant")
    if high_tech and 2014 <= year <= 2021 and rng.random() < 0.08:
        quals.append("gazelle")
    if size == "large" and rng.random() < 0.25:
        quals.append("listed")
    return quals


def _qualification_sentence(quals: list[str]) -> str:
    order = ["little_giant", "specialized", "high_tech", "gazelle", "tech_sme"]
    chosen = [q for q in order if q in quals]
    if "little_giant" in chosen and "specialized" in chosen:
        chosen.remove("specialized")
    phrases = [words.QUALIFICATION_PHRASES[q] for q in chosen[:3]]
    sentence = f"公司是{_join(phrases)}。" if phrases else ""
    if "listed" in quals:
        sentence += "公司已在科创板上市。"
    return sentence


def _place_text(ctx: Context, park_code: str, block_code: str) -> str:
    if park_code:
        return ctx.parks[park_code].name
    if block_code:
        return f"{ctx.district_name}{ctx.blocks[block_code].name}板块"
    return ctx.district_name


def _sample_text(rng: random.Random, items: list[str], low: int, high: int) -> str:
    items = list(items)
    if not items:
        return ""
    return _join(rng.sample(items, k=min(len(items), rng.randint(low, high))))


def _enterprise(ctx: Context, state: _State, rng: random.Random, sector: dict[str, Any]) -> OrgSpec:
    brand = state.brand(rng, [str(c) for c in sector.get("brand", [])])
    word, short = rng.choice(sector["words"]) if sector["words"] else ("科技", "科技")
    size = _pick(rng, _SIZE_WEIGHTS)
    form = _pick(rng, words.ENTERPRISE_FORMS) if size in ("medium", "large") else "有限公司"
    if size == "large" and rng.random() < 0.5:
        form = "股份有限公司"
    pattern = _pick(rng, words.ENTERPRISE_NAME_PATTERNS)
    if ("{local}" in pattern and not state.localities) or ("{city}" in pattern and not state.city):
        pattern = "{city}{brand}{word}{form}" if state.city else "{brand}{word}{form}"
    local = rng.choice(state.localities) if state.localities else ""
    name = pattern.format(city=state.city, local=local, brand=brand, word=word, form=form)
    place = _pick(rng, sector["places"])
    park_code = place if place in ctx.parks else ""
    park_block = ctx.parks[park_code].block if park_code else None
    block_code = park_block.code if park_block is not None else (place if place in ctx.blocks else "")
    low, high = _SIZE_YEARS[size]
    year = rng.randint(low, high)
    founded = _date_in(rng, year)
    quals = _qualifications(rng, size, year)
    is_key = (
        size == "large"
        or "little_giant" in quals
        or (size == "medium" and "high_tech" in quals and rng.random() < 0.2)
    )
    field_codes = list(sector["fields"][:1]) + [c for c in sector["fields"][1:] if rng.random() < 0.6]
    park_fields = ctx.park_fields.get(park_code, [])
    if park_fields and (rng.random() < 0.3 or not set(park_fields) & set(field_codes)):
        # an enterprise in a park shares the park's theme
        extra = [code for code in park_fields if code not in field_codes]
        if extra:
            field_codes.append(rng.choice(extra))

    staff_n = rng.randint(*words.STAFF_RANGES[size])
    patents = rng.randint(*words.PATENT_RANGES[size])
    if patents:
        ip = f"公司拥有授权发明专利{patents}项"
        if str(sector.get("industry", "")).startswith("65"):
            ip += f"、软件著作权{rng.randint(*words.SOFTWARE_COPYRIGHT_RANGES[size])}项"
        ip += "。"
    else:
        ip = f"公司已提交发明专利申请{rng.randint(2, 8)}项。"
    phrase = ""
    phrases = ctx.config.get("phrases", {}) or {}
    park = ctx.parks.get(park_code)
    if (
        park is not None
        and park.institute is not None
        and phrases.get("enterprise_in_park")
        and rng.random() < 0.45
    ):
        institute = park.institute.short_name or park.institute.name
        phrase = rng.choice(phrases["enterprise_in_park"]).format(institute=institute)
    elif phrases.get("enterprise") and rng.random() < 0.3:
        phrase = rng.choice(phrases["enterprise"])
    short_name = (brand + short)[:40]
    description = rng.choice(words.ENTERPRISE_TEMPLATES).format(
        short=short_name,
        name=name,
        year=year,
        place=_place_text(ctx, park_code, block_code),
        focus=rng.choice(sector.get("focus") or [sector.get("name", "技术研发")]),
        products=_sample_text(rng, sector.get("products") or [], 2, 3),
        apps=_sample_text(rng, sector.get("applications") or [], 2, 3),
        ip=ip,
        quals=_qualification_sentence(quals),
        phrase=phrase,
        staff=words.STAFF_PHRASES[size].format(n=staff_n),
        staff_n=staff_n,
        rd=rng.randint(25, 70),
    )
    spec = OrgSpec(
        kind=OrganizationKind.ENTERPRISE,
        name=name,
        short_name=short_name,
        uscc=state.uscc(rng, "91"),
        industry=str(sector.get("industry") or ""),
        block=block_code,
        park=park_code,
        address=state.address(rng, park_code, block_code, ctx.config.get("roads") or {}),
        size_band=size,
        founded_on=founded,
        qualifications=quals,
        is_key=is_key,
        description=description,
        contact_name=state.person_name(rng),
        contact_phone=state.phone(rng),
        fields=field_codes,
        sector=sector,
    )
    return spec


def _leaf_fields(ctx: Context) -> list[str]:
    parents = {f.parent_id for f in ctx.fields.values() if f.parent_id}
    return [code for code, f in ctx.fields.items() if f.pk not in parents]


def _provider(ctx: Context, state: _State, rng: random.Random) -> OrgSpec:
    category: dict[str, Any] = _pick(rng, [(c, float(c["weight"])) for c in words.PROVIDER_CATEGORIES])
    pattern, industry, suffix = rng.choice(category["patterns"])
    brand = state.brand(rng, [])
    name = pattern.format(city=state.city, brand=brand)
    settings = ctx.config.get("providers", {}) or {}
    places = {k: v for k, v in (settings.get("places") or {}).items() if k in ctx.blocks} or {
        code: 1 for code in ctx.blocks
    }
    block_code = _pick(rng, places) if places else ""
    roads = ctx.config.get("roads") or {}
    preferred = set(settings.get("prefer_roads") or [])
    block_roads = [r for r in (roads.get("blocks") or {}).get(block_code, []) if r[0] in preferred]
    if block_roads:  # e.g. service firms cluster along the main corridor
        roads = {"blocks": {block_code: block_roads}}
    year = rng.randint(2004, 2023)
    size = _pick(rng, {"micro": 35, "small": 50, "medium": 15})
    phrases = ctx.config.get("phrases", {}) or {}
    phrase_pool = list(phrases.get("provider", []) or [])
    if category["code"] == "ip":
        phrase_pool += list(phrases.get("provider_ip", []) or [])
    short_name = (brand + suffix)[:40]
    description = rng.choice(words.PROVIDER_TEMPLATES).format(
        name=name,
        short=short_name,
        label=category["label"],
        place=_place_text(ctx, "", block_code),
        services=_sample_text(rng, category["services"], 3, 4),
        clients=rng.randint(5, 60) * 10,
        year=year,
        team=rng.randint(8, 80),
        projects=rng.randint(12, 300) * 10,
        phrase=rng.choice(phrase_pool) if phrase_pool and rng.random() < 0.7 else "",
    )
    leaves = _leaf_fields(ctx)
    field_codes = (
        sorted(rng.sample(leaves, k=min(len(leaves), rng.randint(1, 3)))) if category["fields"] else []
    )
    industry = industry if industry in ctx.industries else ""
    return OrgSpec(
        kind=OrganizationKind.PROVIDER,
        name=name,
        short_name=short_name,
        uscc=state.uscc(rng, category["uscc_prefix"]),
        industry=industry,
        block=block_code,
        address=state.address(rng, "", block_code, roads),
        size_band=size,
        founded_on=_date_in(rng, year),
        qualifications=[],
        description=description,
        contact_name=state.person_name(rng),
        contact_phone=state.phone(rng),
        fields=field_codes,
        category=category,
    )


def _incubator(ctx: Context, state: _State, rng: random.Random, index: int) -> OrgSpec:
    patterns = [str(p) for p in ctx.config.get("incubator_names", []) or []] or [
        "{city}{brand}科技企业孵化器有限公司"
    ]
    brand = state.brand(rng, [])
    name = patterns[index % len(patterns)].format(city=state.city, brand=brand)
    park_codes = list(ctx.parks)
    park_code = park_codes[index % len(park_codes)] if park_codes and index < len(park_codes) * 2 else ""
    park = ctx.parks.get(park_code)
    block_code = (
        park.block.code
        if park is not None and park.block
        else (rng.choice(list(ctx.blocks)) if ctx.blocks else "")
    )
    year = rng.randint(2012, 2023)
    phrases = list((ctx.config.get("phrases", {}) or {}).get("incubator", []) or [])
    pattern = patterns[index % len(patterns)]
    suffix = next(short for marker, short in words.INCUBATOR_SHORT if marker in pattern)
    short_name = (brand + suffix)[:40]
    description = rng.choice(words.INCUBATOR_TEMPLATES).format(
        name=name,
        short=short_name,
        place=_place_text(ctx, park_code, block_code),
        area=rng.randint(3, 30) * 1000,
        incubated=rng.randint(20, 160),
        current=rng.randint(12, 60),
        services=_sample_text(rng, words.INCUBATOR_SERVICES, 3, 4),
        focus=park.theme if park is not None and park.theme else "硬科技",
        phrase=rng.choice(phrases) if phrases and rng.random() < 0.7 else "",
    )
    return OrgSpec(
        kind=OrganizationKind.INCUBATOR,
        name=name,
        short_name=short_name,
        uscc=state.uscc(rng, "91"),
        industry="7540" if "7540" in ctx.industries else "",
        block=block_code,
        park=park_code,
        address=state.address(rng, park_code, block_code, ctx.config.get("roads") or {}),
        size_band="small",
        founded_on=_date_in(rng, year),
        description=description,
        contact_name=state.person_name(rng),
        contact_phone=state.phone(rng),
        fields=ctx.park_fields.get(park_code, [])[:3],
    )


def _investor(ctx: Context, state: _State, rng: random.Random, index: int) -> OrgSpec:
    """An investment institution: venture and angel funds, a state-owned science fund, a bank's
    science-and-technology branch; they register interest in competition entries (ADR 0025)."""
    pattern, short_suffix, kind_text, stages = words.INVESTOR_PATTERNS[index % len(words.INVESTOR_PATTERNS)]
    brand = state.brand(rng, [])
    name = pattern.format(city=state.city, brand=brand)
    short_name = (brand + short_suffix)[:40]
    block_code = rng.choice(sorted(ctx.blocks)) if ctx.blocks else ""
    year = rng.randint(2008, 2022)
    leaves = _leaf_fields(ctx)
    field_codes = sorted(rng.sample(leaves, k=min(len(leaves), rng.randint(2, 4))))
    description = rng.choice(words.INVESTOR_TEMPLATES).format(
        name=name,
        short=short_name,
        kind=kind_text,
        stages=stages,
        fund=rng.randint(5, 120),
        projects=rng.randint(15, 160),
        place=_place_text(ctx, "", block_code),
    )
    return OrgSpec(
        kind=OrganizationKind.INVESTOR,
        name=name,
        short_name=short_name,
        uscc=state.uscc(rng, "91"),
        industry="7212" if "7212" in ctx.industries else "",
        block=block_code,
        address=state.address(rng, "", block_code, ctx.config.get("roads") or {}),
        size_band="small",
        founded_on=_date_in(rng, year),
        description=description,
        contact_name=state.person_name(rng),
        contact_phone=state.phone(rng),
        fields=field_codes,
    )


def _unique(spec_maker: Any, state: _State) -> OrgSpec:
    for _attempt in range(50):
        spec: OrgSpec = spec_maker()
        if spec.key not in state.names:
            state.names.add(spec.key)
            return spec
    raise RuntimeError("无法生成不重复的机构名称。")


# ------------------------------------------------------------------------------------------------
# People


def _expertise(rng: random.Random, ctx: Context, field_codes: list[str], templates: list[str]) -> str:
    pool: list[str] = []
    for code in field_codes:
        for word in _plain_keywords(ctx.fields[code]):
            if word not in pool:
                pool.append(word)
    if not pool:
        return ""
    picks = rng.sample(pool, k=min(3, len(pool)))
    while len(picks) < 3:
        picks.append(picks[-1])
    template = rng.choice(templates) if picks[0] != picks[1] else "从事{a}相关研究与开发"
    return str(template.format(a=picks[0], b=picks[1], c=picks[2]))[:300]


def _title_for(rng: random.Random, is_institute: bool) -> str:
    if is_institute:
        return str(_pick(rng, {Title.SENIOR: 22, Title.ASSOCIATE_SENIOR: 38, Title.INTERMEDIATE: 40}))
    return str(_pick(rng, {Title.SENIOR: 6, Title.ASSOCIATE_SENIOR: 30, Title.INTERMEDIATE: 64}))


def _researchers(
    ctx: Context, state: _State, rng: random.Random, plan: ScalePlan, enterprises: list[OrgSpec]
) -> list[PersonSpec]:
    settings = ctx.config.get("institutes", {}) or {}
    institute_keys = [k for k in (settings.get("weights") or {}) if k in ctx.institutes] or sorted(
        ctx.institutes
    )
    weights = [float((settings.get("weights") or {}).get(k, 1)) for k in institute_keys]
    share = float(settings.get("researcher_share", 0.4)) if institute_keys else 0.0
    at_institutes = round(plan.researchers * share)
    at_enterprises = plan.researchers - at_institutes
    institute_counts = _apportion(at_institutes, weights)

    base = 1 if at_enterprises >= len(enterprises) else 0
    jitter = [_RESEARCH_WEIGHT[e.size_band] * (0.5 + rng.random()) for e in enterprises]
    extra = _apportion(at_enterprises - base * len(enterprises), jitter)
    for spec, n in zip(enterprises, extra, strict=True):
        spec.researchers = base + n

    academician_weights = [float((settings.get("academicians") or {}).get(k, 1)) for k in institute_keys]
    academicians = dict(zip(institute_keys, _apportion(plan.academicians, academician_weights), strict=True))

    default_academies = {words.ACADEMICIAN_TITLES[0]: 7, words.ACADEMICIAN_TITLES[1]: 3}
    academies = {}
    for key, titles in (settings.get("academies") or {}).items():
        if key in ctx.institutes:
            institute = ctx.institutes[key]
            academies[(institute.kind, institute.name)] = {str(t): 1 for t in titles}
    slots: list[tuple[OrgSpec | Organization, tuple[str, str], bool, list[str], bool]] = []
    for key, count in zip(institute_keys, institute_counts, strict=True):
        institute = ctx.institutes[key]
        codes = sorted(f.code for f in institute.fields.all() if f.code in ctx.fields)
        for i in range(count):
            slots.append((institute, (institute.kind, institute.name), True, codes, i < academicians[key]))
    for spec in enterprises:
        for _ in range(spec.researchers):
            slots.append((spec, spec.key, False, [c for c in spec.fields if c in ctx.fields], False))

    # Titles: exactly `plan.titled` researchers hold an intermediate or senior title; academicians first,
    # institutes more often than enterprises.
    scores = [
        (math.inf if slot[4] else rng.random() * (1.5 if slot[2] else 1.0), i) for i, slot in enumerate(slots)
    ]
    titled = {i for _score, i in sorted(scores, key=lambda s: (-s[0], s[1]))[: plan.titled]}

    people = []
    for i, (org, org_key, is_institute, codes, is_academician) in enumerate(slots):
        title: str
        if is_academician:
            title = Title.SENIOR
        elif i in titled:
            title = _title_for(rng, is_institute)
        else:
            title = Title.JUNIOR if rng.random() < 0.5 else Title.NONE
        positions = (words.INSTITUTE_POSITIONS if is_institute else words.ENTERPRISE_POSITIONS)[str(title)]
        position = "研究员" if is_academician else rng.choice(positions)
        field_codes = (
            sorted(rng.sample(codes, k=min(len(codes), 1 if rng.random() < 0.7 else 2))) if codes else []
        )
        if title in (Title.SENIOR, Title.ASSOCIATE_SENIOR):
            templates = words.INSTITUTE_EXPERTISE if is_institute else words.ENTERPRISE_EXPERTISE
        elif title == Title.INTERMEDIATE:
            templates = (
                words.INSTITUTE_EXPERTISE[:1] + words.JUNIOR_EXPERTISE
                if is_institute
                else words.ENTERPRISE_EXPERTISE[:3]
            )
        else:
            templates = words.JUNIOR_EXPERTISE
        expertise = _expertise(rng, ctx, field_codes, templates)
        odds: dict[str, float] = {
            Title.SENIOR: 0.45 if is_institute else 0.35,
            Title.ASSOCIATE_SENIOR: 0.15 if is_institute else 0.08,
            Title.INTERMEDIATE: 0.03 if is_institute else 0.01,
        }
        expert_odds = odds.get(title, 0.0)
        is_expert = is_academician or rng.random() < expert_odds
        name = state.person_name(rng, org_key)
        bio = ""
        if is_expert:
            org_name = org.short_name or org.name
            honor = f"{_pick(rng, academies.get(org_key, default_academies))}，" if is_academician else ""
            bio = rng.choice(words.EXPERT_BIOS).format(
                name=name,
                honor=honor,
                org=org_name,
                position=position,
                expertise=expertise or "长期从事科研工作",
                projects=rng.randint(3, 20),
                patents=rng.randint(5, 60),
                papers=rng.randint(3, 20) * 10,
                awards=rng.randint(1, 5),
            )
        people.append(
            PersonSpec(
                org=org_key,
                org_kind=org_key[0],
                name=name,
                phone=state.phone(rng),
                position=position,
                title=title,
                fields=field_codes,
                expertise=expertise,
                is_expert=is_expert,
                is_academician=is_academician,
                is_researcher=True,
                bio=bio,
            )
        )
    return people


def _service_staff(ctx: Context, state: _State, rng: random.Random, orgs: list[OrgSpec]) -> list[PersonSpec]:
    people = []
    for spec in orgs:
        if spec.kind == OrganizationKind.PROVIDER and spec.category is not None:
            count, staff, code = rng.randint(1, 4), spec.category["staff"], spec.category["code"]
        else:
            count, staff, code = 2, words.INCUBATOR_POSITIONS, ""
        for _ in range(count):
            position, title = rng.choice(staff)
            name = state.person_name(rng, spec.key)
            expertise = words.PROVIDER_EXPERTISE.get(code, "")
            is_expert = bool(code) and rng.random() < 0.25
            bio = (
                rng.choice(words.PROVIDER_BIOS).format(
                    name=name,
                    org=spec.short_name or spec.name,
                    position=position,
                    years=rng.randint(5, 22),
                    expertise=expertise,
                )
                if is_expert
                else ""
            )
            people.append(
                PersonSpec(
                    org=spec.key,
                    org_kind=spec.kind,
                    name=name,
                    phone=state.phone(rng),
                    position=position,
                    title=title,
                    fields=list(spec.fields[:1]) if is_expert else [],
                    expertise=expertise if code else "",
                    is_expert=is_expert,
                    bio=bio,
                )
            )
    return people


# ------------------------------------------------------------------------------------------------
# Planning and writing


@dataclass
class DemoPlan:
    organizations: list[OrgSpec]
    people: list[PersonSpec]


def plan_directory(ctx: Context, *, scale: str, seed: int) -> DemoPlan:
    """Everything the run would create, computed from the seed and the profile only."""
    plan = scale_plan(scale, ctx.profile)
    state = _State(ctx)
    for item in ctx.profile.get("organizations", []):  # never reuse a profile organization's name
        state.names.add((item.get("kind", OrganizationKind.INSTITUTE), item["name"]))
        if item.get("uscc"):
            state.codes.add(str(item["uscc"]))
    sectors = _sectors(ctx)
    rng = random.Random(f"kechuang-demo:{seed}:enterprises")
    enterprises = []
    for _ in range(plan.enterprises):
        sector = _pick(rng, [(s, float(s.get("weight", 1))) for s in sectors])
        enterprises.append(_unique(lambda sector=sector: _enterprise(ctx, state, rng, sector), state))
    rng = random.Random(f"kechuang-demo:{seed}:providers")
    providers = [_unique(lambda: _provider(ctx, state, rng), state) for _ in range(plan.providers)]
    rng = random.Random(f"kechuang-demo:{seed}:incubators")
    incubators = [_unique(lambda i=i: _incubator(ctx, state, rng, i), state) for i in range(plan.incubators)]
    rng = random.Random(f"kechuang-demo:{seed}:people")
    people = _researchers(ctx, state, rng, plan, enterprises)
    people += _service_staff(ctx, state, rng, providers + incubators)
    # Investors come last, from their own random stream, so adding them changed no other demo row.
    rng = random.Random(f"kechuang-demo:{seed}:investors")
    investors = [_unique(lambda i=i: _investor(ctx, state, rng, i), state) for i in range(plan.investors)]
    return DemoPlan(organizations=enterprises + providers + incubators + investors, people=people)


def _write(ctx: Context, plan: DemoPlan) -> dict[str, int]:
    counts = {
        k: 0
        for k in (
            "enterprises",
            "providers",
            "incubators",
            "investors",
            "people",
            "researchers",
            "experts",
            "academicians",
            "skipped",
        )
    }
    taken_codes = set(Organization.objects.exclude(uscc__isnull=True).values_list("uscc", flat=True))
    taken_names = set(Organization.objects.values_list("kind", "name"))
    new_specs = []
    for spec in plan.organizations:
        if spec.key in taken_names or (spec.uscc and spec.uscc in taken_codes):
            counts["skipped"] += 1
            continue
        new_specs.append(spec)
    Organization.objects.bulk_create(
        [
            Organization(
                kind=s.kind,
                name=s.name,
                short_name=s.short_name,
                uscc=s.uscc,
                industry=ctx.industries.get(s.industry),
                block=ctx.blocks.get(s.block),
                park=ctx.parks.get(s.park),
                address=s.address,
                size_band=s.size_band,
                founded_on=s.founded_on,
                qualifications=s.qualifications,
                is_key=s.is_key,
                description=s.description,
                contact_name=s.contact_name,
                contact_phone=s.contact_phone,
                researchers=s.researchers,
            )
            for s in new_specs
        ],
        batch_size=500,
    )
    label: dict[str, str] = {
        OrganizationKind.ENTERPRISE: "enterprises",
        OrganizationKind.PROVIDER: "providers",
        OrganizationKind.INCUBATOR: "incubators",
        OrganizationKind.INVESTOR: "investors",
    }
    for spec in new_specs:
        counts[label[spec.kind]] += 1

    kinds = sorted({s.kind for s in plan.organizations} | {OrganizationKind.INSTITUTE})
    org_ids = {
        (k, n): pk
        for k, n, pk in Organization.objects.filter(kind__in=kinds).values_list("kind", "name", "id")
    }
    through = Organization.fields.through
    through.objects.bulk_create(
        [
            through(organization_id=org_ids[s.key], technologyfield_id=ctx.fields[code].pk)
            for s in new_specs
            if s.key in org_ids
            for code in dict.fromkeys(s.fields)
            if code in ctx.fields
        ],
        batch_size=1000,
    )

    existing = set(Person.objects.values_list("organization_id", "name", "phone"))
    new_people: list[tuple[PersonSpec, Person]] = []
    for person_spec in plan.people:
        org_id = org_ids.get(person_spec.org)
        if org_id is None or (org_id, person_spec.name, person_spec.phone) in existing:
            counts["skipped"] += 1 if org_id is not None else 0
            continue
        existing.add((org_id, person_spec.name, person_spec.phone))
        new_people.append(
            (
                person_spec,
                Person(
                    name=person_spec.name,
                    organization_id=org_id,
                    position=person_spec.position,
                    title=person_spec.title,
                    expertise=person_spec.expertise,
                    is_expert=person_spec.is_expert,
                    is_academician=person_spec.is_academician,
                    is_researcher=person_spec.is_researcher,
                    phone=person_spec.phone,
                    bio=person_spec.bio,
                ),
            )
        )
    Person.objects.bulk_create([p for _s, p in new_people], batch_size=500)
    if any(p.pk is None for _s, p in new_people):  # a backend that does not return keys from bulk inserts
        ids: dict[tuple[int | None, str, str], int] = {
            (o, n, ph): pk
            for o, n, ph, pk in Person.objects.values_list("organization_id", "name", "phone", "id")
        }
        for _spec, person in new_people:
            person.pk = ids[(person.organization_id, person.name, person.phone)]
    person_through = Person.fields.through
    person_through.objects.bulk_create(
        [
            person_through(person_id=p.pk, technologyfield_id=ctx.fields[code].pk)
            for s, p in new_people
            for code in dict.fromkeys(s.fields)
            if code in ctx.fields
        ],
        batch_size=1000,
    )
    for written, _person in new_people:
        counts["people"] += 1
        counts["researchers"] += int(written.is_researcher)
        counts["experts"] += int(written.is_expert)
        counts["academicians"] += int(written.is_academician)

    # The profile's institutes: researcher counts follow the people now on file (no write when equal).
    for institute in ctx.institutes.values():
        number = Person.objects.filter(organization=institute, is_researcher=True).count()
        if institute.researchers != number:
            institute.researchers = number
            institute.save(update_fields=["researchers", "updated_at"])
    return counts


def generate_directory(
    *, district: str, scale: str, seed: int, profile: dict[str, Any] | None = None
) -> dict[str, int]:
    """Create the directory demo data (the district profile must be loaded). Returns created counts."""
    with transaction.atomic():
        ctx = build_context(district, profile)
        plan = plan_directory(ctx, scale=scale, seed=seed)
        counts = _write(ctx, plan)
        if any(v for k, v in counts.items() if k != "skipped"):
            audit.record(
                "demo.generate",
                object_type="district",
                object_id=district,
                detail={"scale": scale, "seed": seed, **counts},
            )
    return counts


@dataclass
class DemoReport:
    profile: dict[str, int]
    directory: dict[str, int]
    modules: list[tuple[str, dict[str, int], float]]
    seconds: float
    directory_seconds: float


class DemoGeneratorFailed(RuntimeError):
    """A registered module generator raised; the directory data (and earlier modules) stay written."""

    def __init__(self, name: str, error: BaseException) -> None:
        super().__init__(f"演示数据生成器“{name}”出错：{error}")
        self.name = name
        self.error = error


def run_demo(
    *,
    district: str,
    scale: str,
    seed: int,
    stdout: Any = None,
    modules: bool = True,
    on_directory: Callable[[dict[str, int], float], None] | None = None,
    on_module: Callable[[str, dict[str, int], float], None] | None = None,
) -> DemoReport:
    """Load the profile (idempotent), the directory demo data, then every registered generator.

    Each step commits on its own, so a failing module generator (``DemoGeneratorFailed``) leaves the
    directory and the modules before it in place; running again completes the rest. ``on_directory`` and
    ``on_module`` are called as each step finishes (for progress output).
    """
    if scale not in SCALES:
        raise ValueError(f"未知的演示数据规模：{scale}（可选：{'、'.join(SCALES)}）")
    started = time.perf_counter()
    profile = load_profile(district)
    profile_counts = apply_profile(district, profile=profile)
    directory = generate_directory(district=district, scale=scale, seed=seed, profile=profile)
    directory_seconds = time.perf_counter() - started
    if on_directory is not None:
        on_directory(directory, directory_seconds)
    done = []
    for name, fn in registered_generators() if modules else []:
        t0 = time.perf_counter()
        try:
            with transaction.atomic():
                result = fn(scale=scale, seed=seed, rng=generator_rng(seed, name), stdout=stdout) or {}
        except Exception as error:
            raise DemoGeneratorFailed(name, error) from error
        done.append((name, dict(result), time.perf_counter() - t0))
        if on_module is not None:
            on_module(*done[-1])
    return DemoReport(
        profile=profile_counts,
        directory=directory,
        modules=done,
        seconds=time.perf_counter() - started,
        directory_seconds=directory_seconds,
    )
