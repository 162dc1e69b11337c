"""The evaluation protocol of one dialog (DESIGN §4): utterance by utterance through the agent's own pipeline.

- a seeker utterance is a *user* turn of :meth:`agent.runner.TurnRunner.run_turn`; its ranking is the
  prediction for the recommender utterance that follows, and the agent's own reply is removed afterwards
  (in a logged dialog it was never shown);
- a recommender utterance is only observed (``role="assistant"``);
- baselines (``popularity``, ``repeat_context``, ``cf_only``) are ranked over the same universe;
- with ``standardized=True`` the same rankings also score the instances of the standardized protocol
  (:mod:`eval.standardized`): each instance (an unmerged recommender message) gets the rankings of the merged
  recommender utterance that holds it, i.e. of the seeker turn before; an instance in an opening recommender
  block (no seeker turn yet) gets an empty agent ranking, a miss.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from agent.runner import TurnRunner
from agent.state import AgentState
from agent.tools import cf_shares
from eval.datasets import Dialog, MovieRef, Sample, iter_samples
from eval.gold import ref_key
from eval.standardized import Instance, iter_instances, reward
from tools.catalog import Catalog
from tools.settings import Settings

BASELINES: tuple[str, ...] = ("popularity", "repeat_context", "cf_only")
#: Ranking depth of every system (the metrics look at the top 50).
DEPTH = 50


@dataclass
class DialogResult:
    """What evaluating one dialog produced (one ``dialogs.jsonl`` line plus its samples)."""

    dialog_id: str
    samples: list[dict[str, Any]] = field(default_factory=list)
    instances: list[dict[str, Any]] = field(default_factory=list)  #: standardized-protocol instances
    user_turns: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    shown: int = 0
    ungrounded: int = 0
    short_rankings: int = 0
    llm_calls: int = 0
    fallbacks: int = 0
    seconds: float = 0.0
    whole_catalog_seconds: float = 0.0  #: the part of ``seconds`` spent on the whole-catalog re-rankings

    def record(self) -> dict[str, Any]:
        """The ``dialogs.jsonl`` record (everything but the samples)."""
        out = asdict(self)
        out.pop("samples")
        out.pop("instances")
        out["n_samples"] = len(self.samples)
        return out


def _rank_of(ranking: Sequence[int], gold: int | None) -> int | None:
    """1-based position of ``gold`` in the top :data:`DEPTH` of ``ranking`` (None when absent or unmapped)."""
    if gold is None:
        return None
    for pos, item in enumerate(ranking[:DEPTH], 1):
        if item == gold:
            return pos
    return None


class DialogEvaluator:
    """One process's evaluator: its own :class:`TurnRunner` (no persistence), the universe and the baselines."""

    def __init__(
        self,
        settings: Settings,
        dataset: str,
        universe: Sequence[int],
        gold_ids: dict[tuple[str, str, int | None], int | None],
        *,
        weights_profile: str = "default",
        whole_catalog: bool = False,
        standardized: bool = False,
        runner: TurnRunner | None = None,
    ) -> None:

        self.dataset = dataset
        self.runner = runner or TurnRunner(settings, weights=weights_profile)
        self.universe = list(universe)
        self.universe_set = frozenset(self.universe)
        self.gold_ids = dict(gold_ids)
        self.whole_catalog = whole_catalog
        self.standardized = standardized
        ctx = self.runner.context
        pop = ctx.popularity
        self.popularity_ranking = sorted(self.universe, key=lambda i: (-pop.get(i, 0.0), i))[:DEPTH]

    @property
    def catalog(self) -> Catalog:
        """The runner's catalog."""
        return self.runner.toolkit.catalog

    def gold_id(self, ref: MovieRef) -> int | None:
        """The catalog id of a dataset movie (from the precomputed mapping; grounded on a miss)."""
        key = ref_key(ref)
        if key not in self.gold_ids:
            if not ref.title:  # a REDIAL id without a name that the precomputed mapping did not resolve
                self.gold_ids[key] = None
                return None
            match = self.runner.context.grounder.ground(ref.label)
            self.gold_ids[key] = match.item_id if match is not None else None
        return self.gold_ids[key]

    # ---------------------------------------------------------------------------- baselines
    def repeat_context(self, context_ids: Sequence[int]) -> list[int]:
        """The context's mentioned items, most recent first (then nothing)."""
        out: list[int] = []
        for item in reversed(context_ids):
            if item in self.universe_set and item not in out:
                out.append(item)
        return out[:DEPTH]

    def cf_only(self, context_ids: Sequence[int]) -> list[int]:
        """The agent's collaborative recommenders (with its weights) seeded with every context-mentioned item."""

        seeds = list(dict.fromkeys(context_ids))
        if not seeds:
            return []
        totals: dict[int, float] = defaultdict(float)
        for name, share in cf_shares(self.runner.context).items():
            rec = self.runner.context.recommenders.get(name)
            if rec is None or share <= 0:
                continue
            found = rec.recommend(seeds, k=4 * DEPTH, candidates=self.universe_set)
            top = max((s for _, s in found), default=0.0) or 1.0
            for item, score in found:
                totals[item] += share * score / top
        return [i for i, _ in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:DEPTH]]

    # ---------------------------------------------------------------------------- the protocol
    def evaluate(self, dialog: Dialog) -> DialogResult:
        """Run the protocol of the module docstring over one dialog."""
        return evaluate_dialog(self, dialog)


def _clean_after_user_turn(state: AgentState) -> AgentState:
    """The state as a logged dialog continues: the agent's reply (shown items, its text) never happened."""
    history = list(state.get("history", []))
    if history and history[-1].get("role") == "assistant":
        history.pop()
    cleaned: AgentState = {**state}
    cleaned.update({"shown": [], "shown_ever": [], "history": history})
    return cleaned


#: ``hook(turn_state, samples)``: called for every predicting user turn with the state that turn produced
#: and the sample records it predicts (used by eval/tune.py to re-rank the same turns cheaply).
TurnHook = Callable[["AgentState", list[dict[str, Any]]], None]


def _instance_record(
    ev: DialogEvaluator, dialog: Dialog, inst: Instance, systems: dict[str, list[int]]
) -> dict[str, Any]:
    """One ``instances.jsonl`` record: the instance's golds, each with its flags, reward and ranks."""
    golds = []
    for ref, earlier in zip(inst.gold, inst.earlier, strict=True):
        gold = ev.gold_id(ref)
        golds.append(
            {
                "source_id": ref.source_id,
                "title": ref.title,
                "year": ref.year,
                "gold_id": gold,
                "earlier": earlier,
                "reward": reward(dialog, ref),
                "ranks": {name: _rank_of(ranked, gold) for name, ranked in systems.items()},
            }
        )
    return {
        "dialog_id": dialog.dialog_id,
        "message_index": inst.message_index,
        "turn_index": inst.utterance_index,
        "dialog_length": len(dialog.messages),
        "top1": systems["agent"][0] if systems["agent"] else None,
        "golds": golds,
    }


def evaluate_dialog(ev: DialogEvaluator, dialog: Dialog, hook: TurnHook | None = None) -> DialogResult:
    """Feed ``dialog`` utterance by utterance through ``ev.runner`` and score every sample."""
    t0 = time.perf_counter()
    runner = ev.runner
    by_turn: dict[int, list[Sample]] = defaultdict(list)
    for sample in iter_samples([dialog]):
        by_turn[sample.turn_index].append(sample)
    std_by_turn: dict[int, list[Instance]] = defaultdict(list)
    if ev.standardized:
        for inst in iter_instances(dialog):
            std_by_turn[inst.utterance_index].append(inst)
    result = DialogResult(dialog_id=dialog.dialog_id)
    state: AgentState | None = None
    ranking: list[int] = []
    whole: list[int] | None = None
    latency = 0.0
    turn_state: AgentState | None = None
    context_ids: list[int] = []
    for index, utterance in enumerate(dialog.utterances):
        if utterance.role == "seeker":
            before = state
            state, turn = runner.run_turn(state, utterance.text, role="user", universe=ev.universe)
            turn_state = state
            state = _clean_after_user_turn(state)
            ranking, latency = list(turn.ranking), turn.latency_ms
            result.user_turns += 1
            result.llm_calls += turn.llm_calls
            result.fallbacks += turn.fallbacks
            shown_ids = [it.get("id") for it in turn.items]
            result.shown += len(shown_ids)
            result.ungrounded += sum(1 for i in shown_ids if not isinstance(i, int) or i not in ev.catalog)
            whole = None
            if ev.whole_catalog and by_turn.get(index + 1):
                t_whole = time.perf_counter()
                _, turn_whole = runner.run_turn(before, utterance.text, role="user", universe=None)
                whole = list(turn_whole.ranking)
                result.whole_catalog_seconds += time.perf_counter() - t_whole
        else:
            samples = by_turn.get(index)
            instances = std_by_turn.get(index)
            if samples or instances:
                prev_is_seeker = index > 0 and dialog.utterances[index - 1].role == "seeker"
                predicted = ranking if prev_is_seeker else []
                if prev_is_seeker and samples:
                    result.latencies_ms.append(round(latency, 2))
                    result.short_rankings += int(len(predicted) < DEPTH)
                systems: dict[str, list[int]] = {
                    "agent": predicted,
                    "popularity": ev.popularity_ranking,
                    "repeat_context": ev.repeat_context(context_ids),
                    "cf_only": ev.cf_only(context_ids),
                }
                if whole is not None:
                    systems["agent_whole"] = whole if prev_is_seeker else []
                for inst in instances or ():
                    result.instances.append(_instance_record(ev, dialog, inst, systems))
                first = len(result.samples)
                for sample in samples or ():
                    gold = ev.gold_id(sample.gold)
                    result.samples.append(
                        {
                            "dialog_id": dialog.dialog_id,
                            "turn_index": sample.turn_index,
                            "gold": {
                                "title": sample.gold.title,
                                "year": sample.gold.year,
                                "source_id": sample.gold.source_id,
                            },
                            "gold_id": gold,
                            "in_universe": gold is not None and gold in ev.universe_set,
                            "gold_in_context": sample.gold_in_context,
                            "ranks": {name: _rank_of(ranked, gold) for name, ranked in systems.items()},
                            "latency_ms": round(latency, 2),
                            "top10": predicted[:10],
                        }
                    )
                if hook is not None and samples and prev_is_seeker and turn_state is not None:
                    hook(turn_state, result.samples[first:])
            state, _ = runner.run_turn(state, utterance.text, role="assistant")
        for ref in utterance.movies:
            item = ev.gold_id(ref)
            if item is not None:
                context_ids.append(item)
    result.seconds = round(time.perf_counter() - t0, 3)
    result.whole_catalog_seconds = round(result.whole_catalog_seconds, 3)
    return result
