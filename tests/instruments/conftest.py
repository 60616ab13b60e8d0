"""Instruments fixtures: an institute owning instruments, its staff, enterprises that book them."""

from __future__ import annotations

import pytest
from instruments_helpers import make_instrument

from kechuang.accounts.choices import Role
from kechuang.instruments.choices import ApprovalRule
from kechuang.testing.factories import InstituteFactory, user_with_role


@pytest.fixture
def owner_org(db):
    return InstituteFactory(name="中国科学院上海微系统与信息技术研究所")


@pytest.fixture
def owner_user(owner_org):
    return user_with_role(Role.INSTITUTE, owner_org, username="lab")


@pytest.fixture
def other_institute_user(db):
    return user_with_role(
        Role.INSTITUTE, InstituteFactory(name="中国科学院上海光学精密机械研究所"), username="optics"
    )


@pytest.fixture
def instrument(owner_org):
    return make_instrument(owner_org)


@pytest.fixture
def trained_only(owner_org):
    return make_instrument(owner_org, name="透射电子显微镜", rule=ApprovalRule.TRAINED)


@pytest.fixture
def owner_approves(owner_org):
    return make_instrument(owner_org, name="半导体参数分析仪与探针台", rule=ApprovalRule.OWNER)


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
