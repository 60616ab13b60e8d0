"""Every write of the IP module (docs/adr/0028-intellectual-property.md): assets, their legal status and
family, open licences and their take-up (through transfer's deals and contract registration),
transactions, annuity payments and reminders. Each service checks the actor, validates, writes in one
transaction and records an audit event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kechuang.core import audit
from kechuang.core.actors import deny, is_system
from kechuang.core.money import checked_fen
from kechuang.core.text import checked_text, clean_text, refuse_nul
from kechuang.directory.models import Organization, Person, TechnologyField

from . import ipc, numbers, rules
from .choices import (
    DEAD,
    LICENCE_KINDS,
    PATENT_KINDS,
    AssetKind,
    LegalStatus,
    NationalAward,
    OpenLicenceStatus,
    ReminderKind,
    ServiceKind,
    TransactionKind,
)
from .models import FamilyMember, IpAsset, IpTransaction, OpenLicence, ServiceReport, new_code
from .permissions import can_manage_asset, can_manage_licence, can_register_contract, can_take_up

GRACE_MONTHS = (
    6  # 专利法实施细则: an annuity may be paid within six months after its due date, with a surcharge
)
REMIND_DAYS = 60  # the holder hears of an annuity deadline once, within this many days before it
EXPIRY_REMIND_DAYS = 180


class AssetData(TypedDict, total=False):
    title: str
    abstract: str
    claims: str
    publication_number: str
    applicant_names: str
    inventor_names: str
    filed_on: dt.date
    published_on: dt.date | None
    granted_on: dt.date | None
    legal_status: str
    annuity_due_on: dt.date | None
    ipc_codes: list[str]
    national_award: str
    co_applicants: list[Organization]
    inventors: list[Person]
    family: list[str]
    achievement: Any


class AssetChanges(AssetData, total=False):
    """What :func:`asset_update` accepts: the asset's fields and a corrected number (checked like a new
    one, by the asset's kind)."""

    number: str


SCALARS = (
    "title",
    "abstract",
    "claims",
    "publication_number",
    "applicant_names",
    "inventor_names",
    "filed_on",
    "published_on",
    "granted_on",
    "legal_status",
    "annuity_due_on",
    "ipc_codes",
    "national_award",
    "achievement",
)


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


def _anniversary(day: dt.date, year: int) -> dt.date:
    try:
        return day.replace(year=year)
    except ValueError:
        return dt.date(year, 2, 28)


def first_annuity_due(asset: IpAsset, today: dt.date) -> dt.date | None:
    """The next filing-date anniversary after today, for a granted patent (annuities fall due on the
    anniversary of the filing date, 专利法实施细则 第98条)."""
    if asset.kind not in PATENT_KINDS or asset.legal_status != LegalStatus.GRANTED:
        return None
    year = today.year
    due = _anniversary(asset.filed_on, year)
    if due < today:
        due = _anniversary(asset.filed_on, year + 1)
    return due


def _clean(asset: IpAsset, today: dt.date) -> dict[str, str]:
    """The asset's own fields, checked; returns errors by field."""
    errors: dict[str, str] = {}
    try:
        asset.title = checked_text(asset.title, "title", label=gettext_lazy("名称"), limit=200)
    except ValidationError as error:
        errors.update({k: v[0] for k, v in error.message_dict.items()})
    asset.abstract = clean_text(asset.abstract, 5000)
    asset.claims = clean_text(asset.claims, 50000)
    asset.applicant_names = clean_text(asset.applicant_names, 500)
    asset.inventor_names = clean_text(asset.inventor_names, 500)
    asset.publication_number = numbers.normalize(asset.publication_number)[:32]
    if asset.legal_status not in LegalStatus.values:
        errors["legal_status"] = _("无效的法律状态。")
    if asset.national_award not in NationalAward.values:
        errors["national_award"] = _("无效的专利奖等级。")
    if asset.filed_on and asset.filed_on > today:
        errors["filed_on"] = _("申请日不能晚于今天。")
    for name, label in (("published_on", _("公开日")), ("granted_on", _("授权公告日"))):
        value = getattr(asset, name)
        if value and asset.filed_on and value < asset.filed_on:
            errors[name] = _("%(label)s不能早于申请日。") % {"label": label}
    if asset.legal_status == LegalStatus.GRANTED and not asset.granted_on:
        errors["granted_on"] = _("已授权的专利请填写授权公告日。")
    try:
        asset.ipc_codes = [ipc.normalize_ipc(code) for code in asset.ipc_codes or []]
    except ValidationError as error:
        errors["ipc_codes"] = error.messages[0]
    if (
        asset.achievement_id
        and asset.achievement is not None
        and asset.achievement.organization_id != asset.holder_id
    ):
        errors["achievement"] = _("只能关联权利人自己发布的成果。")
    if asset.filed_on and (years := rules.protection_years(asset.kind, asset.filed_on)):
        asset.expires_on = _anniversary(asset.filed_on, asset.filed_on.year + years)
    return errors


def _facts(asset: IpAsset) -> rules.Facts:
    largest = 0
    if asset.pk:
        largest = (
            IpTransaction.objects.filter(asset=asset, kind=TransactionKind.PLEDGE).aggregate(
                m=Max("amount_fen")
            )["m"]
            or 0
        )
    return rules.Facts(
        kind=asset.kind,
        legal_status=asset.legal_status,
        filed_on=asset.filed_on,
        strategic=ipc.is_strategic(asset.ipc_codes or []),
        foreign_members=FamilyMember.objects.filter(asset=asset).count() if asset.pk else 0,
        largest_pledge_fen=largest,
        award=asset.national_award,
    )


def refresh_high_value(asset: IpAsset, *, today: dt.date | None = None) -> bool:
    """Recompute and store whether the asset is a high-value invention patent, with the reasons.
    Returns whether anything changed."""
    reasons = rules.high_value_reasons(_facts(asset), today or timezone.localdate())
    if asset.high_value == bool(reasons) and asset.high_value_reasons == reasons:
        return False
    asset.high_value, asset.high_value_reasons = bool(reasons), reasons
    IpAsset.objects.filter(pk=asset.pk).update(high_value=asset.high_value, high_value_reasons=reasons)
    return True


def high_value_refresh_all(*, today: dt.date | None = None) -> int:
    """The daily pass: a patent crosses ten years of maintenance by the calendar alone."""
    changed = 0
    for asset in IpAsset.objects.filter(kind=AssetKind.INVENTION).order_by("pk").iterator(chunk_size=500):
        changed += refresh_high_value(asset, today=today)
    return changed


def _set_fields(asset: IpAsset) -> None:
    codes = ipc.field_codes(asset.ipc_codes or [])
    asset.fields.set(list(TechnologyField.objects.filter(code__in=codes)))


def _set_family(asset: IpAsset, members: Iterable[str]) -> None:
    wanted: dict[str, str] = {}
    for raw in members:
        if clean_text(raw):
            country, number = numbers.foreign_number(raw)
            wanted[number] = country
    FamilyMember.objects.filter(asset=asset).exclude(number__in=list(wanted)).delete()
    have = set(FamilyMember.objects.filter(asset=asset).values_list("number", flat=True))
    FamilyMember.objects.bulk_create(
        [FamilyMember(asset=asset, country=c, number=n) for n, c in wanted.items() if n not in have]
    )


def _index_changed(asset: IpAsset) -> None:
    from .matching import changed

    changed(asset)


def _status_effects(asset: IpAsset, *, actor: Any) -> int:
    """A dead patent leaves the open-licence listings; returns how many licences ended."""
    if asset.legal_status not in DEAD:
        return 0
    ended = OpenLicence.objects.filter(asset=asset, status=OpenLicenceStatus.PUBLISHED).update(
        status=OpenLicenceStatus.ENDED, ended_at=timezone.now()
    )
    if ended:
        audit.record("ip.open_licence.end", actor=actor, obj=asset, detail={"ended": ended})
    return int(ended)


@transaction.atomic
def asset_create(
    *, actor: Any, kind: str, number: str, holder: Organization, **data: Unpack[AssetData]
) -> IpAsset:
    """Register an asset for its holder. The number is checked by its kind's published format and check
    digit; a number already registered is refused (the database's unique constraint backs the check)."""
    if not is_system(actor) and not can_manage_asset.test(actor, IpAsset(holder=holder)):
        raise deny(_("只有权利人的技术转移部门或运营人员可以登记知识产权。"))
    return _create(actor=actor, kind=kind, number=number, holder=holder, data=data, record=True)


def _create(
    *, actor: Any, kind: str, number: str, holder: Organization, data: AssetData, record: bool
) -> IpAsset:
    """asset_create's work; the import calls it for each new row (its commit writes one audit event)."""
    refuse_nul({k: v for k, v in data.items() if isinstance(v, str)} | {"number": number})
    if kind not in AssetKind.values:
        raise ValidationError({"kind": _("请选择知识产权类型。")})
    try:
        canonical = numbers.asset_number(number, kind)
    except ValidationError as error:
        raise ValidationError({"number": error.messages[0]}) from None
    if IpAsset.objects.filter(number=canonical).exists():
        raise ValidationError({"number": _("%(n)s 已经登记，不能重复登记。") % {"n": canonical}})
    today = timezone.localdate()
    asset = IpAsset(
        kind=kind, number=canonical, holder=holder, created_by=actor if not is_system(actor) else None
    )
    if "filed_on" not in data:
        raise ValidationError({"filed_on": _("请填写申请日。")})
    for name in SCALARS:
        if name in data:
            setattr(asset, name, data[name])  # type: ignore[literal-required]
    errors = _clean(asset, today)
    if errors:
        raise ValidationError(errors)
    if asset.annuity_due_on is None:
        asset.annuity_due_on = first_annuity_due(asset, today)
    asset.status_changed_on = today
    try:
        with transaction.atomic():
            asset.save()
    except IntegrityError:
        raise ValidationError({"number": _("%(n)s 已经登记，不能重复登记。") % {"n": canonical}}) from None
    _set_fields(asset)
    if "co_applicants" in data:
        asset.co_applicants.set(data["co_applicants"])
    if "inventors" in data:
        asset.inventors.set(data["inventors"])
    try:
        _set_family(asset, data.get("family", []))
    except ValidationError as error:
        raise ValidationError({"family": error.messages[0]}) from None
    refresh_high_value(asset, today=today)
    if record:
        audit.record("ip.asset.create", actor=actor, obj=asset, detail={"number": canonical, "kind": kind})
    _index_changed(asset)
    return asset


@transaction.atomic
def asset_update(*, actor: Any, asset: IpAsset, **data: Unpack[AssetChanges]) -> IpAsset:
    """Change an asset's fields; a new legal status that is dead ends its open licences. A changed number is
    checked by the kind's format and check digit and refused when another asset has it."""
    locked = IpAsset.objects.select_for_update().get(pk=asset.pk)
    if not is_system(actor) and not can_manage_asset.test(actor, locked):
        raise deny(_("只有权利人的技术转移部门或运营人员可以修改该知识产权。"))
    return _update(actor=actor, locked=locked, data=data, record=True)


def _checked_number(locked: IpAsset, raw: str) -> str:
    """The canonical form of a corrected number, or a ValidationError on ``number``."""
    try:
        canonical = numbers.asset_number(raw, locked.kind)
    except ValidationError as error:
        raise ValidationError({"number": error.messages[0]}) from None
    if IpAsset.objects.filter(number=canonical).exclude(pk=locked.pk).exists():
        raise ValidationError({"number": _("%(n)s 已经登记，不能重复登记。") % {"n": canonical}})
    return canonical


def _update(*, actor: Any, locked: IpAsset, data: AssetChanges, record: bool) -> IpAsset:
    """asset_update's work on a locked row; the import calls it for each changed row."""
    refuse_nul({k: v for k, v in data.items() if isinstance(v, str)})
    today = timezone.localdate()
    before = locked.legal_status
    old_number = locked.number
    errors: dict[str, str] = {}
    if "number" in data and data["number"] != locked.number:
        try:
            locked.number = _checked_number(locked, data["number"])
        except ValidationError as error:
            errors.update({k: v[0] for k, v in error.message_dict.items()})
    changed = [name for name in SCALARS if name in data and getattr(locked, name) != data[name]]  # type: ignore[literal-required]
    for name in changed:
        setattr(locked, name, data[name])  # type: ignore[literal-required]
    for raw in data.get("family", []) if "family" in data else []:
        try:
            if clean_text(raw):
                numbers.foreign_number(raw)
        except ValidationError as error:
            errors["family"] = error.messages[0]
            break
    errors = _clean(locked, today) | errors
    if errors:
        raise ValidationError(errors)
    if locked.number != old_number:
        changed.append("number")
    if locked.legal_status != before:
        locked.status_changed_on = today
        if locked.legal_status == LegalStatus.GRANTED and locked.annuity_due_on is None:
            locked.annuity_due_on = first_annuity_due(locked, today)
        if locked.legal_status in DEAD:
            locked.annuity_due_on = None
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError:
        raise ValidationError(
            {"number": _("%(n)s 已经登记，不能重复登记。") % {"n": locked.number}}
        ) from None
    if "ipc_codes" in changed:
        _set_fields(locked)
    if "co_applicants" in data:
        locked.co_applicants.set(data["co_applicants"])
    if "inventors" in data:
        locked.inventors.set(data["inventors"])
    if "family" in data:
        had = set(FamilyMember.objects.filter(asset=locked).values_list("number", flat=True))
        try:
            _set_family(locked, data["family"])
        except ValidationError as error:
            raise ValidationError({"family": error.messages[0]}) from None
        if set(FamilyMember.objects.filter(asset=locked).values_list("number", flat=True)) != had:
            changed.append("family")
    refresh_high_value(locked, today=today)
    _status_effects(locked, actor=actor)
    if record:
        audit.record(
            "ip.asset.update",
            actor=actor,
            obj=locked,
            detail={
                "changed": sorted(changed),
                "legal_status": [before, locked.legal_status],
                **({"number": [old_number, locked.number]} if locked.number != old_number else {}),
            },
        )
    _index_changed(locked)
    return locked


@transaction.atomic
def annuity_pay(*, actor: Any, asset: IpAsset, paid_on: dt.date | None = None) -> IpAsset:
    """The holder paid this year's annuity: the next one falls due a year later."""
    locked = IpAsset.objects.select_for_update().get(pk=asset.pk)
    if not is_system(actor) and not can_manage_asset.test(actor, locked):
        raise deny(_("只有权利人的技术转移部门或运营人员可以登记年费缴纳。"))
    if locked.legal_status != LegalStatus.GRANTED or locked.annuity_due_on is None:
        raise ValidationError({"annuity_due_on": _("该专利当前没有待缴的年费。")})
    paid = locked.annuity_due_on
    nxt = _anniversary(paid, paid.year + 1)
    if locked.expires_on and nxt >= locked.expires_on:
        nxt = None  # type: ignore[assignment]
    locked.annuity_due_on = nxt
    locked.save(update_fields=["annuity_due_on", "updated_at"])
    audit.record(
        "ip.annuity.pay",
        actor=actor,
        obj=locked,
        detail={"due": paid.isoformat(), "paid_on": str(paid_on or "")},
    )
    return locked


# --- open licences -------------------------------------------------------------------------------


@transaction.atomic
def open_licence_publish(
    *,
    actor: Any,
    asset: IpAsset,
    fee_fen: int,
    royalty_permille: int = 0,
    term_years: int = 3,
    terms: str = "",
) -> OpenLicence:
    """The holder declares an open licence (专利开放许可) on a patent in force: the fee and terms anyone
    may take it up on."""
    locked = IpAsset.objects.select_for_update().get(pk=asset.pk)
    if not is_system(actor) and not can_manage_asset.test(actor, locked):
        raise deny(_("只有权利人的技术转移部门或运营人员可以发布开放许可。"))
    refuse_nul({"terms": terms})
    errors: dict[str, str] = {}
    if locked.kind not in PATENT_KINDS or locked.legal_status != LegalStatus.GRANTED:
        errors["asset"] = _("只有有效（已授权）的专利可以开放许可。")
    if OpenLicence.objects.filter(asset=locked, status=OpenLicenceStatus.PUBLISHED).exists():
        errors["asset"] = _("该专利已有公开中的开放许可。")
    if not isinstance(royalty_permille, int) or not 0 <= royalty_permille <= 500:
        errors["royalty_permille"] = _("提成比例应在 0 到 500‰ 之间。")
    if not isinstance(term_years, int) or not 1 <= term_years <= 20:
        errors["term_years"] = _("许可期限应在 1 到 20 年之间。")
    if errors:
        raise ValidationError(errors)
    fee = checked_fen(fee_fen, "fee_fen", label=gettext_lazy("许可使用费"), allow_zero=True)
    licence = OpenLicence.objects.create(
        code=new_code("KF"),
        asset=locked,
        fee_fen=fee,
        royalty_permille=royalty_permille,
        term_years=term_years,
        terms=clean_text(terms, 2000),
        published_by=None if is_system(actor) else actor,
    )
    audit.record("ip.open_licence.publish", actor=actor, obj=licence, detail={"fee_fen": fee})
    return licence


@transaction.atomic
def open_licence_withdraw(*, actor: Any, licence: OpenLicence) -> OpenLicence:
    locked = OpenLicence.objects.select_for_update().get(pk=licence.pk)
    if not is_system(actor) and not can_manage_licence.test(actor, locked):
        raise deny(_("只有权利人的技术转移部门或运营人员可以撤回开放许可。"))
    if locked.status != OpenLicenceStatus.PUBLISHED:
        raise ValidationError({"status": _("该开放许可已不在公开中。")})
    locked.status, locked.ended_at = OpenLicenceStatus.WITHDRAWN, timezone.now()
    locked.save(update_fields=["status", "ended_at"])
    audit.record("ip.open_licence.withdraw", actor=actor, obj=locked)
    return locked


@transaction.atomic
def open_licence_take_up(
    *, actor: Any, licence: OpenLicence, licensee: Organization, signed_on: dt.date | None = None
) -> IpTransaction:
    """A licensee takes up an open licence on its declared terms. Under an open licence the licence exists
    once the licensee has notified the holder and pays the fee, so the platform opens transfer's deal at
    签约 between holder and licensee and records the open-licence transaction; an operator then registers
    the technology contract (:func:`transaction_register_contract`)."""
    from kechuang.transfer.choices import DealStage
    from kechuang.transfer.services import deal_create

    locked = (
        OpenLicence.objects.select_for_update(of=("self",)).select_related("asset__holder").get(pk=licence.pk)
    )
    if not is_system(actor) and not can_take_up.test(actor, locked):
        raise deny(_("请以权利人以外的机构身份接受开放许可。"))
    from .permissions import member_organization_ids

    if not is_system(actor) and licensee.pk not in member_organization_ids(actor):
        raise deny(_("您只能以所属机构的名义接受开放许可。"))
    asset = locked.asset
    if locked.status != OpenLicenceStatus.PUBLISHED or asset.legal_status != LegalStatus.GRANTED:
        raise ValidationError({"licence": _("该开放许可已下架，不能再接受。")})
    if licensee.pk == asset.holder_id:
        raise ValidationError({"licensee": _("权利人不能接受自己的开放许可。")})
    if IpTransaction.objects.filter(open_licence=locked, counterparty=licensee).exists():
        raise ValidationError({"licensee": _("贵单位已接受过该开放许可。")})
    today = signed_on or timezone.localdate()
    deal = deal_create(
        actor=None,
        title=(_("开放许可：%(title)s") % {"title": asset.title})[:150],
        supplier=asset.holder,
        buyer=licensee,
        achievement=asset.achievement,
        expected_amount_fen=locked.fee_fen * locked.term_years or None,
        stage=DealStage.SIGNED,
        next_step=_("登记技术合同"),
    )
    record = IpTransaction.objects.create(
        code=new_code("ZJ"),
        asset=asset,
        kind=TransactionKind.LICENCE_OPEN,
        counterparty=licensee,
        counterparty_name=licensee.name,
        amount_fen=locked.fee_fen * locked.term_years,
        signed_on=today,
        term_start=today,
        term_end=_anniversary(today, today.year + locked.term_years),
        open_licence=locked,
        deal=deal,
        created_by=None if is_system(actor) else actor,
    )
    audit.record(
        "ip.open_licence.take_up",
        actor=actor,
        obj=record,
        detail={"licence": locked.code, "licensee": licensee.pk, "deal": deal.code},
    )
    from .notify import licence_taken_up

    licence_taken_up(record)
    return record


# --- transactions --------------------------------------------------------------------------------


@transaction.atomic
def transaction_record(
    *,
    actor: Any,
    asset: IpAsset,
    kind: str,
    amount_fen: int,
    signed_on: dt.date,
    counterparty: Organization | None = None,
    counterparty_name: str = "",
    term_start: dt.date | None = None,
    term_end: dt.date | None = None,
    contract_number: str = "",
    note: str = "",
) -> IpTransaction:
    """Record an assignment, licence or pledge with its contract. A pledge names the bank (pledgee) and
    the financing amount and term; a large pledge may make the patent high-value."""
    locked = IpAsset.objects.select_for_update().get(pk=asset.pk)
    if not is_system(actor) and not can_manage_asset.test(actor, locked):
        raise deny(_("只有权利人的技术转移部门或运营人员可以登记知识产权交易。"))
    refuse_nul({"counterparty_name": counterparty_name, "contract_number": contract_number, "note": note})
    errors: dict[str, str] = {}
    if kind not in TransactionKind.values or kind == TransactionKind.LICENCE_OPEN:
        errors["kind"] = _("请选择交易类型（开放许可由被许可方在开放许可页面接受）。")
    if locked.legal_status not in (LegalStatus.GRANTED, LegalStatus.PUBLISHED, LegalStatus.FILED):
        errors["asset"] = _("该知识产权已失效，不能再交易。")
    elif kind in LICENCE_KINDS | {TransactionKind.PLEDGE} and locked.legal_status != LegalStatus.GRANTED:
        errors["asset"] = _("许可和质押只能针对有效（已授权）的知识产权。")
    name = clean_text(counterparty_name, 120) or (counterparty.name if counterparty else "")
    if not name:
        errors["counterparty_name"] = (
            _("请填写质权人（银行）。") if kind == TransactionKind.PLEDGE else _("请填写交易对方。")
        )
    if counterparty is not None and counterparty.pk == locked.holder_id:
        errors["counterparty"] = _("交易对方不能是权利人自己。")
    if signed_on > timezone.localdate():
        errors["signed_on"] = _("签订日期不能晚于今天。")
    if term_start and term_end and term_end < term_start:
        errors["term_end"] = _("期限止不能早于期限起。")
    if kind == TransactionKind.PLEDGE and not (term_start and term_end):
        errors["term_end"] = _("质押请填写融资期限。")
    if errors:
        raise ValidationError(errors)
    amount = checked_fen(
        amount_fen,
        "amount_fen",
        label=gettext_lazy("质押融资额") if kind == TransactionKind.PLEDGE else gettext_lazy("交易金额"),
        allow_zero=kind != TransactionKind.PLEDGE,
    )
    record = IpTransaction.objects.create(
        code=new_code("ZJ"),
        asset=locked,
        kind=kind,
        counterparty=counterparty,
        counterparty_name=name,
        amount_fen=amount,
        signed_on=signed_on,
        term_start=term_start,
        term_end=term_end,
        contract_number=clean_text(contract_number, 40),
        note=clean_text(note, 500),
        created_by=None if is_system(actor) else actor,
    )
    if kind == TransactionKind.ASSIGNMENT and counterparty is not None:
        locked.holder = counterparty
        locked.save(update_fields=["holder", "updated_at"])
        OpenLicence.objects.filter(asset=locked, status=OpenLicenceStatus.PUBLISHED).update(
            status=OpenLicenceStatus.WITHDRAWN, ended_at=timezone.now()
        )
    if kind == TransactionKind.PLEDGE:
        refresh_high_value(locked)
    audit.record(
        "ip.transaction.record", actor=actor, obj=record, detail={"kind": kind, "amount_fen": amount}
    )
    return record


@transaction.atomic
def transaction_register_contract(
    *, actor: Any, record: IpTransaction, registration_number: str = ""
) -> IpTransaction:
    """An operator registers the technology contract of an assignment or licence through transfer's
    contract registration (技术合同登记): the deal, when there is one, moves to 登记."""
    from kechuang.transfer.choices import ContractType
    from kechuang.transfer.services import contract_register

    locked = (
        IpTransaction.objects.select_for_update(of=("self",))
        .select_related("asset__holder", "counterparty")
        .get(pk=record.pk)
    )
    if not is_system(actor) and not can_register_contract(actor):
        raise deny(_("只有运营人员可以登记技术合同。"))
    if locked.contract_id is not None:
        raise ValidationError({"contract": _("该交易的技术合同已经登记。")})
    if locked.kind == TransactionKind.PLEDGE:
        raise ValidationError({"kind": _("质押不是技术合同，无需登记。")})
    if locked.counterparty is None:
        raise ValidationError({"counterparty": _("交易对方不在名录中，无法登记技术合同。")})
    if not locked.amount_fen:
        raise ValidationError({"amount_fen": _("金额为零的交易无需登记技术合同。")})
    contract = contract_register(
        actor=actor,
        contract_type=ContractType.TRANSFER
        if locked.kind == TransactionKind.ASSIGNMENT
        else ContractType.LICENSE,
        title=(
            _("专利%(kind)s：%(title)s") % {"kind": locked.get_kind_display(), "title": locked.asset.title}
        )[:160],
        seller=locked.asset.holder,
        buyer=locked.counterparty,
        signed_on=locked.signed_on,
        contract_amount_fen=locked.amount_fen,
        technology_amount_fen=locked.amount_fen,
        registration_number=registration_number,
        deal=locked.deal,
        note=_("知识产权交易 %(code)s") % {"code": locked.code},
    )
    locked.contract = contract
    locked.save(update_fields=["contract"])
    audit.record("ip.transaction.contract", actor=actor, obj=locked, detail={"contract": contract.code})
    return locked


# --- reminders -----------------------------------------------------------------------------------


def due_reminders(today: dt.date) -> list[tuple[IpAsset, str, dt.date]]:
    """(asset, kind, deadline) of every reminder due today: an annuity within the reminder days, an annuity
    past its date but within the six-month grace period (with the surcharge warning), a term of
    protection ending within 180 days."""
    found: list[tuple[IpAsset, str, dt.date]] = []
    horizon = today + dt.timedelta(days=REMIND_DAYS)
    grace_start = add_months(today, -GRACE_MONTHS)
    qs = IpAsset.objects.filter(legal_status=LegalStatus.GRANTED).select_related("holder")
    for asset in qs.filter(
        annuity_due_on__isnull=False, annuity_due_on__lte=horizon, annuity_due_on__gte=grace_start
    ):
        due = asset.annuity_due_on
        assert due is not None
        if due >= today:
            found.append((asset, ReminderKind.ANNUITY, due))
        else:
            found.append((asset, ReminderKind.GRACE, add_months(due, GRACE_MONTHS)))
    for asset in qs.filter(
        expires_on__isnull=False,
        expires_on__gte=today,
        expires_on__lte=today + dt.timedelta(days=EXPIRY_REMIND_DAYS),
    ):
        assert asset.expires_on is not None
        found.append((asset, ReminderKind.EXPIRY, asset.expires_on))
    return found


def reminders_send_due(*, today: dt.date | None = None) -> int:
    """Tell the holder's technology transfer office about each deadline once (the notification's dedupe
    key is the asset, the kind and the deadline): a second run the same day, or the next day, sends
    nothing new for the same deadline. Returns the notifications written."""
    from .notify import deadline_reminder

    today = today or timezone.localdate()
    sent = 0
    for asset, kind, deadline in due_reminders(today):
        with transaction.atomic():
            sent += deadline_reminder(asset, kind, deadline, today)
    return sent


def holder_staff(holder_ids: Sequence[int]) -> Any:
    """The users who manage the holders' IP (members with the institute or enterprise role)."""
    from django.contrib.auth import get_user_model

    from .permissions import MANAGER_ROLES

    return (
        get_user_model()
        .objects.filter(
            memberships__organization__in=holder_ids, is_active=True, groups__name__in=list(MANAGER_ROLES)
        )
        .distinct()
    )


# --- IP services bought with vouchers --------------------------------------------------------------


@transaction.atomic
def service_report_attach(*, actor: Any, asset: IpAsset, order: Any, kind: str, file: Any) -> ServiceReport:
    """A provider attaches the report of an IP service (valuation, FTO, landscape) ordered with a voucher
    by the asset's holder; attaching it delivers the order through ``vouchers.services.order_deliver``,
    and the enterprise confirms and redeems it on the vouchers' pages as for any order."""
    from django.core.files.base import ContentFile

    from kechuang.core.uploads import check_upload
    from kechuang.vouchers.choices import OrderStatus, ServiceCategory
    from kechuang.vouchers.permissions import can_handle_order
    from kechuang.vouchers.services import order_deliver

    if not is_system(actor) and not can_handle_order(actor, order):
        raise deny(_("只有承接该订单的服务机构可以上传报告。"))
    errors: dict[str, str] = {}
    if kind not in ServiceKind.values:
        errors["kind"] = _("请选择服务类型。")
    if order.category != ServiceCategory.IP:
        errors["order"] = _("只有知识产权类的创新券订单可以附专利服务报告。")
    elif order.enterprise_id != asset.holder_id:
        errors["order"] = _("订单的下单企业不是该专利的权利人。")
    elif order.status != OrderStatus.ACCEPTED:
        errors["order"] = _("只有服务中的订单可以提交报告。")
    if ServiceReport.objects.filter(order=order).exists():
        errors["order"] = _("该订单已提交过报告。")
    if errors:
        raise ValidationError(errors)
    checked = check_upload(file, name=getattr(file, "name", "") or "", field="file")
    if hasattr(file, "seek"):
        file.seek(0)
    content = file.read() if hasattr(file, "read") else bytes(file)
    report = ServiceReport(
        asset=asset,
        order=order,
        kind=kind,
        original_name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=None if is_system(actor) else actor,
    )
    report.file.save("upload.bin", ContentFile(content), save=False)
    report.save()
    order_deliver(
        actor=actor,
        order=order,
        note=(
            _("%(kind)s报告已附于专利 %(number)s。")
            % {"kind": report.get_kind_display(), "number": asset.number}
        )[:500],
    )
    audit.record(
        "ip.service_report.attach",
        actor=actor,
        obj=report,
        detail={"order": order.code, "sha256": checked.sha256},
    )
    return report
