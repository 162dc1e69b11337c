"""The stateless turn runner: one agent turn on an explicit state, the pipeline every surface shares.

Evaluation, simulation and the benchmarks call :class:`TurnRunner` directly (no persistence, no memory);
the service facade (``ui/service.py``) adds persisted conversations and long-term memory around the same graph.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from agent.context import AgentContext, load_fusion_weights
from agent.graph import build_graph
from agent.llm import LLMClient
from agent.respond import shown_payload
from agent.state import AgentState, Preferences, ShownItem
from tools.settings import Settings
from tools.toolkit import Toolkit


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
            "reply": self.reply,
            "items": self.items,
            "state": self.state,
            "trace": self.trace,
            "llm_calls": self.llm_calls,
            "fallbacks": self.fallbacks,
            "latency_ms": round(self.latency_ms, 2),
        }


def storable(text: str) -> str:
    """``text`` without what a database cannot store: NUL characters (PostgreSQL text refuses them) and lone
    surrogates (not encodable as UTF-8; each becomes "?")."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def turn_input(
    message: str, role: str = "user", universe: list[int] | None = None, want_ranking: bool = False
) -> dict[str, Any]:
    """The state keys one turn starts with (the trace starts afresh; see :func:`agent.state.add_trace`)."""
    return {
        "message": storable(message),
        "role": role,
        "trace": None,
        "llm_calls": 0,
        "fallbacks": 0,
        "replans": 0,
        "needs_replan": False,
        "error": None,
        "plan": [],
        "ranking": [],
        "answer_items": [],
        "notes": [],
        "universe": universe,
        "want_ranking": want_ranking,
    }


def state_summary(state: AgentState, catalog: Any) -> dict[str, Any]:
    """What the agent understood, with titles, for the UI and ``ask --json``."""
    prefs = Preferences.model_validate(state.get("prefs") or {})

    def names(ids: list[int]) -> list[dict[str, Any]]:
        return [{"id": i, "title": catalog.items[i].display} for i in ids if i in catalog.items]

    return {
        "liked": names(prefs.liked),
        "disliked": names(prefs.disliked),
        "seen": names(prefs.seen),
        "constraints": prefs.constraints.model_dump(exclude={"exclude_ids"}),
        "soft": prefs.soft,
        "qualifiers_boost": prefs.qualifiers_boost,
        "qualifiers_penalty": prefs.qualifiers_penalty,
        "avoid_popular": prefs.avoid_popular,
        "language": prefs.language,
        "commands": prefs.commands,
        "turns": state.get("turns", 0),
    }


def build_context(settings: Settings, toolkit: Toolkit, weights: str = "default") -> AgentContext:
    """The agent context for ``settings``: the LLM client when one is configured, the ``weights`` profile of
    ``data/fusion_weights.json`` (``default``, ``redial``, ``inspired``: evaluation uses the dataset's)."""
    llm = LLMClient.from_settings(settings) if settings.llm == "openai" else None
    return AgentContext(
        toolkit=toolkit, llm=llm, n_items=settings.n_items, weights=load_fusion_weights(settings, weights)
    )


def turn_result(state: AgentState, catalog: Any, t0: float) -> TurnResult:
    """The :class:`TurnResult` of a finished turn's state (``t0``: when the turn started)."""
    shown = [ShownItem.model_validate(s) for s in state.get("shown", [])]
    return TurnResult(
        reply=state.get("reply", ""),
        items=shown_payload(shown),  # a question about a shown item keeps the list
        state=state_summary(state, catalog),
        trace=state.get("trace", []),
        llm_calls=state.get("llm_calls", 0),
        fallbacks=state.get("fallbacks", 0),
        latency_ms=(time.perf_counter() - t0) * 1000,
        ranking=[r["id"] for r in state.get("ranking", [])],
    )


class TurnRunner:
    """Agent turns on explicit states, without persistence (evaluation, simulation, benchmarks)."""

    def __init__(
        self, settings: Settings, *, toolkit: Toolkit | None = None, weights: str = "default"
    ) -> None:
        self.settings = settings
        self.toolkit = toolkit or Toolkit(settings)
        self.context = build_context(settings, self.toolkit, weights)
        self.graph = build_graph(None)

    def warm(self) -> None:
        """Load models and indexes now (the first turn is then as fast as the others)."""
        self.context.warm()

    def run_turn(
        self, state: AgentState | None, message: str, *, role: str = "user", universe: list[int] | None = None
    ) -> tuple[AgentState, TurnResult]:
        """One turn on ``state``; returns the new state and the turn's result. Every user turn leaves a full
        ranking (evaluation reads it); ``universe`` restricts it to a dataset's items."""
        t0 = time.perf_counter()
        if self.context.llm is not None:
            self.context.llm.reset_usage()
        new_state = self.graph.invoke(
            {**(state or {}), **turn_input(message, role, universe, want_ranking=True)}, context=self.context
        )
        return new_state, turn_result(new_state, self.toolkit.catalog, t0)
