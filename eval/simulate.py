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

import numpy as np

from agent.llm import LLMClient
from agent.runner import TurnRunner
from eval.datasets import Dialog, MovieRef
from eval.describe import DescribeSimulator, PlotVocabulary, common_words, describe_profile
from eval.gold import DATASETS, GoldMapper, dataset_universe, load_split, split_path
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
from tools.stats import p50_p95

log = logging.getLogger(__name__)

__all__ = [
    "SIMULATORS",
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
SUMMARY_KEYS: tuple[str, ...] = (
    "n_dialogues",
    "success_rate",
    "first_turn_success_rate",
    "avg_turns",
    "recall@50_final",
    "leak_rate",
    "ungrounded_rate",
    "llm_calls_per_turn",
)
#: Published interactive anchors (DESIGN §4).
ANCHORS = (
    ("iEvaLM ChatGPT, REDIAL, attribute-based simulator, 5 rounds", "Recall@10", 0.536),
    ("InteRecAgent (GPT-4), MovieLens, success within 5 turns", "success rate", 0.85),
)
DIALOGUES_DIR = "dialogues"
#: What each simulator knows, for report.md.
SIMULATOR_NOTES = {
    "attribute": "attribute: opens with the source dialog's seed text, then volunteers director, star, decade, "
    "genres, more stars, keywords.",
    "llm": "llm: a persona prompt with the same attributes as the attribute simulator.",
    "describe": "describe: knows only genres, decade and a few plot / keyword words (no title word, no "
    "director's, writer's or star's name, no proper noun), never uses the seed text; says no to every "
    "list without the target and adds one clue per turn.",
}
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


def summarize(
    records: Sequence[Mapping[str, Any]], max_turns: int = 5
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(``summary.json``: DESIGN §3 keys plus ``latency_ms``, ``details.json``: counts and curves).

    - success_rate: share of dialogues whose target was shown within ``max_turns`` user turns;
    - first_turn_success_rate: shown after the first user turn;
    - avg_turns: user turns until success, failures counted as ``max_turns + 1``;
    - recall@50_final: target in the top 50 of the last ranking;
    - leak_rate: leaked (removed) simulator sentences / simulator sentences;
    - ungrounded_rate: (shown items that are no catalog id + reply titles neither shown nor the user's own)
      / (shown items + reply titles);
    - llm_calls_per_turn: the agent's LLM calls per agent turn (the simulator's are in details).
    """
    n = len(records)
    succ = [r for r in records if r.get("success") and (r.get("success_turn") or 99) <= max_turns]
    turns = [int(r["success_turn"]) if r in succ else max_turns + 1 for r in records]
    agent_turns = sum(int(r.get("agent_turns", 0)) for r in records)

    def tot(key: str) -> int:
        return sum(int(r.get(key, 0)) for r in records)

    sentences, leaked = tot("sim_sentences"), tot("sim_leaked")
    grounded_den = tot("shown") + tot("reply_titles")
    grounded_num = tot("ungrounded_items") + tot("ungrounded_titles")
    lat = [float(x) for r in records for x in r.get("latencies_ms", [])]
    summary: dict[str, Any] = {
        "n_dialogues": n,
        "success_rate": round(len(succ) / n, 4) if n else 0.0,
        "first_turn_success_rate": round(sum(1 for t in turns if t == 1) / n, 4) if n else 0.0,
        "avg_turns": round(float(np.mean(turns)), 3) if n else 0.0,
        "recall@50_final": round(sum(1 for r in records if r.get("final_rank") is not None) / n, 4)
        if n
        else 0.0,
        "leak_rate": round(leaked / sentences, 4) if sentences else 0.0,
        "ungrounded_rate": round(grounded_num / grounded_den, 4) if grounded_den else 0.0,
        "llm_calls_per_turn": round(tot("agent_llm_calls") / agent_turns, 3) if agent_turns else 0.0,
        "latency_ms": p50_p95(lat, 1),
    }
    by_turn = [round(sum(1 for t in turns if t <= k) / n, 4) if n else 0.0 for k in range(1, max_turns + 1)]
    top1 = [r for r in succ if _position_at_success(r) == 1]
    final_ranks = [r.get("final_rank") for r in records]
    details: dict[str, Any] = {
        "success_by_turn": by_turn,
        "recall@10_final": round(sum(1 for x in final_ranks if x is not None and x <= 10) / n, 4)
        if n
        else 0.0,
        "counts": {
            "dialogues": n,
            "successes": len(succ),
            "agent_turns": agent_turns,
            "sim_sentences": sentences,
            "sim_leaked_sentences": leaked,
            "dialogues_with_leak": sum(1 for r in records if int(r.get("sim_leaked", 0)) > 0),
            "post_filter_leaks": tot("post_filter_leaks"),
            "sim_fallbacks": tot("sim_fallbacks"),
            "sim_llm_calls": tot("sim_llm_calls"),
            "shown_items": tot("shown"),
            "ungrounded_items": tot("ungrounded_items"),
            "reply_titles": tot("reply_titles"),
            "ungrounded_reply_titles": tot("ungrounded_titles"),
            "agent_llm_calls": tot("agent_llm_calls"),
        },
        "sr_rdl": {
            "sr": round(len(succ) / n, 4) if n else 0.0,
            "rdl": round(sum(1.0 / int(r["success_turn"]) for r in succ) / n, 4) if n else 0.0,
            "sr@1": round(len(top1) / n, 4) if n else 0.0,
            "rdl@1": round(sum(1.0 / int(r["success_turn"]) for r in top1) / n, 4) if n else 0.0,
        },
        "breakdown": breakdown(records, succ),
        "target_how": {
            h: sum(1 for r in records if r.get("target", {}).get("how") == h)
            for h in sorted({str(r.get("target", {}).get("how")) for r in records})
        },
        "success_by_how": {
            h: round(
                sum(1 for r in records if r.get("target", {}).get("how") == h and r in succ)
                / max(1, sum(1 for r in records if r.get("target", {}).get("how") == h)),
                4,
            )
            for h in sorted({str(r.get("target", {}).get("how")) for r in records})
        },
        "seconds_per_dialogue": round(float(np.mean([float(r.get("seconds", 0.0)) for r in records])), 3)
        if n
        else 0.0,
        "latency_ms": {
            "p50": summary["latency_ms"]["p50"],
            "p95": summary["latency_ms"]["p95"],
            "mean": round(float(np.mean(lat)), 1) if lat else 0.0,
        },
    }
    return summary, details


def _position_at_success(record: Mapping[str, Any]) -> int | None:
    """The target's position in the list shown on the turn it was first shown (None when never)."""
    turn = record.get("success_turn")
    for t in record.get("transcript", []):
        if t.get("role") == "assistant" and t.get("turn") == turn:
            pos = t.get("target_position")
            return int(pos) if pos is not None else None
    return None


#: Buckets of the target's popularity rank in the ranking universe (1 = most popular).
POPULARITY_BUCKETS: tuple[tuple[str, int, int], ...] = (
    ("1-100", 1, 100),
    ("101-500", 101, 500),
    ("501-2000", 501, 2000),
    (">2000", 2001, 10**9),
)


def breakdown(records: Sequence[Mapping[str, Any]], succ: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Success by what the simulator could tell and how popular the target is: ``{"by_clues": ...,
    "by_genres": ..., "by_popularity_rank": ...}``, each ``{bucket: {"n", "success_rate"}}``. Clues are the
    profile's ``keywords`` (the describe user's plot / keyword clues; the attribute user's keywords)."""
    won = {id(r) for r in succ}

    def table(key: Callable[[Mapping[str, Any]], str | None]) -> dict[str, dict[str, float]]:
        groups: dict[str, list[bool]] = {}
        for r in records:
            k = key(r)
            if k is not None:
                groups.setdefault(k, []).append(id(r) in won)
        return {
            k: {"n": len(v), "success_rate": round(sum(v) / len(v), 4)} for k, v in sorted(groups.items())
        }

    def clues(r: Mapping[str, Any]) -> str:
        c = len(r.get("attributes", {}).get("keywords") or [])
        return "0" if c == 0 else "1-2" if c <= 2 else "3-4" if c <= 4 else "5+"

    def genres(r: Mapping[str, Any]) -> str:
        c = len(r.get("attributes", {}).get("genres") or [])
        return "3+" if c >= 3 else str(c)

    def popularity(r: Mapping[str, Any]) -> str | None:
        rank = r.get("target", {}).get("popularity_rank")
        if not isinstance(rank, int):
            return None
        return next(name for name, lo, hi in POPULARITY_BUCKETS if lo <= rank <= hi)

    return {"by_clues": table(clues), "by_genres": table(genres), "by_popularity_rank": table(popularity)}


def popularity_ranks(catalog: Catalog, universe: Sequence[int]) -> dict[int, int]:
    """Each universe item's rank by catalog popularity (1 = most popular; ties by id)."""
    items = catalog.items
    order = sorted((i for i in universe if i in items), key=lambda i: (-float(items[i].popularity or 0.0), i))
    return {i: rank for rank, i in enumerate(order, 1)}


# ------------------------------------------------------------------------------------------------ outputs


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


def _plot(out: Path, by_turn: Sequence[float], title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2), dpi=110)
    ax.plot(range(1, len(by_turn) + 1), by_turn, marker="o", label="this agent")
    ax.axhline(0.85, color="grey", linestyle="--", linewidth=1, label="InteRecAgent (GPT-4) @5")
    ax.set_xlabel("user turns")
    ax.set_ylabel("success (target shown)")
    ax.set_ylim(0, 1.02)
    ax.set_xticks(range(1, len(by_turn) + 1))
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(out / "success_by_turn.png")
    plt.close(fig)


def _breakdown_lines(tables: Mapping[str, Mapping[str, Mapping[str, float]]]) -> list[str]:
    lines = ["| split | bucket | n | success |", "|---|---|---|---|"]
    for name, table in tables.items():
        for bucket, row in table.items():
            lines.append(f"| {name} | {bucket} | {row['n']} | {row['success_rate']} |")
    return lines


def write_report(
    out: Path, summary: Mapping[str, Any], details: Mapping[str, Any], run: Mapping[str, Any]
) -> None:
    """``report.md``: the numbers beside the published interactive anchors."""
    c = details["counts"]
    lines = [
        f"# Simulated users: {run['dataset']}/{run['split']}, {run['simulator']} simulator",
        "",
        f"{summary['n_dialogues']} dialogues, at most {run['max_turns']} user turns, seed {run['seed']}, "
        f"agent LLM: {run.get('llm', 'offline')}, weights profile: {run.get('weights')}, ranking universe: {run.get('universe_size')} items.",
        "",
        "| metric | value |",
        "|---|---|",
        *(f"| {k} | {summary[k]} |" for k in SUMMARY_KEYS),
        f"| recall@10_final | {details['recall@10_final']} |",
        f"| latency p50 / p95 (ms per turn) | {summary['latency_ms']['p50']} / {summary['latency_ms']['p95']} |",
        "",
        "## SR / RDL (Kostric & Balog, SIGIR 2026, adapted to simulated dialogues)",
        "",
        "| SR | RDL | SR@1 | RDL@1 |",
        "|---|---|---|---|",
        f"| {details['sr_rdl']['sr']} | {details['sr_rdl']['rdl']} | {details['sr_rdl']['sr@1']} | {details['sr_rdl']['rdl@1']} |",
        "",
        "SR = share of dialogues whose target is recommended (among the items shown) within the turn budget "
        "(= success_rate). RDL = sum over dialogues of reward / dialogue length, divided by the number of "
        "dialogues, as in Kostric & Balog (github.com/iai-group/redial-reproducibility: reward 1.0 for a liked "
        "item, 0.5 for a seen one, accumulated over the dialogue's turns); here the one target is a liked item, "
        "recommended once (the dialogue ends when it is shown), and the dialogue length is the number of user "
        "turns until then, so RDL = mean of 1 / success turn, 0 for a failed dialogue. SR@1 / RDL@1 count only "
        "dialogues whose target was first shown in position 1 (their top-1 protocol; a lower bound here, since "
        "the dialogue ends as soon as the target is shown anywhere in the list).",
        "",
        "## Breakdown (success rate by what the simulator could tell, and by target popularity)",
        "",
        *_breakdown_lines(details.get("breakdown", {})),
        "",
        "Success by turn (cumulative): "
        + ", ".join(f"{k}: {v}" for k, v in enumerate(details["success_by_turn"], 1)),
        "",
        "![success by turn](success_by_turn.png)",
        "",
        "## Published anchors (different simulators, catalogs and protocols: orientation, not a ranking)",
        "",
        "| system | metric | value |",
        "|---|---|---|",
        *(f"| {name} | {metric} | {value} |" for name, metric, value in ANCHORS),
        "",
        "## Counts",
        "",
        f"- simulator sentences {c['sim_sentences']}, leaked (removed) {c['sim_leaked_sentences']}, dialogues with a "
        f"leak {c['dialogues_with_leak']}, title still present after filtering {c['post_filter_leaks']}",
        f"- simulator fallbacks {c['sim_fallbacks']}, simulator LLM calls {c['sim_llm_calls']}",
        f"- shown items {c['shown_items']} (not in catalog: {c['ungrounded_items']}); titles named in replies "
        f"{c['reply_titles']} (neither shown nor the user's own: {c['ungrounded_reply_titles']})",
        f"- targets by selection rule: {details['target_how']}; success by rule: {details['success_by_how']}",
        "",
        "Success = the target (or a twin entry of the same movie) is among the items shown. avg_turns counts a "
        "failure as max_turns + 1. The simulator knows the target's attributes only and accepts by position. "
        + SIMULATOR_NOTES.get(str(run["simulator"]), ""),
    ]
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


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
    _plot(
        out,
        details["success_by_turn"],
        f"{opts.dataset}/{split}, {opts.simulator} simulator, n={len(records)}",
    )
    return summary
