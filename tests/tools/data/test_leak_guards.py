"""Guards that no evaluation dialog reaches what the agent learns from (training interactions, priors).

- The committed ``data/interactions.csv.gz``: its REDIAL users are train dialogs (``redial:<conversationId>``)
  and none is a REDIAL test dialog, by id or by text; its INSPIRED users (``inspired:<line>``) are lines of
  the INSPIRED train file, none of which is an INSPIRED dev dialog (compared on text, since the train format
  carries no dialog id). These need ../shared/data and skip with the reason when it is absent.
- The build reads dialogs only from the train files: planting a REDIAL test split and an INSPIRED test split
  into the source tree changes no output byte.
- REDIAL's ``nbMentions`` (movies_with_mentions.csv) counts mentions over the whole dataset, test split
  included, so it must not feed a prior or a score: scrambling it leaves the catalog, the interactions and
  the popularity prior unchanged, and no module outside the build names it.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from tests.tools.data.excerpts import read_catalog, read_interactions, write_mini_source
from tools.catalog import Catalog, Interaction, Item
from tools.data.build import CATALOG_FILE, INTERACTIONS_FILE, build_data
from tools.data.normalise import clean_text, dialog_text_key
from tools.recommenders.popularity import Popularity

REPO = Path(__file__).resolve().parents[3]
SHARED_DATA = REPO.parent / "shared" / "data"
SHARED_REASON = "needs ../shared/data (REDIAL/INSPIRED); absent in a user's clone"
REDIAL_TRAIN_FILES = ("redial/train_data_partial.jsonl", "redial/ievalm/valid_data.jsonl")
INSPIRED_TRAIN_FILE = "inspired/unicrs/train_data_dbpedia.jsonl"
#: a dialog shares more than this share of its word 8-grams with a dev dialog -> the same dialog
SAME_DIALOG = 0.5


def _shared(*rels: str) -> Path:
    import os

    root = Path(os.environ.get("CRSAGENT_SHARED_DATA", SHARED_DATA))
    if not all((root / rel).is_file() for rel in rels):
        pytest.skip(f"{SHARED_REASON}: {', '.join(rels)}")
    return root


def _users() -> set[str]:
    with gzip.open(REPO / "data" / INTERACTIONS_FILE, "rt", encoding="utf-8") as fh:
        return {row["user"] for row in csv.DictReader(fh)}


def _jsonl(path: Path) -> list[object]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).split()


def _grams(words: list[str], n: int = 8) -> set[str]:
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


class _NearDuplicates:
    """Finds, for a dialog's text, the largest share of its word 8-grams that one indexed dialog holds."""

    def __init__(self, dialogs: dict[str, list[str]]) -> None:
        self.index: dict[str, set[str]] = {}
        for key, words in dialogs.items():
            for gram in _grams(words):
                self.index.setdefault(gram, set()).add(key)

    def best_share(self, words: list[str]) -> float:
        grams = _grams(words)
        hits = Counter(k for g in grams for k in self.index.get(g, ()))
        return max(hits.values(), default=0) / len(grams) if grams else 0.0


# ------------------------------------------------------------------- the committed training interactions


@pytest.mark.shared_data
def test_interactions_hold_no_redial_test_dialog() -> None:
    root = _shared("redial/test_data.jsonl", *REDIAL_TRAIN_FILES)
    test = [d for d in _jsonl(root / "redial/test_data.jsonl") if isinstance(d, dict)]
    test_keys = {f"redial:{clean_text(str(d['conversationId']))}" for d in test}
    test_keys |= {f"redial:{dialog_text_key(d['messages'])}" for d in test}
    train_keys: set[str] = set()
    train_words: list[list[str]] = []
    for rel in REDIAL_TRAIN_FILES:
        for d in _jsonl(root / rel):
            assert isinstance(d, dict)
            conv = clean_text(str(d.get("conversationId") or ""))
            train_keys.add(f"redial:{conv or dialog_text_key(d['messages'])}")
            train_words.append([w for m in d["messages"] for w in _words(str(m.get("text", "")))])
    redial_users = {u for u in _users() if u.startswith("redial:")}
    assert len(redial_users) >= 4000
    assert not redial_users & test_keys, "REDIAL test dialogs in the training interactions"
    assert redial_users <= train_keys, "REDIAL users that are no train dialog"
    # and no train dialog is a test dialog under another id
    near = _NearDuplicates(
        {str(d["conversationId"]): [w for m in d["messages"] for w in _words(m["text"])] for d in test}
    )
    worst = max(near.best_share(words) for words in train_words)
    assert worst < SAME_DIALOG, f"a REDIAL train dialog shares {worst:.0%} of its text with a test dialog"
    assert (
        near.best_share([w for m in test[0]["messages"] for w in _words(m["text"])]) == 1.0
    )  # it would see one


@pytest.mark.shared_data
def test_interactions_hold_no_inspired_dev_dialog() -> None:
    root = _shared("inspired/dev.tsv", "inspired/unicrs/dev.jsonl", INSPIRED_TRAIN_FILE)
    dev: dict[str, list[str]] = {}
    with open(root / "inspired/dev.tsv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            dev.setdefault(row["dialog_id"], []).extend(_words(row["text"]))
    near = _NearDuplicates(dev)
    train = _jsonl(root / INSPIRED_TRAIN_FILE)
    lines = {int(u.split(":", 1)[1]) for u in _users() if u.startswith("inspired:")}
    assert lines and min(lines) >= 1 and max(lines) <= len(train), "INSPIRED users that are no train line"
    for line in sorted(lines):
        turns = train[line - 1]
        assert isinstance(turns, list)
        share = near.best_share([w for t in turns for w in _words(t["text"])])
        assert share < SAME_DIALOG, f"INSPIRED train line {line} is a dev dialog ({share:.0%} of its text)"
    # the comparison does recognise a dev dialog in the train file's format (UniCRS's copy of dev)
    for turns in _jsonl(root / "inspired/unicrs/dev.jsonl"):
        assert isinstance(turns, list)
        assert near.best_share([w for t in turns for w in _words(t["text"])]) > SAME_DIALOG


# ----------------------------------------------------------------- the build reads train dialogs only

REDIAL_TEST_CANARY = {
    "movieMentions": {"80067": "Toy Story (1995)", "106233": "Jumanji (1995)"},
    "respondentQuestions": {"80067": {"suggested": 1, "seen": 1, "liked": 1}},
    "initiatorQuestions": {"80067": {"suggested": 1, "seen": 1, "liked": 1}},
    "messages": [
        {"senderWorkerId": 1, "text": "hi, I loved @80067", "messageId": 1, "timeOffset": 0},
        {"senderWorkerId": 2, "text": "then try @106233", "messageId": 2, "timeOffset": 1},
    ],
    "conversationId": "99999",
    "initiatorWorkerId": 1,
    "respondentWorkerId": 2,
    "movieMentionsCount": 2,
}


def _plant_test_splits(source: Path) -> None:
    """A REDIAL and an INSPIRED test split (a canary that likes movies of the catalog) in ``source``."""
    (source / "redial" / "test_data.jsonl").write_text(
        json.dumps(REDIAL_TEST_CANARY) + "\n", encoding="utf-8"
    )
    dev = (source / "inspired" / "dev.tsv").read_text(encoding="utf-8").splitlines()
    (source / "inspired" / "test.tsv").write_text(
        "\n".join([dev[0], *(r.replace("\t", "\tx", 1) for r in dev[1:])]) + "\n", encoding="utf-8"
    )


def test_build_ignores_planted_test_splits(tmp_path: Path) -> None:
    source = write_mini_source(tmp_path / "src")
    build_data(source, tmp_path / "clean")
    _plant_test_splits(source)
    manifest = build_data(source, tmp_path / "planted")
    for name in (CATALOG_FILE, INTERACTIONS_FILE):
        assert (tmp_path / "clean" / name).read_bytes() == (tmp_path / "planted" / name).read_bytes(), name
    assert not [rel for rel in manifest["sources"] if re.search(r"(^|/|_)test", rel)], manifest["sources"]
    dialog_files = {rel for rel in manifest["sources"] if rel.endswith((".jsonl", ".tsv"))}
    assert dialog_files == {*REDIAL_TRAIN_FILES, INSPIRED_TRAIN_FILE}  # no dev or test dialog is read
    assert {r["user"].split(":")[0] for r in read_interactions(tmp_path / "planted")} == {
        "redial",
        "inspired",
        "ml",
    }


# ------------------------------------------------------------------------------------ nbMentions


def _scramble_mentions(source: Path) -> None:
    """Reverse the order of the ``nbMentions`` values of movies_with_mentions.csv (ids and names kept)."""
    path = source / "redial" / "movies_with_mentions.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    counts = [r["nbMentions"] for r in rows][::-1]
    assert counts != [r["nbMentions"] for r in rows]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["movieId", "movieName", "nbMentions"])
        writer.writeheader()
        for row, count in zip(rows, counts, strict=True):
            writer.writerow({**row, "nbMentions": count})


def _popularity_prior(out: Path) -> dict[int, float]:
    catalog = Catalog.from_items(Item.from_record(r) for r in read_catalog(out))
    interactions = [
        Interaction(r["user"], int(r["item_id"]), float(r["weight"]), r["source"], r["kind"])
        for r in read_interactions(out)
    ]
    model = Popularity(catalog)
    model.fit(interactions, catalog.ids())
    return dict(model.recommend([], k=len(catalog.ids())))


def test_popularity_prior_ignores_nb_mentions(tmp_path: Path) -> None:
    source = write_mini_source(tmp_path / "src")
    build_data(source, tmp_path / "real")
    _scramble_mentions(source)
    build_data(source, tmp_path / "scrambled")
    for name in (CATALOG_FILE, INTERACTIONS_FILE):
        assert (tmp_path / "real" / name).read_bytes() == (tmp_path / "scrambled" / name).read_bytes(), name
    prior = _popularity_prior(tmp_path / "real")
    assert prior and prior == _popularity_prior(tmp_path / "scrambled")
    assert all("mention" not in key for key in read_catalog(tmp_path / "real")[0])  # not in the catalog


def test_nb_mentions_column_is_not_read() -> None:
    """No code reads the column (a literal ``"nbMentions"``): priors, scores and tie-breaks cannot reach it."""
    readers = sorted(
        str(path.relative_to(REPO))
        for package in ("agent", "eval", "memory", "tools", "ui")
        for path in (REPO / package).rglob("*.py")
        if re.search(r"[\"']nbMentions[\"']", path.read_text(encoding="utf-8"))
    )
    assert readers == []


@pytest.mark.shared_data
def test_real_build_ignores_nb_mentions(tmp_path: Path) -> None:
    """On the real datasets too: scrambled ``nbMentions`` give the same catalog and interactions."""
    root = _shared("redial/movies_with_mentions.csv", *REDIAL_TRAIN_FILES)
    source = tmp_path / "src"
    for folder in ("inspired", "movielens", "tmdb"):
        source.mkdir(exist_ok=True)
        (source / folder).symlink_to(root / folder)
    (source / "redial").mkdir()
    for path in (root / "redial").iterdir():
        if path.name != "movies_with_mentions.csv":
            (source / "redial" / path.name).symlink_to(path)
    (source / "redial" / "movies_with_mentions.csv").write_bytes(
        (root / "redial" / "movies_with_mentions.csv").read_bytes()
    )
    _scramble_mentions(source)
    build_data(root, tmp_path / "real")
    build_data(source, tmp_path / "scrambled")
    for name in (CATALOG_FILE, INTERACTIONS_FILE):
        assert (tmp_path / "real" / name).read_bytes() == (tmp_path / "scrambled" / name).read_bytes(), name
