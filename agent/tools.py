"""The tools the planner may call, with stable names, typed arguments and docstrings.

Tools read and write item ids on the candidate bus; none of them renders a title. The LLM planner sees the
registry as text (:func:`tool_catalog_text`) and its plan is validated against it.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import BaseModel, Field, ValidationError

from agent.context import AgentContext
from agent.state import Preferences
from tools.hard_filter import Constraints
from tools.learned_ranker import POPULARITY_SOURCES, TurnEvidence, feature_matrix
from tools.qualifiers import OPPOSITE_MOODS, moods_of
from tools.ranking import CandidateBus, Scored, adjust_for_qualifiers, fuse


@dataclass
class TurnWork:
    """What the executor carries through one plan: the bus, the preferences and the results."""

    prefs: Preferences
    bus: CandidateBus = field(default_factory=CandidateBus)
    query_text: str = ""
    query_vec: np.ndarray | None = None
    ranking: list[Scored] = field(default_factory=list)
    answer: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    exclude: set[int] = field(default_factory=set)
    #: items the user named this turn without a stance ("I haven't seen X", "is X any good?")
    asked: list[int] = field(default_factory=list)
    #: the item the turn centres on ("more like this"): see :func:`centre_on`
    anchor: int | None = None
    #: set by the learned ranker's trainer: ``rank`` keeps the candidates' feature rows here
    want_features: bool = False
    features: np.ndarray | None = None


#: The weight of the anchor item among the collaborative seeds (a liked item weighs 1).
ANCHOR_SEED_WEIGHT = 3.0
#: The anchor's share of the semantic query (the rest is the user's soft preferences and likes).
ANCHOR_QUERY_SHARE = 0.7


class FilterArgs(BaseModel):
    """Arguments of ``filter_items``: constraints to add to the conversation's own."""

    genres_include: list[str] = Field(default_factory=list)
    genres_exclude: list[str] = Field(default_factory=list)
    year_min: int | None = None
    year_max: int | None = None
    min_rating: float | None = None


class SearchArgs(BaseModel):
    """Arguments of ``semantic_search``."""

    query: str = Field(default="", description="free-text taste; empty = the user's soft preferences")
    n: int = Field(default=200, ge=1, le=2000)


class CollabArgs(BaseModel):
    """Arguments of ``collaborative``."""

    seed_ids: list[int] = Field(default_factory=list, description="empty = the user's liked items")
    n: int = Field(default=200, ge=1, le=2000)


class PopularArgs(BaseModel):
    """Arguments of ``popular``."""

    n: int = Field(default=100, ge=1, le=2000)


class RankArgs(BaseModel):
    """Arguments of ``rank``."""

    k: int = Field(default=50, ge=1, le=500)
    diversify: bool = False


class LookupArgs(BaseModel):
    """Arguments of ``lookup_item``."""

    item_id: int
    aspect: str = "general"
    qualifier: str | None = Field(default=None, description='for aspect "content": what is asked about')


def filter_items(ctx: AgentContext, work: TurnWork, args: FilterArgs) -> dict[str, Any]:
    """Apply the hard constraints (the conversation's plus these) to the candidate bus."""
    base = work.prefs.constraints
    merged = Constraints(
        genres_include=sorted(set(base.genres_include) | set(args.genres_include)),
        genres_exclude=sorted(set(base.genres_exclude) | set(args.genres_exclude)),
        year_min=args.year_min if args.year_min is not None else base.year_min,
        year_max=args.year_max if args.year_max is not None else base.year_max,
        people_include=base.people_include,
        people_exclude=base.people_exclude,
        min_rating=args.min_rating if args.min_rating is not None else base.min_rating,
        qualifiers_exclude=base.qualifiers_exclude,
        countries=base.countries,
        runtime_max=base.runtime_max,
        runtime_min=base.runtime_min,
        include_unlisted=base.include_unlisted,
        exclude_ids=sorted(work.exclude),
    )
    if ctx.weights.constraint_penalty > 0:  # soft mode: only exclusions filter; wanted attributes are scored
        hard = merged.model_copy(
            update={
                "genres_include": [],
                "year_min": None,
                "year_max": None,
                "people_include": [],
                "min_rating": None,
                "countries": [],
                "runtime_max": None,
                "runtime_min": None,
            }
        )
        wanted = merged.model_copy(
            update={"genres_exclude": [], "people_exclude": [], "qualifiers_exclude": [], "exclude_ids": []}
        )
        if not wanted.is_empty():
            preferred = ctx.hard_filter.apply(wanted)
            work.bus.preferred = preferred.allowed if preferred.reason is None else None
        merged = hard
    result = ctx.hard_filter.apply(merged)
    work.bus.filter = result
    if result.reason:
        work.notes.append(result.reason)
    work.bus.signals = {i: s for i, s in work.bus.signals.items() if work.bus.permits(i)}
    return {"allowed": None if result.allowed is None else len(result.allowed), "reason": result.reason}


def semantic_search(ctx: AgentContext, work: TurnWork, args: SearchArgs) -> dict[str, Any]:
    """Add the items closest in meaning to the query (or the user's soft preferences) to the bus."""
    vectors = ctx.toolkit.vectors
    query = ctx.toolkit.embedder.query(args.query) if args.query.strip() else work.query_vec
    if query is None:
        return {"added": 0}
    allowed = work.bus.filter.allowed
    mask = None
    if allowed is not None or work.bus.universe is not None:
        pool = allowed if allowed is not None else work.bus.universe
        if work.bus.universe is not None and allowed is not None:
            pool = allowed & work.bus.universe
        mask = np.isin(vectors.ids, np.fromiter(pool or (), dtype=np.int64))
    if work.bus.filter.excluded:
        keep = ~np.isin(vectors.ids, np.fromiter(work.bus.filter.excluded, dtype=np.int64))
        mask = keep if mask is None else mask & keep
    added = work.bus.add("semantic", vectors.top(query, args.n + len(work.exclude), mask))
    return {"added": added, "query": (args.query or work.query_text)[:80]}


def collaborative(ctx: AgentContext, work: TurnWork, args: CollabArgs) -> dict[str, Any]:
    """Add items that people who liked the seed items also liked (collaborative filtering) to the bus."""
    seeds, weights = (args.seed_ids, [1.0] * len(args.seed_ids)) if args.seed_ids else cf_seeds(ctx, work)
    if not seeds:
        return {"added": 0}
    added = 0
    for name, share in cf_shares(ctx).items():
        rec = ctx.recommenders.get(name)
        if rec is None or share <= 0:
            continue
        found = rec.recommend(
            seeds, k=args.n, exclude=work.exclude, candidates=work.bus.universe, seed_weights=weights
        )
        added += work.bus.add("collaborative", found)
    return {"added": added, "seeds": len(seeds)}


def cf_shares(ctx: AgentContext) -> dict[str, float]:
    """The weight of each collaborative model in the collaborative score (item-kNN and EASE weigh 2 together)."""
    w = ctx.weights
    return {"itemknn": 2.0 * (1.0 - w.ease_share), "ease": 2.0 * w.ease_share, "als": w.als}


def cf_seeds(ctx: AgentContext, work: TurnWork) -> tuple[list[int], list[float]]:
    """Seeds for collaborative filtering: the user's liked items, the items they have seen (weighted by
    ``FusionWeights.seen_seed``) and items the other side of a logged dialog mentioned (weighted by
    ``FusionWeights.agent_mention``)."""
    liked = list(work.prefs.liked)
    seen = [i for i in work.prefs.seen if i not in liked and i not in work.prefs.disliked]
    agent = [
        i
        for i in work.prefs.mentioned_by_agent
        if i not in liked and i not in seen and i not in work.prefs.disliked
    ]
    w_seen, w_agent = ctx.weights.seen_seed, ctx.weights.agent_mention
    seen = seen if w_seen > 0 else []
    agent = agent if w_agent > 0 else []
    decay = ctx.weights.seed_recency

    def weights(n: int, w: float) -> list[float]:  # the most recent mention of a kind keeps w
        return [w * decay ** (n - 1 - k) for k in range(n)]

    ids = liked + seen + agent
    ws = weights(len(liked), 1.0) + weights(len(seen), w_seen) + weights(len(agent), w_agent)
    anchor = work.anchor
    if anchor is not None and anchor not in work.prefs.disliked:  # "more like this": the anchor leads
        keep = [k for k, i in enumerate(ids) if i != anchor]
        ids, ws = [anchor] + [ids[k] for k in keep], [ANCHOR_SEED_WEIGHT] + [ws[k] for k in keep]
    return ids, ws


def centre_on(
    ctx: AgentContext, work: TurnWork, item_id: int, steps: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Centre the turn on one item ("more like this" on a card, ``ParsedTurn.anchor_item``): its vector
    leads the semantic query (:data:`ANCHOR_QUERY_SHARE`), it leads the collaborative seeds
    (:data:`ANCHOR_SEED_WEIGHT`), it is not shown itself, and the plan gets the searches that find its
    neighbours (semantic and collaborative, before ``rank``) when it lacks them. Returns the plan."""
    work.anchor = item_id
    work.exclude |= ctx.toolkit.catalog.with_twins([item_id])
    vec = ctx.toolkit.vectors.vector(item_id)
    if vec is not None:
        q = ANCHOR_QUERY_SHARE * vec
        if work.query_vec is not None:
            q = q + (1.0 - ANCHOR_QUERY_SHARE) * work.query_vec
        norm = float(np.linalg.norm(q))
        work.query_vec = q / norm if norm > 0 else work.query_vec
    tools = [s.get("tool") for s in steps]
    at = tools.index("rank") if "rank" in tools else len(steps)
    extra = [
        {"tool": name, "args": {"n": 300}}
        for name in ("semantic_search", "collaborative")
        if name not in tools and (name != "semantic_search" or work.query_vec is not None)
    ]
    return [*steps[:at], *extra, *steps[at:]]


def popular(ctx: AgentContext, work: TurnWork, args: PopularArgs) -> dict[str, Any]:
    """Add the most popular items that pass the constraints to the bus."""
    ranked = ctx.popularity_ranking
    picked: list[tuple[int, float]] = []
    bus, exclude = work.bus, work.exclude
    universe, allowed, banned, unlisted = (
        bus.universe,
        bus.filter.allowed,
        bus.filter.excluded,
        bus.filter.unlisted,
    )
    for pool in (None, bus.preferred) if bus.preferred is not None else (None,):
        sets = [s for s in (universe, pool, allowed) if s is not None]

        def eligible(item_id: int, sets: list[frozenset[int]] = sets) -> bool:
            return (
                item_id not in exclude
                and item_id not in banned
                and item_id not in unlisted
                and all(item_id in s for s in sets)
            )

        narrowest = min(sets, key=len, default=None)
        if narrowest is not None and 8 * len(narrowest) < len(
            ranked
        ):  # few pass: rank those, not the catalog
            scores = ctx.popularity
            best = heapq.nlargest(args.n, ((scores[i], -i) for i in narrowest if i in scores and eligible(i)))
            picked += [(-neg_id, score) for score, neg_id in best]
            continue
        n = 0
        for item_id, score in ranked:
            if eligible(item_id):
                picked.append((item_id, score))
                n += 1
                if n >= args.n:
                    break
    return {"added": work.bus.add("popularity", picked)}


def rank(ctx: AgentContext, work: TurnWork, args: RankArgs) -> dict[str, Any]:
    """Fuse the signals of every candidate into one ranking (attenuating items like disliked ones)."""
    pool = work.bus.ids()
    cf_scores: dict[int, float] = {}
    seeds, seed_weights = cf_seeds(ctx, work)
    boost: dict[int, float] = {}
    for items, bonus in (
        (work.prefs.mentioned_by_agent, ctx.weights.agent_repeat),
        (work.asked, ctx.weights.asked_repeat),
    ):
        if bonus > 0:
            for i in items:
                if i not in work.exclude:
                    boost[i] = max(boost.get(i, 0.0), bonus)
    if boost:
        work.bus.add("mentioned", ((i, 1.0) for i in boost))
        pool = work.bus.ids()
    per_model: dict[str, dict[int, float]] = {}
    if seeds and pool:
        for name, w in cf_shares(ctx).items():
            rec = ctx.recommenders.get(name)
            if rec is None or w <= 0:
                continue
            found = rec.recommend(seeds, k=len(pool), candidates=pool, seed_weights=seed_weights)
            per_model[name] = dict(found)
            top = max((s for _, s in found), default=0.0) or 1.0
            for item_id, s in found:
                cf_scores[item_id] = cf_scores.get(item_id, 0.0) + w * s / top
    weights = ctx.weights.model_copy(update={"mmr_lambda": 0.8}) if args.diversify else ctx.weights
    learned = ctx.ranker if ctx.weights.learned_ranker and not args.diversify else None
    depth = max(args.k, learned.depth) if learned is not None else args.k
    if seeds and not cf_scores:
        # the liked films are unknown to every collaborative model (a film only MovieLens lists): their
        # content is the only evidence, so it gets the collaborative share instead of the popularity prior
        weights = weights.model_copy(update={"semantic": weights.semantic + weights.collaborative})
    work.ranking = fuse(
        work.bus,
        weights=weights,
        vectors=ctx.toolkit.vectors,
        query=work.query_vec,
        cf_scores=cf_scores,
        popularity=ctx.popularity,
        disliked=work.prefs.disliked,
        exclude=work.exclude,
        k=depth,
        boost=boost,
        twins=ctx.toolkit.catalog.twins,
    )
    if learned is not None or work.want_features:
        evidence = turn_evidence(ctx, work, pool, seeds, per_model)
        features = feature_matrix(work.ranking, evidence, ctx.toolkit.catalog, ctx.toolkit.vectors)
        if work.want_features:
            work.features = features
        if learned is not None:
            work.ranking = learned.rerank(work.ranking, features)[: args.k]
    work.ranking = soft_preferences(ctx, work.prefs, work.ranking)
    return {"ranked": len(work.ranking)}


def turn_evidence(
    ctx: AgentContext,
    work: TurnWork,
    pool: list[int],
    seeds: list[int],
    per_model: dict[str, dict[int, float]],
) -> TurnEvidence:
    """What the learned ranker's features need besides the fused ranking (:class:`TurnEvidence`)."""
    co_last: dict[int, float] = {}
    knn = ctx.recommenders.get("itemknn")
    if seeds and knn is not None:
        co_last = dict(knn.recommend(seeds[-1:], k=len(pool), candidates=pool))
    return TurnEvidence(
        cf=per_model,
        co_last=co_last,
        seeds=seeds,
        signals=work.bus.signals,
        popularity={
            source: ctx.toolkit.popularity({s: float(s == source) for s in POPULARITY_SOURCES})
            for source in POPULARITY_SOURCES
        },
        query=work.query_vec,
        mentioned_by_agent=work.prefs.mentioned_by_agent,
        asked=work.asked,
        n_liked=len(work.prefs.liked),
    )


#: the production countries that stand in for a spoken language the catalog does not record
LANGUAGE_COUNTRIES: dict[str, tuple[str, ...]] = {
    "en": ("USA", "UK", "Canada", "Australia", "Ireland", "New Zealand"),
    "es": ("Spain", "Mexico", "Argentina"),
    "fr": ("France", "Belgium", "Canada"),
    "de": ("Germany", "Austria"),
    "it": ("Italy",),
    "ja": ("Japan",),
    "ko": ("South Korea",),
    "zh": ("China", "Hong Kong", "Taiwan"),
    "hi": ("India",),
    "sv": ("Sweden",),
    "da": ("Denmark",),
    "no": ("Norway",),
    "ru": ("Russia",),
    "pt": ("Brazil", "Portugal"),
}


def soft_preferences(ctx: AgentContext, prefs: Preferences, ranking: list[Scored]) -> list[Scored]:
    """The conversation's soft wishes on a fused ranking: wanted / toned-down qualifiers ("about music",
    "not too depressing"), "I might not have seen" (the best-known titles move down) and a spoken language
    (read from the production country, the closest the catalog has)."""
    if not (prefs.qualifiers_boost or prefs.qualifiers_penalty or prefs.avoid_popular or prefs.language):
        return ranking
    catalog = ctx.toolkit.catalog
    items = {s.item_id: catalog.get(s.item_id) for s in ranking}
    wanted = prefs.qualifiers_boost
    implied = [o for q in wanted for o in OPPOSITE_MOODS.get(q, ()) if o not in wanted]
    out = adjust_for_qualifiers(
        ranking,
        {i: moods_of(it.qualifiers, it.genres) for i, it in items.items() if it is not None},
        wanted,
        list(dict.fromkeys([*prefs.qualifiers_penalty, *implied])),
    )
    countries = set(LANGUAGE_COUNTRIES.get(prefs.language or "", ()))
    if not (prefs.avoid_popular or countries):
        return out
    popularity = ctx.popularity
    top = max((popularity.get(s.item_id, 0.0) for s in out), default=0.0) or 1.0
    adjusted: list[Scored] = []
    for s in out:
        item = items.get(s.item_id)
        delta = 0.0
        if prefs.avoid_popular:
            delta -= ctx.weights.avoid_popular * popularity.get(s.item_id, 0.0) / top
        if countries and item is not None and item.country in countries:
            delta += ctx.weights.language_boost
        adjusted.append(Scored(s.item_id, s.score + delta, {**s.parts, "soft": round(delta, 4)}))
    return sorted(adjusted, key=lambda s: -s.score)


def lookup_item(ctx: AgentContext, work: TurnWork, args: LookupArgs) -> dict[str, Any]:
    """Look up one catalog item to answer a question about it (director, plot, year, genres, cast)."""
    item = ctx.toolkit.catalog.get(args.item_id)
    if item is None:
        work.notes.append(f"unknown item id {args.item_id}")
        return {"found": False}
    work.answer = {"item_id": item.id, "aspect": args.aspect, "qualifier": args.qualifier}
    return {"found": True}


@dataclass(frozen=True)
class ToolSpec:
    """A registered tool: its name, argument model and function."""

    name: str
    args: type[BaseModel]
    func: Callable[[AgentContext, TurnWork, Any], dict[str, Any]]

    @property
    def description(self) -> str:
        """The tool's docstring, shown to an LLM planner."""
        return (self.func.__doc__ or "").strip()


REGISTRY: dict[str, ToolSpec] = {
    spec.name: spec
    for spec in (
        ToolSpec("filter_items", FilterArgs, filter_items),
        ToolSpec("semantic_search", SearchArgs, semantic_search),
        ToolSpec("collaborative", CollabArgs, collaborative),
        ToolSpec("popular", PopularArgs, popular),
        ToolSpec("rank", RankArgs, rank),
        ToolSpec("lookup_item", LookupArgs, lookup_item),
    )
}


class PlanError(ValueError):
    """A plan that does not fit the tool registry."""


def validate_plan(raw: Any) -> list[tuple[ToolSpec, BaseModel]]:
    """Check a plan (a list of ``{"tool", "args"}``) against the registry; raises :class:`PlanError`."""
    if isinstance(raw, dict) and "plan" in raw:
        raw = raw["plan"]
    if not isinstance(raw, list) or not raw:
        raise PlanError("the plan must be a non-empty JSON list of {tool, args}")
    if len(raw) > 8:
        raise PlanError("the plan has more than 8 steps")
    steps: list[tuple[ToolSpec, BaseModel]] = []
    for n, step in enumerate(raw, 1):
        if not isinstance(step, dict) or not isinstance(step.get("tool"), str):
            raise PlanError(f"step {n} is not an object with a 'tool' name")
        spec = REGISTRY.get(step["tool"])
        if spec is None:
            raise PlanError(f"step {n}: unknown tool {step['tool']!r}; known: {', '.join(REGISTRY)}")
        try:
            args = spec.args.model_validate(step.get("args") or {})
        except ValidationError as exc:
            raise PlanError(f"step {n} ({spec.name}): invalid args: {exc.errors()[0]['msg']}") from exc
        steps.append((spec, args))
    return steps


def run_plan(
    ctx: AgentContext, work: TurnWork, steps: list[tuple[ToolSpec, BaseModel]]
) -> list[dict[str, Any]]:
    """Execute the steps in order over the bus; returns one trace record per step."""
    trace: list[dict[str, Any]] = []
    for spec, args in steps:
        n_in = len(work.bus)
        t0 = time.perf_counter()
        result = spec.func(ctx, work, args)
        trace.append(
            {
                "step": "execute",
                "tool": spec.name,
                "args": args.model_dump(),
                "ms": round((time.perf_counter() - t0) * 1000, 2),
                "candidates_in": n_in,
                "candidates_out": len(work.ranking) if spec.name == "rank" else len(work.bus),
                **result,
            }
        )
    return trace


def tool_catalog_text() -> str:
    """A compact description of every tool and its JSON arguments, for prompts."""
    lines = []
    for spec in REGISTRY.values():
        fields = ", ".join(
            f"{k}: {getattr(v.annotation, '__name__', v.annotation)}"
            for k, v in spec.args.model_fields.items()
        )
        lines.append(f"- {spec.name}({fields}): {spec.description.splitlines()[0]}")
    return "\n".join(lines)
