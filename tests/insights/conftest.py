from __future__ import annotations

from typing import Any

import pytest
from insights_helpers import small_district


@pytest.fixture
def district(institute_org: Any, enterprise_org: Any) -> dict[str, Any]:
    return small_district(institute_org, enterprise_org)
