"""Demo data of the IP module: each institute gets a portfolio in its field (about 400 assets at the small
scale, 5,000 at the large), the patents behind its achievements (their claims written from the
achievement, so a demand finds them), foreign family members, licences, assignments, pledges with
banks, open licences, and deadlines in the coming weeks.

Registered with ``core.registry.register_demo_generator``: deterministic for a seed, idempotent (an
organization that already holds assets gets none), counts returned per kind.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.utils import timezone

from kechuang.core.codes import last_numbers, set_last_numbers
from kechuang.directory.choices import OrganizationKind
from kechuang.directory.models import Organization, TechnologyField
from kechuang.transfer import demo_words as W

from . import ipc, numbers, rules
from .choices import AssetKind, LegalStatus, NationalAward, OpenLicenceStatus, TransactionKind
from .models import FamilyMember, IpAsset, IpTransaction, OpenLicence
from .services import first_annuity_due

TOTALS = {"tiny": 60, "small": 400, "large": 5000}
# the main IPC group of each field (the first code of a patent in that field)
FIELD_IPC = {
    "DIG01": "G08C 17/02",
    "DIG02": "G01L 9/00",
    "DIG03": "H01L 23/00",
    "DIG04": "G06N 3/08",
    "DIG05": "H04L 9/40",
    "DIG06": "G06F 30/20",
    "DIG07": "G06F 16/00",
    "DIG08": "H04W 4/70",
    "DIG09": "G05B 19/418",
    "DIG10": "B60W 30/00",
    "ENE01": "H01S 3/067",
    "ENE02": "G02B 27/00",
    "ENE03": "G02F 1/01",
    "MAT02": "H01L 21/02",
    "MAT03": "C30B 29/10",
    "LIF01": "C12Q 1/6837",
    "LIF02": "A61B 5/00",
    "LIF05": "G01N 21/64",
}
# general mechanical groups outside the strategic industries (fixtures, housings, conveying)
PLAIN_IPC = ["F16B 2/00", "F16M 11/04", "B65G 47/90", "F16L 55/00", "B25H 1/00"]
BANKS = [
    "中国银行上海市嘉定支行",
    "上海农商银行嘉定支行",
    "浦发银行嘉定支行",
    "交通银行上海嘉定支行",
    "建设银行上海嘉定支行",
]
INVENTION_TITLES = [
    "一种{tech}及其制备方法",
    "基于{method}的{tech}",
    "一种用于{scene}的{tech}系统",
    "{tech}的{method}方法",
]
UTILITY_TITLES = ["一种{tech}封装结构", "一种{tech}测试夹具", "一种{scene}用{tech}装置"]
DESIGN_TITLES = ["{tech}控制器", "{tech}模块外壳", "{tech}检测仪"]
SURNAMES = "王李张刘陈杨黄赵周吴徐孙朱马胡郭林何高罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华"


def _areas_for(org: Organization) -> list[dict[str, Any]]:
    name = org.name + (org.short_name or "")
    found = [a for a in W.AREAS if any(word in name for word in a["institute_words"])]
    if found:
        return found
    codes = set(org.fields.values_list("code", flat=True))
    return [a for a in W.AREAS if codes & set(a["fields"])] or list(W.AREAS)


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def _claims(rng: random.Random, tech: dict[str, Any], title: str, extra: list[str]) -> str:
    scene = rng.choice(tech["scenes"])
    metric = _metric(rng, rng.choice(tech["metrics"]))
    parts = [
        f"1. {title}，其特征在于，采用{tech['method']}，包括敏感单元、处理单元和输出接口；"
        f"所述处理单元对所述敏感单元的信号进行补偿与校准。",
        f"2. 根据权利要求1所述的{tech['name']}，其特征在于，适用于{scene}，{metric}。",
        f"3. 根据权利要求1所述的{tech['name']}，其特征在于，{'、'.join(tech['keywords'])}集成于同一结构中。",
    ]
    for index, sentence in enumerate(extra, start=4):
        parts.append(f"{index}. 根据权利要求1所述的{tech['name']}，其特征在于，{sentence.rstrip('。')}。")
    return "\n".join(parts)


def _metric(rng: random.Random, template: str) -> str:
    """A metric of the transfer demo's vocabulary with its numbers filled in."""
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


def _number(counter: dict[tuple[int, str], int], year: int, digit: str) -> str:
    counter[(year, digit)] += 1
    body = f"{year}{digit}{(1_000_003 + counter[(year, digit)] * 7_919) % 10_000_000:07d}"
    return f"{body}.{numbers.check_character(body)}"


def _foreign(rng: random.Random, year: int) -> list[str]:
    pool = [
        f"US{rng.randint(10_100_000, 11_900_000)}B2",
        f"EP{rng.randint(3_100_000, 4_200_000)}A1",
        f"WO{year + 1}{rng.randint(100_000, 999_999)}A1",
        f"JP{rng.randint(7_000_000, 7_600_000)}B2",
    ]
    return rng.sample(pool, rng.randint(1, 2))


def _dates(rng: random.Random, kind: str, filed: dt.date, today: dt.date) -> tuple[Any, Any, str]:
    """(published_on, granted_on, legal status) of an asset filed on ``filed``."""
    age = (today - filed).days
    if kind == AssetKind.INVENTION:
        published = filed + dt.timedelta(days=540) if age > 560 else None
        if published is None:
            return None, None, LegalStatus.FILED
        if age < 1000 and rng.random() < 0.6:
            return published, None, LegalStatus.PUBLISHED
        granted = filed + dt.timedelta(days=rng.randint(700, min(1400, max(701, age - 10))))
        if granted > today:
            return published, None, LegalStatus.PUBLISHED
        if filed.year + 20 <= today.year:
            return published, granted, LegalStatus.EXPIRED
        roll = rng.random()
        if roll < 0.08:
            return published, None, rng.choice([LegalStatus.REJECTED, LegalStatus.WITHDRAWN])
        if roll < 0.22 and age > 2500:
            return published, granted, LegalStatus.LAPSED
        return published, granted, LegalStatus.GRANTED
    granted = filed + dt.timedelta(days=rng.randint(150, 300))
    if granted > today:
        return None, None, LegalStatus.FILED
    term = 10 if kind == AssetKind.UTILITY else 15
    if filed.year + term <= today.year:
        return granted, granted, LegalStatus.EXPIRED
    if age > 2000 and rng.random() < 0.3:
        return granted, granted, LegalStatus.LAPSED
    return granted, granted, LegalStatus.GRANTED


def generate(*, scale: str, seed: int, rng: random.Random, stdout: Any = None) -> dict[str, int]:
    rng = random.Random(f"{seed}:ip")
    today = timezone.localdate()
    institutes = list(Organization.objects.filter(kind=OrganizationKind.INSTITUTE).order_by("pk"))
    enterprises = list(Organization.objects.filter(kind=OrganizationKind.ENTERPRISE).order_by("pk"))
    counts = {"知识产权": 0, "海外同族": 0, "知识产权交易": 0, "开放许可": 0}
    holders = [o for o in institutes if not IpAsset.objects.filter(holder=o).exists()]
    if not holders:
        return counts
    total = TOTALS.get(scale, 400)
    weights = [3 if o.is_key or "研究所" in o.name else 1 for o in holders]
    share = [max(4, total * w // sum(weights)) for w in weights]
    fields = {f.code: f for f in TechnologyField.objects.all()}
    counter: dict[tuple[int, str], int] = defaultdict(int)
    existing = set(IpAsset.objects.values_list("number", flat=True))
    assets: list[IpAsset] = []
    family: dict[int, list[str]] = {}
    field_links: list[tuple[int, str]] = []
    for holder, quota in zip(holders, share, strict=True):
        areas = _areas_for(holder)
        achievements = list(holder_achievements(holder))
        for index in range(quota):
            area = rng.choice(areas)
            tech = rng.choice(area["techs"])
            achievement = achievements[index] if index < len(achievements) else None
            kind = (
                AssetKind.INVENTION
                if achievement is not None
                else rng.choices(
                    [AssetKind.INVENTION, AssetKind.UTILITY, AssetKind.DESIGN, AssetKind.SOFTWARE],
                    weights=[62, 25, 5, 8],
                )[0]
            )
            filed = today - dt.timedelta(days=rng.randint(30, 365 * 18))
            if achievement is not None:
                filed = today - dt.timedelta(days=rng.randint(1300, 365 * 9))
            scene = rng.choice(tech["scenes"])
            if achievement is not None:
                title = (
                    f"一种{achievement.title}"[:200]
                    if not achievement.title.startswith("一种")
                    else achievement.title
                )
                extra = [achievement.problem_solved, achievement.advantages, f"应用于{achievement.scenarios}"]
                abstract = achievement.summary
            else:
                templates = {AssetKind.UTILITY: UTILITY_TITLES, AssetKind.DESIGN: DESIGN_TITLES}.get(
                    kind, INVENTION_TITLES
                )
                title = rng.choice(templates).format(tech=tech["name"], method=tech["method"], scene=scene)
                if kind == AssetKind.SOFTWARE:
                    title = f"{tech['name']}{rng.choice(['数据采集', '监测', '仿真', '标定'])}软件V{rng.randint(1, 3)}.0"
                extra = [f"用于解决{p}" for p in rng.sample(tech["pains"], 1)]
                abstract = f"本发明公开了{title}，采用{tech['method']}，可用于{scene}，解决{rng.choice(tech['pains'])}的问题。"
            if kind == AssetKind.SOFTWARE:
                number = f"{filed.year}SR{rng.randint(100_000, 1_999_999):07d}"
                published, granted, status = filed, filed + dt.timedelta(days=60), LegalStatus.GRANTED
                if granted > today:
                    granted = today
            else:
                digit = {"invention": "1", "utility": "2", "design": "3"}[kind]
                number = _number(counter, filed.year, digit)
                published, granted, status = _dates(rng, kind, filed, today)
            if number in existing:
                continue
            existing.add(number)
            field_code = next((c for c in area["fields"] if c in FIELD_IPC), area["fields"][0])
            codes: list[str] = []
            if kind in (AssetKind.INVENTION, AssetKind.UTILITY):
                codes = [FIELD_IPC.get(field_code, "G01N 21/00")]
                if rng.random() < 0.3 and achievement is None:
                    codes = [rng.choice(PLAIN_IPC)]
                elif rng.random() < 0.4:
                    codes.append(FIELD_IPC[rng.choice(list(FIELD_IPC))])
            claims = (
                "" if kind in (AssetKind.DESIGN, AssetKind.SOFTWARE) else _claims(rng, tech, title, extra)
            )
            asset = IpAsset(
                kind=kind,
                number=number,
                title=title[:200],
                abstract=abstract[:5000],
                claims=claims,
                holder=holder,
                applicant_names=holder.name,
                inventor_names="；".join(_person(rng) for _ in range(rng.randint(2, 5))),
                filed_on=filed,
                published_on=published,
                granted_on=granted,
                legal_status=status,
                status_changed_on=granted or published or filed,
                ipc_codes=codes,
                achievement=achievement,
                publication_number=(
                    f"CN{rng.randint(100_000_000, 119_999_999)}{'B' if granted else 'A'}"
                    if published and kind != AssetKind.SOFTWARE
                    else ""
                ),
            )
            if (years := rules.protection_years(kind, filed)) is not None:
                asset.expires_on = dt.date(filed.year + years, filed.month, min(filed.day, 28))
            asset.annuity_due_on = first_annuity_due(asset, today)
            if asset.annuity_due_on and rng.random() < 0.08:
                asset.annuity_due_on = today + dt.timedelta(days=rng.randint(3, 55))
            if kind == AssetKind.INVENTION and status == LegalStatus.GRANTED and rng.random() < 0.16:
                family[len(assets)] = _foreign(rng, filed.year)
            if kind == AssetKind.INVENTION and status == LegalStatus.GRANTED and rng.random() < 0.01:
                asset.national_award = rng.choice([NationalAward.SILVER, NationalAward.EXCELLENCE])
            for code in ipc.field_codes(codes) or [field_code]:
                field_links.append((len(assets), code))
            assets.append(asset)
    with transaction.atomic():
        created = _write(assets, family, field_links, fields, enterprises, rng, today)
    counts.update(created)
    return counts


def holder_achievements(holder: Organization) -> Any:
    from kechuang.transfer.models import Achievement
    from kechuang.transfer.workflow import ACHIEVEMENT_PUBLIC_STATUSES

    return Achievement.objects.filter(organization=holder, status__in=ACHIEVEMENT_PUBLIC_STATUSES).order_by(
        "pk"
    )[:40]


def _write(
    assets: list[IpAsset],
    family: dict[int, list[str]],
    field_links: list[tuple[int, str]],
    fields: dict[str, TechnologyField],
    enterprises: list[Organization],
    rng: random.Random,
    today: dt.date,
) -> dict[str, int]:
    from kechuang.transfer import matching

    IpAsset.objects.bulk_create(assets, batch_size=500)
    through = IpAsset.fields.through
    through.objects.bulk_create(
        [
            through(ipasset_id=assets[i].pk, technologyfield_id=fields[c].pk)
            for i, c in field_links
            if c in fields
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    members = [FamilyMember(asset=assets[i], country=n[:2], number=n) for i, ns in family.items() for n in ns]
    FamilyMember.objects.bulk_create(members, batch_size=1000)
    year_numbers = last_numbers("ip")

    def code(prefix: str, year: int) -> str:
        key = (prefix, year)
        year_numbers[key] = year_numbers.get(key, 0) + 1
        return f"{prefix}-{year}-{year_numbers[key]:05d}"

    granted = [
        a
        for a in assets
        if a.legal_status == LegalStatus.GRANTED and a.kind in (AssetKind.INVENTION, AssetKind.UTILITY)
    ]
    records: list[IpTransaction] = []
    licences: list[OpenLicence] = []
    pledged: dict[int, int] = {}
    for asset in granted:
        roll = rng.random()
        signed = max(asset.granted_on or today, today - dt.timedelta(days=rng.randint(10, 1000)))
        if roll < 0.07 and enterprises:
            kind = rng.choice(
                [
                    TransactionKind.LICENCE_ORDINARY,
                    TransactionKind.LICENCE_EXCLUSIVE,
                    TransactionKind.LICENCE_SOLE,
                    TransactionKind.ASSIGNMENT,
                ]
            )
            buyer = rng.choice(enterprises)
            records.append(
                IpTransaction(
                    code=code("ZJ", signed.year),
                    asset=asset,
                    kind=kind,
                    counterparty=buyer,
                    counterparty_name=buyer.name,
                    amount_fen=rng.choice([20, 30, 50, 80, 120, 200, 300]) * 1_000_000,
                    signed_on=signed,
                    term_start=signed if kind != TransactionKind.ASSIGNMENT else None,
                    term_end=dt.date(signed.year + rng.randint(3, 8), signed.month, min(signed.day, 28))
                    if kind != TransactionKind.ASSIGNMENT
                    else None,
                    contract_number=f"JY{signed.year}{rng.randint(1000, 9999)}",
                )
            )
        elif roll < 0.10:
            bank = rng.choice(BANKS)
            amount = rng.choice([300, 500, 800, 1000, 1500, 2000, 3000]) * 1_000_000
            pledged[asset.pk] = max(pledged.get(asset.pk, 0), amount)
            records.append(
                IpTransaction(
                    code=code("ZJ", signed.year),
                    asset=asset,
                    kind=TransactionKind.PLEDGE,
                    counterparty_name=bank,
                    amount_fen=amount,
                    signed_on=signed,
                    term_start=signed,
                    term_end=dt.date(signed.year + rng.randint(1, 3), signed.month, min(signed.day, 28)),
                    contract_number=f"ZY{signed.year}{rng.randint(1000, 9999)}",
                )
            )
        elif roll < 0.16 and asset.holder.kind == OrganizationKind.INSTITUTE:
            licences.append(
                OpenLicence(
                    code=code("KF", today.year),
                    asset=asset,
                    fee_fen=rng.choice([2, 3, 5, 8, 10, 15, 20]) * 1_000_000,
                    royalty_permille=rng.choice([0, 0, 10, 20, 30]),
                    term_years=rng.choice([3, 5]),
                    terms="许可方式为普通许可；被许可方不得再许可；许可期满可续期。",
                    status=OpenLicenceStatus.PUBLISHED,
                )
            )
    IpTransaction.objects.bulk_create(records, batch_size=500)
    OpenLicence.objects.bulk_create(licences, batch_size=500)
    set_last_numbers("ip", year_numbers)
    # the high-value rule on the facts just written
    family_count = {assets[i].pk: len(ns) for i, ns in family.items()}
    flagged = []
    for asset in assets:
        if asset.kind != AssetKind.INVENTION:
            continue
        reasons = rules.high_value_reasons(
            rules.Facts(
                kind=asset.kind,
                legal_status=asset.legal_status,
                filed_on=asset.filed_on,
                strategic=ipc.is_strategic(asset.ipc_codes),
                foreign_members=family_count.get(asset.pk, 0),
                largest_pledge_fen=pledged.get(asset.pk, 0),
                award=asset.national_award,
            ),
            today,
        )
        if reasons:
            asset.high_value, asset.high_value_reasons = True, reasons
            flagged.append(asset)
    IpAsset.objects.bulk_update(flagged, ["high_value", "high_value_reasons"], batch_size=500)
    if assets:
        IpAsset.objects.filter(index_version=0).update(index_version=matching.bump_version())
        transaction.on_commit(matching.enqueue_missing)
    return {
        "知识产权": len(assets),
        "海外同族": len(members),
        "知识产权交易": len(records),
        "开放许可": len(licences),
    }
