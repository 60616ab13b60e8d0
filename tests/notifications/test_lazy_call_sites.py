"""Every notification is written in its reader's language (ADR 0015), so no module may hand
``notification_send`` text already translated in the sender's language: no ``_("…") % {…}`` (a lazy
string's ``%`` translates at once) and no eager ``gettext`` for a title or body. The source is read,
so a new call site is checked the day it is written."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "kechuang"
EAGER = {"gettext", "ugettext", "pgettext", "ngettext"}


def _eager_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            for alias in node.names:
                if alias.name in EAGER:
                    names.add(alias.asname or alias.name)
    return names


def _is_send(call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id == "notification_send"
    if isinstance(func, ast.Attribute):
        return func.attr == "notification_send" or (
            func.attr == "send" and isinstance(func.value, ast.Name) and func.value.id == "notify"
        )
    return False


def _expressions(value: ast.expr, assigned: dict[str, list[ast.expr]]) -> list[ast.expr]:
    if isinstance(value, ast.Name) and value.id in assigned:
        return [e for v in assigned[value.id] for e in _expressions(v, {})]
    if isinstance(value, ast.IfExp):
        return _expressions(value.body, assigned) + _expressions(value.orelse, assigned)
    return [value]


def _problems(source: str, name: str) -> list[str]:
    tree = ast.parse(source)
    eager = _eager_names(tree)
    found = []
    for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        assigned: dict[str, list[ast.expr]] = {}
        for node in ast.walk(function):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        assigned.setdefault(target.id, []).append(node.value)
        for call in (n for n in ast.walk(function) if isinstance(n, ast.Call) and _is_send(n)):
            for keyword in call.keywords:
                if keyword.arg not in ("title", "body"):
                    continue
                for expression in _expressions(keyword.value, assigned):
                    where = f"{name}:{expression.lineno} {keyword.arg}"
                    if isinstance(expression, ast.BinOp) and isinstance(expression.op, ast.Mod):
                        found.append(f"{where}: '%' translates in the sender's language; use lazy_text")
                    elif (
                        isinstance(expression, ast.Call)
                        and isinstance(expression.func, ast.Name)
                        and expression.func.id in eager
                    ):
                        found.append(f"{where}: eager gettext; use gettext_lazy")
    return found


@pytest.mark.slow
def test_no_call_site_translates_notification_text_in_the_senders_language():
    problems = [
        problem
        for path in sorted(SRC.rglob("*.py"))
        if "migrations" not in path.parts
        for problem in _problems(path.read_text(encoding="utf-8"), str(path.relative_to(SRC)))
    ]
    assert problems == []


def test_the_check_finds_eager_text():
    source = (
        "from django.utils.translation import gettext as _\n"
        "def f(notify, x):\n"
        "    title = _('新诉求 %(code)s') % {'code': x}\n"
        "    notify.send([], kind='k', title=title, body=_('正文'))\n"
    )
    assert len(_problems(source, "probe.py")) == 2
