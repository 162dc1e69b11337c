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
