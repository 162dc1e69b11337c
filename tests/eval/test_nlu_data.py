"""The understanding benchmark's data (eval/data/nlu_*.jsonl) against its schema (eval/data/NLU.md).

Every title resolves to an item of the shipped catalog, every person is in the catalog, genres and qualifiers
are in their vocabularies, positions fall within ``shown``, ids are unique and dev / test share no text.
"""

from __future__ import annotations

import gzip
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tools.genres import GENRES
from tools.qualifiers import QUALIFIER_NAMES

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "eval" / "data"
CATALOG = REPO / "data" / "catalog.jsonl.gz"

CATEGORIES = {
    "single_clause", "multi_clause", "negation_scope", "qualifier", "relative_time", "typo", "ambiguous_title",
    "question", "chitchat", "feedback", "people", "lasting_vs_oneoff",
}  # fmt: skip
INTENTS = {"recommend", "more", "item_question", "feedback", "chitchat", "reset"}
ASPECTS = {
    "director", "plot", "year", "genres", "stars", "writers", "rating", "runtime", "country", "content", "general",
}  # fmt: skip
COUNTRIES = {
    "USA", "UK", "France", "South Korea", "Japan", "Italy", "Germany", "Spain", "India", "Mexico", "China",
    "Hong Kong", "Canada", "Australia", "Sweden", "Denmark", "Brazil",
}  # fmt: skip
LANGUAGES = {"en", "es", "fr", "de", "it", "ja", "ko", "zh", "hi", "pt", "sv", "da", "ru"}
TITLE_LISTS = ("like", "dislike", "seen", "neutral")
GENRE_LISTS = ("genres_include", "genres_exclude")
PEOPLE_LISTS = ("people_include", "people_exclude")
QUALIFIER_LISTS = ("qualifiers_include", "qualifiers_exclude", "qualifiers_less")
LIST_SLOTS = (*TITLE_LISTS, *GENRE_LISTS, *PEOPLE_LISTS, *QUALIFIER_LISTS, "countries")
INT_SLOTS = ("year_min", "year_max", "runtime_max", "runtime_min")
GOLD_KEYS = {
    "intent", *LIST_SLOTS, *INT_SLOTS, "min_rating", "language", "avoid_popular", "anchor", "feedback",
    "question", "lasting",
}  # fmt: skip
# slots a lasting taste can name (title stances are never listed there)
LASTING_SLOTS = {
    *GENRE_LISTS,
    *PEOPLE_LISTS,
    *QUALIFIER_LISTS,
    "countries",
    *INT_SLOTS,
    "language",
    "min_rating",
}
POSITION = re.compile(r"^#([1-9][0-9]*)$")
TITLE = re.compile(r"^(.+) \((\d{4})\)$")


@cache
def _catalog() -> tuple[frozenset[str], frozenset[str]]:
    titles: set[str] = set()
    people: set[str] = set()
    with gzip.open(CATALOG, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row.get("year"):
                titles.add(f"{row['title']} ({row['year']})")
            for key in ("directors", "stars", "writers"):
                people.update(row.get(key) or [])
    return frozenset(titles), frozenset(people)


def _read(name: str) -> list[dict[str, Any]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@cache
def _splits() -> dict[str, list[dict[str, Any]]]:
    return {"dev": _read("nlu_dev.jsonl"), "test": _read("nlu_test.jsonl"), "dev2": _read("nlu_dev2.jsonl")}


def _all() -> list[dict[str, Any]]:
    return _splits()["dev"] + _splits()["test"] + _splits()["dev2"]


def _check_ref(ref: Any, shown: list[str], titles: frozenset[str], where: str) -> list[str]:
    """A reference to an item: ``#N`` within ``shown`` or a catalog title."""
    if not isinstance(ref, str):
        return [f"{where}: not a string: {ref!r}"]
    pos = POSITION.match(ref)
    if pos:
        return (
            [] if 1 <= int(pos.group(1)) <= len(shown) else [f"{where}: {ref} outside shown ({len(shown)})"]
        )
    return [] if ref in titles else [f"{where}: unknown title {ref!r}"]


def _check_gold(gold: dict[str, Any], shown: list[str]) -> list[str]:  # noqa: C901, PLR0912
    """Every problem of one gold reading (empty when it is valid)."""
    titles, people = _catalog()
    errors = [f"unknown key {k!r}" for k in gold if k not in GOLD_KEYS]
    if gold.get("intent") not in INTENTS:
        errors.append(f"intent {gold.get('intent')!r}")
    for key in LIST_SLOTS:
        if key in gold:
            value = gold[key]
            if not isinstance(value, list) or not value or len(set(value)) != len(value):
                errors.append(f"{key}: not a non-empty list of distinct values: {value!r}")
    for key in TITLE_LISTS:
        errors += [f"{key}: unknown title {t!r}" for t in gold.get(key, []) if t not in titles]
    stances = [t for key in TITLE_LISTS for t in gold.get(key, [])]
    if len(stances) != len(set(stances)):
        errors.append(f"a title in two stance lists: {stances}")
    for key in GENRE_LISTS:
        errors += [f"{key}: not a genre {g!r}" for g in gold.get(key, []) if g not in GENRES]
    for key in PEOPLE_LISTS:
        errors += [f"{key}: not in the catalog {p!r}" for p in gold.get(key, []) if p not in people]
    for key in QUALIFIER_LISTS:
        errors += [f"{key}: not a qualifier {q!r}" for q in gold.get(key, []) if q not in QUALIFIER_NAMES]
    errors += [f"countries: unknown {c!r}" for c in gold.get("countries", []) if c not in COUNTRIES]
    for key in INT_SLOTS:
        if key in gold and (type(gold[key]) is not int or gold[key] <= 0):
            errors.append(f"{key}: not a positive int {gold[key]!r}")
    for key in ("year_min", "year_max"):
        if key in gold and not 1880 <= gold[key] <= 2030:
            errors.append(f"{key}: implausible year {gold[key]}")
    if gold.get("year_min", 0) > gold.get("year_max", 9999):
        errors.append("year_min > year_max")
    if "min_rating" in gold and (type(gold["min_rating"]) is not float or not 0 <= gold["min_rating"] <= 10):
        errors.append(f"min_rating: not a float in 0..10 {gold['min_rating']!r}")
    if "language" in gold and gold["language"] not in LANGUAGES:
        errors.append(f"language: {gold['language']!r}")
    if "avoid_popular" in gold and gold["avoid_popular"] is not True:
        errors.append("avoid_popular: only true is written (false = absent)")
    if "anchor" in gold:
        errors += _check_ref(gold["anchor"], shown, titles, "anchor")
    for fb in gold.get("feedback", []):
        if set(fb) != {"position", "sentiment"} or fb["sentiment"] not in ("like", "dislike", "seen"):
            errors.append(f"feedback: {fb!r}")
        elif not (type(fb["position"]) is int and 1 <= fb["position"] <= len(shown)):
            errors.append(f"feedback: position {fb['position']!r} outside shown ({len(shown)})")
    if "feedback" in gold and len({fb.get("position") for fb in gold["feedback"]}) != len(gold["feedback"]):
        errors.append("feedback: a position twice")
    if "question" in gold:
        q = gold["question"]
        if (
            not isinstance(q, dict)
            or set(q) != {"aspect", "target", "qualifier"}
            or q["aspect"] not in ASPECTS
        ):
            errors.append(f"question: {q!r}")
        else:
            errors += _check_ref(q["target"], shown, titles, "question.target")
            if q["aspect"] == "content" and q["qualifier"] not in QUALIFIER_NAMES:
                errors.append(f"question: a content question without a known qualifier {q!r}")
            if q["aspect"] != "content" and q["qualifier"] is not None:
                errors.append(f"question: a qualifier on a {q['aspect']} question")
    if gold.get("intent") == "item_question" and "question" not in gold:
        errors.append("item_question without question")
    for entry in gold.get("lasting", []):
        slot, _, value = entry.partition(":")
        if slot not in LASTING_SLOTS:
            errors.append(f"lasting: slot {slot!r}")
        elif (
            slot in gold
            and str(gold[slot]) != value
            and value not in (gold[slot] if isinstance(gold[slot], list) else [])
        ):
            errors.append(f"lasting: {entry!r} is not a value of the reading")
        elif slot not in gold:
            errors.append(f"lasting: {entry!r} names a slot the reading does not set")
    return errors


def test_files_have_enough_utterances_in_every_category() -> None:
    """At least 400 utterances; every category in both splits; dev is the larger split."""
    dev, test = _splits()["dev"], _splits()["test"]
    assert len(dev) + len(test) >= 400
    assert len(dev) > len(test)
    for split in (dev, test):
        assert {item["category"] for item in split} == CATEGORIES


def test_lines_follow_the_schema() -> None:
    """Keys, category, text, shown and gold of every line are valid (all problems listed at once)."""
    titles = _catalog()[0]
    problems: list[str] = []
    for item in _all():
        where = item.get("id", "?")
        keys = set(item)
        if not {"id", "category", "text", "gold"} <= keys <= {"id", "category", "text", "shown", "gold"}:
            problems.append(f"{where}: keys {sorted(keys)}")
            continue
        if item["category"] not in CATEGORIES:
            problems.append(f"{where}: category {item['category']!r}")
        if not isinstance(item["text"], str) or not item["text"].strip():
            problems.append(f"{where}: empty text")
        shown = item.get("shown", [])
        if "shown" in item and (not isinstance(shown, list) or not shown):
            problems.append(f"{where}: shown must be a non-empty list when present")
        problems += [f"{where}: shown: unknown title {t!r}" for t in shown if t not in titles]
        problems += [f"{where}: {e}" for e in _check_gold(item["gold"], shown)]
    assert not problems, "\n".join(problems)


def test_ids_unique_and_splits_disjoint() -> None:
    """Ids are unique over both files; no text (case and spaces folded) is in both dev and test."""
    items = _all()
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids))

    def fold(text: str) -> str:
        return " ".join(text.lower().split())

    dev = {fold(i["text"]) for i in _splits()["dev"] + _splits()["dev2"]}
    test = {fold(i["text"]) for i in _splits()["test"]}
    assert not dev & test
    pairs = [(fold(i["text"]), tuple(i.get("shown", []))) for i in items]
    assert len(pairs) == len(set(pairs)), "the same text with the same shown list twice"


@pytest.mark.parametrize(
    ("gold", "shown", "expected"),
    [
        ({"intent": "recommend", "like": ["Heat (1995)"], "year_min": 1996}, [], []),
        ({"intent": "recommend", "like": ["Heat (1994)"]}, [], ["like: unknown title 'Heat (1994)'"]),
        ({"intent": "feedback", "feedback": [{"position": 3, "sentiment": "seen"}]}, ["Heat (1995)"],
         ["feedback: position 3 outside shown (1)"]),
        ({"intent": "recommend", "genres_include": ["scary"]}, [], ["genres_include: not a genre 'scary'"]),
        ({"intent": "recommend", "genres_exclude": ["horror"], "lasting": ["genres_include:horror"]}, [],
         ["lasting: 'genres_include:horror' names a slot the reading does not set"]),
    ],
)  # fmt: skip
def test_the_checker_catches_bad_readings(
    gold: dict[str, Any], shown: list[str], expected: list[str]
) -> None:
    """The checks above are not vacuous."""
    assert _check_gold(gold, shown) == expected
