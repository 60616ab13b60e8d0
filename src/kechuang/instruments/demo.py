"""Demo data of the shared-instrument module: each institute of the district profile gets the instruments
of its field (about 80 in all), rate cards, and a year of past bookings by the demo enterprises (most
completed with their actual minutes and charges, some no-shows and cancellations), plus a few
upcoming ones.

Paid by voucher (the vouchers' demo runs first): the first owner joins the voucher providers for 仪器共享
and a few of its instruments accept vouchers; some enterprises with an active voucher book machine time
and send samples through the real payment path (``instruments.payment`` over the vouchers services, as
the system), so the pages and figures show holds, captures and releases and `ledger-reconcile` stays
clean: upcoming bookings held, past ones captured at the actual minutes, a cancelled one released;
sample tests accepted (held), confirmed (captured) and rejected (released).

Registered with ``kechuang.directory.demo.register_demo_generator``: deterministic for a seed, idempotent
(instruments by (owner, name); bookings only for instruments that have none; the voucher part only once),
counts returned per kind.
"""

from __future__ import annotations

import datetime as dt
import importlib
import random
from typing import Any

from django.db import transaction
from django.utils import timezone

from kechuang.directory.choices import OrganizationKind
from kechuang.directory.models import Building, Organization

from .choices import ApprovalRule, BookingStatus, RateUnit, ServiceMode, UserClass
from .models import Booking, Instrument, InstrumentCategory, Rate, new_code

# name, model, maker, category code, original value (万元), district hourly rate (元), mode, rule
Row = tuple[str, str, str, str, int, int, str, str]
B, S, T = ServiceMode.BOTH, ServiceMode.SELF, ServiceMode.SAMPLE
AUTO, TRAINED, OWNER = ApprovalRule.AUTOMATIC, ApprovalRule.TRAINED, ApprovalRule.OWNER

CATALOGUE: dict[str, list[Row]] = {
    "微系统": [
        ("场发射透射电子显微镜", "JEM-2100F", "日本电子", "0101", 1350, 900, B, TRAINED),
        ("场发射扫描电子显微镜", "SU8220", "日立", "0101", 620, 450, B, TRAINED),
        ("聚焦离子束双束系统", "Helios 5 UX", "赛默飞", "0101", 1800, 1200, B, TRAINED),
        ("半导体参数分析仪与探针台", "B1500A / CM300", "是德科技 / FormFactor", "0503", 480, 300, S, OWNER),
        ("低温探针台", "CRX-6.5K", "Lake Shore", "0503", 260, 350, S, TRAINED),
        ("X射线光电子能谱仪", "ESCALAB Xi+", "赛默飞", "0104", 700, 600, T, OWNER),
        ("X射线衍射仪", "D8 Advance", "布鲁克", "0103", 350, 260, B, TRAINED),
        ("原子力显微镜", "Dimension Icon", "布鲁克", "0108", 300, 280, B, TRAINED),
        ("电子束曝光系统", "EBPG 5200", "Raith", "0801", 3200, 1500, S, OWNER),
        ("深紫外光刻机", "MA6 Gen4", "SUSS", "0801", 420, 500, S, TRAINED),
        ("感应耦合等离子体刻蚀机", "PlasmaPro 100", "牛津仪器", "0801", 560, 450, S, OWNER),
        ("原子层沉积系统", "R-200", "Picosun", "0802", 380, 380, S, OWNER),
        ("矢量网络分析仪", "N5227B", "是德科技", "0502", 260, 220, S, AUTO),
        ("高分辨拉曼光谱仪", "LabRAM HR Evolution", "堀场", "0104", 280, 260, B, TRAINED),
        ("微波暗室天线测试系统", "定制", "中电科41所", "0702", 900, 800, T, OWNER),
        ("晶圆级可靠性测试系统", "TEL P12XL", "东京电子", "0503", 650, 400, T, OWNER),
        ("二次离子质谱仪", "IMS 7f-auto", "CAMECA", "0102", 1600, 1100, T, OWNER),
        ("椭圆偏振光谱仪", "M-2000", "J.A. Woollam", "0104", 180, 180, S, AUTO),
        ("综合物性测量系统", "PPMS DynaCool", "Quantum Design", "0201", 750, 500, B, TRAINED),
        ("台阶仪", "Dektak XT", "布鲁克", "0301", 60, 120, S, AUTO),
    ],
    "微技术": [
        ("8英寸MEMS中试线光刻机", "NSR-S205C", "尼康", "0801", 2600, 1400, S, OWNER),
        ("晶圆键合机", "EVG 520IS", "EVG", "0801", 520, 600, S, OWNER),
        ("深反应离子刻蚀机", "Pegasus", "SPTS", "0801", 980, 800, S, OWNER),
        ("晶圆缺陷检测系统", "Surfscan SP2", "科磊", "0701", 1200, 900, T, OWNER),
        ("晶圆探针测试台", "UF3000", "东京精密", "0503", 420, 350, S, TRAINED),
        ("生物芯片点样仪", "sciFLEXARRAYER S3", "Scienion", "0602", 260, 300, B, TRAINED),
        ("流式细胞仪", "CytoFLEX S", "贝克曼库尔特", "0602", 180, 260, B, TRAINED),
        ("数字PCR系统", "QX200", "伯乐", "0601", 150, 240, B, AUTO),
        ("高通量基因测序仪", "NovaSeq 6000", "Illumina", "0601", 800, 0, T, OWNER),
        ("激光共聚焦显微镜", "LSM 980", "蔡司", "0108", 500, 400, B, TRAINED),
        ("超净台式扫描电镜", "Phenom XL G2", "赛默飞", "0101", 120, 200, S, AUTO),
        ("薄膜应力测试仪", "FSM 128", "FSM", "0201", 90, 150, S, AUTO),
        ("晶圆划片机", "DAD3350", "迪思科", "0801", 220, 300, S, TRAINED),
        ("引线键合机", "IConn", "库力索法", "0801", 160, 220, S, TRAINED),
        ("三维X射线显微镜", "Xradia 620 Versa", "蔡司", "0103", 1100, 900, T, OWNER),
        ("傅里叶变换红外光谱仪", "Nicolet iS50", "赛默飞", "0104", 90, 160, B, AUTO),
        ("热重-差示扫描量热联用仪", "STA 449 F5", "耐驰", "0109", 120, 180, T, OWNER),
        ("液相色谱-质谱联用仪", "6545 Q-TOF", "安捷伦", "0102", 450, 500, T, OWNER),
        ("电感耦合等离子体质谱仪", "iCAP RQ", "赛默飞", "0102", 200, 350, T, OWNER),
        ("高低温湿热试验箱", "SH-662", "爱斯佩克", "0701", 60, 80, S, AUTO),
    ],
    "光学精密机械": [
        ("飞秒激光加工平台", "Pharos PH2-20W", "Light Conversion", "0401", 380, 600, S, TRAINED),
        ("高功率光纤激光器测试台", "自研", "上海光机所", "0403", 260, 500, B, OWNER),
        ("激光损伤阈值测试平台", "自研", "上海光机所", "0403", 420, 700, T, OWNER),
        ("大口径激光干涉仪", "DynaFiz 24英寸", "Zygo", "0402", 900, 800, T, OWNER),
        ("数字波面干涉仪", "Verifire", "Zygo", "0402", 320, 450, B, TRAINED),
        ("光学表面轮廓仪", "NewView 9000", "Zygo", "0301", 260, 360, B, TRAINED),
        ("紫外-可见-近红外分光光度计", "Lambda 1050+", "珀金埃尔默", "0104", 120, 200, B, AUTO),
        ("光谱椭偏仪", "UVISEL Plus", "堀场", "0104", 210, 260, S, AUTO),
        ("超快光谱测量系统", "Helios Fire", "Ultrafast Systems", "0104", 450, 650, T, OWNER),
        ("光束质量分析仪", "BeamSquared", "Ophir", "0306", 40, 120, S, AUTO),
        ("激光功率与能量计量装置", "Vega", "Ophir", "0306", 30, 100, S, AUTO),
        ("光学镀膜机", "SYRUSpro 1110", "莱宝", "0404", 1300, 900, T, OWNER),
        ("离子束抛光机", "IBF-700", "自研", "0404", 800, 900, T, OWNER),
        ("激光晶体生长炉", "提拉法", "自研", "0802", 360, 500, T, OWNER),
        ("红外热像仪", "X8500sc", "FLIR", "0203", 150, 160, S, AUTO),
        ("光纤光栅刻写系统", "自研", "上海光机所", "0401", 260, 420, S, TRAINED),
        ("偏振测量系统", "自研", "上海光机所", "0203", 120, 200, B, OWNER),
        ("三坐标测量机", "CONTURA G2", "蔡司", "0301", 180, 240, T, OWNER),
        ("环境振动测试台", "ES-50", "苏试", "0204", 150, 200, S, TRAINED),
        ("太赫兹时域光谱仪", "TeraPulse 4000", "TeraView", "0104", 330, 450, B, TRAINED),
    ],
    "第三十二研究所": [
        ("电磁兼容测试系统", "ESW44 / 3米法暗室", "罗德与施瓦茨", "0702", 1600, 900, T, OWNER),
        ("网络协议一致性测试仪", "IxNetwork", "是德科技", "0504", 300, 300, B, OWNER),
        ("网络性能测试仪", "SPT-N11U", "思博伦", "0504", 260, 280, B, OWNER),
        ("逻辑分析仪", "16962A", "是德科技", "0501", 90, 120, S, AUTO),
        ("高速数字示波器", "UXR0594A", "是德科技", "0501", 800, 500, S, TRAINED),
        ("信号与频谱分析仪", "FSW50", "罗德与施瓦茨", "0502", 320, 260, S, AUTO),
        ("嵌入式软件测试平台", "TESSY / VectorCAST", "Razorcat / Vector", "09", 120, 160, B, OWNER),
        ("信息安全渗透测试平台", "自研", "中电科32所", "09", 200, 300, T, OWNER),
        ("国产CPU兼容性测试环境", "飞腾 / 龙芯 / 申威", "自研", "09", 300, 200, B, OWNER),
        ("高性能计算集群（机时）", "512核", "曙光", "09", 900, 80, S, AUTO),
        ("芯片侧信道分析平台", "Inspector", "Riscure", "0501", 450, 600, T, OWNER),
        ("故障注入测试系统", "VC Glitcher", "Riscure", "0501", 280, 500, T, OWNER),
        ("高低温冲击试验箱", "TSA-73EL", "爱斯佩克", "0701", 80, 100, S, AUTO),
        ("可靠性振动试验台", "V875", "LDS", "0204", 210, 220, S, TRAINED),
        ("电源质量分析仪", "PX8000", "横河", "0501", 60, 100, S, AUTO),
        ("光纤网络测试仪", "MT1000A", "安立", "0504", 110, 150, S, AUTO),
        ("射频屏蔽测试箱", "RF-Box", "自研", "0702", 30, 80, S, AUTO),
        ("工业控制系统安全测试床", "自研", "中电科32所", "09", 500, 400, T, OWNER),
        ("无线通信综测仪", "CMW500", "罗德与施瓦茨", "0502", 350, 280, S, TRAINED),
        ("固态硬盘性能测试系统", "SANBlaze", "SANBlaze", "09", 100, 150, S, AUTO),
    ],
}
BOOKINGS_PER_INSTRUMENT = {"tiny": 6, "small": 40, "large": 160}
UPCOMING_PER_INSTRUMENT = 2


def _owner_for(keyword: str) -> Organization | None:
    return (
        Organization.objects.filter(kind=OrganizationKind.INSTITUTE, name__contains=keyword)
        .order_by("pk")
        .first()
        or Organization.objects.filter(kind=OrganizationKind.INSTITUTE, short_name__contains=keyword)
        .order_by("pk")
        .first()
    )


def _slot_start(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _categories() -> dict[str, InstrumentCategory]:
    """The classification by code. Its migration seeds it; a database emptied since (a test's flush, a
    restore drill) gets it again from the same migration code, so the demo never depends on it surviving."""
    if not InstrumentCategory.objects.filter(code="99").exists():
        from django.apps import apps

        seed = importlib.import_module("kechuang.instruments.migrations.0003_seed_categories")
        seed.forwards(apps, None)
    return {c.code: c for c in InstrumentCategory.objects.all()}


def generate(*, scale: str, seed: int, rng: random.Random, stdout: Any = None) -> dict[str, int]:
    per_instrument = BOOKINGS_PER_INSTRUMENT.get(scale, 40)
    today = timezone.localdate()
    enterprises = list(Organization.objects.filter(kind=OrganizationKind.ENTERPRISE).order_by("pk"))
    institutes = list(Organization.objects.filter(kind=OrganizationKind.INSTITUTE).order_by("pk"))
    categories = _categories()
    created = {"共享仪器": 0, "机时预约": 0, "创新券支付的机时预约": 0, "委托测试": 0, "收费发票": 0}
    with transaction.atomic():
        for keyword, rows in CATALOGUE.items():
            owner = _owner_for(keyword)
            if owner is None:
                continue
            buildings = list(Building.objects.filter(park__institute=owner).order_by("code")) or list(
                Building.objects.order_by("code")[:3]
            )
            for index, (name, model, maker, category, value_wan, rate_yuan, mode, rule) in enumerate(rows):
                instrument = Instrument.objects.filter(owner=owner, name=name).first()
                if instrument is None:
                    instrument = Instrument.objects.create(
                        code=new_code("YQ"),
                        name=name,
                        owner=owner,
                        building=buildings[index % len(buildings)] if buildings else None,
                        room=f"{1 + index % 5}{index % 10:02d}",
                        category=categories.get(category) or categories["99"],
                        model_number=model,
                        maker=maker,
                        original_value_fen=value_wan * 1_000_000,
                        purchase_year=today.year - rng.randint(1, 9),
                        description=f"{owner.short_name or owner.name}共享{name}，型号 {model}，可提供"
                        f"{ServiceMode(mode).label}服务。",
                        service_mode=mode,
                        approval_rule=rule,
                        slot_minutes=60,
                        min_notice_hours=24,
                        free_cancel_hours=24,
                    )
                    hourly = rate_yuan * 100
                    for user_class, factor in (
                        (UserClass.OWNER, 0.5),
                        (UserClass.DISTRICT, 1.0),
                        (UserClass.OUTSIDE, 1.5),
                    ):
                        if mode != ServiceMode.SAMPLE and hourly:
                            Rate.objects.create(
                                instrument=instrument,
                                user_class=user_class,
                                unit=RateUnit.HOUR,
                                price_fen=int(hourly * factor),
                            )
                        if mode != ServiceMode.SELF:
                            Rate.objects.create(
                                instrument=instrument,
                                user_class=user_class,
                                unit=RateUnit.SAMPLE,
                                price_fen=int(max(hourly, 20_000) * 1.2 * factor),
                            )
                    created["共享仪器"] += 1
                if not instrument.self_operated or Booking.objects.filter(instrument=instrument).exists():
                    continue
                created["机时预约"] += _bookings(
                    instrument, enterprises, institutes, per_instrument, today, rng
                )
        created.update(_voucher_paid(rng, today))
        # the instruments join the matching index (a demand's recommendations); their vectors follow
        from kechuang.transfer import matching

        if created["共享仪器"]:
            Instrument.objects.filter(index_version=0).update(index_version=matching.bump_version())
            transaction.on_commit(matching.enqueue_missing)
    return created


def _bookings(
    instrument: Instrument,
    enterprises: list[Organization],
    institutes: list[Organization],
    count: int,
    today: dt.date,
    rng: random.Random,
) -> int:
    """Past bookings on distinct weekday mornings or afternoons over the last year (never overlapping),
    and a couple of upcoming ones."""
    rates = {
        (r.user_class, r.unit): r.price_fen
        for r in Rate.objects.filter(instrument=instrument, unit=RateUnit.HOUR)
    }
    taken: set[tuple[dt.date, int]] = set()
    rows = []
    attempts = 0
    while len(rows) < count + UPCOMING_PER_INSTRUMENT and attempts < count * 10:
        attempts += 1
        upcoming = len(rows) >= count
        offset = rng.randint(2, 20) if upcoming else -rng.randint(1, 365)
        day = today + dt.timedelta(days=offset)
        if day.isoweekday() > 5:
            continue
        hour = rng.choice([9, 13])
        if (day, hour) in taken:
            continue
        taken.add((day, hour))
        roll = rng.random()
        if roll < 0.12 and institutes:
            organization = rng.choice(institutes)
        elif enterprises:
            organization = rng.choice(enterprises)
        else:
            continue
        user_class = (
            UserClass.OWNER
            if organization.pk == instrument.owner_id
            else UserClass.DISTRICT
            if organization.kind == OrganizationKind.ENTERPRISE
            else UserClass.OUTSIDE
        )
        rate = rates.get((user_class, RateUnit.HOUR), 0)
        hours = rng.choice([1, 2, 2, 3, 4])
        start = _slot_start(day, hour)
        booking = Booking(
            code=new_code("YY"),
            instrument=instrument,
            organization=organization,
            start_at=start,
            end_at=start + dt.timedelta(hours=hours),
            purpose=rng.choice(["样品形貌表征", "器件电学性能测试", "工艺验证", "来料检验", "研发对比实验"]),
            user_class=user_class,
            rate_fen=rate,
            decided_at=start - dt.timedelta(days=2),
        )
        if upcoming:
            booking.status = BookingStatus.CONFIRMED
        elif roll > 0.94:
            booking.status = BookingStatus.NO_SHOW
            booking.charge_fen = rate
        elif roll > 0.88:
            booking.status = BookingStatus.CANCELLED
            booking.charge_fen = 0
        else:
            minutes = max(30, hours * 60 - rng.randint(0, 50))
            booking.status = BookingStatus.COMPLETED
            booking.actual_minutes = minutes
            booking.checked_in_at = start
            booking.checked_out_at = start + dt.timedelta(minutes=minutes)
            booking.charge_fen = -(-rate * minutes // 60)
            booking.charge_confirmed_at = booking.checked_out_at
        rows.append(booking)
    Booking.objects.bulk_create(rows)
    return len(rows)


VOUCHER_INSTRUMENTS = 4  # of the first owner's instruments with a district rate


def _voucher_paid(rng: random.Random, today: dt.date) -> dict[str, int]:
    """Voucher-paid bookings and sample tests through the real payment path (held, captured, released)."""
    from kechuang.core.codes import next_code
    from kechuang.vouchers.choices import ProviderStatus, ServiceCategory, VoucherStatus
    from kechuang.vouchers.models import Provider, Voucher
    from kechuang.vouchers.services import payable_account

    from . import payment, services
    from .models import SampleRequest

    counts = {"创新券支付的机时预约": 0, "委托测试": 0, "收费发票": 0}
    if SampleRequest.objects.exists() or Booking.objects.filter(voucher_order__isnull=False).exists():
        return counts  # done on an earlier run
    vouchers = [
        v
        for v in Voucher.objects.filter(status=VoucherStatus.ACTIVE, expires_on__gt=today)
        .select_related("scheme", "account")
        .order_by("code")
        if ServiceCategory.INSTRUMENTS in v.scheme.categories and v.account.available_fen >= 5_000_00
    ][:6]
    owner = _voucher_owner()
    if not vouchers or owner is None:
        return counts
    provider = Provider.objects.filter(organization=owner).first()
    if provider is None:
        provider = Provider.objects.create(
            organization=owner,
            code=next_code("vouchers", "FW", width=4),
            status=ProviderStatus.APPROVED,
            categories=[ServiceCategory.INSTRUMENTS],
            introduction=f"{owner.name}共享仪器（仪器共享类创新券）。",
            contact_name=owner.contact_name,
            contact_phone=owner.contact_phone,
            applied_at=timezone.now() - dt.timedelta(days=60),
            reviewed_at=timezone.now() - dt.timedelta(days=58),
            review_note="院所仪器共享，准予入驻（演示）",
        )
        payable_account(vouchers[0].scheme, provider)
    if provider.status != ProviderStatus.APPROVED or ServiceCategory.INSTRUMENTS not in provider.categories:
        return counts
    instruments = [
        payment.enable_vouchers(instrument=i)
        for i in Instrument.objects.filter(owner=owner, rates__user_class=UserClass.DISTRICT)
        .distinct()
        .order_by("code")[:VOUCHER_INSTRUMENTS]
    ]
    for index, voucher in enumerate(vouchers):
        instrument = instruments[index % len(instruments)]
        enterprise = voucher.enterprise
        if instrument.voucher_service_id:
            counts["创新券支付的机时预约"] += _voucher_bookings(
                instrument, enterprise, voucher, index, today, rng
            )
        if instrument.voucher_sample_service_id:
            counts["委托测试"] += _voucher_samples(instrument, enterprise, voucher, index, services)
    counts["收费发票"] = _invoices(owner, today)
    return counts


def _invoices(owner: Organization, today: dt.date) -> int:
    """The owner's invoices for the directly paid part of its voucher-paid charges: every other one paid."""
    from .choices import InvoiceStatus
    from .models import Invoice, SampleRequest
    from .services import direct_part_of

    records: list[Any] = [
        *Booking.objects.filter(
            instrument__owner=owner,
            voucher_order__isnull=False,
            status=BookingStatus.COMPLETED,
            charge_fen__gt=0,
        )
        .select_related("voucher_order")
        .order_by("start_at"),
        *SampleRequest.objects.filter(instrument__owner=owner, charge_fen__gt=0)
        .select_related("voucher_order")
        .order_by("pk"),
    ]
    made = 0
    for number, record in enumerate(records, start=1):
        direct = direct_part_of(record.charge_fen or 0, record.voucher_order)
        if direct <= 0:
            continue
        paid = number % 2 == 1
        Invoice.objects.create(
            code=new_code("FP"),
            number=f"3100{today.year % 100:02d}{number:06d}",
            owner=owner,
            payer_id=record.organization_id,
            booking=record if isinstance(record, Booking) else None,
            sample_request=record if isinstance(record, SampleRequest) else None,
            amount_fen=direct,
            issued_on=today - dt.timedelta(days=7),
            status=InvoiceStatus.PAID if paid else InvoiceStatus.ISSUED,
            paid_on=today - dt.timedelta(days=2) if paid else None,
        )
        made += 1
    return made


VOUCHER_OWNER = "光学精密机械"  # the Juyuan profile's demo institute account works there (its demo.yaml)


def _voucher_owner() -> Organization | None:
    """The institute whose instruments take vouchers in the demo: the demo institute account's when it
    is there, so its desk shows them; else the first owner of the catalogue."""
    return _owner_for(VOUCHER_OWNER) or next(
        (o for o in (_owner_for(k) for k in CATALOGUE) if o is not None), None
    )


def _free_start(instrument: Instrument, day: dt.date, hour: int) -> dt.datetime | None:
    """A weekday slot of ``day`` or after it that no booking of the instrument holds."""
    from .choices import HOLDING_BOOKING

    for shift in range(0, 30):
        candidate = day + dt.timedelta(days=shift)
        if candidate.isoweekday() > 5:
            continue
        for h in (hour, 15, 10, 14):
            start = _slot_start(candidate, h)
            taken = Booking.objects.filter(
                instrument=instrument,
                status__in=HOLDING_BOOKING,
                start_at__lt=start + dt.timedelta(hours=2),
                end_at__gt=start,
            ).exists()
            if not taken:
                return start
    return None


def _voucher_bookings(
    instrument: Instrument,
    enterprise: Organization,
    voucher: Any,
    index: int,
    today: dt.date,
    rng: random.Random,
) -> int:
    """One upcoming booking held, one past booking captured at its actual minutes, and (every other
    enterprise) one cancelled in time, released."""
    from . import payment

    rate = Rate.objects.get(
        instrument=instrument, user_class=UserClass.DISTRICT, unit=RateUnit.HOUR
    ).price_fen
    made = 0
    for kind, day in (
        ("held", today + dt.timedelta(days=3 + index)),
        ("captured", today - dt.timedelta(days=10 + 2 * index)),
        ("released", today + dt.timedelta(days=8 + index)),
    ):
        if kind == "released" and index % 2:
            continue
        start = _free_start(instrument, day, 9 if kind != "released" else 13)
        if start is None:
            continue
        booking = Booking.objects.create(
            code=new_code("YY"),
            instrument=instrument,
            organization=enterprise,
            start_at=start,
            end_at=start + dt.timedelta(hours=2),
            purpose=rng.choice(["样品形貌表征", "器件电学性能测试", "工艺验证"]),
            user_class=UserClass.DISTRICT,
            rate_fen=rate,
            status=BookingStatus.CONFIRMED,
            decided_at=start - dt.timedelta(days=2),
        )
        booking.voucher_order = payment.hold_for_booking(actor=None, booking=booking, voucher=voucher)
        booking.save(update_fields=["voucher_order"])
        if kind == "captured":
            minutes = 120 - rng.randint(0, 40)
            booking.status = BookingStatus.COMPLETED
            booking.actual_minutes = minutes
            booking.checked_in_at = start
            booking.checked_out_at = start + dt.timedelta(minutes=minutes)
            booking.charge_fen = -(-rate * minutes // 60)
            booking.save()
            payment.record_delivery(booking=booking)
            payment.capture(actor=None, booking=booking)
            booking.charge_confirmed_at = booking.checked_out_at + dt.timedelta(hours=3)
            booking.save(update_fields=["charge_confirmed_at"])
        elif kind == "released":
            booking.status = BookingStatus.CANCELLED
            booking.charge_fen = 0
            booking.save(update_fields=["status", "charge_fen"])
            payment.release(actor=None, booking=booking, reason="企业改期（演示）")
        made += 1
    return made


def _voucher_samples(
    instrument: Instrument, enterprise: Organization, voucher: Any, index: int, services: Any
) -> int:
    """A sample test paid by voucher: accepted (held), confirmed with its report (captured), or rejected
    after receipt (released), in turn."""
    from django.core.files.base import ContentFile

    from . import payment
    from .choices import SampleStatus
    from .models import SampleRequest

    rate = Rate.objects.filter(
        instrument=instrument, user_class=UserClass.DISTRICT, unit=RateUnit.SAMPLE
    ).first()
    if rate is None:
        return 0
    now = timezone.now()
    sample = SampleRequest.objects.create(
        code=new_code("WT"),
        instrument=instrument,
        organization=enterprise,
        sample_count=1 + index % 3,
        sample_description=["GaN 外延片", "MEMS 芯片截面", "薄膜样品"][index % 3],
        requirements="按常规条件测试，出具中文报告。",
        user_class=UserClass.DISTRICT,
        rate_fen=rate.price_fen,
        voucher=voucher,
    )
    sample.voucher_order = payment.hold_for_sample(sample_request=sample)
    sample.status, sample.accepted_at = SampleStatus.ACCEPTED, now
    sample.save(update_fields=["voucher_order", "status", "accepted_at"])
    outcome = index % 3
    if outcome == 1:  # reported and confirmed: captured
        sample.status, sample.received_at, sample.reported_at = SampleStatus.REPORTED, now, now
        sample.charge_fen = sample.rate_fen * sample.sample_count
        sample.report.save("测试报告（演示）.pdf", ContentFile(_DEMO_REPORT), save=False)
        sample.report_name, sample.report_content_type = "测试报告（演示）.pdf", "application/pdf"
        sample.save()
        payment.record_delivery(booking=sample)
        payment.capture(actor=None, booking=sample)
        sample.status, sample.confirmed_at = SampleStatus.CONFIRMED, now
        sample.save(update_fields=["status", "confirmed_at"])
    elif outcome == 2:  # the sample did not meet the requirements: released
        sample.status, sample.note = SampleStatus.REJECTED, "样品尺寸不符合要求（演示）"
        sample.save(update_fields=["status", "note"])
        payment.release(actor=None, booking=sample, reason=sample.note)
    return 1


_DEMO_REPORT = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
