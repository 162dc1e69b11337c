"""Feedback on one shown item, and telling the truth when the filter runs out.

- 👎 / "seen it" / "not the second one" on one card removes that item only: the other shown items stay in
  their places and the freed slots are filled with the best new items of the ranking (:func:`top_up`).
- When every item that satisfies the constraints has been shown (or rated), the reply says so, with the
  count, and offers to relax one constraint, naming how many more items each relaxation gives
  (:func:`exhaustion`, :func:`exhausted_text`). It never claims that no movie matches when some were shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from agent.state import ParsedTurn, Preferences
from tools.hard_filter import Constraints, HardFilter

#: The sentiments that take a shown item off the list (a like keeps the list's logic: new picks from it).
REMOVING = ("dislike", "seen")


def removed_items(parsed: ParsedTurn, shown_ids: Sequence[int]) -> list[int]:
    """The shown items this turn takes off the list: 👎 / seen by position or by title."""
    out: list[int] = []
    for f in parsed.shown_feedback:
        if f.sentiment in REMOVING and f.position <= len(shown_ids):
            out.append(shown_ids[f.position - 1])
    out += [m.item_id for m in parsed.mentions if m.sentiment in REMOVING and m.item_id in shown_ids]
    return list(dict.fromkeys(out))


def asks_nothing_else(parsed: ParsedTurn) -> bool:
    """True when the turn only gives feedback on items: no new constraint, taste, like or anchor."""
    return not (
        parsed.genres_include
        or parsed.genres_exclude
        or parsed.year_min is not None
        or parsed.year_max is not None
        or parsed.people_include
        or parsed.people_exclude
        or parsed.min_rating is not None
        or parsed.soft
        or parsed.qualifiers_include
        or parsed.qualifiers_exclude
        or parsed.qualifiers_less
        or parsed.countries
        or parsed.language
        or parsed.runtime_max is not None
        or parsed.runtime_min is not None
        or parsed.avoid_popular
        or parsed.anchor_item is not None
        or parsed.commands
        or any(m.sentiment == "like" for m in parsed.mentions)
        or any(f.sentiment == "like" for f in parsed.shown_feedback)
    )


def keeps_others(parsed: ParsedTurn, shown_ids: Sequence[int]) -> list[int]:
    """The items to take off when this turn is feedback on some shown items and nothing else (the others are
    kept in place); empty when the turn asks for a new list."""
    if parsed.intent not in ("recommend", "more", "feedback") or not shown_ids:
        return []
    removed = removed_items(parsed, shown_ids)
    return removed if removed and asks_nothing_else(parsed) else []


def top_up(
    previous: Sequence[dict[str, Any]], removed: Iterable[int], fresh: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The previous shown items with ``removed`` replaced, in their places, by ``fresh`` items in order
    (items already on the list are skipped); slots left without a fresh item close up."""
    gone = set(removed)
    kept_ids = {s["id"] for s in previous if s["id"] not in gone}
    queue = [f for f in fresh if f["id"] not in kept_ids and f["id"] not in gone]
    out: list[dict[str, Any]] = []
    for s in previous:
        if s["id"] not in gone:
            out.append(s)
        elif queue:
            out.append(queue.pop(0))
    return out


@dataclass(frozen=True)
class Exhaustion:
    """Every item that satisfies the constraints has been shown or rated."""

    what: list[str]  # the constraints in words ("comedy", "1990-1999", "with Meg Ryan")
    shown: int  # matching items shown in this conversation
    rated: int  # matching items the user rated without them being shown
    relax: list[tuple[str, int]]  # (relaxing one constraint in words, how many new items it gives)


def exhaustion(
    hard_filter: HardFilter,
    prefs: Preferences,
    shown_ever: Iterable[int],
    twins: Any = None,
    max_relax: int = 2,
) -> Exhaustion | None:
    """An :class:`Exhaustion` when the constraints leave nothing new (every match shown or rated), else
    None (also when there are no constraints or no match at all). ``twins`` (a catalog's ``with_twins``)
    widens the used items to other entries of the same movie."""
    c = prefs.constraints.model_copy(update={"exclude_ids": []})
    if c.is_empty():
        return None
    matches = _allowed(hard_filter, c)
    if not matches:
        return None
    shown = set(shown_ever)
    rated = set(prefs.liked) | set(prefs.disliked) | set(prefs.seen)
    used = shown | rated
    if twins is not None:
        used = set(twins(used))
        shown = set(twins(shown))
    if matches - used:
        return None
    relax = []
    for label, looser in _relaxations(c):
        more = _allowed(hard_filter, looser)
        n = len(more - used) if more is not None else 0
        if n:
            relax.append((label, n))
    relax.sort(key=lambda x: x[1])
    n_shown = len(matches & shown)
    return Exhaustion(c.describe(), n_shown, len(matches) - n_shown, relax[:max_relax])


def _allowed(hard_filter: HardFilter, c: Constraints) -> set[int] | None:
    result = hard_filter.apply(c)
    if result.allowed is None:
        return None
    return {i for i in result.allowed if i not in result.excluded}


def _relaxations(c: Constraints) -> list[tuple[str, Constraints]]:
    """Each way to relax one constraint, in words ("dropping comedy"), with the constraints it leaves."""
    out: list[tuple[str, Constraints]] = []
    for g in c.genres_include:
        out.append(
            (
                f"dropping {g}",
                c.model_copy(update={"genres_include": [x for x in c.genres_include if x != g]}),
            )
        )
    if c.year_min or c.year_max:
        years = (
            f"{c.year_min}-{c.year_max}"
            if c.year_min and c.year_max
            else (f"from {c.year_min}" if c.year_min else f"up to {c.year_max}")
        )
        out.append((f"any year, not only {years}", c.model_copy(update={"year_min": None, "year_max": None})))
    for p in c.people_include:
        out.append(
            (
                f"dropping {p}",
                c.model_copy(update={"people_include": [x for x in c.people_include if x != p]}),
            )
        )
    if c.min_rating is not None:
        out.append((f"any rating, not only {c.min_rating:g}+", c.model_copy(update={"min_rating": None})))
    for g in c.genres_exclude:
        out.append(
            (
                f"allowing {g}",
                c.model_copy(update={"genres_exclude": [x for x in c.genres_exclude if x != g]}),
            )
        )
    return out


def exhausted_text(ex: Exhaustion) -> str:
    """The truthful reply line: "That's every movie I have for comedy, 1990-1999, with Meg Ryan: 6 shown."
    and the offer to relax one constraint ("Dropping comedy gives 2 more; any year, not only 1990-1999
    gives 2 more.")."""
    counts = f"{ex.shown} shown" + (f", {ex.rated} you told me about" if ex.rated else "")
    text = f"That's every movie I have for {', '.join(ex.what)}: {counts}."
    if ex.relax:
        options = "; ".join(f"{label} gives {n} more" for label, n in ex.relax)
        text += f" Want me to relax one constraint? {options[0].upper()}{options[1:]}."
    else:
        text += " Want me to relax one of the constraints?"
    return text


def feedback_intro(removed_titles: Sequence[str], n_new: int) -> str:
    """The first line of a reply that kept the other items: what was taken off and what was added. Each
    title starts its clause, so that the reply's grounding check reads "Title (Year)" as a whole."""
    if not removed_titles:
        gone = "That one is off the list"
    else:
        verb = "is" if len(removed_titles) == 1 else "are"
        gone = f"{' and '.join(removed_titles)} {verb} off the list"
    if n_new == 0:
        return f"{gone}. Here are the others again:"
    added = "a new pick" if n_new == 1 else f"{n_new} new picks"
    return f"{gone}; I kept the others and added {added}:"
