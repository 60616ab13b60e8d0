"""An organization's IP portfolio from the patent office's search export (Excel .xlsx or CSV): an import
spec on the kernel's importer (``kechuang.core.importing``, docs/adr/0003; docs/adr/0028, "Import").

The columns are those of the national patent search system's export (申请号, 申请日, 公开（公告）号,
发明名称, IPC分类号, 申请（专利权）人, 发明人, 摘要, 主权项, 法律状态 …); headers may carry the office's
variants. A row's key is its application number (check digit verified): a number already on the
platform is updated (legal status, dates, IPC, abstract, claims), never created twice, so importing the
export again after the office's next status change updates the legal status and nothing else. The holder
is the first applicant found in the directory; a commit by a technology transfer office is refused when
a row's holder is not its own organization (operators import for any holder). All rows or none.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kechuang.core.importing import CREATE, UPDATE, Column, ImportSpec, ImportUrls, Plan, RowPlan, SheetKind
from kechuang.core.importing.cells import (
    BLANK,
    CellError,
    clean_text,
    display_value,
    is_blank,
    loose_key,
    parse_choice,
    parse_date,
    parse_text,
)
from kechuang.core.importing.report import ImportResult, error_report_workbook
from kechuang.core.importing.spec import values_differ
from kechuang.core.importing.stored import load_result, save_result
from kechuang.directory.models import Organization

from . import ipc, numbers
from .choices import AssetKind, LegalStatus
from .models import IpAsset
from .permissions import can_manage_asset, is_operator_user, managed_organization_ids

ASSETS = "assets"
IMPORT_ACTION = "ip.import"
SHEET_NAME = "专利"

STATUS_WORDS = {
    "有效": LegalStatus.GRANTED,
    "授权": LegalStatus.GRANTED,
    "专利权维持": LegalStatus.GRANTED,
    "有权": LegalStatus.GRANTED,
    "实质审查": LegalStatus.PUBLISHED,
    "实审": LegalStatus.PUBLISHED,
    "审中": LegalStatus.PUBLISHED,
    "公开": LegalStatus.PUBLISHED,
    "申请中": LegalStatus.FILED,
    "受理": LegalStatus.FILED,
    "未缴年费": LegalStatus.LAPSED,
    "专利权终止": LegalStatus.LAPSED,
    "权利终止": LegalStatus.LAPSED,
    "失效": LegalStatus.LAPSED,
    "期限届满": LegalStatus.EXPIRED,
    "届满": LegalStatus.EXPIRED,
    "驳回": LegalStatus.REJECTED,
    "撤回": LegalStatus.WITHDRAWN,
    "视为撤回": LegalStatus.WITHDRAWN,
    "放弃": LegalStatus.WITHDRAWN,
    "无效": LegalStatus.INVALIDATED,
    "全部无效": LegalStatus.INVALIDATED,
}
# longer words first: 未缴年费专利权终止 is lapsed, not "有效" by accident
_STATUS_ORDER = sorted(STATUS_WORDS, key=len, reverse=True)


def parse_number(raw: Any, lookups: Any) -> Any:
    if is_blank(raw):
        return BLANK
    text = str(raw).strip()
    if re.fullmatch(r"\d{12}", text):  # Excel kept the digits but lost ".check"
        raise CellError(
            _("申请号 %(value)s 缺少校验位，请按导出原样填写（如 201710601862.3）。") % {"value": text}
        )
    normalized = numbers.normalize(text)
    try:
        if normalized.startswith(("BS", "CNA")) or "SR" in normalized:
            for kind in (AssetKind.SOFTWARE, AssetKind.IC_LAYOUT, AssetKind.PLANT_VARIETY):
                try:
                    return numbers.asset_number(normalized, kind)
                except ValidationError:
                    continue
            raise ValidationError(
                _("“%(value)s”不是可识别的申请号或登记号。") % {"value": display_value(raw)}
            )
        return numbers.cn_application_number(normalized)
    except ValidationError as error:
        raise CellError(error.messages[0]) from None


def parse_status(raw: Any, lookups: Any) -> Any:
    if is_blank(raw):
        return BLANK
    text = clean_text(raw)
    for choice in LegalStatus:
        if text in (choice.value, str(choice.label)):
            return choice.value
    for word in _STATUS_ORDER:
        if word in text:
            return STATUS_WORDS[word]
    raise CellError(
        _("无法识别法律状态“%(value)s”，请填写有效、实质审查、未缴年费、期限届满、驳回、撤回等。")
        % {"value": display_value(raw)}
    )


def parse_ipc(raw: Any, lookups: Any) -> Any:
    if is_blank(raw):
        return BLANK
    try:
        return ipc.split_ipc(clean_text(raw))
    except ValidationError as error:
        raise CellError(error.messages[0]) from None


def parse_applicants(raw: Any, lookups: Lookups) -> Any:
    if is_blank(raw):
        return BLANK
    names = [n.strip() for n in re.split(r"[;；,，、\n]+", clean_text(raw)) if n.strip()]
    for name in names:
        found = lookups.organizations.get(loose_key(name))
        if found is not None:
            return (found, "；".join(names)[:500])
    raise CellError(
        _("申请人“%(value)s”都不在平台机构名录中，请先在名录中登记权利人。")
        % {"value": "；".join(names)[:80]}
    )


def parse_family(raw: Any, lookups: Any) -> Any:
    if is_blank(raw):
        return BLANK
    members = []
    for part in re.split(r"[;；,，、\s]+", clean_text(raw)):
        if not part or numbers.normalize(part).startswith("CN"):
            continue  # the export lists the Chinese members of the family too
        try:
            members.append(numbers.foreign_number(part)[1])
        except ValidationError as error:
            raise CellError(error.messages[0]) from None
    return members


parse_kind = parse_choice(
    AssetKind,
    "专利类型",
    {
        "发明": AssetKind.INVENTION,
        "发明申请": AssetKind.INVENTION,
        "发明授权": AssetKind.INVENTION,
        "实用新型": AssetKind.UTILITY,
        "新型": AssetKind.UTILITY,
        "外观": AssetKind.DESIGN,
        "外观设计": AssetKind.DESIGN,
        "软著": AssetKind.SOFTWARE,
        "布图设计": AssetKind.IC_LAYOUT,
    },
)

COLUMNS: tuple[Column, ...] = (
    Column(
        "number",
        "申请号",
        parse_number,
        required=True,
        aliases=("专利申请号", "申请号/专利号", "登记号"),
        note="含校验位，如 201710601862.3",
        text_format=True,
        width=18,
    ),
    Column(
        "kind",
        "专利类型",
        parse_kind,
        aliases=("类型", "专利种类"),
        note="可空：按申请号第 5 位判断",
        width=10,
    ),
    Column(
        "title", "发明名称", parse_text(200), required=True, aliases=("名称", "专利名称", "标题"), width=36
    ),
    Column("filed_on", "申请日", parse_date, required=True, aliases=("申请日期",), width=12),
    Column(
        "publication_number",
        "公开（公告）号",
        parse_text(32),
        aliases=("公开号", "公告号", "公开(公告)号"),
        text_format=True,
        width=16,
    ),
    Column(
        "published_on", "公开（公告）日", parse_date, aliases=("公开日", "公告日", "公开(公告)日"), width=12
    ),
    Column("granted_on", "授权公告日", parse_date, aliases=("授权日", "授权公告日期"), width=12),
    Column(
        "ipc_codes",
        "IPC分类号",
        parse_ipc,
        aliases=("IPC", "主分类号", "分类号"),
        note="多个用分号隔开",
        width=22,
    ),
    Column(
        "applicants",
        "申请（专利权）人",
        parse_applicants,
        required=True,
        aliases=("申请人", "专利权人", "申请(专利权)人", "当前权利人"),
        note="第一个在名录中的申请人为权利人",
        width=30,
    ),
    Column("inventor_names", "发明人", parse_text(500), aliases=("发明人/设计人", "设计人"), width=20),
    Column("abstract", "摘要", parse_text(5000, multiline=True), width=40),
    Column(
        "claims", "主权项", parse_text(50000, multiline=True), aliases=("权利要求", "权利要求书"), width=40
    ),
    Column(
        "legal_status",
        "法律状态",
        parse_status,
        required=True,
        aliases=("当前法律状态", "法律状态/事件"),
        width=14,
    ),
    Column(
        "family",
        "同族专利",
        parse_family,
        aliases=("同族", "海外同族"),
        note="国外同族号，如 US10123456B2",
        width=24,
    ),
    Column("annuity_due_on", "年费缴纳截止日", parse_date, aliases=("下次年费截止日",), width=12),
)
SCALARS = (
    "title",
    "filed_on",
    "publication_number",
    "published_on",
    "granted_on",
    "ipc_codes",
    "inventor_names",
    "abstract",
    "claims",
    "legal_status",
    "annuity_due_on",
)


class Lookups:
    def __init__(self) -> None:
        self.organizations: dict[str, Organization] = {}
        items = list(Organization.objects.order_by("pk"))
        for item in items:
            self.organizations.setdefault(loose_key(item.name), item)
        for item in items:
            if item.short_name:
                self.organizations.setdefault(loose_key(item.short_name), item)


class AssetImport(ImportSpec):
    name = "ip.assets"
    action = IMPORT_ACTION
    kinds = (
        SheetKind(
            ASSETS,
            SHEET_NAME,
            COLUMNS,
            sheet_titles=(SHEET_NAME, "专利列表", "检索结果", "assets"),
            description=gettext_lazy(
                "每行一件专利，可直接上传专利检索系统导出的 Excel 或 CSV。专利按申请号识别：平台中已有的专利"
                "会被更新（法律状态、日期、分类号、摘要、权利要求），不会重复登记。"
            ),
            template_filename="专利导入模板.xlsx",
        ),
    )
    urls = ImportUrls.named("ip", report="import-report")
    title = gettext_lazy("导入专利清单")
    short_title = gettext_lazy("导入专利清单")
    denied_message = gettext_lazy("只有院所、企业的知识产权管理人员或运营人员可以导入专利。")
    template_note = (
        "第 1 行是表头；可直接使用专利检索系统的导出文件。申请号须含校验位；同一申请号只登记一次，"
        "再次导入会更新法律状态，不会重复登记；申请人中须有平台机构名录中的单位。"
    )
    report_prefix = "专利导入错误报告"
    result_links = ((gettext_lazy("查看知识产权"), "ip:portfolio"),)
    permission = staticmethod(can_manage_asset)
    lookups_class = Lookups

    def row_key(self, row: RowPlan) -> Hashable:
        return row.values["number"]

    def key_column(self, row: RowPlan) -> str:
        return "number"

    def duplicate_message(self, row: RowPlan, first: RowPlan) -> str:
        return _("与%(where)s的申请号重复。") % {"where": row.where(first)}

    def plan_rows(self, plan: Plan) -> None:
        for row in plan.rows:
            if row.problems:
                continue
            values = row.values
            number = values["number"]
            if "kind" not in values:
                values["kind"] = _kind_from_number(number)
            if values["kind"] is None:
                plan.problem(row, "kind", _("请填写专利类型（无法从申请号判断）。"))
                continue
            try:
                if values["kind"] in numbers.KIND_DIGITS:
                    numbers.cn_application_number(number, values["kind"])
            except ValidationError as error:
                plan.problem(row, "kind", error.messages[0])
                continue
            for key, label in (("published_on", _("公开日")), ("granted_on", _("授权公告日"))):
                if values.get(key) and values[key] < values["filed_on"]:
                    plan.problem(row, key, _("%(label)s不能早于申请日。") % {"label": label})
            if values["legal_status"] == LegalStatus.GRANTED and not values.get("granted_on"):
                plan.problem(row, "granted_on", _("法律状态为有效（已授权）时须填写授权公告日。"))
        super().plan_rows(plan)

    def existing(self, keys: list[Hashable], *, for_update: bool) -> Mapping[Hashable, Any]:
        found: dict[Hashable, Any] = {}
        for start in range(0, len(keys), self.chunk):
            qs = IpAsset.objects.filter(number__in=keys[start : start + self.chunk]).order_by("pk")
            if for_update:
                qs = qs.select_for_update()
            found.update({asset.number: asset for asset in qs})
        return found

    def changes(self, target: Any, row: RowPlan) -> dict[str, Any]:
        changed = {
            key: value
            for key, value in row.values.items()
            if key in SCALARS and values_differ(getattr(target, key), value)
        }
        if "family" in row.values:
            have = set(target.family.values_list("number", flat=True))
            if set(row.values["family"]) - have:
                changed["family"] = sorted(have | set(row.values["family"]))
        return changed

    def write(self, plan: Plan, actor: Any) -> dict[str, Any]:
        from kechuang.transfer import matching

        from .services import _create, _update

        managed = managed_organization_ids(actor)
        operator = is_operator_user(actor)
        for row in plan.rows:
            holder = row.target.holder if row.target is not None else row.values["applicants"][0]
            if not operator and holder.pk not in managed:
                raise PermissionDenied(
                    _("第 %(row)s 行的权利人“%(name)s”不是您所在的机构，不能导入。")
                    % {"row": row.row, "name": holder.name}
                )
        created, updated = [], []
        with matching.deferred():
            for row in plan.rows:
                values = dict(row.values)
                if row.action == CREATE:
                    holder, names = values.pop("applicants")
                    data = {k: values[k] for k in (*SCALARS, "family") if k in values}
                    asset = _create(
                        actor=actor,
                        kind=values["kind"],
                        number=values["number"],
                        holder=holder,
                        data={**data, "applicant_names": names},
                        record=False,  # type: ignore[typeddict-item]
                    )
                    created.append(asset.number)
                elif row.action == UPDATE and row.target is not None:
                    _update(actor=actor, locked=row.target, data=dict(row.changes), record=False)  # type: ignore[arg-type]
                    updated.append(row.target.number)
        return {"numbers": {"created": created[:5000], "updated": updated[:5000]}}


def _kind_from_number(number: str) -> str | None:
    if "SR" in number:
        return AssetKind.SOFTWARE
    if number.startswith("BS"):
        return AssetKind.IC_LAYOUT
    if number.startswith("CNA"):
        return AssetKind.PLANT_VARIETY
    body = number.split(".")[0]
    digit = body[4] if len(body) == 12 else body[2]
    for kind, digits in numbers.KIND_DIGITS.items():
        if digit in digits:
            return kind
    return None


SPEC = AssetImport()

inspect_upload = SPEC.inspect
dry_run = SPEC.dry_run
import_commit = SPEC.commit
store_upload = SPEC.store_upload
load_upload = SPEC.load_upload

__all__ = [
    "SPEC",
    "ImportResult",
    "dry_run",
    "error_report_workbook",
    "import_commit",
    "inspect_upload",
    "load_result",
    "load_upload",
    "save_result",
    "store_upload",
]
