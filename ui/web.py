"""The Gradio web app (``crsagent ui``): a chat with recommendation cards, feedback buttons and a side panel.

Layout: the chat (Gradio's messages format; the reply text streams in, tool steps appear as a collapsible
"🔧 plan / tools" message with the plan, the tools, their timings and any fallback), under it the cards of
the latest recommendations (title, year, genres, director / stars, a one-line plot and the "why") with the
buttons 👍 like, 👎 not for me, seen it and more like this, and on the right what the agent understood (likes,
dislikes, constraints: each removable with one click) and the settings.

Every handler is a plain function of (service, state, input) -> new state / views, unit-tested without a
browser; :func:`build_app` only wires them to components. The app binds 127.0.0.1 unless told otherwise,
asks for a login when ``CRSAGENT_UI_USER`` / ``CRSAGENT_UI_PASSWORD`` are set (and refuses to bind any other
interface without one), refuses messages longer than ``CRSAGENT_MAX_MESSAGE_CHARS`` with a clear message,
limits each user to ``CRSAGENT_UI_RATE_LIMIT`` turns per minute (:class:`RateLimiter`; chat, card buttons
and API alike), shows errors as friendly chat messages (never a traceback) and exposes one API endpoint
for ``gradio_client``::

    from gradio_client import Client
    Client("http://127.0.0.1:7860/").predict("a funny sci-fi movie", "me", "s1", api_name="/ask")
    # -> {"reply": str, "items": [{"id", "title", "year", ...}], "session": "s1", "error": None}
"""

from __future__ import annotations

import html
import logging
import math
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import gradio as gr

    from tools.settings import Settings
    from ui.service import Service, TurnResult

log = logging.getLogger(__name__)

MAX_CARDS = 10
MAX_CHIPS = 16
TOOLS_TITLE = "🔧 plan / tools"
FRIENDLY_ERROR = "Sorry, something went wrong on my side. Your conversation is kept; please try again."
EXAMPLES = (
    "A funny sci-fi movie from the 90s, no horror",
    "Something like Heat (1995) but newer",
    "A feel-good animated film for the whole family",
)
Feedback = Literal["like", "dislike", "seen", "more"]
FEEDBACK_BUTTONS: tuple[tuple[Feedback, str], ...] = (
    ("like", "👍 Like"),
    ("dislike", "👎 Not for me"),
    ("seen", "👁 Seen it"),
    ("more", "🔁 More like this"),
)
_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}
_LIST_LINE = re.compile(r"^\s*\d{1,2}\.\s")
Message = dict[str, Any]


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


# ----------------------------------------------------------------------------- rate limit
class RateLimiter:
    """A token bucket per key (a user): ``per_minute`` turns per minute on average, in bursts of at most
    ``burst`` (default: ``per_minute``) turns. ``per_minute <= 0`` disables the limit. Thread-safe; keeps at
    most ``max_keys`` buckets (the fullest, i.e. idlest, are dropped first: a full bucket is a new one)."""

    def __init__(
        self,
        per_minute: float,
        burst: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, time of the last update)
        self._lock = threading.Lock()
        self.per_minute = 0.0
        self.capacity = 1.0
        self.configure(per_minute, burst)

    def configure(self, per_minute: float, burst: int | None = None) -> None:
        """Set a new limit (every bucket starts full again)."""
        with self._lock:
            self.per_minute = float(per_minute)
            self.capacity = float(burst if burst is not None else max(1, math.ceil(per_minute)))
            self._buckets.clear()

    @property
    def enabled(self) -> bool:
        """Whether any limit applies."""
        return self.per_minute > 0

    def _tokens(self, key: str, now: float) -> float:
        tokens, last = self._buckets.get(key, (self.capacity, now))
        return min(self.capacity, tokens + (now - last) * self.per_minute / 60.0)

    def acquire(self, key: str) -> float:
        """Take one turn for ``key``: 0.0 when it may go ahead (the turn is counted), otherwise the seconds
        to wait before the next turn is allowed (nothing is counted)."""
        if not self.enabled:
            return 0.0
        with self._lock:
            now = self.clock()
            tokens = self._tokens(key, now)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return (1.0 - tokens) * 60.0 / self.per_minute
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > self.max_keys:
                self._evict(now)
            return 0.0

    def _evict(self, now: float) -> None:
        """Drop the buckets that are full again (forgetting them changes nothing), then the fullest."""
        full = [k for k in self._buckets if self._tokens(k, now) >= self.capacity]
        for k in full:
            del self._buckets[k]
        if len(self._buckets) > self.max_keys:
            by_fill = sorted(self._buckets, key=lambda k: self._tokens(k, now), reverse=True)
            for k in by_fill[: len(self._buckets) - self.max_keys]:
                del self._buckets[k]


def rate_limit_message(wait_s: float) -> str:
    """The friendly note for a turn over the limit: nothing was run, the message can be sent again."""
    secs = max(1, math.ceil(wait_s))
    return (
        f"You're sending messages faster than I can take them. Nothing was lost: please send that again "
        f"in {secs} second{'s' if secs != 1 else ''}."
    )


RATE_LIMIT_MARK = "⏳ "


# ----------------------------------------------------------------------------- state
def new_session_id() -> str:
    """A fresh conversation id."""
    return f"web-{uuid.uuid4().hex[:12]}"


@dataclass
class Options:
    """Per-browser settings from the settings panel."""

    n_items: int = 5
    detail: Literal["short", "full"] = "short"
    offline: bool = False


@dataclass
class WebState:
    """One browser tab's conversation: who, which session, the chat, the cards and what was understood."""

    user: str = "guest"
    session: str = ""
    history: list[Message] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    understood: dict[str, Any] = field(default_factory=dict)
    chips: list[tuple[str, str]] = field(default_factory=list)
    memory: list[str] = field(default_factory=list)


def clean_user(name: str | None) -> str:
    """A user id from the name field: trimmed, at most 64 characters, ``guest`` when empty."""
    name = re.sub(r"\s+", " ", (name or "").strip())[:64]
    return name or "guest"


def new_conversation(st: WebState, user: str | None = None) -> WebState:
    """A new session for the same (or a new) user: empty chat, no cards, nothing understood yet."""
    return WebState(user=clean_user(user if user is not None else st.user), session=new_session_id())


# ----------------------------------------------------------------------------- rendering (plain text / HTML)
def check_message(text: str, limit: int) -> str | None:
    """Why a message is refused (empty or longer than ``limit`` characters), or None when it is fine."""
    if not text.strip():
        return "Please type a message first."
    if len(text) > limit:
        return (
            f"Your message is {len(text):,} characters long; the limit is {limit:,}. "
            "Please shorten it and send it again."
        )
    return None


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
    first = re.split(r"(?<=[a-z]{2}[.!?])\s", text.strip(), maxsplit=1)[0]
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


def chips_for(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """The removable preferences of a state summary as (removal key, button label), in display order."""
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
        chips.append(("min_rating", f"✕ rated ≥ {c['min_rating']}"))
    chips += [(f"soft:{s}", f"✕ “{s}”") for s in summary.get("soft", [])]
    chips += [(f"command:{s}", f"✕ {s}") for s in summary.get("commands", [])]
    return chips


def understood_markdown(st: WebState) -> str:
    """The side panel's text above the removable chips."""
    if not st.chips:
        text = "_Nothing yet. Tell me a movie you loved, a genre or a mood._"
    else:
        text = "Click a chip to remove it; it applies from your next message."
    if st.memory:
        text += "\n\n**Memory used this turn**\n" + "\n".join(f"- {html.escape(m)}" for m in st.memory)
    return text


def feedback_message(item: dict[str, Any], position: int, kind: Feedback, by_position: bool = True) -> str:
    """The turn a card button sends: "not the third one", "I like Heat (1995)", "more like Heat (1995)"."""
    label = f"{item['title']} ({item['year']})" if item.get("year") else str(item["title"])
    if kind == "more":
        return f"more like {label}"
    if by_position and position in _ORDINALS:
        ordinal = _ORDINALS[position]
        return {
            "like": f"I like the {ordinal} one",
            "dislike": f"not the {ordinal} one",
            "seen": f"I've seen the {ordinal} one",
        }[kind]
    return {"like": f"I like {label}", "dislike": f"I didn't like {label}", "seen": f"I've seen {label}"}[
        kind
    ]


# ----------------------------------------------------------------------------- handlers (plain functions)
def _chunks(text: str, words: int = 4) -> Iterator[str]:
    """The growing prefix of ``text``, a few words at a time (streaming)."""
    tokens = re.split(r"(\s+)", text)
    step = words * 2
    for end in range(step, len(tokens) + step, step):
        yield "".join(tokens[:end])


def run_turn(
    service: Service,
    st: WebState,
    message: str,
    opts: Options | None = None,
    *,
    stream_delay: float = 0.0,
    show: str | None = None,
    limiter: RateLimiter | None = None,
    rate_key: str | None = None,
) -> Iterator[WebState]:
    """Send one message and stream the answer: yields the state after the user's message (with a pending
    tool-steps message), then as the reply text grows, and finally with the new cards and understanding.

    ``show`` is what the chat shows as the user's message (defaults to ``message``). ``limiter`` (with
    ``rate_key``, default the user) refuses a turn over the user's rate limit with a friendly note: the turn
    is not run and the conversation is unchanged. Never raises: a refused or failed turn ends with a
    friendly assistant message."""
    opts = opts or Options()
    st = replace(st, session=st.session or new_session_id(), history=list(st.history))
    refusal = check_message(message, service.settings.max_message_chars)
    shown = show if show is not None else message
    if refusal:
        if message.strip():
            st.history.append({"role": "user", "content": _clip(shown)})
        st.history.append({"role": "assistant", "content": f"⚠️ {refusal}"})
        yield _snap(st)
        return
    wait = limiter.acquire(rate_key or st.user) if limiter is not None else 0.0
    if wait > 0:
        st.history.append({"role": "user", "content": _clip(shown)})
        st.history.append({"role": "assistant", "content": RATE_LIMIT_MARK + rate_limit_message(wait)})
        yield _snap(st)
        return
    st.history.append({"role": "user", "content": shown})
    tools_msg: Message = {
        "role": "assistant",
        "content": "_working…_",
        "metadata": {"title": TOOLS_TITLE, "status": "pending"},
    }
    st.history.append(tools_msg)
    yield _snap(st)
    backend = (
        "offline" if opts.offline or service.context.llm is None else f"LLM ({service.settings.llm_model})"
    )
    try:
        result = service.ask_with(
            message, user=st.user, session=st.session, n_items=opts.n_items, offline=opts.offline
        )
        body = trace_markdown(result, backend)
        text = reply_markdown(result)
    except Exception:  # the service never raises by contract; anything else still becomes a chat message
        log.exception("web turn failed")
        st.history[-1] = {
            **tools_msg,
            "content": "the turn failed",
            "metadata": {"title": TOOLS_TITLE, "status": "done"},
        }
        st.history.append({"role": "assistant", "content": FRIENDLY_ERROR})
        yield _snap(st)
        return
    st.history[-1] = {
        "role": "assistant",
        "content": body,
        "metadata": {"title": TOOLS_TITLE, "status": "done", "duration": round(result.latency_ms / 1000, 3)},
    }
    if result.error:
        st.history.append({"role": "assistant", "content": result.reply or FRIENDLY_ERROR})
        yield _snap(st)
        return
    st.history.append({"role": "assistant", "content": ""})
    if stream_delay > 0:
        for prefix in _chunks(text):
            st.history[-1] = {"role": "assistant", "content": prefix}
            yield _snap(st)
            time.sleep(stream_delay)
    st.history[-1] = {"role": "assistant", "content": text}
    # a recommendation turn that found nothing clears the cards; a question about an item keeps them
    if result.items or any(t.get("tool") == "rank" for t in result.trace):
        st.items = result.items
    st.understood = result.state
    st.chips = chips_for(result.state)
    st.memory = memory_facts(result.trace, getattr(result, "memory", None))
    yield _snap(st)


def _snap(st: WebState) -> WebState:
    """A copy of the state as it is now (the generator goes on changing its own)."""
    return replace(st, history=list(st.history), items=list(st.items), chips=list(st.chips))


def _clip(text: str, n: int = 200) -> str:
    return text if len(text) <= n else text[:n] + f"… ({len(text):,} characters)"


def card_feedback(
    service: Service,
    st: WebState,
    index: int,
    kind: Feedback,
    opts: Options | None = None,
    *,
    stream_delay: float = 0.0,
    limiter: RateLimiter | None = None,
    rate_key: str | None = None,
) -> Iterator[WebState]:
    """A card button: turns (card ``index``, 0-based, ``kind``) into a feedback turn and runs it (under the
    same rate limit as typed messages)."""
    if not 0 <= index < len(st.items):
        yield st
        return
    item = st.items[index]
    shown_ids = (
        [s.get("id") for s in (service.get_state(user=st.user, session=st.session).get("shown") or [])]
        if st.session
        else []
    )
    by_position = shown_ids == [i["id"] for i in st.items]
    message = feedback_message(item, index + 1, kind, by_position)
    label = f"{item['title']} ({item['year']})" if item.get("year") else item["title"]
    show = {
        "like": f"👍 I like {label}",
        "dislike": f"👎 {label} is not for me",
        "seen": f"👁 I've seen {label}",
        "more": f"🔁 More like {label}",
    }[kind]
    yield from run_turn(
        service, st, message, opts, stream_delay=stream_delay, show=show, limiter=limiter, rate_key=rate_key
    )


def remove_chip(service: Service, st: WebState, index: int) -> WebState:
    """A chip in the side panel: forget that preference (it applies from the next message)."""
    if not 0 <= index < len(st.chips) or not st.session:
        return st
    key, label = st.chips[index]
    try:
        summary = service.update_preferences(user=st.user, session=st.session, remove=[key])
    except Exception:
        log.exception("removing a preference failed")
        return replace(st, history=[*st.history, {"role": "assistant", "content": FRIENDLY_ERROR}])
    note = f"✓ Forgot {label.removeprefix('✕ ')}; this applies from your next message."
    return replace(
        st,
        understood=summary,
        chips=chips_for(summary),
        history=[*st.history, {"role": "assistant", "content": note}],
    )


def api_ask(
    service: Service,
    message: str,
    user: str = "api",
    session: str = "",
    n_items: int = 0,
    *,
    limiter: RateLimiter | None = None,
    rate_key: str | None = None,
) -> dict[str, Any]:
    """The ``/ask`` API endpoint: one turn, answered as JSON (reply, items, session, state, error).

    ``error`` is None, ``"bad_message"`` (empty or too long), ``"rate_limited"`` (over the user's limit:
    nothing was run, send it again after ``retry_after`` seconds) or the name of a failure."""
    session = session or new_session_id()
    refusal = check_message(message or "", service.settings.max_message_chars)
    if refusal:
        return {"reply": refusal, "items": [], "session": session, "state": {}, "error": "bad_message"}
    wait = limiter.acquire(rate_key or clean_user(user)) if limiter is not None else 0.0
    if wait > 0:
        return {
            "reply": rate_limit_message(wait),
            "items": [],
            "session": session,
            "state": {},
            "error": "rate_limited",
            "retry_after": round(wait, 2),
        }
    try:
        result = service.ask_with(message, user=clean_user(user), session=session, n_items=n_items or None)
    except Exception as exc:
        log.exception("api turn failed")
        return {
            "reply": FRIENDLY_ERROR,
            "items": [],
            "session": session,
            "state": {},
            "error": type(exc).__name__,
        }
    return {
        "reply": result.reply,
        "items": result.items,
        "session": session,
        "state": result.state,
        "error": result.error,
    }


# ----------------------------------------------------------------------------- the Gradio app
CSS = """
.gradio-container { max-width: 1320px !important; margin: auto; }
#crs-header h1 { margin: 0; font-size: 1.6rem; }
#crs-header p { margin: 2px 0 0; opacity: .75; }
#rec-heading { margin-top: 6px; }
#rec-grid { display: grid !important; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 12px !important; }
.rec-card { border: 1px solid var(--border-color-primary); border-radius: 14px !important;
  padding: 12px 12px 8px !important; background: var(--background-fill-primary);
  box-shadow: 0 1px 3px rgba(0,0,0,.06); gap: 8px !important; min-width: 0 !important;
  align-self: stretch !important; height: auto !important; }
.rec-card:hover { box-shadow: 0 4px 14px rgba(79,70,229,.15); }
.rec-card-body { display: flex; flex-direction: column; gap: 6px; }
.rec-head { line-height: 1.3; }
.rec-rank { background: var(--color-accent); color: white; border-radius: 999px; min-width: 22px; height: 22px;
  display: inline-flex; align-items: center; justify-content: center; font-size: .8rem; font-weight: 700;
  margin-right: 6px; vertical-align: 1px; }
.rec-title { font-weight: 700; font-size: 1.02rem; line-height: 1.25; }
.rec-year { opacity: .6; font-size: .9rem; margin-left: 6px; white-space: nowrap; }
.rec-tags { display: flex; flex-wrap: wrap; gap: 4px; }
.rec-tag { background: var(--color-accent-soft); color: var(--color-accent); border-radius: 999px;
  padding: 1px 8px; font-size: .75rem; }
.rec-people { font-size: .82rem; opacity: .85; }
.rec-plot { font-size: .85rem; line-height: 1.35; }
.rec-why { font-size: .82rem; background: var(--background-fill-secondary); border-radius: 8px; padding: 5px 8px; }
.rec-score { font-size: .72rem; opacity: .6; }
.rec-actions { gap: 4px !important; flex-wrap: wrap !important; margin-top: auto !important; }
.rec-actions button { min-width: 0 !important; flex: 1 1 45% !important; font-size: .78rem !important;
  padding: 4px 6px !important; }
.chip button, button.chip { border-radius: 999px !important; font-size: .8rem !important; padding: 2px 10px !important;
  min-width: 0 !important; }
#chips { flex-wrap: wrap !important; gap: 6px !important; }
#chips > * { flex: 0 0 auto !important; min-width: 0 !important; }
"""


def _theme() -> Any:
    import gradio as gr

    return gr.themes.Soft(primary_hue="indigo", secondary_hue="slate", radius_size="lg")


def build_app(service: Service, *, stream_delay: float = 0.012) -> gr.Blocks:
    """The web app's Blocks (launch it with :func:`serve`, which adds the theme, CSS and login)."""
    import gradio as gr

    settings = service.settings
    llm_ready = service.context.llm is not None
    n_default = max(1, min(MAX_CARDS, settings.n_items))
    # per user name, shared by the chat, the cards and /ask; serve() sets it from the settings it serves with
    limiter = RateLimiter(settings.ui_rate_limit)

    with gr.Blocks(title="crsagent · movie recommender", fill_width=False) as app:
        state = gr.State(WebState())
        gr.HTML(
            "<div id='crs-header'><h1>🎬 crsagent</h1><p>Tell me what you feel like watching. I recommend real "
            "movies from the catalog, explain why, and learn from your 👍 / 👎.</p></div>"
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=480):
                chatbot = gr.Chatbot(
                    label="Chat",
                    show_label=False,
                    height=440,
                    layout="bubble",
                    elem_id="chat",
                    buttons=["copy"],
                    placeholder="**What would you like to watch?**<br>Try one of the examples, or describe a mood, "
                    "a genre, a movie you loved.",
                    examples=[{"text": t} for t in EXAMPLES],
                    feedback_options=None,
                )
                with gr.Row(equal_height=True):
                    box = gr.Textbox(
                        show_label=False,
                        placeholder="e.g. a funny sci-fi movie from the 90s, no horror",
                        scale=6,
                        elem_id="msg",
                        autofocus=True,
                        max_lines=6,
                        submit_btn=False,
                    )
                    send = gr.Button("Send", variant="primary", scale=1, min_width=90, elem_id="send")
                rec_heading = gr.Markdown(
                    "### 🍿 Recommendations  <small>react with 👍 / 👎 and I adapt</small>",
                    elem_id="rec-heading",
                    visible=False,
                )
                card_cols: list[Any] = []
                card_bodies: list[Any] = []
                card_buttons: list[tuple[int, Feedback, Any]] = []
                with gr.Row(elem_id="rec-grid", equal_height=False):
                    for i in range(MAX_CARDS):
                        with gr.Column(
                            visible=False, elem_classes="rec-card", elem_id=f"card-{i}", min_width=220
                        ) as col:
                            body = gr.HTML(elem_id=f"card-{i}-body")
                            with gr.Row(elem_classes="rec-actions"):
                                for kind, label in FEEDBACK_BUTTONS:
                                    b = gr.Button(
                                        label, size="sm", elem_id=f"card-{i}-{kind}", variant="secondary"
                                    )
                                    card_buttons.append((i, kind, b))
                        card_cols.append(col)
                        card_bodies.append(body)
            with gr.Column(scale=1, min_width=280):
                with gr.Accordion("🧠 What I understood", open=True):
                    understood = gr.Markdown(understood_markdown(WebState()), elem_id="understood")
                    with gr.Row(elem_id="chips"):
                        chips = [
                            gr.Button("", visible=False, size="sm", elem_classes="chip", elem_id=f"chip-{j}")
                            for j in range(MAX_CHIPS)
                        ]
                with gr.Accordion("⚙️ Settings", open=True):
                    user_box = gr.Textbox(
                        label="Your name (keeps your memory)", value="guest", elem_id="user", max_lines=1
                    )
                    n_items = gr.Slider(
                        1, MAX_CARDS, value=n_default, step=1, label="Number of items", elem_id="n-items"
                    )
                    detail = gr.Radio(
                        ["short", "full"], value="short", label="Explanation detail", elem_id="detail"
                    )
                    backend = gr.Radio(
                        ["offline engine", "configured LLM"],
                        value="configured LLM" if llm_ready else "offline engine",
                        label="Language model",
                        interactive=llm_ready,
                        elem_id="backend",
                        info=None if llm_ready else "No LLM endpoint is configured (CRSAGENT_LLM=offline).",
                    )
                    new_btn = gr.Button("🆕 New conversation", elem_id="new-conversation")

        # ------------------------------------------------------------------ view adapters
        def opts_of(n: float, det: str, back: str) -> Options:
            return Options(
                n_items=int(n), detail="full" if det == "full" else "short", offline=back != "configured LLM"
            )

        def cards_view(st: WebState, det: str) -> list[Any]:
            out: list[Any] = [gr.update(visible=bool(st.items))]
            cols, bodies = [], []
            for i in range(MAX_CARDS):
                if i < len(st.items):
                    item = st.items[i]
                    cat = service.toolkit.catalog.items.get(item["id"])
                    cols.append(gr.update(visible=True))
                    bodies.append(
                        card_html(item, i + 1, cat.plot if cat else "", det, st.understood.get("turns", 0))
                    )
                else:
                    cols.append(gr.update(visible=False))
                    bodies.append("")
            return out + cols + bodies

        def panel_view(st: WebState) -> list[Any]:
            buttons = [
                gr.update(value=st.chips[j][1], visible=True)
                if j < len(st.chips)
                else gr.update(visible=False)
                for j in range(MAX_CHIPS)
            ]
            return [understood_markdown(st), *buttons]

        def full_view(st: WebState, det: str) -> list[Any]:
            return [st.history, st, *cards_view(st, det), *panel_view(st)]

        def streaming_view(st: WebState) -> list[Any]:
            return [st.history, st, *([gr.skip()] * (1 + 2 * MAX_CARDS + 1 + MAX_CHIPS))]

        view_outputs = [chatbot, state, rec_heading, *card_cols, *card_bodies, understood, *chips]

        def stream(gen: Iterator[WebState], det: str) -> Iterator[list[Any]]:
            last: WebState | None = None
            try:
                for st in gen:
                    last = st
                    yield streaming_view(st)
            except Exception:  # never a traceback in the browser
                log.exception("web handler failed")
                if last is not None:
                    last = replace(
                        last, history=[*last.history, {"role": "assistant", "content": FRIENDLY_ERROR}]
                    )
            if last is not None:
                yield full_view(last, det)

        # ------------------------------------------------------------------ events
        def on_send(message: str, st: WebState, n: float, det: str, back: str) -> Iterator[list[Any]]:
            yield from stream(
                run_turn(
                    service, st, message, opts_of(n, det, back), stream_delay=stream_delay, limiter=limiter
                ),
                det,
            )

        def give_back(message: str, st: WebState) -> Any:
            """A message refused by the rate limit goes back into the text box: nothing typed is lost."""
            last = st.history[-1] if st.history else {}
            limited = last.get("role") == "assistant" and str(last.get("content", "")).startswith(RATE_LIMIT_MARK)
            return message if limited else gr.skip()

        pending = gr.State("")
        for trigger in (box.submit, send.click):
            trigger(lambda m: ("", m), box, [box, pending], queue=False, api_visibility="private").then(
                on_send,
                [pending, state, n_items, detail, backend],
                view_outputs,
                api_visibility="private",
                concurrency_id="turn",
            ).then(give_back, [pending, state], box, queue=False, api_visibility="private")

        def on_example(
            evt: gr.SelectData, st: WebState, n: float, det: str, back: str
        ) -> Iterator[list[Any]]:
            text = evt.value.get("text", "") if isinstance(evt.value, dict) else str(evt.value)
            yield from on_send(text, st, n, det, back)

        on_example.__annotations__["evt"] = gr.SelectData  # resolved here: gradio injects the selection

        chatbot.example_select(
            on_example,
            [state, n_items, detail, backend],
            view_outputs,
            api_visibility="private",
            concurrency_id="turn",
        )

        def make_feedback(index: int, kind: Feedback) -> Callable[..., Iterator[list[Any]]]:
            def on_feedback(st: WebState, n: float, det: str, back: str) -> Iterator[list[Any]]:
                yield from stream(
                    card_feedback(
                        service,
                        st,
                        index,
                        kind,
                        opts_of(n, det, back),
                        stream_delay=stream_delay,
                        limiter=limiter,
                    ),
                    det,
                )

            return on_feedback

        for i, kind, button in card_buttons:
            button.click(
                make_feedback(i, kind),
                [state, n_items, detail, backend],
                view_outputs,
                api_visibility="private",
                concurrency_id="turn",
            )

        def make_remove(index: int) -> Callable[..., list[Any]]:
            def on_remove(st: WebState, det: str) -> list[Any]:
                return full_view(remove_chip(service, st, index), det)

            return on_remove

        for j, chip in enumerate(chips):
            chip.click(make_remove(j), [state, detail], view_outputs, api_visibility="private")

        def on_new(st: WebState, name: str, det: str) -> list[Any]:
            return full_view(new_conversation(st, name), det)

        new_btn.click(on_new, [state, user_box, detail], view_outputs, api_visibility="private")

        def on_user(st: WebState, name: str, det: str) -> list[Any]:
            if clean_user(name) == st.user:
                return [gr.skip()] * len(view_outputs)
            return full_view(new_conversation(st, name), det)

        user_box.submit(on_user, [state, user_box, detail], view_outputs, api_visibility="private")
        user_box.blur(on_user, [state, user_box, detail], view_outputs, api_visibility="private")
        detail.change(
            lambda st, det: cards_view(st, det),
            [state, detail],
            [rec_heading, *card_cols, *card_bodies],
            api_visibility="private",
        )

        def ask(message: str, user: str = "api", session: str = "", n_items: int = 0) -> dict[str, Any]:
            """One turn of a persisted conversation: returns {"reply", "items", "session", "state", "error"}.
            Reuse the returned session id to continue the conversation. Over the user's rate limit, error is
            "rate_limited" and nothing was run."""
            return api_ask(service, message, user, session, n_items, limiter=limiter)

        gr.api(ask, api_name="ask")
    setattr(app, _LIMITER_ATTR, limiter)  # noqa: B010 - an attribute of our own on gradio's Blocks
    return app


_LIMITER_ATTR = "crsagent_rate_limiter"


def rate_limiter_of(app: Any) -> RateLimiter | None:
    """The rate limiter of an app made by :func:`build_app`."""
    limiter = getattr(app, _LIMITER_ATTR, None)
    return limiter if isinstance(limiter, RateLimiter) else None


def auth_of(settings: Settings) -> tuple[str, str] | None:
    """The Gradio login from ``CRSAGENT_UI_USER`` / ``CRSAGENT_UI_PASSWORD`` (None when either is unset)."""
    user, password = settings.ui_user, settings.ui_password
    secret = password.get_secret_value() if password is not None else ""
    if user and secret:
        return (user, secret)
    return None


def check_exposure(settings: Settings, host: str) -> tuple[str, str] | None:
    """The login of ``settings``; raises ValueError when ``host`` is not the loopback interface and there is
    no login (an exposed app must ask for one)."""
    auth = auth_of(settings)
    if host not in LOOPBACK_HOSTS and auth is None:
        raise ValueError(
            f"refusing to serve on {host} without a login: set CRSAGENT_UI_USER and CRSAGENT_UI_PASSWORD, "
            "or keep the default --host 127.0.0.1"
        )
    return auth


def serve(
    app: gr.Blocks,
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    block: bool = True,
    quiet: bool = False,
) -> Any:
    """Launch the app with the theme, CSS, the login (when configured) and the per-user rate limit of
    ``settings`` (``ui_rate_limit`` turns per minute). ``block=False`` returns at once.

    Raises ValueError for any ``host`` other than the loopback interface when no login is configured."""
    auth = check_exposure(settings, host)
    limiter = rate_limiter_of(app)
    if limiter is not None:
        limiter.configure(settings.ui_rate_limit)
    app.queue(default_concurrency_limit=4)
    return app.launch(
        server_name=host,
        server_port=port,
        auth=auth,
        auth_message="crsagent: please log in" if auth else None,
        prevent_thread_lock=not block,
        show_error=False,
        quiet=quiet,
        theme=_theme(),
        css=CSS,
        footer_links=["api"],
        inbrowser=False,
        share=False,
    )
