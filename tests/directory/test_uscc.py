"""统一社会信用代码 (GB 32100-2015): docs/reliability.md F1–F4, example-based and property-based."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kechuang.directory import uscc

VALID = ["91350100M000100Y43", "9144030000000000G0"]

prefixes = st.text(alphabet=uscc.ALPHABET, min_size=17, max_size=17)
valid_codes = prefixes.map(lambda prefix: prefix + uscc.check_character(prefix))
FORBIDDEN = "IOSVZ"
INVISIBLE = [
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u00ad",
    "\u200e",
    "\u200f",
    "\u2061",
    "\u202a",
    "\u202c",
    "\u2066",
    "\u2069",
    "\u180e",
]
SPACES = [" ", "\t", "\n", "\u3000", "\u00a0", "\u2002", "\u2009"]


def to_full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


# --- F1 / F2: the examples of docs/reliability.md -----------------------------------------------------


@pytest.mark.parametrize("code", VALID)
def test_published_valid_examples_validate_to_themselves(code):
    assert uscc.validate(code) == code
    assert uscc.is_valid(code)


def test_check_character_of_first_example_comes_from_prefix_sum_1640():
    prefix = "91350100M000100Y4"
    assert sum(uscc.VALUES[c] * w for c, w in zip(prefix, uscc.WEIGHTS, strict=True)) == 1640
    assert uscc.check_character(prefix) == "3"


def test_check_value_zero_gives_character_zero():
    assert uscc.check_character("9144030000000000G") == "0"


def test_wrong_check_character_is_rejected_with_chinese_message():
    with pytest.raises(uscc.USCCError, match="校验位"):
        uscc.validate("91350100M000100Y44")


def test_z_as_check_character_is_rejected_as_forbidden_character():
    with pytest.raises(uscc.USCCError, match="不允许的字符"):
        uscc.validate("91350100M000100Y4Z")


@pytest.mark.parametrize("letter", list(FORBIDDEN))
@pytest.mark.parametrize("position", [0, 8, 17])
def test_codes_containing_i_o_s_v_or_z_are_rejected(letter, position):
    code = list(VALID[0])
    code[position] = letter
    with pytest.raises(uscc.USCCError, match=f"不允许的字符：{letter}"):
        uscc.validate("".join(code))


@pytest.mark.parametrize("code", [VALID[0][:17], VALID[0] + "3", ""])
def test_codes_of_wrong_length_or_empty_are_rejected(code):
    with pytest.raises(uscc.USCCError, match="统一社会信用代码"):
        uscc.validate(code)
    assert not uscc.is_valid(code)


def test_length_message_states_how_many_characters_were_given():
    with pytest.raises(uscc.USCCError, match="17 位"):
        uscc.validate(VALID[0][:17])
    with pytest.raises(uscc.USCCError, match="19 位"):
        uscc.validate(VALID[0] + "3")


# --- F3: properties of the checksum --------------------------------------------------------------


@given(valid_codes)
def test_every_prefix_with_its_computed_check_character_validates(code):
    assert uscc.validate(code) == code


@given(valid_codes, st.integers(0, 17), st.sampled_from(uscc.ALPHABET))
def test_every_single_substitution_of_a_valid_code_is_rejected(code, position, replacement):
    if code[position] == replacement:
        return
    changed = code[:position] + replacement + code[position + 1 :]
    assert not uscc.is_valid(changed)


@given(valid_codes, st.integers(0, 16))
def test_every_adjacent_transposition_of_a_valid_code_is_rejected(code, position):
    if code[position] == code[position + 1]:
        return
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
    assert not uscc.is_valid(swapped)


@given(valid_codes, st.integers(0, 17), st.sampled_from(FORBIDDEN))
def test_a_forbidden_letter_anywhere_is_rejected(code, position, letter):
    assert not uscc.is_valid(code[:position] + letter + code[position + 1 :])


@given(st.text(alphabet=uscc.ALPHABET, max_size=30).filter(lambda s: len(s) != 18))
def test_any_length_other_than_18_is_rejected(code):
    assert not uscc.is_valid(code)


# --- F4: normalisation ---------------------------------------------------------------------------


@given(
    valid_codes,
    st.lists(st.booleans(), min_size=18, max_size=18),
    st.lists(st.booleans(), min_size=18, max_size=18),
    st.lists(st.sampled_from(INVISIBLE + SPACES + [""]), min_size=19, max_size=19),
)
def test_lower_case_full_width_and_invisible_or_space_characters_normalise_to_canonical(
    code, lower, full, gaps
):
    noisy = gaps[0]
    for i, ch in enumerate(code):
        if lower[i]:
            ch = ch.lower()
        if full[i]:
            ch = to_full_width(ch)
        noisy += ch + gaps[i + 1]
    assert uscc.normalize(noisy) == code
    assert uscc.validate(noisy) == code


@given(st.text())
def test_normalising_twice_changes_nothing(text):
    once = uscc.normalize(text)
    assert uscc.normalize(once) == once


@given(valid_codes)
def test_validating_a_canonical_code_is_idempotent(code):
    assert uscc.validate(uscc.validate(code)) == code


def test_full_width_example_with_ideographic_and_zero_width_spaces_normalises():
    assert uscc.validate("\u3000９１３５０１００ｍ０００１００ｙ４３\u200b ") == VALID[0]


@settings(max_examples=50)
@given(st.text(max_size=60))
def test_validate_either_returns_a_canonical_code_or_raises_a_chinese_error(text):
    try:
        code = uscc.validate(text)
    except uscc.USCCError as error:
        assert "统一社会信用代码" in str(error)
    else:
        assert len(code) == 18 and all(ch in uscc.ALPHABET for ch in code)
