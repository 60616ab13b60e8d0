"""Cell parsers for imports (docs/reliability.md K4, docs/adr/0003).

A parser takes the raw cell (what openpyxl or the csv module gave: str, int, float, bool, date, datetime or
None) and the run's lookups (small tables an import spec loads once), and returns the value to store,
:data:`BLANK` for an empty cell (which leaves the stored value alone), or raises :class:`CellError` with a
Chinese message that says what to fix. Text is normalised the same way everywhere: full-width digits and
letters made half-width, zero-width and bidi characters dropped, control characters refused.

Spec-specific checks plug in as arguments: :func:`checked_code` takes the validator of a code (the
统一社会信用代码 check is the directory's, ``directory.uscc.validate``), :func:`parse_choice` a TextChoices.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone, translation
from django.utils.translation import gettext as _

CellParser = Callable[[Any, Any], Any]
MAX_VALUE_SHOWN = 300  # characters of a raw value kept for the report


class CellError(Exception):
    """A cell's value cannot be used; the message (Chinese) says what to fix."""


class _Blank:
    def __repr__(self) -> str:
        return "BLANK"


BLANK: Any = _Blank()

_FULLWIDTH = {
    code: code - 0xFEE0
    for code in list(range(0xFF10, 0xFF1A)) + list(range(0xFF21, 0xFF3B)) + list(range(0xFF41, 0xFF5B))
}
_FULLWIDTH[0x3000] = 0x20
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:\.\d*)?[eE][+-]?\d+")
_SPLIT_MULTI = re.compile(r"[,，、;；\n\r|｜]+")
_CONTROL_PICTURES = {code: 0x2400 + code for code in range(0x20) if chr(code) not in "\t\r\n"} | {
    0x7F: 0x2421
}


# ------------------------------------------------------------------------------------------------
# Text
# ------------------------------------------------------------------------------------------------


def display_value(raw: Any) -> str:
    """The cell as the report shows it; invisible control characters become visible symbols."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float):
        text = str(int(raw)) if raw.is_integer() and abs(raw) < 1e15 else repr(raw)
    elif isinstance(raw, dt.datetime):
        text = raw.date().isoformat() if raw.time() == dt.time() else raw.isoformat(sep=" ")
    elif isinstance(raw, dt.date | dt.time):
        text = raw.isoformat()
    else:
        text = str(raw)
    text = text.translate(_CONTROL_PICTURES)
    if len(text) > MAX_VALUE_SHOWN:
        text = text[:MAX_VALUE_SHOWN] + "…"
    return text


def is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip(" \t\r\n\u3000\u200b\ufeff"))


def raw_text(raw: Any) -> str:
    """Any cell value as text (numbers as Excel shows them in General format)."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "是" if raw else "否"
    if isinstance(raw, float):
        if raw.is_integer() and abs(raw) < 1e15:
            return str(int(raw))
        return repr(raw)
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat() if raw.time() == dt.time() else raw.isoformat(sep=" ")
    if isinstance(raw, dt.date | dt.time):
        return raw.isoformat()
    return str(raw)


def clean_text(raw: Any, *, multiline: bool = False) -> str:
    """Text for a free-text column: format characters (zero-width, bidi controls) dropped, control
    characters refused, full-width digits and letters made half-width, line breaks kept only where
    the column allows them, and surrounding blanks removed. Chinese punctuation is kept."""
    text = raw_text(raw)
    if not text.isprintable():  # the common case skips the per-character checks
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
        if any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\t\r\n" for ch in text):
            raise CellError(_("含有不可见的控制字符（如 NUL）或乱码，请删除后重新填写。"))
    if "\ufffd" in text:
        raise CellError(_("含有不可见的控制字符（如 NUL）或乱码，请删除后重新填写。"))
    text = text.translate(_FULLWIDTH)
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    else:
        text = re.sub(r"[\t\r\n]+", " ", text)
    return text.strip()


def code_text(raw: Any) -> str:
    """Text for a code-like column (NFKC, no surrounding blanks)."""
    return unicodedata.normalize("NFKC", clean_text(raw)).strip()


def loose_key(text: str) -> str:
    """A loose key for matching labels, codes and headers: NFKC, no blanks or quotes, lower case."""
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cf")
    return re.sub(r"[\"'“”‘’「」*]", "", text).lower()


def header_key(text: Any) -> str:
    """A header cell made comparable: NFKC, no blanks, no '*' marks, no notes in brackets."""
    key = loose_key(raw_text(text)) if text is not None else ""
    return re.sub(r"[(\[【].*?[)\]】]", "", key)


def split_multi(raw: Any) -> list[str]:
    """The parts of a cell that lists several values (separated by 、 , ; | or line breaks)."""
    return [part.strip() for part in _SPLIT_MULTI.split(clean_text(raw, multiline=True)) if part.strip()]


def parse_text(max_length: int | None, *, multiline: bool = False) -> CellParser:
    def parse(raw: Any, lookups: Any) -> Any:
        text = clean_text(raw, multiline=multiline)
        if not text:
            return BLANK
        if max_length is not None and len(text) > max_length:
            raise CellError(
                _("内容过长：最多 %(max)s 个字符，现在有 %(n)s 个，请精简。")
                % {"max": max_length, "n": len(text)}
            )
        return text

    return parse


def parse_code(max_length: int, what: str) -> CellParser:
    """A short code or number-like label (a unit number, a building code): NFKC text; a whole number typed
    as a number is read as its digits."""

    def parse(raw: Any, lookups: Any) -> Any:
        if is_blank(raw):
            return BLANK
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        text = code_text(raw)
        if len(text) > max_length:
            raise CellError(_("%(what)s最多 %(n)s 个字符。") % {"what": what, "n": max_length})
        return text

    return parse


# ------------------------------------------------------------------------------------------------
# Numbers typed as numbers: integers, phones, codes
# ------------------------------------------------------------------------------------------------


def _lost_digits_message(label: str) -> str:
    return _(
        "%(label)s被 Excel 当作数字保存，显示成了科学计数法，后几位数字已丢失，"
        "无法还原。请将该列设置为“文本”格式，重新填写完整的%(label)s。"
    ) % {"label": label}


def integer_text(raw: Any, label: str) -> tuple[str, bool]:
    """Digits of a numeric cell, or the cleaned text; True when the cell was a number. Refuses a
    number that lost digits (a float of 15+ digits, or text in scientific notation like 1.38123E+10)."""
    if isinstance(raw, bool):
        raise CellError(_("%(label)s不能是“是/否”，请填写号码。") % {"label": label})
    if isinstance(raw, int):
        return str(raw), True
    if isinstance(raw, float):
        if not raw.is_integer() or abs(raw) >= 1e15:
            raise CellError(_lost_digits_message(label))
        return str(int(raw)), True
    text = code_text(raw)
    compact = text.replace(" ", "")
    if _SCIENTIFIC.fullmatch(compact):
        try:
            number = Decimal(compact)
        except InvalidOperation as error:
            raise CellError(_lost_digits_message(label)) from error
        if number != number.to_integral_value():
            raise CellError(_lost_digits_message(label))
        digits = str(abs(int(number)))
        significant = len(number.as_tuple().digits)
        if significant < len(digits):
            raise CellError(
                _(
                    "%(label)s“%(value)s”是科学计数法，后几位数字已丢失，无法还原。请将该列设置为“文本”格式，重新填写完整的%(label)s。"
                )
                % {"label": label, "value": text}
            )
        return digits, True
    return text, False


MOBILE = re.compile(r"(?:\+?86)?(1[3-9]\d{9})")
_LANDLINE = re.compile(r"0\d{2,3}-?\d{3,4}-?\d{4}(?:(?:-|转|ext\.?|#)\d{1,6})?", re.IGNORECASE)
_SERVICE_LINE = re.compile(r"[48]00-?\d{3}-?\d{4}")


def parse_phone(raw: Any, lookups: Any) -> Any:
    """A mainland mobile number (stored as 11 digits) or a landline with its area code."""
    if is_blank(raw):
        return BLANK
    text, numeric = integer_text(raw, _("电话号码"))
    compact = re.sub(r"[\s()（）]", "", text)
    mobile = MOBILE.fullmatch(compact.replace("-", ""))
    if mobile:
        return mobile.group(1)
    if (_LANDLINE.fullmatch(compact) or _SERVICE_LINE.fullmatch(compact)) and len(compact) <= 20:
        return compact
    message = _(
        "电话号码“%(value)s”格式不正确，"
        "请填写 11 位手机号（如 13812345678）或带区号的固定电话（如 021-59991234）。"
    ) % {"value": display_value(text)}
    if numeric:
        message += _(
            "若号码以 0 开头，可能是 Excel 把它当作数字去掉了开头的 0，请将该列设置为“文本”格式后重新填写。"
        )
    raise CellError(message)


def phone_key(phone: str) -> str:
    """Phones compared loosely: a stored "138-1234-5678" matches the imported 13812345678."""
    match = MOBILE.fullmatch(re.sub(r"[\s\-()（）]", "", phone or ""))
    return match.group(1) if match else (phone or "")


def checked_code(label: str, validate: Callable[[str], str]) -> CellParser:
    """A code checked by ``validate`` (which returns the canonical form or raises ValueError with a
    Chinese message): the hook through which a spec brings its own rules, e.g. the 统一社会信用代码."""

    def parse(raw: Any, lookups: Any) -> Any:
        if is_blank(raw):
            return BLANK
        text, _numeric = integer_text(raw, label)
        try:
            return validate(text)
        except ValueError as error:
            raise CellError(str(error)) from error

    return parse


# ------------------------------------------------------------------------------------------------
# Decimal numbers and money
# ------------------------------------------------------------------------------------------------

_SUFFIXES = re.compile(
    r"(平方米|平米|㎡|m²|m2|kn/㎡|kn/m2|kn/m²|kw|千瓦|元/㎡·天|元/㎡/天|元/平方米/天|元)$", re.IGNORECASE
)


def _number(raw: Any, what: str) -> Decimal:
    if isinstance(raw, bool):
        raise CellError(_("%(what)s应为数字，不能是“是/否”。") % {"what": what})
    if isinstance(raw, int | float):
        if isinstance(raw, float) and raw != raw:  # NaN
            raise CellError(_("%(what)s应为数字。") % {"what": what})
        return Decimal(str(raw))
    text = unicodedata.normalize("NFKC", clean_text(raw)).replace(",", "").replace(" ", "")
    text = _SUFFIXES.sub("", text)
    try:
        value = Decimal(text)
    except InvalidOperation as error:
        raise CellError(
            _("“%(value)s”不是有效的%(what)s，请填写数字。") % {"value": display_value(raw), "what": what}
        ) from error
    if not value.is_finite():
        raise CellError(_("%(what)s应为数字。") % {"what": what})
    return value


def parse_decimal(
    what: str, *, places: int, minimum: Decimal, maximum: Decimal, above: bool = False
) -> CellParser:
    """A decimal with at most ``places`` decimals in [minimum, maximum] (or (minimum, maximum] with
    ``above``); units written after the number (㎡, kW, 元…) and thousands separators are accepted."""

    def parse(raw: Any, lookups: Any) -> Any:
        if is_blank(raw):
            return BLANK
        value = _number(raw, what)
        if value != value.quantize(Decimal(1).scaleb(-places)):
            raise CellError(_("%(what)s最多保留 %(n)s 位小数。") % {"what": what, "n": places})
        if (value <= minimum if above else value < minimum) or value > maximum:
            low = _("大于") if above else _("不小于")
            raise CellError(
                _("%(what)s应%(low)s %(min)s 且不超过 %(max)s。")
                % {"what": what, "low": low, "min": minimum, "max": maximum}
            )
        return value.quantize(Decimal(1).scaleb(-places))

    return parse


def parse_int(what: str, *, minimum: int, maximum: int) -> CellParser:
    decimal = parse_decimal(what, places=0, minimum=Decimal(minimum), maximum=Decimal(maximum))

    def parse(raw: Any, lookups: Any) -> Any:
        value = decimal(raw, lookups)
        return value if value is BLANK else int(value)

    return parse


def parse_money_fen(what: str, *, maximum_yuan: Decimal, minimum_yuan: Decimal = Decimal(0)) -> CellParser:
    """An amount written in yuan (at most two decimals, "元" allowed after it), returned in integer fen."""
    decimal = parse_decimal(what, places=2, minimum=minimum_yuan, maximum=maximum_yuan)

    def parse(raw: Any, lookups: Any) -> Any:
        value = decimal(raw, lookups)
        return value if value is BLANK else int(value * 100)

    return parse


# ------------------------------------------------------------------------------------------------
# Dates
# ------------------------------------------------------------------------------------------------

_DATE_FORMS = (
    re.compile(r"(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})"),
    re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
_TIME_TAIL = re.compile(r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$")
_EARLIEST = dt.date(1800, 1, 1)


def _date_from_parts(year: str, month: str, day: str, shown: str) -> dt.date:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError as error:
        raise CellError(
            _("日期“%(value)s”不存在，请核对年、月、日。") % {"value": display_value(shown)}
        ) from error


def _date_value(raw: Any) -> dt.date:
    how_to = _("请按 2024-01-05、2024/1/5 或 2024年1月5日 的格式填写。")
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, bool):
        raise CellError(_("不是日期。") + how_to)
    if isinstance(raw, int | float):
        if isinstance(raw, float) and not raw.is_integer():
            raise CellError(_("无法识别的日期“%(value)s”。") % {"value": display_value(raw)} + how_to)
        number = int(raw)
        if 1800 <= number <= 2100:
            raise CellError(_("只填了年份“%(value)s”，请填写完整日期。") % {"value": number} + how_to)
        if len(str(number)) == 8:
            return _date_from_parts(str(number)[:4], str(number)[4:6], str(number)[6:], str(number))
        if 1 <= number <= 2958465:
            from openpyxl.utils.datetime import from_excel

            converted: dt.datetime = from_excel(number)
            return converted.date()
        raise CellError(_("无法识别的日期“%(value)s”。") % {"value": number} + how_to)
    text = _TIME_TAIL.sub("", code_text(raw)).strip()
    for form in _DATE_FORMS:
        match = form.fullmatch(text)
        if match:
            year, month, day = match.groups()
            return _date_from_parts(year, month, day, text)
    raise CellError(_("无法识别的日期“%(value)s”。") % {"value": display_value(text)} + how_to)


def parse_date(raw: Any, lookups: Any) -> Any:
    """A date from an Excel date cell, an Excel serial number or text such as 2024-01-05, 2024/1/5,
    2024年1月5日, 20240105."""
    if is_blank(raw):
        return BLANK
    value = _date_value(raw)
    if value < _EARLIEST:
        raise CellError(_("日期“%(value)s”过早，请核对年份。") % {"value": value.isoformat()})
    return value


def parse_past_date(raw: Any, lookups: Any) -> Any:
    """A date as :func:`parse_date` that is not later than today."""
    value = parse_date(raw, lookups)
    if value is not BLANK and value > timezone.localdate():
        raise CellError(_("日期“%(value)s”晚于今天，请核对。") % {"value": value.isoformat()})
    return value


# ------------------------------------------------------------------------------------------------
# Booleans, e-mail, choices
# ------------------------------------------------------------------------------------------------

_TRUE = {"是", "y", "yes", "true", "t", "1", "√", "✓", "✔", "对", "有"}
_FALSE = {"否", "n", "no", "false", "f", "0", "×", "✗", "✘", "不是", "无", "非"}


def parse_bool(raw: Any, lookups: Any) -> Any:
    if is_blank(raw):
        return BLANK
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    key = loose_key(raw_text(raw))
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise CellError(_("“%(value)s”无法识别，请填写“是”或“否”。") % {"value": display_value(raw)})


def parse_email(raw: Any, lookups: Any) -> Any:
    if is_blank(raw):
        return BLANK
    text = code_text(raw).replace(" ", "")
    local, at, domain = text.rpartition("@")
    if at:
        text = f"{local}@{domain.lower()}"
    try:
        validate_email(text)
    except ValidationError as error:
        raise CellError(
            _("邮箱“%(value)s”格式不正确，请填写如 name@example.com 的地址。")
            % {"value": display_value(text)}
        ) from error
    if len(text) > 254:
        raise CellError(_("邮箱过长，最多 254 个字符。"))
    return text


def choice_labels(choices: Any) -> list[tuple[str, str]]:
    """(value, Chinese label) pairs; labels are read untranslated, so Chinese whatever the language."""
    with translation.override(None):
        return [(value, str(label)) for value, label in choices.choices]


def labels_text(choices: Any) -> str:
    """The Chinese labels of the non-blank choices, for a template's notes."""
    return "、".join(label for value, label in choice_labels(choices) if value)


def _choice_table(choices: Any, aliases: dict[str, str] | None, allow_blank_value: bool) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for value, label in choice_labels(choices):
        mapping[loose_key(value)] = value
        mapping[loose_key(label)] = value
        short = re.split(r"[(（]", label)[0]
        mapping.setdefault(loose_key(short), value)
    for value, label in choices.choices:  # the active language's labels too
        mapping.setdefault(loose_key(str(label)), value)
    for alias, value in (aliases or {}).items():
        mapping.setdefault(loose_key(alias), value)
    if not allow_blank_value:
        mapping.pop("", None)
    return mapping


def parse_choice(
    choices: Any, what: str, aliases: dict[str, str] | None = None, allow_blank_value: bool = False
) -> CellParser:
    """One of a TextChoices, by value, Chinese label, label without its note in brackets, or an alias."""
    cache: dict[str, dict[str, str]] = {}

    def parse(raw: Any, lookups: Any) -> Any:
        if is_blank(raw):
            return BLANK
        language = translation.get_language() or ""
        if language not in cache:
            cache[language] = _choice_table(choices, aliases, allow_blank_value)
        found = cache[language].get(loose_key(raw_text(raw)))
        if found is None:
            options = "、".join(
                label for value, label in choice_labels(choices) if value or allow_blank_value
            )
            raise CellError(
                _("“%(value)s”不是可选的%(what)s，请填写：%(options)s。")
                % {"value": display_value(raw), "what": what, "options": options}
            )
        return found

    return parse


def parse_multi_choice(choices: Any, what: str, aliases: dict[str, str] | None = None) -> CellParser:
    """Several of a TextChoices in one cell, separated by 、 , ; or line breaks; a list without repeats."""
    cache: dict[str, dict[str, str]] = {}

    def parse(raw: Any, lookups: Any) -> Any:
        if is_blank(raw):
            return BLANK
        if "table" not in cache:
            table: dict[str, str] = {}
            for value, label in choice_labels(choices):
                table[loose_key(value)] = value
                table[loose_key(label)] = value
            for alias, value in (aliases or {}).items():
                table.setdefault(loose_key(alias), value)
            cache["table"] = table
        values: list[str] = []
        unknown: list[str] = []
        for part in split_multi(raw):
            found = cache["table"].get(loose_key(part))
            if found is None:
                unknown.append(part)
            elif found not in values:
                values.append(found)
        if unknown:
            raise CellError(
                _("%(what)s“%(value)s”无法识别，请填写：%(options)s，多个用顿号“、”分隔。")
                % {
                    "what": what,
                    "value": display_value("、".join(unknown)),
                    "options": "、".join(label for _value, label in choice_labels(choices)),
                }
            )
        return values

    return parse
