"""Numbers of IP assets by their published formats (docs/adr/0028-intellectual-property.md, "Numbers").

Chinese patent application numbers (专利申请号, GB/T 的 ZC 0006-2003 标准):
- since 1 October 2003: 12 digits ``YYYYKNNNNNNN`` (year, kind 1 invention / 2 utility model / 3 design /
  8 PCT invention / 9 PCT utility model, 7-digit serial), a dot and a check character;
- before: 8 digits ``YYKNNNNN``, a dot and a check character.
The check character is the sum of the digits weighted 2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5 (8 digits: 2…9)
modulo 11, written ``X`` when it is 10. ``201710601862.3`` is a published number that checks.
The ``ZL`` (granted) and ``CN`` prefixes are accepted and dropped.

Software copyright registration numbers (``2023SR0123456``), IC layout-design registration numbers
(``BS.235012345``) and plant-variety application numbers (``CNA20201234.5``) are checked by format
only: their offices publish no check rule. Foreign family members are an ISO country code and the
office's number (``US10123456B2``, ``EP3123456A1``, ``WO2020123456A1``).
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .choices import AssetKind

WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_CN = re.compile(r"^(?:ZL|CN)?(?P<body>\d{12}|\d{8})\.?(?P<check>[0-9X])?$")
_SOFTWARE = re.compile(r"^(?P<year>(?:19|20)\d{2})SR(?P<n>\d{6,7})$")
_IC = re.compile(r"^BS\.?(?P<n>\d{9})(?:\.?(?P<check>[0-9X]))?$")
_PLANT = re.compile(r"^CNA(?P<n>\d{8})\.?(?P<check>\d)?$")
_FOREIGN = re.compile(r"^(?P<country>[A-Z]{2})(?P<n>[0-9]{4,12}[A-Z0-9]{0,3})$")
# The kind digit of an application number (its 5th digit, or 3rd in the old format) per asset kind.
KIND_DIGITS = {
    AssetKind.INVENTION: frozenset("18"),
    AssetKind.UTILITY: frozenset("29"),
    AssetKind.DESIGN: frozenset("3"),
}


def normalize(raw: str) -> str:
    """Full-width to half-width, upper case, spaces and 号 dropped."""
    text = unicodedata.normalize("NFKC", str(raw or "")).upper()
    return re.sub(r"[\s　]+", "", text).replace("专利号", "").replace("申请号", "").strip(":：")


def check_character(digits: str) -> str:
    """The check character of an 8- or 12-digit Chinese application number."""
    total = sum(int(d) * w for d, w in zip(digits, WEIGHTS, strict=False))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def cn_application_number(raw: str, kind: str | None = None) -> str:
    """The canonical ``201710601862.3`` form, or a ValidationError in Chinese."""
    text = normalize(raw)
    match = _CN.match(text)
    if not match:
        raise ValidationError(
            _("“%(value)s”不是有效的专利申请号，应为 12 位数字加校验位，如 201710601862.3。") % {"value": raw}
        )
    body, check = match.group("body"), match.group("check")
    expected = check_character(body)
    if check is None:
        raise ValidationError(
            _("申请号 %(value)s 缺少校验位（应为 .%(check)s）。") % {"value": body, "check": expected}
        )
    if check != expected:
        raise ValidationError(
            _("申请号 %(value)s 的校验位应为 %(check)s，请核对。")
            % {"value": f"{body}.{check}", "check": expected}
        )
    kind_digit = body[4] if len(body) == 12 else body[2]
    allowed = KIND_DIGITS.get(kind or "")  # type: ignore[call-overload]
    if allowed is not None and kind_digit not in allowed:
        raise ValidationError(
            _("申请号 %(value)s 的类型位是 %(digit)s，与所选类型“%(kind)s”不符。")
            % {"value": f"{body}.{check}", "digit": kind_digit, "kind": AssetKind(kind).label}
        )
    if len(body) == 12 and not 1985 <= int(body[:4]) <= 2100:
        raise ValidationError(_("申请号 %(value)s 的年份不正确。") % {"value": f"{body}.{check}"})
    return f"{body}.{check}"


def asset_number(raw: str, kind: str) -> str:
    """A number in the canonical form of its kind, or a ValidationError in Chinese."""
    if kind in KIND_DIGITS:
        return cn_application_number(raw, kind)
    text = normalize(raw)
    if kind == AssetKind.SOFTWARE:
        match = _SOFTWARE.match(text)
        if not match:
            raise ValidationError(
                _("“%(value)s”不是有效的软件著作权登记号，如 2023SR0123456。") % {"value": raw}
            )
        return f"{match.group('year')}SR{int(match.group('n')):07d}"
    if kind == AssetKind.IC_LAYOUT:
        match = _IC.match(text)
        if not match:
            raise ValidationError(
                _("“%(value)s”不是有效的集成电路布图设计登记号，如 BS.235012345。") % {"value": raw}
            )
        check = match.group("check")
        return f"BS.{match.group('n')}" + (f".{check}" if check else "")
    if kind == AssetKind.PLANT_VARIETY:
        match = _PLANT.match(text)
        if not match:
            raise ValidationError(
                _("“%(value)s”不是有效的植物新品种申请号，如 CNA20201234.5。") % {"value": raw}
            )
        check = match.group("check")
        return f"CNA{match.group('n')}" + (f".{check}" if check else "")
    raise ValidationError(_("未知的知识产权类型。"))


def foreign_number(raw: str) -> tuple[str, str]:
    """(country, number) of a foreign family member such as ``US10123456B2``."""
    text = normalize(raw).replace("-", "").replace("/", "")
    match = _FOREIGN.match(text)
    if not match or match.group("country") == "CN":
        raise ValidationError(
            _("“%(value)s”不是有效的国外同族专利号，应为国家代码加号码，如 US10123456B2、EP3123456A1。")
            % {"value": raw}
        )
    return match.group("country"), text
