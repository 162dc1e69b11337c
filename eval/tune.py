"""Honest tuning of the fusion weights on development data only (never a test split).

REDIAL dev: the REDIAL *train* dialogs (``redial/train_data_partial.jsonl`` + ``redial/ievalm/valid_data.jsonl``,
de-duplicated as ``tools/data_build.py`` does) whose user key ``redial:<conversationId>`` falls into the
10% hash bucket that :func:`tools.recommenders.split_redial_dev` holds out. :func:`build_redial_dev` writes
them as ``dev_data.jsonl`` into a scratch data dir, and a copy of ``data/`` whose interactions lack those dev
dialogs; :func:`build_dev_home` indexes a scratch ``CRSAGENT_HOME`` over that copy, so the collaborative
models and the popularity prior never saw the dev dialogs. INSPIRED dev: ``inspired/dev.tsv`` (its dialogs
are not in the training interactions).

Search (:func:`coordinate_search`): every dev dialog is replayed once through the real pipeline
(:func:`capture`), keeping the state of each predicting user turn; a weight setting is then scored by
re-running the graph's ``execute`` node on those states (the only node that depends on the weights). The
chosen weights are written to ``data/fusion_weights.json`` and the final numbers always come from a full
``crsagent eval`` run.

Run as ``python -m eval.tune --shared ../shared/data --work /tmp/tune`` (see ``--help``).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np

from eval.datasets import Dialog, Sample, iter_samples, load_inspired_tsv, load_redial
from eval.offline import DEPTH, DialogEvaluator, GoldMapper, _clean_after_user_turn, dataset_universe

if TYPE_CHECKING:
    from agent.context import AgentContext
    from agent.state import AgentState
    from tools.settings import Settings

log = logging.getLogger(__name__)

REDIAL_TRAIN_FILES = ("redial/train_data_partial.jsonl", "redial/ievalm/valid_data.jsonl")
DEV_BUCKETS, DEV_BUCKET = 10, 0


# ------------------------------------------------------------------------------------------- dev data


@dataclass
class DevSetup:
    """Paths of the scratch REDIAL dev data."""

    redial_dir: Path  #: holds dev_data.jsonl
    data_dir: Path  #: a copy of data/ without the dev dialogs' interactions
    n_dev_dialogs: int
    n_removed_interactions: int


def _redial_user_key(record: dict[str, Any]) -> str:
    from tools.data_build import clean_text, dialog_text_key

    conv = clean_text(str(record.get("conversationId") or ""))
    return f"redial:{conv or dialog_text_key(record['messages'])}"


def build_redial_dev(shared: Path, work: Path, packaged_data: Path | None = None) -> DevSetup:
    """Write ``work/redial/dev_data.jsonl`` and ``work/data`` (data/ minus the dev users' interactions)."""
    from tools.data_build import clean_text, dialog_text_key
    from tools.recommenders import _dev_bucket
    from tools.settings import PACKAGED_DATA_DIR

    packaged = packaged_data or PACKAGED_DATA_DIR
    redial_dir, data_dir = work / "redial", work / "data"
    redial_dir.mkdir(parents=True, exist_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    seen_ids: set[str] = set()
    seen_text: set[str] = set()
    dev_users: set[str] = set()
    lines: list[str] = []
    for rel in REDIAL_TRAIN_FILES:
        with open(shared / rel, encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                record = json.loads(line)
                conv = clean_text(str(record.get("conversationId") or ""))
                text_key = dialog_text_key(record["messages"])
                if (conv and conv in seen_ids) or text_key in seen_text:
                    continue
                if conv:
                    seen_ids.add(conv)
                seen_text.add(text_key)
                user = _redial_user_key(record)
                if _dev_bucket(user, DEV_BUCKETS) == DEV_BUCKET:
                    dev_users.add(user)
                    lines.append(line if line.endswith("\n") else line + "\n")
    (redial_dir / "dev_data.jsonl").write_text("".join(lines), encoding="utf-8")
    shutil.copyfile(packaged / "catalog.jsonl.gz", data_dir / "catalog.jsonl.gz")
    removed = 0
    buf = io.StringIO()
    with gzip.open(packaged / "interactions.csv.gz", "rt", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(next(reader))
        for row in reader:
            if row and row[0] in dev_users:
                removed += 1
                continue
            writer.writerow(row)
    with gzip.open(data_dir / "interactions.csv.gz", "wt", encoding="utf-8") as fh:
        fh.write(buf.getvalue())
    log.info("REDIAL dev: %d dialogs, %d interactions removed", len(lines), removed)
    return DevSetup(redial_dir, data_dir, len(lines), removed)


def build_dev_home(setup: DevSetup, home: Path, base_home: Path | None = None) -> Settings:
    """Index a scratch home over ``setup.data_dir`` (copying ``base_home`` first saves re-embedding)."""
    from tools.indexing import run_index
    from tools.settings import load_settings
    from tools.toolkit import Toolkit

    if base_home is not None and not home.exists():
        shutil.copytree(base_home, home, ignore=shutil.ignore_patterns("sessions.sqlite*"))
    settings = load_settings(home=home, data_dir=setup.data_dir, llm="offline", database_url=None, chroma_url=None,
                             chroma_path=None)
    summary = run_index(Toolkit(settings))
    log.info("dev home %s: %s", home, summary.as_dict())
    return settings
