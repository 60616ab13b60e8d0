"""The index's metadata held as arrays (docs/adr/0030-engine-at-city-scale.md, "The metadata as
arrays"): it answers as the dict of ``DocMeta`` it replaces, for every kind of key, and costs a few
bytes per listing instead of an object per listing."""

import random
import tracemalloc

import pytest

from kechuang.transfer.choices import Visibility
from kechuang.transfer.matching import Allowed, DocMeta, MetaTable, Viewer

pytestmark = pytest.mark.no_db


def _meta(kind, pk, visibility="public", org=None):
    return DocMeta(kind, pk, visibility, org)


def test_it_answers_as_the_dict_it_replaces_through_writes_removals_and_odd_keys():
    rng = random.Random(7)
    table, plain = MetaTable(), {}
    kinds = ["achievement", "demand", "organization", "expert", "challenge"]
    visibilities = ["public", "members", "operators"]
    for step in range(6000):
        kind = rng.choice(kinds)
        # dense keys, a key far beyond the count (kept aside), and keys that were removed and come back
        pk = rng.choice([rng.randrange(1, 3000), rng.randrange(10**9, 10**9 + 5), rng.randrange(1, 50)])
        doc_id = f"{kind}:{pk}"
        if step % 5 == 4:
            assert table.pop(doc_id, None) == plain.pop(doc_id, None)
        else:
            meta = _meta(kind, pk, rng.choice(visibilities), rng.choice([None, rng.randrange(1, 10**12)]))
            table[doc_id] = meta
            plain[doc_id] = meta
    assert len(table) == len(plain)
    assert dict(table) == plain
    for doc_id in list(plain)[:500]:
        assert doc_id in table and table.get(doc_id) == plain[doc_id] and table[doc_id] == plain[doc_id]
    odd = [
        "achievement:0",
        "achievement:999999",
        "nothing:1",
        "achievement",
        "achievement:x",
        "",
        "achievement:²",
    ]
    for missing in odd:
        assert missing not in table and table.get(missing) is None
        with pytest.raises(KeyError):
            table[missing]
    assert table.ids_of("expert") == sorted(
        (d for d in plain if d.startswith("expert:")), key=lambda d: int(d.split(":")[1])
    )


def test_an_id_that_does_not_name_its_metadata_is_refused():
    table = MetaTable()
    with pytest.raises(ValueError, match="does not name"):
        table["achievement:2"] = _meta("achievement", 3)
    with pytest.raises(ValueError):
        table["achievement:-x"] = _meta("achievement", 3)
    assert len(table) == 0 and dict(table) == {}


def test_a_negative_key_and_a_huge_key_do_not_stretch_the_arrays():
    table = MetaTable()
    table["achievement:-4"] = _meta("achievement", -4, "members", 9)
    table["achievement:123456789012"] = _meta("achievement", 123456789012)
    assert table.nbytes == 0
    assert table["achievement:-4"] == _meta("achievement", -4, "members", 9)
    assert table.ids_of("achievement") == ["achievement:-4", "achievement:123456789012"]


def test_the_viewer_reads_it_as_it_read_the_dict():
    table = MetaTable()
    table.update(
        {
            "achievement:1": _meta("achievement", 1, "operators", 5),
            "demand:2": _meta("demand", 2, "members", 6),
            "organization:5": _meta("organization", 5, "public", 5),
        }
    )
    table["expert:3"] = _meta("expert", 3, Visibility.MEMBERS)  # the choices' member, stored as its value
    assert table["expert:3"].visibility == "members" and type(table["expert:3"].visibility) is str
    member_of_5 = Allowed(Viewer(signed_in=True, operator=False, organizations=frozenset({5})), table)
    anonymous = Allowed(Viewer(signed_in=False, operator=False, organizations=frozenset()), table)
    assert [member_of_5(d) for d in ("achievement:1", "demand:2", "organization:5", "demand:9")] == [
        True,
        True,
        True,
        False,
    ]
    assert [anonymous(d) for d in ("achievement:1", "demand:2", "organization:5")] == [False, False, True]


def test_a_hundred_thousand_listings_cost_bytes_not_objects():
    ids = [(f"achievement:{pk}", _meta("achievement", pk, "public", pk % 97 + 1)) for pk in range(1, 100_001)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        table = MetaTable()
        for doc_id, meta in ids:
            table[doc_id] = meta
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(table) == 100_000
    # nine bytes per key, with the arrays' growth room; the dict of DocMeta held about 185 bytes each
    assert held < 20 * 100_000, held
