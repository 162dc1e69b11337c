"""The runtime context of the agent graph: the loaded tools, the parser, the LLM client and settings.

Passed to every node through LangGraph's ``Runtime[AgentContext]``; built once per process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from tools.ranking import FusionWeights
from tools.settings import Settings
from tools.toolkit import Toolkit

if TYPE_CHECKING:
    from agent.llm import LLMClient
    from agent.parse_rules import RuleParser
    from tools.grounding import Grounder
    from tools.hard_filter import HardFilter
    from tools.recommenders import Recommender


@dataclass
class AgentContext:
    """What the nodes need besides the state."""

    toolkit: Toolkit
    llm: LLMClient | None = None
    weights: FusionWeights = field(default_factory=FusionWeights)
    n_items: int = 5
    ranking_size: int = 50
    critic: bool = False

    @property
    def settings(self) -> Settings:
        """The settings the toolkit was built from."""
        return self.toolkit.settings

    @cached_property
    def grounder(self) -> Grounder:
        """Title grounding over the catalog."""
        from tools.grounding import Grounder

        tk = self.toolkit
        return Grounder(tk.catalog, tk.embedder, cache_dir=tk.settings.models_dir)

    @cached_property
    def parser(self) -> RuleParser:
        """The offline parser."""
        from agent.parse_rules import RuleParser

        return RuleParser(self.toolkit.catalog, self.grounder)

    @cached_property
    def hard_filter(self) -> HardFilter:
        """Constraint evaluation against the catalog database."""
        from tools.hard_filter import HardFilter

        return HardFilter(self.toolkit.engine)

    @cached_property
    def recommenders(self) -> dict[str, Recommender]:
        """The trained collaborative recommenders and popularity, by name."""
        from tools.recommenders import load_recommenders

        return load_recommenders(self.settings)

    @cached_property
    def popularity(self) -> dict[int, float]:
        """A popularity prior in [0, 1] for every catalog item."""
        import math

        pop = self.recommenders.get("popularity")
        ids = self.toolkit.catalog.ids()
        raw: dict[int, float] = {}
        if pop is not None:
            raw = dict(pop.recommend([], k=len(ids)))
        if not raw:
            raw = {i: self.toolkit.catalog.items[i].popularity for i in ids}
        logs = {i: math.log1p(max(v, 0.0)) for i, v in raw.items()}
        top = max(logs.values(), default=0.0) or 1.0
        return {i: v / top for i, v in logs.items()}

    def warm(self) -> None:
        """Load everything now (the first turn is then as fast as the others)."""
        _ = (self.toolkit.catalog, self.toolkit.vectors, self.grounder, self.parser, self.recommenders, self.popularity)
        self.toolkit.embedder.query("warm up")
