"""The service facade: the one API the web UI, the CLI, evaluation and the simulator call.

A :class:`Service` owns the loaded tools, the agent graph and the session store (LangGraph's SQLite
checkpointer under ``CRSAGENT_HOME``, or PostgreSQL when ``DATABASE_URL`` is PostgreSQL; a conversation is keyed by (user, session) and survives restarts).
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agent.context import AgentContext, load_fusion_weights
from agent.graph import build_graph
from agent.state import AgentState, Preferences
from memory.sessions import open_checkpointer
from tools.settings import Settings
from tools.toolkit import Toolkit

if TYPE_CHECKING:
    from memory.store import MemoryStore

log = logging.getLogger(__name__)

FRIENDLY_ERROR = "Sorry, something went wrong on my side ({what}). Your conversation is kept; please try again."


@dataclass
class TurnResult:
    """One answered turn (the ``ask --json`` schema)."""

    reply: str
    items: list[dict[str, Any]] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    trace: list[dict[str, Any]] = field(default_factory=list)
    llm_calls: int = 0
    fallbacks: int = 0
    latency_ms: float = 0.0
    ranking: list[int] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON object printed by ``crsagent ask --json``."""
        return {
            "reply": self.reply, "items": self.items, "state": self.state, "trace": self.trace,
            "llm_calls": self.llm_calls, "fallbacks": self.fallbacks, "latency_ms": round(self.latency_ms, 2),
        }


def storable(text: str) -> str:
    """``text`` without what a database cannot store: NUL characters (PostgreSQL text refuses them) and lone
    surrogates (not encodable as UTF-8; each becomes "?")."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _turn_input(message: str, role: str = "user", universe: list[int] | None = None) -> dict[str, Any]:
    return {
        "message": storable(message), "role": role, "trace": [], "llm_calls": 0, "fallbacks": 0, "replans": 0,
        "needs_replan": False, "error": None, "plan": [], "ranking": [], "answer_items": [], "notes": [],
        "universe": universe,
    }


def state_summary(state: AgentState, catalog: Any) -> dict[str, Any]:
    """What the agent understood, with titles, for the UI and ``ask --json``."""
    prefs = Preferences.model_validate(state.get("prefs") or {})

    def names(ids: list[int]) -> list[dict[str, Any]]:
        return [{"id": i, "title": catalog.items[i].display} for i in ids if i in catalog.items]

    return {
        "liked": names(prefs.liked), "disliked": names(prefs.disliked), "seen": names(prefs.seen),
        "constraints": prefs.constraints.model_dump(exclude={"exclude_ids"}), "soft": prefs.soft,
        "commands": prefs.commands, "turns": state.get("turns", 0),
    }


class Service:
    """Conversations with the agent, persisted per (user, session)."""

    def __init__(
        self, settings: Settings, *, toolkit: Toolkit | None = None, persist: bool = True, weights: str = "default"
    ) -> None:
        """``weights`` names the fusion-weights profile of ``data/fusion_weights.json`` (``default``,
        ``redial``, ``inspired``: evaluation uses the dataset's profile)."""
        self.settings = settings
        self.toolkit = toolkit or Toolkit(settings)
        llm = None
        if settings.llm == "openai":
            from agent.llm import LLMClient

            llm = LLMClient.from_settings(settings)
        self.context = AgentContext(
            toolkit=self.toolkit, llm=llm, n_items=settings.n_items, weights=load_fusion_weights(settings, weights)
        )
        self.memory = self._open_memory() if persist else None
        self.context.memory = self.memory
        self._conn: Any = None  # what close() closes: the SQLite connection or the PostgreSQL pool
        checkpointer = None
        if persist:
            checkpointer, self._conn = open_checkpointer(settings)
        self.graph = build_graph(checkpointer)
        self.stateless_graph = build_graph(None) if persist else self.graph

    def _open_memory(self) -> MemoryStore:
        from memory.store import MemoryStore

        return MemoryStore(self.toolkit)

    def close(self) -> None:
        """Close the session store."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def warm(self) -> None:
        """Load models and indexes now."""
        self.context.warm()

    @staticmethod
    def _config(user: str, session: str) -> dict[str, Any]:
        return {"configurable": {"thread_id": f"{storable(user)}::{storable(session)}"}}

    def ask(self, message: str, *, user: str = "default", session: str = "default") -> TurnResult:
        """Answer one user message in a persisted conversation. Never raises for bad input or failures."""
        return self._ask(message, user, session, self.context)

    def _ask(self, message: str, user: str, session: str, ctx: AgentContext) -> TurnResult:
        t0 = time.perf_counter()
        if ctx.llm is not None:
            ctx.llm.reset_usage()
        message = message if isinstance(message, str) else str(message)
        user, session = storable(user), storable(session)  # the memory nodes write both to SQL
        try:
            turn = {**_turn_input(message), "user": user, "session": session}
            # durability="exit": a turn is saved once, when it is complete; a process killed mid-turn leaves the
            # conversation at its last complete turn, never half-way through the graph
            state = self.graph.invoke(turn, self._config(user, session), context=ctx, durability="exit")
        except Exception as exc:  # any component failure becomes a friendly reply; the session is kept
            log.exception("turn failed")
            return TurnResult(reply=FRIENDLY_ERROR.format(what=type(exc).__name__), error=type(exc).__name__,
                              latency_ms=(time.perf_counter() - t0) * 1000)
        return self._result(state, t0)

    def run_turn(
        self, state: AgentState | None, message: str, *, role: str = "user", universe: list[int] | None = None
    ) -> tuple[AgentState, TurnResult]:
        """One turn on an explicit state, without persistence (evaluation, simulation). Same pipeline."""
        t0 = time.perf_counter()
        if self.context.llm is not None:
            self.context.llm.reset_usage()
        new_state = self.stateless_graph.invoke({**(state or {}), **_turn_input(message, role, universe)}, context=self.context)
        return new_state, self._result(new_state, t0)

    def _result(self, state: AgentState, t0: float) -> TurnResult:
        from agent.respond import shown_payload
        from agent.state import ShownItem

        shown = [ShownItem.model_validate(s) for s in state.get("shown", [])]
        return TurnResult(
            reply=state.get("reply", ""),
            items=shown_payload(shown) if state.get("parsed", {}).get("intent") != "item_question" else [],
            state=state_summary(state, self.toolkit.catalog),
            trace=state.get("trace", []),
            llm_calls=state.get("llm_calls", 0),
            fallbacks=state.get("fallbacks", 0),
            latency_ms=(time.perf_counter() - t0) * 1000,
            ranking=[r["id"] for r in state.get("ranking", [])],
        )

    def get_state(self, *, user: str = "default", session: str = "default") -> AgentState:
        """The persisted state of a conversation (empty when new)."""
        snap = self.graph.get_state(self._config(user, session))
        return snap.values if snap else {}  # type: ignore[return-value]

    # ------------------------------------------------------------------ used by the web app (ui/web.py)
    def ask_with(
        self, message: str, *, user: str = "default", session: str = "default", n_items: int | None = None,
        offline: bool = False,
    ) -> TurnResult:
        """:meth:`ask` with per-turn options: ``n_items`` items shown (1-20) and ``offline`` (the offline
        engine even when an LLM is configured). The options apply to this turn only (a shallow variant of
        the agent context that shares the loaded models), so concurrent turns never see each other's options."""
        import copy

        ctx = self.context
        if (n_items is not None and n_items != ctx.n_items) or (offline and ctx.llm is not None):
            ctx = copy.copy(ctx)
            if n_items is not None:
                ctx.n_items = max(1, min(20, int(n_items)))
            if offline:
                ctx.llm = None
        return self._ask(message, user, session, ctx)

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
        self.graph.update_state(config, {"prefs": prefs.model_dump(), "needs_replan": False}, as_node="remember")
        self._forget_in_memory(user, remove)
        return state_summary(self.get_state(user=user, session=session), self.toolkit.catalog)

    def _forget_in_memory(self, user: str, keys: list[str] | tuple[str, ...]) -> None:
        """A preference removed by the user is also dropped from long-term memory, or it would come back."""
        if self.memory is None:
            return
        from memory.facts import normalize_key

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

