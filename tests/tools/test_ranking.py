"""The candidate bus and fusion ranker on hand-made vectors."""

from __future__ import annotations

import numpy as np

from tools.hard_filter import FilterResult
from tools.item_index import ItemVectors
from tools.ranking import CandidateBus, FusionWeights, fuse


def _vectors() -> ItemVectors:
    m = np.array([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0, 0.9, 0.1], [0, 0, 1]], dtype=np.float32)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    return ItemVectors(np.array([1, 2, 3, 4, 5]), m)


def test_bus_respects_filter_and_universe() -> None:
    bus = CandidateBus(
        filter=FilterResult(frozenset({1, 2, 3}), excluded=frozenset({2})), universe=frozenset({1, 2, 3, 4})
    )
    assert bus.add("semantic", [(1, 0.9), (2, 0.8), (3, 0.1), (4, 0.5)]) == 2
    assert sorted(bus.ids()) == [1, 3]


def test_fuse_orders_by_weighted_signals_and_explains() -> None:
    vectors = _vectors()
    bus = CandidateBus()
    bus.add("semantic", [(1, 1.0), (3, 0.0), (5, 0.0)])
    query = np.array([1, 0, 0], dtype=np.float32)
    ranked = fuse(
        bus,
        weights=FusionWeights(semantic=1, collaborative=0, popularity=0),
        vectors=vectors,
        query=query,
        cf_scores=None,
        popularity={},
    )
    assert ranked[0].item_id == 1 and ranked[0].parts["semantic"] > 0.99
    cf_first = fuse(
        bus,
        weights=FusionWeights(semantic=0.1, collaborative=1, popularity=0),
        vectors=vectors,
        query=query,
        cf_scores={5: 2.0, 3: 1.0},
        popularity={},
    )
    assert [s.item_id for s in cf_first][:2] == [5, 3]


def test_disliked_items_attenuate_similar_candidates() -> None:
    vectors = _vectors()
    bus = CandidateBus()
    bus.add("popularity", [(2, 1.0), (4, 1.0)])
    pop = {2: 1.0, 4: 0.95}
    plain = fuse(bus, weights=FusionWeights(), vectors=vectors, query=None, cf_scores=None, popularity=pop)
    assert plain[0].item_id == 2
    attenuated = fuse(
        bus,
        weights=FusionWeights(),
        vectors=vectors,
        query=None,
        cf_scores=None,
        popularity=pop,
        disliked=[1],
    )
    assert attenuated[0].item_id == 4 and attenuated[1].parts["negative"] < 0


def test_exclusions_and_mmr() -> None:
    vectors = _vectors()
    bus = CandidateBus()
    bus.add("semantic", [(1, 1), (2, 1), (3, 1)])
    query = np.array([1, 0.05, 0], dtype=np.float32)
    ranked = fuse(
        bus, weights=FusionWeights(), vectors=vectors, query=query, cf_scores=None, popularity={}, exclude={1}
    )
    assert 1 not in [s.item_id for s in ranked]
    diverse = fuse(
        bus,
        weights=FusionWeights(popularity=0, mmr_lambda=0.3),
        vectors=vectors,
        query=query,
        cf_scores=None,
        popularity={},
        k=2,
    )
    assert [s.item_id for s in diverse] == [1, 3]  # 2 is a near-copy of 1


def test_empty_bus_gives_empty_ranking() -> None:
    assert (
        fuse(CandidateBus(), weights=FusionWeights(), vectors=None, query=None, cf_scores=None, popularity={})
        == []
    )


def test_boosted_items_gain_their_bonus() -> None:
    bus = CandidateBus()
    bus.add("popularity", [(2, 1.0), (4, 1.0)])
    pop = {2: 1.0, 4: 0.5}
    w = FusionWeights(semantic=0, collaborative=0, popularity=1)
    assert fuse(bus, weights=w, vectors=None, query=None, cf_scores=None, popularity=pop)[0].item_id == 2
    boosted = fuse(bus, weights=w, vectors=None, query=None, cf_scores=None, popularity=pop, boost={4: 0.6})
    assert boosted[0].item_id == 4 and boosted[0].parts["mentioned"] == 0.6


def test_soft_qualifiers_boost_and_penalise_tagged_items_only() -> None:
    from tools.ranking import Scored, adjust_for_qualifiers

    ranked = [Scored(1, 1.0, {"semantic": 1.0}), Scored(2, 0.9), Scored(3, 0.85), Scored(4, 0.8)]
    quals = {1: ("dark", "music"), 2: ("music",), 3: ("feel-good", "music"), 4: ()}
    out = adjust_for_qualifiers(ranked, quals, include=["music", "feel-good"], less=["dark"])
    assert [s.item_id for s in out] == [3, 2, 4, 1]
    assert out[0].score == 0.85 + 0.15 and out[0].parts["qualifiers"] == 0.15
    assert out[1].parts["qualifiers"] == 0.075  # one of the two wanted qualifiers
    assert abs(out[3].score - (1.0 + 0.075 - 0.3)) < 1e-9 and out[3].parts["semantic"] == 1.0
    assert "qualifiers" not in out[2].parts  # untagged: unchanged
    assert ranked[0].score == 1.0 and "qualifiers" not in ranked[0].parts  # the input is not modified
    assert [s.item_id for s in adjust_for_qualifiers(ranked, quals)] == [1, 2, 3, 4]
