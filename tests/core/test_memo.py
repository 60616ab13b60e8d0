"""``{% memo %}`` (core/templatetags/memo.py, docs/adr/0029-page-speed.md): the page shell's header, menu
bar and footer kept in the process under everything they show."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from kechuang.core.templatetags import memo

pytestmark = pytest.mark.django_db


def _shell(page) -> str:
    """The page without the per-request parts (CSRF tokens, request id)."""
    text = page.content.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    text = re.sub(r'"X-CSRFToken": "[^"]+"', "", text)
    return re.sub(r"[0-9a-f]{32}", "", text)


def _nav(page) -> str:
    text = page.content.decode()
    start = text.index('<ul class="navbar-nav kc-nav-list"')
    return text[start : text.index('class="d-sm-none py-2"', start)]


@pytest.mark.parametrize("who", ["operator", "leader", "commissioner", "enterprise_user", "institute_user"])
def test_a_page_from_the_memo_is_the_page_rendered_afresh(client, request, who):
    client.force_login(request.getfixturevalue(who))
    for url in (reverse("core:home"), reverse("accounts:profile")):
        memo.fragments.clear()
        fresh = _shell(client.get(url))
        assert len(memo.fragments) >= 4
        assert _shell(client.get(url)) == fresh


def test_the_menu_bar_follows_the_role_the_section_and_the_language(client, operator, enterprise_user):
    memo.fragments.clear()
    client.force_login(operator)
    home = _nav(client.get(reverse("core:home")))
    profile = _nav(client.get(reverse("accounts:profile")))
    assert home != profile  # a different entry is active
    assert 'aria-current="page"' in home
    client.force_login(enterprise_user)
    assert _nav(client.get(reverse("core:home"))) != home
    client.force_login(operator)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = _nav(client.get(reverse("core:home")))
    assert english != home and _nav(client.get(reverse("core:home"))) == english


def test_the_user_menu_shows_the_current_name(client, enterprise_user):
    client.force_login(enterprise_user)
    assert "改名之前" not in client.get(reverse("core:home")).content.decode()
    enterprise_user.display_name = "改名之后"
    enterprise_user.save()
    assert '<span class="kc-user-name">改名之后</span>' in client.get(reverse("core:home")).content.decode()


def test_the_table_keeps_the_most_recently_used_entries():
    table = memo._Memo(2)
    table.put(("a",), memo.mark_safe("A"))
    table.put(("b",), memo.mark_safe("B"))
    assert table.get(("a",)) == "A"  # now the most recent
    table.put(("c",), memo.mark_safe("C"))
    assert table.get(("b",)) is None and table.get(("a",)) == "A" and table.get(("c",)) == "C"
    assert len(table) == 2
