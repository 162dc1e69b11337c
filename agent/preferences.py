"""How a parsed turn updates the conversation's preferences (likes, dislikes, constraints, commands)."""

from __future__ import annotations

from agent.state import ParsedTurn, Preferences

MAX_SOFT = 3


def _add(lst: list[int], item: int) -> None:
    if item not in lst:
        lst.append(item)


def _drop(lst: list[int], item: int) -> None:
    if item in lst:
        lst.remove(item)


def apply_turn(prefs: Preferences, parsed: ParsedTurn, shown_ids: list[int]) -> Preferences:
    """Return the preferences after this turn. A like removes a dislike and vice versa; a new constraint
    replaces a contradicting one (wanting horror again lifts "no horror")."""
    p = prefs.model_copy(deep=True)
    if parsed.intent == "reset":
        return Preferences()
    stances = [(m.item_id, m.sentiment) for m in parsed.mentions]
    stances += [
        (shown_ids[f.position - 1], f.sentiment)
        for f in parsed.shown_feedback
        if f.position <= len(shown_ids)
    ]
    for item_id, sentiment in stances:
        if sentiment == "like":
            _add(p.liked, item_id)
            _drop(p.disliked, item_id)
        elif sentiment == "dislike":
            _add(p.disliked, item_id)
            _drop(p.liked, item_id)
        elif sentiment == "seen":
            _add(p.seen, item_id)

    c = p.constraints
    # a new genre request replaces the earlier one ("a comedy from the 80s", then "a drama": dramas from the
    # 80s); exclusions add up until lifted
    include = [g for g in c.genres_include if g not in parsed.genres_exclude and not parsed.genres_include]
    exclude = [g for g in c.genres_exclude if g not in parsed.genres_include]
    include += [g for g in parsed.genres_include if g not in include]
    exclude += [g for g in parsed.genres_exclude if g not in exclude]
    people_in = [x for x in c.people_include if x not in parsed.people_exclude]
    people_out = [x for x in c.people_exclude if x not in parsed.people_include]
    people_in += [x for x in parsed.people_include if x not in people_in]
    people_out += [x for x in parsed.people_exclude if x not in people_out]
    year_min, year_max = c.year_min, c.year_max
    if parsed.year_min is not None or parsed.year_max is not None:
        year_min, year_max = parsed.year_min, parsed.year_max
    runtime_min, runtime_max = c.runtime_min, c.runtime_max
    if parsed.runtime_min is not None or parsed.runtime_max is not None:
        runtime_min, runtime_max = parsed.runtime_min, parsed.runtime_max
    wanted_now = set(parsed.qualifiers_include) | set(parsed.qualifiers_less)
    qualifiers_out = _merge(c.qualifiers_exclude, parsed.qualifiers_exclude, wanted_now)
    p.constraints = c.model_copy(
        update={
            "genres_include": sorted(include),
            "genres_exclude": sorted(exclude),
            "year_min": year_min,
            "year_max": year_max,
            "people_include": people_in,
            "people_exclude": people_out,
            "min_rating": parsed.min_rating if parsed.min_rating is not None else c.min_rating,
            "qualifiers_exclude": qualifiers_out,
            "countries": parsed.countries or c.countries,
            "runtime_min": runtime_min,
            "runtime_max": runtime_max,
        }
    )
    if parsed.soft:
        p.soft = [*p.soft, parsed.soft][-MAX_SOFT:]
    ruled_out = set(parsed.qualifiers_exclude) | set(parsed.qualifiers_less)
    p.qualifiers_boost = _merge(p.qualifiers_boost, parsed.qualifiers_include, ruled_out)
    p.qualifiers_penalty = _merge(
        p.qualifiers_penalty, parsed.qualifiers_less, set(parsed.qualifiers_include)
    )
    p.avoid_popular = p.avoid_popular or parsed.avoid_popular
    p.language = parsed.language or p.language
    for cmd in parsed.commands:
        if cmd not in p.commands:
            p.commands.append(cmd)
    return p


def _merge(earlier: list[str], new: list[str], lifted: set[str]) -> list[str]:
    """Earlier values minus those this turn lifted, then this turn's new ones."""
    kept = [v for v in earlier if v not in lifted]
    return kept + [v for v in new if v not in kept]


def observe_agent_mentions(prefs: Preferences, item_ids: list[int]) -> Preferences:
    """Record items that the other side of the dialog (a human recommender in logged data) mentioned."""
    p = prefs.model_copy(deep=True)
    for item_id in item_ids:
        _add(p.mentioned_by_agent, item_id)
    return p
