"""Pickers for long lists (issue 14 item 6; docs/adr/0023-pickers.md): a plain ``<select>`` that
static/kechuang/pickers.js turns into a searchable Tom Select (vendored under static/vendor/tom-select,
nothing fetched at run time).

Progressive enhancement: without JavaScript the select is an ordinary select with every choice, and with
it the chosen values are still posted as the select's own values, so forms and services do not change.
The kernel knows no domain model: grouping, keywords and the API's list URL come from the form.

- ``SearchSelect`` / ``SearchSelectMultiple``: local search over the rendered options, optionally in
  ``<optgroup>`` groups (``group=``) and with extra words to match (``keywords=``, e.g. synonyms).
- ``RemoteSearchSelect`` / ``RemoteSearchSelectMultiple``: the options come from an API list endpoint
  (``url_name``, searched with ``?q=``); ``text`` names the answer's keys joined into an option's text,
  ``labels`` maps codes in those keys to display names (a title's label, a field code's name).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def _texts() -> dict[str, str]:
    return {
        "data-kc-picker-placeholder": str(_("输入名称搜索")),
        "data-kc-picker-empty": str(_("没有匹配的结果")),
        "data-kc-picker-loading": str(_("正在搜索…")),
        "data-kc-picker-remove": str(_("移除")),
    }


class SearchSelect(forms.Select):
    """A select searched in the browser (its rendered options); ``SearchSelectMultiple`` for many."""

    def __init__(
        self,
        attrs: dict[str, Any] | None = None,
        choices: Iterable[Any] = (),
        *,
        group: Callable[[Any], str | None] | None = None,
        keywords: Callable[[Any], str] | None = None,
    ) -> None:
        super().__init__(attrs, choices)
        self.group = group
        self.keywords = keywords

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context(name, value, attrs)
        context["widget"]["attrs"].update({"data-kc-picker": "local", **_texts()})
        return context

    def create_option(
        self,
        name: str,
        value: Any,
        label: int | str,
        selected: bool,
        index: int,
        subindex: int | None = None,
        attrs: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None and self.keywords is not None:
            words = self.keywords(instance)
            if words:
                option["attrs"]["data-keywords"] = words
        return option

    def optgroups(self, name: str, value: list[str], attrs: dict[str, Any] | None = None) -> list[Any]:
        if self.group is None:
            groups_: list[Any] = super().optgroups(name, value, attrs)
            return groups_
        # flat choices (a model choice field), grouped here by their instance
        groups: dict[str | None, list[Any]] = {}
        first_index: dict[str | None, int] = {}
        has_selected = False
        for index, (option_value, option_label) in enumerate(self.choices):
            option_value = "" if option_value is None else option_value
            instance = getattr(option_value, "instance", None)
            group_name = self.group(instance) if instance is not None else None
            selected = str(option_value) in value and (not has_selected or self.allow_multiple_selected)
            has_selected |= selected
            first_index.setdefault(group_name, index)
            groups.setdefault(group_name, []).append(
                self.create_option(name, option_value, str(option_label), selected, index, attrs=attrs)
            )
        return [(group_name, options, first_index[group_name]) for group_name, options in groups.items()]


class SearchSelectMultiple(SearchSelect, forms.SelectMultiple):
    pass


class RemoteSearchSelect(forms.Select):
    """A select whose options come from an API list endpoint; ``RemoteSearchSelectMultiple`` for many."""

    def __init__(
        self,
        attrs: dict[str, Any] | None = None,
        choices: Iterable[Any] = (),
        *,
        url_name: str,
        params: Mapping[str, str] | None = None,
        text: Iterable[str] = ("name",),
        labels: Callable[[], Mapping[str, Mapping[str, str]]] | None = None,
    ) -> None:
        super().__init__(attrs, choices)
        self.url_name = url_name
        self.params = dict(params or {})
        self.text = tuple(text)
        self.labels = labels

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context(name, value, attrs)
        url = reverse(self.url_name)
        if self.params:
            url = f"{url}?{urlencode(self.params)}"
        labels = self.labels() if self.labels is not None else {}
        context["widget"]["attrs"].update(
            {
                "data-kc-picker": "remote",
                "data-kc-picker-url": url,
                "data-kc-picker-text": " ".join(self.text),
                "data-kc-picker-labels": json.dumps(
                    {key: {str(k): str(v) for k, v in mapping.items()} for key, mapping in labels.items()},
                    ensure_ascii=False,
                ),
                **_texts(),
            }
        )
        return context


class RemoteSearchSelectMultiple(RemoteSearchSelect, forms.SelectMultiple):
    pass
