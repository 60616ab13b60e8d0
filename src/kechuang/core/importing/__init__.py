"""The importer and the upload checker, shared by every module (docs/adr/0003, docs/reliability.md K3 and K4).

- ``files``: the one upload checker (type by content, limits from settings, zip bombs, OLE macros by the
  directory), used by attachments (``kechuang.core.uploads``) and imports alike;
- ``cells``: cell parsers (text, codes, integers, decimals, money in fen, dates, phones, booleans,
  e-mail, choices) with full-width normalisation and Chinese messages;
- ``reader``: .xlsx (openpyxl, read-only) and CSV (UTF-8 with or without BOM, GB18030) into raw sheets;
- ``report``: problems, results and the downloadable error report;
- ``stored``: the uploaded file kept between the dry run and the commit, tied to its uploader, expiring;
- ``spec``: :class:`ImportSpec`, the typed description of one import, and the pipeline that runs it;
- ``views``: the upload, review/commit, report and template pages, driven by a spec.

A module's import is a spec (``directory.importing``, ``spaces.importing``); nothing here imports a
domain app.
"""

from .files import CheckedFile, FileRefused
from .report import ImportResult, Problem, SheetSummary
from .spec import (
    CREATE,
    ERROR,
    UNCHANGED,
    UPDATE,
    Column,
    CommitOutcome,
    ImportAlreadyCommitted,
    ImportFileError,
    ImportSpec,
    ImportUrls,
    Plan,
    RowPlan,
    SheetKind,
)
from .stored import StoredUpload

__all__ = [
    "CREATE",
    "ERROR",
    "UNCHANGED",
    "UPDATE",
    "CheckedFile",
    "Column",
    "CommitOutcome",
    "FileRefused",
    "ImportAlreadyCommitted",
    "ImportFileError",
    "ImportResult",
    "ImportSpec",
    "ImportUrls",
    "Plan",
    "Problem",
    "RowPlan",
    "SheetKind",
    "SheetSummary",
    "StoredUpload",
]
