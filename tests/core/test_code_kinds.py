"""One scheme for the codes people read (issue 14 item 5): a distinct prefix per kind of thing, the year
and a sequence; never the primary key, never random."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ImproperlyConfigured

from kechuang.core.codes import CODE_KINDS, next_code, register_code_kinds
from kechuang.transfer.factories import ensure_fields, make_achievement
from kechuang.transfer.models import Achievement


def test_no_two_kinds_share_a_prefix():
    assert len(CODE_KINDS) >= 20
    labels = [label for _scope, label in CODE_KINDS.values()]
    assert len(labels) == len(set(labels))  # each prefix names one kind, each kind has one prefix
    assert CODE_KINDS["SQ"] == ("servicedesk", "企业诉求") and CODE_KINDS["SL"] == ("vouchers", "创新券申领")
    assert CODE_KINDS["JS"] == ("challenges", "揭榜申请") and CODE_KINDS["QK"] == ("vouchers", "结算申请")
    assert all(re.fullmatch(r"[A-Z]{2}", prefix) for prefix in CODE_KINDS)
    with pytest.raises(ImproperlyConfigured, match="编号前缀 SQ 已用于 servicedesk"):
        register_code_kinds("vouchers", {"SQ": "创新券申领"})
    with pytest.raises(ImproperlyConfigured, match="属于 challenges"):
        next_code("vouchers", "JS", width=6)


@pytest.mark.django_db
def test_a_code_follows_its_kind_sequence_not_the_primary_key(institute_org):
    ensure_fields()
    first = make_achievement(institute_org)
    year = first.created_at.year
    assert first.code == f"CG-{year}-000001"
    # a row that took a primary key without a code (as an import or a rolled-back attempt would)
    spare = Achievement.objects.get(pk=first.pk)
    spare.pk, spare.code = None, "tmp-spare"
    spare.save()
    second = make_achievement(institute_org)
    assert second.pk == first.pk + 2
    assert second.code == f"CG-{year}-000002"
