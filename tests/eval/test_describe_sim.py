"""The describe simulated user (eval/describe.py) and its metrics in eval/simulate.py.

Unit tests use a tiny hand-made item whose plot names its director, a star and a title word, a small plot
vocabulary and a stub agent; one integration test runs ``run_simulation(simulator="describe")`` on two REDIAL
test targets through the real agent on the built home.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from eval.datasets import MovieRef
from eval.describe import (
    DescribeSimulator,
    banned_words,
    choose_clues,
    common_words,
    describe_profile,
)
from eval.simulate import SimOptions, Target, run_simulation, simulate_dialogue, summarize
from eval.simulators import LeakFilter, split_sentences
from tools.catalog import Item

PLOT = (
    "Clara Voss directs Jake Morrow as a weary harbor smuggler in Boston whose midnight deals with a corrupt "
    "customs officer unravel when a reed basket weaver, played by Nina Hale, finds a stolen ledger. "
    "morrow and voss and hale are also lower-case words here, as are midnight, harbor and reed."
)
TARGET = Item(
    1,
    "Midnight Harbor",
    1994,
    ("drama", "crime"),
    ("Clara Voss",),
    ("Tom Reed",),
    ("Jake Morrow", "Nina Hale"),
    PLOT,
    ("harbor smuggling", "corrupt officer", "hale family", "boston", "stolen ledger", "drama"),
)
#: Every word that names the title or a person of TARGET, and the proper noun of its plot.
FORBIDDEN = {"midnight", "harbor", "clara", "voss", "tom", "reed", "jake", "morrow", "nina", "hale", "boston"}


def _vocab() -> Any:
    """Every word of the plot is "common" (three lower-case plots hold it), each in 1% of 303 plots; the
    names are only kept out by the ban, not by the vocabulary."""
    lower = PLOT.lower() + " smuggling family officer"
    return common_words([lower] * 3 + [f"filler text number {i}" for i in range(300)])


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def _filler(i: int, year: int = 1994, genres: tuple[str, ...] = ("drama",)) -> dict[str, Any]:
    return {"id": 100 + i, "title": f"Filler {i}", "year": year, "genres": list(genres)}


# --------------------------------------------------------------------------------------------- profile


def test_profile_keeps_plot_words_but_no_title_word_and_no_name() -> None:
    vocab = _vocab()
    assert {"voss", "morrow", "harbor", "reed"} <= set(vocab.df)  # they are ordinary words to the vocabulary
    assert FORBIDDEN - {"boston"} <= banned_words(TARGET)
    profile = describe_profile(TARGET, vocab)
    assert profile.directors == () and profile.stars == ()
    assert profile.genres == ("drama", "crime") and profile.decade == 1990
    clues = list(profile.keywords)
    assert clues and "corrupt customs officer" in clues and "stolen ledger" in clues
    for clue in clues:
        assert not _words(clue) & FORBIDDEN, clue
        assert "drama" not in _words(clue)  # a genre word would turn into a genre filter
    assert choose_clues(TARGET, vocab, limit=2) == clues[:2]


def test_describe_simulator_never_says_the_title_or_a_name_over_five_turns() -> None:
    sim = DescribeSimulator(describe_profile(TARGET, _vocab()), "Jake Morrow was great in Midnight Harbor")
    said = [sim.opening()]
    replies = [
        "Here are a few picks:\n1. Filler (1994)\nWhat are you in the mood for? Tell me a genre, a movie you "
        "loved, or an actor or director you like.",
        "I couldn't find a movie that fits all of that (with Clara Voss). Could you relax one of the constraints?",
        "Some ideas:",
        "Try one of these:",
    ]
    for n, reply in enumerate(replies):
        shown = [] if "relax" in reply else [_filler(n * 10 + i) for i in range(5)]
        said.append(sim.respond(shown, reply))
    flt = LeakFilter(TARGET.title, TARGET.year)
    for turn in said:
        assert turn.text.strip() and not turn.accept
        assert not _words(turn.text) & FORBIDDEN, turn.text
        assert not any(flt.leaks(s) for s in split_sentences(turn.text))
        assert turn.leaked == 0


def test_describe_simulator_rejects_wrong_items_and_adds_one_clue_a_turn() -> None:
    sim = DescribeSimulator(describe_profile(TARGET, _vocab()), seed=3)
    opening = sim.opening()
    assert "drama" in opening.text and "genre:drama" in opening.volunteered
    told = set(opening.volunteered)
    for turn in range(4):
        said = sim.respond([_filler(turn * 10 + i) for i in range(5)], "Some ideas:")
        assert not said.accept
        assert said.text.startswith(("None of these", "No, none of those")), said.text
        new = [v for v in said.volunteered if v.split(":")[0] in ("genre", "decade", "clue")]
        assert len(new) == 1 and new[0] not in told, said.volunteered
        told.add(new[0])
    # too-old items: the decade is the reason, and a clue (not the decade again) is added
    sim = DescribeSimulator(describe_profile(TARGET, _vocab()))
    sim.opening()
    old = sim.respond([_filler(i, year=1950) for i in range(5)], "Here you go.")
    assert "90s" in old.text and "decade:90s" in old.volunteered
    assert sum(v.startswith("decade") for v in old.volunteered) == 1
    # the target shown third: accepted by position, never by title
    yes = sim.respond([_filler(1), _filler(2), {"id": 1, "title": "Midnight Harbor", "year": 1994}], "")
    assert yes.accept and "third" in yes.text and "Harbor" not in yes.text


def test_describe_simulator_answers_questions_from_what_it_knows() -> None:
    sim = DescribeSimulator(describe_profile(TARGET, _vocab()))
    sim.told.update(e for e in sim.agenda if e[0] == "genre")  # every genre told already
    said = sim.respond(
        [_filler(1)],
        "Here are a few picks.\nIs there a movie you loved recently, or an actor or director you like?",
    )
    assert "remember" in said.text and "similar movie" in said.text and not said.accept
    asked = DescribeSimulator(describe_profile(TARGET, _vocab()))
    asked.told.update(e for e in asked.agenda if e[0] == "genre" and e[1] == "drama")
    answer = asked.respond([_filler(3)], "Some picks. What kind of movie are you in the mood for?")
    assert "genre:crime" in answer.volunteered  # the genre question gets the genre still untold


# ---------------------------------------------------------------------------------------------- dialogue


class _Agent:
    """A stub agent that shows five new wrong items each turn, or the target from ``hit_turn`` on."""

    def __init__(self, hit_turn: int | None = None) -> None:
        self.hit_turn = hit_turn
        self.messages: list[str] = []
        self.items = {TARGET.id: TARGET, **{100 + i: Item(100 + i, f"Filler {i}", 1994) for i in range(60)}}
        self.toolkit = SimpleNamespace(catalog=SimpleNamespace(items=self.items, with_twins=set))
        self.context = SimpleNamespace(grounder=None)

    def run_turn(self, state: Any, message: str, *, role: str = "user", universe: Any = None) -> Any:
        self.messages.append(message)
        n = len(self.messages)
        ids = [100 + 5 * n + i for i in range(5)]
        if self.hit_turn is not None and n >= self.hit_turn:
            ids[1] = TARGET.id
        items = [{"id": i, "title": self.items[i].title, "year": 1994, "genres": ["drama"]} for i in ids]
        result = SimpleNamespace(
            items=items, reply="Some ideas:", ranking=ids, llm_calls=0, latency_ms=1.0, error=None, state={}
        )
        return {"turn": n}, result


def _target() -> Target:
    return Target("d1", TARGET.id, MovieRef("Midnight Harbor", 1994), "I loved Midnight Harbor", "liked")


def test_describe_dialogue_stops_after_five_turns_and_on_success() -> None:
    agent = _Agent()
    rec = simulate_dialogue(agent, _target(), simulator="describe", max_turns=5, vocab=_vocab())  # type: ignore[arg-type]
    assert len(agent.messages) == 5 and rec["agent_turns"] == 5
    assert not rec["success"] and rec["turns"] == 6 and rec["simulator"] == "describe"
    assert rec["attributes"]["directors"] == [] and rec["attributes"]["stars"] == []
    assert all(not _words(m) & FORBIDDEN for m in agent.messages)
    assert all(m.startswith(("None of these", "No, none of those")) for m in agent.messages[1:])
    hit = simulate_dialogue(_Agent(hit_turn=3), _target(), simulator="describe", vocab=_vocab())  # type: ignore[arg-type]
    assert hit["success"] and hit["success_turn"] == 3 and hit["transcript"][-1]["accept"]
    summary, details = summarize([rec, hit], max_turns=5)
    assert summary["success_rate"] == 0.5
    assert details["sr_rdl"] == {"sr": 0.5, "rdl": round((1 / 3) / 2, 4), "sr@1": 0.0, "rdl@1": 0.0}
    assert details["breakdown"]["by_genres"] == {"2": {"n": 2, "success_rate": 0.5}}


def test_sr_and_rdl_follow_reward_over_dialogue_length() -> None:
    def rec(turn: int | None, position: int = 1) -> dict[str, Any]:
        transcript = [{"role": "assistant", "turn": turn, "target_position": position}] if turn else []
        return {"success": turn is not None, "success_turn": turn, "transcript": transcript, "attributes": {}}

    _, details = summarize([rec(1), rec(2, position=4), rec(4), rec(None)], max_turns=5)
    assert details["sr_rdl"]["sr"] == 0.75
    assert details["sr_rdl"]["rdl"] == pytest.approx((1 + 1 / 2 + 1 / 4) / 4, abs=1e-4)
    assert details["sr_rdl"]["sr@1"] == 0.5
    assert details["sr_rdl"]["rdl@1"] == pytest.approx((1 + 1 / 4) / 4, abs=1e-4)


# -------------------------------------------------------------------------------------------- end to end


@pytest.mark.shared_data
@pytest.mark.slow
def test_describe_simulation_end_to_end(
    service: Any, settings: Any, shared_data: Path, tmp_path: Path
) -> None:
    opts = SimOptions(
        dataset="redial",
        data_dir=shared_data / "redial",
        simulator="describe",
        n=2,
        out=tmp_path / "describe",
    )
    summary = run_simulation(opts, settings, runner=service.runner)
    assert summary["n_dialogues"] == 2 and summary["leak_rate"] == 0.0
    details = json.loads((opts.out / "details.json").read_text())
    assert set(details["sr_rdl"]) == {"sr", "rdl", "sr@1", "rdl@1"}
    assert details["sr_rdl"]["sr"] == summary["success_rate"]
    assert "by_popularity_rank" in details["breakdown"]
    assert "RDL" in (opts.out / "report.md").read_text()
    catalog = service.toolkit.catalog
    for path in (opts.out / "dialogues").glob("*.json"):
        rec = json.loads(path.read_text())
        item = catalog.items[rec["target"]["id"]]
        assert isinstance(rec["target"]["popularity_rank"], int)
        attributes = rec["attributes"]
        assert attributes["directors"] == [] and attributes["stars"] == []
        banned = banned_words(item)
        assert all(not set(clue.split()) & banned for clue in attributes["keywords"])
        users = [t for t in rec["transcript"] if t["role"] == "user"]
        assert 1 <= len(users) <= 6 and rec["agent_turns"] <= 5
        people = [p.lower() for p in (*item.directors, *item.writers, *item.stars)]
        for turn in users:
            assert not any(p in turn["text"].lower() for p in people), turn["text"]
            assert not any(LeakFilter(item.title, item.year).leaks(s) for s in split_sentences(turn["text"]))
