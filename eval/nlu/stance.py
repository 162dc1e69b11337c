"""Stance on REDIAL: for every movie a seeker mentions in a REDIAL split, the parser's stance on it (read from
the seeker's own messages that mention it) against the dataset's label (``initiatorQuestions``: ``liked`` 1 =
liked, 0 = did not like, 2 = did not say; ``seen`` 1 / 0 / 2).

Each seeker message that mentions the movie is parsed alone, its ``@id`` replaced by the movie's name as the
offline evaluation does (:func:`eval.datasets.redial_message_text`). The movie's stance is the last like or
dislike the parser read on it in those messages; else ``seen`` when it read seen; else ``neutral`` (which
includes a movie the parser did not ground). Movies the catalog cannot map are left out and counted.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from agent.state import ParsedTurn
from eval.datasets import DatasetError, MovieRef, redial_message_text
from eval.gold import GoldMapper
from tools.catalog import Catalog
from tools.grounding import Grounder

CLASSES: tuple[str, ...] = ("like", "dislike", "neutral")
_LIKED = {1: "like", 0: "dislike", 2: "neutral"}


def _questions(record: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The seeker's form (``initiatorQuestions``), or the recommender's when the seeker's is empty."""
    for key in ("initiatorQuestions", "respondentQuestions"):
        answers = record.get(key)
        if isinstance(answers, dict) and answers:
            return answers, key
    return {}, "none"


def _stance(sentiments: Sequence[str]) -> str:
    explicit = [s for s in sentiments if s in ("like", "dislike")]
    if explicit:
        return explicit[-1]
    return "seen" if "seen" in sentiments else "neutral"


def collect(
    path: Path,
    parse: Callable[[str], ParsedTurn],
    catalog: Catalog,
    grounder: Grounder,
    *,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """One record per (dialog, seeker-mentioned movie with a form answer): its labels, the parser's stance and
    the texts read. Raises :class:`~eval.datasets.DatasetError` for a missing or malformed file."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: file not found")
    mapper = GoldMapper(catalog, grounder)
    out: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if limit is not None and lineno > limit:
                break
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                mentions = {str(k): v for k, v in (record.get("movieMentions") or {}).items()}
                seeker = record["initiatorWorkerId"]
                messages = [m for m in record["messages"] if m["senderWorkerId"] == seeker]
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise DatasetError(f"{path}:{lineno}: not a REDIAL dialog ({exc})") from exc
            answers, form = _questions(record)
            texts: dict[str, list[str]] = {}
            refs: dict[str, MovieRef] = {}
            for message in messages:
                raw = str(message.get("text", ""))
                text, movies = redial_message_text(raw, mentions)
                for ref in movies:
                    if ref.source_id is not None:
                        refs.setdefault(ref.source_id, ref)
                        if text not in texts.setdefault(ref.source_id, []):
                            texts[ref.source_id].append(text)
            for movie_id, ref in refs.items():
                answer = answers.get(movie_id)
                if not isinstance(answer, dict) or answer.get("liked") not in _LIKED:
                    continue
                item_id = mapper.map(ref)
                rec: dict[str, Any] = {
                    "dialog": str(record.get("conversationId", lineno)),
                    "movie": ref.label,
                    "liked": answer.get("liked"),
                    "seen": answer.get("seen"),
                    "form": form,
                    "texts": texts[movie_id],
                    "mapped": item_id is not None,
                    "stance": None,
                }
                if item_id is not None:
                    twins = catalog.with_twins([item_id])
                    sentiments = [
                        m.sentiment for t in texts[movie_id] for m in parse(t).mentions if m.item_id in twins
                    ]
                    rec["grounded"] = bool(sentiments)
                    rec["stance"] = _stance(sentiments)
                out.append(rec)
    return out


def _macro_f1(confusion: dict[str, dict[str, int]]) -> tuple[float, dict[str, dict[str, float]]]:
    per: dict[str, dict[str, float]] = {}
    for c in CLASSES:
        tp = confusion[c][c]
        fp = sum(confusion[g][c] for g in CLASSES if g != c)
        fn = sum(confusion[c][p] for p in CLASSES if p != c)
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        per[c] = {
            "precision": round(p, 4),
            "recall": round(r, 4),
            "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
            "support": tp + fn,
        }
    return round(sum(v["f1"] for v in per.values()) / len(CLASSES), 4), per


def stance_metrics(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Liked-vs-not-liked accuracy (labels 0 / 1), macro-F1 over like / dislike / neutral, the confusion
    matrix (gold row, predicted column), seen accuracy (labels 0 / 1), each with its majority baseline."""
    scored = [r for r in records if r["mapped"]]
    confusion = {g: dict.fromkeys(CLASSES, 0) for g in CLASSES}
    for r in scored:
        predicted = r["stance"] if r["stance"] in ("like", "dislike") else "neutral"
        confusion[_LIKED[r["liked"]]][predicted] += 1
    binary = [r for r in scored if r["liked"] in (0, 1)]
    correct = sum((r["stance"] == "like") == (r["liked"] == 1) for r in binary)
    n_liked = sum(r["liked"] == 1 for r in binary)
    recall_like = sum(r["stance"] == "like" for r in binary if r["liked"] == 1) / n_liked if n_liked else 0.0
    n_not = len(binary) - n_liked
    recall_not = sum(r["stance"] != "like" for r in binary if r["liked"] == 0) / n_not if n_not else 0.0
    macro, per_class = _macro_f1(confusion)
    seen_rows = [r for r in scored if r["seen"] in (0, 1)]
    seen_pred = [r["stance"] in ("seen", "like", "dislike") for r in seen_rows]
    seen_ok = sum(p == (r["seen"] == 1) for p, r in zip(seen_pred, seen_rows, strict=True))
    n_seen = sum(r["seen"] == 1 for r in seen_rows)
    stances = Counter(str(r["stance"]) for r in scored)
    return {
        "n_mentions": len(records),
        "n_unmapped": len(records) - len(scored),
        "n_scored": len(scored),
        "n_not_grounded": sum(not r.get("grounded") for r in scored),
        "forms": dict(Counter(r["form"] for r in records)),
        "predicted_stances": dict(sorted(stances.items())),
        "liked_binary": {
            "n": len(binary),
            "accuracy": round(correct / len(binary), 4) if binary else 0.0,
            "majority_baseline": round(max(n_liked, n_not) / len(binary), 4) if binary else 0.0,
            "balanced_accuracy": round((recall_like + recall_not) / 2, 4) if binary else 0.0,
            "recall_liked": round(recall_like, 4),
            "recall_not_liked": round(recall_not, 4),
        },
        "liked_3class": {"n": len(scored), "macro_f1": macro, "per_class": per_class},
        "confusion": confusion,
        "seen": {
            "n": len(seen_rows),
            "accuracy": round(seen_ok / len(seen_rows), 4) if seen_rows else 0.0,
            "majority_baseline": round(max(n_seen, len(seen_rows) - n_seen) / len(seen_rows), 4)
            if seen_rows
            else 0.0,
            "rule": "predicted seen when the parser's stance is seen, like or dislike",
        },
    }


def stance_errors(records: list[dict[str, Any]], k: int = 15) -> list[dict[str, Any]]:
    """Up to ``k`` disagreements of each kind (a not-liked movie read as liked, and a liked one missed)."""
    out: list[dict[str, Any]] = []
    for label, wrong in ((0, lambda s: s == "like"), (1, lambda s: s != "like")):
        rows = [r for r in records if r["mapped"] and r["liked"] == label and wrong(r["stance"])]
        out += [
            {"movie": r["movie"], "liked": r["liked"], "stance": r["stance"], "text": " | ".join(r["texts"])}
            for r in rows[:k]
        ]
    return out
