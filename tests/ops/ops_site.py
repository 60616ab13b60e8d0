"""The production site the operations tests share (built by tests/ops/conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ops_helpers import Server

PASSWORD = "Juyuan-Production-Test-2026"

# Demo accounts become ordinary accounts (a demo account cannot sign in outside demo mode, A4), and
# each role's main pages are listed: the load harness's list (its menu and extras) for every role.
PREPARE_ACCOUNTS = """
import json, django
django.setup()
from django.contrib.auth.models import AnonymousUser
from kechuang.accounts.models import User
from kechuang.accounts.roles import navigation_for
from kechuang.directory.demo.accounts import DEMO_ACCOUNTS
from kechuang.insights.management.commands.load_test import _pages_of
User.objects.filter(username__in=[a.username for a in DEMO_ACCOUNTS]).update(is_demo=False)
roles = {a.username: str(a.role) for a in DEMO_ACCOUNTS}
pages = {u: _pages_of(User.objects.get(username=u), r) for u, r in roles.items()}
pages[""] = [item["url"] for item in navigation_for(AnonymousUser())]
print(json.dumps({"roles": roles, "pages": pages}))
"""


@dataclass
class ProductionHome:
    """A data folder and database with the demo data, its accounts usable, the static files collected."""

    home: Path
    env: dict[str, str]  # the installation's environment (ops_helpers.platform_env)
    prepared_in: float
    collectstatic_in: float


@dataclass
class ProductionSite:
    home: Path
    env: dict[str, str]
    server: Server
    roles: dict[str, str]  # username: role
    menu_pages: dict[str, list[str]]  # username ("" for anonymous): the load harness's main pages
    prepared_in: float
    collectstatic_in: float
