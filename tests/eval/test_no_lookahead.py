"""Guards against look-ahead in the offline evaluation (eval/evaluator.py).

The prediction for recommender utterance ``i`` may depend on utterances ``0..i-1`` only. A leak of
utterance ``i`` (or anything later) into the agent lifts REDIAL R@10 from about 0.16 to 0.37, and the
other tests of the protocol do not notice, so these tests check the wiring directly:

- a spy runner records everything the agent receives (the message, the state it is handed, the order of
  calls) and returns, from every user turn, a ranking headed by a marker of that call; each sample's
  ``top10`` then names the call that predicted it, and what that call had received must be exactly
  utterances ``0..i-1`` (texts and roles), with nothing from ``i`` on;
- the baselines' context must not hold the predicted turn's movies either;
- end to end, with the real pipeline on a real-format REDIAL dialog whose gold movies appear only in
  their own turn and later: the agent's rank of each gold equals the rank an agent that was only ever
  given utterances ``0..i-1`` produces, and ``repeat_context`` scores nothing on them.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from eval.datasets import Dialog, Utterance, iter_samples, load_inspired_tsv, load_redial
from eval.evaluator import DEPTH, DialogEvaluator, evaluate_dialog
from eval.gold import GoldMapper
from tools.ranking import FusionWeights

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REDIAL_TRAIN = FIXTURES / "redial_train_excerpt.jsonl"
REDIAL_IEVALM = FIXTURES / "redial_ievalm_excerpt.jsonl"
INSPIRED_TSV = FIXTURES / "inspired_dev_excerpt.tsv"
ROLE = {"seeker": "user", "recommender": "assistant"}
#: marker ids heading the rankings of the spy's calls (outside the gold ids used below)
MARK, WHOLE_MARK = 10_000, 20_000


def _dialogs() -> list[Dialog]:
    return [
        *load_redial(REDIAL_TRAIN),
        *load_redial(REDIAL_IEVALM),
        *load_inspired_tsv(INSPIRED_TSV),
    ]


def _transcript(utterances: tuple[Utterance, ...] | list[Utterance]) -> list[tuple[str, str]]:
    return [(ROLE[u.role], u.text) for u in utterances]


class _SpyRunner:
    """A runner that records what it receives; user turn ``n`` ranks ``MARK + n`` first (``WHOLE_MARK + n``
    for the whole-catalog re-ranking) so that a sample's ``top10`` names the call that predicted it."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.toolkit = SimpleNamespace(catalog={i: None for i in range(1000)})
        self.context = SimpleNamespace(
            popularity={i: 1.0 / (1 + i) for i in range(1000)}, recommenders={}, weights=FusionWeights()
        )

    def run_turn(self, state: Any, message: str, *, role: str = "user", universe: Any = None) -> Any:
        state_in = json.loads(json.dumps(state or {}))  # a deep copy: what the agent was handed
        n = len(self.calls)
        self.calls.append({"message": message, "role": role, "universe": universe, "state_in": state_in})
        history = [*state_in.get("history", []), {"role": role, "content": message}]
        if role == "assistant":
            return {**state_in, "history": history}, None
        mark = (WHOLE_MARK if universe is None else MARK) + n
        new = {
            **state_in,
            "shown": [{"id": mark}],
            "shown_ever": [mark],
            "history": [*history, {"role": "assistant", "content": f"spy reply {n}"}],
        }
        ranking = [mark, *range(DEPTH)]
        items = [{"id": i} for i in ranking[:3]]
        return new, SimpleNamespace(ranking=ranking, latency_ms=1.0, llm_calls=0, fallbacks=0, items=items)

    def received(self, n: int) -> list[tuple[str, str]]:
        """What call ``n`` handed the agent: the history it was given, then its message."""
        call = self.calls[n]
        history = [(h["role"], h["content"]) for h in call["state_in"].get("history", [])]
        return [*history, (call["role"], call["message"])]

    def fed(self, n: int) -> list[tuple[str, str]]:
        """Every (role, message) the evaluator passed through the runner up to and including call ``n``
        (the whole-catalog re-rankings repeat their user turn and are left out)."""
        return [
            (c["role"], c["message"])
            for c in self.calls[: n + 1]
            if c["universe"] is not None or c["role"] != "user"
        ]


def _gold_ids(dialogs: list[Dialog]) -> dict[tuple[str, str, int | None], int | None]:
    """A distinct catalog id (below 1000) per dataset movie."""
    from eval.gold import ref_key

    ids: dict[tuple[str, str, int | None], int | None] = {}
    for dialog in dialogs:
        for utt in dialog.utterances:
            for ref in utt.movies:
                ids.setdefault(ref_key(ref), 100 + len(ids))
    return ids


def _recorder(store: list[tuple[dict[str, Any], list[dict[str, Any]]]]) -> Any:
    """A tuning hook that keeps a copy of every state it is handed, with its samples."""
    return lambda state, samples: store.append((json.loads(json.dumps(state)), samples))


def _later_texts(dialog: Dialog, index: int) -> list[str]:
    """Texts of utterances ``index..`` that are not already contained in the context's texts."""
    context = " ".join(u.text for u in dialog.utterances[:index])
    return [u.text for u in dialog.utterances[index:] if len(u.text) > 8 and u.text not in context]


@pytest.mark.parametrize("whole_catalog", [False, True])
def test_prediction_sees_exactly_the_earlier_utterances(whole_catalog: bool) -> None:
    dialogs = _dialogs()
    gold_ids = _gold_ids(dialogs)
    checked = checked_instances = 0
    for dialog in dialogs:
        spy = _SpyRunner()
        ev = DialogEvaluator(
            None,  # type: ignore[arg-type]
            dialog.dataset,
            list(range(1000)),
            gold_ids,
            runner=spy,  # type: ignore[arg-type]
            whole_catalog=whole_catalog,
            standardized=dialog.dataset == "redial",
        )
        hooked: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
        result = evaluate_dialog(ev, dialog, hook=_recorder(hooked))
        assert len(result.samples) == sum(1 for _ in iter_samples([dialog]))
        # every utterance reaches the agent exactly once, in order, with its role
        assert [
            (c["role"], c["message"]) for c in spy.calls if c["universe"] is not None or c["role"] != "user"
        ] == _transcript(dialog.utterances)
        for sample in result.samples:
            i = sample["turn_index"]
            expected = _transcript(dialog.utterances[:i])
            later = _later_texts(dialog, i)
            head = sample["top10"][0] if sample["top10"] else None
            if head is None:  # no user turn right before: no prediction, nothing to check but the baselines
                assert sample["ranks"]["agent"] is None
            else:
                n = head - MARK
                assert spy.calls[n]["universe"] is not None and spy.calls[n]["role"] == "user"
                # the predicting call was handed utterances 0..i-1, and the evaluator had fed nothing more
                assert spy.received(n) == expected, (dialog.dialog_id, i)
                assert spy.fed(n) == expected, (dialog.dialog_id, i)
                handed = json.dumps(spy.calls[n]["state_in"]) + spy.calls[n]["message"]
                assert not [t for t in later if t in handed], (dialog.dialog_id, i)
                checked += 1
            if whole_catalog and head is not None:
                whole = [k for k, c in enumerate(spy.calls) if c["universe"] is None and c["role"] == "user"]
                # the whole-catalog ranking of this turn came from a call given the same utterances
                n_whole = next(k for k in whole if k > head - MARK)
                assert spy.received(n_whole) == expected, (dialog.dialog_id, i)
                assert not [t for t in later if t in json.dumps(spy.calls[n_whole]["state_in"])]
                assert sample["ranks"]["agent_whole"] is None  # its marker is no gold
            # the baselines' context is the earlier utterances only: repeat_context finds a gold exactly when
            # it was mentioned before
            assert (sample["ranks"]["repeat_context"] is not None) == sample["gold_in_context"], (
                dialog.dialog_id,
                i,
                sample["gold"],
            )
        # the standardized protocol's instances use the same predictions: exactly the earlier utterances
        for inst in result.instances:
            i, head = inst["turn_index"], inst["top1"]
            if head is not None:
                assert spy.received(head - MARK) == _transcript(dialog.utterances[:i]), (dialog.dialog_id, i)
                assert spy.fed(head - MARK) == _transcript(dialog.utterances[:i]), (dialog.dialog_id, i)
                checked_instances += 1
            for gold in inst["golds"]:
                assert (gold["ranks"]["repeat_context"] is not None) <= gold["earlier"], (dialog.dialog_id, i)
        # the state handed to the tuning hook is that of the predicting turn: nothing from later on
        for state, samples in hooked:
            i = samples[0]["turn_index"]
            said = [(h["role"], h["content"]) for h in state.get("history", [])]
            assert [s for s in said if not s[1].startswith("spy reply")] == _transcript(dialog.utterances[:i])
    assert checked == 20  # every predicted sample of the five fixture dialogs
    assert checked_instances > 0


# ------------------------------------------------------------------------- end to end, the real pipeline


def _fresh_golds(dialog: Dialog) -> list[tuple[int, Any]]:
    """(turn index, movie) of recommender-turn movies never mentioned before their turn."""
    out = []
    for sample in iter_samples([dialog]):
        if not sample.gold_in_context and dialog.utterances[sample.turn_index - 1].role == "seeker":
            out.append((sample.turn_index, sample.gold))
    return out


def _clean(state: dict[str, Any]) -> dict[str, Any]:
    """As in a logged dialog: the agent's reply to a user turn was never shown."""
    history = list(state.get("history", []))
    if history and history[-1].get("role") == "assistant":
        history.pop()
    return {**state, "shown": [], "shown_ever": [], "history": history}


def _rank_given_only(
    runner: Any, utterances: tuple[Utterance, ...], universe: list[int], gold: int
) -> int | None:
    """The gold's rank from an agent that was only ever given ``utterances`` (the last one a user turn)."""
    state: Any = None
    ranking: list[int] = []
    for utt in utterances:
        if utt.role == "seeker":
            state, turn = runner.run_turn(state, utt.text, role="user", universe=universe)
            ranking = list(turn.ranking)
            state = _clean(state)
        else:
            state, _ = runner.run_turn(state, utt.text, role="assistant")
    top = ranking[:DEPTH]
    return top.index(gold) + 1 if gold in top else None


def test_real_pipeline_has_no_lookahead(service: Any, settings: Any) -> None:
    dialogs = [*load_redial(REDIAL_TRAIN), *load_redial(REDIAL_IEVALM)]
    catalog = service.toolkit.catalog
    mapper = GoldMapper(catalog, service.context.grounder)
    universe = sorted(i for i, it in catalog.items.items() if it.redial_id is not None)
    checked = 0
    for dialog in dialogs:
        fresh = _fresh_golds(dialog)
        ev = DialogEvaluator(
            settings,
            "redial",
            universe,
            mapper.map_all([dialog]),
            weights_profile="redial",
            runner=service.runner,
        )
        result = evaluate_dialog(ev, dialog)
        by_key = {(s["turn_index"], s["gold"]["source_id"]): s for s in result.samples}
        for turn_index, ref in fresh:
            sample = by_key[(turn_index, ref.source_id)]
            gold = sample["gold_id"]
            assert gold is not None and gold in ev.universe_set
            # the gold is not in any earlier utterance, so no honest system can repeat it
            assert sample["ranks"]["repeat_context"] is None, (dialog.dialog_id, ref)
            reference = _rank_given_only(service.runner, dialog.utterances[:turn_index], universe, gold)
            assert sample["ranks"]["agent"] == reference, (dialog.dialog_id, ref)
            assert sample["ranks"]["agent"] != 1, (dialog.dialog_id, ref)
            checked += 1
    assert checked >= 6
