"""Dataset loaders on tiny real-format excerpts (see fixtures/README.md), plus the real files when present."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.datasets import (
    DatasetError,
    Dialog,
    MovieRef,
    Sample,
    Utterance,
    iter_samples,
    load_inspired_tsv,
    load_inspired_unicrs,
    load_redial,
    parse_title_year,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REDIAL_TRAIN = FIXTURES / "redial_train_excerpt.jsonl"
REDIAL_IEVALM = FIXTURES / "redial_ievalm_excerpt.jsonl"
INSPIRED_TSV = FIXTURES / "inspired_dev_excerpt.tsv"
INSPIRED_UNICRS = FIXTURES / "inspired_unicrs_train_excerpt.jsonl"
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def _roles(dialog: Dialog) -> str:
    return "".join("R" if u.role == "recommender" else "S" for u in dialog.utterances)


def _summary(samples: list[Sample]) -> list[tuple[str, int, str, bool]]:
    return [(s.dialog_id, s.turn_index, s.gold.label, s.gold_in_context) for s in samples]


# ---------------------------------------------------------------------------------------------- helpers


def test_parse_title_year() -> None:
    assert parse_title_year("Scarface  (1983)") == ("Scarface", 1983)
    assert parse_title_year("The Godfather ") == ("The Godfather", None)
    assert parse_title_year(" Saving Private Ryan (1998)") == ("Saving Private Ryan", 1998)


def test_movie_ref_key_and_label() -> None:
    assert MovieRef("Heat", 1995, "123").key == MovieRef("Other", None, "123").key
    assert MovieRef("The Matrix", 1999, None).key == MovieRef("Matrix, The", 1999, None).key
    assert MovieRef("The Matrix", 1999, None).key != MovieRef("The Matrix", 2021, None).key
    assert MovieRef("Heat", 1995, None).label == "Heat (1995)"
    assert MovieRef("South Park", None, "1").label == "South Park"


def test_records_are_frozen() -> None:
    utt = Utterance(role="seeker", text="hi", movies=())
    with pytest.raises(AttributeError):
        utt.text = "changed"  # type: ignore[misc]


# ----------------------------------------------------------------------------------------------- REDIAL


def test_redial_official_format() -> None:
    dialogs = load_redial(REDIAL_TRAIN)
    assert [d.dialog_id for d in dialogs] == ["6556", "14479"]
    assert {d.dataset for d in dialogs} == {"redial"}

    first, second = dialogs
    # 11 messages -> 7 utterances: the recommender's 3 + 3 consecutive messages are merged.
    assert _roles(first) == "RSRSRSR"
    merged = first.utterances[4]
    assert merged.text == (
        "Rom-Coms, you got it Have you seen How to Lose a Guy in 10 Days (2003), "
        "When Harry Met Sally... (1989) , Sleepless in Seattle (1993) , or The Break-Up (2006) ? "
        "The Break-Up (2006) is probably my favorite of that group"
    )
    # @157758 is mentioned twice in the merged turn: kept once, in first-mention order.
    assert merged.movies == (
        MovieRef("How to Lose a Guy in 10 Days", 2003, "152847"),
        MovieRef("When Harry Met Sally...", 1989, "132728"),
        MovieRef("Sleepless in Seattle", 1993, "178711"),
        MovieRef("The Break-Up", 2006, "157758"),
    )
    assert (
        first.utterances[6].text
        == "Awesome! Well I think we're done here! THanks for your time and take care"
    )
    # initiatorQuestions is [] here: the seeker's likes come from respondentQuestions instead.
    assert first.liked == frozenset({"152847", "132728", "178711", "157758"})

    assert _roles(second) == "RSRSRSRS"
    # "Walking Tall  (2004)" in movieMentions: the double space is normalised.
    assert second.utterances[3] == Utterance(
        role="seeker",
        text="I have not seen that either, I have seen him Walking Tall (2004) and loved it",
        movies=(MovieRef("Walking Tall", 2004, "194001"),),
    )
    assert "@" not in "".join(u.text for d in dialogs for u in d.utterances)
    # Baywatch: liked=1 in the seeker's form (initiatorQuestions) though 2 in the recommender's.
    assert second.liked == frozenset({"194001", "108273", "83552", "114341", "138881"})


def test_redial_ievalm_variant() -> None:
    (dialog,) = load_redial(REDIAL_IEVALM)
    assert dialog.dialog_id == "16162"
    assert _roles(dialog) == "RSRSRSRSR"
    assert dialog.utterances[1].text == "Hi im looking for a good horroe movie like The Babadook (2014)"
    # movies come from the @-mentions, not from the variant's entity-linked "item" list (which misses one).
    assert [m.source_id for m in dialog.utterances[4].movies] == ["131178", "76012"]
    assert dialog.utterances[4].movies[0] == MovieRef("The Others", 2001, "131178")
    assert len(dialog.liked) == 6


def test_redial_samples() -> None:
    samples = list(iter_samples(load_redial(REDIAL_TRAIN)))
    assert _summary(samples) == [
        ("6556", 4, "How to Lose a Guy in 10 Days (2003)", False),
        ("6556", 4, "When Harry Met Sally... (1989)", False),
        ("6556", 4, "Sleepless in Seattle (1993)", False),
        ("6556", 4, "The Break-Up (2006)", False),
        # Jumanji in the opening recommender turn has no context: no sample.
        ("14479", 2, "Baywatch (2017)", False),
        ("14479", 2, "Tooth Fairy (2004)", False),
        ("14479", 4, "Walking Tall (2004)", True),  # the seeker named it in turn 3
        ("14479", 4, "The Game Plan (2007)", False),
    ]
    sample = samples[4]
    assert len(sample.context) == 2
    assert sample.context[0].movies == (MovieRef("Jumanji", 2017, "83552"),)
    assert len(list(iter_samples(load_redial(REDIAL_IEVALM)))) == 4


def test_redial_unknown_mention_is_left_in_text(tmp_path: Path) -> None:
    line = (
        '{"movieMentions": {"1": "Heat  (1995)"}, "respondentQuestions": [], "initiatorQuestions": [],'
        ' "messages": [{"text": "hi @1 and @2", "senderWorkerId": 7}, {"text": "ok", "senderWorkerId": 8}],'
        ' "conversationId": "9", "respondentWorkerId": 8, "initiatorWorkerId": 7}\n'
    )
    path = tmp_path / "x.jsonl"
    path.write_text(line, encoding="utf-8")
    (dialog,) = load_redial(path)
    assert dialog.utterances[0].text == "hi Heat (1995) and @2"
    assert dialog.utterances[0].movies == (MovieRef("Heat", 1995, "1"),)
    assert dialog.liked == frozenset()


# --------------------------------------------------------------------------------------------- INSPIRED


def test_inspired_tsv() -> None:
    dialogs = load_inspired_tsv(INSPIRED_TSV)
    assert [d.dialog_id for d in dialogs] == ["20191202-032309_51_live.pkl", "20191127-214714_326_live.pkl"]
    assert {d.dataset for d in dialogs} == {"inspired"}
    first, second = dialogs
    # 21 and 27 rows -> 20 utterances each after merging consecutive same-speaker rows.
    assert len(first.utterances) == 20 and len(second.utterances) == 20
    assert _roles(second) == "RS" * 10
    assert first.utterances[10] == Utterance(
        role="recommender", text="ok. I will search pokemon movies", movies=(MovieRef("Pokemon", 1999),)
    )
    assert second.utterances[6].text == (
        "Oh nice - have you seen the movie Amadeus? I watched it recently and I can't stop thinking about it."
    )
    # "The Original (2018);  Dune (1984)": several movies in one cell.
    assert second.utterances[16].movies == (MovieRef("The Original", 2018), MovieRef("Dune", 1984))
    assert first.liked == frozenset() and second.liked == frozenset()


def test_inspired_tsv_samples() -> None:
    samples = list(iter_samples(load_inspired_tsv(INSPIRED_TSV)))
    assert [(s.turn_index, s.gold.label, s.gold_in_context) for s in samples] == [
        (8, "Pokemon (1999)", False),
        (10, "Pokemon (1999)", True),
        (12, "Despicable Me 2 (2013)", False),
        (6, "Amadeus (1984)", False),
        (12, "Interstellar (2014)", False),
        (16, "The Original (2018)", False),
        (16, "Dune (1984)", False),
        (18, "Interstellar (2014)", True),
    ]
    assert sum(not s.gold_in_context for s in samples) == 6
    assert all(len(s.context) == s.turn_index for s in samples)


def test_inspired_tsv_sorts_rows_by_utt_id(tmp_path: Path) -> None:
    header, *rows = INSPIRED_TSV.read_text(encoding="utf-8").splitlines(keepends=True)
    shuffled = tmp_path / "shuffled.tsv"
    shuffled.write_text(header + "".join(reversed(rows)), encoding="utf-8")
    original = load_inspired_tsv(INSPIRED_TSV)
    # dialogs come in order of first appearance, utterances in utt_id order
    assert load_inspired_tsv(shuffled) == original[::-1]


def test_inspired_unicrs() -> None:
    dialogs = load_inspired_unicrs(INSPIRED_UNICRS)
    assert [d.dialog_id for d in dialogs] == ["inspired-train-1", "inspired-train-2"]
    assert [len(d.utterances) for d in dialogs] == [21, 20]
    assert dialogs[0].utterances[5] == Utterance(
        "seeker", "i like marvel movies", (MovieRef("Marvel", 2008),)
    )
    samples = list(iter_samples(dialogs))
    assert _summary(samples) == [
        ("inspired-train-1", 12, "Deadpool (2016)", False),
        ("inspired-train-1", 16, "Deadpool (2016)", True),
        ("inspired-train-2", 8, "The Holiday (2006)", False),
        ("inspired-train-2", 14, "Miracle on 34th Street (1947)", False),
    ]


# ------------------------------------------------------------------------------------------------ errors


@pytest.mark.parametrize("loader", [load_redial, load_inspired_tsv, load_inspired_unicrs])
def test_missing_file(loader, tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(DatasetError, match="nope.jsonl: file not found"):
        loader(missing)
    assert issubclass(DatasetError, ValueError)


@pytest.mark.parametrize(
    ("loader", "fixture"), [(load_redial, REDIAL_TRAIN), (load_inspired_unicrs, INSPIRED_UNICRS)]
)
def test_corrupt_json_line(loader, fixture: Path, tmp_path: Path) -> None:
    good = fixture.read_text(encoding="utf-8").splitlines()[0]
    path = tmp_path / "broken.jsonl"
    path.write_text(good + "\n" + good[: len(good) // 2] + "\n", encoding="utf-8")
    with pytest.raises(DatasetError) as info:
        loader(path)
    message = str(info.value)
    assert "broken.jsonl:2:" in message and "invalid JSON" in message and "\n" not in message


def test_wrong_shape_json_line(tmp_path: Path) -> None:
    path = tmp_path / "shape.jsonl"
    path.write_text('\n{"messages": []}\n', encoding="utf-8")
    with pytest.raises(DatasetError, match=r"shape.jsonl:2: not a REDIAL dialog \(missing key"):
        load_redial(path)
    with pytest.raises(DatasetError, match=r"shape.jsonl:2: not a UniCRS INSPIRED dialog"):
        load_inspired_unicrs(path)


def test_corrupt_tsv_row(tmp_path: Path) -> None:
    lines = INSPIRED_TSV.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = "\t".join(lines[3].split("\t")[:5]) + "\n"  # truncated row on line 4
    path = tmp_path / "broken.tsv"
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(DatasetError, match=r"broken.tsv:4: expected 19 tab-separated fields, got 5"):
        load_inspired_tsv(path)


def test_tsv_without_header(tmp_path: Path) -> None:
    path = tmp_path / "noheader.tsv"
    path.write_text("".join(INSPIRED_TSV.read_text(encoding="utf-8").splitlines(keepends=True)[1:]))
    with pytest.raises(DatasetError, match=r"noheader.tsv:1: not an INSPIRED TSV \(missing columns"):
        load_inspired_tsv(path)


# ------------------------------------------------------------------------------------- real shared data


@pytest.mark.shared_data
def test_real_shared_files() -> None:
    redial_test = SHARED_DATA / "redial" / "test_data.jsonl"
    inspired_dev = SHARED_DATA / "inspired" / "dev.tsv"
    if not (redial_test.is_file() and inspired_dev.is_file()):
        pytest.skip("needs ../shared/data (REDIAL/INSPIRED); absent in a user's clone")
    redial = load_redial(redial_test)
    inspired = load_inspired_tsv(inspired_dev)
    assert len(redial) == 1342
    assert len(inspired) == 99
    # Sample counts of the DESIGN §4 protocol (full, dedup) on these checksummed files.
    for dialogs, full, dedup in ((redial, 4897, 4426), (inspired, 320, 252)):
        samples = list(iter_samples(dialogs))
        assert (len(samples), sum(not s.gold_in_context for s in samples)) == (full, dedup)
        assert all(s.context for s in samples)
    # REDIAL's movie list has one nameless entry, 182022 " (2007)": kept as MovieRef("", 2007, "182022").
    assert all(s.gold.source_id for s in iter_samples(redial))
