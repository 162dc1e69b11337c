"""Simulated-user dialogues (``crsagent simulate``): targets from REDIAL / INSPIRED, a simulator, metrics.

1. **Targets and seeds** (:func:`build_targets`): per dialog, one target movie mapped to a catalog id
   (:class:`eval.gold.GoldMapper`: REDIAL movie id, else grounding) inside the dataset's movie universe.
   REDIAL: the first movie the seeker liked (``Dialog.liked``) that the recommender suggested, else the first
   liked movie at all. INSPIRED (no acceptance labels in the loader): the last movie the recommender
   mentioned. The seed is the seeker's utterances before the target is first mentioned (at most
   :data:`SEED_UTTERANCES`), with every sentence naming the target removed (:class:`LeakFilter`).
2. **Dialogue** (:func:`simulate_dialogue`): the simulator's opening goes through
   :meth:`agent.runner.TurnRunner.run_turn` (no persistence, ranked over the dataset universe); while the target
   is not among the shown items and fewer than ``max_turns`` user turns were made, the simulator rejects and
   volunteers an attribute; when it is shown the simulator accepts by position and the dialogue ends.
3. **Metrics** (:func:`summarize`): DESIGN §3 ``simulate`` summary plus per-turn latency (``latency_ms``);
   ``details.json`` adds SR / RDL in the style of Kostric & Balog (``sr_rdl``) and success broken down by
   clues, genres and target popularity rank (``breakdown``).

Simulators: ``attribute`` and ``llm`` (:mod:`eval.simulators`), ``describe`` (:mod:`eval.describe`: genres,
decade and a few plot words only; no title word, no person's name, no seed text).

Outputs in ``OUT``: ``dialogues/<id>.json`` (one per dialogue, resumable), ``run.json``, ``summary.json``,
``details.json``, ``report.md`` and ``success_by_turn.png``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.llm import LLMClient
from agent.runner import TurnRunner
from eval.datasets import Dialog, MovieRef
from eval.describe import DescribeSimulator, PlotVocabulary, common_words, describe_profile
from eval.gold import DATASETS, GoldMapper, dataset_universe, load_split, split_path
from eval.sim_report import SUMMARY_KEYS, plot_curve, popularity_ranks, summarize, write_report
from eval.simulators import (
    AttributeSimulator,
    LeakFilter,
    LLMSimulator,
    SimTurn,
    TargetProfile,
    split_sentences,
)
from tools.catalog import Catalog
from tools.grounding import Grounder
from tools.settings import Settings, load_settings

log = logging.getLogger(__name__)

__all__ = [
    "SIMULATORS",
    "SUMMARY_KEYS",
    "SimError",
    "SimOptions",
    "Target",
    "build_targets",
    "default_split",
    "run_simulation",
    "simulate_dialogue",
    "summarize",
]

SIMULATORS: tuple[str, ...] = ("attribute", "llm", "describe")
#: Seeker utterances (before the target's first mention) that make up a seed.
SEED_UTTERANCES = 3
DIALOGUES_DIR = "dialogues"
_SAFE_ID = re.compile(r"[^A-Za-z0-9._-]+")


class SimError(ValueError):
    """Bad input for a simulation (unknown dataset / simulator, bad numbers, a different run in --out)."""


def default_split(dataset: str) -> str:
    """REDIAL: ``test``; INSPIRED: ``dev`` (its only original-format split)."""
    return "test" if dataset == "redial" else "dev"


@dataclass
class SimOptions:
    """Options of one ``crsagent simulate`` run."""

    dataset: str
    data_dir: Path
    split: str | None = None
    simulator: str = "attribute"
    max_turns: int = 5
    n: int | None = None
    seed: int = 0
    out: Path = Path("sim_out")
    progress: bool = False
    #: fusion-weights profile of the agent; "default" = the live-chat profile (hard constraints), since a
    #: simulated user is a live chat ("redial" / "inspired" are tuned for the static offline protocol)
    weights: str = "default"

    def check(self) -> None:
        """Validate; raises :class:`SimError` with a one-line reason."""
        if self.dataset not in DATASETS:
            raise SimError(f"unknown dataset {self.dataset!r} (choose from: {', '.join(DATASETS)})")
        if self.simulator not in SIMULATORS:
            raise SimError(f"unknown simulator {self.simulator!r} (choose from: {', '.join(SIMULATORS)})")
        if not 1 <= self.max_turns <= 20:
            raise SimError(f"--max-turns must be between 1 and 20, got {self.max_turns}")
        if self.n is not None and self.n < 1:
            raise SimError(f"--n must be >= 1, got {self.n}")

    @property
    def split_name(self) -> str:
        """The split, defaulted per dataset."""
        return self.split or default_split(self.dataset)


# ------------------------------------------------------------------------------------------------ targets


@dataclass(frozen=True)
class Target:
    """One simulated dialogue's goal: a catalog movie and the seed text from the source dialog."""

    dialog_id: str
    item_id: int
    source: MovieRef
    seed_text: str
    how: str  # "liked+suggested", "liked", "last_recommended"


def _first_mention(dialog: Dialog, ref: MovieRef) -> int:
    for index, utt in enumerate(dialog.utterances):
        if any(m.key == ref.key for m in utt.movies):
            return index
    return len(dialog.utterances)


def _choose(dialog: Dialog) -> tuple[MovieRef, str] | None:
    """The dialog's target movie and how it was chosen (see the module docstring)."""
    if dialog.dataset == "redial":
        liked = dialog.liked
        suggested = [m for u in dialog.utterances if u.role == "recommender" for m in u.movies]
        for ref in suggested:
            if ref.source_id in liked:
                return ref, "liked+suggested"
        for u in dialog.utterances:
            for ref in u.movies:
                if ref.source_id in liked:
                    return ref, "liked"
        return None
    recommended = [m for u in dialog.utterances if u.role == "recommender" for m in u.movies]
    return (recommended[-1], "last_recommended") if recommended else None


def seed_text(dialog: Dialog, ref: MovieRef, title: str, year: int | None) -> str:
    """The seeker's opening utterances before ``ref`` is first mentioned, sentences naming it removed."""
    cut = _first_mention(dialog, ref)
    texts = [u.text for u in dialog.utterances[:cut] if u.role == "seeker"][:SEED_UTTERANCES]
    flt_source, flt_catalog = LeakFilter(ref.title, ref.year), LeakFilter(title, year)
    kept = [
        s for s in split_sentences(" ".join(texts)) if not flt_source.leaks(s) and not flt_catalog.leaks(s)
    ]
    return " ".join(kept)


def build_targets(
    dialogs: Sequence[Dialog], mapper: GoldMapper, catalog: Catalog, universe: Sequence[int] | None = None
) -> list[Target]:
    """One :class:`Target` per dialog that has a mappable target (in the universe when given), in order."""
    allowed = frozenset(universe) if universe is not None else None
    out: list[Target] = []
    for dialog in dialogs:
        chosen = _choose(dialog)
        if chosen is None:
            continue
        ref, how = chosen
        item_id = mapper.map(ref)
        if (
            item_id is None
            or item_id not in catalog.items
            or (allowed is not None and item_id not in allowed)
        ):
            continue
        item = catalog.items[item_id]
        out.append(Target(dialog.dialog_id, item_id, ref, seed_text(dialog, ref, item.title, item.year), how))
    return out


# ------------------------------------------------------------------------------------------------ dialogue


def _ungrounded_in_turn(
    items: Sequence[Mapping[str, Any]],
    reply: str,
    state: Mapping[str, Any],
    catalog: Catalog,
    grounder: Grounder | None,
    answered: Sequence[int] = (),
) -> tuple[int, int, int, int]:
    """(shown items, shown items that are no catalog id, titles named in the reply, named titles that are
    neither shown, nor the user's own liked / disliked / seen items, nor the item a question was about)."""
    ids = [it.get("id") for it in items]
    bad_items = sum(1 for i in ids if not isinstance(i, int) or i not in catalog.items)
    if grounder is None:
        return len(ids), bad_items, 0, 0
    own = [
        x.get("id")
        for key in ("liked", "disliked", "seen")
        for x in state.get(key, [])
        if isinstance(x, dict)
    ]
    allowed = catalog.with_twins([i for i in (*ids, *own, *answered) if isinstance(i, int)])
    mentions = grounder.find_titles(reply)
    return len(ids), bad_items, len(mentions), sum(1 for m in mentions if m.match.item_id not in allowed)


def simulate_dialogue(
    runner: TurnRunner,
    target: Target,
    *,
    simulator: str = "attribute",
    max_turns: int = 5,
    seed: int = 0,
    universe: Sequence[int] | None = None,
    sim_client: LLMClient | None = None,
    vocab: PlotVocabulary | None = None,
) -> dict[str, Any]:
    """Run one simulated dialogue through ``runner.run_turn``; returns its JSON record (full transcript).
    ``vocab``: the common words a describe user may use (:func:`eval.describe.common_words` of the catalog's
    plots; computed here when not given)."""
    t0 = time.perf_counter()
    catalog = runner.toolkit.catalog
    grounder = getattr(runner.context, "grounder", None)
    item = catalog.items[target.item_id]
    twins = catalog.with_twins([target.item_id]) if hasattr(catalog, "with_twins") else {target.item_id}
    profile = TargetProfile.from_item(item, sorted(twins))
    sim: AttributeSimulator | LLMSimulator
    if simulator == "describe":
        if vocab is None:
            vocab = common_words(it.plot for it in catalog.items.values())
        profile = describe_profile(item, vocab, sorted(twins))
        sim = DescribeSimulator(profile, target.seed_text, seed=seed)
    elif simulator == "llm":
        if sim_client is None:
            raise SimError("the llm simulator needs an LLM client (CRSAGENT_SIM_* settings)")
        sim = LLMSimulator(profile, target.seed_text, client=sim_client, seed=seed)
    else:
        sim = AttributeSimulator(profile, target.seed_text, seed=seed)
    uni = list(universe) if universe is not None else None
    transcript: list[dict[str, Any]] = []
    counts = {
        "sim_sentences": 0,
        "sim_leaked": 0,
        "sim_fallbacks": 0,
        "sim_llm_calls": 0,
        "shown": 0,
        "ungrounded_items": 0,
        "reply_titles": 0,
        "ungrounded_titles": 0,
        "agent_llm_calls": 0,
        "post_filter_leaks": 0,
    }
    latencies: list[float] = []
    success_turn: int | None = None
    final_ranking: list[int] = []
    state: Any = None

    def record_user(turn_no: int, said: SimTurn) -> None:
        counts["sim_sentences"] += said.sentences
        counts["sim_leaked"] += said.leaked
        counts["sim_fallbacks"] += int(said.fallback)
        counts["sim_llm_calls"] += said.llm_calls
        counts["post_filter_leaks"] += sum(1 for s in split_sentences(said.text) if sim.leak_filter.leaks(s))
        transcript.append(
            {
                "turn": turn_no,
                "role": "user",
                "text": said.text,
                "accept": said.accept,
                "leaked_sentences": said.leaked,
                "fallback": said.fallback,
                "volunteered": said.volunteered,
            }
        )

    said = sim.opening()
    for turn_no in range(1, max_turns + 1):
        if not said.text.strip():
            said.text = "Can you recommend something else?"
        record_user(turn_no, said)
        state, result = runner.run_turn(state, said.text, role="user", universe=uni)
        latencies.append(round(result.latency_ms, 2))
        final_ranking = list(result.ranking)
        n_items, bad, n_titles, bad_titles = _ungrounded_in_turn(
            result.items,
            result.reply,
            result.state,
            catalog,
            grounder,
            [
                int(a["item_id"])
                for a in state.get("answer_items") or []
                if isinstance(a, dict) and a.get("item_id") is not None
            ],
        )
        counts["shown"] += n_items
        counts["ungrounded_items"] += bad
        counts["reply_titles"] += n_titles
        counts["ungrounded_titles"] += bad_titles
        counts["agent_llm_calls"] += int(result.llm_calls)
        shown = [
            {
                "id": it.get("id"),
                "title": it.get("title"),
                "year": it.get("year"),
                "genres": list(it.get("genres") or []),
            }
            for it in result.items
        ]
        hit = next((pos for pos, it in enumerate(shown, 1) if profile.is_target(it["id"])), None)
        rank = next((pos for pos, i in enumerate(final_ranking[:50], 1) if profile.is_target(i)), None)
        transcript.append(
            {
                "turn": turn_no,
                "role": "assistant",
                "text": result.reply,
                "shown": shown,
                "target_position": hit,
                "target_rank": rank,
                "latency_ms": round(result.latency_ms, 2),
                "llm_calls": int(result.llm_calls),
                "error": result.error,
            }
        )
        said = sim.respond(shown, result.reply)
        if said.accept:
            success_turn = turn_no
            record_user(turn_no + 1, said)
            break
        if turn_no == max_turns:
            break
    rank_final = next((pos for pos, i in enumerate(final_ranking[:50], 1) if profile.is_target(i)), None)
    agent_turns = len(latencies)
    return {
        "dialog_id": target.dialog_id,
        "target": {
            "id": target.item_id,
            "title": item.title,
            "year": item.year,
            "how": target.how,
            "source": {
                "title": target.source.title,
                "year": target.source.year,
                "source_id": target.source.source_id,
            },
        },
        "attributes": profile.attributes(),
        "seed_text": target.seed_text,
        "simulator": simulator,
        "max_turns": max_turns,
        "success": success_turn is not None,
        "success_turn": success_turn,
        "turns": success_turn if success_turn is not None else max_turns + 1,
        "agent_turns": agent_turns,
        "final_rank": rank_final,
        "latencies_ms": latencies,
        **counts,
        "seconds": round(time.perf_counter() - t0, 3),
        "transcript": transcript,
    }


# ------------------------------------------------------------------------------------------------ metrics


def _dialogue_path(out: Path, dialog_id: str) -> Path:
    return out / DIALOGUES_DIR / f"{_SAFE_ID.sub('_', dialog_id)}.json"


def _write_json(path: Path, obj: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def _load_done(out: Path) -> dict[str, dict[str, Any]]:
    done: dict[str, dict[str, Any]] = {}
    for path in sorted((out / DIALOGUES_DIR).glob("*.json")):
        try:
            rec = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.warning("ignoring unreadable %s (it will be redone)", path)
            continue
        if isinstance(rec, dict) and "dialog_id" in rec:
            done[str(rec["dialog_id"])] = rec
    return done


def run_simulation(
    opts: SimOptions,
    settings: Settings | None = None,
    *,
    runner: TurnRunner | None = None,
    fresh: bool = False,
    on_dialogue: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Simulate ``opts.n`` dialogues (all targets when None), write every output, return the summary.

    Dialogues already in ``opts.out/dialogues`` from an identical run are skipped (resume); a different run
    there raises :class:`SimError` unless ``fresh``.
    """

    opts.check()
    split = opts.split_name
    split_path(opts.dataset, opts.data_dir, split)
    settings = settings if settings is not None else load_settings()
    sim_client = None
    if opts.simulator == "llm":
        if not settings.sim_base_url and settings.sim_llm != "openai":
            raise SimError("the llm simulator needs CRSAGENT_SIM_BASE_URL (or CRSAGENT_SIM_LLM=openai)")
        sim_client = LLMSimulator.client_from_settings(settings)
    dialogs = load_split(opts.dataset, opts.data_dir, split)
    service_given = runner is not None
    if runner is None:
        runner = TurnRunner(settings, weights=opts.weights)
    runner.warm()
    catalog = runner.toolkit.catalog
    mapper = GoldMapper(catalog, runner.context.grounder)
    universe = dataset_universe(opts.dataset, catalog, mapper, opts.data_dir, dialogs)
    all_targets = build_targets(dialogs, mapper, catalog, universe)
    pop_rank = popularity_ranks(catalog, universe)
    vocab = common_words(it.plot for it in catalog.items.values()) if opts.simulator == "describe" else None
    targets = all_targets[: opts.n] if opts.n is not None else all_targets
    out = Path(opts.out)
    (out / DIALOGUES_DIR).mkdir(parents=True, exist_ok=True)
    run = {
        "dataset": opts.dataset,
        "split": split,
        "simulator": opts.simulator,
        "max_turns": opts.max_turns,
        "seed": opts.seed,
        "llm": settings.llm,
        "weights": opts.weights if not service_given else "caller's service",
        "universe_size": len(universe),
        "sim_model": settings.sim_model if opts.simulator == "llm" else None,
    }
    run_file = out / "run.json"
    if run_file.exists() and not fresh:
        try:
            previous = json.loads(run_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            previous = None
        if isinstance(previous, dict) and previous != run:
            changed = sorted(k for k in set(previous) | set(run) if previous.get(k) != run.get(k))
            raise SimError(
                f"{out} holds a different simulation run (differs in: {', '.join(changed)}); use another --out"
            )
    if fresh:
        for path in (out / DIALOGUES_DIR).glob("*.json"):
            path.unlink()
    _write_json(run_file, run)
    done = _load_done(out)
    todo = [t for t in targets if t.dialog_id not in done]
    log.info(
        "%s/%s: %d targets (%d done), universe %d",
        opts.dataset,
        split,
        len(targets),
        len(targets) - len(todo),
        len(universe),
    )
    from threadpoolctl import threadpool_limits
    from tqdm.auto import tqdm

    with (
        tqdm(
            total=len(targets),
            initial=len(targets) - len(todo),
            unit="dialogue",
            desc="simulate",
            disable=not opts.progress or None,
            dynamic_ncols=True,
        ) as bar,
        threadpool_limits(limits=1),
    ):
        for target in todo:
            rec = simulate_dialogue(
                runner,
                target,
                simulator=opts.simulator,
                max_turns=opts.max_turns,
                seed=opts.seed,
                universe=universe,
                sim_client=sim_client,
                vocab=vocab,
            )
            rec["target"]["popularity_rank"] = pop_rank.get(target.item_id)
            _write_json(_dialogue_path(out, target.dialog_id), rec)
            done[target.dialog_id] = rec
            bar.update(1)
            if on_dialogue is not None:
                on_dialogue(rec)
    records = [done[t.dialog_id] for t in targets if t.dialog_id in done]
    summary, details = summarize(records, opts.max_turns)
    details["run"] = {
        **run,
        "n_targets_available": len(all_targets),
        "n_dialogs": len(dialogs),
        "resumed": len(targets) - len(todo),
    }
    _write_json(out / "summary.json", summary)
    _write_json(out / "details.json", details)
    write_report(out, summary, details, run)
    plot_curve(
        out,
        details["success_by_turn"],
        f"{opts.dataset}/{split}, {opts.simulator} simulator, n={len(records)}",
    )
    return summary
