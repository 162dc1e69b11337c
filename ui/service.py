"""The service facade: the one API the web UI, the CLI, evaluation and the simulator call.

A :class:`Service` owns the loaded tools, the agent graph and the session store (LangGraph's SQLite
checkpointer under ``CRSAGENT_HOME``, or PostgreSQL when ``DATABASE_URL`` is PostgreSQL; a conversation is keyed by (user, session) and survives restarts).
"""

from __future__ import annotations

import contextlib
import copy
import logging
import time
from typing import Any

from agent.context import AgentContext
from agent.graph import build_graph
from agent.runner import TurnResult, TurnRunner, state_summary, storable, turn_input, turn_result
from agent.state import AgentState, Preferences
from memory.facts import normalize_key
from memory.hooks import MemoryHooks
from memory.sessions import open_checkpointer
from memory.store import MemoryStore
from tools.settings import Settings
from tools.toolkit import Toolkit

__all__ = ["FRIENDLY_ERROR", "Service", "TurnResult", "explain_audit", "state_summary", "storable"]

log = logging.getLogger(__name__)

FRIENDLY_ERROR = (
    "Sorry, something went wrong on my side ({what}). Your conversation is kept; please try again."
)


class Service:
    """Conversations with the agent, persisted per (user, session)."""

    def __init__(
        self,
        settings: Settings,
        *,
        toolkit: Toolkit | None = None,
        persist: bool = True,
        weights: str = "default",
    ) -> None:
        """``weights`` names the fusion-weights profile of ``data/fusion_weights.json`` (``default``,
        ``redial``, ``inspired``: evaluation uses the dataset's profile)."""
        self.settings = settings
        self.runner = TurnRunner(settings, toolkit=toolkit, weights=weights)
        self.toolkit = self.runner.toolkit
        self.context = self.runner.context
        self.memory = MemoryStore(self.toolkit) if persist else None
        self.context.memory = MemoryHooks(self.memory) if self.memory is not None else None
        self._conn: Any = None  # what close() closes: the SQLite connection or the PostgreSQL pool
        checkpointer = None
        if persist:
            checkpointer, self._conn = open_checkpointer(settings)
        self.graph = build_graph(checkpointer) if persist else self.runner.graph

    def close(self) -> None:
        """Close the session store."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def warm(self) -> None:
        """Load models and indexes now."""
        self.runner.warm()

    @staticmethod
    def _config(user: str, session: str) -> dict[str, Any]:
        return {"configurable": {"thread_id": f"{storable(user)}::{storable(session)}"}}

    def ask(self, message: str, *, user: str = "default", session: str = "default") -> TurnResult:
        """Answer one user message in a persisted conversation. Never raises for bad input or failures."""
        return self._ask(message, user, session, self.context)

    def _ask(
        self, message: str, user: str, session: str, ctx: AgentContext, anchor: int | None = None
    ) -> TurnResult:
        t0 = time.perf_counter()
        if ctx.llm is not None:
            ctx.llm.reset_usage()
        message = message if isinstance(message, str) else str(message)
        user, session = storable(user), storable(session)  # the memory nodes write both to SQL
        try:
            # the anchor is a turn input: always sent, so that an earlier turn's anchor never carries over
            turn = {**turn_input(message), "user": user, "session": session, "anchor": anchor}
            # durability="exit": a turn is saved once, when it is complete; a process killed mid-turn leaves the
            # conversation at its last complete turn, never half-way through the graph
            state = self.graph.invoke(turn, self._config(user, session), context=ctx, durability="exit")
        except Exception as exc:  # any component failure becomes a friendly reply; the session is kept
            log.exception("turn failed")
            return TurnResult(
                reply=FRIENDLY_ERROR.format(what=type(exc).__name__),
                error=type(exc).__name__,
                latency_ms=(time.perf_counter() - t0) * 1000,
            )
        return turn_result(state, self.toolkit.catalog, t0)

    def run_turn(
        self, state: AgentState | None, message: str, *, role: str = "user", universe: list[int] | None = None
    ) -> tuple[AgentState, TurnResult]:
        """One turn on an explicit state, without persistence (see :meth:`agent.runner.TurnRunner.run_turn`)."""
        return self.runner.run_turn(state, message, role=role, universe=universe)

    def get_state(self, *, user: str = "default", session: str = "default") -> AgentState:
        """The persisted state of a conversation (empty when new)."""
        snap = self.graph.get_state(self._config(user, session))
        return snap.values if snap else {}  # type: ignore[return-value]

    # ------------------------------------------------------------------ used by the web app (ui/web/)
    def ask_with(
        self,
        message: str,
        *,
        user: str = "default",
        session: str = "default",
        n_items: int | None = None,
        offline: bool = False,
        anchor_item: int | None = None,
    ) -> TurnResult:
        """:meth:`ask` with per-turn options: ``n_items`` items shown (1-20), ``offline`` (the offline
        engine even when an LLM is configured) and ``anchor_item`` (the item the turn centres on: "more like
        this" on a card; sets ``ParsedTurn.anchor_item``). The options apply to this turn only (a shallow
        variant of the agent context that shares the loaded models), so concurrent turns never see each
        other's options."""
        ctx = self.context
        if (n_items is not None and n_items != ctx.n_items) or (offline and ctx.llm is not None):
            ctx = copy.copy(ctx)
            if n_items is not None:
                ctx.n_items = max(1, min(20, int(n_items)))
            if offline:
                ctx.llm = None
        return self._ask(message, user, session, ctx, anchor_item)

    def update_preferences(
        self, *, user: str = "default", session: str = "default", remove: list[str] | tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """Remove understood preferences from a conversation, one click in the web app's side panel.

        Each key of ``remove`` is one of ``liked:ID``, ``disliked:ID``, ``seen:ID``, ``genres_include:G``,
        ``genres_exclude:G``, ``people_include:P``, ``people_exclude:P``, ``years``, ``min_rating``,
        ``soft:TEXT``, ``command:TEXT``; unknown keys are ignored. Returns the new :func:`state_summary`.
        """
        user = storable(user)  # as :meth:`ask` stored it (memory rows are keyed by it)
        config = self._config(user, session)
        state = self.get_state(user=user, session=session)
        if not state:
            return state_summary({}, self.toolkit.catalog)
        prefs = Preferences.model_validate(state.get("prefs") or {})
        c = prefs.constraints.model_copy(deep=True)
        for key in remove:
            kind, _, value = key.partition(":")
            if kind in ("liked", "disliked", "seen"):
                ids: list[int] = getattr(prefs, kind)
                if value.lstrip("-").isdigit() and int(value) in ids:
                    ids.remove(int(value))
            elif kind in ("genres_include", "genres_exclude", "people_include", "people_exclude"):
                values: list[str] = getattr(c, kind)
                setattr(c, kind, [v for v in values if v != value])
            elif kind == "years":
                c.year_min = c.year_max = None
            elif kind == "min_rating":
                c.min_rating = None
            elif kind == "soft":
                prefs.soft = [s for s in prefs.soft if s != value]
            elif kind == "command":
                prefs.commands = [s for s in prefs.commands if s != value]
        prefs.constraints = c
        self.graph.update_state(
            config, {"prefs": prefs.model_dump(), "needs_replan": False}, as_node="remember"
        )
        self._forget_in_memory(user, remove)
        return state_summary(self.get_state(user=user, session=session), self.toolkit.catalog)

    def _forget_in_memory(self, user: str, keys: list[str] | tuple[str, ...]) -> None:
        """A preference removed by the user is also dropped from long-term memory, or it would come back."""
        if self.memory is None:
            return
        wanted: set[tuple[str, int]] = set()
        for key in keys:
            kind, _, value = key.partition(":")
            if kind in ("liked", "disliked", "seen") and value.lstrip("-").isdigit():
                with contextlib.suppress(ValueError):  # nothing remembered about that item
                    self.memory.forget(user, fact_id=f"item:{int(value)}")
            elif kind in ("genres_include", "genres_exclude"):
                wanted.add((normalize_key(f"genre:{value}"), 1 if kind == "genres_include" else -1))
            elif kind in ("people_include", "people_exclude"):
                wanted.add((normalize_key(f"person:{value}"), 1 if kind == "people_include" else -1))
        for fact in self.memory.list_facts(user) if wanted else []:
            if (fact.key, fact.polarity) in wanted:
                self.memory.forget(user, fact_id=fact.id)


def explain_audit(
    settings: Settings, redial_path: Any, n_turns: int, out: Any, conversations_path: Any
) -> dict[str, Any]:
    """The explanation audit (:mod:`eval.explain`): ``n_turns`` item-showing REDIAL turns from the file
    ``redial_path`` (skipped when None), then the scripted newcomer conversations of ``conversations_path``,
    each played by a new throwaway user whose long-term memory is deleted afterwards. Writes ``summary.json``
    and ``claims.jsonl`` under ``out``; returns the summary."""
    import uuid
    from pathlib import Path

    from eval.explain import (
        audit_conversations,
        audit_data,
        audit_redial,
        load_conversations,
        summarize,
        write_outputs,
    )

    svc = Service(settings)
    prefix = f"explain-audit-{uuid.uuid4().hex[:8]}-"
    conversations = load_conversations(Path(conversations_path))
    try:
        data = audit_data(svc.toolkit)
        checks = []
        if redial_path is not None:
            checks += audit_redial(
                lambda state, text, role: svc.run_turn(state, text, role=role)[0],
                data,
                Path(redial_path),
                n_turns,
            )

        def ask(message: str, user: str, session: str) -> AgentState:
            svc.ask(message, user=user, session=session)
            return svc.get_state(user=user, session=session)

        checks += audit_conversations(ask, data, conversations, prefix)
    finally:
        if svc.memory is not None:
            for conv in conversations:
                with contextlib.suppress(Exception):
                    svc.memory.forget(f"{prefix}{conv['id']}", all=True)
        svc.close()
    summary = summarize(checks)
    write_outputs(summary, checks, Path(out))
    return summary
