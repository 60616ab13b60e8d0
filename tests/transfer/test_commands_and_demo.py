"""match-eval, match-bench and match-reindex (``--json`` prints exactly one JSON object), and the
transfer demo generator (deterministic and idempotent)."""

import json
import random
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from kechuang.transfer import demo, matching
from kechuang.transfer.models import Achievement, ContractRegistration, Deal, Demand, Interest, ListingVector

pytestmark = pytest.mark.django_db

CSL = Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "csl-match" / "dev"


@pytest.fixture
def tiny_beir(tmp_path):
    corpus = [
        {"_id": "d1", "title": "", "text": "激光焊接铝合金车身，抑制焊缝气孔。"},
        {"_id": "d2", "title": "", "text": "MEMS 压力传感器，硅基压阻结构与温度补偿。"},
        {"_id": "d3", "title": "", "text": "微流控核酸检测芯片，等温扩增三十分钟出结果。"},
    ]
    (tmp_path / "corpus.jsonl").write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in corpus))
    queries = [{"_id": "q1", "text": "车身焊接气孔"}, {"_id": "q2", "text": "压力传感器"}]
    (tmp_path / "queries.jsonl").write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in queries))
    (tmp_path / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n")
    return tmp_path


def test_match_eval_json_prints_one_object(tiny_beir):
    out = StringIO()
    call_command(
        "match_eval", str(tiny_beir), queries="queries.jsonl", k=10, json=True, embedder="hashing", stdout=out
    )
    result = json.loads(out.getvalue())
    for key in ("mrr@10", "recall@10", "ndcg@10", "query_ms_p50", "query_ms_p95", "index_seconds", "queries"):
        assert key in result
    assert result["queries"] == 2 and result["recall@10"] == 1.0


def test_match_eval_refuses_a_missing_folder(tmp_path):
    with pytest.raises(CommandError):
        call_command("match_eval", str(tmp_path / "nope"), json=True)


@pytest.mark.skipif(not CSL.exists(), reason="the CSL-match benchmark is not beside the project")
@pytest.mark.any_database  # the engine reads the benchmark's files, not the platform's tables
def test_match_eval_on_the_real_benchmark_runs(db):
    out = StringIO()
    call_command(
        "match_eval", str(CSL), queries="queries-title.jsonl", json=True, embedder="hashing", stdout=out
    )
    assert json.loads(out.getvalue())["queries"] > 100


@pytest.mark.slow
@pytest.mark.any_database  # generated listings in the engine alone, no platform table
def test_match_bench_json(db):
    out = StringIO()
    call_command(
        "match_bench", docs="200,400", queries=5, dense_sample=20, embedder="hashing", json=True, stdout=out
    )
    result = json.loads(out.getvalue())
    assert set(result["sizes"]) == {"200", "400"}
    assert "ratio_query_p95_engine_over_baseline" in result["sizes"]["400"]
    # the encoding both systems pay, timed inside the baseline's own queries: a floor of the ratio
    size = result["sizes"]["400"]
    assert 0 < size["baseline"]["encode_ms_p95"] <= size["baseline"]["query_ms_p95"]
    assert 0 < size["floor_ratio_query_p95_encoding_over_baseline"] <= 1
    # the whole server: the index built once, two forked workers, the sum of their PSS
    server = result["sizes"]["400"]["server"]
    assert server["workers"] == 2 and len(server["worker_pss_mb"]) == 2
    assert server["server_pss_mb"] >= server["master_pss_mb"] > 0
    with pytest.raises(CommandError):
        call_command("match_bench", docs="abc", json=True)


def test_match_reindex_computes_missing_vectors(institute_org, enterprise_org, fields):
    from kechuang.transfer.factories import make_achievement, make_demand

    make_achievement(institute_org)
    make_demand(enterprise_org)
    out = StringIO()
    call_command("match_reindex", json=True, stdout=out)
    result = json.loads(out.getvalue())
    assert result["computed"] == result["missing_before"] >= 2
    assert ListingVector.objects.count() == result["computed"]
    assert matching.missing_vector_ids() == []
    again = StringIO()
    call_command("match_reindex", json=True, stdout=again)
    assert json.loads(again.getvalue())["computed"] == 0


@pytest.fixture
def directory(db):
    from kechuang.testing.factories import InstituteFactory, OrganizationFactory
    from kechuang.transfer.factories import ensure_fields

    ensure_fields()
    for i in range(3):
        InstituteFactory(name=f"演示研究所{i}")
    for i in range(12):
        OrganizationFactory(name=f"演示企业{i:02d}")


def _snapshot():
    return (
        sorted(Achievement.objects.values_list("title", "status", "visibility")),
        sorted(Demand.objects.values_list("title", "status")),
        Interest.objects.count(),
        Deal.objects.count(),
        ContractRegistration.objects.count(),
    )


@pytest.mark.slow
def test_demo_generator_is_deterministic_and_idempotent(directory):
    counts = demo.generate(scale="tiny", seed=7, rng=random.Random("7:transfer"))
    assert counts["科技成果"] == 30 and counts["技术需求"] == 16
    first = _snapshot()
    again = demo.generate(scale="tiny", seed=7, rng=random.Random("7:transfer"))
    assert all(v == 0 for v in again.values()), again
    assert _snapshot() == first
    stages = set(Deal.objects.values_list("stage", flat=True))
    assert len(stages) >= 2
    assert not Deal.objects.filter(owner__isnull=True).exists()  # every deal has an operator in charge
    assert {u.has_usable_password() for u in {d.owner for d in Deal.objects.select_related("owner")}} == {
        False
    }
    statuses = set(Achievement.objects.values_list("status", flat=True))
    assert "published" in statuses
    sample = Achievement.objects.filter(status="published").first()
    assert len(sample.summary) > 30 and sample.code.startswith("CG-")


def test_demo_plan_depends_only_on_the_seed(directory):
    a = [
        (p.kind, p.organization.name, p.data["title"])
        for p in demo.plan(scale="tiny", rng=random.Random("1:t"))
    ]
    b = [
        (p.kind, p.organization.name, p.data["title"])
        for p in demo.plan(scale="tiny", rng=random.Random("1:t"))
    ]
    c = [
        (p.kind, p.organization.name, p.data["title"])
        for p in demo.plan(scale="tiny", rng=random.Random("2:t"))
    ]
    assert a == b and a != c


def test_demo_plan_titles_are_unique_per_organization(directory):
    # few organizations and many listings: a repeated title would make two plans one listing
    planned = demo.plan(scale="small", rng=random.Random("2026:transfer"))
    keys = [(p.kind, p.organization.pk, p.data["title"]) for p in planned]
    assert len(keys) == len(set(keys))
    assert all(len(p.data["title"]) <= 120 for p in planned)


@pytest.mark.slow
def test_demo_interests_only_go_to_listings_that_accept_interest(directory, monkeypatch):
    from kechuang.transfer import services
    from kechuang.transfer.permissions import listing_is_open

    picked = []
    real = services.interest_express

    def checked(*, listing, organization, **kwargs):
        current = type(listing).objects.get(pk=listing.pk)
        assert listing_is_open(current), (current.code, current.status)
        assert current.organization_id != organization.pk
        picked.append(current.pk)
        return real(listing=listing, organization=organization, **kwargs)

    monkeypatch.setattr(services, "interest_express", checked)
    for bulk in (False, True):
        demo.generate(scale="tiny", seed=7, rng=random.Random("7:transfer"), bulk=bulk)
    assert picked
    # listings closed since the first run (transferred, archived, solved…) get no new interest on a rerun
    for model in (Achievement, Demand):
        model.objects.filter(status__in=["published", "negotiating"]).update(status="archived")
    Interest.objects.all().delete()
    picked.clear()
    again = demo.generate(scale="tiny", seed=7, rng=random.Random("7:transfer"), bulk=True)
    assert picked == [] and again["意向"] == 0


def _listing_rows(model):
    skip = {"id", "code", "created_at", "updated_at", "submitted_at", "published_at", "index_version"}
    names = [f.name for f in model._meta.concrete_fields if f.name not in skip]
    rows = []
    for obj in model.objects.order_by("organization_id", "title"):
        row = tuple(str(getattr(obj, n)) for n in names)
        fields = tuple(sorted(obj.fields.values_list("code", flat=True)))
        stamps = (obj.submitted_at is not None, obj.published_at is not None, obj.index_version > 0)
        rows.append((row, fields, stamps, obj.code.split("-")[0]))
    return rows


@pytest.mark.slow
def test_demo_bulk_listings_match_the_service_path(directory):
    from kechuang.core.audit import verify_chain
    from kechuang.transfer.models import ContractRegistration, DealNote

    demo.generate(scale="tiny", seed=7, rng=random.Random("7:transfer"), bulk=False)
    by_service = (_listing_rows(Achievement), _listing_rows(Demand), _snapshot())
    for model in (ContractRegistration, DealNote, Deal, Interest, Achievement, Demand):
        model.objects.all().delete()
    counts = demo.generate(scale="tiny", seed=7, rng=random.Random("7:transfer"), bulk=True)
    assert counts["科技成果"] == 30 and counts["技术需求"] == 16
    assert (_listing_rows(Achievement), _listing_rows(Demand), _snapshot()) == by_service
    assert not Achievement.objects.filter(code__startswith="tmp-").exists()
    assert list(verify_chain()) == []
    again = demo.generate(scale="tiny", seed=7, rng=random.Random("7:transfer"), bulk=True)
    assert all(v == 0 for v in again.values()), again
