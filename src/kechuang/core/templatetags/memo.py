"""``{% memo "name" vary… %}…{% endmemo %}``: a fragment of the page shell kept in this process, keyed by
what it shows (docs/adr/0029-page-speed.md, "the signed-in page's fixed cost").

Every page renders the same header, menu bar and footer around its content. For one role on one section
of the site they are the same string every time, yet rendering them through the template engine costs
about as much as a small page's own content. A ``memo`` fragment is rendered once per distinct key and
then served from a small bounded table in the process: the key is the fragment's name, the active
language and the text of every ``vary`` value. Since the key is made of everything the fragment shows,
there is nothing to retire: a changed name or a changed menu is a new key, and the old entry ages out.

Rule for a fragment: it may show only constants of the code, translated strings, and the ``vary`` values
(and what follows from them alone, such as a URL reversed from a constant name). No CSRF token, no
request path, no database read, no clock (vary by the year if it shows one). A model object given as a
``vary`` value contributes only its label and primary key (``pagecache.vary_text``): vary by the fields
the fragment shows (``user|stringformat:"s"``, ``organization.name``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from .pagecache import parse_keyed_block, vary_text

register = template.Library()

MEMO_ENTRIES = 2048  # a role set × section × language each; the oldest goes first


class _Memo:
    """A bounded least-recently-used table of rendered fragments, safe across a worker's threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._table: OrderedDict[tuple[str, ...], SafeString] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...]) -> SafeString | None:
        with self._lock:
            value = self._table.get(key)
            if value is not None:
                self._table.move_to_end(key)
            return value

    def put(self, key: tuple[str, ...], value: SafeString) -> None:
        with self._lock:
            self._table[key] = value
            self._table.move_to_end(key)
            while len(self._table) > self.size:
                self._table.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._table.clear()

    def __len__(self) -> int:
        return len(self._table)


fragments = _Memo(MEMO_ENTRIES)


class MemoNode(template.Node):
    def __init__(self, name: str, vary: list[Any], nodelist: template.NodeList) -> None:
        self.name = name
        self.vary = vary
        self.nodelist = nodelist

    def render(self, context: template.Context) -> str:
        key = (self.name, get_language() or "-", *(vary_text(v.resolve(context)) for v in self.vary))
        value = fragments.get(key)
        if value is None:
            value = mark_safe(self.nodelist.render(context))  # the template engine escaped it already
            fragments.put(key, value)
        return value


@register.tag("memo")
def do_memo(parser: template.base.Parser, token: template.base.Token) -> MemoNode:
    return MemoNode(*parse_keyed_block(parser, token))
