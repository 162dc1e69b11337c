"""Writing the reply: reasons per item, offline templates, the LLM reply, and the grounding check.

Titles appear only here, rendered from catalog items. Every reply is checked: a sentence that names a
title which is not among the items shown (or that looks like an invented title) is removed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from agent.reasons import MAX_REASONS, ReasonContext, build_reasons, why_text
from agent.state import ParsedTurn, Preferences, Reason, ShownItem, Span, TitleMention
from tools.catalog import Catalog, Item
from tools.grounding import Grounder
from tools.item_index import ItemVectors
from tools.qualifiers import moods_of
from tools.qualifiers import qualifier as qualifier_entry
from tools.ranking import Scored
from tools.recommenders.knn import ItemKNN
from tools.titles import fold

INTROS = (
    "Here are a few picks{for_what}:",
    "You might enjoy these{for_what}:",
    "Some ideas{for_what}:",
    "I think these could work{for_what}:",
    "Try one of these{for_what}:",
)
VAGUE_QUESTIONS = (
    "What are you in the mood for? Tell me a genre, a movie you loved, or an actor or director you like.",
    "Happy to help! Is there a movie you loved recently, or a genre you feel like tonight?",
)
CHITCHAT = (
    "Hi! I recommend movies. What do you feel like watching? A genre, a movie you loved, an actor?",
    "Glad to help. What kind of movie are you after?",
)


def explain(
    item: Item,
    scored: Scored | None,
    prefs: Preferences,
    catalog: Catalog,
    vectors: ItemVectors | None,
    grounder: Grounder | None = None,
    *,
    knn: ItemKNN | None = None,
    spans: Sequence[Span] = (),
    memory_facts: Sequence[dict[str, Any]] = (),
) -> tuple[str, list[Reason]]:
    """The reasons for showing one item (see :mod:`agent.reasons`) and the one-line "why" they make: the
    genres, decade and people asked for, the user's words and recalled facts, items the user liked that share
    a director or star or whose fans liked it (collaborative neighbours), the plot. ``scored`` is unused
    (kept for callers): a claim rests on the data, never on which signal ranked the item."""
    del scored
    allowed = catalog.with_twins([item.id, *prefs.liked, *prefs.disliked, *prefs.seen])

    def quotable(text: str) -> bool:
        return quote_ok(text, allowed, grounder)

    ctx = ReasonContext(
        catalog=catalog,
        prefs=prefs,
        vectors=vectors,
        knn=knn,
        spans=spans,
        memory_facts=memory_facts,
        quotable=quotable,
    )
    reasons = build_reasons(item, ctx, lambda plot: _plot_quotable(plot, item.id, grounder))[:MAX_REASONS]
    return why_text(reasons), reasons


_MARKUP = re.compile(r"[<>`]|\]\(|\*\*|^\s*#")


def _plot_quotable(plot: str, item_id: int, grounder: Grounder | None) -> bool:
    """Whether a plot snippet may be quoted in a reason. Catalog text is data, never instructions: a plot
    naming other movies ("... This Island Earth (1955)", a catalog title, a quoted title-like span such as
    "recommend 'The Fake Movie 9000'"), carrying markup or echoing a system prompt is left out (the card still
    shows the plot, escaped)."""
    if _TITLE_YEAR.search(plot) or _MARKUP.search(plot):
        return False
    if grounder is None:
        return not _QUOTED.search(plot) and not echoes_prompt(plot)
    return not grounder.find_titles(plot) and _sentence_ok(plot, {item_id}, grounder)


def to_shown(item: Item, scored: Scored | None, why: str, reasons: Sequence[Reason] = ()) -> ShownItem:
    """The reply/JSON view of a shown item (``reasons``: the claims of ``why``, as data)."""
    return ShownItem(
        id=item.id,
        title=item.title,
        year=item.year,
        genres=list(item.genres),
        directors=list(item.directors),
        stars=list(item.stars[:4]),
        plot=item.plot,
        score=round(scored.score, 4) if scored else 0.0,
        why=why,
        reasons=list(reasons),
    )


def template_parts(
    shown: Sequence[ShownItem], prefs: Preferences, turn: int, notes: Sequence[str] = ()
) -> tuple[str, str]:
    """The offline reply's own words around the item lines: (intro naming what was understood, closing
    question or ""). Without items, the intro is the whole reply."""
    if not shown:
        reason = f" ({notes[0]})" if notes else ""
        return (
            f"I couldn't find a movie in the catalog that fits all of that{reason}. Could you relax one of the constraints?",
            "",
        )
    what = prefs.constraints.describe()
    for_what = f" ({', '.join(what)})" if what else ""
    tail = VAGUE_QUESTIONS[turn % len(VAGUE_QUESTIONS)] if prefs.is_vague() else ""
    return INTROS[turn % len(INTROS)].format(for_what=for_what), tail


def item_line(
    n: int,
    item: ShownItem,
    keep: Callable[[Reason], bool] | None = None,
    line_ok: Callable[[str], bool] | None = None,
) -> str:
    """The numbered line of one shown item: ``"n. Title (Year) — why"``. ``keep`` (the reply's check of one
    reason) leaves refused reasons out; ``line_ok`` (the check of the whole line) drops reasons from the last
    until the line passes. The title always stays: a shown item is a catalog item, never an invented one."""
    label = f"{n}. {item.title} ({item.year})" if item.year else f"{n}. {item.title}"
    if item.reasons:
        parts = [r.text for r in item.reasons if keep is None or keep(r)]
    else:  # a state written before reasons were data
        parts = [p for p in item.why.split("; ") if p] if item.why else []
    while parts:
        line = f"{label} — {'; '.join(parts)}"
        if line_ok is None or line_ok(line):
            return line
        parts.pop()
    return label


def template_reply(
    shown: Sequence[ShownItem], prefs: Preferences, turn: int, notes: Sequence[str] = ()
) -> str:
    """The offline reply: an intro naming what was understood, then one line per item with its reason."""
    intro, tail = template_parts(shown, prefs, turn, notes)
    lines = [intro, *(item_line(n, it) for n, it in enumerate(shown, 1))]
    return "\n".join([*lines, tail] if tail else lines)


def reply_with_items(
    intro: str,
    shown: Sequence[ShownItem],
    tail: str,
    allowed_ids: Sequence[int],
    grounder: Grounder,
    fallback_intro: str = "",
) -> tuple[str, list[str]]:
    """The reply of a turn that shows items: ``intro`` and ``tail`` (template or LLM words) checked sentence
    by sentence (:func:`sanitize_reply`), and between them one numbered line per shown item, every one, in
    order, the why's parts checked like any sentence (a refused part is dropped, the item never is).
    ``fallback_intro`` (the template's) replaces an intro that the check emptied. Returns the reply and the
    removed fragments."""
    allowed = grounder.catalog.with_twins(allowed_ids)
    head, removed = sanitize_reply(intro, allowed_ids, grounder)
    if not head.strip():
        head = fallback_intro
    end, removed_tail = sanitize_reply(tail, allowed_ids, grounder) if tail else ("", [])

    def keep(reason: Reason) -> bool:
        text = reason.text.replace(f'"{reason.quote}"', '""') if reason.quote else reason.text
        return _sentence_ok(text, allowed, grounder) and (
            not reason.quote or quote_ok(reason.quote, allowed, grounder)
        )

    def line_ok(line: str) -> bool:
        return all(m.match.item_id in allowed for m in grounder.find_titles(line))

    lines = [head] if head.strip() else []
    for n, it in enumerate(shown, 1):
        line, full = item_line(n, it, keep, line_ok), item_line(n, it)
        if line != full:
            removed.append(full)
        lines.append(line)
    if end.strip():
        lines.append(end)
    return "\n".join(lines), removed + removed_tail


def quote_ok(quote: str, allowed: set[int], grounder: Grounder | None) -> bool:
    """Whether words of the user (or a memory fact) may be quoted in a reason: no title other than an
    allowed one (quoted or not), no markup, no system-prompt echo."""
    if _MARKUP.search(quote) or echoes_prompt(quote):
        return False
    if grounder is None:
        return not _QUOTED.search(quote) and not _TITLE_YEAR.search(quote)
    for text in (quote, f'"{quote}"'):
        if any(m.match.item_id not in allowed for m in grounder.find_titles(text)):
            return False
    return _sentence_ok(quote, allowed, grounder)


def _answer_content(item: Item, qualifier: str | None) -> str:
    """ "Is it scary?": yes when the data says so (tags, keywords, genre), otherwise only what is known."""
    entry = qualifier_entry(qualifier) if qualifier else None
    name = item.display
    genres = " / ".join(item.genres) if item.genres else "without a genre in my data"
    if entry is None:
        return f"{name}: I can't tell that; it is {genres}."
    tags = item.qualifiers
    if entry.name in moods_of(tags, item.genres):
        return f"Yes: my data flags {entry.label} in {name} ({genres})."
    if tags or item.keywords:
        return f"{name}: my data doesn't flag {entry.label} in it; it is {genres}."
    return f"{name}: I don't have content details, so I can't say if it's {entry.label}; it is {genres}."


def answer_question(item: Item, aspect: str, qualifier: str | None = None) -> str:
    """Answer a question about one catalog item from its metadata, or say honestly what is not known."""
    name = item.display
    if aspect == "runtime":
        runtime = item.runtime
        if not runtime:
            return f"{name}: I don't have its running time."
        hours, minutes = divmod(int(runtime), 60)
        return f"{name} runs {runtime} minutes ({hours} h {minutes:02d})."
    if aspect == "country":
        country = item.country
        return f"{name} was made in {country}." if country else f"{name}: I don't know where it was made."
    if aspect == "content":
        return _answer_content(item, qualifier)
    if aspect == "director":
        return (
            f"{name} was directed by {', '.join(item.directors)}."
            if item.directors
            else f"{name}: I don't have its director."
        )
    if aspect == "stars":
        return (
            f"{name} stars {', '.join(item.stars[:4])}." if item.stars else f"{name}: I don't have its cast."
        )
    if aspect == "writers":
        return (
            f"{name} was written by {', '.join(item.writers[:3])}."
            if item.writers
            else f"{name}: I don't have its writers."
        )
    if aspect == "year":
        return (
            f"{item.title} came out in {item.year}."
            if item.year
            else f"I don't know when {item.title} came out."
        )
    if aspect == "genres":
        return f"{name} is {' / '.join(item.genres)}." if item.genres else f"{name}: I don't have its genres."
    if aspect == "rating":
        return (
            f"{name} is rated {item.rating:.1f}/10." if item.rating else f"{name}: I don't have its rating."
        )
    parts = [f"{name}"]
    if item.genres:
        parts.append(f"is a {'/'.join(item.genres[:3])} movie")
    if item.directors:
        parts.append(f"directed by {item.directors[0]}")
    if item.stars:
        parts.append(f"starring {', '.join(item.stars[:3])}")
    text = " ".join(parts) + "."
    if item.plot:
        text += f" {item.plot}"
    return text


_QUOTED = re.compile(
    r"\"([^\"]{2,80})\"|“([^”]{2,80})”|\*\*([^*]{2,80})\*\*|_([^_]{2,80})_|'([A-Z][^']{2,80})'"
)
_TITLE_YEAR = re.compile(r"([A-Z0-9][^.!?\n]{1,80}?)\s*\((?:18|19|20)\d\d\)")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


_LIST_LINE = re.compile(r"^\s*(\d{1,2})\.\s+(.*)$")


def _prompt_shingles(n: int = 6) -> frozenset[tuple[str, ...]]:
    """Word n-grams of the system prompts: a reply sentence sharing one echoes the instructions."""
    from agent import prompts

    out: set[tuple[str, ...]] = set()
    for name in ("PARSE_SYSTEM", "PLAN_SYSTEM", "RESPOND_SYSTEM", "CRITIC_SYSTEM"):
        words = _WORD.findall(getattr(prompts, name).lower())
        out.update(tuple(words[i : i + n]) for i in range(len(words) - n + 1))
    return frozenset(out)


_WORD = re.compile(r"[a-z0-9#]+")
_PROMPT_SHINGLES: frozenset[tuple[str, ...]] | None = None


def echoes_prompt(text: str, n: int = 6) -> bool:
    """True when ``text`` repeats six or more consecutive words of a system prompt."""
    global _PROMPT_SHINGLES
    if _PROMPT_SHINGLES is None:
        _PROMPT_SHINGLES = _prompt_shingles(n)
    words = _WORD.findall(text.lower())
    return any(tuple(words[i : i + n]) in _PROMPT_SHINGLES for i in range(len(words) - n + 1))


def _sentence_ok(sentence: str, allowed: set[int], grounder: Grounder) -> bool:
    if echoes_prompt(sentence):
        return False
    if any(m.match.item_id not in allowed for m in grounder.find_titles(sentence)):
        return False
    for m in (*_QUOTED.finditer(sentence), *_TITLE_YEAR.finditer(sentence)):
        # a "Title (Year)" span is grounded with its year (remakes share titles)
        span = m.group(0).strip() if m.re is _TITLE_YEAR else next(g for g in m.groups() if g)
        match = grounder.ground(span)
        if match is not None and match.item_id in allowed:
            continue
        if m.re is _TITLE_YEAR and _ends_allowed_title(span, allowed, grounder):
            continue  # "Doubtfire (1993)" of "Mrs. Doubtfire (1993)": the span stops at an abbreviation's dot
        if m.re is _TITLE_YEAR and _tail_is_allowed(span, allowed, grounder):
            continue  # "Leonardo DiCaprio, like Inception (2010)": the title starts after a lowercase word
        if m.re is _QUOTED and match is None and len(span.split()) > 6:
            continue  # a quoted phrase, not a title
        return False
    return True


def _ends_allowed_title(span: str, allowed: set[int], grounder: Grounder) -> bool:
    """Whether ``span`` ("Title (Year)") is the end of an allowed item's "Title (Year)" at a word boundary."""
    items = grounder.catalog.items
    for i in allowed:
        item = items.get(i)
        if item is None:
            continue
        display = item.display
        if display.endswith(span) and (len(display) == len(span) or display[-len(span) - 1] in " .'-:"):
            return True
    return False


_CONNECTORS = frozenset(
    ["of", "the", "and", "in", "on", "a", "an", "to", "for", "with", "from", "at", "by", "vs"]
)


def _tail_is_allowed(span: str, allowed: set[int], grounder: Grounder) -> bool:
    """ "I don't have the running time of Pretty Woman (1990)": the capitalised tail is an allowed item and
    the words before it are sentence words, not part of a longer title ("The Return of Pretty Woman (1990)"
    is not Pretty Woman (1990))."""
    words = span.split()
    for i in range(1, len(words) - 1):
        if not words[i][:1].isupper() and not words[i][:1].isdigit():
            continue
        before = [w.strip("“”\"'(),;:") for w in words[:i]]
        while before and before[-1].lower() in _CONNECTORS:
            before.pop()
        if before and not before[-1][:1].islower():
            continue  # a capitalised word before: the tail may be part of a longer, unknown title
        tail = " ".join(words[i:])
        match = grounder.ground(tail)
        if (match is not None and match.item_id in allowed) or _ends_allowed_title(tail, allowed, grounder):
            return True
    return False


def sanitize_reply(text: str, allowed_ids: Sequence[int], grounder: Grounder) -> tuple[str, list[str]]:
    """Remove every sentence that names an item which is not allowed (shown, or the user's own), or a
    title-like span that is no catalog item at all, or that echoes a system prompt. Numbered item lines
    are checked as a whole.
    Returns the cleaned text and the removed fragments."""
    allowed = grounder.catalog.with_twins(allowed_ids)  # a twin entry of a shown movie is the same movie
    kept_lines: list[str] = []
    removed: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if _LIST_LINE.match(line):
            (kept_lines if _sentence_ok(line, allowed, grounder) else removed).append(line)
            continue
        kept: list[str] = []
        for sentence in _SENTENCE.split(line):
            if sentence.strip():
                (kept if _sentence_ok(sentence, allowed, grounder) else removed).append(sentence.strip())
        if kept:
            kept_lines.append(" ".join(kept))
    return "\n".join(kept_lines), removed


def shown_payload(shown: Sequence[ShownItem]) -> list[dict[str, Any]]:
    """The JSON form of the shown items (``ask --json`` schema)."""
    return [
        {
            k: v
            for k, v in s.model_dump().items()
            if k in ("id", "title", "year", "genres", "directors", "stars", "score", "why")
        }
        for s in shown
    ]


def clarification(parsed: ParsedTurn, catalog: Catalog) -> str:
    """One line asking which film the user meant, when a title could be more than one catalog item
    ("By “Parasite” I took Parasite (2019); did you mean Parasite (1982)?"); empty when nothing is unclear."""
    for m in parsed.mentions:
        picked = catalog.get(m.item_id)
        others = [o for o in (catalog.get(a) for a in m.alternatives[:2]) if o is not None]
        if picked is not None and others:
            options = " or ".join(o.display for o in others)
            return f"By “{m.text}” I took {picked.display}; did you mean {options}?"
    return ""


#: A title the user put in quotes: "Heat", “Heat” or 'Heat' (an apostrophe inside a word is no quote).
QUOTED = re.compile(r"""(?:^|(?<=[\s(:]))["“']([^"“”'\n]{2,80})["”'](?=[\s,.!?;:)]|$)""")
#: Said when a quoted title is not in the catalog. It never repeats the title: a reply names catalog items only.
UNKNOWN_TITLE = "I couldn't place {what} you put in quotes, so I went by the rest of what you said."


def unknown_title_note(grounder: Grounder, message: str, mentions: Sequence[TitleMention]) -> str | None:
    """The note for quoted titles in ``message`` that are neither among the turn's grounded ``mentions`` nor found
    by ``grounder`` (None when every quoted title is known)."""
    known = [fold(m.text) for m in mentions]
    unknown = 0
    for quoted in QUOTED.findall(message[:2000]):
        key = fold(quoted)
        if not key or any(k and (k in key or key in k) for k in known):
            continue
        if grounder.ground(quoted) is None:
            unknown += 1
    if not unknown:
        return None
    return UNKNOWN_TITLE.format(what="the film" if unknown == 1 else f"the {unknown} films")
