"""The runtime context of the agent graph: the loaded tools, the parser, the LLM client and settings.

Passed to every node through LangGraph's ``Runtime[AgentContext]``; built once per process.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from pydantic import ValidationError

from agent.llm import LLMClient
from agent.parsers.rules import RuleParser
from agent.parsers.tables import ParserTables
from agent.state import ParsedTurn, Preferences
from tools import catalog_cache
from tools.grounding import Grounder
from tools.hard_filter import HardFilter
from tools.learned_ranker import LearnedRanker
from tools.ranking import FusionWeights
from tools.recommenders import Recommender
from tools.settings import PACKAGED_DATA_DIR, Settings
from tools.toolkit import Toolkit

log = logging.getLogger(__name__)

#: File-name prefix of the parser tables' start-up copy (:mod:`tools.catalog_cache`).
PARSER_TABLES_PREFIX = "parser-tables-"

#: The tuned fusion weights per profile ("default", "redial", "inspired"); see eval/tune.py.
WEIGHTS_FILE = "fusion_weights.json"


def load_fusion_weights(settings: Settings | None = None, profile: str = "default") -> FusionWeights:
    """The fusion weights of ``profile`` from ``fusion_weights.json``.

    The file is read from ``settings.data_dir`` when it holds one, else from the packaged ``data/``. An
    unknown profile falls back to ``"default"``; a missing or unreadable file gives the built-in defaults.
    """
    candidates = [settings.data_dir / WEIGHTS_FILE] if settings is not None else []
    candidates.append(PACKAGED_DATA_DIR / WEIGHTS_FILE)
    path: Path | None = next((c for c in candidates if c.is_file()), None)
    if path is None:
        return FusionWeights()
    try:
        profiles = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(profiles, dict):
            raise ValueError("not a JSON object")
        chosen = profiles.get(profile)
        if chosen is None:
            if profile != "default":
                log.warning("no fusion-weights profile %r in %s; using 'default'", profile, path)
            chosen = profiles.get("default", {})
        return FusionWeights.model_validate({k: v for k, v in chosen.items() if not k.startswith("_")})
    except (OSError, ValueError, ValidationError, AttributeError) as exc:
        log.warning("cannot read fusion weights from %s (%s); using the built-in defaults", path, exc)
        return FusionWeights()


class Remembered(NamedTuple):
    """What long-term memory did with one turn: facts written, and notes for the reply (e.g. "Noted: you now
    like horror (before: no horror)." when a newer statement replaced a remembered one)."""

    written: int
    notes: list[str]


class TurnMemory(Protocol):
    """Long-term memory as the graph uses it (implemented by ``memory.hooks.MemoryHooks``, injected by the
    service): recall before planning, remember after answering. Neither raises for memory failures."""

    def recall(self, user: str, message: str, prefs: Preferences) -> tuple[Preferences, list[dict[str, Any]]]:
        """The preferences with the user's remembered tastes merged in, and the recalled facts for the trace."""
        ...

    def remember(
        self, user: str, session: str, message: str, parsed: ParsedTurn, prev_shown: list[int]
    ) -> Remembered:
        """Write the lasting facts and item feedback of this turn; the number of facts written and the notes
        the reply adds."""
        ...

    def pending_sync(self, user: str) -> int:
        """How many of the user's memory writes still wait for the vector store (0 when all are indexed)."""
        ...


@dataclass
class AgentContext:
    """What the nodes need besides the state."""

    toolkit: Toolkit
    llm: LLMClient | None = None
    weights: FusionWeights = field(default_factory=FusionWeights)
    n_items: int = 5
    ranking_size: int = 50
    critic: bool = False
    memory: TurnMemory | None = None

    @property
    def settings(self) -> Settings:
        """The settings the toolkit was built from."""
        return self.toolkit.settings

    @property
    def grounder(self) -> Grounder:
        """Title grounding over the catalog (the toolkit's)."""
        return self.toolkit.grounder

    @property
    def hard_filter(self) -> HardFilter:
        """Constraint evaluation against the catalog database (the toolkit's)."""
        return self.toolkit.hard_filter

    @property
    def recommenders(self) -> dict[str, Recommender]:
        """The trained collaborative recommenders and popularity, by name (the toolkit's)."""
        return self.toolkit.recommenders

    @property
    def popularity(self) -> dict[int, float]:
        """The popularity prior of these weights (``weights.popularity_sources``), from the toolkit."""
        return self.toolkit.popularity(self.weights.popularity_sources)

    @property
    def popularity_ranking(self) -> list[tuple[int, float]]:
        """Every catalog item with its popularity prior, most popular first (ties by id)."""
        return self.toolkit.popularity_ranking(self.weights.popularity_sources)

    @cached_property
    def parser(self) -> RuleParser:
        """The offline parser, built once over the toolkit's catalog and grounder (its tables from a start-up
        copy in the models directory when one matches the catalog)."""
        toolkit = self.toolkit
        key = catalog_cache.cache_key(toolkit.engine, extra=ParserTables.code_digest())
        models_dir = toolkit.settings.models_dir
        tables = catalog_cache.read(models_dir, key, PARSER_TABLES_PREFIX, ParserTables)
        if tables is None:
            tables = ParserTables.build(toolkit.catalog)
            catalog_cache.write(models_dir, key, tables, PARSER_TABLES_PREFIX)
        return RuleParser(toolkit.catalog, self.grounder, tables=tables)

    @cached_property
    def ranker(self) -> LearnedRanker | None:
        """The learned re-ranker shipped in the data directory (``ranker.txt``; None when there is none).
        Used only when the weights ask for it (``FusionWeights.learned_ranker``)."""
        return LearnedRanker.load([self.settings.data_dir, PACKAGED_DATA_DIR])

    def warm(self) -> None:
        """Load everything now (the first turn is then as fast as the others)."""
        _ = (
            self.ranker if self.weights.learned_ranker else None,
            self.toolkit.catalog,
            self.toolkit.vectors,
            self.grounder,
            self.parser,
            self.recommenders,
            self.popularity,
        )
        self.toolkit.embedder.warm()
        self.toolkit.embedder.query("warm up")
        self.hard_filter.warm()
