"""Remembered recommendations are exact: the same answer as the engine, per viewer, until the engine changes."""

from __future__ import annotations

import threading
import time

import pytest

from kechuang.transfer import matching, selectors, services
from kechuang.transfer.factories import make_achievement

pytestmark = pytest.mark.django_db


def _ids(matches):
    return [m.obj.pk for m in matches]


def test_a_remembered_answer_equals_the_engine_and_callers_cannot_spoil_it(
    enterprise_user, achievement, demand
):
    engine = matching.get_engine()
    allowed = matching.allowed_for(enterprise_user)
    doc = matching.document_for(demand)
    fresh = engine.recommend(doc, k=5, kinds=("achievement",), allowed=allowed)
    first = matching.recommend(engine, doc, k=5, kinds=("achievement",), allowed=allowed)
    assert [(h.id, h.score, h.matched_terms) for h in first] == [
        (h.id, h.score, h.matched_terms) for h in fresh
    ]
    first[0].matched_terms.clear()  # what materialize does to the hits it is given
    first[0].reasons[0].detail["terms"] = ["改写"]
    again = matching.recommend(engine, doc, k=5, kinds=("achievement",), allowed=allowed)
    assert [(h.id, h.matched_terms) for h in again] == [(h.id, h.matched_terms) for h in fresh]
    assert again[0].reasons[0].detail == fresh[0].reasons[0].detail


def test_a_new_listing_reaches_the_board_at_once(
    operator, institute_org, enterprise_user, achievement, demand
):
    board = selectors.matching_board(actor=operator)
    assert [row["demand"].pk for row in board] == [demand.pk]
    assert _ids(board[0]["candidates"]) == [achievement.pk]
    newer = make_achievement(
        institute_org,
        status="submitted",
        title="电池托盘激光焊接气孔在线检测",
        summary="激光焊接过程气孔缺陷的在线检测与工艺闭环控制，适用于电池托盘与车身焊装。",
        keywords="激光焊接 气孔 在线检测",
    )
    services.achievement_review(actor=operator, achievement=newer, approve=True)
    board = selectors.matching_board(actor=operator)
    assert newer.pk in _ids(board[0]["candidates"])


def test_each_viewer_gets_its_own_answer(operator, enterprise_user, confidential_achievement, demand):
    engine = matching.get_engine()
    doc = matching.document_for(demand)
    for_operator = matching.recommend(
        engine, doc, k=5, kinds=("achievement",), allowed=matching.allowed_for(operator)
    )
    for_enterprise = matching.recommend(
        engine, doc, k=5, kinds=("achievement",), allowed=matching.allowed_for(enterprise_user)
    )
    confidential = f"achievement:{confidential_achievement.pk}"
    assert confidential in [h.id for h in for_operator]
    assert confidential not in [h.id for h in for_enterprise]


def test_concurrent_misses_compute_once(enterprise_user, achievement, demand, monkeypatch):
    """The stampede of issue 15: eight requests missing the same recommendations at the same moment
    compute them once; the others wait for that answer (docs/adr/0020-calibrated-matching.md)."""
    engine = matching.get_engine()
    allowed = matching.allowed_for(enterprise_user)
    doc = matching.document_for(demand)
    real = engine.recommend
    calls = []

    def slow(*args, **kwargs):
        calls.append(1)
        time.sleep(0.2)
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "recommend", slow)
    start = threading.Barrier(8)
    answers: list[list[str]] = []

    def request() -> None:
        start.wait()
        hits = matching.recommend(engine, doc, k=5, kinds=("achievement",), allowed=allowed)
        answers.append([h.id for h in hits])

    threads = [threading.Thread(target=request) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(calls) == 1
    assert len(answers) == 8 and all(a == answers[0] for a in answers)
    assert answers[0] == [f"achievement:{achievement.pk}"]
    assert not matching._index.in_flight


def test_a_failed_computation_lets_the_next_request_try_again(enterprise_user, demand, monkeypatch):
    engine = matching.get_engine()
    allowed = matching.allowed_for(enterprise_user)
    doc = matching.document_for(demand)
    real = engine.recommend
    monkeypatch.setattr(engine, "recommend", lambda *a, **kw: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(RuntimeError):
        matching.recommend(engine, doc, k=5, kinds=("achievement",), allowed=allowed)
    assert not matching._index.in_flight
    monkeypatch.setattr(engine, "recommend", real)
    assert matching.recommend(engine, doc, k=5, kinds=("achievement",), allowed=allowed) is not None
