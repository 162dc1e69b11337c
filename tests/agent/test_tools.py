"""The planner's tools over the real built home: which collaborative models score a turn."""

from __future__ import annotations

from typing import Any

from agent.state import Preferences
from agent.tools import CollabArgs, RankArgs, TurnWork, cf_shares, collaborative, rank


def _liked(service: Any, title: str) -> int:
    match = service.context.grounder.ground(title)
    assert match is not None, title
    return int(match.item_id)


def test_als_joins_the_collaborative_score_only_when_weighted(service: Any) -> None:
    ctx = service.context
    saved = ctx.weights
    seed = _liked(service, "The Matrix")
    try:
        runs: dict[float, list[int]] = {}
        for als in (0.0, 4.0):
            ctx.weights = saved.model_copy(update={"als": als, "semantic": 0.0, "popularity": 0.0})
            assert cf_shares(ctx)["als"] == als
            work = TurnWork(prefs=Preferences(liked=[seed]))
            added = collaborative(ctx, work, CollabArgs(n=50))
            assert added["added"] > 0 and seed not in work.bus.ids()
            rank(ctx, work, RankArgs(k=20))
            runs[als] = [s.item_id for s in work.ranking]
            assert all(s.parts["collaborative"] > 0 for s in work.ranking)
        assert runs[0.0] != runs[4.0]  # a heavy ALS weight re-orders the collaborative ranking
    finally:
        ctx.weights = saved


def test_learned_ranker_reorders_the_fused_head_and_keeps_its_scale(service: Any, tmp_path: Any) -> None:
    """With ``learned_ranker`` on, ``rank`` re-orders the fused head by the shipped model; the turn's features
    are the ones the trainer sees (``want_features``), and the shown scores keep the fused scale."""
    import numpy as np

    from tools.learned_ranker import FEATURES, LearnedRanker

    ctx = service.context
    saved = ctx.weights
    seed = _liked(service, "The Matrix")
    try:
        ctx.weights = saved.model_copy(update={"learned_ranker": False})
        plain = TurnWork(prefs=Preferences(liked=[seed]), want_features=True)
        collaborative(ctx, plain, CollabArgs(n=100))
        rank(ctx, plain, RankArgs(k=40))
        assert plain.features is not None and plain.features.shape == (len(plain.ranking), len(FEATURES))
        co_last = plain.features[:, FEATURES.index("co_last")]
        assert co_last.max() > 0  # item-kNN neighbours of the one seed
        booster = _booster_preferring("co_last")
        ctx.__dict__["ranker"] = LearnedRanker(booster, depth=40)
        ctx.weights = saved.model_copy(update={"learned_ranker": True})
        learned = TurnWork(prefs=Preferences(liked=[seed]))
        collaborative(ctx, learned, CollabArgs(n=100))
        rank(ctx, learned, RankArgs(k=10))
        assert len(learned.ranking) == 10 and all("learned" in s.parts for s in learned.ranking)
        best = {plain.ranking[j].item_id for j in np.argsort(-co_last)[:3]}
        assert learned.ranking[0].item_id in best
        assert [s.score for s in learned.ranking] == [s.score for s in plain.ranking[:10]]
    finally:
        ctx.weights = saved
        ctx.__dict__.pop("ranker", None)


def _booster_preferring(feature: str) -> Any:
    """A tiny real LightGBM ranker that learned "higher ``feature`` is better"."""
    import lightgbm as lgb
    import numpy as np

    from tools.learned_ranker import FEATURES

    rng = np.random.default_rng(0)
    x = rng.random((400, len(FEATURES)))
    y = np.zeros(400)
    for g in range(20):  # the best row of each group by the feature is the gold
        y[g * 20 + int(np.argmax(x[g * 20 : (g + 1) * 20, FEATURES.index(feature)]))] = 1
    params = {"objective": "lambdarank", "verbose": -1, "min_data_in_leaf": 2, "num_threads": 1}
    return lgb.train(params, lgb.Dataset(x, y, group=[20] * 20), num_boost_round=30)


def test_a_feel_good_wish_moves_scary_and_horror_films_down(service: Any) -> None:
    """ "Something light" (feel-good) tones down what it rules out by itself: dark, scary or gory tags, and the
    horror genre where the tags are silent."""
    from agent.tools import soft_preferences
    from tools.ranking import Scored

    catalog = service.toolkit.catalog
    horror = [i for i in catalog.ids() if "horror" in catalog.items[i].genres][:3]
    plain = [i for i in catalog.ids() if not {"horror"} & set(catalog.items[i].genres)][:3]
    ranking = [Scored(i, 1.0 - 0.01 * k) for k, i in enumerate([*horror, *plain])]
    out = soft_preferences(service.context, Preferences(qualifiers_boost=["feel-good"]), ranking)
    assert {s.item_id for s in out[:3]} == set(plain)
    untouched = soft_preferences(service.context, Preferences(), ranking)
    assert [s.item_id for s in untouched] == [s.item_id for s in ranking]
