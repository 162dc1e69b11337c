"""What the web app shows, as plain text / HTML: the chat text of a reply, the "🔧 plan / tools" trace, the
recommendation cards (catalog text HTML-escaped), the removable preference chips (what was understood, from
which of the user's words, or "from earlier" when long-term memory brought it) and the side panel's text."""

from __future__ import annotations

import html
import re
from typing import Any

from tools.text import first_sentence
from ui.service import TurnResult
from ui.web.state import WebState

_LIST_LINE = re.compile(r"^\s*\d{1,2}\.\s")


def reply_markdown(result: TurnResult) -> str:
    """The chat text of a reply: the agent's words, its numbered item lines reduced to the titles (the cards
    below carry the details)."""
    if not result.items:
        return result.reply
    lines = [ln for ln in result.reply.splitlines() if not _LIST_LINE.match(ln)]
    head = lines[:1]
    tail = lines[1:]
    titles = [
        f"{n}. **{html.escape(i['title'])}**" + (f" ({i['year']})" if i.get("year") else "")
        for n, i in enumerate(result.items, 1)
    ]
    return "\n".join([*head, *titles, *tail])


def trace_markdown(result: TurnResult, backend: str) -> str:
    """The body of the collapsible "🔧 plan / tools" message: the plan, each step with its timing, fallbacks."""
    trace = result.trace
    tools = [t["tool"] for t in trace if t.get("step") == "execute" and t.get("tool")]
    lines = [f"**Plan:** {' → '.join(f'`{t}`' for t in tools) if tools else '(no tools needed)'}", ""]
    lines += ["| step | tool | ms | details |", "|---|---|---:|---|"]
    for t in trace:
        details = []
        if "candidates_in" in t or "candidates_out" in t:
            details.append(f"{t.get('candidates_in', 0)} → {t.get('candidates_out', 0)} candidates")
        for key in ("added", "ranked", "removed", "violations", "reason", "error"):
            if t.get(key) not in (None, "", 0):
                details.append(f"{key}: {t[key]}")
        if t.get("fallback"):
            details.append(f"⚠️ fell back to {t['fallback']}")
        cell = html.escape("; ".join(str(d) for d in details)).replace("|", "\\|")
        lines.append(f"| {t.get('step', '')} | {t.get('tool') or ''} | {t.get('ms', 0)} | {cell} |")
    falls = [t for t in trace if t.get("fallback")]
    lines.append("")
    if falls:
        lines.append("**Fallbacks:** " + "; ".join(f"{t['step']} → {t['fallback']}" for t in falls))
    lines.append(
        f"**Total** {result.latency_ms:.0f} ms · LLM calls {result.llm_calls} · fallbacks {result.fallbacks}"
        f" · engine {backend}"
    )
    return "\n".join(lines)


def memory_facts(trace: list[dict[str, Any]], extra: Any = None) -> list[str]:
    """The long-term memory facts a turn used: the records of ``recall`` / ``memory`` trace steps (under
    ``facts``, ``records`` or ``memory``) and ``extra`` (a result's own list of memory records, if any). A
    record is a string or a dict with ``text`` (and optionally ``use``: how the fact was applied)."""
    records: list[Any] = list(extra) if isinstance(extra, list) else []
    for t in trace:
        if t.get("step") in ("recall", "memory") or t.get("tool") == "memory":
            for key in ("facts", "records", "memory"):
                if isinstance(t.get(key), list):
                    records += t[key]
    out: list[str] = []
    for rec in records:
        text = rec.get("text") if isinstance(rec, dict) else rec
        if not text:
            continue
        use = rec.get("use") if isinstance(rec, dict) else None
        line = f"{text} ({use})" if use else str(text)
        if line not in out:
            out.append(line)
    return out


def _one_line(text: str, limit: int = 140) -> str:
    """The first sentence of a plot (a real sentence end, not the dot of "Col."), cut at a word if too long."""
    first = first_sentence(text)
    if len(first) > limit:
        first = first[: limit - 1].rsplit(" ", 1)[0] + "…"
    return first


def _why(why: str, plot: str, keep: int) -> str:
    """The reason without its plot snippet (the card shows the plot on its own line), ``keep`` parts at most."""
    parts = [p for p in why.split("; ") if p]
    if plot:
        parts = [p for p in parts if not plot.startswith(p.rstrip(".…")[:40].rstrip())]
    return "; ".join(parts[:keep])


def card_html(item: dict[str, Any], n: int, plot: str = "", detail: str = "short", turn: int = 0) -> str:
    """One recommendation card: rank, title, year, genres, director / stars, a one-line plot, the why.
    ``detail="full"`` shows the whole plot, more stars, the full reason and the score. ``turn`` (the
    conversation's turn count) is kept as an attribute so that tests and scripts can wait for new cards."""
    e = html.escape
    year = f'<span class="rec-year">{item["year"]}</span>' if item.get("year") else ""
    genres = "".join(f'<span class="rec-tag">{e(g)}</span>' for g in (item.get("genres") or [])[:4])
    people = []
    if item.get("directors"):
        people.append(f"🎬 {e(', '.join(item['directors'][:2]))}")
    stars = item.get("stars") or []
    if stars:
        people.append(f"⭐ {e(', '.join(stars[: 4 if detail == 'full' else 2]))}")
    plot_text = (plot.strip() if detail == "full" else _one_line(plot)) if plot else ""
    why = _why(item.get("why") or "", plot, 3 if detail == "full" else 2)
    parts = [
        f'<div class="rec-head"><span class="rec-rank">{n}</span>'
        f'<span class="rec-title">{e(item["title"])}</span>{year}</div>',
        f'<div class="rec-tags">{genres}</div>' if genres else "",
        f'<div class="rec-people">{" · ".join(people)}</div>' if people else "",
        f'<div class="rec-plot">{e(plot_text)}</div>' if plot_text else "",
        f'<div class="rec-why">💡 {e(why)}</div>' if why else "",
    ]
    if detail == "full" and item.get("score") is not None:
        parts.append(f'<div class="rec-score">score {float(item["score"]):.3f} · id {item["id"]}</div>')
    return (
        f'<div class="rec-card-body" data-item-id="{item["id"]}" data-turn="{turn}">'
        f"{''.join(p for p in parts if p)}</div>"
    )


#: Span slots without a chip, in plain words (the side panel lists them under "Also understood").
SLOT_WORDS = {
    "qualifiers_include": "more of",
    "qualifiers_exclude": "none of",
    "qualifiers_less": "not too",
    "countries": "made in",
    "language": "spoken language",
    "runtime_max": "at most (minutes)",
    "runtime_min": "at least (minutes)",
    "avoid_popular": "lesser-known films",
    "anchor_item": "more like",
    "neutral": "asked about",
}
_WORDS_MAX = 40


def span_key(span: dict[str, Any], prev_shown: list[int]) -> str | None:
    """The chip key a span of the parsed turn (slot, value, text) stands for, or None when no chip shows it
    (``prev_shown``: the items shown before the turn, for feedback by position, value ``"2:dislike"``)."""
    slot, value = str(span.get("slot", "")), str(span.get("value", ""))
    if slot in ("genres_include", "genres_exclude", "people_include", "people_exclude"):
        return f"{slot}:{value}"
    if slot in ("year_min", "year_max"):
        return "years"
    if slot == "min_rating":
        return "min_rating"
    if slot == "soft":
        return f"soft:{value}"
    if slot == "commands":
        return f"command:{value}"
    kinds = {"like": "liked", "dislike": "disliked", "seen": "seen"}
    if slot in kinds and value.lstrip("-").isdigit():
        return f"{kinds[slot]}:{int(value)}"
    if slot == "feedback":
        pos, _, sentiment = value.partition(":")
        if pos.isdigit() and 1 <= int(pos) <= len(prev_shown) and sentiment in kinds:
            return f"{kinds[sentiment]}:{prev_shown[int(pos) - 1]}"
    return None


def said_keys(parsed: dict[str, Any], prev_shown: list[int]) -> set[str]:
    """The chip keys this turn's own words set (from the parsed turn's slots, with or without spans)."""
    keys = {k for k in (span_key(sp, prev_shown) for sp in parsed.get("spans") or []) if k}
    for slot in ("genres_include", "genres_exclude", "people_include", "people_exclude"):
        keys |= {f"{slot}:{v}" for v in parsed.get(slot) or []}
    if parsed.get("year_min") is not None or parsed.get("year_max") is not None:
        keys.add("years")
    if parsed.get("min_rating") is not None:
        keys.add("min_rating")
    if parsed.get("soft"):
        keys.add(f"soft:{parsed['soft']}")
    keys |= {f"command:{c}" for c in parsed.get("commands") or []}
    kinds = {"like": "liked", "dislike": "disliked", "seen": "seen"}
    for m in parsed.get("mentions") or []:
        if m.get("sentiment") in kinds:
            keys.add(f"{kinds[m['sentiment']]}:{m['item_id']}")
    for f in parsed.get("shown_feedback") or []:
        if f.get("sentiment") in kinds and 1 <= f.get("position", 0) <= len(prev_shown):
            keys.add(f"{kinds[f['sentiment']]}:{prev_shown[f['position'] - 1]}")
    return keys


def span_words(parsed: dict[str, Any], prev_shown: list[int]) -> dict[str, str]:
    """Per chip key, the user's words it came from (the parsed turn's spans; empty without spans)."""
    out: dict[str, str] = {}
    for sp in parsed.get("spans") or []:
        key, text = span_key(sp, prev_shown), " ".join(str(sp.get("text", "")).split())
        if key and text:
            out[key] = text if len(text) <= _WORDS_MAX else text[: _WORDS_MAX - 1].rsplit(" ", 1)[0] + "…"
    return out


def other_understood(parsed: dict[str, Any]) -> list[str]:
    """What the turn understood that no chip shows, in plain words with its source words."""
    out = []
    for sp in parsed.get("spans") or []:
        label = SLOT_WORDS.get(str(sp.get("slot", "")))
        if label:
            value, text = str(sp.get("value", "")), str(sp.get("text", ""))
            out.append(f"{label} {value}".strip() + (f" (from “{text}”)" if text and text != value else ""))
    return out


def chips_for(
    summary: dict[str, Any], words: dict[str, str] | None = None, earlier: list[str] | set[str] | None = None
) -> list[tuple[str, str]]:
    """The removable preferences of a state summary as (removal key, button label), in display order. A
    label names what was understood in plain words, then the user's words it came from (``words``, when
    they say more than the label) or "from earlier" (``earlier``: keys recalled from long-term memory)."""
    chips = _plain_chips(summary)
    words, earlier = words or {}, set(earlier or ())
    out: list[tuple[str, str]] = []
    for key, label in chips:
        said = words.get(key, "")
        if said and said.lower().strip(" .!?") not in label.lower():
            label += f" · “{said}”"
        if key in earlier:
            label += " · from earlier"
        out.append((key, label))
    return out


def _plain_chips(summary: dict[str, Any]) -> list[tuple[str, str]]:
    chips: list[tuple[str, str]] = []
    for kind, icon in (("liked", "👍"), ("disliked", "👎"), ("seen", "👁")):
        chips += [(f"{kind}:{x['id']}", f"✕ {icon} {x['title']}") for x in summary.get(kind, [])]
    c = summary.get("constraints") or {}
    chips += [(f"genres_include:{g}", f"✕ {g}") for g in c.get("genres_include", [])]
    chips += [(f"genres_exclude:{g}", f"✕ no {g}") for g in c.get("genres_exclude", [])]
    chips += [(f"people_include:{p}", f"✕ with {p}") for p in c.get("people_include", [])]
    chips += [(f"people_exclude:{p}", f"✕ without {p}") for p in c.get("people_exclude", [])]
    lo, hi = c.get("year_min"), c.get("year_max")
    if lo or hi:
        label = f"{lo}–{hi}" if lo and hi else (f"from {lo}" if lo else f"until {hi}")
        chips.append(("years", f"✕ {label}"))
    if c.get("min_rating") is not None:
        chips.append(("min_rating", f"✕ rated {c['min_rating']:g}+"))
    chips += [(f"soft:{s}", f"✕ “{s.removeprefix('memory: ')}”") for s in summary.get("soft", [])]
    chips += [(f"command:{s}", f"✕ {s}") for s in summary.get("commands", [])]
    return chips


def understood_markdown(st: WebState) -> str:
    """The side panel's text above the removable chips."""
    if not st.chips:
        text = "_Nothing yet. Tell me a movie you loved, a genre or a mood._"
    else:
        text = (
            "Each chip is what I understood, with your words; “from earlier” is remembered from before. "
            "Click a chip to remove it; it applies from your next message."
        )
    if st.also:
        text += "\n\n**Also understood**\n" + "\n".join(f"- {html.escape(a)}" for a in st.also)
    if st.memory:
        text += "\n\n**From earlier: memory used this turn**\n" + "\n".join(
            f"- {html.escape(m)}" for m in st.memory
        )
    return text
