"""IP fixtures: an institute whose technology transfer office manages its patents, an enterprise."""

from __future__ import annotations

import pytest

from kechuang.accounts.choices import Role
from kechuang.testing.factories import InstituteFactory, OrganizationFactory, user_with_role


@pytest.fixture
def holder(db):
    return InstituteFactory(name="中国科学院上海微系统与信息技术研究所", short_name="上海微系统所")


@pytest.fixture
def tto(holder):
    return user_with_role(Role.INSTITUTE, holder, username="tto")


@pytest.fixture
def other_institute(db):
    return InstituteFactory(name="中国科学院上海光学精密机械研究所", short_name="上海光机所")


@pytest.fixture
def other_tto(other_institute):
    return user_with_role(Role.INSTITUTE, other_institute, username="tto2")


@pytest.fixture
def licensee(db):
    return OrganizationFactory(name="上海菊园传感科技有限公司")


@pytest.fixture
def licensee_user(licensee):
    return user_with_role(Role.ENTERPRISE, licensee, username="buyer")
