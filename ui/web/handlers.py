"""The web app's event handlers as plain functions of (service, state, input) -> new state / JSON, unit-tested
without a browser: a chat turn (streamed), a card button, removing a chip, and the ``/ask`` API endpoint.
They never raise: a refused or failed turn ends with a friendly chat message (never a traceback)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from ui.service import Service
from ui.web.ratelimit import RATE_LIMIT_MARK, RateLimiter, rate_limit_message
from ui.web.render import (
    chips_for,
    memory_facts,
    other_understood,
    reply_markdown,
    said_keys,
    span_words,
    trace_markdown,
)
from ui.web.state import (
    Feedback,
    Message,
    Options,
    WebState,
    clean_user,
    new_session_id,
    new_visitor_id,
)

log = logging.getLogger(__name__)

TOOLS_TITLE = "🔧 plan / tools"
FRIENDLY_ERROR = "Sorry, something went wrong on my side. Your conversation is kept; please try again."
_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}


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
    anchor: int | None = None,
) -> Iterator[WebState]:
    """Send one message and stream the answer: yields the state after the user's message (with a pending
    tool-steps message), then as the reply text grows, and finally with the new cards and understanding.
    A state without a user gets a fresh anonymous visitor id (never a shared name). ``anchor``: the item
    the turn centres on ("more like this").

    ``show`` is what the chat shows as the user's message (defaults to ``message``). ``limiter`` (with
    ``rate_key``, default the user) refuses a turn over the user's rate limit with a friendly note: the turn
    is not run and the conversation is unchanged. Never raises: a refused or failed turn ends with a
    friendly assistant message."""
    opts = opts or Options()
    visitor = st.visitor or (new_visitor_id() if not st.user else "")
    st = replace(
        st,
        user=st.user or visitor,
        visitor=visitor,
        session=st.session or new_session_id(),
        history=list(st.history),
    )
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
            message,
            user=st.user,
            session=st.session,
            n_items=opts.n_items,
            offline=opts.offline,
            anchor_item=anchor,
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
    _understand(service, st, result.state)
    st.memory = memory_facts(result.trace, getattr(result, "memory", None))
    yield _snap(st)


def _understand(service: Service, st: WebState, summary: dict[str, Any]) -> None:
    """The side panel after a turn: the chips in plain words with the user's words they came from (the
    parsed turn's spans), and which of them long-term memory brought ("from earlier": new this turn and
    not said in it)."""
    try:
        saved = service.get_state(user=st.user, session=st.session)
    except Exception:  # the panel is a view: it never fails a turn
        log.exception("reading the parsed turn failed")
        saved = {}
    parsed = saved.get("parsed") or {}
    prev = list(saved.get("prev_shown") or [])
    before = {k for k, _ in st.chips}
    plain = chips_for(summary)
    after = {k for k, _ in plain}
    said = said_keys(parsed, prev)
    earlier = (set(st.earlier) - said) | (after - before - said)
    st.words = {k: w for k, w in {**st.words, **span_words(parsed, prev)}.items() if k in after}
    st.earlier = sorted(earlier & after)
    st.understood = summary
    st.chips = chips_for(summary, st.words, st.earlier)
    st.also = other_understood(parsed)


def _snap(st: WebState) -> WebState:
    """A copy of the state as it is now (the generator goes on changing its own)."""
    return replace(
        st,
        history=list(st.history),
        items=list(st.items),
        chips=list(st.chips),
        words=dict(st.words),
        earlier=list(st.earlier),
    )


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
    same rate limit as typed messages). 👎 and "seen it" take that item off and keep the others; "more like
    this" centres the turn on the item (the service's ``anchor_item``)."""
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
        service,
        st,
        message,
        opts,
        stream_delay=stream_delay,
        show=show,
        limiter=limiter,
        rate_key=rate_key,
        anchor=item["id"] if kind == "more" else None,
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
        chips=chips_for(summary, st.words, st.earlier),
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
