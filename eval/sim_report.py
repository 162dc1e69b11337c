"""The figures and ``report.md`` of a simulation run (:mod:`eval.simulate`): success, turns, SR / RDL in the
style of Kostric & Balog, a breakdown by clues, genres and target popularity, and the curves."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tools.catalog import Catalog
from tools.stats import p50_p95

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
#: What each simulator knows, for report.md.
SIMULATOR_NOTES = {
    "attribute": "attribute: opens with the source dialog's seed text, then volunteers director, star, decade, "
    "genres, more stars, keywords.",
    "llm": "llm: a persona prompt with the same attributes as the attribute simulator.",
    "describe": "describe: knows only genres, decade and a few plot / keyword words (no title word, no "
    "director's, writer's or star's name, no proper noun), never uses the seed text; says no to every "
    "list without the target and adds one clue per turn.",
}


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


def plot_curve(out: Path, by_turn: Sequence[float], title: str) -> None:
    """``success_by_turn.png``: the share of dialogues that succeeded by each turn."""
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
