"""Segmentation, normalisation and highlighting."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matchcore.text import STOPWORDS, Segmenter, highlight, normalize


def test_normalize_folds_full_width_letters_digits_and_case() -> None:
    assert normalize("ＡＢＣ１２３ａｂｃ") == "abc123abc"
    assert normalize("ＭＥＭＳ传感器") == "mems传感器"


def test_normalize_folds_full_width_punctuation_and_space() -> None:
    assert normalize("（激光）：１０ｍｍ") == "(激光):10mm"
    assert normalize("\u3000") == " "


@given(st.text(max_size=50))
def test_normalize_keeps_length_so_offsets_are_shared(text: str) -> None:
    assert len(normalize(text)) == len(text)


def test_tokens_drop_stopwords_and_punctuation() -> None:
    seg = Segmenter()
    tokens = seg.tokens("我们的激光器，和传感器。")
    assert "的" not in tokens and "和" not in tokens and "我们" not in tokens
    assert "，" not in tokens and "。" not in tokens
    assert "激光" in tokens and "传感器" in tokens


def test_tokens_are_normalised_latin_words() -> None:
    tokens = Segmenter().tokens("ＭＥＭＳ Sensor 芯片")
    assert "mems" in tokens and "sensor" in tokens


def test_full_mode_emits_overlapping_sub_words() -> None:
    tokens = Segmenter(mode="all").tokens("飞行器控制器")
    assert {"飞行", "飞行器", "控制", "控制器"} <= set(tokens)


def test_add_words_makes_a_domain_term_one_token() -> None:
    seg = Segmenter(mode="default")
    assert "拟态防御" not in seg.tokens("拟态防御系统")
    assert seg.add_words(["拟态防御", "拟态防御", " "]) == 1
    assert "拟态防御" in seg.tokens("拟态防御系统")


def test_stopword_list_is_small_and_generic() -> None:
    assert 50 < len(STOPWORDS) < 400
    assert "的" in STOPWORDS and "激光" not in STOPWORDS


def test_highlight_marks_terms_case_and_width_insensitively() -> None:
    segments = highlight("采用ＭＥＭＳ工艺的激光器", ["mems", "激光"])
    assert segments == [("采用", False), ("ＭＥＭＳ", True), ("工艺的", False), ("激光", True), ("器", False)]


def test_highlight_prefers_longer_terms_and_merges_neighbours() -> None:
    assert highlight("激光器件", ["激光", "激光器", "件"]) == [("激光器件", True)]


@pytest.mark.slow
@given(st.text(max_size=40), st.lists(st.text(min_size=1, max_size=3), max_size=4))
def test_highlight_segments_concatenate_to_the_text(text: str, terms: list[str]) -> None:
    assert "".join(seg for seg, _ in highlight(text, terms)) == text
