"""Why an item is shown: reasons as data, each one claim that can be checked against the catalog and models.

A :class:`Reason` has a kind, its one-line text and the evidence it rests on (the catalog items it cites, the
attributes it names, the user's words it repeats, the long-term memory fact it comes from). The card's "why"
is the texts of the first :data:`MAX_REASONS` reasons joined by "; ". ``crsagent eval explain``
(:mod:`eval.explain`) re-checks every claim against the data, independently of the code here.

The claims and when each is made:

- ``asked``: what this conversation asked for that the item has, in one reason: genres, decade, a person,
  and the genres / people ruled out ("a 90s comedy with Meg Ryan, no horror, as you asked"); when the user's
  words for it are known (``ParsedTurn.spans``), they are quoted ("..., you said \"no gore\"").
- ``memory``: a recalled long-term fact the item matches ("with Tom Hanks (from earlier: \"likes movies with
  Tom Hanks\")"); facts carry their key (``person:tom hanks``, ``genre:horror``) and polarity.
- ``same_director`` / ``same_star``: the item shares a director / one of the four first-billed stars with an
  item the user liked ("by Michael Mann, like Heat (1995)", "also with Meg Ryan, like ...").
- ``fans_of``: "fans of X liked it too" only when the item is among X's collaborative neighbours in the
  ItemKNN model (co-occurrence cosine with shrinkage, over dialogs and ratings): similarity at least
  :data:`FANS_MIN_SIM` and among X's :data:`FANS_MAX_RANK` nearest items.
- ``similar``: "close in spirit to X" when the item vectors' cosine is at least :data:`SIMILAR_MIN_COS`.
- ``genres``: the item's first genres ("drama/romance"), when nothing was asked about genres.
- ``plot``: the first sentence of the item's own plot.

No reason ever cites an item with the same title as the shown one (The Notebook (2013) is not related to The
Notebook (2004)), nor a twin entry of it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from agent.state import Preferences, Reason, Span
from tools.catalog import Catalog, Item
from tools.item_index import ItemVectors
from tools.qualifiers import qualifier as qualifier_entry
from tools.recommenders.knn import ItemKNN
from tools.titles import fold, normalize_title

#: "fans of X liked it too" needs an ItemKNN similarity of X and the item at least this high ...
FANS_MIN_SIM = 0.02
#: ... and the item among X's this many nearest neighbours.
FANS_MAX_RANK = 50
#: "close in spirit to X" needs this cosine between the two items' vectors.
SIMILAR_MIN_COS = 0.45
#: Reasons shown per item (the card's "why").
MAX_REASONS = 3
#: The user's words are quoted only when this short (a reason stays one line).
MAX_QUOTE = 40
#: How many of an item's stars count for "also with <star>".
TOP_STARS = 4


@dataclass
class ReasonContext:
    """What reasons are checked against when they are made: the catalog, the models, the conversation."""

    catalog: Catalog
    prefs: Preferences
    vectors: ItemVectors | None = None
    knn: ItemKNN | None = None
    #: this turn's spans (the user's words behind each slot value)
    spans: Sequence[Span] = ()
    #: the long-term facts recalled this turn (the recall node's trace records)
    memory_facts: Sequence[dict[str, Any]] = ()
    #: whether a text (the user's quoted words) may be repeated: no invented title, no prompt echo
    quotable: Callable[[str], bool] = field(default=lambda _text: True)


def same_title(a: Item, b: Item) -> bool:
    """Two catalog entries sharing a title (remakes, namesakes, twin entries): never each other's evidence."""
    return a.id == b.id or normalize_title(a.title) == normalize_title(b.title)


def knn_model(recommenders: dict[str, Any]) -> ItemKNN | None:
    """The ItemKNN model among the loaded recommenders (the evidence of "fans of X"), if any."""
    model = recommenders.get("itemknn")
    return model if isinstance(model, ItemKNN) else None


def recalled_facts(trace: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The long-term facts recalled this turn, from the recall node's trace records (``fact_id``, ``text``,
    ``use``, and ``key`` / ``polarity`` when the memory store gives them)."""
    return [
        f
        for t in trace
        if t.get("step") == "recall"
        for f in (t.get("facts") or [])
        if isinstance(f, dict) and f.get("fact_id")
    ]


def years_phrase(year_min: int | None, year_max: int | None) -> str:
    """ "90s", "2000s", "1985-1992", "since 2010", "before 1980"."""
    if year_min and year_max:
        if year_min % 10 == 0 and year_max == year_min + 9:
            return f"{year_min % 100:02d}s" if 1920 <= year_min < 2000 else f"{year_min}s"
        return f"{year_min}-{year_max}"
    if year_min:
        return f"since {year_min}"
    return f"up to {year_max}" if year_max else ""


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeio" or word.startswith(("80s", "8")) else "a"  # "an 80s comedy"


def _span_quote(ctx: ReasonContext, slots: Sequence[str], value: str) -> str:
    """The user's words for ``value`` in one of ``slots``, when short and quotable."""
    for span in ctx.spans:
        if span.slot in slots and fold(span.value) == fold(value):
            text = " ".join(span.text.split())
            if 0 < len(text) <= MAX_QUOTE and ctx.quotable(text):
                return text
    return ""


_GENRE_NOUNS = frozenset(
    {"comedy", "drama", "thriller", "romance", "western", "mystery", "documentary", "adventure", "biography"}
)


def _asked(item: Item, ctx: ReasonContext, from_memory: set[str]) -> list[Reason]:
    """One reason for everything this conversation asked that the item has: "a 90s comedy with Meg Ryan, no
    horror, as you asked" (values: genre, years, person, no_genre, no_person). The user's words replace
    "as you asked" when a span gives them."""
    c = ctx.prefs.constraints
    values: list[str] = []
    quotes: list[str] = []
    person_phrase = ""
    for person in c.people_include:
        key = fold(person)
        for role, names in (("director", item.directors), ("star", item.stars), ("writer", item.writers)):
            name = next((n for n in names if fold(n) == key), None)
            if name is None:
                continue
            verb = {"director": "directed by", "star": "with", "writer": "written by"}[role]
            person_phrase = f"{verb} {name}"
            values.append(f"{role}:{name}")
            quotes.append(_span_quote(ctx, ("people_include",), person))
            break
        if person_phrase:
            break
    genres = [g for g in c.genres_include if g in item.genres]
    in_years = (
        item.year is not None
        and (c.year_min is not None or c.year_max is not None)
        and (c.year_min is None or item.year >= c.year_min)
        and (c.year_max is None or item.year <= c.year_max)
    )
    what = "/".join(genres)
    if genres and genres[-1] not in _GENRE_NOUNS:
        what += " movie"  # "a horror movie", not "a horror"; "a comedy" stays
    values += [f"genre:{g}" for g in genres]
    quotes += [_span_quote(ctx, ("genres_include",), g) for g in genres]
    phrase = f"{_article(what)} {what}" if genres else ""
    if in_years:
        values.append(f"years:{c.year_min or ''}-{c.year_max or ''}")
        when = years_phrase(c.year_min, c.year_max)
        decade = when[:1].isdigit() and when.endswith("s")
        if genres and decade:
            phrase = f"{_article(when)} {when} {what}"
        elif genres:
            phrase = f"{phrase} ({when})"
        else:
            phrase = (
                f"from the {when}"
                if decade
                else when
                if when.startswith(("since", "up to"))
                else f"from {when}"
            )
    phrase = " ".join(p for p in (phrase, person_phrase) if p)
    avoided = [g for g in c.genres_exclude if g not in item.genres and f"no_genre:{g}" not in from_memory]
    if avoided:
        values += [f"no_genre:{g}" for g in avoided]
        quotes += [_span_quote(ctx, ("genres_exclude",), g) for g in avoided]
        phrase = ", ".join(p for p in (phrase, f"no {' or '.join(avoided)}") if p)
    for name in ctx.prefs.qualifiers_boost:  # "with a heist", only when the item's tags say so
        entry = qualifier_entry(name)
        if entry is not None and name in item.qualifiers:
            values.append(f"qualifier:{name}")
            quotes.append(_span_quote(ctx, ("qualifiers_include",), name))
            phrase = ", ".join(p for p in (phrase, f"with {entry.label}") if p)
    for name in c.qualifiers_exclude:  # "no gore": only for an item whose tags could say otherwise
        entry = qualifier_entry(name)
        if entry is not None and item.tagged and name not in item.qualifiers:
            values.append(f"no_qualifier:{name}")
            quotes.append(_span_quote(ctx, ("qualifiers_exclude",), name))
            phrase = ", ".join(p for p in (phrase, f"no {entry.label}") if p)
    people = {fold(n) for n in (*item.directors, *item.stars, *item.writers)}
    for person in c.people_exclude:
        if fold(person) not in people and f"no_person:{fold(person)}" not in from_memory:
            values.append(f"no_person:{person}")
            phrase = ", ".join(p for p in (phrase, f"without {person}") if p)
    if not values:
        return []
    quote = next((q for q in quotes if q), "")
    tail = f', you said "{quote}"' if quote else ", as you asked"
    return [Reason(kind="asked", text=phrase + tail, values=values, quote=quote)]


def _memory_key_matches(item: Item, key: str, polarity: int) -> tuple[str, str] | None:
    """(value tag, display name) when ``item`` fits a memory fact's key and polarity."""
    what, _, value = key.partition(":")
    if what == "person" and value:
        for role, names in (("director", item.directors), ("star", item.stars), ("writer", item.writers)):
            name = next((n for n in names if fold(n) == fold(value)), None)
            if name is not None:
                return (f"{role}:{name}", name) if polarity > 0 else None
        return (f"no_person:{value}", value) if polarity < 0 else None
    if what == "genre" and value:
        if polarity > 0 and value in item.genres:
            return f"genre:{value}", value
        if polarity < 0 and value not in item.genres:
            return f"no_genre:{value}", value
    return None


def _memory(item: Item, ctx: ReasonContext) -> tuple[list[Reason], list[Reason]]:
    """Reasons from recalled long-term facts: (positive ones, exclusions)."""
    pos: list[Reason] = []
    neg: list[Reason] = []
    for fact in ctx.memory_facts:
        key, polarity, text = (
            str(fact.get("key") or ""),
            int(fact.get("polarity") or 0),
            str(fact.get("text") or ""),
        )
        fact_id = str(fact.get("fact_id") or "")
        if not key or not polarity or not fact_id or fact.get("use") == "overridden":
            continue
        hit = _memory_key_matches(item, key, polarity)
        if hit is None:
            continue
        tag, name = hit
        quote = " ".join(text.split())
        if not (0 < len(quote) <= 60 and ctx.quotable(quote)):
            quote = ""
        note = f' (from earlier: "{quote}")' if quote else " (from earlier)"
        if polarity > 0:
            verbs = {"genre": "a", "director": "directed by", "writer": "written by", "star": "with"}
            verb = verbs[tag.partition(":")[0]]
            head = f"{_article(name)} {name}" if verb == "a" else f"{verb} {name}"
            pos.append(Reason(kind="memory", text=head + note, values=[tag], quote=quote, fact_id=fact_id))
        else:
            neg.append(
                Reason(kind="memory", text=f"no {name}{note}", values=[tag], quote=quote, fact_id=fact_id)
            )
    return pos, neg


def _liked(item: Item, ctx: ReasonContext) -> list[Reason]:
    """Reasons citing items the user liked: shared director or star, collaborative neighbours, content."""
    catalog = ctx.catalog
    twins = catalog.with_twins([item.id])
    liked = [
        catalog.items[i]
        for i in reversed(ctx.prefs.liked)  # the most recent first
        if i in catalog.items and i not in twins and not same_title(catalog.items[i], item)
    ]
    if not liked:
        return []
    out: list[Reason] = []
    for other in liked:
        shared = [d for d in item.directors if d in other.directors]
        if shared:
            out.append(
                Reason(
                    kind="same_director",
                    text=f"by {shared[0]}, like {other.display}",
                    items=[other.id],
                    values=[f"director:{shared[0]}"],
                )
            )
            break
    for other in liked:
        shared = [s for s in item.stars[:TOP_STARS] if s in other.stars[:TOP_STARS]]
        if shared:
            out.append(
                Reason(
                    kind="same_star",
                    text=f"also with {shared[0]}, like {other.display}",
                    items=[other.id],
                    values=[f"star:{shared[0]}"],
                )
            )
            break
    if ctx.knn is not None:
        best: tuple[float, Item] | None = None
        for other in liked:
            sim, rank = ctx.knn.neighbour(other.id, item.id)
            close = rank is not None and rank <= FANS_MAX_RANK and sim >= FANS_MIN_SIM
            if close and (best is None or sim > best[0]):
                best = (sim, other)
        if best is not None:
            out.append(
                Reason(kind="fans_of", text=f"fans of {best[1].display} liked it too", items=[best[1].id])
            )
    if ctx.vectors is not None and not any(r.kind == "fans_of" for r in out):
        iv = ctx.vectors.vector(item.id)
        best_cos: tuple[float, Item] | None = None
        for other in liked:
            ov = ctx.vectors.vector(other.id)
            if iv is None or ov is None:
                continue
            cos = float(iv @ ov)
            if cos >= SIMILAR_MIN_COS and (best_cos is None or cos > best_cos[0]):
                best_cos = (cos, other)
        if best_cos is not None:
            out.append(
                Reason(
                    kind="similar", text=f"close in spirit to {best_cos[1].display}", items=[best_cos[1].id]
                )
            )
    return out


def plot_snippet(plot: str) -> str:
    """The plot's first sentence, at most about 110 characters."""
    snippet = re.split(r"(?<=[a-z]{2}[.!?])\s", plot)[0].strip().rstrip(".")
    if len(snippet) > 110:
        snippet = snippet[:107].rsplit(" ", 1)[0] + "..."
    return snippet


def build_reasons(
    item: Item, ctx: ReasonContext, plot_ok: Callable[[str], bool] | None = None
) -> list[Reason]:
    """Every true reason for showing ``item``, most specific first (the first :data:`MAX_REASONS` make the
    "why"). ``plot_ok`` decides whether the plot snippet may be quoted (catalog text is data: a plot naming
    other movies or carrying markup is left out)."""
    mem_pos, mem_neg = _memory(item, ctx)
    asked = _asked(item, ctx, {v.lower() for r in mem_neg for v in r.values})
    claimed = {v for r in asked for v in r.values}
    mem_pos = [r for r in mem_pos if not set(r.values) & claimed]
    claimed |= {v for r in mem_pos for v in r.values}
    liked = _liked(item, ctx)
    liked = [r for r in liked if not (r.kind == "same_star" and set(r.values) & claimed)]
    reasons = [*asked, *mem_pos, *liked, *mem_neg]
    if not any(v.startswith("genre:") for r in reasons for v in r.values) and item.genres:
        genres = list(item.genres[:2])
        reasons.append(Reason(kind="genres", text="/".join(genres), values=[f"genre:{g}" for g in genres]))
    if item.plot:
        snippet = plot_snippet(item.plot)
        if snippet and (plot_ok is None or plot_ok(snippet)):
            reasons.append(Reason(kind="plot", text=snippet))
    return reasons


def why_text(reasons: Sequence[Reason]) -> str:
    """The card's one-line "why": the first :data:`MAX_REASONS` reasons."""
    return "; ".join(r.text for r in reasons[:MAX_REASONS])
