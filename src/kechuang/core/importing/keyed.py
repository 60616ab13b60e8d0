"""One sheet of one model whose rows are keyed by (a parent record named in the row, a text column):
units by (楼宇, 单元号), instruments by (所属单位, 仪器名称) (docs/adr/0003).

What such imports share and so live here once: a cell that names a record of a lookup table
(:func:`lookup_cell`), the lookup tables themselves (:func:`index_by`), and :class:`KeyedImport`, whose
key, duplicate message, stored records and changed scalars come from a few class attributes, and whose
updates of scalar fields are written by :meth:`KeyedImport.save_scalars`. A module's spec names its
model, key fields and scalars, and writes its creations.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import Any, ClassVar

from django.db.models import Model, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from .cells import BLANK, CellError, CellParser, loose_key, parse_code
from .spec import ImportSpec, RowPlan, values_differ


def index_by(items: Iterable[Any], *attributes: str) -> dict[str, Any]:
    """A lookup table from the loose key of each attribute to its record. Earlier attributes win over
    later ones for every record (a code is never shadowed by another record's name), and the first
    record wins within one attribute."""
    records = list(items)
    table: dict[str, Any] = {}
    for attribute in attributes:
        for record in records:
            value = getattr(record, attribute, "")
            if value:
                table.setdefault(loose_key(str(value)), record)
    return table


def lookup_cell(table: str, what: str, max_length: int, message: str | Promise | None = None) -> CellParser:
    """A cell naming a record of the run's lookups (``lookups.<table>``, built with :func:`index_by`);
    ``message`` (with ``%(value)s``, and ``%(what)s``) refuses a name that is not there."""
    code = parse_code(max_length, what)

    def parse(raw: Any, lookups: Any) -> Any:
        text = code(raw, lookups)
        if text is BLANK:
            return BLANK
        found = getattr(lookups, table).get(loose_key(text))
        if found is None:
            template = message or _("找不到%(what)s“%(value)s”，请填写平台中已登记的名称或编码。")
            raise CellError(str(template) % {"what": what, "value": text})
        return found

    return parse


class KeyedImport(ImportSpec):
    """An import of one model keyed by ``(parent_field, key_field)``: the parent is a record a lookup
    cell found, the key a text column unique within the parent. ``scalars`` are the fields a row may
    change on a stored record (a blank optional cell changes nothing)."""

    model: ClassVar[type[Model]]
    parent_field: ClassVar[str]
    key_field: ClassVar[str]
    scalars: ClassVar[tuple[str, ...]]
    duplicate_text: ClassVar[str | Promise]  # with %(where)s: "与第 3 行重复（同一楼宇、同一单元号）。"

    def row_key(self, row: RowPlan) -> Hashable:
        return (row.values[self.parent_field].pk, row.values[self.key_field])

    def key_column(self, row: RowPlan) -> str:
        return self.key_field

    def duplicate_message(self, row: RowPlan, first: RowPlan) -> str:
        return str(self.duplicate_text) % {"where": row.where(first)}

    def stored(self) -> QuerySet[Any]:
        """The records the rows are matched against (a spec may prefetch what :meth:`changes` reads)."""
        return self.model._default_manager.all()

    def existing(self, keys: list[Hashable], *, for_update: bool) -> Mapping[Hashable, Any]:
        parent_ids = sorted({key[0] for key in keys})  # type: ignore[index]
        parent_id = f"{self.parent_field}_id"
        records = self.stored().filter(**{f"{parent_id}__in": parent_ids}).order_by("pk")
        if for_update:
            records = records.select_for_update()
        return {(getattr(record, parent_id), getattr(record, self.key_field)): record for record in records}

    def changes(self, target: Any, row: RowPlan) -> dict[str, Any]:
        return {
            key: value
            for key, value in row.values.items()
            if key in self.scalars and values_differ(getattr(target, key), value)
        }

    def scalar_values(self, row: RowPlan) -> dict[str, Any]:
        """The scalar fields a new record gets from its row (blank cells left to the model's defaults)."""
        return {
            name: row.values[name]
            for name in self.scalars
            if name in row.values and row.values[name] is not BLANK
        }

    def save_scalars(self, row: RowPlan) -> bool:
        """Write the row's changed scalar fields onto its stored record; whether anything was written."""
        scalars = {key: value for key, value in row.changes.items() if key in self.scalars}
        for name, value in scalars.items():
            setattr(row.target, name, value)
        if scalars:
            row.target.save(update_fields=[*scalars, "updated_at"])
        return bool(scalars)
