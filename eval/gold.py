"""Evaluation data: the dataset splits, the gold movies mapped to catalog ids and each dataset's universe.

Gold movies are mapped to catalog ids by the REDIAL movie id (``Item.redial_id``) first, else by the
grounding module (``Grounder.ground("Title (Year)")``); an unmapped gold counts as a miss.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

from eval.datasets import Dialog, MovieRef, load_inspired_tsv, load_inspired_unicrs, load_redial
from tools.catalog import Catalog
from tools.grounding import Grounder

log = logging.getLogger(__name__)

DATASETS: tuple[str, ...] = ("redial", "inspired")
#: INSPIRED's processed train split, relative to the INSPIRED data dir (part of the movie universe).
INSPIRED_TRAIN = Path("unicrs") / "train_data_dbpedia.jsonl"


class EvalError(ValueError):
    """Bad input for an evaluation (unknown dataset or split, missing data, a different run in --out)."""


def split_path(dataset: str, data_dir: Path, split: str) -> Path:
    """The file of ``split``: ``<split>_data.jsonl`` (REDIAL) or ``<split>.tsv`` (INSPIRED) in ``data_dir``.

    Raises:
        EvalError: unknown dataset, missing data dir, or no such split (the message lists the splits there).
    """
    if dataset not in DATASETS:
        raise EvalError(f"unknown dataset {dataset!r} (choose from: {', '.join(DATASETS)})")
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise EvalError(f"data dir {data_dir} not found")
    suffix = "_data.jsonl" if dataset == "redial" else ".tsv"
    path = data_dir / f"{split}{suffix}"
    if not split or "/" in split or not path.is_file():
        found = sorted(p.name[: -len(suffix)] for p in data_dir.glob(f"*{suffix}"))
        raise EvalError(
            f"unknown split {split!r}: no {split}{suffix} in {data_dir} "
            f"(available: {', '.join(found) if found else 'none'})"
        )
    return path


def load_split(dataset: str, data_dir: Path, split: str) -> list[Dialog]:
    """Load the dialogs of one split (see :func:`split_path` for the file naming)."""
    path = split_path(dataset, data_dir, split)
    return load_redial(path) if dataset == "redial" else load_inspired_tsv(path)


class GoldMapper:
    """Maps dataset movies to catalog ids: REDIAL movie id first, then title grounding (memoised)."""

    def __init__(self, catalog: Catalog, grounder: Grounder) -> None:
        self.grounder = grounder
        self.by_redial: dict[int, int] = {}
        for item in sorted(catalog.items.values(), key=lambda it: it.id):
            if item.redial_id is not None:
                self.by_redial.setdefault(int(item.redial_id), item.id)
        self._memo: dict[tuple[str, str, int | None], int | None] = {}

    def map(self, ref: MovieRef) -> int | None:
        """The catalog id of ``ref``, or None when neither its source id nor its title resolves."""
        key = (ref.source_id or "", ref.title, ref.year)
        if key in self._memo:
            return self._memo[key]
        item_id: int | None = None
        if ref.source_id is not None and ref.source_id.isdigit():
            item_id = self.by_redial.get(int(ref.source_id))
        if item_id is None and ref.title:
            match = self.grounder.ground(ref.label)
            item_id = match.item_id if match is not None else None
        self._memo[key] = item_id
        return item_id

    def map_all(self, dialogs: Iterable[Dialog]) -> dict[tuple[str, str, int | None], int | None]:
        """Map every movie of ``dialogs`` (utterances and, for REDIAL, the standardized protocol's messages);
        returns the memo (picklable, for worker processes)."""
        for dialog in dialogs:
            for movies in (*(u.movies for u in dialog.utterances), *(m.movies for m in dialog.messages)):
                for ref in movies:
                    self.map(ref)
        return dict(self._memo)


def ref_key(ref: MovieRef) -> tuple[str, str, int | None]:
    return (ref.source_id or "", ref.title, ref.year)


def dataset_universe(
    dataset: str, catalog: Catalog, mapper: GoldMapper, data_dir: Path, dialogs: Sequence[Dialog]
) -> list[int]:
    """The ranking universe of DESIGN §4, sorted.

    REDIAL: every catalog item with a REDIAL movie id (the REDIAL movie list). INSPIRED: the catalog items
    that the INSPIRED dialogs mention, train (``unicrs/train_data_dbpedia.jsonl`` under ``data_dir``, when
    present) plus the evaluated split.
    """
    if dataset == "redial":
        return sorted(i for i, it in catalog.items.items() if it.redial_id is not None)
    pool: list[Dialog] = list(dialogs)
    train = Path(data_dir) / INSPIRED_TRAIN
    if train.is_file():
        pool += load_inspired_unicrs(train)
    else:
        log.warning("%s not found: the INSPIRED universe holds the evaluated split's movies only", train)
    ids = {mapper.map(ref) for d in pool for u in d.utterances for ref in u.movies}
    return sorted(i for i in ids if i is not None)
