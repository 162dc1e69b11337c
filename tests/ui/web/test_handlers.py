"""The web app's handlers as plain functions (state in, state out) over the real service: no browser."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from ui.web.app import build_app
from ui.web.handlers import (
    FRIENDLY_ERROR,
    TOOLS_TITLE,
    api_ask,
    card_feedback,
    check_message,
    feedback_message,
    remove_chip,
    run_turn,
)
from ui.web.render import card_html, chips_for, memory_facts, understood_markdown
from ui.web.state import Options, WebState, clean_user, new_conversation
from ui.web.views import MAX_CARDS

REQUEST = "I want a funny sci-fi movie from the 90s, no horror"


def last(gen: Any) -> WebState:
    """Run a streaming handler to its end and return the final state."""
    states = list(gen)
    assert states, "a handler always yields at least once"
    return states[-1]


def first_turn(service: Any, user: str, **opts: Any) -> WebState:
    st = last(run_turn(service, WebState(user=user), REQUEST, Options(**opts)))
    assert st.items, st.history
    return st


def test_a_turn_streams_the_reply_and_builds_cards_and_tool_steps(service: Any, fresh_user: str) -> None:
    states = list(
        run_turn(service, WebState(user=fresh_user), REQUEST, Options(n_items=5), stream_delay=1e-4)
    )
    # first the user's message and a pending tool-steps message, then the reply growing, then the cards
    assert states[0].history[-1]["metadata"] == {"title": TOOLS_TITLE, "status": "pending"}
    replies = [s.history[-1]["content"] for s in states[1:]]
    assert len(replies) >= 3 and all(a == b[: len(a)] for a, b in zip(replies, replies[1:], strict=False))
    st = states[-1]
    assert st.session.startswith("web-") and len(st.items) == 5
    roles = [(m["role"], (m.get("metadata") or {}).get("title")) for m in st.history]
    assert roles == [("user", None), ("assistant", TOOLS_TITLE), ("assistant", None)]
    tools = st.history[1]
    assert tools["metadata"]["status"] == "done" and tools["metadata"]["duration"] > 0
    for name in ("filter_items", "semantic_search", "rank", "| parse |", "**Total**"):
        assert name in tools["content"]
    for item in st.items:  # the chat names every item; the cards carry the details
        assert item["title"] in st.history[2]["content"]
        assert 1990 <= item["year"] <= 1999 and "horror" not in item["genres"]
    understood = st.understood["constraints"]
    assert understood["genres_exclude"] == ["horror"] and understood["year_min"] == 1990
    assert ("genres_exclude:horror", "✕ no horror") in st.chips and ("years", "✕ 1990–1999") in st.chips

    item = st.items[0]
    plot = service.toolkit.catalog.items[item["id"]].plot
    card = card_html(item, 1, plot, "short", turn=1)
    assert item["title"] in card and str(item["year"]) in card and item["genres"][0] in card
    assert f'data-item-id="{item["id"]}"' in card and 'data-turn="1"' in card
    if item["directors"]:
        assert item["directors"][0] in card
    if plot:
        assert plot[:20].replace("'", "&#x27;").replace('"', "&quot;")[:10] in card
    assert "💡" in card and "score" not in card
    assert "score" in card_html(item, 1, plot, "full")


def test_card_html_escapes_markup() -> None:
    item = {
        "id": 1,
        "title": "<script>x</script>",
        "year": 2000,
        "genres": ["a&b"],
        "directors": [],
        "stars": [],
        "score": 0.5,
        "why": "<b>why</b>",
    }
    card = card_html(item, 1, "<img src=x onerror=alert(1)>")
    assert "<script>" not in card and "<img" not in card and "<b>" not in card and "&lt;script&gt;" in card


def test_number_of_items_setting(service: Any, fresh_user: str) -> None:
    st = first_turn(service, fresh_user, n_items=3)
    assert len(st.items) == 3
    st = last(run_turn(service, st, "more please", Options(n_items=8)))
    assert len(st.items) == 8 <= MAX_CARDS


def test_dislike_button_removes_the_item_from_later_recommendations(service: Any, fresh_user: str) -> None:
    st = first_turn(service, fresh_user)
    gone = st.items[2]
    st = last(card_feedback(service, st, 2, "dislike", Options()))
    assert st.history[-3]["content"].startswith("👎 ") and gone["title"] in st.history[-3]["content"]
    assert gone["id"] in [d["id"] for d in st.understood["disliked"]]
    assert (f"disliked:{gone['id']}", f"✕ 👎 {gone['title']} ({gone['year']})") in st.chips
    seen_ids = {i["id"] for i in st.items}
    for _ in range(2):  # ask again, twice: the item never comes back
        st = last(run_turn(service, st, "more please", Options()))
        assert st.items and gone["id"] not in {i["id"] for i in st.items}
        seen_ids |= {i["id"] for i in st.items}
    state = service.get_state(user=st.user, session=st.session)
    assert gone["id"] in state["prefs"]["disliked"]


def test_like_seen_and_more_like_this_buttons(service: Any, fresh_user: str) -> None:
    st = first_turn(service, fresh_user)
    liked, seen = st.items[1], st.items[0]
    st = last(card_feedback(service, st, 1, "like"))
    assert liked["id"] in [x["id"] for x in st.understood["liked"]]
    seen = st.items[0]
    st = last(card_feedback(service, st, 0, "seen"))
    assert seen["id"] in [x["id"] for x in st.understood["seen"]]
    target = st.items[0]
    st = last(card_feedback(service, st, 0, "more"))
    assert target["id"] in [x["id"] for x in st.understood["liked"]] and st.items
    # an index without a card changes nothing
    assert last(card_feedback(service, st, MAX_CARDS + 3, "like")) == st


def test_feedback_messages_by_position_and_by_title() -> None:
    item = {"id": 1, "title": "Heat", "year": 1995}
    assert feedback_message(item, 3, "dislike") == "not the third one"
    assert feedback_message(item, 1, "like") == "I like the first one"
    assert feedback_message(item, 2, "seen") == "I've seen the second one"
    assert feedback_message(item, 7, "dislike") == "I didn't like Heat (1995)"
    assert feedback_message(item, 2, "like", by_position=False) == "I like Heat (1995)"
    assert feedback_message(item, 2, "more") == "more like Heat (1995)"


def test_removing_a_constraint_with_one_click(service: Any, fresh_user: str) -> None:
    st = first_turn(service, fresh_user)
    st = last(card_feedback(service, st, 0, "dislike"))
    disliked = st.understood["disliked"][0]
    keys = [k for k, _ in st.chips]
    st = remove_chip(service, st, keys.index("genres_exclude:horror"))
    assert st.understood["constraints"]["genres_exclude"] == []
    assert "genres_exclude:horror" not in [k for k, _ in st.chips]
    assert st.history[-1]["content"].startswith("✓ Forgot no horror")
    st = remove_chip(service, st, [k for k, _ in st.chips].index("years"))
    assert (
        st.understood["constraints"]["year_min"] is None and st.understood["constraints"]["year_max"] is None
    )
    st = remove_chip(service, st, [k for k, _ in st.chips].index(f"disliked:{disliked['id']}"))
    assert st.understood["disliked"] == []
    # the persisted conversation agrees, and the next turn recommends without the removed constraints
    prefs = service.get_state(user=st.user, session=st.session)["prefs"]
    assert prefs["constraints"]["genres_exclude"] == [] and prefs["constraints"]["year_min"] is None
    st = last(run_turn(service, st, "more please", Options(n_items=10)))
    assert st.understood["constraints"]["genres_exclude"] == [] and st.understood["turns"] == 3
    assert any(not 1990 <= (i["year"] or 0) <= 1999 for i in st.items)
    assert remove_chip(service, st, 99) == st  # a stale click changes nothing


def test_chips_cover_every_kind_of_preference() -> None:
    summary = {
        "liked": [{"id": 1, "title": "Heat (1995)"}],
        "disliked": [{"id": 2, "title": "Saw (2004)"}],
        "seen": [],
        "constraints": {
            "genres_include": ["comedy"],
            "genres_exclude": ["horror"],
            "year_min": 2000,
            "year_max": None,
            "people_include": ["Tom Hanks"],
            "people_exclude": ["X"],
            "min_rating": 7.0,
        },
        "soft": ["dark and moody"],
        "commands": ["no more horror"],
    }
    assert chips_for(summary) == [
        ("liked:1", "✕ 👍 Heat (1995)"),
        ("disliked:2", "✕ 👎 Saw (2004)"),
        ("genres_include:comedy", "✕ comedy"),
        ("genres_exclude:horror", "✕ no horror"),
        ("people_include:Tom Hanks", "✕ with Tom Hanks"),
        ("people_exclude:X", "✕ without X"),
        ("years", "✕ from 2000"),
        ("min_rating", "✕ rated ≥ 7.0"),
        ("soft:dark and moody", "✕ “dark and moody”"),
        ("command:no more horror", "✕ no more horror"),
    ]
    assert chips_for({}) == []


def test_memory_facts_used_this_turn_are_listed() -> None:
    trace = [
        {"step": "parse", "tool": None, "ms": 1.0},
        {
            "step": "recall",
            "tool": "memory",
            "ms": 2.0,
            "facts": [{"fact_id": 1, "text": "dislikes horror", "use": "exclude"}, "loves Tom Hanks"],
        },
    ]
    assert memory_facts(trace) == ["dislikes horror (exclude)", "loves Tom Hanks"]
    assert memory_facts([], [{"text": "likes jazz"}]) == ["likes jazz"] and memory_facts([]) == []
    panel = understood_markdown(WebState(memory=["dislikes horror (exclude)"]))
    assert "Memory used this turn" in panel and "- dislikes horror (exclude)" in panel


def test_too_long_message_is_refused_with_a_clear_message(service: Any, fresh_user: str) -> None:
    limit = service.settings.max_message_chars
    st = last(run_turn(service, WebState(user=fresh_user), "x" * (limit + 1)))
    assert st.history[-1]["role"] == "assistant"
    assert f"the limit is {limit:,}" in st.history[-1]["content"] and "shorten" in st.history[-1]["content"]
    assert len(st.history[0]["content"]) < 300  # the chat shows a clipped copy
    assert service.get_state(user=st.user, session=st.session) == {}  # the agent never saw it
    assert check_message("   ", 10) == "Please type a message first."
    assert check_message("hello", 10) is None
    assert api_ask(service, "y" * (limit + 1), fresh_user)["error"] == "bad_message"


def test_errors_become_friendly_chat_messages(
    service: Any, fresh_user: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database is on fire\nTraceback (most recent call last)")

    monkeypatch.setattr(service.graph, "invoke", boom)  # a component failure inside the service
    st = last(run_turn(service, WebState(user=fresh_user), REQUEST))
    text = st.history[-1]["content"]
    assert st.history[-1]["role"] == "assistant" and "Sorry, something went wrong" in text
    assert "Traceback" not in text and "fire" not in text
    assert st.history[-2]["metadata"]["status"] == "done"  # the tool-steps message never stays pending

    monkeypatch.setattr(service, "ask_with", boom)  # a failure outside the service's own guard
    st = last(run_turn(service, WebState(user=fresh_user), REQUEST))
    assert st.history[-1]["content"] == FRIENDLY_ERROR
    out = api_ask(service, REQUEST, fresh_user, "s1")
    assert out["reply"] == FRIENDLY_ERROR and out["error"] == "RuntimeError" and out["items"] == []


def test_new_conversation_and_user_name(service: Any, fresh_user: str) -> None:
    st = first_turn(service, fresh_user)
    fresh = new_conversation(st)
    assert fresh.user == st.user and fresh.session != st.session and not fresh.history and not fresh.items
    assert new_conversation(st, "  Ada  Lovelace ").user == "Ada Lovelace"
    assert clean_user("") == "guest" and len(clean_user("x" * 500)) == 64
    st2 = last(run_turn(service, fresh, "more please"))  # a new session: only long-term memory carries over
    assert st2.understood["turns"] == 1


def test_api_ask_returns_reply_and_items_as_json(service: Any, fresh_user: str) -> None:
    session = f"api-{uuid.uuid4().hex[:8]}"
    out = api_ask(service, REQUEST, fresh_user, session, 4)
    assert set(out) == {"reply", "items", "session", "state", "error"} and out["error"] is None
    assert out["session"] == session and len(out["items"]) == 4
    assert set(out["items"][0]) == {"id", "title", "year", "genres", "directors", "stars", "score", "why"}
    again = api_ask(service, "more please", fresh_user, session)
    assert again["state"]["turns"] == 2


def test_build_app_wires_the_named_api_endpoint(service: Any) -> None:
    app = build_app(service)
    named = [fn.api_name for fn in app.fns.values() if getattr(fn, "api_visibility", "public") == "public"]
    assert named == ["ask"]


def test_card_plot_ends_at_a_real_sentence_end() -> None:
    """Cards cut plots at a real sentence end, not at the dot of "Col." (issue 16)."""
    item = {"id": 1, "title": "Rambo: First Blood Part II", "year": 1985, "genres": ["action"]}
    plot = "Col. Trautman sends John Rambo back to Vietnam. He finds prisoners there."
    html_text = card_html(item, 1, plot=plot)
    assert "Col. Trautman sends John Rambo back to Vietnam.</div>" in html_text
    assert "He finds" not in html_text
