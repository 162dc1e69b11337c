"""Readings as sets of ``(slot, value)`` pairs (eval/data/NLU.md, "Scoring"): the gold reading and a parser's
:class:`~agent.state.ParsedTurn` are turned into the same pairs, so they compare as sets.

Values are normalised strings. Titles become ``item:<canonical id>`` (twins count as one movie); an item the
user refers to that is in the shown list becomes its position ``#N``; a gold title that the catalog does not
hold becomes ``title:<text>`` (it can only be missed).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agent.state import VALUE_LIST_SLOTS, ParsedTurn
from eval.nlu.gold import TitleResolver

Pair = tuple[str, str]

#: slots whose gold value is a list of strings (one pair per value)
LIST_SLOTS: tuple[str, ...] = VALUE_LIST_SLOTS
#: slots with one number or string
SCALAR_SLOTS: tuple[str, ...] = (
    "year_min",
    "year_max",
    "min_rating",
    "language",
    "runtime_max",
    "runtime_min",
)
#: title stances
TITLE_SLOTS: tuple[str, ...] = ("like", "dislike", "seen", "neutral")
#: every slot type a pair can carry (the per-slot table's rows, in this order)
SLOT_TYPES: tuple[str, ...] = (
    "intent",
    *TITLE_SLOTS,
    *LIST_SLOTS,
    *SCALAR_SLOTS,
    "avoid_popular",
    "anchor",
    "feedback",
    "question",
    "lasting",
)
_INT_SLOTS = frozenset({"year_min", "year_max", "runtime_max", "runtime_min"})


def norm_value(slot: str, value: Any) -> str:
    """The comparable form of one slot value (numbers canonical, words case-folded, spaces collapsed)."""
    if slot in _INT_SLOTS:
        try:
            return str(int(float(value)))
        except (TypeError, ValueError):
            return str(value).strip()
    if slot == "min_rating":
        try:
            return f"{float(value):g}"
        except (TypeError, ValueError):
            return str(value).strip()
    return " ".join(str(value).split()).casefold()


class PairBuilder:
    """Turns gold readings and parses into pairs, over one catalog (see the module docstring)."""

    def __init__(self, resolver: TitleResolver) -> None:
        self.resolver = resolver

    # ------------------------------------------------------------------------------------------ targets
    def _item(self, item_id: int, shown: Sequence[int]) -> str:
        """``#N`` when the item (or a twin) is the N-th shown item, else ``item:<canonical id>``."""
        canon = self.resolver.canon(item_id)
        for pos, sid in enumerate(shown, 1):
            if sid >= 0 and self.resolver.canon(sid) == canon:
                return f"#{pos}"
        return f"item:{canon}"

    def _title(self, title: str, shown: Sequence[int]) -> str:
        ids = self.resolver.resolve(title)
        if not ids:
            return f"title:{' '.join(title.split())}"
        return self._item(min(ids), shown)

    def _target(self, target: Any, shown: Sequence[int]) -> str:
        text = str(target).strip()
        if text.startswith("#") and text[1:].isdigit():
            return f"#{int(text[1:])}"
        return self._title(text, shown)

    def shown_ids(self, titles: Sequence[str]) -> list[int]:
        """The catalog ids of a gold ``shown`` list; an unknown title keeps its place as a negative id."""
        out: list[int] = []
        for pos, title in enumerate(titles, 1):
            ids = self.resolver.resolve(title)
            out.append(min(ids) if ids else -pos)
        return out

    # --------------------------------------------------------------------------------------------- gold
    def gold_pairs(self, gold: dict[str, Any], shown: Sequence[int]) -> set[Pair]:
        """The pairs of a gold reading (``shown``: the ids of its ``shown`` titles, in order)."""
        pairs: set[Pair] = {("intent", str(gold.get("intent") or "recommend"))}
        for slot in TITLE_SLOTS:
            for title in _as_list(gold.get(slot)):
                pairs.add((slot, self._title(str(title), ())))
        for slot in LIST_SLOTS:
            for value in _as_list(gold.get(slot)):
                pairs.add((slot, norm_value(slot, value)))
        for slot in SCALAR_SLOTS:
            if gold.get(slot) is not None:
                pairs.add((slot, norm_value(slot, gold[slot])))
        if gold.get("avoid_popular"):
            pairs.add(("avoid_popular", "true"))
        if gold.get("anchor"):
            pairs.add(("anchor", self._target(gold["anchor"], shown)))
        for fb in _as_list(gold.get("feedback")):
            if isinstance(fb, dict):
                pairs.add(("feedback", f"{fb.get('position')}:{fb.get('sentiment')}"))
        question = gold.get("question")
        if isinstance(question, dict):
            pairs.add(
                (
                    "question",
                    _question(
                        question.get("aspect"),
                        self._target(question.get("target", "#1"), shown),
                        question.get("qualifier"),
                    ),
                )
            )
        for entry in _as_list(gold.get("lasting")):
            slot, _, value = str(entry).partition(":")
            pairs.add(("lasting", f"{slot.strip()}:{norm_value(slot.strip(), value)}"))
        return pairs

    # ------------------------------------------------------------------------------------------- parsed
    def parsed_pairs(self, parsed: ParsedTurn, shown: Sequence[int]) -> set[Pair]:
        """The pairs of a parser's reading of the message, given the shown item ids (in order)."""
        pairs: set[Pair] = {("intent", parsed.intent)}
        for mention in parsed.mentions:
            pairs.add((mention.sentiment, f"item:{self.resolver.canon(mention.item_id)}"))
        for slot in LIST_SLOTS:
            for value in getattr(parsed, slot):
                pairs.add((slot, norm_value(slot, value)))
        for slot in SCALAR_SLOTS:
            value = getattr(parsed, slot)
            if value is not None:
                pairs.add((slot, norm_value(slot, value)))
        if parsed.avoid_popular:
            pairs.add(("avoid_popular", "true"))
        if parsed.anchor_item is not None:
            pairs.add(("anchor", self._item(parsed.anchor_item, shown)))
        for fb in parsed.shown_feedback:
            pairs.add(("feedback", f"{fb.position}:{fb.sentiment}"))
        if parsed.question_aspect is not None or parsed.question_item is not None:
            target = "?" if parsed.question_item is None else self._item(parsed.question_item, shown)
            pairs.add(("question", _question(parsed.question_aspect, target, parsed.question_qualifier)))
        for span in parsed.spans:
            # title stances are kept as item feedback anyway: NLU.md lists no lasting pair for them
            if span.lasting and span.slot not in (*TITLE_SLOTS, "feedback"):
                pairs.add(("lasting", f"{span.slot}:{norm_value(span.slot, span.value)}"))
        return pairs

    # ---------------------------------------------------------------------------------------- display
    def describe(self, pair: Pair) -> str:
        """A pair for people: titles by name (``like: Heat (1995)``)."""
        slot, value = pair

        def item(text: str) -> str:
            return self.resolver.label(int(text[5:])) if text.startswith("item:") else text

        if value.startswith("item:"):
            return f"{slot}: {item(value)}"
        if slot == "question" and "@" in value:
            aspect, _, rest = value.partition("@")
            target, sep, qual = rest.partition(":") if rest.startswith("#") else _split_item(rest)
            return f"{slot}: {aspect}@{item(target)}{sep}{qual}"
        return f"{slot}: {value}"


def _split_item(rest: str) -> tuple[str, str, str]:
    """``item:12:scary`` -> ``("item:12", ":", "scary")``."""
    head, sep, tail = rest.partition(":")
    if head == "item":
        num, sep2, qual = tail.partition(":")
        return f"item:{num}", sep2, qual
    return head, sep, tail


def _question(aspect: Any, target: str, qualifier: Any) -> str:
    value = f"{str(aspect or 'general').strip().lower()}@{target}"
    if qualifier:
        value += f":{str(qualifier).strip().lower()}"
    return value


def _as_list(value: Any) -> list[Any]:
    if value is None or value is False:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]
