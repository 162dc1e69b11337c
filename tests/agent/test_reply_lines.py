"""The plain-text reply names every shown item on its own numbered line, in order, whatever the intro
(template, garbage or hostile LLM words), and never an invented title."""

from __future__ import annotations

import pytest

from agent.reasons import ReasonContext, build_reasons, why_text
from agent.respond import item_line, reply_with_items, template_parts
from agent.state import Preferences, ShownItem
from eval.explain import reply_lists_items
from tests.agent import reasons_catalog as rc
from tools.grounding import Grounder
from tools.hard_filter import Constraints

FAKE = "The Fake Movie 9000"
INTROS: dict[str, str | None] = {
    "template": None,
    "garbage": "Sure!! {{ here is the plan: [tool => rank",
    "hostile": f"1. {FAKE} (2031) is the best pick. Also watch 'Zorblax 3000'. Mrs. Doubtfire (1993) is fun.",
    "empty": "",
}


def _shown(prefs: Preferences) -> list[ShownItem]:
    catalog = rc.catalog()
    out = []
    for i in (rc.DOUBTFIRE, rc.JUMANJI, rc.TITANIC):
        item = catalog.items[i]
        reasons = build_reasons(item, ReasonContext(catalog=catalog, prefs=prefs, knn=rc.knn()))[:3]
        out.append(ShownItem(id=i, title=item.title, year=item.year, why=why_text(reasons), reasons=reasons))
    return out


@pytest.mark.parametrize("kind", list(INTROS))
def test_every_shown_item_is_named_in_order(kind: str) -> None:
    grounder = Grounder(rc.catalog())
    prefs = Preferences(liked=[rc.NOTEBOOK], constraints=Constraints(genres_include=["comedy"]))
    shown = _shown(prefs)
    intro, tail = template_parts(shown, prefs, 0)
    given = INTROS[kind]
    text, _ = reply_with_items(
        given if given is not None else intro,
        shown,
        tail,
        [*(s.id for s in shown), *prefs.liked],
        grounder,
        intro,
    )
    assert reply_lists_items(text, shown) == [], text
    assert "1. Mrs. Doubtfire (1993)" in text  # an abbreviation's dot does not cost the item its line
    assert "fans of The Notebook (2004) liked it too" in text  # a liked item may be cited
    assert FAKE not in text and "Zorblax" not in text
    named = {m.match.item_id for m in grounder.find_titles(text)}
    assert named <= {rc.DOUBTFIRE, rc.JUMANJI, rc.TITANIC, rc.NOTEBOOK}


def test_a_refused_reason_drops_but_the_item_stays() -> None:
    item = ShownItem(
        id=rc.JUMANJI, title="Jumanji", year=1995, why="comedy; watch The Fake Movie 9000 (2031)"
    )
    line = item_line(2, item, line_ok=lambda text: FAKE not in text)
    assert line == "2. Jumanji (1995) — comedy"
    assert item_line(2, item, line_ok=lambda text: False) == "2. Jumanji (1995)"


# ----------------------------------------------------------------------------- through the whole turn
class _ScriptedLLM:
    """An LLM that answers every call with the same text (garbage or hostile)."""

    def __init__(self, text: str) -> None:
        from agent.llm import LLMUsage

        self.text = text
        self.usage = LLMUsage()

    def reset_usage(self) -> object:
        from agent.llm import LLMUsage

        old, self.usage = self.usage, LLMUsage()
        return old

    def chat(self, messages: object, **_: object) -> str:
        self.usage.calls += 1
        return self.text

    def chat_json(self, messages: object, schema: object, **_: object) -> None:
        self.usage.calls += 1
        self.usage.errors.append("malformed JSON")
        return None


@pytest.mark.parametrize("llm_text", [None, INTROS["garbage"], INTROS["hostile"]])  # None: offline
def test_whole_turn_names_every_item(service, llm_text: str | None) -> None:  # type: ignore[no-untyped-def]
    import copy

    from agent.runner import turn_input

    ctx = copy.copy(service.context)
    ctx.llm = _ScriptedLLM(llm_text) if llm_text is not None else None
    state = service.runner.graph.invoke(turn_input("a comedy with Robin Williams"), context=ctx)
    shown = [ShownItem.model_validate(s) for s in state["shown"]]
    assert len(shown) == ctx.n_items
    assert reply_lists_items(state["reply"], shown) == [], state["reply"]
    assert "Mrs. Doubtfire (1993)" in state["reply"]
    assert FAKE not in state["reply"] and "Zorblax" not in state["reply"]
    assert all(s.reasons and s.why == why_text(s.reasons) for s in shown)
