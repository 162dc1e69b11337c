"""The explanation audit's checker on hand-made claims, true and false; the reply-line check; the summary."""

from __future__ import annotations

from pathlib import Path

from agent.state import Preferences, Reason, ShownItem
from eval.explain import AuditData, ClaimCheck, TurnView, check_reason, reply_lists_items, summarize
from tests.agent import reasons_catalog as rc
from tools.hard_filter import Constraints

DATA = AuditData(catalog=rc.catalog(), knn=rc.knn())


def _check(item_id: int, reason: Reason, prefs: Preferences | None = None, said=(), facts=()):  # type: ignore[no-untyped-def]
    view = TurnView(prefs=prefs or Preferences(), user_messages=list(said), facts=list(facts))
    return check_reason(reason, DATA.catalog.items[item_id], DATA, view)


def test_collaborative_claims() -> None:
    liked = Preferences(liked=[rc.NOTEBOOK])
    fans = Reason(kind="fans_of", text="fans of The Notebook (2004) liked it too", items=[rc.NOTEBOOK])
    assert _check(rc.TITANIC, fans, liked)[0]
    ok, detail, same = _check(rc.VOW, fans, liked)  # similarity below the threshold
    assert not ok and "not a collaborative neighbour" in detail and not same
    ok, detail, same = _check(rc.NOTEBOOK_2013, fans, liked)  # the namesake, however close in the model
    assert not ok and same and "shares the title" in detail
    assert not _check(rc.TITANIC, fans, Preferences())[0]  # the user never liked it
    wrong_name = Reason(kind="fans_of", text="fans of Heat (1995) liked it too", items=[rc.NOTEBOOK])
    assert not _check(rc.TITANIC, wrong_name, liked)[0]


def test_people_genre_and_asked_claims() -> None:
    heat = Preferences(liked=[rc.HEAT])
    director = Reason(
        kind="same_director",
        text="by Michael Mann, like Heat (1995)",
        items=[rc.HEAT],
        values=["director:Michael Mann"],
    )
    assert _check(rc.COLLATERAL, director, heat)[0]
    assert not _check(rc.TITANIC, director, heat)[0]
    asked = Preferences(constraints=Constraints(genres_include=["comedy"], year_min=1990, year_max=1999))
    decade = Reason(
        kind="asked", text="a 90s comedy, as you asked", values=["genre:comedy", "years:1990-1999"]
    )
    assert _check(rc.DOUBTFIRE, decade, asked)[0]
    assert not _check(rc.HEAT, decade, asked)[0]  # not a comedy
    assert not _check(rc.DOUBTFIRE, decade, Preferences())[0]  # nobody asked
    says_less = Reason(
        kind="asked", text="a comedy, as you asked", values=["genre:comedy", "years:1990-1999"]
    )
    assert not _check(rc.DOUBTFIRE, says_less, asked)[0]  # the text does not say what the evidence claims
    quoted = Reason(
        kind="asked", text='a comedy, you said "funny stuff"', values=["genre:comedy"], quote="funny stuff"
    )
    assert _check(rc.DOUBTFIRE, quoted, asked, said=["some funny stuff please"])[0]
    assert not _check(rc.DOUBTFIRE, quoted, asked, said=["a comedy"])[0]
    genres = Reason(kind="genres", text="crime/drama", values=["genre:crime", "genre:drama"])
    assert _check(rc.HEAT, genres)[0] and not _check(rc.TITANIC, genres)[0]


def test_memory_and_plot_claims() -> None:
    fact = {
        "fact_id": "f1",
        "text": "dislikes horror",
        "key": "genre:horror",
        "polarity": -1,
        "use": "exclude",
    }
    mem = Reason(
        kind="memory",
        text='no horror (from earlier: "dislikes horror")',
        values=["no_genre:horror"],
        quote="dislikes horror",
        fact_id="f1",
    )
    assert _check(rc.HEAT, mem, facts=[fact])[0]
    assert not _check(rc.PSYCHO, mem, facts=[fact])[0]  # Psycho is horror
    assert not _check(rc.HEAT, mem)[0]  # not recalled this turn
    # "as you asked" for an exclusion that only memory knows is false
    prefs = Preferences(constraints=Constraints(genres_exclude=["horror"]))
    asked = Reason(kind="asked", text="no horror, as you asked", values=["no_genre:horror"])
    assert not _check(rc.HEAT, asked, prefs, said=["a crime movie"], facts=[fact])[0]
    assert _check(rc.HEAT, asked, prefs, said=["no horror"], facts=[fact])[0]
    plot = Reason(kind="plot", text="After a bitter divorce, an actor disguises himself")
    assert _check(rc.DOUBTFIRE, plot)[0] and not _check(rc.JUMANJI, plot)[0]


def test_reply_lines_and_summary() -> None:
    shown = [
        ShownItem(id=rc.DOUBTFIRE, title="Mrs. Doubtfire", year=1993),
        ShownItem(id=rc.JUMANJI, title="Jumanji", year=1995),
    ]
    assert reply_lists_items("Picks:\n1. Mrs. Doubtfire (1993) — comedy\n2. Jumanji (1995)", shown) == []
    assert reply_lists_items("Picks:\n2. Jumanji (1995)", shown) == [1]
    checks = [
        ClaimCheck("redial:1:0", 1, "A", "fans_of", "x", True),
        ClaimCheck("redial:1:0", 1, "A", "fans_of", "y", False, "no", same_title=True),
        ClaimCheck("newcomer:a:0", 2, "B", "reply_line", "1.", True),
    ]
    summary = summarize(checks)
    assert summary["n_claims"] == 2 and summary["claims_true_rate"] == 0.5
    assert summary["by_kind"]["fans_of"] == {"total": 2, "true": 1, "rate": 0.5}
    assert summary["same_title_citations"] == 1 and len(summary["false"]) == 1
    assert summary["sources"] == {"redial": 1, "newcomer": 1}


def test_cli_bad_input_is_one_line_exit_2(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from ui.cli.main import app

    runner = CliRunner()
    result = runner.invoke(app, ["eval", "explain", "--n", "0"])
    assert result.exit_code == 2 and "--n must be >= 1" in result.output
    result = runner.invoke(app, ["eval", "explain", "--data-dir", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "not found" in result.output
    result = runner.invoke(app, ["eval", "redial"])
    assert result.exit_code == 2 and "--data-dir is required" in result.output
