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
from ui.web.render import (
    card_html,
    chips_for,
    memory_facts,
    other_understood,
    said_keys,
    span_key,
    span_words,
    understood_markdown,
)
from ui.web.state import (
    Options,
    WebState,
    clean_user,
    new_conversation,
    new_visitor_id,
    resolve_user,
    valid_visitor_id,
)
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
    chips = dict(st.chips)  # a chip may add the user's own words after "·"
    assert chips["genres_exclude:horror"].startswith("✕ no horror")
    assert chips["years"].startswith("✕ 1990–1999")

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
    assert dict(st.chips)[f"disliked:{gone['id']}"].startswith(f"✕ 👎 {gone['title']} ({gone['year']})")
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
        ("min_rating", "✕ rated 7+"),
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
    assert "From earlier: memory used this turn" in panel and "- dislikes horror (exclude)" in panel


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


# ----------------------------------------------------------------------------- issue 15: web app and one-item feedback
MEG_RYAN = "a romantic comedy with Meg Ryan from 1993 to 1995"  # three films


def test_dislike_on_one_card_keeps_the_others_in_place_and_tops_up(service: Any, fresh_user: str) -> None:
    st = first_turn(service, fresh_user)
    before = [i["id"] for i in st.items]
    st = last(card_feedback(service, st, 2, "dislike", Options()))
    after = [i["id"] for i in st.items]
    assert len(after) == 5 and before[2] not in after
    assert [after[k] for k in (0, 1, 3, 4)] == [before[k] for k in (0, 1, 3, 4)]  # the others, in place
    assert after[2] not in before  # the gap is filled with a new item that fits the request
    assert 1990 <= st.items[2]["year"] <= 1999 and "horror" not in st.items[2]["genres"]
    reply = st.history[-1]["content"]
    assert "off the list" in reply and all(i["title"] in reply for i in st.items)


def test_a_filter_with_nothing_new_tells_the_truth(service: Any, fresh_user: str) -> None:
    st = last(run_turn(service, WebState(user=fresh_user), MEG_RYAN, Options()))
    before = [i["id"] for i in st.items]
    matches = len(before)
    assert before, st.history
    st = last(card_feedback(service, st, 1, "dislike", Options()))
    assert [i["id"] for i in st.items] == [before[0], *before[2:]]  # the others stay; nothing new exists
    reply = st.history[-1]["content"]
    assert "That's every movie I have for" in reply and f"{matches} shown" in reply
    assert "no movie in the catalog matches" not in reply and "relax one constraint" in reply
    st = last(run_turn(service, st, "more please", Options()))
    reply = st.history[-1]["content"]
    assert "That's every movie I have for" in reply and "no movie in the catalog matches" not in reply


def test_more_like_this_centres_on_the_card(service: Any, fresh_user: str) -> None:
    st = first_turn(service, fresh_user)
    target = st.items[1]
    st = last(card_feedback(service, st, 1, "more", Options()))
    saved = service.get_state(user=st.user, session=st.session)
    assert saved["parsed"]["anchor_item"] == target["id"]
    assert st.items and target["id"] not in [i["id"] for i in st.items]
    assert saved.get("anchor") == target["id"]
    st = last(run_turn(service, st, "more please", Options()))  # the anchor is one turn's, never carried over
    assert service.get_state(user=st.user, session=st.session)["parsed"]["anchor_item"] is None


def test_cards_stay_after_a_question_about_one_of_them(service: Any, fresh_user: str) -> None:
    st = first_turn(service, fresh_user)
    before = [i["id"] for i in st.items]
    st = last(run_turn(service, st, "who directed the second one?", Options()))
    assert [i["id"] for i in st.items] == before
    assert "directed by" in st.history[-1]["content"] or "director" in st.history[-1]["content"]


def test_each_visitor_has_its_own_memory(service: Any) -> None:
    first = last(run_turn(service, WebState(), REQUEST, Options()))
    assert first.user.startswith("visitor-") and first.user == first.visitor
    gone = first.items[0]
    first = last(card_feedback(service, first, 0, "dislike", Options()))
    assert f"disliked:{gone['id']}" in [k for k, _ in first.chips]
    second = last(run_turn(service, WebState(), REQUEST, Options()))
    assert second.user.startswith("visitor-") and second.user != first.user
    assert second.understood["disliked"] == [] and not any("👎" in label for _, label in second.chips)
    # the same visitor in a new conversation: the dislike comes back from memory, marked "from earlier"
    again = last(run_turn(service, new_conversation(first), REQUEST, Options()))
    assert again.user == first.user and again.session != first.session
    chip = dict(again.chips).get(f"disliked:{gone['id']}", "")
    assert chip.endswith("· from earlier"), again.chips


def test_who_is_chatting() -> None:
    visitor = new_visitor_id()
    assert valid_visitor_id(visitor) == visitor and valid_visitor_id("guest") is None
    assert valid_visitor_id(None) is None and new_visitor_id() != visitor
    assert resolve_user("", visitor) == visitor and resolve_user("  ", visitor) == visitor
    assert resolve_user(" Ada  Lovelace ", visitor) == "Ada Lovelace"
    assert resolve_user("Ada", visitor, login="alice") == "alice"
    assert resolve_user(None, "").startswith("visitor-")  # never a shared "guest"
    st = WebState(user="Ada", visitor=visitor, login="", session="web-1")
    fresh = new_conversation(st)
    assert fresh.user == "Ada" and fresh.visitor == visitor and fresh.session != "web-1"
    assert WebState().user == ""


def test_chips_in_plain_words_with_the_users_words_and_from_earlier() -> None:
    parsed = {
        "intent": "recommend",
        "genres_include": ["comedy"],
        "year_min": 1990,
        "year_max": 1999,
        "spans": [
            {"slot": "genres_include", "value": "comedy", "text": "funny"},
            {"slot": "year_min", "value": "1990", "text": "from the 90s"},
            {"slot": "year_max", "value": "1999", "text": "from the 90s"},
            {"slot": "feedback", "value": "2:dislike", "text": "not the second one"},
            {"slot": "qualifiers_exclude", "value": "gore", "text": "no gore"},
        ],
    }
    assert span_key({"slot": "feedback", "value": "2:dislike"}, [7, 8]) == "disliked:8"
    assert span_key({"slot": "like", "value": "42"}, []) == "liked:42"
    assert span_key({"slot": "qualifiers_exclude", "value": "gore"}, []) is None
    words = span_words(parsed, [7, 8])
    assert words == {
        "genres_include:comedy": "funny",
        "years": "from the 90s",
        "disliked:8": "not the second one",
    }
    assert said_keys(parsed, [7, 8]) >= {"genres_include:comedy", "years", "disliked:8"}
    assert said_keys({"genres_exclude": ["horror"]}, []) == {"genres_exclude:horror"}  # without spans too
    summary = {
        "disliked": [{"id": 8, "title": "Saw (2004)"}],
        "constraints": {
            "genres_include": ["comedy"],
            "genres_exclude": ["horror"],
            "year_min": 1990,
            "year_max": 1999,
        },
        "soft": ["memory: likes Tom Hanks"],
    }
    chips = dict(chips_for(summary, words, ["genres_exclude:horror", "soft:memory: likes Tom Hanks"]))
    assert chips["genres_include:comedy"] == "✕ comedy · “funny”"
    assert chips["years"] == "✕ 1990–1999 · “from the 90s”"
    assert chips["genres_exclude:horror"] == "✕ no horror · from earlier"
    assert chips["soft:memory: likes Tom Hanks"] == "✕ “likes Tom Hanks” · from earlier"
    assert chips["disliked:8"] == "✕ 👎 Saw (2004) · “not the second one”"
    assert dict(chips_for(summary))["genres_include:comedy"] == "✕ comedy"  # no spans: today's chips
    # words that say no more than the label are not repeated
    assert (
        dict(chips_for(summary, {"genres_exclude:horror": "no horror"}))["genres_exclude:horror"]
        == "✕ no horror"
    )
    assert other_understood(parsed) == ["none of gore (from “no gore”)"]
    panel = understood_markdown(WebState(chips=[("x", "y")], also=["none of gore (from “no gore”)"]))
    assert "Also understood" in panel and "from earlier" in panel
