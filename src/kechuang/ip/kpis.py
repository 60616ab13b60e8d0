"""The IP module's figures in the insights registry (docs/adr/0028-intellectual-property.md, "KPI"):
每万人高价值发明专利拥有量, 高价值发明专利, 知识产权交易额 and 质押融资额."""

from __future__ import annotations

from functools import partial

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kechuang.insights.kpis import FLOW, STOCK, Column, Kpi

from .choices import AssetKind, LegalStatus, TransactionKind


def ip_kpis() -> list[Kpi]:
    from .models import IpAsset, IpTransaction
    from .permissions import asset_visible_to, transaction_visible_to
    from .selectors import population_basis

    asset_columns = (
        Column(_("申请号"), "number"),
        Column(_("名称"), "title"),
        Column(_("权利人"), "holder.name"),
        Column(_("申请日"), "filed_on"),
        Column(_("授权公告日"), "granted_on"),
    )
    transaction_columns = (
        Column(_("编号"), "code"),
        Column(_("类型"), "kind"),
        Column(_("专利"), "asset.title"),
        Column(_("对方"), "counterparty_name"),
        Column(_("签订日期"), "signed_on"),
        Column(_("金额（万元）"), "amount_fen"),
    )
    high_value = lambda: Q(kind=AssetKind.INVENTION, legal_status=LegalStatus.GRANTED, high_value=True)  # noqa: E731
    ip_asset_kpi = partial(
        Kpi,
        module="ip",
        model=lambda: IpAsset,
        date_field="granted_on",
        visible=asset_visible_to,
        columns=asset_columns,
        select_related=("holder",),
    )
    ip_transaction_kpi = partial(
        Kpi,
        module="ip",
        model=lambda: IpTransaction,
        date_field="signed_on",
        visible=transaction_visible_to,
        columns=transaction_columns,
        select_related=("asset",),
    )

    return [
        ip_asset_kpi(
            code="transfer.high_value_patents_per_10k",
            height="transfer",
            sort=80,
            kind=STOCK,
            decimals=2,
            name=_("每万人高价值发明专利拥有量"),
            unit=_("件/万人"),
            definition=_(
                "期末有效的高价值发明专利件数除以街区概况中的人数（有常住人口数时用常住人口，否则用“各类科研技术人员”数）"
                "再乘以一万。高价值发明专利：有效发明专利中属于战略性新兴产业、有海外同族、维持年限超过10年、"
                "实现较高金额质押融资或获得中国专利奖之一者。"
            ),
            condition=high_value,
            per_population=lambda: population_basis()[0],
        ),
        ip_asset_kpi(
            code="transfer.high_value_patents",
            height="transfer",
            sort=81,
            kind=STOCK,
            name=_("高价值发明专利"),
            unit=_("件"),
            definition=_("期末有效且符合高价值标准（见上）的发明专利件数，按授权公告日计入。"),
            condition=high_value,
        ),
        ip_transaction_kpi(
            code="transfer.ip_trade",
            height="transfer",
            sort=82,
            kind=FLOW,
            name=_("知识产权交易额"),
            unit=_("万元"),
            definition=_(
                "签订日期在统计期内的专利等知识产权转让、许可（含开放许可）合同金额之和；质押不计。"
            ),
            condition=lambda: ~Q(kind=TransactionKind.PLEDGE),
            amount_field="amount_fen",
        ),
        ip_transaction_kpi(
            code="transfer.ip_pledge",
            height="transfer",
            sort=83,
            kind=FLOW,
            name=_("知识产权质押融资额"),
            unit=_("万元"),
            definition=_("签订日期在统计期内的知识产权质押融资合同的融资金额之和。"),
            condition=lambda: Q(kind=TransactionKind.PLEDGE),
            amount_field="amount_fen",
        ),
    ]
