"""An import's check and commit as background tasks (docs/adr/0027; issue: a 20,000-row file took 7–16 s
inside one request with no feedback).

The upload page keeps only the quick checks of the file as a whole (type by content, size, zip bombs,
macros) and answers at once; reading, checking every row and the commit run here, in the task worker,
reporting their progress through ``core.progress``. The commit keeps its all-or-nothing transaction
(``ImportSpec.commit``); a failed task leaves a Chinese message for the uploader, and nothing written.

A task is given the spec by its class path (a spec holds no state of its own), the upload's token and
its uploader; it finds the upload the way the pages do, so a task can touch only its uploader's file.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_tasks import task

from kechuang.core import progress as background

from . import stored
from .files import FileRefused
from .spec import ImportAlreadyCommitted, ImportSpec

logger = logging.getLogger(__name__)

CHECK, COMMIT = "import-check", "import-commit"


def spec_path(spec: ImportSpec) -> str:
    return f"{type(spec).__module__}.{type(spec).__qualname__}"


def load_spec(path: str) -> ImportSpec:
    cls = import_string(path)
    if not (isinstance(cls, type) and issubclass(cls, ImportSpec)):
        raise TypeError(f"{path} is not an import spec")
    return cls()


def _owner(owner_id: int) -> Any:
    return get_user_model().objects.filter(pk=owner_id, is_active=True).first()


def unexpected_check() -> str:
    return _("预检时出现意外错误，没有写入任何数据。请稍后重新上传；如仍失败，请联系系统管理员。")


def unexpected_commit() -> str:
    return _("导入失败，没有写入任何数据。请稍后重试；如仍失败，请联系系统管理员。")


def run_check(spec: ImportSpec, token: str, owner_id: int) -> str:
    """Read and check every row of the stored upload (nothing written); store the result."""
    reporter = background.reporter_for(token)
    if reporter is None:
        return "no-record"
    owner = _owner(owner_id)
    upload = spec.load_upload(token, actor=owner) if owner is not None else None
    if upload is None:
        reporter.fail(_("上传的文件已失效，请重新上传。"))
        return "failed"
    try:
        data = upload.read_bytes()
        info = spec.inspect(upload.filename, data)
        result = spec.dry_run(data, info, kind=upload.kind, title=upload.sheet_title, progress=reporter)
    except FileRefused as error:
        stored.discard_upload(upload)  # a file refused as a whole is not kept (it may hold personal data)
        reporter.fail(str(error), refused=True)
        return "refused"
    except Exception:
        logger.exception("import check failed (%s)", spec.name)
        reporter.fail(unexpected_check())
        return "failed"
    stored.save_result(upload, result)
    reporter.finish(rows=result.total("rows"), problems=result.problem_count)
    return "checked"


def run_commit(spec: ImportSpec, token: str, owner_id: int) -> str:
    """Check the stored upload again and write all of it in one transaction, or nothing."""
    reporter = background.reporter_for(token)
    if reporter is None:
        return "no-record"
    owner = _owner(owner_id)
    upload = spec.load_upload(token, actor=owner) if owner is not None else None
    if upload is None:
        reporter.fail(_("上传的文件已失效，请重新上传。"))
        return "failed"
    try:
        outcome = spec.commit(actor=owner, upload=upload, progress=reporter)
    except ImportAlreadyCommitted:
        reporter.finish(note="already")
        return "already"
    except PermissionDenied as error:
        reporter.fail(str(error) or str(spec.denied_message))
        return "denied"
    except FileRefused as error:
        reporter.fail(str(error))
        return "refused"
    except DatabaseError:
        logger.exception("import commit failed (%s)", spec.name)
        reporter.fail(unexpected_commit())
        return "failed"
    except Exception:
        logger.exception("import commit failed unexpectedly (%s)", spec.name)
        reporter.fail(unexpected_commit())
        return "failed"
    stored.save_result(upload, outcome.result)
    if not outcome.committed:
        reporter.fail(
            _("数据与预检时相比有变化，发现了新的问题，没有写入任何数据。请修改后重新上传。"),
            changed=True,
        )
        return "changed"
    reporter.finish(rows=outcome.result.total("rows"), event=outcome.event_id)
    return "committed"


@task()
def check_import(spec: str, token: str, owner_id: int) -> str:
    return run_check(load_spec(spec), token, owner_id)


@task()
def commit_import(spec: str, token: str, owner_id: int) -> str:
    return run_commit(load_spec(spec), token, owner_id)
