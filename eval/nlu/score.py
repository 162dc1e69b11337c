"""Scoring readings as pair sets: precision / recall / F1 per slot type (micro over utterances), overall micro
F1, exact match per utterance, the same per category, and the list of errors for error analysis."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from eval.nlu.pairs import SLOT_TYPES, Pair


@dataclass(frozen=True)
class Scored:
    """One utterance: its gold pairs and a parser's pairs."""

    id: str
    category: str
    text: str
    gold: frozenset[Pair]
    predicted: frozenset[Pair]

    @property
    def exact(self) -> bool:
        """True when the parser's pairs are exactly the gold pairs."""
        return self.gold == self.predicted


def prf(tp: int, fp: int, fn: int) -> dict[str, Any]:
    """Precision, recall and F1 from counts (0.0 where a denominator is 0), with the counts."""
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "tp": tp, "fp": fp, "fn": fn}


def _counts(items: Iterable[Scored]) -> tuple[Counter[str], Counter[str], Counter[str]]:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for s in items:
        for slot, _ in s.gold & s.predicted:
            tp[slot] += 1
        for slot, _ in s.predicted - s.gold:
            fp[slot] += 1
        for slot, _ in s.gold - s.predicted:
            fn[slot] += 1
    return tp, fp, fn


def _summary(items: list[Scored]) -> dict[str, Any]:
    tp, fp, fn = _counts(items)
    out = prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    out["n"] = len(items)
    out["exact_match"] = round(sum(s.exact for s in items) / len(items), 4) if items else 0.0
    return out


def score(
    items: list[Scored], describe: Callable[[Pair], str] = lambda p: f"{p[0]}: {p[1]}"
) -> dict[str, Any]:
    """The metrics of one parser on one set of utterances.

    Returns ``{"overall": {precision, recall, f1, tp, fp, fn, n, exact_match}, "slots": {slot: prf},
    "categories": {category: overall-like}, "errors": [{id, category, text, missing, extra}]}``. A slot type
    appears when it occurs in the gold or the predictions; errors list utterances that are not exact.
    """
    tp, fp, fn = _counts(items)
    present = {slot for c in (tp, fp, fn) for slot in c}
    order = [s for s in SLOT_TYPES if s in present] + sorted(present - set(SLOT_TYPES))
    categories: dict[str, list[Scored]] = {}
    for s in items:
        categories.setdefault(s.category, []).append(s)
    return {
        "overall": _summary(items),
        "slots": {slot: prf(tp[slot], fp[slot], fn[slot]) for slot in order},
        "categories": {cat: _summary(group) for cat, group in sorted(categories.items())},
        "errors": [
            {
                "id": s.id,
                "category": s.category,
                "text": s.text,
                "missing": sorted(describe(p) for p in s.gold - s.predicted),
                "extra": sorted(describe(p) for p in s.predicted - s.gold),
            }
            for s in items
            if not s.exact
        ],
    }
