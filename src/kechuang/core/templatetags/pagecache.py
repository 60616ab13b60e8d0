"""``{% pagecache "name" vary… %}…{% endpagecache %}``: a template fragment that is the same for every viewer
who gets the same rows, kept in the shared cache until the next write (docs/adr/0029-page-speed.md).

A list page's rows (twenty cards or table rows, each with links, badges and formatted amounts) and its
filter form (a select of every technology field) cost most of the page's time to render, and they depend
only on which rows the viewer's query returned, the page's query string and the language. The fragment is
filed under the data generation of ``core.figures`` (any committed write anywhere retires it; rendered once
when several requests miss it together, as ``cached_figures`` does), the language
and the ``vary`` values: a page or list of model objects varies by their primary keys in order (the
visibility check stays in the query, which still runs), anything else by its text. Nothing in a cached
fragment may depend on the viewer beyond the rows: no user, permission or CSRF token inside.
``INSIGHTS_CACHE_SECONDS`` bounds its age (0, as in the tests, renders every time).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from django import template
from django.conf import settings
from django.core.paginator import Page
from django.db.models import Model, QuerySet
from django.utils.translation import get_language

from kechuang.core.figures import cached_figures, kept_pks

register = template.Library()


def vary_text(value: Any) -> str:
    """What a vary value contributes to the key."""
    if isinstance(value, Page):
        return f"page {value.number}/{value.paginator.num_pages}:{_rows_text(value.object_list)}"
    if isinstance(value, Model):
        return f"{value._meta.label}:{value.pk}"
    if isinstance(value, Iterable) and not isinstance(value, str | bytes | dict):
        return "[" + ",".join(vary_text(item) for item in value) + "]"
    return str(value)


def _rows_text(rows: Any) -> str:
    """A page's rows as keys: a queryset not read yet contributes its primary keys from one narrow query
    (the fragment, when it is found, then never loads the rows, their related rows or prefetches); the
    text is the same as for the loaded rows. A plain DISTINCT keeps its meaning (the primary key makes every
    row distinct; the ordering columns Django adds to the select are not returned); DISTINCT ON is read
    as it is."""
    if isinstance(rows, QuerySet) and rows._result_cache is None and not rows.query.distinct_fields:
        label = rows.model._meta.label
        keys = kept_pks(rows.prefetch_related(None))  # the same query's keys, kept until the next write
        return "[" + ",".join(f"{label}:{pk}" for pk in keys) + "]"
    return vary_text(rows)


class PageCacheNode(template.Node):
    def __init__(self, name: str, vary: list[Any], nodelist: template.NodeList) -> None:
        self.name = name
        self.vary = vary
        self.nodelist = nodelist

    def render(self, context: template.Context) -> str:
        seconds = int(getattr(settings, "INSIGHTS_CACHE_SECONDS", 60))
        if not seconds:
            return self.nodelist.render(context)
        parts = [self.name, get_language() or "-", *(vary_text(v.resolve(context)) for v in self.vary)]
        digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
        # cached_figures: under the data generation, and rendered once when many requests miss together
        # (the fragments of a busy page expire at the same moment: docs/adr/0029-page-speed.md)
        return cached_figures(f"fragment:{self.name}:{digest}", lambda: str(self.nodelist.render(context)))


def parse_keyed_block(
    parser: template.base.Parser, token: template.base.Token
) -> tuple[str, list[Any], template.NodeList]:
    """``{% tag "name" vary… %}…{% endtag %}``: the name, the vary expressions and the enclosed nodes
    (``pagecache`` here, ``memo`` in memo.py)."""
    bits = token.split_contents()
    tag = bits[0]
    if len(bits) < 2:
        raise template.TemplateSyntaxError(f'{{% {tag} "name" vary… %}} needs a name')
    vary = [parser.compile_filter(bit) for bit in bits[2:]]
    nodelist = parser.parse((f"end{tag}",))
    parser.delete_first_token()
    return bits[1].strip("\"'"), vary, nodelist


@register.tag("pagecache")
def do_pagecache(parser: template.base.Parser, token: template.base.Token) -> PageCacheNode:
    return PageCacheNode(*parse_keyed_block(parser, token))
