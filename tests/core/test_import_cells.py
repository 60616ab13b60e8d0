"""The importer's cell parsers (docs/reliability.md K2, K4, F4): what Excel and people type, normalised, or a
Chinese message that says what to fix."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import models

from kechuang.core.importing import cells
from kechuang.core.importing.cells import BLANK, CellError
from kechuang.directory import uscc


class Colour(models.TextChoices):
    RED = "red", "红色（暖色）"
    BLUE = "blue", "蓝色"


def refused(parser, raw) -> str:
    with pytest.raises(CellError) as error:
        parser(raw, None)
    return str(error.value)


@pytest.mark.parametrize("raw", [None, "", "   ", "\u3000", "\u200b", "\ufeff "])
def test_blank_cells_are_blank_for_every_parser(raw):
    for parser in (
        cells.parse_text(10),
        cells.parse_code(10, "编码"),
        cells.parse_phone,
        cells.parse_date,
        cells.parse_bool,
        cells.parse_email,
        cells.parse_choice(Colour, "颜色"),
        cells.parse_multi_choice(Colour, "颜色"),
        cells.parse_int("数量", minimum=0, maximum=10),
        cells.parse_money_fen("金额", maximum_yuan=Decimal(100)),
        cells.checked_code("统一社会信用代码", uscc.validate),
    ):
        assert parser(raw, None) is BLANK


def test_text_is_normalised_full_width_to_half_width_and_format_characters_dropped():
    parse = cells.parse_text(50)
    assert parse("  ＡＢＣ１２３\u200b公司 ", None) == "ABC123公司"
    assert parse("甲\n乙\t丙", None) == "甲 乙 丙"
    assert cells.parse_text(50, multiline=True)("甲\r\n乙", None) == "甲\n乙"
    assert "控制字符" in refused(parse, "带NUL\x00")
    assert "最多 3 个字符" in refused(cells.parse_text(3), "四个字符")


def test_display_value_makes_control_characters_visible_and_cuts_long_values():
    assert cells.display_value("a\x00b") == "a␀b"
    assert cells.display_value(13812345678.0) == "13812345678"
    assert cells.display_value(dt.datetime(2024, 1, 5)) == "2024-01-05"
    assert len(cells.display_value("长" * 1000)) == cells.MAX_VALUE_SHOWN + 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (13812345678, "13812345678"),
        (13812345678.0, "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("021-5999 1234", "021-59991234"),
        ("400-820-8820", "400-820-8820"),
    ],
)
def test_phones(raw, expected):
    assert cells.parse_phone(raw, None) == expected


def test_phone_that_lost_digits_or_its_leading_zero_says_so():
    assert "科学计数法" in refused(cells.parse_phone, "1.38123E+10")
    assert "文本" in refused(cells.parse_phone, 2159991234)  # 021… typed as a number lost its 0


def test_integers_decimals_and_money_in_fen():
    assert cells.parse_int("数量", minimum=0, maximum=100)("１２", None) == 12
    assert "最多保留 0 位小数" in refused(cells.parse_int("数量", minimum=0, maximum=100), "1.5")
    area = cells.parse_decimal("面积", places=2, minimum=Decimal(0), maximum=Decimal(10000), above=True)
    assert area("1,234.5㎡", None) == Decimal("1234.50")
    assert "应大于 0" in refused(area, "0")
    money = cells.parse_money_fen("金额", maximum_yuan=Decimal(1000))
    assert money("2.80", None) == 280
    assert money("３.５元", None) == 350
    assert money(12.34, None) == 1234
    assert "最多保留 2 位小数" in refused(money, "2.805")
    assert "不超过 1000" in refused(money, "1000.01")
    assert "不是有效的金额" in refused(money, "两元")
    assert "是/否" in refused(money, True)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (dt.date(2024, 1, 5), dt.date(2024, 1, 5)),
        (dt.datetime(2024, 1, 5, 9, 30), dt.date(2024, 1, 5)),
        ("2024-01-05", dt.date(2024, 1, 5)),
        ("2024/1/5", dt.date(2024, 1, 5)),
        ("2024年1月5日", dt.date(2024, 1, 5)),
        ("２０２４年１月５号", dt.date(2024, 1, 5)),
        ("20240105", dt.date(2024, 1, 5)),
        (45296, dt.date(2024, 1, 5)),  # an Excel serial number
    ],
)
def test_dates(raw, expected):
    assert cells.parse_date(raw, None) == expected


def test_future_dates_are_refused_where_the_past_is_asked():
    tomorrow = dt.date.today() + dt.timedelta(days=2)
    assert cells.parse_date(tomorrow, None) == tomorrow
    assert "晚于今天" in refused(cells.parse_past_date, tomorrow)
    assert "不存在" in refused(cells.parse_date, "2024-02-30")
    assert "只填了年份" in refused(cells.parse_date, 2024)


def test_booleans_choices_and_multi_choices():
    assert cells.parse_bool("是", None) is True and cells.parse_bool("N", None) is False
    assert "“是”或“否”" in refused(cells.parse_bool, "也许")
    colour = cells.parse_choice(Colour, "颜色", {"赤": Colour.RED})
    assert colour("红色", None) == Colour.RED  # the label without its note in brackets
    assert colour("BLUE", None) == Colour.BLUE
    assert colour("赤", None) == Colour.RED
    assert "不是可选的颜色，请填写：红色（暖色）、蓝色" in refused(colour, "绿色")
    colours = cells.parse_multi_choice(Colour, "颜色")
    assert colours("蓝色、red，蓝色", None) == [Colour.BLUE, Colour.RED]
    assert "颜色“绿色”无法识别" in refused(colours, "蓝色、绿色")


def test_codes_checked_through_the_hook_a_spec_supplies():
    parse = cells.checked_code("统一社会信用代码", uscc.validate)
    assert parse(" ９１３５０１００ｍ０００１００ｙ４３ ", None) == "91350100M000100Y43"
    assert "校验位" in refused(parse, "91350100M000100Y44")
    assert "文本" in refused(parse, 9.13101140000001e17)  # stored by Excel as a number


def test_email_and_header_keys():
    assert cells.parse_email("Zhao@Example.COM", None) == "Zhao@example.com"
    assert "格式不正确" in refused(cells.parse_email, "not-an-email")
    assert cells.header_key(" 名称* ") == cells.header_key("名称")
    assert cells.header_key("统一社会信用代码（18位）") == cells.header_key("统一社会信用代码")
