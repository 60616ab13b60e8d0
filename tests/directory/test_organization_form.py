import pytest

from kechuang.directory.forms import OrganizationForm


@pytest.mark.django_db
def test_bad_uscc_on_enterprise_form_gives_one_message_that_names_the_problem():
    form = OrganizationForm(
        data={"kind": "enterprise", "name": "上海测试科技有限公司", "uscc": "91350100M000100Y4Z"}
    )
    assert not form.is_valid()
    assert len(form.errors["uscc"]) == 1
    assert "校验位" in form.errors["uscc"][0] or "不允许" in form.errors["uscc"][0]
