"""The LLM parser's mapping onto ParsedTurn with a fake LLM client (no server): the full schema, grounding,
vocabularies, positions in the shown list, lasting spans, and garbage that must never raise."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agent.llm import LLMClient
from agent.parsers.closed_vocab import norm_country, norm_language, norm_qualifier
from agent.parsers.llm import LLMParse, llm_parse
from agent.state import ParsedTurn, ShownFeedback, TitleMention
from tools.catalog import Catalog, read_catalog_file
from tools.grounding import Grounder
from tools.settings import PACKAGED_DATA_DIR

HEAT, STAR_WARS, MATRIX = 5228, 1265, 525


class FakeLLM(LLMClient):
    """An LLMClient whose completion is canned text (the real JSON parsing and validation run)."""

    def __init__(self, answer: str | None) -> None:
        super().__init__(base_url="http://127.0.0.1:9/v1", api_key=None, model="fake")
        self.answer = answer
        self.prompts: list[list[dict[str, str]]] = []

    def chat(
        self, messages: list[dict[str, str]], *, max_tokens: int = 400, temperature: float = 0.2
    ) -> str | None:
        self.prompts.append(messages)
        return self.answer


@pytest.fixture(scope="module")
def grounder() -> Grounder:
    return Grounder(Catalog.from_items(read_catalog_file(PACKAGED_DATA_DIR / "catalog.jsonl.gz")))


def _parse(grounder: Grounder, answer: Any, rules: ParsedTurn | None = None, shown: list[int] | None = None):  # type: ignore[no-untyped-def]
    text = answer if isinstance(answer, str) or answer is None else json.dumps(answer)
    llm = FakeLLM(text)
    return llm_parse(llm, grounder, "a message", rules or ParsedTurn(), shown=shown or []), llm


def test_full_schema_is_mapped_validated_and_grounded(grounder: Grounder) -> None:
    rules = ParsedTurn(shown_feedback=[ShownFeedback(position=1, sentiment="seen")], commands=["no spoilers"])
    parsed, llm = _parse(
        grounder,
        {
            "intent": "recommend",
            "liked_titles": ["The Matrix (1999)", "A Film That Does Not Exist Anywhere"],
            "genres_include": ["Thriller", "not-a-genre"],
            "genres_exclude": ["horror"],
            "qualifiers_include": ["heist", "zombie vibes"],
            "qualifiers_exclude": ["gory"],
            "qualifiers_less": ["violence"],
            "countries": ["Korean", "Atlantis"],
            "language": "Spanish",
            "runtime_max": "120",
            "avoid_popular": "yes",
            "anchor_position": 2,
            "lasting": [
                "genres_exclude:horror",
                "qualifiers_exclude:gore",
                "genres_include:western",
                "bogus",
            ],
        },
        rules,
        [HEAT, STAR_WARS],
    )
    assert parsed is not None
    assert [(m.item_id in (MATRIX, 3375), m.sentiment) for m in parsed.mentions] == [(True, "like")]  # twins
    assert parsed.genres_include == ["thriller"] and parsed.genres_exclude == ["horror"]
    assert parsed.qualifiers_include == ["heist"] and parsed.qualifiers_exclude == ["gore"]
    assert parsed.qualifiers_less == ["violence"]
    assert parsed.countries == ["South Korea"] and parsed.language == "es"
    assert parsed.runtime_max == 120 and parsed.runtime_min is None and parsed.avoid_popular is True
    assert parsed.anchor_item == STAR_WARS
    assert [(s.slot, s.value, s.lasting) for s in parsed.spans] == [
        ("genres_exclude", "horror", True),
        ("qualifiers_exclude", "gore", True),
    ]
    assert parsed.shown_feedback == rules.shown_feedback and parsed.commands == ["no spoilers"]
    system = llm.prompts[0][0]["content"]
    assert "{genres}" not in system and "{qualifiers}" not in system and "time-travel" in system


def test_question_about_a_shown_position(grounder: Grounder) -> None:
    answer = {
        "intent": "item_question",
        "question_position": 1,
        "question_aspect": "content",
        "question_qualifier": "scary",
    }
    parsed, _ = _parse(grounder, answer, shown=[HEAT, STAR_WARS])
    assert parsed is not None
    assert (parsed.intent, parsed.question_item, parsed.question_aspect, parsed.question_qualifier) == (
        "item_question",
        HEAT,
        "content",
        "scary",
    )
    # a position past the shown list and no title: no item, so no question
    parsed, _ = _parse(grounder, {**answer, "question_position": 7}, shown=[HEAT])
    assert parsed is not None and parsed.intent == "recommend" and parsed.question_item is None
    parsed, _ = _parse(
        grounder, {"intent": "item_question", "question_title": "Heat (1995)", "question_aspect": "runtime"}
    )
    assert parsed is not None and (parsed.question_item, parsed.question_aspect) == (HEAT, "runtime")
    assert parsed.question_qualifier is None  # only content questions carry one


@pytest.mark.parametrize(
    "answer",
    [
        None,
        "",
        "not json at all",
        "[1, 2, 3]",
        {"liked_titles": ["Heat"]},  # no intent
        {"intent": "dance"},
        {"intent": "recommend", "year_min": 3},
        {"intent": "recommend", "liked_titles": "Heat"},
    ],
)
def test_unusable_output_is_none(grounder: Grounder, answer: Any) -> None:
    parsed, _ = _parse(grounder, answer)
    assert parsed is None


def test_garbage_in_optional_slots_is_dropped_alone(grounder: Grounder) -> None:
    rules = ParsedTurn(mentions=[TitleMention(item_id=HEAT, sentiment="like")], question_aspect="plot")
    parsed, _ = _parse(
        grounder,
        {
            "intent": "recommend",
            "qualifiers_include": [{"x": 1}, 5, None, "feel good"],
            "qualifiers_less": "scary",
            "countries": 5,
            "language": ["en"],
            "runtime_max": "long",
            "runtime_min": 10**9,
            "anchor_position": 99,
            "anchor_title": "",
            "avoid_popular": {"a": 1},
            "question_aspect": "mood",
            "question_position": "first",
            "lasting": {"genres_include": "comedy"},
        },
        rules,
        [HEAT],
    )
    assert parsed is not None
    assert parsed.qualifiers_include == ["feel-good"] and parsed.qualifiers_less == ["scary"]
    assert parsed.countries == [] and parsed.language is None
    assert parsed.runtime_max is None and parsed.runtime_min is None
    assert parsed.anchor_item is None and parsed.avoid_popular is False and parsed.spans == []
    assert parsed.question_aspect == "plot"  # an unknown aspect falls back to the rules'
    assert parsed.mentions == rules.mentions  # no title from the LLM: the rules' stay


def test_runtime_bounds_that_contradict_are_dropped(grounder: Grounder) -> None:
    parsed, _ = _parse(grounder, {"intent": "recommend", "runtime_min": 150, "runtime_max": 90})
    assert parsed is not None and parsed.runtime_min is None and parsed.runtime_max is None


def test_vocabularies() -> None:
    assert norm_qualifier("Gory") == "gore" and norm_qualifier("time travel") == "time-travel"
    assert norm_qualifier("zombie vibes") is None and norm_qualifier(3) is None
    assert norm_country("United States") == "USA" and norm_country("british") == "UK"
    assert norm_country("Korea") == "South Korea" and norm_country("Narnia") is None
    assert (
        norm_language("EN") == "en" and norm_language("Japanese") == "ja" and norm_language("Elvish") is None
    )
    assert set(LLMParse.model_fields) >= {
        "qualifiers_include",
        "anchor_position",
        "question_qualifier",
        "lasting",
    }
