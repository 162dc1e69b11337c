"""The understanding issue's failures, each as a turn through the real service (SQLite, Chroma, model) and
the long-term memory it leaves."""

from __future__ import annotations

import pytest

from ui.service import Service, TurnResult


def _ask(service: Service, user: str, text: str, session: str = "s") -> TurnResult:
    result = service.ask(text, user=user, session=session)
    assert result.error is None, result.reply
    return result


def _items(service: Service, result: TurnResult) -> list:  # type: ignore[type-arg]
    return [service.toolkit.catalog.items[it["id"]] for it in result.items]


def test_a_dislike_does_not_cross_the_sentence(service: Service, fresh_user: str) -> None:
    result = _ask(service, fresh_user, "I hate horror movies. I love Tom Hanks.")
    constraints = result.state["constraints"]
    assert constraints["genres_exclude"] == ["horror"] and constraints["people_include"] == ["Tom Hanks"]
    assert not constraints["people_exclude"]
    items = _items(service, result)
    assert items and all("Tom Hanks" in (*it.stars, *it.directors) for it in items)
    assert all("horror" not in it.genres for it in items)
    later = _ask(service, fresh_user, "a comedy please", session="s2")
    assert "Tom Hanks" not in later.state["constraints"]["people_exclude"]


def test_newer_than_a_named_title(service: Service, fresh_user: str) -> None:
    result = _ask(service, fresh_user, "Something like Heat (1995) but newer")
    assert result.state["constraints"]["year_min"] == 1996
    assert result.items and all((it["year"] or 0) >= 1996 for it in result.items)


def test_a_question_about_a_shown_item_keeps_the_list(service: Service, fresh_user: str) -> None:
    first = _ask(service, fresh_user, "a 90s romantic comedy")
    question = _ask(service, fresh_user, "how long is the first one?")
    assert [it["id"] for it in question.items] == [it["id"] for it in first.items]
    title = first.items[0]["title"]
    assert title in question.reply and ("minutes" in question.reply or "running time" in question.reply)
    scary = _ask(service, fresh_user, "is the first one scary?")
    assert [it["id"] for it in scary.items] == [it["id"] for it in first.items]
    assert "horror" not in scary.state["constraints"]["genres_include"]


def test_more_like_a_shown_item_is_not_a_like(service: Service, fresh_user: str) -> None:
    first = _ask(service, fresh_user, "I loved Star Wars")
    second_id = first.items[1]["id"]
    more = _ask(service, fresh_user, "more like the second one")
    assert second_id not in {x["id"] for x in more.state["liked"]}
    assert more.items and second_id not in {it["id"] for it in more.items}


@pytest.mark.parametrize(
    ("text", "genres_include", "genres_exclude"),
    [
        ("I can't stand gore but I love a good scary movie", ["horror"], []),
        ("I want a horror movie that isn't gory", ["horror"], []),
    ],
)
def test_gore_is_not_the_horror_genre(
    service: Service, fresh_user: str, text: str, genres_include: list[str], genres_exclude: list[str]
) -> None:
    result = _ask(service, fresh_user, text)
    constraints = result.state["constraints"]
    assert constraints["genres_include"] == genres_include and constraints["genres_exclude"] == genres_exclude
    assert all("horror" in it.genres for it in _items(service, result))


def test_gore_is_ruled_out_and_said_in_the_reason(service: Service, fresh_user: str) -> None:
    result = _ask(service, fresh_user, "I want a horror movie that isn't gory")
    items = _items(service, result)
    assert items and all("gore" not in it.qualifiers for it in items)
    tagged = [it for it in result.items if service.toolkit.catalog.items[it["id"]].tagged]
    assert all("no gore" in it["why"] for it in tagged)


def test_a_new_genre_replaces_the_earlier_one(service: Service, fresh_user: str) -> None:
    _ask(service, fresh_user, "a comedy from the 80s")
    drama = _ask(service, fresh_user, "a drama")
    constraints = drama.state["constraints"]
    assert constraints["genres_include"] == ["drama"] and constraints["year_min"] == 1980
    assert all("drama" in it.genres for it in _items(service, drama))


def test_qualifiers_runtime_and_language_are_never_dropped_silently(
    service: Service, fresh_user: str
) -> None:
    result = _ask(service, fresh_user, "a comedy in English that's not so long")
    assert result.state["constraints"]["runtime_max"] == 120 and result.state["language"] == "en"
    assert "spoken language" in result.reply  # the catalog cannot check it: the reply says so
