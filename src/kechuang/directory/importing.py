"""Bulk onboarding of organizations and people from Excel (.xlsx) or CSV (docs/design.md §3.1,
docs/reliability.md K4): an import spec on the kernel's importer (``kechuang.core.importing``, docs/adr/0003).

A workbook may hold a sheet "机构" (organizations) and a sheet "人员" (people); a CSV holds one of them,
told by its header or chosen on upload. People may refer to organizations of the same file.

Idempotency keys: an organization's USCC (else its kind and name); a person's (organization, name,
phone). A row equal to its record changes nothing, so re-importing a file creates nothing new. The
commit writes in bulk (one statement per batch, not one per row) inside the kernel's commit service and
records one ``directory.import`` audit event naming the records it touched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kechuang.accounts.principal import retire_principals
from kechuang.core.importing import (
    CREATE,
    ERROR,
    UNCHANGED,
    UPDATE,
    Column,
    ImportAlreadyCommitted,
    ImportFileError,
    ImportResult,
    ImportSpec,
    ImportUrls,
    Plan,
    Problem,
    RowPlan,
    SheetKind,
)
from kechuang.core.importing.cells import (
    BLANK,
    CellError,
    CellParser,
    checked_code,
    clean_text,
    code_text,
    display_value,
    header_key,
    is_blank,
    labels_text,
    loose_key,
    parse_bool,
    parse_choice,
    parse_email,
    parse_multi_choice,
    parse_past_date,
    parse_phone,
    parse_text,
    phone_key,
    raw_text,
    split_multi,
)
from kechuang.core.importing.stored import TOKEN_PATTERN, load_result

from . import uscc as uscc_rules
from .choices import OrganizationKind, Qualification, SizeBand, Title
from .models import Block, Industry, Organization, Park, Person, TechnologyField
from .permissions import can_import_directory

ORGANIZATIONS = "organizations"
PEOPLE = "people"
IMPORT_ACTION = "directory.import"

__all__ = [
    "IMPORT_ACTION",
    "ORGANIZATIONS",
    "PEOPLE",
    "SPEC",
    "TOKEN_PATTERN",
    "CellError",
    "ImportAlreadyCommitted",
    "ImportFileError",
    "ImportResult",
    "dry_run",
    "header_key",
    "import_commit",
    "inspect_upload",
    "load_result",
    "load_upload",
    "parse_bool",
    "parse_kind",
    "parse_past_date",
    "parse_phone",
    "parse_size",
    "parse_title",
    "parse_uscc",
    "store_upload",
]


# ------------------------------------------------------------------------------------------------
# Cells
# ------------------------------------------------------------------------------------------------

parse_uscc = checked_code("统一社会信用代码", uscc_rules.validate)

parse_kind = parse_choice(
    OrganizationKind,
    "机构类型",
    {
        "院所": OrganizationKind.INSTITUTE,
        "研究所": OrganizationKind.INSTITUTE,
        "科研机构": OrganizationKind.INSTITUTE,
        "公司": OrganizationKind.ENTERPRISE,
        "服务商": OrganizationKind.PROVIDER,
        "园区运营": OrganizationKind.PARK_OPERATOR,
        "政府": OrganizationKind.GOVERNMENT,
        "投资": OrganizationKind.INVESTOR,
        "创投": OrganizationKind.INVESTOR,
        "基金": OrganizationKind.INVESTOR,
        "投资基金": OrganizationKind.INVESTOR,
    },
)
parse_size = parse_choice(
    SizeBand,
    "规模",
    {
        "微型企业": SizeBand.MICRO,
        "小型企业": SizeBand.SMALL,
        "中型企业": SizeBand.MEDIUM,
        "大型企业": SizeBand.LARGE,
    },
)
parse_title = parse_choice(
    Title,
    "职称",
    {
        "正高": Title.SENIOR,
        "正高级": Title.SENIOR,
        "副高": Title.ASSOCIATE_SENIOR,
        "副高级": Title.ASSOCIATE_SENIOR,
        "中级": Title.INTERMEDIATE,
        "初级": Title.JUNIOR,
        "研究员": Title.SENIOR,
        "教授": Title.SENIOR,
        "正高级工程师": Title.SENIOR,
        "教授级高级工程师": Title.SENIOR,
        "副研究员": Title.ASSOCIATE_SENIOR,
        "副教授": Title.ASSOCIATE_SENIOR,
        "高级工程师": Title.ASSOCIATE_SENIOR,
        "助理研究员": Title.INTERMEDIATE,
        "讲师": Title.INTERMEDIATE,
        "工程师": Title.INTERMEDIATE,
        "研究实习员": Title.JUNIOR,
        "助教": Title.JUNIOR,
        "助理工程师": Title.JUNIOR,
        "技术员": Title.JUNIOR,
    },
    allow_blank_value=True,
)
parse_qualifications = parse_multi_choice(
    Qualification,
    "资质",
    {
        "高新": Qualification.HIGH_TECH,
        "小巨人": Qualification.LITTLE_GIANT,
        "专精特新小巨人": Qualification.LITTLE_GIANT,
    },
)


def parse_fields(raw: Any, lookups: Lookups) -> Any:
    if is_blank(raw):
        return BLANK
    found: list[TechnologyField] = []
    unknown, ambiguous = [], []
    for part in split_multi(raw):
        by_code = lookups.fields_by_code.get(part.upper())
        matches = [by_code] if by_code else lookups.fields_by_name.get(loose_key(part), [])
        if not matches:
            unknown.append(part)
        elif len(matches) > 1:
            ambiguous.append(part)
        elif matches[0] not in found:
            found.append(matches[0])
    if unknown:
        raise CellError(
            _("技术领域“%(value)s”在平台中不存在，请填写“技术领域”目录中的名称或编码，多个用顿号“、”分隔。")
            % {"value": display_value("、".join(unknown))}
        )
    if ambiguous:
        raise CellError(
            _("技术领域“%(value)s”有多个同名项，请改填编码。")
            % {"value": display_value("、".join(ambiguous))}
        )
    return found


def parse_industry(raw: Any, lookups: Lookups) -> Any:
    if is_blank(raw):
        return BLANK
    text = code_text(raw)
    first = text.split(" ", 1)[0].upper()
    industry = (
        lookups.industries.get(text.upper())
        or lookups.industries.get(first)
        or lookups.industries_by_name.get(loose_key(text))
    )
    if industry is None:
        raise CellError(
            _(
                "行业代码“%(value)s”不存在，"
                "请按国民经济行业分类（GB/T 4754-2017）填写平台中已有的代码，如 C39。"
            )
            % {"value": display_value(text)}
        )
    return industry


def _place_parser(what: str, attribute: str) -> CellParser:
    def parse(raw: Any, lookups: Lookups) -> Any:
        if is_blank(raw):
            return BLANK
        text = clean_text(raw)
        table: dict[str, Model] = getattr(lookups, attribute)
        found = table.get(loose_key(text))
        if found is None:
            names = sorted({str(obj) for obj in table.values()})
            hint = (
                _("请填写：%(names)s。") % {"names": "、".join(names)}
                if 0 < len(names) <= 20
                else _("请填写平台中已有的%(what)s名称或编码。") % {"what": what}
            )
            raise CellError(
                _("%(what)s“%(value)s”在平台中不存在，") % {"what": what, "value": display_value(text)} + hint
            )
        return found

    return parse


def parse_org_ref(raw: Any, lookups: Lookups) -> Any:
    if is_blank(raw):
        return BLANK
    text = raw_text(raw) if isinstance(raw, int) else clean_text(raw)
    return text or BLANK


# ------------------------------------------------------------------------------------------------
# Columns
# ------------------------------------------------------------------------------------------------


def _len(model: type[Model], name: str) -> int | None:
    return model._meta.get_field(name).max_length  # type: ignore[union-attr]


ORGANIZATION_COLUMNS: tuple[Column, ...] = (
    Column(
        "kind",
        "类型",
        parse_kind,
        required=True,
        aliases=("机构类型", "单位类型"),
        note="必填。" + labels_text(OrganizationKind) + "之一",
        width=12,
    ),
    Column(
        "name",
        "名称",
        parse_text(_len(Organization, "name")),
        required=True,
        aliases=("机构名称", "单位名称", "企业名称"),
        note="必填。机构全称",
        width=32,
    ),
    Column(
        "short_name", "简称", parse_text(_len(Organization, "short_name")), aliases=("机构简称",), width=14
    ),
    Column(
        "uscc",
        "统一社会信用代码",
        parse_uscc,
        aliases=("信用代码", "社会信用代码", "统一信用代码", "uscc"),
        note="18 位；企业必填。请保持“文本”格式",
        text_format=True,
        width=22,
    ),
    Column(
        "industry",
        "行业代码",
        parse_industry,
        aliases=("行业", "所属行业", "国民经济行业代码"),
        note="国民经济行业分类代码，如 C39",
        width=12,
    ),
    Column(
        "fields",
        "技术领域",
        parse_fields,
        aliases=("领域",),
        note="平台技术领域的名称或编码，多个用顿号“、”分隔",
        width=24,
    ),
    Column(
        "qualifications",
        "资质",
        parse_qualifications,
        aliases=("企业资质",),
        note=labels_text(Qualification) + "，多个用顿号“、”分隔",
        width=20,
    ),
    Column("block", "板块", _place_parser("板块", "blocks"), aliases=("所在板块", "产业板块"), width=10),
    Column("park", "园区", _place_parser("园区", "parks"), aliases=("所在园区", "科创园区"), width=20),
    Column(
        "address",
        "地址",
        parse_text(_len(Organization, "address")),
        aliases=("注册地址", "办公地址"),
        width=30,
    ),
    Column("size_band", "规模", parse_size, aliases=("企业规模",), note=labels_text(SizeBand), width=12),
    Column("is_key", "重点企业", parse_bool, aliases=("是否重点企业",), note="是 / 否", width=10),
    Column(
        "founded_on",
        "成立日期",
        parse_past_date,
        aliases=("成立时间", "注册日期"),
        note="如 2024-01-05、2024/1/5 或 2024年1月5日",
        width=12,
    ),
    Column("contact_name", "联系人", parse_text(_len(Organization, "contact_name")), width=10),
    Column(
        "contact_phone",
        "联系电话",
        parse_phone,
        aliases=("电话", "联系方式"),
        note="手机号或带区号的固定电话。请保持“文本”格式",
        text_format=True,
        width=16,
    ),
    Column(
        "description", "简介", parse_text(None, multiline=True), aliases=("机构简介", "企业简介"), width=40
    ),
)

PERSON_COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", parse_text(_len(Person, "name")), required=True, note="必填", width=10),
    Column(
        "organization_ref",
        "所在机构",
        parse_org_ref,
        aliases=("机构", "单位", "所在单位", "工作单位"),
        note="机构全称或统一社会信用代码；可以是本文件“机构”工作表中的机构",
        width=32,
    ),
    Column("position", "职务", parse_text(_len(Person, "position")), width=14),
    Column("title", "职称", parse_title, note=labels_text(Title) + "，或“无”", width=14),
    Column(
        "fields",
        "研究领域",
        parse_fields,
        aliases=("技术领域", "领域"),
        note="平台技术领域的名称或编码，多个用顿号“、”分隔",
        width=24,
    ),
    Column("expertise", "专长", parse_text(_len(Person, "expertise")), aliases=("专业特长",), width=30),
    Column("is_expert", "入库专家", parse_bool, aliases=("是否入库专家", "专家"), note="是 / 否", width=10),
    Column("is_academician", "院士", parse_bool, aliases=("是否院士",), note="是 / 否", width=8),
    Column(
        "phone",
        "手机号",
        parse_phone,
        aliases=("手机", "手机号码", "电话", "联系电话"),
        note="11 位手机号。请保持“文本”格式",
        text_format=True,
        width=16,
    ),
    Column("email", "邮箱", parse_email, aliases=("电子邮箱", "email", "e-mail", "邮件"), width=24),
)

ORG_SCALARS = (
    "kind",
    "name",
    "short_name",
    "uscc",
    "industry",
    "qualifications",
    "block",
    "park",
    "address",
    "size_band",
    "is_key",
    "founded_on",
    "contact_name",
    "contact_phone",
    "description",
)
PERSON_SCALARS = ("name", "position", "title", "expertise", "is_expert", "is_academician", "phone", "email")
_FK_KEYS = {"industry", "block", "park"}
ORGANIZATION_HEADERS = {column.key: column.header for column in ORGANIZATION_COLUMNS}

# ------------------------------------------------------------------------------------------------
# Lookups (small tables loaded once per run)
# ------------------------------------------------------------------------------------------------


class Lookups:
    def __init__(self) -> None:
        self.fields_by_code: dict[str, TechnologyField] = {}
        self.fields_by_name: dict[str, list[TechnologyField]] = {}
        for item in TechnologyField.objects.all():
            self.fields_by_code[item.code.upper()] = item
            self.fields_by_name.setdefault(loose_key(item.name), []).append(item)
        self.industries = {item.code.upper(): item for item in Industry.objects.all()}
        self.industries_by_name = {loose_key(item.name): item for item in self.industries.values()}
        self.blocks = self._places(Block)
        self.parks = self._places(Park)

    @staticmethod
    def _places(model: type[Block] | type[Park]) -> dict[str, Block | Park]:
        table: dict[str, Block | Park] = {}
        items: list[Block | Park] = list(model.objects.all())
        for item in items:
            table.setdefault(loose_key(item.name), item)
        for item in items:
            table.setdefault(loose_key(item.code), item)
        return table


# ------------------------------------------------------------------------------------------------
# Planning: what each row would do
# ------------------------------------------------------------------------------------------------


# ------------------------------------------------------------------------------------------------
# The spec
# ------------------------------------------------------------------------------------------------


@dataclass(eq=False)
class DirectoryRow(RowPlan):
    instance: Any = None  # the record as it will be saved
    fields: list[TechnologyField] | None = None  # the technology fields to set, when they change
    identity: tuple[Any, ...] | None = None  # organizations: ("pk", id) or ("row", sheet, row)
    org_identity: tuple[Any, ...] | None = None  # people: the identity of their organization


class DirectoryImport(ImportSpec):
    name = "directory"
    action = IMPORT_ACTION
    kinds = (
        SheetKind(
            ORGANIZATIONS,
            "机构",
            ORGANIZATION_COLUMNS,
            sheet_titles=("机构", "机构信息", "机构名录", "organizations", "organization"),
            marker_headers=("名称", "机构名称", "单位名称", "企业名称", "统一社会信用代码"),
            description=gettext_lazy(
                "每行一家机构：科研院所、企业、服务机构、孵化器、园区运营方或政府部门。"
                "机构按统一社会信用代码识别（没有代码时按类型和名称），已存在的机构会被更新，不会重复新建。"
            ),
            template_filename="机构导入模板.xlsx",
        ),
        SheetKind(
            PEOPLE,
            "人员",
            PERSON_COLUMNS,
            sheet_titles=("人员", "人员信息", "人才", "people", "person", "persons"),
            marker_headers=("姓名",),
            description=gettext_lazy(
                "每行一位研究人员、专家或联系人。“所在机构”填机构全称或统一社会信用代码，"
                "可以是平台中已有的机构，也可以是同一文件“机构”工作表中的机构。人员按所在机构、姓名和手机号识别。"
            ),
            template_filename="人员导入模板.xlsx",
        ),
    )
    urls = ImportUrls.named("directory", report="import-errors")
    title = gettext_lazy("批量导入机构与人员")
    upload_note = gettext_lazy(
        "一个 .xlsx 文件可以同时包含“机构”和“人员”两个工作表；一个 CSV 文件只包含其中一种。"
    )
    kind_help = gettext_lazy("Excel 文件按工作表名称（“机构”“人员”）识别；CSV 文件按表头识别，也可在此指定。")
    template_note = (
        "第 1 行是表头，请勿修改；数据从第 2 行开始。空白单元格不会清除平台中已有的数据。"
        "同一文件重复导入不会重复新建：机构按统一社会信用代码（无代码时按类型和名称）识别，人员按所在机构、姓名和手机号识别。"
    )
    template_filename = "机构与人员导入模板.xlsx"
    no_sheets_message = gettext_lazy(
        "文件中没有可导入的工作表。请将工作表命名为“机构”或“人员”，并使用导入模板的表头。"
    )
    unknown_sheet_message = gettext_lazy(
        "无法识别工作表“%(sheet)s”是机构还是人员（请将工作表命名为“机构”或“人员”），已跳过。"
    )
    unknown_csv_message = gettext_lazy(
        "无法从表头判断这是机构还是人员数据。请使用导入模板的表头，或在上传时选择数据类型。"
    )
    result_links = (
        (gettext_lazy("查看机构名录"), "directory:organization-list"),
        (gettext_lazy("查看人才与专家"), "directory:person-list"),
    )
    row_class = DirectoryRow
    permission = staticmethod(can_import_directory)
    lookups_class = Lookups

    def detect_kind(self, header: Iterable[Any]) -> str | None:
        keys = {header_key(cell) for cell in header if cell is not None}
        if "姓名" in keys:  # a people sheet may also name organizations; a name column decides
            return PEOPLE
        return super().detect_kind(header)

    # -- planning: matching against the database and within the file ----------------------------------

    def plan_rows(self, plan: Plan) -> None:
        rows: list[DirectoryRow] = plan.rows  # type: ignore[assignment]
        org_rows = [row for row in rows if row.kind == ORGANIZATIONS]
        person_rows = [row for row in rows if row.kind == PEOPLE]
        existing = self._load_organizations(plan, org_rows, person_rows)
        self._plan_organizations(plan, org_rows, existing)
        if person_rows:
            self._plan_people(plan, person_rows, org_rows, existing)

    def _load_organizations(
        self, plan: Plan, org_rows: list[DirectoryRow], person_rows: list[DirectoryRow]
    ) -> list[Organization]:
        usccs = {row.values["uscc"] for row in org_rows if "uscc" in row.values}
        names = {row.values["name"] for row in org_rows if "name" in row.values}
        short_names: set[str] = set()
        for row in person_rows:
            ref = row.values.get("organization_ref")
            if not ref:
                continue
            code = uscc_rules.normalize(ref)
            if uscc_rules.is_valid(code):
                usccs.add(code)
            else:
                names.add(ref)
                short_names.add(ref)
        found: dict[int, Organization] = {}
        for lookup, values in (("uscc__in", usccs), ("name__in", names), ("short_name__in", short_names)):
            ordered = sorted(values)
            for start in range(0, len(ordered), self.chunk):
                qs = Organization.objects.filter(Q(**{lookup: ordered[start : start + self.chunk]})).order_by(
                    "pk"
                )
                if plan.for_update:
                    qs = qs.select_for_update()
                for organization in qs:
                    found.setdefault(organization.pk, organization)
        return list(found.values())

    def _plan_organizations(self, plan: Plan, rows: list[DirectoryRow], existing: list[Organization]) -> None:
        by_uscc = {org.uscc: org for org in existing if org.uscc}
        by_kind_name = {(org.kind, org.name): org for org in existing}
        seen_uscc: dict[str, DirectoryRow] = {}
        seen_target: dict[int, DirectoryRow] = {}
        seen_kind_name: dict[tuple[str, str], DirectoryRow] = {}
        field_ids = (
            self._existing_field_ids(Organization, "organization_id", [org.pk for org in existing])
            if any("fields" in r.values for r in rows)
            else {}
        )
        for row in rows:
            values = row.values
            uscc, kind, name = values.get("uscc"), values.get("kind"), values.get("name")
            target: Organization | None = None
            stage_problems = len(row.problems)
            if uscc:
                target = by_uscc.get(uscc)
                if target is None and kind and name:
                    same = by_kind_name.get((kind, name))
                    if same is not None and same.uscc and same.uscc != uscc:
                        plan.problem(
                            row,
                            "uscc",
                            _(
                                "平台中已有同类型同名机构“%(name)s”，其统一社会信用代码为 %(code)s，"
                                "与本行不一致。请核对；如确需更正代码，请在该机构的资料页修改。"
                            )
                            % {"name": same.name, "code": same.uscc},
                        )
                    elif same is not None:
                        target = same
            elif kind and name:
                target = by_kind_name.get((kind, name))
            row.target = target
            row.identity = ("pk", target.pk) if target is not None else ("row", row.sheet, row.row)
            if len(row.problems) == stage_problems and uscc:
                first = seen_uscc.get(uscc)
                if first is not None:
                    plan.problem(
                        row,
                        "uscc",
                        _("与%(where)s的统一社会信用代码重复，同一机构只能出现一次。")
                        % {"where": row.where(first)},
                    )
                else:
                    seen_uscc[uscc] = row
            if len(row.problems) == stage_problems and target is not None:
                first = seen_target.get(target.pk)
                if first is not None:
                    plan.problem(
                        row,
                        "name",
                        _("与%(where)s对应平台中的同一家机构“%(name)s”，同一机构只能出现一次。")
                        % {"where": row.where(first), "name": target.name},
                    )
                else:
                    seen_target[target.pk] = row
            if len(row.problems) == stage_problems and kind and name:
                first = seen_kind_name.get((kind, name))
                if first is not None:
                    plan.problem(
                        row,
                        "name",
                        _("与%(where)s的类型和名称相同，同一机构只能出现一次。")
                        % {"where": row.where(first)},
                    )
                else:
                    seen_kind_name[(kind, name)] = row
                    other = by_kind_name.get((kind, name))
                    if other is not None and (target is None or other.pk != target.pk):
                        plan.problem(
                            row,
                            "name",
                            _(
                                "平台中已有同类型同名的机构“%(name)s”（统一社会信用代码 %(code)s），"
                                "与本行的统一社会信用代码不一致，请核对。"
                            )
                            % {"name": other.name, "code": other.uscc or _("未填写")},
                        )
            final_uscc = uscc or (target.uscc if target else None)
            uscc_header = ORGANIZATION_HEADERS["uscc"]
            if (
                kind == OrganizationKind.ENTERPRISE
                and not final_uscc
                and not any(problem.column == uscc_header for problem in row.problems)
            ):
                plan.problem(row, "uscc", _("企业必须填写统一社会信用代码。"))
            if row.problems:
                row.action = ERROR
                continue
            self._build(row, Organization, ORG_SCALARS, target, field_ids)

    def _plan_people(
        self, plan: Plan, rows: list[DirectoryRow], org_rows: list[DirectoryRow], existing: list[Organization]
    ) -> None:
        file_by_uscc: dict[str, set[tuple[Any, ...]]] = {}
        file_by_name: dict[str, set[tuple[Any, ...]]] = {}
        file_by_short: dict[str, set[tuple[Any, ...]]] = {}
        for org_row in org_rows:
            if org_row.identity is None:
                continue
            uscc = org_row.values.get("uscc") or (org_row.target.uscc if org_row.target else None)
            if uscc:
                file_by_uscc.setdefault(uscc, set()).add(org_row.identity)
            if org_row.values.get("name"):
                file_by_name.setdefault(org_row.values["name"], set()).add(org_row.identity)
            if org_row.values.get("short_name"):
                file_by_short.setdefault(org_row.values["short_name"], set()).add(org_row.identity)
        db_by_uscc: dict[str, set[tuple[Any, ...]]] = {}
        db_by_name: dict[str, set[tuple[Any, ...]]] = {}
        db_by_short: dict[str, set[tuple[Any, ...]]] = {}
        for org in existing:
            if org.uscc:
                db_by_uscc.setdefault(org.uscc, set()).add(("pk", org.pk))
            db_by_name.setdefault(org.name, set()).add(("pk", org.pk))
            if org.short_name:
                db_by_short.setdefault(org.short_name, set()).add(("pk", org.pk))

        names = sorted({row.values["name"] for row in rows if "name" in row.values})
        existing_people: dict[tuple[int | None, str, str], Person] = {}
        for start in range(0, len(names), self.chunk):
            qs = Person.objects.filter(name__in=names[start : start + self.chunk]).order_by("pk")
            if plan.for_update:
                qs = qs.select_for_update()
            for person in qs:
                existing_people.setdefault(
                    (person.organization_id, person.name, phone_key(person.phone)), person
                )
        field_ids = (
            self._existing_field_ids(Person, "person_id", [p.pk for p in existing_people.values()])
            if any("fields" in r.values for r in rows)
            else {}
        )

        seen: dict[tuple[Any, ...], DirectoryRow] = {}
        seen_target: dict[int, DirectoryRow] = {}
        for row in rows:
            ref = row.values.get("organization_ref")
            org_identity: tuple[Any, ...] | None = None
            if ref:
                code = uscc_rules.normalize(ref)
                if uscc_rules.is_valid(code):
                    candidates = file_by_uscc.get(code, set()) | db_by_uscc.get(code, set())
                    if not candidates:
                        plan.problem(
                            row,
                            "organization_ref",
                            _(
                                "平台和本文件“机构”工作表中都没有统一社会信用代码为 %(code)s 的机构。"
                                "请核对代码，或先在“机构”工作表中添加该机构。"
                            )
                            % {"code": code},
                        )
                else:
                    candidates = file_by_name.get(ref, set()) | db_by_name.get(ref, set())
                    if not candidates:
                        candidates = file_by_short.get(ref, set()) | db_by_short.get(ref, set())
                    if not candidates:
                        plan.problem(
                            row,
                            "organization_ref",
                            _(
                                "平台和本文件“机构”工作表中都找不到机构“%(name)s”。"
                                "请填写机构全称或统一社会信用代码，或先在“机构”工作表中添加该机构。"
                            )
                            % {"name": ref},
                        )
                    elif len(candidates) > 1:
                        plan.problem(
                            row,
                            "organization_ref",
                            _("有 %(n)s 家机构都叫“%(name)s”，请改填统一社会信用代码以区分。")
                            % {"n": len(candidates), "name": ref},
                        )
                if len(candidates) == 1:
                    org_identity = next(iter(candidates))
            row.org_identity = org_identity
            name, phone = row.values.get("name"), row.values.get("phone", "")
            if row.problems or not name:
                row.action = ERROR
                continue
            organization_id = org_identity[1] if org_identity and org_identity[0] == "pk" else None
            target = (
                existing_people.get((organization_id, name, phone))
                if (org_identity is None or org_identity[0] == "pk")
                else None
            )
            key = (org_identity, name, phone)
            first = seen.get(key) or (seen_target.get(target.pk) if target is not None else None)
            if first is not None:
                plan.problem(
                    row,
                    "name",
                    _("与%(where)s是同一人员（所在机构、姓名、手机号都相同），同一人员只能出现一次。")
                    % {"where": row.where(first)},
                )
                row.action = ERROR
                continue
            seen[key] = row
            if target is not None:
                seen_target[target.pk] = row
            row.target = target
            self._build(row, Person, PERSON_SCALARS, target, field_ids)
            if row.action == CREATE and organization_id is not None:
                row.instance.organization_id = organization_id

    def _existing_field_ids(self, model: type[Model], column: str, ids: list[int]) -> dict[int, set[int]]:
        through = model.fields.through  # type: ignore[attr-defined]
        table: dict[int, set[int]] = {pk: set() for pk in ids}
        for start in range(0, len(ids), self.chunk):
            for owner, field_id in through.objects.filter(
                **{f"{column}__in": ids[start : start + self.chunk]}
            ).values_list(column, "technologyfield_id"):
                table.setdefault(owner, set()).add(field_id)
        return table

    def _build(
        self,
        row: DirectoryRow,
        model: type[Model],
        scalars: tuple[str, ...],
        target: Any,
        field_ids: dict[int, set[int]],
    ) -> None:
        values = row.values
        if target is None:
            instance = model(**{key: values[key] for key in scalars if key in values})
            row.action = CREATE
            row.fields = list(values.get("fields") or []) or None
        else:
            instance = target
            for key in scalars:
                if key not in values:
                    continue
                new = values[key]
                if key in _FK_KEYS:
                    changed = getattr(instance, f"{key}_id") != new.pk
                elif key == "qualifications":
                    changed = set(instance.qualifications or []) != set(new)
                else:
                    changed = getattr(instance, key) != new
                if changed:
                    setattr(instance, key, new)
                    row.changes[key] = new
            if "fields" in values and {f.pk for f in values["fields"]} != field_ids.get(target.pk, set()):
                row.fields = list(values["fields"])
                row.changes["fields"] = row.fields
            row.action = UPDATE if row.changes else UNCHANGED
        row.instance = instance
        # Relations were resolved from the lookups; an update checks only what the row changes.
        checked = {key for key in scalars if key in values} if target is not None else None
        exclude = [
            f.name
            for f in model._meta.concrete_fields
            if f.is_relation or (checked is not None and f.name not in checked)
        ]
        try:
            instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            headers = {column.key: column.header for column in self.kind(row.kind).columns}
            for key, messages in error.message_dict.items():
                column_key = key if key in headers else ""
                for message in messages:
                    row.problems.append(
                        Problem(
                            row.sheet,
                            row.row,
                            headers.get(column_key, ""),
                            display_value(row.raw.get(column_key)),
                            message,
                        )
                    )
            row.action = ERROR

    # -- writing ----------------------------------------------------------------------------------------

    def write(self, plan: Plan, actor: Any) -> dict[str, Any]:
        """Organizations first (people may belong to one created by the same file), in bulk."""
        rows: list[DirectoryRow] = plan.rows  # type: ignore[assignment]
        now = timezone.now()
        creator = actor if getattr(actor, "is_authenticated", False) else None
        org_rows = [row for row in rows if row.kind == ORGANIZATIONS]
        person_rows = [row for row in rows if row.kind == PEOPLE]

        new_orgs = [row for row in org_rows if row.action == CREATE]
        for row in new_orgs:
            row.instance.created_by = creator
        Organization.objects.bulk_create([row.instance for row in new_orgs], batch_size=self.chunk)
        self._bulk_update([row for row in org_rows if row.action == UPDATE], Organization, now)
        retire_principals()  # a bulk update sends no signal; the user menu shows organization names
        self._write_fields(org_rows, Organization, "organization_id")

        created_org_ids = {row.identity: row.instance.pk for row in new_orgs}
        for row in person_rows:
            if row.action == CREATE and row.org_identity is not None and row.org_identity[0] == "row":
                row.instance.organization_id = created_org_ids[row.org_identity]
        Person.objects.bulk_create(
            [row.instance for row in person_rows if row.action == CREATE], batch_size=self.chunk
        )
        self._bulk_update([row for row in person_rows if row.action == UPDATE], Person, now)
        self._write_fields(person_rows, Person, "person_id")
        # Bulk writes leave no per-record event, so the import's event names the records it touched.
        touched: dict[str, dict[str, list[int]]] = {}
        for row in rows:
            if row.action in (CREATE, UPDATE):
                bucket = touched.setdefault(row.kind, {"created": [], "updated": []})
                bucket["created" if row.action == CREATE else "updated"].append(row.instance.pk)
        return {"ids": touched}

    def _bulk_update(self, rows: list[DirectoryRow], model: type[Model], now: dt.datetime) -> None:
        # Grouped by the set of changed columns, so no statement writes a column the row did not change.
        groups: dict[tuple[str, ...], list[Model]] = {}
        for row in rows:
            columns = tuple(sorted(name for name in row.changes if name != "fields"))
            row.instance.updated_at = now
            groups.setdefault((*columns, "updated_at"), []).append(row.instance)
        for columns, instances in groups.items():
            model.objects.bulk_update(instances, list(columns), batch_size=self.chunk)  # type: ignore[attr-defined]

    def _write_fields(self, rows: list[DirectoryRow], model: type[Model], column: str) -> None:
        through = model.fields.through  # type: ignore[attr-defined]
        changed = [row for row in rows if row.fields is not None and row.action in (CREATE, UPDATE)]
        updated_ids = [row.instance.pk for row in changed if row.action == UPDATE]
        for start in range(0, len(updated_ids), self.chunk):
            through.objects.filter(**{f"{column}__in": updated_ids[start : start + self.chunk]}).delete()
        links = [
            through(**{column: row.instance.pk, "technologyfield_id": item.pk})
            for row in changed
            for item in row.fields or []
        ]
        through.objects.bulk_create(links, batch_size=self.chunk)


SPEC = DirectoryImport()

# The directory's import as functions, for scripts and tests.
inspect_upload = SPEC.inspect
dry_run = SPEC.dry_run
import_commit = SPEC.commit
store_upload = SPEC.store_upload
load_upload = SPEC.load_upload
