"""The understanding benchmark: the scorer on hand-computed cases, ParsedTurn -> pairs, REDIAL stance on real
REDIAL dialogs with a fixed parser, and ``crsagent eval nlu`` end to end on a tiny gold file."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.state import ParsedTurn, Sentiment, ShownFeedback, Span, TitleMention
from eval.nlu.gold import GoldError, GoldUtterance, TitleResolver, load_gold
from eval.nlu.pairs import PairBuilder
from eval.nlu.run import NluOptions, score_split
from eval.nlu.stance import collect, stance_metrics
from eval.nlu.validate import check_all, check_gold
from tools.catalog import Catalog, read_catalog_file
from tools.grounding import Grounder
from tools.settings import PACKAGED_DATA_DIR

FIXTURES = Path(__file__).parent / "fixtures"
TINY = FIXTURES / "nlu_tiny.jsonl"
MATRIX, MATRIX_TWIN = 525, 3375  # The Matrix (1999), twice in the catalog
PARASITE_1982, PARASITE_2019 = 7408, 7409
STAR_WARS = 1265


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    """The shipped catalog, in memory (no database)."""
    return Catalog.from_items(read_catalog_file(PACKAGED_DATA_DIR / "catalog.jsonl.gz"))


@pytest.fixture(scope="module")
def builder(catalog: Catalog) -> PairBuilder:
    return PairBuilder(TitleResolver(catalog))


def test_catalog_ids_of_the_fixture(catalog: Catalog) -> None:
    assert catalog.get(MATRIX).display == catalog.get(MATRIX_TWIN).display == "The Matrix (1999)"  # type: ignore[union-attr]
    assert catalog.get(PARASITE_2019).display == "Parasite (2019)"  # type: ignore[union-attr]
    assert catalog.get(STAR_WARS).display == "Star Wars (1977)"  # type: ignore[union-attr]


#: the fixed readings of the six fixture utterances (what a parser "said")
def _fixed(text: str, shown: Sequence[int]) -> ParsedTurn:
    if text == "more like the second one":
        return ParsedTurn(intent="more", anchor_item=shown[1])
    return {
        "I loved The Matrix, anything from the 90s?": ParsedTurn(
            mentions=[TitleMention(item_id=MATRIX_TWIN, sentiment="like")], year_min=1990, year_max=1999
        ),
        "I hate horror movies. I love Tom Hanks.": ParsedTurn(
            genres_exclude=["horror"],
            people_exclude=["Tom Hanks"],
            spans=[Span(slot="genres_exclude", value="horror", text="I hate horror movies", lasting=True)],
        ),
        "is the second one scary?": ParsedTurn(
            intent="item_question",
            question_item=PARASITE_2019,
            question_aspect="content",
            question_qualifier="scary",
        ),
        "thanks!": ParsedTurn(),
        "something like Parasite but not too violent": ParsedTurn(
            mentions=[TitleMention(item_id=PARASITE_1982, sentiment="like")], qualifiers_less=["violence"]
        ),
    }[text]


def test_scorer_on_hand_computed_cases(builder: PairBuilder) -> None:
    utterances = load_gold(TINY, "tiny")
    result = score_split(utterances, {"fixed": _fixed}, builder)["fixed"]
    # gold pairs: 4 + 5 + 2 + 2 + 1 + 3 = 17. Right: t-001 all 4 (the Matrix twin counts), t-002 intent,
    # genres_exclude, lasting genres_exclude (3), t-003 anchor #2 (1), t-004 both (2), t-006 intent and
    # qualifiers_less (2) = 12. Extra: people_exclude, intent more, intent recommend, like Parasite (1982) = 4.
    # Missed: people_include, lasting people_include, intent recommend, intent chitchat, like Parasite (2019) = 5.
    o = result["overall"]
    assert (o["tp"], o["fp"], o["fn"], o["n"]) == (12, 4, 5, 6)
    assert o["precision"] == pytest.approx(12 / 16, abs=1e-4)
    assert o["recall"] == pytest.approx(12 / 17, abs=1e-4)
    assert o["f1"] == pytest.approx(24 / 33, abs=1e-4)
    assert o["exact_match"] == pytest.approx(2 / 6, abs=1e-4)  # t-001 and t-004
    s = result["slots"]
    assert (s["intent"]["tp"], s["intent"]["fp"], s["intent"]["fn"]) == (4, 2, 2)
    assert s["intent"]["precision"] == pytest.approx(4 / 6, abs=1e-4)
    assert s["lasting"] == {
        "precision": 1.0,
        "recall": 0.5,
        "f1": pytest.approx(2 / 3, abs=1e-4),
        "tp": 1,
        "fp": 0,
        "fn": 1,
    }
    assert s["like"]["f1"] == pytest.approx(0.5, abs=1e-4) and s["people_include"]["f1"] == 0.0
    assert s["anchor"]["f1"] == s["question"]["f1"] == s["year_min"]["f1"] == 1.0
    neg = result["categories"]["negation_scope"]
    assert (neg["tp"], neg["fp"], neg["fn"]) == (3, 1, 2) and neg["f1"] == pytest.approx(2 / 3, abs=1e-4)
    assert result["categories"]["single_clause"]["exact_match"] == 1.0
    errors = {e["id"]: e for e in result["errors"]}
    assert set(errors) == {"t-002", "t-003", "t-005", "t-006"}
    assert errors["t-006"]["missing"] == ["like: Parasite (2019)"]
    assert errors["t-006"]["extra"] == ["like: Parasite (1982)"]
    assert errors["t-002"]["missing"] == ["lasting: people_include:tom hanks", "people_include: tom hanks"]


def test_parsed_turn_to_pairs(builder: PairBuilder) -> None:
    shown = [5228, STAR_WARS]  # Heat (1995), Star Wars (1977)
    parsed = ParsedTurn(
        intent="feedback",
        mentions=[
            TitleMention(item_id=MATRIX_TWIN, sentiment="dislike"),
            TitleMention(item_id=PARASITE_2019, sentiment="neutral"),
        ],
        shown_feedback=[ShownFeedback(position=2, sentiment="seen")],
        genres_include=["Comedy"],
        people_include=["Christopher  Nolan"],
        min_rating=7,
        runtime_max=120,
        language="EN",
        countries=["South Korea"],
        avoid_popular=True,
        anchor_item=6724,  # the twin of Star Wars (1977), shown second
        question_item=MATRIX,
        question_aspect="director",
        spans=[
            Span(slot="people_include", value="Christopher Nolan", text="I love Nolan", lasting=True),
            Span(slot="dislike", value="The Matrix", text="I hate The Matrix", lasting=True),
            Span(slot="genres_include", value="comedy", text="a comedy", lasting=False),
        ],
    )
    assert builder.parsed_pairs(parsed, shown) == {
        ("intent", "feedback"),
        ("dislike", f"item:{MATRIX}"),
        ("neutral", f"item:{PARASITE_2019}"),
        ("feedback", "2:seen"),
        ("genres_include", "comedy"),
        ("people_include", "christopher nolan"),
        ("min_rating", "7"),
        ("runtime_max", "120"),
        ("language", "en"),
        ("countries", "south korea"),
        ("avoid_popular", "true"),
        ("anchor", "#2"),
        ("question", f"director@item:{MATRIX}"),
        ("lasting", "people_include:christopher nolan"),
    }
    gold = {
        "intent": "feedback",
        "dislike": ["The Matrix (1999)"],
        "neutral": ["Parasite (2019)"],
        "feedback": [{"position": 2, "sentiment": "seen"}],
        "genres_include": ["comedy"],
        "people_include": ["Christopher Nolan"],
        "min_rating": 7.0,
        "runtime_max": 120,
        "language": "en",
        "countries": ["South Korea"],
        "avoid_popular": True,
        "anchor": "Star Wars (1977)",  # a title that is shown counts as its position
        "question": {"aspect": "director", "target": "The Matrix (1999)", "qualifier": None},
        "lasting": ["people_include:Christopher Nolan"],
    }
    assert builder.gold_pairs(gold, shown) == builder.parsed_pairs(parsed, shown)
    assert builder.describe(("question", f"director@item:{MATRIX}")) == "question: director@The Matrix (1999)"
    assert builder.describe(("question", "content@#2:scary")) == "question: content@#2:scary"


def test_unknown_gold_title_can_only_be_missed(builder: PairBuilder) -> None:
    pairs = builder.gold_pairs({"like": ["No Such Film (1901)"]}, [])
    assert ("like", "title:No Such Film (1901)") in pairs
    assert "No Such Film (1901)" in builder.resolver.unresolved
    assert builder.shown_ids(["Heat (1995)", "No Such Film (1901)"]) == [5228, -2]


def test_gold_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"id": "a", "text": "x", "gold": {}}\n{"id": "a", "text": "y", "gold": {}}\n', encoding="utf-8"
    )
    with pytest.raises(GoldError, match="duplicate id"):
        load_gold(bad)
    bad.write_text('{"id": "a", "text": "x"}\n', encoding="utf-8")
    with pytest.raises(GoldError, match="'gold' object"):
        load_gold(bad)
    with pytest.raises(GoldError, match="not found"):
        load_gold(tmp_path / "none.jsonl")
    with pytest.raises(GoldError, match="unknown split"):
        NluOptions(split="train").files()
    assert NluOptions(data=TINY).files() == [("tiny", TINY)]


def test_gold_checks() -> None:
    assert check_all(load_gold(TINY)) == []
    bad = GoldUtterance(
        id="x",
        category="nope",
        text="t",
        shown=("Heat (1995)",),
        gold={
            "intent": "ask",
            "genres_include": ["comedies"],
            "qualifiers_less": ["gory"],
            "countries": ["Korea"],
            "language": "English",
            "anchor": "#2",
            "feedback": [{"position": 3, "sentiment": "like"}],
            "question": {"aspect": "content", "target": "#1", "qualifier": "spooky"},
            "lasting": ["genres_exclude:horror"],
            "mood": "happy",
        },
    )
    assert check_gold(bad) == [
        "unknown category 'nope'",
        "unknown key 'mood'",
        "unknown intent 'ask'",
        "genres_include: 'comedies' is not a genre",
        "qualifiers_less: 'gory' is not a qualifier",
        "countries: 'Korea' is not a known country name",
        "language: 'English' is not an ISO 639-1 code",
        "anchor '#2' is past the 1 shown",
        "feedback {'position': 3, 'sentiment': 'like'} is past the 1 shown",
        "question qualifier 'spooky' is not a qualifier",
        "lasting 'genres_exclude:horror': the reading has no genres_exclude 'horror'",
    ]


def test_redial_stance_on_real_dialogs(catalog: Catalog) -> None:
    """Two REDIAL train dialogs (600, 4218) with a fixed keyword parser over real grounding."""
    grounder = Grounder(catalog)

    def parse(text: str) -> ParsedTurn:
        low = text.lower()
        sentiment: Sentiment = "neutral"
        if " not " in low and "havent seen" not in low:
            sentiment = "dislike"
        elif "like" in low and "havent seen" not in low:
            sentiment = "like"
        found = grounder.find_titles(text)
        return ParsedTurn(
            mentions=[TitleMention(item_id=m.match.item_id, sentiment=sentiment) for m in found]
        )

    records = collect(FIXTURES / "redial_stance" / "test_data.jsonl", parse, catalog, grounder)
    got = {r["movie"]: (r["liked"], r["stance"]) for r in records}
    assert got == {
        "The Devil's Advocate (1997)": (1, "like"),
        "John Wick (2014)": (1, "neutral"),  # "and also in John Wick": no stance word in its own message
        "Point Break (1991)": (0, "dislike"),
        "Airplane! (1980)": (1, "like"),
        "The Little Hours": (2, "neutral"),
        "Wedding Crashers (2005)": (1, "like"),
    }
    m = stance_metrics(records)
    assert (m["n_mentions"], m["n_scored"], m["n_unmapped"], m["n_not_grounded"]) == (6, 6, 0, 0)
    b = m["liked_binary"]
    assert b["n"] == 5 and b["accuracy"] == 0.8 and b["majority_baseline"] == 0.8
    assert b["balanced_accuracy"] == pytest.approx((3 / 4 + 1) / 2, abs=1e-4)
    assert m["confusion"] == {
        "like": {"like": 3, "dislike": 0, "neutral": 1},
        "dislike": {"like": 0, "dislike": 1, "neutral": 0},
        "neutral": {"like": 0, "dislike": 0, "neutral": 1},
    }
    # F1: like 2*1*.75/1.75 = 6/7, dislike 1, neutral 2*.5*1/1.5 = 2/3
    assert m["liked_3class"]["macro_f1"] == pytest.approx((6 / 7 + 1 + 2 / 3) / 3, abs=1e-3)
    assert m["seen"]["n"] == 6 and m["seen"]["accuracy"] == pytest.approx(5 / 6, abs=1e-4)
    assert (
        len(collect(FIXTURES / "redial_stance" / "test_data.jsonl", parse, catalog, grounder, limit=1)) == 3
    )


@pytest.mark.shared_data
def test_eval_nlu_command_end_to_end(built_home: Path, tmp_path: Path) -> None:
    from ui.cli.main import app

    out = tmp_path / "nlu"
    env = {
        "CRSAGENT_HOME": str(built_home),
        "CRSAGENT_LLM": "offline",
        "DATABASE_URL": None,
        "CHROMA_URL": None,
    }
    args = [
        "eval",
        "nlu",
        "--data",
        str(TINY),
        "--out",
        str(out),
        "--redial",
        str(FIXTURES / "redial_stance"),
    ]
    result = CliRunner().invoke(app, [*args, "--json"], env=env)
    assert result.exit_code == 0, result.output[-2000:]
    printed = json.loads(result.stdout.strip().splitlines()[-1])
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert printed["parsers"] == metrics["parsers"] == ["rules"]
    rules = metrics["splits"]["tiny"]["parsers"]["rules"]
    assert rules["overall"]["n"] == 6 and 0.0 <= rules["overall"]["f1"] <= 1.0
    assert (
        rules["overall"]["tp"] + rules["overall"]["fn"] == 17
    )  # the gold side does not depend on the parser
    assert printed["splits"]["tiny"]["parsers"]["rules"]["n_errors"] == len(rules["errors"])
    assert metrics["redial"]["parsers"]["rules"]["n_mentions"] == 6
    assert metrics["gold_warnings"] == [] and metrics["unresolved_titles"] == []
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "### Per slot type" in report and "### Per category" in report and "Stance on REDIAL" in report
    table = CliRunner().invoke(app, args, env=env)
    assert table.exit_code == 0 and "exact match: rules" in table.stdout
    bad = CliRunner().invoke(app, ["eval", "nlu", "--split", "train"], env=env)
    assert bad.exit_code == 2 and "unknown split" in bad.output
