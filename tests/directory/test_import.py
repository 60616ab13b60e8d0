"""Bulk import of organizations and people (docs/design.md §3.1; docs/reliability.md K4, and B2, C1, K2, K3)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import threading
from typing import Any

import import_files as files  # tests/directory is on sys.path (no __init__.py, rootdir import mode)
import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from import_files import ORG_HEADER, PERSON_HEADER

from kechuang.accounts.choices import Role
from kechuang.core import audit, excel
from kechuang.core.models import AuditEvent
from kechuang.directory import importing
from kechuang.directory.choices import OrganizationKind, SizeBand, Title
from kechuang.directory.models import Organization, Person
from kechuang.testing.factories import (
    BlockFactory,
    OrganizationFactory,
    PersonFactory,
    TechnologyFieldFactory,
    user_with_role,
)

CJK = re.compile(r"[\u4e00-\u9fff]")


# ------------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def other_operator(db, district_office):
    return user_with_role(Role.OPERATOR, district_office, username="op2")


def upload(client, data: bytes, name: str = "机构名录.xlsx", kind: str = ""):
    file = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    return client.post(reverse("directory:import-start"), {"file": file, "kind": kind})


def upload_ok(client, data: bytes, name: str = "机构名录.xlsx", kind: str = "") -> str:
    response = upload(client, data, name, kind)
    assert response.status_code == 302, response.content.decode()[:3000]
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    assert importing.TOKEN_PATTERN.fullmatch(token)
    return token


def review_url(token: str) -> str:
    return reverse("directory:import-review", args=[token])


def stored_result(token: str, user) -> importing.ImportResult:
    stored = importing.load_upload(token, actor=user)
    assert stored is not None
    result = importing.load_result(stored)
    assert result is not None
    return result


def error_rows_in(html: str) -> int:
    return html.count('data-testid="import-error-row"')


def counts() -> tuple[int, int]:
    return Organization.objects.count(), Person.objects.count()


def import_events() -> int:
    return AuditEvent.objects.filter(action=importing.IMPORT_ACTION).count()


def imported_files(settings) -> list[str]:
    folder = settings.MEDIA_ROOT / "imports"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def run_dry(data: bytes, name: str = "机构.xlsx", kind: str | None = None) -> importing.ImportResult:
    info = importing.inspect_upload(name, data)
    return importing.dry_run(data, info, kind=kind, title=name.rsplit(".", 1)[0])


def only_problems(result: importing.ImportResult) -> set[tuple[str, int, str]]:
    return {(p.sheet, p.row, p.column) for p in result.problems}


# ------------------------------------------------------------------------------------------------
# core/excel.py: every text cell that could be a formula is neutralised
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        "+86 138",
        "-3",
        "@SUM(A1)",
        " =cmd|' /C calc'!A0",
        "\t=1",
        "\r=1",
        "\tplain",
        "\rplain",
        "  \t+x",
        "＝1+1",
        "\u3000=1",
    ],
)
def test_text_that_could_be_a_formula_gets_an_apostrophe(text):
    assert excel.needs_neutralising(text)
    assert excel.neutralise(text) == "'" + text


@pytest.mark.parametrize(
    "text", ["", "普通文本", "a=b", "1+1", "13812345678", "name@example.com", "'=already"]
)
def test_ordinary_text_is_left_alone(text):
    assert excel.neutralise(text) == text


def test_safe_value_keeps_numbers_dates_and_booleans_and_neutralises_text():
    when = dt.date(2024, 1, 5)
    assert excel.safe_value(-5) == -5
    assert excel.safe_value(1.5) == 1.5
    assert excel.safe_value(True) is True
    assert excel.safe_value(None) is None
    assert excel.safe_value(when) == when
    assert excel.safe_value('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert excel.safe_value(Exception("-boom")) == "'-boom"


def test_safe_value_replaces_characters_xml_cannot_hold_and_cuts_very_long_text():
    assert excel.safe_value("a\x00b\x1fc") == "a\ufffdb\ufffdc"
    long = excel.safe_value("长" * 40000)
    assert len(long) <= excel.MAX_CELL_CHARS


def test_written_workbook_holds_no_formula_and_every_dangerous_cell_is_prefixed():
    rows = [["=1+1", "+1", "-1", "@x", " \t=2", "\tx", "\rx", "ok", 42, dt.date(2024, 1, 5), "\x00nul", "😀"]]
    content = excel.workbook_bytes([excel.SheetData("错误:报告/测试[1]", ["列=1", "b"], rows)])
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    sheet = workbook.worksheets[0]
    assert sheet.title == "错误_报告_测试_1_"
    assert sheet["A1"].value == "列=1"
    values = [cell.value for cell in sheet[2]]
    assert values[:6] == ["'=1+1", "'+1", "'-1", "'@x", "' \t=2", "'\tx"]
    assert values[6] in ("'\rx", "'\nx")  # XML readers normalise a bare CR to LF
    assert values[7:10] == ["ok", 42, dt.datetime(2024, 1, 5)]
    assert values[10] == "\ufffdnul" and values[11] == "😀"
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f"


def test_csv_export_neutralises_the_same_cells_and_keeps_chinese_readable():
    content = excel.csv_bytes([["=1+1", "普通", 5, None, True, " @x"]], header=["名称", "-列"])
    assert content.startswith(b"\xef\xbb\xbf")
    lines = content.decode("utf-8-sig").splitlines()
    assert lines == ["名称,'-列", "'=1+1,普通,5,,是,' @x"]


def test_xlsx_response_is_an_attachment_with_a_utf8_filename():
    response = excel.xlsx_response(b"x", "错误报告-机构.xlsx")
    assert response["Content-Type"] == excel.XLSX_CONTENT_TYPE
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E9%94%99" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"


# ------------------------------------------------------------------------------------------------
# Value normalisation
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (13812345678.0, "13812345678"),
        (13812345678, "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("1.3812345678E+10", "13812345678"),
        ("021-59991234", "021-59991234"),
        ("400-820-8820", "400-820-8820"),
    ],
)
def test_phone_values_are_normalised(raw, expected):
    assert importing.parse_phone(raw, None) == expected


@pytest.mark.parametrize("raw", ["1.38123E+10", 1.38123e20, 1381234567.8, "12345", "abc", 2159991234])
def test_phone_values_that_lost_digits_or_are_not_numbers_are_refused_in_chinese(raw):
    with pytest.raises(importing.CellError) as error:
        importing.parse_phone(raw, None)
    assert CJK.search(str(error.value))


def test_phone_in_scientific_notation_says_digits_were_lost():
    with pytest.raises(importing.CellError, match=r"科学计数法.*丢失"):
        importing.parse_phone("1.38123E+10", None)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (dt.datetime(2024, 1, 5, 0, 0), dt.date(2024, 1, 5)),
        (dt.date(2024, 1, 5), dt.date(2024, 1, 5)),
        ("2024-01-05", dt.date(2024, 1, 5)),
        ("2024/1/5", dt.date(2024, 1, 5)),
        ("2024年1月5日", dt.date(2024, 1, 5)),
        ("２０２４年１月５日", dt.date(2024, 1, 5)),
        ("2024.1.5", dt.date(2024, 1, 5)),
        ("20240105", dt.date(2024, 1, 5)),
        (20240105, dt.date(2024, 1, 5)),
        ("2024-01-05 00:00:00", dt.date(2024, 1, 5)),
        (45296, dt.date(2024, 1, 5)),  # an Excel serial date in a cell formatted as a number
    ],
)
def test_dates_are_read_from_excel_dates_and_common_text_forms(raw, expected):
    assert importing.parse_past_date(raw, None) == expected


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("2024-02-30", "不存在"),
        ("2024-13-45", "不存在"),
        ("去年", "无法识别"),
        (2024, "只填了年份"),
        ("2999-01-01", "晚于今天"),
        ("1700-01-01", "过早"),
    ],
)
def test_bad_dates_are_refused_with_a_message_that_says_what_to_fix(raw, fragment):
    with pytest.raises(importing.CellError, match=fragment):
        importing.parse_past_date(raw, None)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("是", True),
        ("否", False),
        ("Y", True),
        ("n", False),
        ("1", True),
        ("0", False),
        (1, True),
        (0.0, False),
        (True, True),
        ("ｙｅｓ", True),
        ("  是 ", True),
    ],
)
def test_booleans_accept_chinese_and_short_forms(raw, expected):
    assert importing.parse_bool(raw, None) is expected


def test_choices_are_accepted_by_label_code_or_short_label():
    assert importing.parse_kind("科研院所", None) == OrganizationKind.INSTITUTE
    assert importing.parse_kind("ENTERPRISE", None) == OrganizationKind.ENTERPRISE
    assert importing.parse_kind(" 企 业 ", None) == OrganizationKind.ENTERPRISE
    assert importing.parse_size("中型", None) == SizeBand.MEDIUM
    assert importing.parse_size("中型（100–999人）", None) == SizeBand.MEDIUM
    assert importing.parse_title("副高级职称", None) == Title.ASSOCIATE_SENIOR
    assert importing.parse_title("研究员", None) == Title.SENIOR
    assert importing.parse_title("无", None) == ""
    with pytest.raises(importing.CellError, match="科研院所、企业"):
        importing.parse_kind("大学", None)


def test_uscc_is_normalised_from_full_width_lower_case_and_spaces():
    code = files.uscc_for(7)
    raw = " " + code.lower().translate(files.FULLWIDTH_DIGITS) + "\u200b"
    assert importing.parse_uscc(raw, None) == code


def test_uscc_stored_by_excel_as_a_number_is_refused():
    with pytest.raises(importing.CellError, match="文本"):
        importing.parse_uscc(9.13101140000001e17, None)


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("名 称", "名称"),
        ("名称*", "名称"),
        ("　类型　", "类型"),
        ("统一社会信用代码（18位）", "统一社会信用代码"),
        ("ｅｍａｉｌ", "email"),
    ],
)
def test_headers_are_matched_loosely(header, key):
    assert importing.header_key(header) == importing.header_key(key)


# ------------------------------------------------------------------------------------------------
# docs/reliability.md K4: 10 bad rows among 1000
# ------------------------------------------------------------------------------------------------

BAD_ROWS: dict[int, tuple[str, dict[str, Any], str, str]] = {
    # index: (column, overrides, expected raw value, a fragment of the Chinese message)
    11: (
        "统一社会信用代码",
        {"统一社会信用代码": files.bad_checksum(files.uscc_for(11))},
        files.bad_checksum(files.uscc_for(11)),
        "统一社会信用代码校验位不正确，请核对后重新输入。",
    ),
    102: (
        "统一社会信用代码",
        {"统一社会信用代码": files.uscc_for(102)[:12] + "O" + files.uscc_for(102)[13:]},
        files.uscc_for(102)[:12] + "O" + files.uscc_for(102)[13:],
        "不允许的字符：O",
    ),
    203: ("联系电话", {"联系电话": "1.38123E+10"}, "1.38123E+10", "科学计数法"),
    304: ("成立日期", {"成立日期": "2024-13-45"}, "2024-13-45", "不存在"),
    405: ("成立日期", {"成立日期": "去年春天"}, "去年春天", "2024年1月5日"),
    506: (
        "统一社会信用代码",
        {"统一社会信用代码": files.uscc_for(6)},
        files.uscc_for(6),
        "与第 8 行的统一社会信用代码重复",
    ),
    607: ("名称", {"名称": ""}, "", "必填"),
    708: ("类型", {"类型": "大学"}, "大学", "不是可选的机构类型"),
    809: ("统一社会信用代码", {"统一社会信用代码": "", "类型": "企业"}, "", "企业必须填写统一社会信用代码"),
    910: ("重点企业", {"重点企业": "也许"}, "也许", "请填写“是”或“否”"),
}


def thousand_rows(*, with_bad_rows: bool) -> list[list[Any]]:
    rows = files.varied_org_rows(1000)
    if with_bad_rows:
        for index, (_column, overrides, _value, _fragment) in BAD_ROWS.items():
            row = dict(zip(ORG_HEADER, rows[index], strict=True))
            row.update(overrides)
            rows[index] = [row[header] for header in ORG_HEADER]
    return rows


@pytest.mark.slow
def test_k4_dry_run_reports_exactly_the_ten_bad_rows_then_commit_then_reimport_changes_nothing(
    client, operator, settings
):
    existing = OrganizationFactory(
        kind=OrganizationKind.ENTERPRISE, name=files.org_row(20)[1], uscc=files.uscc_for(20), address="旧地址"
    )
    client.force_login(operator)
    before = counts()

    # 1. The dry run reports exactly the ten bad rows, and writes nothing.
    token = upload_ok(client, files.org_workbook(thousand_rows(with_bad_rows=True)))
    page = client.get(review_url(token))
    html = page.content.decode()
    assert page.status_code == 200
    assert error_rows_in(html) == 10
    assert 'data-testid="import-commit"' not in html
    assert "下载错误报告" in html
    result = stored_result(token, operator)
    assert result.problem_count == 10
    found = {(p.sheet, p.row, p.column): p for p in result.problems}
    expected = {("机构", index + 2, column) for index, (column, *_rest) in BAD_ROWS.items()}
    assert set(found) == expected
    for index, (column, _overrides, value, fragment) in BAD_ROWS.items():
        problem = found[("机构", index + 2, column)]
        assert problem.value == value
        assert fragment in problem.message
        assert CJK.search(problem.message)
    assert result.totals == {"rows": 1000, "create": 989, "update": 1, "unchanged": 0, "error_rows": 10}
    assert counts() == before
    assert client.post(review_url(token)).status_code == 409  # committing anyway is refused
    assert counts() == before
    assert import_events() == 0

    # 2. Fixed: the commit writes 999 new organizations and updates the one that existed.
    fixed = files.org_workbook(thousand_rows(with_bad_rows=False))
    token = upload_ok(client, fixed)
    result = stored_result(token, operator)
    assert result.totals == {"rows": 1000, "create": 999, "update": 1, "unchanged": 0, "error_rows": 0}
    html = client.get(review_url(token)).content.decode()
    assert 'data-testid="import-commit"' in html and error_rows_in(html) == 0
    response = client.post(review_url(token))
    assert response.status_code == 302
    done = client.get(review_url(token)).content.decode()
    assert 'data-testid="import-done"' in done and "999" in done
    assert counts() == (before[0] + 999, before[1])
    existing.refresh_from_db()
    assert existing.address == files.org_row(20)[ORG_HEADER.index("地址")]
    assert import_events() == 1
    full_width = Organization.objects.get(uscc=files.uscc_for(15))
    assert full_width.contact_phone == files.phone_for(15)
    assert Organization.objects.get(uscc=files.uscc_for(13)).contact_phone == files.phone_for(13)
    assert Organization.objects.get(uscc=files.uscc_for(4)).founded_on == dt.date(2024, 1, 5)
    snapshot = dict(Organization.objects.values_list("pk", "updated_at"))

    # 3. The same file again: nothing new, nothing changed.
    token = upload_ok(client, fixed)
    result = stored_result(token, operator)
    assert result.totals == {"rows": 1000, "create": 0, "update": 0, "unchanged": 1000, "error_rows": 0}
    assert client.post(review_url(token)).status_code == 302
    assert counts() == (before[0] + 999, before[1])
    assert dict(Organization.objects.values_list("pk", "updated_at")) == snapshot
    assert import_events() == 2


def test_error_report_download_has_the_columns_and_neutralises_formula_cells(client, operator):
    rows = [
        files.org_row(1, 类型="=cmd|' /C calc'!A0"),
        files.org_row(2, 成立日期="+2024-01-01"),
        files.org_row(3, 统一社会信用代码="-91310114"),
        files.org_row(4, 联系电话="@SUM(1+1)"),
        files.org_row(5, 重点企业=" =1+1"),
        files.org_row(6, 规模="\t=2"),
    ]
    client.force_login(operator)
    token = upload_ok(client, files.org_workbook(rows))
    response = client.get(reverse("directory:import-errors", args=[token]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = workbook["错误报告"]
    assert [cell.value for cell in sheet[1]] == ["工作表", "行号", "列", "值", "问题"]
    body = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(body) == 6
    values = {row[1]: row[3] for row in body}
    assert values == {
        2: "'=cmd|' /C calc'!A0",
        3: "'+2024-01-01",
        4: "'-91310114",
        5: "'@SUM(1+1)",
        6: "' =1+1",
        7: "'\t=2",
    }
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f"
            if isinstance(cell.value, str):
                assert not excel.needs_neutralising(cell.value)
    assert all(CJK.search(row[4]) for row in body)


# ------------------------------------------------------------------------------------------------
# Both sheets, people, matching and idempotence
# ------------------------------------------------------------------------------------------------


def test_workbook_with_both_sheets_links_people_to_organizations_in_the_same_file(client, operator):
    TechnologyFieldFactory(code="F-OPT", name="光电子")
    TechnologyFieldFactory(code="F-IC", name="集成电路")
    BlockFactory(code="judong", name="菊东")
    institute = OrganizationFactory(kind=OrganizationKind.INSTITUTE, name="中国科学院某光机所", uscc=None)
    orgs = [
        files.org_row(1, 技术领域="光电子、F-IC", 资质="高新技术企业、专精特新", 板块="菊东"),
        files.org_row(2, 类型="服务机构", 统一社会信用代码="", 联系电话=13900000002.0),
    ]
    people = [
        files.person_row(
            "王研究", files.org_row(1)[1], 手机号=13812345678.0, 研究领域="光电子", 入库专家="是"
        ),
        files.person_row("李专家", files.uscc_for(1), 手机号="13812345679", 职称="副研究员"),
        files.person_row("赵院士", "中国科学院某光机所", 院士="Y", 邮箱="Zhao@Example.COM"),
        files.person_row("钱同事", files.org_row(2)[1]),
    ]
    data = files.xlsx_bytes({"机构": [ORG_HEADER, *orgs], "人员": [PERSON_HEADER, *people]})
    client.force_login(operator)
    token = upload_ok(client, data)
    result = stored_result(token, operator)
    assert result.problem_count == 0, result.problems
    assert result.totals["create"] == 6
    client.post(review_url(token))
    first = Organization.objects.get(uscc=files.uscc_for(1))
    assert sorted(first.fields.values_list("code", flat=True)) == ["F-IC", "F-OPT"]
    assert first.qualifications == ["high_tech", "specialized"]
    assert first.block.name == "菊东"
    wang = Person.objects.get(name="王研究")
    assert wang.organization == first and wang.phone == "13812345678" and wang.is_expert
    assert list(wang.fields.values_list("code", flat=True)) == ["F-OPT"]
    assert Person.objects.get(name="李专家").organization == first
    zhao = Person.objects.get(name="赵院士")
    assert zhao.organization == institute and zhao.is_academician and zhao.email == "Zhao@example.com"
    assert Person.objects.get(name="钱同事").organization.kind == OrganizationKind.PROVIDER
    assert Organization.objects.get(name=files.org_row(2)[1]).created_by == operator

    again = run_dry(data)
    assert again.totals == {"rows": 6, "create": 0, "update": 0, "unchanged": 6, "error_rows": 0}


def test_people_problems_name_the_other_row_and_unknown_organizations(db):
    OrganizationFactory(kind=OrganizationKind.ENTERPRISE, name="同名机构", uscc=files.uscc_for(500))
    OrganizationFactory(kind=OrganizationKind.PROVIDER, name="同名机构", uscc=None)
    people = [
        files.person_row("甲", "", 手机号="13800000001"),
        files.person_row("甲", "", 手机号="13800000001"),
        files.person_row("乙", "不存在的机构"),
        files.person_row("丙", "同名机构"),
        files.person_row("丁", files.uscc_for(999)),
        files.person_row("戊", "", 职称="院长"),
    ]
    result = run_dry(files.xlsx_bytes({"人员": [PERSON_HEADER, *people]}))
    messages = {(p.row, p.column): p.message for p in result.problems}
    assert set(messages) == {(3, "姓名"), (4, "所在机构"), (5, "所在机构"), (6, "所在机构"), (7, "职称")}
    assert "第 2 行" in messages[(3, "姓名")]
    assert "找不到机构“不存在的机构”" in messages[(4, "所在机构")]
    assert "统一社会信用代码" in messages[(5, "所在机构")]
    assert files.uscc_for(999) in messages[(6, "所在机构")]


def test_existing_person_is_matched_by_organization_name_and_phone_and_updated(db):
    organization = OrganizationFactory(name="匹配机构", uscc=files.uscc_for(600))
    person = PersonFactory(name="孙工", organization=organization, phone="139-0000-0600", position="工程师")
    data = files.xlsx_bytes(
        {"人员": [PERSON_HEADER, files.person_row("孙工", "匹配机构", 手机号="13900000600")]}
    )
    result = run_dry(data)
    assert result.totals["update"] == 1 and result.totals["create"] == 0
    assert Person.objects.get(pk=person.pk).position == "工程师"  # a dry run writes nothing


def test_organization_matching_by_kind_and_name_and_conflicting_codes(db):
    OrganizationFactory(kind=OrganizationKind.INSTITUTE, name="某研究所", uscc=None, address="旧")
    OrganizationFactory(kind=OrganizationKind.ENTERPRISE, name="某公司", uscc=files.uscc_for(700))
    rows = [
        files.org_row(
            1, 类型="科研院所", 名称="某研究所", 统一社会信用代码="", 地址="新"
        ),  # update by kind + name
        files.org_row(2, 名称="某公司", 统一社会信用代码=files.uscc_for(701)),  # same name, other code
        files.org_row(3, 名称="重复名称"),
        files.org_row(4, 名称="重复名称"),
    ]
    result = run_dry(files.org_workbook(rows))
    problems = {(p.row, p.column): p.message for p in result.problems}
    assert set(problems) == {(3, "统一社会信用代码"), (5, "名称")}
    assert files.uscc_for(700) in problems[(3, "统一社会信用代码")]
    assert "第 4 行" in problems[(5, "名称")]
    assert result.totals["update"] == 1


def test_blank_cells_leave_existing_values_alone(db):
    organization = OrganizationFactory(
        name=files.org_row(1)[1],
        uscc=files.uscc_for(1),
        address="原地址",
        contact_phone=files.phone_for(1),
        contact_name="张三",
        short_name="导入1",
    )
    row = files.org_row(1, 地址="")
    result = run_dry(files.org_workbook([row]))
    assert result.totals["unchanged"] == 1
    organization.refresh_from_db()
    assert organization.address == "原地址"


def test_commit_is_all_or_nothing(db, operator, monkeypatch):
    data = files.xlsx_bytes(
        {
            "机构": [ORG_HEADER, files.org_row(1), files.org_row(2)],
            "人员": [PERSON_HEADER, files.person_row("周", files.org_row(1)[1])],
        }
    )
    info = importing.inspect_upload("x.xlsx", data)
    stored = importing.store_upload(actor=operator, filename="x.xlsx", data=data, info=info, kind=None)
    before = counts()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        importing.import_commit(actor=operator, upload=stored)
    assert counts() == before
    assert import_events() == 0
    monkeypatch.undo()
    outcome = importing.import_commit(actor=operator, upload=stored)
    assert outcome.committed and counts() == (before[0] + 2, before[1] + 1)
    with pytest.raises(importing.ImportAlreadyCommitted):
        importing.import_commit(actor=operator, upload=stored)
    assert import_events() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_commits_of_one_upload_write_once(operator):
    data = files.org_workbook([files.org_row(n) for n in range(1, 51)])
    info = importing.inspect_upload("x.xlsx", data)
    stored = importing.store_upload(actor=operator, filename="x.xlsx", data=data, info=info, kind=None)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def commit() -> None:
        try:
            barrier.wait(timeout=10)
            outcomes.append(str(importing.import_commit(actor=operator, upload=stored).committed))
        except importing.ImportAlreadyCommitted:
            outcomes.append("already")
        finally:
            connection.close()

    threads = [threading.Thread(target=commit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["True", "already"]
    assert import_events() == 1
    assert Organization.objects.filter(uscc__in=[files.uscc_for(n) for n in range(1, 51)]).count() == 50


def test_commit_records_one_audit_event_with_counts_and_sha256(client, operator):
    data = files.org_workbook([files.org_row(1), files.org_row(2)])
    client.force_login(operator)
    token = upload_ok(client, data)
    client.post(review_url(token))
    client.post(review_url(token))  # a second click does not import or audit again
    events = AuditEvent.objects.filter(action=importing.IMPORT_ACTION)
    assert events.count() == 1
    event = events.get()
    assert event.actor_id == operator.pk and event.object_id == token
    assert event.detail["sha256"] == hashlib.sha256(data).hexdigest()
    assert event.detail["organizations"] == {"rows": 2, "created": 2, "updated": 0, "unchanged": 0}
    assert Organization.objects.filter(uscc__in=[files.uscc_for(1), files.uscc_for(2)]).count() == 2
    assert not AuditEvent.objects.filter(action="organization.create").exists()


# ------------------------------------------------------------------------------------------------
# CSV
# ------------------------------------------------------------------------------------------------


def test_csv_in_gbk_is_read_and_committed(client, operator):
    rows = [ORG_HEADER, files.org_row(1, 简介="简介：菊园新区"), files.org_row(2, 类型="孵化器")]
    data = files.csv_bytes(rows, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    client.force_login(operator)
    token = upload_ok(client, data, name="机构名单.csv")
    result = stored_result(token, operator)
    assert result.problem_count == 0 and result.totals["create"] == 2
    assert result.sheets[0].sheet == "机构名单"
    client.post(review_url(token))
    assert Organization.objects.get(uscc=files.uscc_for(1)).description == "简介：菊园新区"


def test_csv_in_utf8_with_bom_holding_people_is_detected_by_header(db):
    OrganizationFactory(name="某企业", uscc=files.uscc_for(800))
    data = files.csv_bytes([PERSON_HEADER, files.person_row("吴", "某企业", 手机号="13800000008")])
    result = run_dry(data, name="people.csv")
    assert result.sheets[0].kind == importing.PEOPLE
    assert result.totals["create"] == 1 and result.problem_count == 0


def test_csv_in_gb18030_with_characters_outside_gbk(db):
    data = files.csv_bytes([ORG_HEADER, files.org_row(1, 联系人="刘䶮")], encoding="gb18030")
    result = run_dry(data, name="x.csv")
    assert result.problem_count == 0 and result.totals["create"] == 1


def test_chosen_kind_that_does_not_match_the_header_reports_the_missing_column_once(db):
    data = files.csv_bytes([ORG_HEADER, files.org_row(1), files.org_row(2)])
    result = run_dry(data, name="x.csv", kind=importing.PEOPLE)
    assert [(p.row, p.column) for p in result.problems] == [(1, "姓名")]


def test_upload_without_a_file_is_a_400_in_chinese(client, operator):
    client.force_login(operator)
    response = client.post(reverse("directory:import-start"), {"kind": ""})
    assert response.status_code == 400
    assert "请选择要上传的 Excel 或 CSV 文件" in response.content.decode()


def test_technology_fields_and_people_are_updated_then_stable(db, operator):
    first, second = (
        TechnologyFieldFactory(code="F-A", name="甲领域"),
        TechnologyFieldFactory(code="F-B", name="乙领域"),
    )
    organization = OrganizationFactory(name=files.org_row(1)[1], uscc=files.uscc_for(1))
    organization.fields.set([first])
    PersonFactory(name="冯", organization=organization, phone="13800000009", position="工程师")
    data = files.xlsx_bytes(
        {
            "机构": [ORG_HEADER, files.org_row(1, 技术领域="乙领域")],
            "人员": [
                PERSON_HEADER,
                files.person_row("冯", files.uscc_for(1), 手机号="13800000009", 职务="总工"),
            ],
        }
    )
    info = importing.inspect_upload("x.xlsx", data)
    stored = importing.store_upload(actor=operator, filename="x.xlsx", data=data, info=info, kind=None)
    outcome = importing.import_commit(actor=operator, upload=stored)
    assert outcome.result.totals["update"] == 2
    assert list(organization.fields.values_list("code", flat=True)) == [second.code]
    assert Person.objects.get(name="冯").position == "总工"
    assert run_dry(data).totals == {"rows": 2, "create": 0, "update": 0, "unchanged": 2, "error_rows": 0}
    event = AuditEvent.objects.get(action=importing.IMPORT_ACTION)
    assert event.detail["ids"][importing.ORGANIZATIONS]["updated"] == [organization.pk]


def test_csv_row_numbers_are_as_excel_shows_them(db):
    data = files.csv_bytes([ORG_HEADER, files.org_row(1), [""] * len(ORG_HEADER), files.org_row(2, 类型="?")])
    result = run_dry(data, name="x.csv")
    assert only_problems(result) == {("x", 4, "类型")}


# ------------------------------------------------------------------------------------------------
# Headers
# ------------------------------------------------------------------------------------------------


def test_missing_required_columns_are_reported_once_and_unknown_columns_are_noticed(db):
    header = [h for h in ORG_HEADER if h not in ("类型", "名称")] + ["备注"]
    rows = [[*files.org_row(n)[2:], "x"] for n in range(50)]
    result = run_dry(files.org_workbook(rows, header=header))
    assert result.problem_count == 1
    problem = result.problems[0]
    assert problem.row == 1 and problem.column == "类型、名称"
    assert "缺少必填列：类型、名称" in problem.message
    assert result.totals["error_rows"] == 50
    assert any("备注" in notice for notice in result.notices)


def test_loose_headers_are_accepted(db):
    header = [" 类 型 ", "名称*", "统一社会信用代码（18位）", "联系电话"]
    result = run_dry(
        files.org_workbook([["企业", "某某公司", files.uscc_for(1), "13800000000"]], header=header)
    )
    assert result.problem_count == 0 and result.totals["create"] == 1


def test_duplicate_columns_are_an_error(db):
    header = ["类型", "名称", "名称"]
    result = run_dry(files.org_workbook([["科研院所", "甲", "乙"]], header=header))
    assert result.problem_count == 1 and "重复" in result.problems[0].message


# ------------------------------------------------------------------------------------------------
# Hostile and broken files (docs/reliability.md K3)
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "make", "fragment"),
    [
        ("macro.xlsm", lambda: files.org_workbook([files.org_row(1)]), "宏"),
        ("disguised.xlsx", files.macro_workbook, "宏"),
        ("fake.xlsx", lambda: "类型,名称\n企业,某公司\n".encode(), "不是有效的 .xlsx"),
        ("bomb.xlsx", files.zip_bomb, "压缩炸弹"),
        ("page.xls", lambda: files.HTML_TABLE, "HTML"),
        ("page.csv", lambda: files.HTML_TABLE, "HTML"),
        ("old.xls", lambda: files.OLE2_HEADER, ".xls"),
        ("junk.csv", lambda: bytes(range(256)) * 40, "二进制"),
        ("picture.csv", lambda: b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "不是 Excel 或 CSV"),
        ("word.xlsx", files.word_document_zip, "工作簿"),
        ("notes.txt.exe", lambda: b"MZ\x90\x00", "不是 Excel 或 CSV"),
        ("empty.csv", lambda: b"", "空的"),
    ],
)
def test_hostile_or_broken_files_are_refused_with_a_clear_message_and_nothing_is_kept(
    client, operator, settings, name, make, fragment
):
    client.force_login(operator)
    response = upload(client, make(), name=name)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="import-upload-error"' in html
    assert fragment in html
    assert imported_files(settings) == []
    assert counts()[0] == Organization.objects.count()


def test_a_file_refused_when_its_rows_are_read_fails_the_background_check_and_nothing_is_kept(
    client, operator, settings
):
    """Reading the rows is the background task's work: a file with a header and no data passes the
    upload's quick checks, then the check fails with the reader's message and the file is deleted."""
    client.force_login(operator)
    before = counts()
    response = upload(client, files.org_workbook([]), name="header_only.xlsx")
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 400
    html = page.content.decode()
    assert 'data-testid="task-failed"' in html and "没有数据行" in html and "没有写入任何数据" in html
    assert imported_files(settings) == []
    assert counts() == before


def test_zip_bomb_is_refused_before_openpyxl_opens_it(monkeypatch):
    import openpyxl as module

    def never(*args, **kwargs):
        raise AssertionError("openpyxl must not open a zip bomb")

    monkeypatch.setattr(module, "load_workbook", never)
    with pytest.raises(importing.ImportFileError, match="压缩炸弹"):
        importing.inspect_upload("bomb.xlsx", files.zip_bomb(5))


def test_total_uncompressed_size_limit(settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 20_000
    data = files.org_workbook(files.varied_org_rows(200))
    with pytest.raises(importing.ImportFileError, match="解压后"):
        importing.inspect_upload("big.xlsx", data)


def test_size_and_row_limits(client, operator, settings):
    client.force_login(operator)
    data = files.org_workbook(files.varied_org_rows(30))
    settings.IMPORT_MAX_ROWS = 20
    response = upload(client, data)  # the row count is the background check's to find
    page = client.get(response["Location"])
    assert page.status_code == 400 and "上限 20 行" in page.content.decode()
    assert imported_files(settings) == []
    settings.IMPORT_MAX_ROWS = 20000
    settings.IMPORT_MAX_BYTES = 1000
    response = upload(client, data)
    assert response.status_code == 400 and "超过上限" in response.content.decode()
    assert imported_files(settings) == []


def test_formulas_are_read_as_their_cached_values_never_evaluated(db):
    data = files.org_workbook([files.org_row(1)])
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    workbook["机构"]["P2"] = "=1+1"  # a real formula with no cached value
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = run_dry(buffer.getvalue())
    assert result.problem_count == 0  # read as empty (data_only); never computed


# ------------------------------------------------------------------------------------------------
# Bad text (docs/reliability.md K2)
# ------------------------------------------------------------------------------------------------


def test_nul_emoji_rtl_and_very_long_values_never_cause_a_500(client, operator):
    rows = [
        files.org_row(1, 名称="带NUL\x00的名称"),
        files.org_row(2, 简称="😀🚀"),
        files.org_row(3, 名称="שלום مرحبا 公司"),
        files.org_row(4, 地址="长" * 5000),
        files.org_row(5, 简介="\u202e反向\u202c文本 <script>alert(1)</script>"),
        files.org_row(6, 联系人="\u200b王\u200d五"),
    ]
    data = files.csv_bytes([ORG_HEADER, *rows])  # CSV: openpyxl could not even write a NUL
    client.force_login(operator)
    token = upload_ok(client, data, name="坏文本\u202e.csv")
    page = client.get(review_url(token))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<script>alert(1)</script>" not in html
    result = stored_result(token, operator)
    assert only_problems(result) == {("坏文本", 2, "名称"), ("坏文本", 5, "地址")}
    nul = next(p for p in result.problems if p.row == 2)
    assert "控制字符" in nul.message and "\x00" not in nul.value and "␀" in nul.value
    assert "最多 200 个字符" in next(p.message for p in result.problems if p.row == 5)
    report = client.get(reverse("directory:import-errors", args=[token]))
    assert report.status_code == 200
    openpyxl.load_workbook(io.BytesIO(report.content))


def test_bad_text_rows_commit_cleanly_once_fixed(db, operator):
    rows = [
        files.org_row(2, 简称="😀🚀"),
        files.org_row(3, 名称="שלום مرحبا 公司"),
        files.org_row(5, 简介="\u202e反向\u202c文本"),
        files.org_row(6, 联系人="\u200b王\u200d五"),
    ]
    data = files.org_workbook(rows)
    info = importing.inspect_upload("x.xlsx", data)
    stored = importing.store_upload(actor=operator, filename="x.xlsx", data=data, info=info, kind=None)
    assert importing.import_commit(actor=operator, upload=stored).committed
    assert Organization.objects.get(uscc=files.uscc_for(2)).short_name == "😀🚀"
    assert Organization.objects.get(uscc=files.uscc_for(5)).description == "反向文本"
    assert Organization.objects.get(uscc=files.uscc_for(6)).contact_name == "王五"


# ------------------------------------------------------------------------------------------------
# Access (docs/reliability.md B2): operators only, and only the uploader
# ------------------------------------------------------------------------------------------------


def _urls(token: str) -> list[str]:
    return [
        reverse("directory:import-start"),
        reverse("directory:import-review", args=[token]),
        reverse("directory:import-errors", args=[token]),
        reverse("directory:import-template", args=["organizations"]),
    ]


@pytest.mark.parametrize(
    "role_user", ["enterprise_user", "institute_user", "commissioner", "leader", "sysadmin", "auditor"]
)
def test_non_operators_get_403_and_nothing_changes(client, operator, request, role_user):
    client.force_login(operator)
    token = upload_ok(client, files.org_workbook([files.org_row(1)]))
    user = request.getfixturevalue(role_user)
    client.force_login(user)
    for url in _urls(token):
        assert client.get(url).status_code == 403, url
    assert client.post(review_url(token)).status_code == 403
    assert upload(client, files.org_workbook([files.org_row(2)])).status_code == 403
    assert counts()[0] == Organization.objects.count() and import_events() == 0
    assert not Organization.objects.filter(uscc__in=[files.uscc_for(1), files.uscc_for(2)]).exists()


def test_anonymous_visitor_is_sent_to_login(client, operator):
    client.force_login(operator)
    token = upload_ok(client, files.org_workbook([files.org_row(1)]))
    client.logout()
    for url in _urls(token):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"], url
    assert client.post(review_url(token)).status_code == 302
    assert not Organization.objects.filter(uscc=files.uscc_for(1)).exists()


def test_another_operator_cannot_see_review_download_or_commit_someone_elses_import(
    client, operator, other_operator
):
    client.force_login(operator)
    token = upload_ok(client, files.org_workbook([files.org_row(1, 类型="大学"), files.org_row(2)]))
    client.force_login(other_operator)
    assert client.get(review_url(token)).status_code == 404
    assert client.get(reverse("directory:import-errors", args=[token])).status_code == 404
    assert client.post(review_url(token)).status_code == 404
    client.force_login(operator)
    assert client.get(review_url(token)).status_code == 200
    token2 = upload_ok(client, files.org_workbook([files.org_row(3)]))
    client.force_login(other_operator)
    assert client.post(review_url(token2)).status_code == 404
    assert not Organization.objects.filter(uscc=files.uscc_for(3)).exists()
    assert import_events() == 0


@pytest.mark.parametrize("token", ["../../etc/passwd", "template", "A" * 31, "A" * 33, "x" * 32])
def test_malformed_or_unknown_tokens_are_404(client, operator, token):
    client.force_login(operator)
    assert importing.load_upload(token, actor=operator) is None
    if "/" not in token:
        assert client.get(review_url(token)).status_code == 404


def test_uploaded_file_is_kept_privately_under_media_imports(client, operator, settings):
    client.force_login(operator)
    token = upload_ok(client, files.org_workbook([files.org_row(1)]))
    names = imported_files(settings)
    assert f"{token}.xlsx" in names and f"{token}.json" in names
    mode = (settings.MEDIA_ROOT / "imports" / f"{token}.xlsx").stat().st_mode & 0o777
    assert mode == 0o600


# ------------------------------------------------------------------------------------------------
# Pages and templates
# ------------------------------------------------------------------------------------------------


def test_upload_page_explains_the_templates_and_has_the_form(client, operator):
    client.force_login(operator)
    html = client.get(reverse("directory:import-start")).content.decode()
    assert 'name="file"' in html and 'data-testid="import-submit"' in html
    assert reverse("directory:import-template", args=["organizations"]) in html
    assert reverse("directory:import-template", args=["people"]) in html
    assert 'enctype="multipart/form-data"' in html


@pytest.mark.parametrize(
    ("kind", "sheets", "header"),
    [
        ("organizations", ["机构", "填写说明"], ORG_HEADER),
        ("people", ["人员", "填写说明"], PERSON_HEADER),
        ("all", ["机构", "人员", "填写说明"], ORG_HEADER),
    ],
)
def test_empty_templates_have_the_headers_the_importer_reads(client, operator, kind, sheets, header):
    client.force_login(operator)
    response = client.get(reverse("directory:import-template", args=[kind]))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == sheets
    assert [cell.value for cell in workbook[sheets[0]][1]] == header
    assert workbook[sheets[0]].max_row == 1


def test_a_filled_template_round_trips(client, operator):
    client.force_login(operator)
    content = client.get(reverse("directory:import-template", args=["all"])).content
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    workbook["机构"].append(files.org_row(1))
    workbook["人员"].append(files.person_row("郑", files.org_row(1)[1], 手机号="13800000001"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    token = upload_ok(client, buffer.getvalue())
    result = stored_result(token, operator)
    assert result.problem_count == 0 and result.totals["create"] == 2 and result.notices == []


def test_unknown_template_kind_is_404(client, operator):
    client.force_login(operator)
    assert client.get(reverse("directory:import-template", args=["secrets"])).status_code == 404
