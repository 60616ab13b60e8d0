"""The bar of every role at 1440 px and 390 px (issue 14 item 4): task groups that fit on one line at
1440 px (nothing pushed into "更多"), every entry the role uses reachable by opening its group, the
section one is in highlighted, and at 390 px the same groups behind the menu button.

Screenshots: test-artifacts/screenshots/test_navigation_*.png.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kechuang.accounts.choices import Role
from kechuang.accounts.roles import navigation_groups_for
from kechuang.testing.factories import OrganizationFactory, user_with_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLES = [
    Role.OPERATOR,
    Role.LEADER,
    Role.COMMISSIONER,
    Role.ENTERPRISE,
    Role.INSTITUTE,
    Role.PROVIDER,
    Role.EXPERT,
]


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_every_role_reaches_its_pages_from_the_bar_at_1440_and_390_px(page, shot, login, role):
    user = user_with_role(role, OrganizationFactory(), username=f"nav{role.value}")
    bar = navigation_groups_for(user, "/")

    page.set_viewport_size({"width": 1440, "height": 900})
    login(page, user.username)
    nav = page.get_by_test_id("main-nav")
    expect(nav.locator(".kc-nav-more")).to_have_count(0)  # everything fits on one line
    for entry in bar:
        top = nav.locator(f"[data-nav='{entry['key']}'] > a")
        expect(top).to_be_visible()
        expect(top).to_have_text(str(entry["label"]))
    menus = [entry for entry in bar if not entry["url"]]
    if menus:  # open the largest group: each of its entries is one click away
        largest = max(menus, key=lambda e: len(e["items"]))
        nav.locator(f"[data-nav='{largest['key']}'] > a").click()
        for item in largest["items"]:
            expect(
                nav.locator(f"[data-nav='{largest['key']}'] .dropdown-item[href='{item['url']}']")
            ).to_be_visible()
        shot(f"{role.value}-1440-menu-open", full_page=False)
        target = largest["items"][-1]
        nav.locator(f"[data-nav='{largest['key']}'] .dropdown-item[href='{target['url']}']").click()
        expect(nav.locator(f"[data-nav='{largest['key']}'] > a")).to_have_class(
            "nav-link dropdown-toggle active"
        )  # the section one is in

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    # the platform's whole name (its text, not only its box) clears the bell
    name = page.locator(".kc-brand-name")
    text_right = name.evaluate("e => e.getBoundingClientRect().left + e.scrollWidth")
    bell = page.get_by_test_id("notification-bell").bounding_box()
    assert bell and text_right <= bell["x"], (name.inner_text(), text_right, bell)
    page.locator(".kc-nav-toggler").click()
    for entry in bar:
        expect(nav.locator(f"[data-nav='{entry['key']}'] > a")).to_be_visible()
    shot(f"{role.value}-390-menu", full_page=False)
