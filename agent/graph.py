"""The agent graph, one turn top to bottom:

    parse -> recall -> plan -> execute -> ground -> respond -> reflect -> remember

- parse:   the user's text + state -> a :class:`ParsedTurn` (LLM with the rule parser as fallback), and the
           preference state updated with it. Messages of the other side of a logged dialog are only observed.
- recall:  long-term memory (MR.Rec style): the user's remembered dislikes, seen items and relevant facts
           join the preferences, unless this conversation said otherwise.
- plan:    one JSON plan of tool calls (LLM, validated; else deterministic per intent).
- execute: the plan runs over the candidate bus (item ids only) and leaves a ranking.
- ground:  the first items of the ranking become the shown items, each a catalog item with its reason.
- respond: the reply (LLM or template) naming shown items only; every title is checked.
- reflect: a deterministic check that every shown item satisfies the constraints and is not excluded,
           and (optionally) an LLM critic that may trigger one re-plan.
- remember: the lasting facts and item feedback of this turn are written to the user's long-term memory; a
           remembered stance replaced by a newer opposite one is noted under the reply, once.

Recall and remember run for persisted conversations of a known user (``state["user"]``); evaluation and
simulation turns carry no user and skip them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from agent.context import AgentContext
from agent.feedback import exhausted_text, exhaustion, feedback_intro, keeps_others, top_up
from agent.llm import parse_json_lenient
from agent.parsers.llm import llm_parse
from agent.planner import deterministic_plan, llm_plan
from agent.preferences import apply_turn, observe_agent_mentions
from agent.prompts import CRITIC_SYSTEM, RESPOND_SYSTEM
from agent.reasons import knn_model, recalled_facts
from agent.respond import (
    CHITCHAT,
    VAGUE_QUESTIONS,
    answer_question,
    clarification,
    explain,
    reply_with_items,
    sanitize_reply,
    template_parts,
    template_reply,
    to_shown,
    unknown_title_note,
)
from agent.state import AgentState, ParsedTurn, Preferences, ShownItem
from agent.tools import LANGUAGE_COUNTRIES, TurnWork, centre_on, run_plan, validate_plan
from tools.hard_filter import unchecked_sentence
from tools.ranking import Scored

Node = Callable[[AgentState, Runtime[AgentContext]], dict[str, Any]]


def _timed(name: str, fn: Node) -> Any:
    """Record each node's duration in the trace."""

    def wrapper(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
        t0 = time.perf_counter()
        update = fn(state, runtime)
        timing = {"step": name, "tool": None, "ms": round((time.perf_counter() - t0) * 1000, 2)}
        update["trace"] = [*update.get("trace", []), timing]
        return update

    wrapper.__name__ = name
    return wrapper


def _prefs(state: AgentState) -> Preferences:
    return Preferences.model_validate(state.get("prefs") or {})


def _parsed(state: AgentState) -> ParsedTurn:
    return ParsedTurn.model_validate(state.get("parsed") or {})


def _llm_counts(ctx: AgentContext) -> dict[str, int]:
    return {"llm_calls": ctx.llm.usage.calls} if ctx.llm else {}


# ----------------------------------------------------------------------------- parse
def parse(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Read the message into a ParsedTurn and update the preferences."""
    ctx = runtime.context
    message = state.get("message", "")
    prefs = _prefs(state)
    history = [*state.get("history", []), {"role": state.get("role", "user"), "content": message}][-40:]
    trace: list[dict[str, Any]] = []
    fallbacks = state.get("fallbacks", 0)
    if state.get("role") == "assistant":
        ids = [m.match.item_id for m in ctx.grounder.find_titles(message)]
        parsed = ParsedTurn(intent="observe")
        return {
            "parsed": parsed.model_dump(),
            "prefs": observe_agent_mentions(prefs, ids).model_dump(),
            "history": history,
        }
    if len(message) > ctx.settings.max_message_chars:
        parsed = ParsedTurn(intent="chitchat")
        trace.append({"step": "parse", "tool": "input_check", "ms": 0.0, "error": "message too long"})
        return {"parsed": parsed.model_dump(), "history": history[:-1], "error": "too_long", "trace": trace}
    shown_ids = [s["id"] for s in state.get("shown", [])]
    parsed = ctx.parser.parse(message, shown_ids)
    if ctx.llm is not None and message.strip():
        from_llm = llm_parse(ctx.llm, ctx.grounder, message, parsed, shown=shown_ids)
        if from_llm is None:
            fallbacks += 1
            trace.append(
                {
                    "step": "parse",
                    "tool": "llm",
                    "ms": 0.0,
                    "fallback": "rules",
                    "error": (ctx.llm.usage.errors or ["?"])[-1],
                }
            )
        else:
            parsed = from_llm
    anchor = state.get("anchor")
    if anchor is not None and anchor in ctx.toolkit.catalog:  # "more like this" on a card (the UI says which)
        intent = parsed.intent if parsed.intent in ("recommend", "more") else "more"
        parsed = parsed.model_copy(update={"anchor_item": anchor, "intent": intent})
    new_prefs = apply_turn(prefs, parsed, shown_ids)
    update: dict[str, Any] = {
        "parsed": parsed.model_dump(),
        "prefs": new_prefs.model_dump(),
        "history": history,
        "trace": trace,
        "fallbacks": fallbacks,
        "prev_shown": shown_ids,
        **_llm_counts(ctx),
    }
    if parsed.intent == "reset":
        update.update({"shown": [], "shown_ever": []})
    return update


def route_after_parse(state: AgentState) -> str:
    """Observed messages end the turn; everything else recalls memory and is planned."""
    return END if state.get("parsed", {}).get("intent") == "observe" else "recall"


# ----------------------------------------------------------------------------- recall
def recall(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Merge the user's long-term memory into the preferences, which already hold this turn's request: what the
    conversation asks outweighs what is remembered (a remembered dislike is lifted by asking for it; a remembered
    like the request contradicts is left out; see :func:`memory.hooks.recall_for_turn`)."""
    ctx = runtime.context
    user = state.get("user")
    if ctx.memory is None or not user or state.get("parsed", {}).get("intent") == "reset":
        return {}
    prefs, facts = ctx.memory.recall(user, state.get("message", ""), _prefs(state))
    trace = [
        {
            "step": "recall",
            "tool": "memory",
            "ms": 0.0,
            "facts": facts,
            "tokens": sum(int(f.get("tokens", 0)) for f in facts),
        }
    ]
    return {"prefs": prefs.model_dump(), "trace": trace}


# ----------------------------------------------------------------------------- plan
def plan(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """One plan for the turn: the LLM's if valid, else the deterministic one."""
    ctx = runtime.context
    parsed = _parsed(state)
    prefs = _prefs(state)
    steps = deterministic_plan(parsed, prefs, ctx.ranking_size, ctx.n_items)
    trace: list[dict[str, Any]] = []
    fallbacks = state.get("fallbacks", 0)
    parse_fell_back = any(t.get("step") == "parse" and t.get("fallback") for t in state.get("trace", []))
    if (
        ctx.llm is not None
        and steps
        and parsed.intent in ("recommend", "more", "feedback")
        and parse_fell_back
    ):
        # an LLM that could not parse this turn is not asked for its plan (one call saved per failing turn)
        fallbacks += 1
        trace.append(
            {
                "step": "plan",
                "tool": "llm",
                "ms": 0.0,
                "fallback": "deterministic",
                "error": "skipped: the parse fell back",
            }
        )
    elif ctx.llm is not None and steps and parsed.intent in ("recommend", "more", "feedback"):
        plan_, error = llm_plan(ctx.llm, parsed, prefs, state.get("message", ""))
        if plan_ is None:
            fallbacks += 1
            trace.append(
                {"step": "plan", "tool": "llm", "ms": 0.0, "fallback": "deterministic", "error": error}
            )
        else:
            steps = plan_
    return {"plan": steps, "trace": trace, "fallbacks": fallbacks, **_llm_counts(ctx)}


# ----------------------------------------------------------------------------- execute
def execute(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Run the plan over the candidate bus; leaves the ranking (ids and scores)."""
    ctx = runtime.context
    prefs = _prefs(state)
    parsed = _parsed(state)
    work = TurnWork(prefs=prefs, query_text=" ".join(prefs.soft[-2:] + prefs.constraints.genres_include))
    work.query_vec = query_vector(ctx, work.query_text, prefs)
    catalog = ctx.toolkit.catalog
    work.exclude = catalog.with_twins(
        [*prefs.liked, *prefs.disliked, *prefs.seen, *state.get("shown_ever", [])]
    )
    work.asked = [m.item_id for m in parsed.mentions if m.sentiment == "neutral"]
    work.want_features = bool(state.get("want_features"))
    universe = state.get("universe")
    work.bus.universe = frozenset(universe) if universe else None
    steps = list(state.get("plan") or [])
    shows_items = parsed.intent in ("recommend", "more", "feedback")
    if (shows_items or state.get("want_ranking")) and not any(s.get("tool") == "rank" for s in steps):
        # a turn that shows items, or whose caller wants a ranking (evaluation), leaves a full ranking;
        # other turns (chit-chat, a question about a shown item) skip retrieval
        as_request = parsed.model_copy(update={"intent": "recommend"})
        steps += deterministic_plan(as_request, prefs, ctx.ranking_size, ctx.n_items)
    if parsed.anchor_item is not None and shows_items:
        steps = centre_on(ctx, work, parsed.anchor_item, steps)
    trace = run_plan(ctx, work, validate_plan(steps)) if steps else []
    ranking = [
        {"id": s.item_id, "score": round(s.score, 5), "parts": {k: round(v, 4) for k, v in s.parts.items()}}
        for s in work.ranking
    ]
    return {
        "ranking": ranking,
        "answer_items": [work.answer] if work.answer else [],
        "trace": trace,
        "notes": work.notes,
        **({"features": work.features} if work.want_features else {}),
    }


def query_vector(ctx: AgentContext, text: str, prefs: Preferences) -> np.ndarray | None:
    """The semantic query: the soft preferences' embedding plus the centroid of the liked items' vectors."""
    vectors = ctx.toolkit.vectors
    liked = [v for v in (vectors.vector(i) for i in prefs.liked[-5:]) if v is not None]
    parts: list[np.ndarray] = []
    if text.strip():
        parts.append(ctx.toolkit.embedder.query(text))
    if liked:
        parts.append(ctx.weights.liked_in_query * np.mean(liked, axis=0))
    if not parts:
        return None
    vec = np.sum(parts, axis=0)
    norm = float(np.linalg.norm(vec))
    return vec / norm if norm > 0 else None


# ----------------------------------------------------------------------------- ground
def ground(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Turn the head of the ranking into shown catalog items with reasons; unknown ids are dropped."""
    ctx = runtime.context
    catalog = ctx.toolkit.catalog
    prefs = _prefs(state)
    parsed = _parsed(state)
    if parsed.intent not in ("recommend", "more", "feedback"):
        return {"shown": state.get("shown", []) if parsed.intent == "item_question" else []}
    shown: list[dict[str, Any]] = []
    taken: set[int] = set()
    previous = state.get("shown", [])
    removed = keeps_others(parsed, state.get("prev_shown", []))
    if removed and [s["id"] for s in previous] != state.get("prev_shown", []):
        removed = []  # a re-plan: this turn's list is already made
    if removed:  # feedback on some items only: the others stay where they are, new items fill the gaps
        taken = catalog.with_twins(s["id"] for s in previous)
    knn = knn_model(ctx.recommenders)
    facts = recalled_facts(state.get("trace", []))
    for rec in state.get("ranking", []):
        item = catalog.get(rec["id"])
        if item is None or item.id in taken:
            continue
        taken |= catalog.with_twins([item.id])
        scored = Scored(rec["id"], rec["score"], rec.get("parts", {}))
        why, reasons = explain(
            item,
            scored,
            prefs,
            catalog,
            ctx.toolkit.vectors,
            ctx.grounder,
            knn=knn,
            spans=parsed.spans,
            memory_facts=facts,
        )
        shown.append(to_shown(item, scored, why, reasons).model_dump())
        if len(shown) >= ctx.n_items:
            break
    if removed:
        shown = top_up(previous, removed, shown)
    return {"shown": shown, "caveats": caveats(ctx, prefs, [s["id"] for s in shown])}


def caveats(ctx: AgentContext, prefs: Preferences, shown_ids: list[int]) -> list[str]:
    """What the catalog could not check for the shown items, in one short sentence each: a recognised wish is
    never dropped silently."""
    if not shown_ids:
        return []
    soft = [*prefs.qualifiers_boost, *prefs.qualifiers_penalty]
    found = ctx.hard_filter.unchecked(prefs.constraints, shown_ids, soft_qualifiers=soft)
    out = [unchecked_sentence(found)] if found else []
    if prefs.language:  # (country names would read as titles to the reply check: "Australia")
        out.append(
            "I can't check a film's spoken language, so I favoured films made where it is spoken."
            if prefs.language in LANGUAGE_COUNTRIES
            else "I can't check a film's spoken language."
        )
    return out


# ----------------------------------------------------------------------------- respond
def respond(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Write the reply from the shown items (LLM intro or template); remove any title not allowed."""
    ctx = runtime.context
    prefs = _prefs(state)
    parsed = _parsed(state)
    turn = state.get("turns", 0)
    shown = [ShownItem.model_validate(s) for s in state.get("shown", [])]
    trace: list[dict[str, Any]] = []
    fallbacks = state.get("fallbacks", 0)
    if state.get("error") == "too_long":
        reply = (
            f"That message is too long ({len(state.get('message', ''))} characters; the limit is "
            f"{ctx.settings.max_message_chars}). Could you shorten it?"
        )
        return {"reply": reply, "shown": state.get("shown", []), "turns": turn + 1}
    tail = fallback_intro = ""
    with_items = False
    if parsed.intent == "reset":
        reply = "Okay, let's start fresh. What do you feel like watching?"
    elif parsed.intent == "chitchat":
        reply = CHITCHAT[turn % len(CHITCHAT)]
    elif parsed.intent == "item_question" and state.get("answer_items"):
        item = ctx.toolkit.catalog.get(state["answer_items"][0]["item_id"])
        answer = state["answer_items"][0]
        reply = (
            answer_question(item, answer["aspect"], answer.get("qualifier"))
            if item
            else "I couldn't find that movie."
        )
    elif not shown and prefs.is_vague():
        reply = VAGUE_QUESTIONS[turn % len(VAGUE_QUESTIONS)]
    elif (special := _feedback_or_exhausted(ctx, state, prefs, shown)) is not None:
        reply = special
    else:
        reply, tail = template_parts(shown, prefs, turn, state.get("notes", []))
        fallback_intro, with_items = reply, bool(shown)
        if ctx.llm is not None and shown:
            intro = _llm_intro(ctx, state, shown)
            if intro is None:
                fallbacks += 1
                trace.append({"step": "respond", "tool": "llm", "ms": 0.0, "fallback": "template"})
            else:
                reply = intro
    extra: list[str] = []
    if shown and state.get("caveats") and parsed.intent in ("recommend", "more", "feedback"):
        extra.append(" ".join(state["caveats"]))  # what the catalog could not check, said once
    clarify = clarification(parsed, ctx.toolkit.catalog)
    if clarify:
        extra.append(clarify)
    unknown = unknown_title_note(ctx.grounder, state.get("message") or "", parsed.mentions)
    if unknown:  # a quoted title the catalog lacks: said, never repeated (a reply names catalog items only)
        extra.append(unknown)
    if with_items:
        tail = "\n".join(t for t in (tail, *extra) if t)
    elif extra:
        reply = "\n".join([reply, *extra])
    allowed = [s.id for s in shown] + prefs.liked + prefs.disliked + prefs.seen
    allowed += [a["item_id"] for a in state.get("answer_items", [])]
    allowed += [a for m in parsed.mentions for a in (m.item_id, *m.alternatives)]
    if with_items:
        # every shown item keeps its numbered line, in order; the words around them are checked
        clean, removed = reply_with_items(reply, shown, tail, allowed, ctx.grounder, fallback_intro)
    else:
        clean, removed = sanitize_reply(reply, allowed, ctx.grounder)
    if removed:
        trace.append({"step": "respond", "tool": "grounding_check", "ms": 0.0, "removed": len(removed)})
    if not clean.strip():
        clean = template_reply(shown, prefs, turn) if shown else VAGUE_QUESTIONS[0]
    history = [*state.get("history", []), {"role": "assistant", "content": clean}][-40:]
    shown_ever = list(dict.fromkeys([*state.get("shown_ever", []), *(s.id for s in shown)]))
    return {
        "reply": clean,
        "history": history,
        "shown_ever": shown_ever,
        "turns": turn + 1,
        "trace": trace,
        "fallbacks": fallbacks,
        **_llm_counts(ctx),
    }


def _feedback_or_exhausted(
    ctx: AgentContext, state: AgentState, prefs: Preferences, shown: list[ShownItem]
) -> str | None:
    """The reply of a turn that kept the other items after feedback on some ("Okay, not X. I kept the
    others…"), or of a turn whose constraints have nothing new left ("That's every movie I have for …: 6
    shown", with an offer to relax one constraint); None for an ordinary turn (the template reply)."""
    parsed = _parsed(state)
    removed = keeps_others(parsed, state.get("prev_shown", []))
    ex = None
    if len(shown) < ctx.n_items and not state.get("universe"):
        catalog = ctx.toolkit.catalog
        used = [*state.get("shown_ever", []), *(s.id for s in shown)]
        ex = exhaustion(ctx.hard_filter, prefs, used, catalog.with_twins)
    if not removed and ex is None:
        return None
    lines = template_reply(shown, prefs, state.get("turns", 0)).splitlines()[1:] if shown else []
    head: list[str] = []
    if removed:
        titles = [ctx.toolkit.catalog.items[i].display for i in removed if i in ctx.toolkit.catalog.items]
        n_new = len([s for s in shown if s.id not in state.get("prev_shown", [])])
        head.append(feedback_intro(titles, n_new) if shown else feedback_intro(titles, 0).split(".")[0] + ".")
    tail = [exhausted_text(ex)] if ex is not None else []
    if not head and shown:
        head.append(template_reply(shown, prefs, state.get("turns", 0)).splitlines()[0])
    return "\n".join([*head, *lines, *tail])


def _llm_intro(ctx: AgentContext, state: AgentState, shown: list[ShownItem]) -> str | None:
    assert ctx.llm is not None
    listing = "\n".join(f"#{n}: {s.why}" for n, s in enumerate(shown, 1))
    text = ctx.llm.chat(
        [
            {"role": "system", "content": RESPOND_SYSTEM},
            {
                "role": "user",
                "content": f"<user>{state.get('message', '')[:1000]}</user>\nMovies:\n{listing}",
            },
        ],
        max_tokens=160,
    )
    if text is None or len(text) > 1200:
        return None
    return " ".join(text.split())


# ----------------------------------------------------------------------------- reflect
def reflect(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Always: every shown item is a catalog item that satisfies the constraints and is not excluded.
    Optionally: an LLM critic that may ask for one re-plan."""
    ctx = runtime.context
    prefs = _prefs(state)
    shown = state.get("shown", [])
    parsed_intent = state.get("parsed", {}).get("intent")
    if parsed_intent not in ("recommend", "more", "feedback") or not shown:
        return {"needs_replan": False}
    result = ctx.hard_filter.apply(prefs.constraints)
    excluded = set(prefs.disliked) | set(prefs.seen) | set(prefs.liked)
    bad = [
        s["id"]
        for s in shown
        if s["id"] not in ctx.toolkit.catalog or not result.permits(s["id"]) or s["id"] in excluded
    ]
    trace = [{"step": "reflect", "tool": "constraint_check", "ms": 0.0, "violations": len(bad)}]
    update: dict[str, Any] = {}
    if bad:  # never expected: the executor filters; kept as the last line of defence
        kept = [s for s in shown if s["id"] not in bad]
        update["shown"] = kept
        update["reply"] = template_reply(
            [ShownItem.model_validate(s) for s in kept], prefs, state.get("turns", 0)
        )
    replan = False
    if ctx.critic and ctx.llm is not None and state.get("replans", 0) == 0:
        verdict = ctx.llm.chat(
            [
                {"role": "system", "content": CRITIC_SYSTEM},
                {
                    "role": "user",
                    "content": f"<user>{state.get('message', '')[:800]}</user>\n{state.get('reply', '')[:1500]}",
                },
            ],
            max_tokens=80,
        )
        parsed = parse_json_lenient(verdict or "")
        replan = isinstance(parsed, dict) and parsed.get("ok") is False
    return {
        **update,
        "trace": trace,
        "replans": state.get("replans", 0) + int(replan),
        "needs_replan": replan,
        **_llm_counts(ctx),
    }


def route_after_reflect(state: AgentState) -> str:
    """One re-plan at most, when the critic asks for it."""
    return "plan" if state.get("needs_replan") else "remember"


# ----------------------------------------------------------------------------- remember
#: Added to a reply while long-term memory cannot reach its vector store (writes wait in the outbox).
MEMORY_QUEUED_NOTE = "(My memory search is offline for a moment: I saved what you told me and will index it as soon as it is back.)"


def remember(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Write this turn's lasting facts and item feedback to the user's long-term memory."""
    ctx = runtime.context
    user = state.get("user")
    if ctx.memory is None or not user or state.get("error"):
        return {}
    parsed = _parsed(state)
    session = state.get("session") or "default"
    written, notes = ctx.memory.remember(
        user, session, state.get("message", ""), parsed, state.get("prev_shown", [])
    )
    record: dict[str, Any] = {"step": "remember", "tool": "memory", "ms": 0.0, "written": written}
    reply = state.get("reply", "")
    out: dict[str, Any] = {}
    if notes:  # a remembered stance replaced by a newer one: said once, under the reply
        record["notes"] = notes
        reply = "\n\n".join([reply, *notes]).strip()
        out.update({"reply": reply, "notes": [*state.get("notes", []), *notes]})
    try:
        queued = ctx.memory.pending_sync(user)
    except Exception:  # the database itself is failing: remember_turn has logged it
        queued = 0
    if queued:  # the vector store is unreachable: the facts are safe in SQL and indexed when it is back
        record["queued"] = queued
        out["reply"] = f"{reply}\n\n{MEMORY_QUEUED_NOTE}".strip()
    return {**out, "trace": [record]}


# ----------------------------------------------------------------------------- the graph
def build_graph(checkpointer: Any | None = None) -> Any:
    """Compile the turn graph (with a checkpointer for persisted sessions, or without for evaluation)."""
    g = StateGraph(AgentState, context_schema=AgentContext)
    g.add_node("parse", _timed("parse", parse))
    g.add_node("recall", _timed("recall", recall))
    g.add_node("plan", _timed("plan", plan))
    g.add_node("execute", _timed("execute", execute))
    g.add_node("ground", _timed("ground", ground))
    g.add_node("respond", _timed("respond", respond))
    g.add_node("reflect", _timed("reflect", reflect))
    g.add_node("remember", _timed("remember", remember))
    g.add_edge(START, "parse")
    g.add_conditional_edges("parse", route_after_parse, ["recall", END])
    g.add_edge("recall", "plan")
    g.add_edge("plan", "execute")
    g.add_edge("execute", "ground")
    g.add_edge("ground", "respond")
    g.add_edge("respond", "reflect")
    g.add_conditional_edges("reflect", route_after_reflect, ["plan", "remember"])
    g.add_edge("remember", END)
    return g.compile(checkpointer=checkpointer)
