"""What a dry run or a commit found, and the Chinese row-level error report (docs/reliability.md K4).

One :class:`Problem` per bad cell: the sheet, the row as Excel shows it, the column's Chinese header, the
raw value (control characters made visible) and a message that says what to fix. The report downloads as
an .xlsx written through ``kechuang.core.excel``, so no cell can be taken for a formula.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from kechuang.core import excel

MAX_PROBLEMS_KEPT = 10000  # problems stored for the review page and the report
REPORT_HEADER = ("工作表", "行号", "列", "值", "问题")


@dataclass(frozen=True)
class Problem:
    """One thing to fix: where (sheet, row as Excel shows it, column header), the value, and how."""

    sheet: str
    row: int
    column: str
    value: str
    message: str


@dataclass
class SheetSummary:
    sheet: str
    kind: str
    rows: int = 0
    create: int = 0
    update: int = 0
    unchanged: int = 0
    error_rows: int = 0


@dataclass
class ImportResult:
    """What a dry run (or a commit) found; serialisable to JSON for the review page."""

    sheets: list[SheetSummary] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    problem_count: int = 0  # may exceed len(problems) when the list was cut

    @property
    def has_errors(self) -> bool:
        return self.problem_count > 0

    def total(self, attribute: str) -> int:
        return sum(getattr(sheet, attribute) for sheet in self.sheets)

    @property
    def totals(self) -> dict[str, int]:
        return {name: self.total(name) for name in ("rows", "create", "update", "unchanged", "error_rows")}

    def counts_by_kind(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for sheet in self.sheets:
            bucket = counts.setdefault(sheet.kind, {"rows": 0, "created": 0, "updated": 0, "unchanged": 0})
            bucket["rows"] += sheet.rows
            bucket["created"] += sheet.create
            bucket["updated"] += sheet.update
            bucket["unchanged"] += sheet.unchanged
        return counts

    def to_json(self) -> str:
        return json.dumps(
            {
                "sheets": [asdict(sheet) for sheet in self.sheets],
                "problems": [asdict(problem) for problem in self.problems],
                "notices": self.notices,
                "problem_count": self.problem_count,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> ImportResult:
        data = json.loads(text)
        return cls(
            sheets=[SheetSummary(**sheet) for sheet in data.get("sheets", [])],
            problems=[Problem(**problem) for problem in data.get("problems", [])],
            notices=list(data.get("notices", [])),
            problem_count=int(data.get("problem_count", 0)),
        )


def error_report_workbook(result: ImportResult) -> bytes:
    """The problems as an .xlsx (工作表, 行号, 列, 值, 问题), and the notices on a second sheet."""
    rows: list[list[Any]] = [[p.sheet, p.row, p.column, p.value, p.message] for p in result.problems]
    if result.problem_count > len(result.problems):
        rows.append(
            [
                "",
                "",
                "",
                "",
                _("另有 %(n)s 个问题未列出，请先修改以上问题后重新预检。")
                % {"n": result.problem_count - len(result.problems)},
            ]
        )
    sheets = [
        excel.SheetData(title="错误报告", header=list(REPORT_HEADER), rows=rows, widths=[12, 8, 18, 30, 80])
    ]
    if result.notices:
        sheets.append(
            excel.SheetData(title="提示", header=["提示"], rows=[[n] for n in result.notices], widths=[100])
        )
    return excel.workbook_bytes(sheets)
