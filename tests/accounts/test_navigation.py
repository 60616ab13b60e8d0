"""The bar each role sees (issue 14 item 4): grouped by task, about seven entries for any role, every
menu entry the role may open reachable in exactly one group, the section one is in highlighted."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from kechuang.accounts.choices import Role
from kechuang.accounts.roles import NAV_GROUPS, navigation_for, navigation_groups_for
from kechuang.testing.factories import OrganizationFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_each_role_sees_at_most_eight_entries_and_every_page_in_one_of_them(role):
    user = user_with_role(role, OrganizationFactory(), username=f"nav-{role}")
    flat = navigation_for(user)
    bar = navigation_groups_for(user, "/")
    assert 1 <= len(bar) <= 8, [entry["label"] for entry in bar]  # 首页 and at most seven task groups
    listed = [item["url"] for entry in bar for item in entry["items"]]
    assert sorted(listed) == sorted(item["url"] for item in flat)  # nothing lost, nothing twice
    for entry in bar:
        assert bool(entry["url"]) == (len(entry["items"]) == 1)  # one entry: a link; several: a menu
    labels = [str(entry["label"]) for entry in bar]
    assert len(labels) == len(set(labels))


def test_the_section_one_is_in_is_highlighted_and_only_its_closest_entry():
    operator = user_with_role(Role.OPERATOR, OrganizationFactory(), username="nav-op")
    bar = {entry["key"]: entry for entry in navigation_groups_for(operator, "/transfer/matching/")}
    assert bar["transfer"]["active"] and not bar["core:home"]["active"]
    assert [item["label"] for item in bar["transfer"]["items"] if item["active"]] == ["推荐匹配"]
    assert not any(entry["active"] for key, entry in bar.items() if key != "transfer")
    spaces = {e["key"]: e for e in navigation_groups_for(operator, "/spaces/requests/5/")}["spaces"]
    assert [str(item["label"]) for item in spaces["items"] if item["active"]] == [
        "用房需求"
    ]  # not 房源 (/spaces/)
    home = {e["key"]: e for e in navigation_groups_for(operator, "/")}
    assert home["core:home"]["active"] and not home["transfer"]["active"]


def test_a_group_with_one_entry_for_the_role_is_a_plain_link_named_after_it():
    leader = user_with_role(Role.LEADER, OrganizationFactory(), username="nav-lead")
    manage = {e["key"]: e for e in navigation_groups_for(leader, "/")}["manage"]
    assert (str(manage["label"]), manage["url"]) == ("五大高地", "/insights/")


def test_anonymous_visitors_see_the_public_pages_only():
    labels = {str(e["label"]) for e in navigation_groups_for(AnonymousUser(), "/")}
    assert "运营管理" not in labels and "企业服务" not in labels
    assert {g.key for g in NAV_GROUPS} >= {"district", "transfer"}
