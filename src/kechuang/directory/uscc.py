"""统一社会信用代码 (GB 32100-2015): normalisation and checksum validation (docs/reliability.md F)."""

from __future__ import annotations

import unicodedata

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {ch: i for i, ch in enumerate(ALPHABET)}
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


class USCCError(ValueError):
    """Raised with a Chinese message that says what is wrong."""


def _is_dropped(ch: str) -> bool:
    """Spaces of any kind and invisible format characters (zero-width, BOM, soft hyphen, bidi marks)."""
    return ch.isspace() or unicodedata.category(ch) == "Cf"


def _normalize_once(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).upper()
    return "".join(ch for ch in text if not _is_dropped(ch))


def normalize(raw: str) -> str:
    """Full-width to half-width, upper case, and no spaces (including zero-width ones) anywhere.

    Repeated until nothing changes: removing a space can let NFKC compose what it separated
    (``"A\u00b4"`` becomes ``"A \u0301"``, then ``"Á"``), and normalising twice must change nothing.
    """
    text = raw or ""
    for _round in range(8):
        again = _normalize_once(text)
        if again == text:
            break
        text = again
    return text


def check_character(prefix: str) -> str:
    """The 18th character for a 17-character prefix."""
    total = sum(VALUES[ch] * weight for ch, weight in zip(prefix, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate(raw: str) -> str:
    """Return the canonical code or raise USCCError."""
    code = normalize(raw)
    if not code:
        raise USCCError("统一社会信用代码不能为空。")
    if len(code) != 18:
        raise USCCError(f"统一社会信用代码应为 18 位，现在是 {len(code)} 位。")
    bad = sorted({ch for ch in code if ch not in VALUES})
    if bad:
        raise USCCError("统一社会信用代码含有不允许的字符：" + "、".join(bad) + "（不使用 I、O、S、V、Z）。")
    expected = check_character(code[:17])
    if code[17] != expected:
        raise USCCError("统一社会信用代码校验位不正确，请核对后重新输入。")
    return code


def is_valid(raw: str) -> bool:
    try:
        validate(raw)
    except USCCError:
        return False
    return True
