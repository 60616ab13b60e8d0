"""An import described once, run the same way for every module (docs/reliability.md K4, docs/adr/0003).

A module describes its import as a subclass of :class:`ImportSpec`: the kinds of sheet it reads (each with
its columns: Chinese header, Chinese and English aliases, a cell parser, required or not), who may import,
the idempotency key of a row (:meth:`ImportSpec.row_key`: re-importing a file finds every record it
created and creates nothing new), how a row compares with its record, and :meth:`ImportSpec.write`, which
writes the planned rows. The kernel does the rest, the same for every spec:

``inspect`` → ``dry_run`` (read, classify sheets, map headers, parse every cell, plan every row against the
database; nothing written; one :class:`~kechuang.core.importing.report.Problem` per bad cell) →
``commit`` (the service: permission, the same validation again inside one transaction with the matched
rows locked, all or nothing, refused when any row has a problem or the upload was committed before, one
audit event with the counts and the file's SHA-256).

A blank cell leaves the stored value as it is (an import never erases data); columns absent from the file
are not touched either.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kechuang.core import audit, excel
from kechuang.core.models import AuditEvent

from . import files, stored
from .cells import BLANK, CellError, CellParser, display_value, header_key, is_blank
from .files import CheckedFile, FileRefused
from .reader import RawSheet, read_csv, read_xlsx
from .report import MAX_PROBLEMS_KEPT, ImportResult, Problem, SheetSummary
from .stored import StoredUpload

CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"

ImportFileError = FileRefused  # the file as a whole cannot be imported (its message says why)


class ImportAlreadyCommitted(Exception):
    """This upload was committed before (a second click, or a replayed request)."""


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    parse: CellParser
    required: bool = False
    aliases: tuple[str, ...] = ()
    note: str = ""
    text_format: bool = False  # the template formats the column as text (codes, phones)
    width: int = 14


@dataclass(frozen=True)
class SheetKind:
    """One kind of sheet an import reads (机构, 人员, 房源…)."""

    key: str
    label: str  # Chinese; also the sheet's title in the template
    columns: tuple[Column, ...]
    sheet_titles: tuple[str, ...] = ()  # sheet titles that say a sheet is of this kind
    marker_headers: tuple[str, ...] = ()  # headers that say a sheet (or a CSV) is of this kind
    description: str | Promise = ""  # for the upload page
    template_filename: str = ""

    def header_table(self) -> dict[str, Column]:
        table: dict[str, Column] = {}
        for column in self.columns:
            for name in (column.header, *column.aliases):
                table.setdefault(header_key(name), column)
        return table

    def column(self, key: str) -> Column | None:
        return next((column for column in self.columns if column.key == key), None)


@dataclass(frozen=True)
class ImportUrls:
    """URL names of a spec's pages: upload, review (GET the dry run, POST the commit), report, template."""

    start: str
    review: str
    report: str
    template: str

    @classmethod
    def named(cls, namespace: str, *, report: str = "import-report") -> ImportUrls:
        """The usual names in an app's namespace: import-start, import-review, import-template, and the report."""
        return cls(
            start=f"{namespace}:import-start",
            review=f"{namespace}:import-review",
            report=f"{namespace}:{report}",
            template=f"{namespace}:import-template",
        )


@dataclass(eq=False)
class RowPlan:
    """One data row: its parsed values (by column key), raw cells, problems, and what it will do."""

    kind: str
    sheet: str
    row: int
    values: dict[str, Any]
    raw: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    action: str = ""
    target: Any = None  # the existing record, or None
    changes: dict[str, Any] = field(default_factory=dict)  # column key → new value, for an update

    def where(self, other: RowPlan) -> str:
        if other.sheet == self.sheet:
            return _("第 %(row)s 行") % {"row": other.row}
        return _("工作表“%(sheet)s”第 %(row)s 行") % {"sheet": other.sheet, "row": other.row}


class Plan:
    """The rows of one run (a dry run, or the commit's second pass) and what was found."""

    def __init__(self, spec: ImportSpec, *, for_update: bool, progress: Any = None) -> None:
        self.spec = spec
        self.for_update = for_update
        self.progress = progress  # a core.progress.Reporter when run as a background task, else None
        self.rows_total = 0
        self.rows_read = 0
        self.lookups = spec.lookups()
        self.rows: list[RowPlan] = []
        self.sheets: list[SheetSummary] = []
        self.notices: list[str] = []
        self.header_problems: list[Problem] = []
        self.result = ImportResult()

    def problem(self, row: RowPlan, key: str, message: str) -> None:
        column = self.spec.kind(row.kind).column(key)
        row.problems.append(
            Problem(
                row.sheet, row.row, column.header if column else "", display_value(row.raw.get(key)), message
            )
        )

    def add_sheet(self, sheet: RawSheet) -> None:
        """Map the header to columns, then parse every cell of every row."""
        assert sheet.kind is not None
        kind = self.spec.kind(sheet.kind)
        summary = SheetSummary(sheet=sheet.title, kind=kind.key, rows=len(sheet.rows))
        self.sheets.append(summary)
        table = kind.header_table()
        positions: dict[str, int] = {}
        duplicated = False
        for index, cell in enumerate(sheet.header):
            if is_blank(cell):
                continue
            column = table.get(header_key(cell))
            if column is None:
                self.notices.append(
                    _("工作表“%(sheet)s”的第 %(col)s 列“%(name)s”不是模板中的列，导入时忽略。")
                    % {"sheet": sheet.title, "col": index + 1, "name": display_value(cell)}
                )
                continue
            if column.key in positions:
                self.header_problems.append(
                    Problem(
                        sheet.title,
                        1,
                        column.header,
                        display_value(cell),
                        _("第 %(a)s 列和第 %(b)s 列都是“%(name)s”，请删除重复的列。")
                        % {"a": positions[column.key] + 1, "b": index + 1, "name": column.header},
                    )
                )
                duplicated = True
                continue
            positions[column.key] = index
        missing = [
            column.header for column in kind.columns if column.required and column.key not in positions
        ]
        if missing:
            self.header_problems.append(
                Problem(
                    sheet.title,
                    1,
                    "、".join(missing),
                    "",
                    _("缺少必填列：%(names)s。请在第 1 行（表头）加上这些列，或使用导入模板。")
                    % {"names": "、".join(missing)},
                )
            )
        if missing or duplicated:
            summary.error_rows = summary.rows
            return
        columns = {key: kind.column(key) for key in positions}
        for number, cells in sheet.rows:
            self.rows_read += 1
            if self.progress is not None and self.rows_read % 200 == 0:
                self.progress.step(self.rows_read, self.rows_total)
            row = self.spec.row_class(kind=kind.key, sheet=sheet.title, row=number, values={}, raw={})
            for key, index in positions.items():
                column = columns[key]
                assert column is not None
                cell = cells[index] if index < len(cells) else None
                row.raw[key] = cell
                try:
                    value = column.parse(cell, self.lookups)
                except CellError as error:
                    self.problem(row, key, str(error))
                    continue
                if value is BLANK:
                    if column.required:
                        self.problem(
                            row, key, _("%(name)s必须填写（必填项不能为空）。") % {"name": column.header}
                        )
                    continue
                row.values[key] = value
            self.rows.append(row)

    def finish(self) -> ImportResult:
        problems = list(self.header_problems)
        by_sheet = {summary.sheet: summary for summary in self.sheets}
        for row in self.rows:
            summary = by_sheet[row.sheet]
            if row.problems:
                row.action = ERROR
                summary.error_rows += 1
                problems.extend(row.problems)
            elif row.action == CREATE:
                summary.create += 1
            elif row.action == UPDATE:
                summary.update += 1
            elif row.action == UNCHANGED:
                summary.unchanged += 1
        self.result = ImportResult(
            sheets=self.sheets,
            problems=problems[:MAX_PROBLEMS_KEPT],
            notices=self.notices,
            problem_count=len(problems),
        )
        return self.result


@dataclass
class CommitOutcome:
    committed: bool
    result: ImportResult
    event_id: int | None = None


def values_differ(current: Any, new: Any) -> bool:
    """A stored value against an imported one: decimals by value, records by primary key."""
    if isinstance(new, Decimal) and current is not None:
        return Decimal(current) != new
    if hasattr(new, "_meta") and hasattr(new, "pk"):
        return bool(getattr(current, "pk", None) != new.pk)
    return bool(current != new)


class ImportSpec:
    """The description of one import; subclass it, set the class attributes, implement the hooks."""

    name: ClassVar[str]  # stored uploads are bound to it
    action: ClassVar[str]  # the audit action of a commit, e.g. "directory.import"
    kinds: ClassVar[tuple[SheetKind, ...]]
    urls: ClassVar[ImportUrls]
    title: ClassVar[str | Promise]
    short_title: ClassVar[str | Promise] = gettext_lazy("批量导入")
    denied_message: ClassVar[str | Promise] = gettext_lazy("只有运营人员可以批量导入。")
    upload_note: ClassVar[str | Promise] = ""  # a paragraph above the upload form
    kind_help: ClassVar[str | Promise] = ""  # help for the kind choice (specs with several kinds)
    template_note: ClassVar[str] = ""  # the last line of the template's instructions sheet
    template_filename: ClassVar[str] = ""  # the template with every kind (specs with several kinds)
    report_prefix: ClassVar[str] = "错误报告"
    no_sheets_message: ClassVar[str | Promise] = gettext_lazy(
        "文件中没有可导入的工作表。请使用导入模板的表头。"
    )
    unknown_sheet_message: ClassVar[str | Promise] = gettext_lazy("无法识别工作表“%(sheet)s”的内容，已跳过。")
    unknown_csv_message: ClassVar[str | Promise] = gettext_lazy(
        "无法从表头判断 CSV 文件的内容。请使用导入模板的表头。"
    )
    result_links: ClassVar[tuple[tuple[str | Promise, str], ...]] = ()  # (label, URL name) after a commit
    row_class: ClassVar[type[RowPlan]] = RowPlan
    permission: ClassVar[Any]  # staticmethod(a rules predicate or function of the user)
    lookups_class: ClassVar[type | None] = None  # built once per run and handed to the cell parsers
    chunk: ClassVar[int] = 500  # rows per bulk statement and per IN (…) lookup

    # -- who ----------------------------------------------------------------------------------------

    def can_import(self, user: Any) -> bool:
        return bool(self.permission(user))

    # -- kinds --------------------------------------------------------------------------------------

    def kind(self, key: str) -> SheetKind:
        return next(kind for kind in self.kinds if kind.key == key)

    def kind_label(self, key: str) -> str:
        found = next((kind for kind in self.kinds if kind.key == key), None)
        return str(found.label) if found else key

    def kind_by_title(self, title: str) -> str | None:
        if len(self.kinds) == 1:
            return self.kinds[0].key
        key = header_key(title)
        return next(
            (kind.key for kind in self.kinds if key in {header_key(t) for t in kind.sheet_titles}), None
        )

    def detect_kind(self, header: Iterable[Any]) -> str | None:
        if len(self.kinds) == 1:
            return self.kinds[0].key
        keys = {header_key(cell) for cell in header if cell is not None}
        return next(
            (kind.key for kind in self.kinds if keys & {header_key(h) for h in kind.marker_headers}), None
        )

    def lookups(self) -> Any:
        """Small tables the cell parsers need, loaded once per run (None when they need none)."""
        return self.lookups_class() if self.lookups_class is not None else None

    # -- reading ------------------------------------------------------------------------------------

    def inspect(self, filename: str, data: bytes) -> CheckedFile:
        """Check an uploaded import file by its content (the platform's one upload checker)."""
        return files.check(data, name=filename, use=files.TABLES)

    def read(
        self, data: bytes, info: CheckedFile, *, kind: str | None = None, title: str = ""
    ) -> tuple[list[RawSheet], list[str]]:
        chosen = kind if kind in {k.key for k in self.kinds} else None
        sheets: list[RawSheet] = []
        if info.kind == "xlsx":
            read = read_xlsx(data)
            notices = list(read.notices)
            for sheet in read.sheets:
                sheet.kind = self.kind_by_title(sheet.title) or self.detect_kind(sheet.header)
                if sheet.kind is None and chosen and read.worksheet_count == 1:
                    sheet.kind = chosen
                if sheet.kind is None:
                    notices.append(str(self.unknown_sheet_message) % {"sheet": sheet.title})
                    continue
                sheets.append(sheet)
        else:
            text = info.text or files.decode_text(data)
            read = read_csv(text, excel.safe_sheet_title(title or "CSV"))
            notices = list(read.notices)
            sheet = read.sheets[0]
            sheet.kind = chosen or self.detect_kind(sheet.header)
            if sheet.kind is None:
                raise FileRefused(str(self.unknown_csv_message))
            sheets.append(sheet)
        if not sheets:
            raise FileRefused(str(self.no_sheets_message))
        if not any(sheet.rows for sheet in sheets):
            raise FileRefused(_("文件中只有表头，没有数据行。请从第 2 行开始填写数据。"))
        return sheets, notices

    # -- planning -----------------------------------------------------------------------------------

    def build_plan(
        self,
        data: bytes,
        info: CheckedFile,
        *,
        kind: str | None = None,
        title: str = "",
        for_update: bool = False,
        progress: Any = None,
    ) -> Plan:
        """Read and check every row; ``progress`` (a ``core.progress.Reporter``) hears of each phase."""
        if progress is not None:
            progress.phase(_("读取文件"))
        sheets, notices = self.read(data, info, kind=kind, title=title)
        plan = Plan(self, for_update=for_update, progress=progress)
        plan.rows_total = sum(len(sheet.rows) for sheet in sheets)
        if progress is not None:
            progress.phase(_("逐行检查"), total=plan.rows_total)
        plan.notices.extend(notices)
        order = [k.key for k in self.kinds]
        for sheet in sorted(sheets, key=lambda s: order.index(s.kind or order[0])):  # referenced kinds first
            plan.add_sheet(sheet)
        titles = [sheet.title for sheet in sheets]
        plan.sheets.sort(key=lambda summary: titles.index(summary.sheet))
        if progress is not None:
            progress.phase(_("与平台已有记录比对"))
        self.plan_rows(plan)
        plan.finish()
        return plan

    def dry_run(
        self,
        data: bytes,
        info: CheckedFile,
        *,
        kind: str | None = None,
        title: str = "",
        progress: Any = None,
    ) -> ImportResult:
        """Validate every row without writing anything."""
        return self.build_plan(data, info, kind=kind, title=title, progress=progress).result

    def plan_rows(self, plan: Plan) -> None:
        """Decide what every row without a problem does. The default: rows are keyed by
        :meth:`row_key`; a key twice in the file is a problem on the second row; a key found by
        :meth:`existing` is an update (or unchanged, per :meth:`changes`), any other a creation."""
        seen: dict[Hashable, RowPlan] = {}
        keyed: list[tuple[Hashable, RowPlan]] = []
        for row in plan.rows:
            if row.problems:
                continue
            key = self.row_key(row)
            first = seen.get(key)
            if first is not None:
                plan.problem(row, self.key_column(row), self.duplicate_message(row, first))
                continue
            seen[key] = row
            keyed.append((key, row))
        existing = self.existing(list(seen), for_update=plan.for_update) if seen else {}
        for key, row in keyed:
            target = existing.get(key)
            if target is None:
                row.action = CREATE
                continue
            row.target = target
            row.changes = self.changes(target, row)
            row.action = UPDATE if row.changes else UNCHANGED

    def row_key(self, row: RowPlan) -> Hashable:
        """The row's idempotency key: the natural key of the record it creates or updates."""
        raise NotImplementedError

    def key_column(self, row: RowPlan) -> str:
        """The column a duplicate key is reported on."""
        raise NotImplementedError

    def duplicate_message(self, row: RowPlan, first: RowPlan) -> str:
        return _("与%(where)s重复，同一条记录只能出现一次。") % {"where": row.where(first)}

    def existing(self, keys: list[Hashable], *, for_update: bool) -> Mapping[Hashable, Any]:
        """The records already stored under ``keys`` (locked when ``for_update``)."""
        raise NotImplementedError

    def changes(self, target: Any, row: RowPlan) -> dict[str, Any]:
        """What the row would change on its record; by default every parsed value that differs."""
        return {
            key: value
            for key, value in row.values.items()
            if values_differ(getattr(target, key, None), value)
        }

    # -- writing ------------------------------------------------------------------------------------

    def write(self, plan: Plan, actor: Any) -> dict[str, Any]:
        """Write every planned row (inside the commit's transaction); return what the audit event
        should name besides the counts (e.g. the ids or codes touched)."""
        raise NotImplementedError

    def committed_event(self, token: str) -> AuditEvent | None:
        return AuditEvent.objects.filter(action=self.action, object_type=self.action, object_id=token).first()

    def commit(self, *, actor: Any, upload: StoredUpload, progress: Any = None) -> CommitOutcome:
        """Validate the stored file again and, if no row has a problem, write all of it in one transaction.

        Raises PermissionDenied, ImportAlreadyCommitted for a second commit of the same upload, and
        ImportFileError when the stored file is gone or changed. One audit event records the counts,
        the file's SHA-256 and what :meth:`write` returned.
        """
        if not self.can_import(actor):
            raise PermissionDenied(str(self.denied_message))
        data = upload.read_bytes()
        if hashlib.sha256(data).hexdigest() != upload.sha256:
            raise FileRefused(_("上传的文件已失效，请重新上传。"))
        info = self.inspect(upload.filename, data)
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(upload.sha256[:15], 16)])
            if self.committed_event(upload.token) is not None:
                raise ImportAlreadyCommitted
            plan = self.build_plan(
                data, info, kind=upload.kind, title=upload.sheet_title, for_update=True, progress=progress
            )
            if plan.result.has_errors:
                return CommitOutcome(committed=False, result=plan.result)
            if progress is not None:
                progress.phase(_("写入数据（全部成功或全部不写入）"))
            extra = self.write(plan, actor)
            result = plan.result
            counts = result.counts_by_kind()
            zero = {"rows": 0, "created": 0, "updated": 0, "unchanged": 0}
            event = audit.record(
                self.action,
                actor=actor,
                object_type=self.action,
                object_id=upload.token,
                object_repr=upload.filename[:200],
                detail={
                    "filename": upload.filename[:200],
                    "sha256": upload.sha256,
                    "size": upload.size,
                    "rows": result.total("rows"),
                    "created": result.total("create"),
                    "updated": result.total("update"),
                    "unchanged": result.total("unchanged"),
                    **{kind.key: counts.get(kind.key, dict(zero)) for kind in self.kinds},
                    **extra,
                },
            )
        return CommitOutcome(committed=True, result=result, event_id=event.pk)

    # -- stored uploads -----------------------------------------------------------------------------

    def store_upload(
        self, *, actor: Any, filename: str, data: bytes, info: CheckedFile, kind: str | None = None
    ) -> StoredUpload:
        chosen = kind if kind in {k.key for k in self.kinds} else None
        return stored.store_upload(
            actor=actor, spec=self.name, filename=filename, data=data, info=info, kind=chosen
        )

    def load_upload(self, token: str, *, actor: Any) -> StoredUpload | None:
        return stored.load_upload(token, actor=actor, spec=self.name)

    # -- files to download --------------------------------------------------------------------------

    def template_kinds(self) -> dict[str, str]:
        """The templates offered: key → file name (every kind, and "all" for a spec with several)."""
        names = {kind.key: kind.template_filename for kind in self.kinds}
        if len(self.kinds) > 1:
            names["all"] = self.template_filename
        return names

    def template_workbook(self, key: str) -> bytes:
        """An empty template: one sheet per kind with the headers, and a sheet explaining each column."""
        kinds = self.kinds if key == "all" else (self.kind(key),)
        sheets: list[excel.SheetData] = []
        notes: list[list[str]] = []
        for kind in kinds:
            sheets.append(
                excel.SheetData(
                    title=kind.label,
                    header=[column.header for column in kind.columns],
                    widths=[column.width for column in kind.columns],
                    text_columns=[index for index, column in enumerate(kind.columns) if column.text_format],
                )
            )
            notes.extend(
                [kind.label, column.header, "是" if column.required else "", column.note]
                for column in kind.columns
            )
        notes.append(["", "", "", ""])
        notes.append(["", "说明", "", self.template_note])
        sheets.append(
            excel.SheetData(
                title="填写说明",
                header=["工作表", "列", "必填", "填写要求"],
                rows=notes,
                widths=[10, 18, 8, 80],
            )
        )
        return excel.workbook_bytes(sheets)


def error_report_filename(spec: ImportSpec, upload: StoredUpload) -> str:
    return f"{spec.report_prefix}-{upload.filename.rsplit('.', 1)[0]}.xlsx"
