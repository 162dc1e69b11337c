"""Split the understanding benchmark into dev and test, stratified by category, with a fixed seed.

Run from the repository root: ``python eval/data/split_nlu.py [POOL.jsonl]``. Without an argument it pools
``nlu_dev.jsonl`` and ``nlu_test.jsonl`` and splits them again (the result is the same for the same
utterances). About 55 % of each category goes to dev, the rest to test.
"""

from __future__ import annotations

import json
import random
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20261128
DEV_SHARE = 0.55


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def split(items: list[dict], seed: int = SEED) -> tuple[list[dict], list[dict]]:
    """Items -> (dev, test), stratified by category, each in id order."""
    by_cat: dict[str, list[dict]] = defaultdict(list)
    for item in sorted(items, key=lambda i: i["id"]):
        by_cat[item["category"]].append(item)
    rng = random.Random(seed)
    dev: list[dict] = []
    test: list[dict] = []
    for cat in sorted(by_cat):
        group = by_cat[cat][:]
        rng.shuffle(group)
        n_dev = round(DEV_SHARE * len(group))
        dev += group[:n_dev]
        test += group[n_dev:]
    return sorted(dev, key=lambda i: i["id"]), sorted(test, key=lambda i: i["id"])


def _write(path: Path, items: list[dict]) -> None:
    text = "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items)
    path.write_text(text, encoding="utf-8")


def main(argv: list[str]) -> None:
    """Split a pool (argument) or the current dev + test files again."""
    pool = _read(Path(argv[0])) if argv else _read(HERE / "nlu_dev.jsonl") + _read(HERE / "nlu_test.jsonl")
    dev, test = split(pool)
    _write(HERE / "nlu_dev.jsonl", dev)
    _write(HERE / "nlu_test.jsonl", test)


if __name__ == "__main__":
    main(sys.argv[1:])
