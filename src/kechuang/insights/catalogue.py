"""The KPIs of each module, registered from ``InsightsConfig.ready()``.

Every definition says what is counted, from which records and for which period. Imports are inside
the providers, so a module that is missing (or not installed) simply contributes nothing.
"""

from __future__ import annotations

from functools import partial

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .kpis import FLOW, STOCK, Column, Kpi, register_kpi_provider


def directory_kpis() -> list[Kpi]:
    from kechuang.directory.choices import OrganizationKind, Title
    from kechuang.directory.models import Organization, Person
    from kechuang.directory.permissions import organization_visible_to, person_visible_to

    org_columns = (
        Column(_("名称"), "name"),
        Column(_("类型"), "kind"),
        Column(_("板块"), "block.name"),
        Column(_("园区"), "park.name"),
        Column(_("成立日期"), "founded_on"),
        Column(_("登记日期"), "created_at"),
    )
    person_columns = (
        Column(_("姓名"), "name"),
        Column(_("单位"), "organization.name"),
        Column(_("职称"), "title"),
        Column(_("院士"), "is_academician"),
        Column(_("入库专家"), "is_expert"),
    )

    def org(kind: str) -> Q:
        return Q(kind=kind)

    organization_kpi = partial(
        Kpi,
        module="directory",
        model=lambda: Organization,
        date_field="created_at",
        visible=organization_visible_to,
        columns=org_columns,
        select_related=("block", "park"),
    )
    person_kpi = partial(
        Kpi,
        module="directory",
        model=lambda: Person,
        date_field="created_at",
        visible=person_visible_to,
        columns=person_columns,
        select_related=("organization",),
    )

    return [
        organization_kpi(
            code="resources.institutes",
            height="resources",
            sort=10,
            kind=STOCK,
            name=_("科研院所"),
            unit=_("家"),
            definition=_("机构名录中类型为“科研院所”的机构数；按登记日期计，统计截至期末在册的机构。"),
            condition=lambda: org(OrganizationKind.INSTITUTE),
        ),
        organization_kpi(
            code="resources.providers",
            height="resources",
            sort=20,
            kind=STOCK,
            name=_("专业服务机构"),
            unit=_("家"),
            definition=_(
                "机构名录中类型为“服务机构”（法律、金融、知识产权、检验检测、咨询等）的机构数；"
                "按登记日期计，统计截至期末在册的机构。"
            ),
            condition=lambda: org(OrganizationKind.PROVIDER),
        ),
        organization_kpi(
            code="incubation.enterprises",
            height="incubation",
            sort=10,
            kind=STOCK,
            name=_("在册科技企业"),
            unit=_("家"),
            definition=_("机构名录中类型为“企业”的机构数；按登记日期计，统计截至期末在册的企业。"),
            condition=lambda: org(OrganizationKind.ENTERPRISE),
        ),
        Kpi(
            code="incubation.new_enterprises",
            height="incubation",
            sort=20,
            kind=FLOW,
            name=_("新设立科技企业"),
            unit=_("家"),
            module="directory",
            definition=_("机构名录中类型为“企业”、成立日期在统计期内的企业数（按成立日期计）。"),
            model=lambda: Organization,
            condition=lambda: org(OrganizationKind.ENTERPRISE),
            date_field="founded_on",
            visible=organization_visible_to,
            columns=org_columns,
            select_related=("block", "park"),
        ),
        organization_kpi(
            code="incubation.incubators",
            height="incubation",
            sort=30,
            kind=STOCK,
            name=_("孵化载体"),
            unit=_("家"),
            definition=_("机构名录中类型为“孵化器”的机构数；按登记日期计，统计截至期末在册的孵化载体。"),
            condition=lambda: org(OrganizationKind.INCUBATOR),
        ),
        person_kpi(
            code="talent.researchers",
            height="talent",
            sort=10,
            kind=STOCK,
            name=_("科研技术人员"),
            unit=_("人"),
            definition=_("人才库中标记为“科研人员”的人数；按登记日期计，统计截至期末在册的人员。"),
            condition=lambda: Q(is_researcher=True),
        ),
        person_kpi(
            code="talent.senior_titles",
            height="talent",
            sort=20,
            kind=STOCK,
            name=_("中高级职称人员"),
            unit=_("人"),
            definition=_("人才库中职称为中级、副高级或正高级的人数；按登记日期计，统计截至期末在册的人员。"),
            condition=lambda: Q(title__in=[Title.INTERMEDIATE, Title.ASSOCIATE_SENIOR, Title.SENIOR]),
        ),
        person_kpi(
            code="talent.academicians",
            height="talent",
            sort=30,
            kind=STOCK,
            name=_("两院院士"),
            unit=_("名"),
            definition=_("人才库中标记为“院士”的人数；按登记日期计，统计截至期末在册的人员。"),
            condition=lambda: Q(is_academician=True),
        ),
        person_kpi(
            code="talent.experts",
            height="talent",
            sort=40,
            kind=STOCK,
            name=_("入库专家"),
            unit=_("人"),
            definition=_("人才库中标记为“入库专家”的人数；按登记日期计，统计截至期末在册的专家。"),
            condition=lambda: Q(is_expert=True),
        ),
    ]


def transfer_kpis() -> list[Kpi]:
    from kechuang.transfer.models import Achievement, ContractRegistration, Deal, Demand
    from kechuang.transfer.permissions import (
        achievement_visible_to,
        contract_visible_to,
        deal_visible_to,
        demand_visible_to,
    )
    from kechuang.transfer.workflow import ACHIEVEMENT_PUBLIC_STATUSES, DEMAND_PUBLIC_STATUSES

    listing_columns = (
        Column(_("编号"), "code"),
        Column(_("标题"), "title"),
        Column(_("发布机构"), "organization.name"),
        Column(_("状态"), "status"),
        Column(_("发布时间"), "published_at"),
    )
    contract_columns = (
        Column(_("登记号"), "registration_number"),
        Column(_("合同名称"), "title"),
        Column(_("合同类型"), "contract_type"),
        Column(_("卖方"), "seller.name"),
        Column(_("买方"), "buyer.name"),
        Column(_("签订日期"), "signed_on"),
        Column(_("合同成交额（万元）"), "contract_amount_fen"),
        Column(_("技术交易额（万元）"), "technology_amount_fen"),
    )
    contract_registration_kpi = partial(
        Kpi,
        module="transfer",
        model=lambda: ContractRegistration,
        date_field="signed_on",
        visible=contract_visible_to,
        columns=contract_columns,
        select_related=("seller", "buyer"),
    )

    return [
        Kpi(
            code="transfer.achievements",
            height="transfer",
            sort=10,
            kind=FLOW,
            name=_("新发布科技成果"),
            unit=_("项"),
            module="transfer",
            definition=_(
                "科技成果项目库中发布时间在统计期内、当前处于已发布、洽谈中或已转化状态的成果数"
                "（草稿、待审核、退回和已归档的不计）。"
            ),
            model=lambda: Achievement,
            condition=lambda: Q(status__in=ACHIEVEMENT_PUBLIC_STATUSES),
            date_field="published_at",
            visible=achievement_visible_to,
            columns=listing_columns,
            select_related=("organization",),
        ),
        Kpi(
            code="transfer.demands",
            height="transfer",
            sort=20,
            kind=FLOW,
            name=_("新发布技术需求"),
            unit=_("项"),
            module="transfer",
            definition=_(
                "技术需求库中发布时间在统计期内、当前处于已发布、对接中或已解决状态的需求数"
                "（草稿、待审核、退回和已关闭的不计）。"
            ),
            model=lambda: Demand,
            condition=lambda: Q(status__in=DEMAND_PUBLIC_STATUSES),
            date_field="published_at",
            visible=demand_visible_to,
            columns=listing_columns,
            select_related=("organization",),
        ),
        Kpi(
            code="transfer.deals",
            height="transfer",
            sort=30,
            kind=FLOW,
            name=_("新建对接项目"),
            unit=_("个"),
            module="transfer",
            definition=_("项目对接看板中创建时间在统计期内的对接项目数（含已终止的项目）。"),
            model=lambda: Deal,
            date_field="created_at",
            visible=deal_visible_to,
            columns=(
                Column(_("编号"), "code"),
                Column(_("项目名称"), "title"),
                Column(_("供给方"), "supplier.name"),
                Column(_("需求方"), "buyer.name"),
                Column(_("阶段"), "stage"),
                Column(_("创建时间"), "created_at"),
            ),
            select_related=("supplier", "buyer"),
        ),
        contract_registration_kpi(
            code="transfer.contracts",
            height="transfer",
            sort=40,
            kind=FLOW,
            name=_("技术合同登记"),
            unit=_("份"),
            definition=_(
                "技术合同登记中签订日期在统计期内的合同份数（技术开发、转让、许可、咨询、服务五类）。"
            ),
        ),
        contract_registration_kpi(
            code="transfer.contract_amount",
            height="transfer",
            sort=50,
            kind=FLOW,
            decimals=2,
            name=_("合同成交额"),
            unit=_("万元"),
            definition=_(
                "技术合同登记中签订日期在统计期内的合同成交额之和，单位万元（登记金额以分记，"
                "汇总后折算并四舍五入到 0.01 万元）。"
            ),
            amount_field="contract_amount_fen",
        ),
        contract_registration_kpi(
            code="transfer.technology_amount",
            height="transfer",
            sort=60,
            kind=FLOW,
            decimals=2,
            name=_("技术交易额"),
            unit=_("万元"),
            definition=_(
                "技术合同登记中签订日期在统计期内的技术交易额之和（合同成交额中的技术部分），单位万元。"
            ),
            amount_field="technology_amount_fen",
        ),
    ]


def voucher_kpis() -> list[Kpi]:
    from kechuang.vouchers.choices import VoucherStatus
    from kechuang.vouchers.models import ProviderService, Voucher
    from kechuang.vouchers.permissions import service_visible_to, voucher_visible_to

    voucher_columns = (
        Column(_("券号"), "code"),
        Column(_("企业"), "enterprise.name"),
        Column(_("批次"), "scheme.name"),
        Column(_("发放额度（万元）"), "granted_fen"),
        Column(_("状态"), "status"),
        Column(_("发放时间"), "granted_at"),
    )
    return [
        Kpi(
            code="resources.voucher_services",
            height="resources",
            sort=30,
            kind=STOCK,
            name=_("创新券服务产品"),
            unit=_("项"),
            module="vouchers",
            definition=_("服务机构在创新券目录中上架（启用）的服务产品数；按创建时间计，统计截至期末。"),
            model=lambda: ProviderService,
            condition=lambda: Q(is_active=True),
            date_field="created_at",
            visible=service_visible_to,
            columns=(
                Column(_("服务"), "name"),
                Column(_("服务机构"), "provider.organization.name"),
                Column(_("价格（万元）"), "price_fen"),
                Column(_("创建时间"), "created_at"),
            ),
            select_related=("provider__organization",),
        ),
        Kpi(
            code="resources.vouchers_granted",
            height="resources",
            sort=40,
            kind=FLOW,
            decimals=2,
            name=_("创新券发放额度"),
            unit=_("万元"),
            module="vouchers",
            definition=_(
                "发放时间在统计期内、未被撤销的创新券发放额度之和，单位万元（已撤销的券不计，"
                "到期未用部分仍计入发放额度）。"
            ),
            model=lambda: Voucher,
            condition=lambda: ~Q(status=VoucherStatus.REVOKED),
            date_field="granted_at",
            amount_field="granted_fen",
            visible=voucher_visible_to,
            columns=voucher_columns,
            select_related=("enterprise", "scheme"),
        ),
    ]


def servicedesk_kpis() -> list[Kpi]:
    from kechuang.servicedesk.models import ServiceRequest
    from kechuang.servicedesk.permissions import request_visible_to

    return [
        Kpi(
            code="incubation.requests_resolved",
            height="incubation",
            sort=40,
            kind=FLOW,
            name=_("企业诉求办结"),
            unit=_("件"),
            module="servicedesk",
            definition=_("企业诉求（一企一专员）中办结时间在统计期内的诉求件数（有呼必应）。"),
            model=lambda: ServiceRequest,
            condition=lambda: Q(resolved_at__isnull=False),
            date_field="resolved_at",
            visible=request_visible_to,
            columns=(
                Column(_("编号"), "code"),
                Column(_("标题"), "title"),
                Column(_("企业"), "organization.name"),
                Column(_("类别"), "category"),
                Column(_("状态"), "status"),
                Column(_("办结时间"), "resolved_at"),
            ),
            select_related=("organization",),
        ),
    ]


def spaces_kpis() -> list[Kpi]:
    from kechuang.spaces.choices import HOLDING_LEASE
    from kechuang.spaces.models import Lease
    from kechuang.spaces.permissions import lease_visible_to

    return [
        Kpi(
            code="incubation.space_let_area",
            height="incubation",
            sort=50,
            kind=FLOW,
            decimals=2,
            name=_("产业空间新签出租面积"),
            unit=_("㎡"),
            module="spaces",
            definition=_(
                "产业空间租约中签约日在统计期内、状态为执行中或已到期的租约所租房源面积之和（㎡）。"
            ),
            model=lambda: Lease,
            condition=lambda: Q(status__in=HOLDING_LEASE),
            date_field="signed_on",
            amount_field="unit__area_m2",
            visible=lease_visible_to,
            columns=(
                Column(_("房源"), "unit.code"),
                Column(_("企业"), "organization.name"),
                Column(_("面积（㎡）"), "unit.area_m2"),
                Column(_("签约日"), "signed_on"),
                Column(_("状态"), "status"),
            ),
            select_related=("unit", "organization"),
        ),
    ]


def instruments_kpis() -> list[Kpi]:
    """共享仪器机时 and 服务企业数 under 科创资源汇聚, computed from the instrument bookings (issue 16)."""
    from kechuang.instruments.choices import BookingStatus, UserClass
    from kechuang.instruments.models import Booking
    from kechuang.instruments.permissions import booking_visible_to

    columns = (
        Column(_("预约"), "code"),
        Column(_("仪器"), "instrument.name"),
        Column(_("预约单位"), "organization.name"),
        Column(_("开始时间"), "start_at"),
        Column(_("实际机时（分钟）"), "actual_minutes"),
    )
    booking_kpi = partial(
        Kpi,
        module="instruments",
        model=lambda: Booking,
        date_field="start_at",
        visible=booking_visible_to,
        columns=columns,
        select_related=("instrument", "organization"),
    )

    return [
        booking_kpi(
            code="resources.instrument_hours",
            height="resources",
            sort=70,
            kind=FLOW,
            decimals=1,
            name=_("共享仪器机时"),
            unit=_("小时"),
            definition=_(
                "共享仪器中已完成（已上机并下机）的机时预约，开始时间在统计期内者的实际机时之和，"
                "以小时计；未到场、取消和驳回的预约不计。"
            ),
            condition=lambda: Q(status=BookingStatus.COMPLETED, actual_minutes__isnull=False),
            amount_field="actual_minutes",
            amount_divisor=60,
        ),
        booking_kpi(
            code="resources.instrument_enterprises",
            height="resources",
            sort=71,
            kind=FLOW,
            name=_("共享仪器服务企业数"),
            unit=_("家"),
            definition=_("统计期内在共享仪器上完成过机时预约的街区企业家数（同一企业多次使用只计一次）。"),
            condition=lambda: Q(status=BookingStatus.COMPLETED, user_class=UserClass.DISTRICT),
            distinct_field="organization",
        ),
    ]


def literacy_kpis() -> list[Kpi]:
    """The science-literacy figures, computed from the events module's records (issue 17): outreach events
    held and their check-ins. They replaced the figures operators typed in by hand."""
    from kechuang.events.choices import EventKind, EventStatus, RegistrationStatus
    from kechuang.events.models import Event, Registration
    from kechuang.events.permissions import event_visible_to, registration_visible_to

    held = (EventStatus.PUBLISHED, EventStatus.FINISHED)
    return [
        Kpi(
            code="literacy.events",
            height="literacy",
            sort=10,
            kind=FLOW,
            name=_("科普与科学家精神活动"),
            unit=_("场"),
            module="events",
            definition=_(
                "活动模块中类型为“科普活动”、已发布或已结束（未取消）且开始时间在统计期内的活动场次，"
                "如“邻+科学院”、科学家精神进校园/进企业；本年尚未开始的活动不计。"
            ),
            model=lambda: Event,
            condition=lambda: Q(kind=EventKind.OUTREACH, status__in=held),
            date_field="starts_at",
            visible=event_visible_to,
            columns=(
                Column(_("编号"), "code"),
                Column(_("活动名称"), "title"),
                Column(_("系列"), "series.name"),
                Column(_("主办单位"), "organizer.name"),
                Column(_("开始时间"), "starts_at"),
                Column(_("状态"), "status"),
            ),
            select_related=("series", "organizer"),
        ),
        Kpi(
            code="literacy.participants",
            height="literacy",
            sort=20,
            kind=FLOW,
            name=_("活动参与人次"),
            unit=_("人次"),
            module="events",
            definition=_(
                "上述科普活动在门口签到的人次之和：签到时间在统计期内、活动未取消的签到记录数"
                "（报名未签到、候补和已取消的报名不计）。"
            ),
            model=lambda: Registration,
            condition=lambda: Q(
                status=RegistrationStatus.CONFIRMED,
                checked_in_at__isnull=False,
                event__kind=EventKind.OUTREACH,
                event__status__in=held,
            ),
            date_field="checked_in_at",
            visible=registration_visible_to,
            columns=(
                Column(_("报名编号"), "code"),
                Column(_("活动"), "event.title"),
                Column(_("单位"), "organization.name"),
                Column(_("签到时间"), "checked_in_at"),
            ),
            select_related=("event", "organization"),
        ),
    ]


def competition_followup_kpis() -> list[Kpi]:
    """After the prize (issue 17): what the competitions' winners did in the twelve months after the
    result became final (from the day the 公示 ended to ``followup_until``), computed from the directory,
    the space leases and the roadshow outcomes the events module records."""
    from django.db.models import Exists, F, OuterRef

    from kechuang.events.choices import CompetitionStatus, OutcomeKind
    from kechuang.events.models import Entry, RoadshowOutcome
    from kechuang.events.permissions import entry_visible_to, outcome_visible_to
    from kechuang.spaces.choices import HOLDING_LEASE
    from kechuang.spaces.models import Lease
    from kechuang.spaces.permissions import lease_visible_to

    final = CompetitionStatus.FINAL

    def winner_lease() -> Q:
        winners = Entry.objects.filter(
            organization=OuterRef("organization"),
            prize__isnull=False,
            competition__status=final,
            competition__publicity_ends_on__lte=OuterRef("signed_on"),
            competition__followup_until__gte=OuterRef("signed_on"),
        )
        return Q(Exists(winners), status__in=HOLDING_LEASE)

    return [
        Kpi(
            code="incubation.winners_located",
            height="incubation",
            sort=60,
            kind=FLOW,
            name=_("大赛获奖项目落户街区"),
            unit=_("个"),
            module="events",
            definition=_(
                "创新创业大赛中结果生效时间在统计期内的获奖项目里，获奖单位在机构名录中位于街区"
                "（所在街坊或园区已登记）的项目数。"
            ),
            model=lambda: Entry,
            condition=lambda: (
                Q(prize__isnull=False, competition__status=final)
                & (Q(organization__block__isnull=False) | Q(organization__park__isnull=False))
            ),
            date_field="competition__finalized_at",
            visible=entry_visible_to,
            columns=(
                Column(_("参赛编号"), "code"),
                Column(_("项目"), "project"),
                Column(_("获奖单位"), "organization.name"),
                Column(_("大赛"), "competition.title"),
                Column(_("结果生效时间"), "competition.finalized_at"),
            ),
            select_related=("organization", "competition"),
        ),
        Kpi(
            code="incubation.winners_space",
            height="incubation",
            sort=61,
            kind=FLOW,
            name=_("大赛获奖企业入驻产业空间"),
            unit=_("家"),
            module="events",
            definition=_(
                "签约日在统计期内、且在其获奖结果公示期满后十二个月内签订产业空间租约（执行中或已到期）"
                "的大赛获奖单位数（同一单位只计一次）。"
            ),
            model=lambda: Lease,
            condition=winner_lease,
            date_field="signed_on",
            distinct_field="organization",
            visible=lease_visible_to,
            columns=(
                Column(_("房源"), "unit.code"),
                Column(_("企业"), "organization.name"),
                Column(_("签约日"), "signed_on"),
                Column(_("状态"), "status"),
            ),
            select_related=("unit", "organization"),
        ),
        Kpi(
            code="incubation.winners_raised",
            height="incubation",
            sort=62,
            kind=FLOW,
            decimals=2,
            name=_("大赛获奖项目融资额"),
            unit=_("万元"),
            module="events",
            definition=_(
                "路演对接结果中“完成投资”、发生日期在统计期内、且在获奖结果公示期满后十二个月内的"
                "获奖项目投资金额之和（万元）。"
            ),
            model=lambda: RoadshowOutcome,
            condition=lambda: Q(
                kind=OutcomeKind.INVESTED,
                entry__prize__isnull=False,
                entry__competition__status=final,
                occurred_on__gte=F("entry__competition__publicity_ends_on"),
                occurred_on__lte=F("entry__competition__followup_until"),
            ),
            date_field="occurred_on",
            amount_field="amount_fen",
            visible=outcome_visible_to,
            columns=(
                Column(_("编号"), "code"),
                Column(_("项目"), "entry.project"),
                Column(_("投资机构"), "investor.name"),
                Column(_("金额（万元）"), "amount_fen"),
                Column(_("发生日期"), "occurred_on"),
            ),
            select_related=("entry", "investor"),
        ),
    ]


def register_all() -> None:
    register_kpi_provider("directory", directory_kpis)
    register_kpi_provider("transfer", transfer_kpis)
    register_kpi_provider("vouchers", voucher_kpis)
    register_kpi_provider("servicedesk", servicedesk_kpis)
    register_kpi_provider("spaces", spaces_kpis)
    register_kpi_provider("events", literacy_kpis)
    register_kpi_provider("events", competition_followup_kpis)
    register_kpi_provider("instruments", instruments_kpis)
