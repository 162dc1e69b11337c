"""The candidate bus and the fusion ranker (RecBot's matcher / attenuator / aggregator).

Tools add item ids with per-signal scores to a :class:`CandidateBus`; :func:`fuse` turns the bus into one
ranking: positives (semantic match to the soft preferences, collaborative similarity to liked items, a
popularity prior) are aggregated with configurable weights, items similar to disliked ones are attenuated,
hard constraints and exclusions are enforced, and an optional MMR pass diversifies the shown list.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, Field

from tools.hard_filter import FilterResult
from tools.item_index import ItemVectors


class FusionWeights(BaseModel):
    """Weights of the fusion ranker (tuned on REDIAL train / INSPIRED train-dev only)."""

    semantic: float = Field(default=1.0, ge=0)
    collaborative: float = Field(default=1.0, ge=0)
    popularity: float = Field(default=0.15, ge=0)
    negative: float = Field(default=0.5, ge=0)
    agent_mention: float = Field(
        default=0.5, ge=0, description="seed weight of items the other side mentioned"
    )
    liked_in_query: float = Field(
        default=0.5, ge=0, description="weight of liked items' vectors in the query"
    )
    mmr_lambda: float = Field(default=1.0, ge=0, le=1, description="1 = no diversification")
    seen_seed: float = Field(default=0.0, ge=0, description="seed weight of items the user has seen")
    ease_share: float = Field(
        default=0.5, ge=0, le=1, description="share of EASE in the collaborative score (rest: item-kNN)"
    )
    als: float = Field(
        default=0.0, ge=0, description="weight of ALS in the collaborative score (item-kNN + EASE weigh 2)"
    )
    constraint_penalty: float = Field(
        default=0.0,
        ge=0,
        description="0 = wanted genres / years / people / rating are hard filters; > 0 = candidates that miss them "
        "lose this much score instead (exclusions always stay hard; the shown list is still checked by reflect)",
    )
    agent_repeat: float = Field(
        default=0.0, ge=0, description="bonus for items the other side of a logged dialog mentioned"
    )
    asked_repeat: float = Field(
        default=0.0,
        ge=0,
        description='bonus for items the user named this turn without a stance ("I haven\'t seen X", "is X good?")',
    )
    popularity_sources: dict[str, float] | None = Field(
        default=None,
        description="per-source weights of the popularity counts (None = the trained Popularity model)",
    )
    popularity_exponent: float = Field(
        default=1.0, gt=0, description="the prior enters as popularity ** exponent"
    )
    seed_recency: float = Field(
        default=1.0,
        gt=0,
        le=1,
        description="seed weight factor per later mention of the same kind (1 = no decay)",
    )
    avoid_popular: float = Field(
        default=0.3,
        ge=0,
        description='"I might not have seen": score lost by the best-known candidate (linear in popularity)',
    )
    language_boost: float = Field(
        default=0.1, ge=0, description="bonus for a film made where the wanted language is spoken"
    )
    learned_ranker: bool = Field(
        default=False,
        description="re-order the fused head with the learned ranker (tools/learned_ranker.py) when one is shipped",
    )


@dataclass
class Scored:
    """One ranked item with the contribution of each signal (used to explain it)."""

    item_id: int
    score: float
    parts: dict[str, float] = field(default_factory=dict)


@dataclass
class CandidateBus:
    """Item ids flowing between tools, each with the raw scores of the signals that proposed it."""

    signals: dict[int, dict[str, float]] = field(default_factory=dict)
    filter: FilterResult = field(default_factory=lambda: FilterResult(None))
    universe: frozenset[int] | None = None
    #: soft constraints: the ids that satisfy the wanted genres / years / people / rating (None = all)
    preferred: frozenset[int] | None = None

    def permits(self, item_id: int) -> bool:
        """Whether the item passes the hard filter and lies in the ranking universe."""
        return self.filter.permits(item_id) and (self.universe is None or item_id in self.universe)

    def add(self, signal: str, scored: Iterable[tuple[int, float]]) -> int:
        """Add candidates proposed by one signal (the max score is kept); returns how many passed."""
        n = 0
        for item_id, score in scored:
            if not self.permits(item_id):
                continue
            slot = self.signals.setdefault(item_id, {})
            slot[signal] = max(score, slot.get(signal, float("-inf")))
            n += 1
        return n

    def ids(self) -> list[int]:
        """Every candidate id currently on the bus."""
        return list(self.signals)

    def __len__(self) -> int:
        return len(self.signals)


def _normalise(values: Mapping[int, float]) -> dict[int, float]:
    """Scale positive scores into [0, 1] by the maximum (non-positive values become 0)."""
    if not values:
        return {}
    top = max(values.values())
    if top <= 0:
        return dict.fromkeys(values, 0.0)
    return {k: max(v, 0.0) / top for k, v in values.items()}


def fuse(
    bus: CandidateBus,
    *,
    weights: FusionWeights,
    vectors: ItemVectors | None,
    query: np.ndarray | None,
    cf_scores: Mapping[int, float] | None,
    popularity: Mapping[int, float],
    disliked: Sequence[int] = (),
    exclude: Collection[int] = (),
    k: int = 50,
    boost: Mapping[int, float] | None = None,
    twins: Mapping[int, Sequence[int]] | None = None,
) -> list[Scored]:
    """Aggregate the signals of every candidate into one score and return the top ``k``.

    ``cf_scores`` are collaborative scores over (at least) the bus's candidates; ``popularity`` is a prior
    in [0, 1]; ``disliked`` items attenuate candidates similar to them (by item-vector cosine). Candidates
    outside ``bus.preferred`` (soft constraints) lose ``weights.constraint_penalty``; ``boost`` items gain
    their bonus (the other side's mentions ``weights.agent_repeat``, items the user asked about
    ``weights.asked_repeat``). ``twins`` (other catalog entries of the same
    movie) keeps only the best-scored entry of each movie.
    """
    pool = [i for i in bus.ids() if i not in exclude and bus.permits(i)]
    if not pool:
        return []
    n = len(pool)
    ids = np.fromiter(pool, dtype=np.int64, count=n)
    sem = np.zeros(n)
    rows = np.full(n, -1, dtype=np.int64)
    if vectors is not None:
        rows = np.fromiter((vectors.row.get(i, -1) for i in pool), dtype=np.int64, count=n)
    known = rows >= 0
    if vectors is not None and query is not None and known.any():
        sem[known] = vectors.matrix[rows[known]] @ query
    sem = np.maximum(sem, 0.0)
    cf = np.zeros(n)
    if cf_scores:
        cf = np.maximum(np.fromiter((cf_scores.get(i, 0.0) for i in pool), dtype=np.float64, count=n), 0.0)
        top = cf.max(initial=0.0)
        cf = cf / top if top > 0 else np.zeros(n)
    pop = (
        np.fromiter((popularity.get(i, 0.0) for i in pool), dtype=np.float64, count=n)
        ** weights.popularity_exponent
    )
    neg = np.zeros(n)
    if disliked and vectors is not None and known.any():
        dvecs = [v for v in (vectors.vector(d) for d in disliked) if v is not None]
        if dvecs:
            sims = vectors.matrix[rows[known]] @ np.vstack(dvecs).T
            neg[known] = np.maximum(sims.max(axis=1), 0.0)
    parts_sem, parts_cf = weights.semantic * sem, weights.collaborative * cf
    parts_pop, parts_neg = weights.popularity * pop, -weights.negative * neg**2
    outside = np.zeros(n, dtype=bool)
    if bus.preferred is not None and weights.constraint_penalty > 0:
        outside = np.fromiter((i not in bus.preferred for i in pool), dtype=bool, count=n)
    bonus = np.zeros(n)
    if boost:
        bonus = np.fromiter((boost.get(i, 0.0) for i in pool), dtype=np.float64, count=n)
    total = parts_sem + parts_cf + parts_pop + parts_neg - weights.constraint_penalty * outside + bonus
    order = np.lexsort((ids, -total))
    need = k + 60 if weights.mmr_lambda < 1.0 else k  # mmr re-orders the head of the ranking
    taken: set[int] = set()
    ranked: list[Scored] = []
    for j in order:
        item = int(ids[j])
        if item in taken:
            continue
        taken.add(item)
        if twins:  # keep only the best-scored entry of a movie
            taken.update(twins.get(item, ()))
        parts = {
            "semantic": float(parts_sem[j]),
            "collaborative": float(parts_cf[j]),
            "popularity": float(parts_pop[j]),
        }
        if parts_neg[j]:
            parts["negative"] = float(parts_neg[j])
        if outside[j]:
            parts["constraints"] = -weights.constraint_penalty
        if bonus[j]:
            parts["mentioned"] = float(bonus[j])
        ranked.append(Scored(item, float(total[j]), parts))
        if len(ranked) >= need:
            break
    if weights.mmr_lambda < 1.0 and vectors is not None:
        return mmr(ranked, vectors, k, weights.mmr_lambda)
    return ranked[:k]


def mmr(
    ranked: Sequence[Scored], vectors: ItemVectors, k: int, lam: float, pool_size: int = 60
) -> list[Scored]:
    """Maximal marginal relevance over the head of a ranking (diversity for the shown list)."""
    head = list(ranked[:pool_size])
    chosen: list[Scored] = []
    chosen_vecs: list[np.ndarray] = []
    while head and len(chosen) < k:
        best_idx, best_val = 0, float("-inf")
        for idx, cand in enumerate(head):
            vec = vectors.vector(cand.item_id)
            redundancy = max((float(vec @ c) for c in chosen_vecs), default=0.0) if vec is not None else 0.0
            val = lam * cand.score - (1 - lam) * redundancy
            if val > best_val:
                best_idx, best_val = idx, val
        pick = head.pop(best_idx)
        chosen.append(pick)
        vec = vectors.vector(pick.item_id)
        if vec is not None:
            chosen_vecs.append(vec)
    return chosen + list(ranked[pool_size:])[: max(0, k - len(chosen))]


def adjust_for_qualifiers(
    ranked: Sequence[Scored],
    qualifiers: Mapping[int, Collection[str]],
    include: Sequence[str] = (),
    less: Sequence[str] = (),
    *,
    boost: float = 0.15,
    penalty: float = 0.3,
) -> list[Scored]:
    """Re-rank by the turn's soft qualifiers: an item gains ``boost`` times the share of ``include`` qualifiers
    it carries ("about music", "a heist movie") and loses ``penalty`` when it carries any of ``less`` ("not too
    depressing"). ``qualifiers`` maps item ids to their qualifier names (:attr:`tools.catalog.Item.qualifiers`);
    an item without any is left as it is (untagged items cannot be judged: count them with
    :meth:`tools.hard_filter.HardFilter.unchecked`). Returns new :class:`Scored` objects, best first (ties keep
    their order), each change recorded under ``parts["qualifiers"]``; the input is not modified."""
    wanted, toned = set(include), set(less)
    out: list[Scored] = []
    for s in ranked:
        carried = set(qualifiers.get(s.item_id, ()))
        delta = 0.0
        if wanted and carried:
            delta += boost * len(wanted & carried) / len(wanted)
        if toned & carried:
            delta -= penalty
        parts = dict(s.parts)
        if delta:
            parts["qualifiers"] = delta
        out.append(Scored(s.item_id, s.score + delta, parts))
    order = sorted(range(len(out)), key=lambda j: (-out[j].score, j))
    return [out[j] for j in order]
