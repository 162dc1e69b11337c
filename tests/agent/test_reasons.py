"""Reasons on a tiny catalog: every claim true, specific, and re-checked by the audit's own checker."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agent.reasons import FANS_MIN_SIM, MAX_REASONS, ReasonContext, build_reasons, why_text
from agent.state import Preferences, Reason, Span
from eval.explain import AuditData, TurnView, check_reason
from tests.agent import reasons_catalog as rc
from tools.hard_filter import Constraints


def _reasons(item_id: int, prefs: Preferences, **kw: object) -> list[Reason]:
    ctx = ReasonContext(catalog=rc.catalog(), prefs=prefs, knn=rc.knn(), **kw)  # type: ignore[arg-type]
    return build_reasons(rc.catalog().items[item_id], ctx)


def _all_true(
    item_id: int,
    reasons: list[Reason],
    prefs: Preferences,
    said: Sequence[str] = (),
    facts: Sequence[dict[str, Any]] = (),
) -> None:
    data = AuditData(catalog=rc.catalog(), knn=rc.knn())
    view = TurnView(prefs=prefs, user_messages=list(said), facts=list(facts))
    for r in reasons:
        ok, detail, same = check_reason(r, data.catalog.items[item_id], data, view)
        assert ok and not same, (r, detail)


def test_fans_of_only_for_collaborative_neighbours_above_the_threshold() -> None:
    prefs = Preferences(liked=[rc.NOTEBOOK])
    titanic = _reasons(rc.TITANIC, prefs)
    assert any(r.kind == "fans_of" and r.items == [rc.NOTEBOOK] for r in titanic)
    assert "fans of The Notebook (2004) liked it too" in why_text(titanic)
    vow = _reasons(rc.VOW, prefs)  # similarity 0.01 < FANS_MIN_SIM
    assert FANS_MIN_SIM > 0.01 and not any(r.kind == "fans_of" for r in vow)
    assert any(r.kind == "same_star" and "Rachel McAdams" in r.text for r in vow)  # the true link instead
    _all_true(rc.TITANIC, titanic, prefs)
    _all_true(rc.VOW, vow, prefs)


def test_a_same_title_film_is_never_cited() -> None:
    prefs = Preferences(liked=[rc.NOTEBOOK])
    reasons = _reasons(rc.NOTEBOOK_2013, prefs)  # the namesake is the nearest neighbour in the model
    assert reasons and not any(r.items for r in reasons)
    assert "Notebook" not in why_text(reasons)


def test_same_director_and_asked_attributes() -> None:
    prefs = Preferences(liked=[rc.HEAT])
    reasons = _reasons(rc.COLLATERAL, prefs)
    assert reasons[0].kind == "same_director" and reasons[0].text == "by Michael Mann, like Heat (1995)"
    _all_true(rc.COLLATERAL, reasons, prefs)
    asked = Preferences(
        constraints=Constraints(
            genres_include=["comedy"], year_min=1990, year_max=1999, people_include=["Robin Williams"]
        )
    )
    reasons = _reasons(rc.DOUBTFIRE, asked)
    assert reasons[0].kind == "asked"
    assert reasons[0].text == "a 90s comedy with Robin Williams, as you asked"
    assert set(reasons[0].values) == {"genre:comedy", "years:1990-1999", "star:Robin Williams"}
    assert len(why_text(reasons).split("; ")) <= MAX_REASONS
    _all_true(rc.DOUBTFIRE, reasons, asked)


def test_the_users_words_and_memory() -> None:
    prefs = Preferences(constraints=Constraints(genres_exclude=["horror"]))
    spans = [Span(slot="genres_exclude", value="horror", text="no horror please")]
    reasons = _reasons(rc.JUMANJI, prefs, spans=spans)
    assert (
        reasons[0].text == 'no horror, you said "no horror please"' and reasons[0].quote == "no horror please"
    )
    _all_true(rc.JUMANJI, reasons, prefs, said=["something fun, no horror please"])
    facts = [
        {
            "fact_id": "f1",
            "text": "likes movies with Robin Williams",
            "key": "person:robin williams",
            "polarity": 1,
            "use": "soft",
        },
    ]
    reasons = _reasons(rc.JUMANJI, Preferences(), memory_facts=facts)
    mem = [r for r in reasons if r.kind == "memory"]
    assert mem and mem[0].text == 'with Robin Williams (from earlier: "likes movies with Robin Williams")'
    assert mem[0].fact_id == "f1"
    _all_true(rc.JUMANJI, reasons, Preferences(), facts=facts)
    assert not [r for r in _reasons(rc.HEAT, Preferences(), memory_facts=facts) if r.kind == "memory"]


def test_a_quote_that_is_not_quotable_is_left_out() -> None:
    prefs = Preferences(constraints=Constraints(genres_exclude=["horror"]))
    spans = [Span(slot="genres_exclude", value="horror", text="no 'Zorblax 3000' horror")]
    ctx = ReasonContext(catalog=rc.catalog(), prefs=prefs, spans=spans, quotable=lambda t: "Zorblax" not in t)
    reasons = build_reasons(rc.catalog().items[rc.JUMANJI], ctx)
    assert reasons[0].text == "no horror, as you asked" and not reasons[0].quote
