"""The pickers' widgets render plain selects (usable without JavaScript) with the data attributes that
static/kechuang/pickers.js reads (issue 14 item 6)."""

from __future__ import annotations

import json

import pytest
from django import forms

from kechuang.core.widgets import RemoteSearchSelect, SearchSelectMultiple
from kechuang.directory.models import Organization, TechnologyField
from kechuang.directory.pickers import field_picker, person_picker, technology_fields
from kechuang.testing.factories import OrganizationFactory


def test_local_picker_renders_a_plain_select_with_its_texts() -> None:
    class Form(forms.Form):
        colour = forms.MultipleChoiceField(
            choices=[("r", "红"), ("g", "绿")], widget=SearchSelectMultiple(attrs={"size": 4})
        )

    html = str(Form(initial={"colour": ["g"]})["colour"])
    assert html.startswith('<select name="colour"')
    assert "multiple" in html and 'size="4"' in html
    assert 'data-kc-picker="local"' in html
    assert 'data-kc-picker-placeholder="输入名称搜索"' in html
    assert 'data-kc-picker-empty="没有匹配的结果"' in html
    assert '<option value="r">红</option>' in html
    assert '<option value="g" selected>绿</option>' in html


@pytest.mark.django_db
def test_field_picker_groups_fields_under_their_cluster_with_keywords() -> None:
    cluster = TechnologyField.objects.create(code="ZZ", name="未来测试", sort_order=99)
    leaf = TechnologyField.objects.create(
        code="ZZ01", name="测试传感", parent=cluster, keywords="MEMS 微机电"
    )

    class Form(forms.Form):
        fields = forms.ModelMultipleChoiceField(queryset=technology_fields(), widget=field_picker())

    html = str(Form(initial={"fields": [leaf.pk]})["fields"])
    assert '<optgroup label="未来测试">' in html
    group = html.split('<optgroup label="未来测试">')[1].split("</optgroup>")[0]
    assert f'<option value="{cluster.pk}">未来测试</option>' in group
    assert f'<option value="{leaf.pk}" selected data-keywords="MEMS 微机电">测试传感</option>' in group


@pytest.mark.django_db
def test_remote_pickers_name_the_api_and_keep_every_choice_for_plain_forms() -> None:
    organization = OrganizationFactory(name="上海测试精密仪器有限公司")

    class Form(forms.Form):
        seller = forms.ModelChoiceField(
            queryset=Organization.objects.all(),
            widget=RemoteSearchSelect(url_name="organization-list", params={"kind": "institute"}),
        )
        experts = forms.ModelMultipleChoiceField(
            queryset=Organization.objects.none(), widget=person_picker(experts=True, multiple=True)
        )

    form = Form()
    seller = str(form["seller"])
    assert 'data-kc-picker="remote"' in seller
    assert 'data-kc-picker-url="/api/v1/organizations/?kind=institute"' in seller
    assert f'<option value="{organization.pk}">上海测试精密仪器有限公司</option>' in seller
    experts = form["experts"]
    html = str(experts)
    assert 'data-kc-picker-url="/api/v1/people/?is_expert=true"' in html
    assert 'data-kc-picker-text="name title organization_name fields"' in html
    labels = json.loads(
        experts.field.widget.get_context("experts", [], {})["widget"]["attrs"]["data-kc-picker-labels"]
    )
    assert labels["title"]["senior"] == "正高级职称"
