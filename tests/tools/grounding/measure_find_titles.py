"""Measure ``Grounder.find_titles`` on chat text: mention accuracy, false matches, latency.

``python tests/tools/grounding/measure_find_titles.py [--shared ../shared/data] [--dialogs 300]``

- REDIAL: seeker messages of the first ``--dialogs`` test dialogs (not in the shipped interactions), each
  ``@id`` replaced by its movie name without the year, as people type it; a mention counts when
  ``find_titles`` finds the catalog item with that REDIAL id (or a twin). Also measured with every name
  lower-cased and with one typo in names of 8+ letters (the "typo" rows).
- INSPIRED: seeker utterances of the dev split with an annotated movie; the gold item is
  ``ground("Title (Year)")`` of the annotation.
- false matches: titles found in ``ordinary_sentences.ORDINARY_SENTENCES``.
- latency: ``find_titles`` p50 / p95 over REDIAL train seeker messages (the first ``--dialogs`` dialogs).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.tools.grounding.ordinary_sentences import ORDINARY_SENTENCES  # noqa: E402
from tools.catalog import Catalog, read_catalog_file, read_interactions_file  # noqa: E402
from tools.grounding import Grounder  # noqa: E402
from tools.settings import PACKAGED_DATA_DIR  # noqa: E402
from tools.stats import percentile  # noqa: E402

_MENTION_RE = re.compile(r"@(\d+)")
_YEAR_RE = re.compile(r"\s*\(\d{4}\)\s*$")


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 8:
        return word
    k = rng.randrange(1, len(word) - 2)
    return word[:k] + word[k + 1] + word[k] + word[k + 2 :]  # swap two letters


def _redial_cases(path: Path, n: int, style: str) -> list[tuple[str, set[int]]]:
    rng = random.Random(7)
    cases = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh):
            if lineno >= n:
                break
            d = json.loads(line)
            names = {k: _YEAR_RE.sub("", v).strip() for k, v in d["movieMentions"].items() if v}
            for msg in d["messages"]:
                if msg["senderWorkerId"] != d["initiatorWorkerId"]:
                    continue
                ids = [m for m in _MENTION_RE.findall(msg["text"]) if m in names]
                if not ids:
                    continue

                def name(m: re.Match[str], names: dict[str, str] = names) -> str:
                    raw = names.get(m.group(1), m.group(0))
                    if style == "lower":
                        return raw.lower()
                    if style == "typo":
                        return " ".join(_typo(w, rng) for w in raw.split())
                    return raw

                text = _MENTION_RE.sub(name, msg["text"])
                cases.append((text, {int(i) for i in ids}))
    return cases


def _inspired_cases(path: Path, grounder: Grounder) -> list[tuple[str, set[int]]]:
    csv.field_size_limit(10**9)
    cases = []
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row["speaker"] != "SEEKER" or not row["movies"].strip():
                continue
            gold = set()
            for label in row["movies"].split(";"):
                match = grounder.ground(label.strip())
                if match is not None:
                    gold.add(match.item_id)
            if gold:
                text = row["text"].replace("QUOTATION_MARK", '"')
                cases.append((text, gold))
    return cases


def _accuracy(grounder: Grounder, cases: list[tuple[str, set[int]]], by_redial: dict[int, int]) -> dict:
    catalog = grounder.catalog
    total = found = extra = 0
    misses: list[tuple[str, list[str]]] = []
    for text, gold in cases:
        got = {m.match.item_id for m in grounder.find_titles(text)}
        got_all = catalog.with_twins(got)
        for g in gold:
            item_id = by_redial.get(g, g) if by_redial else g
            if by_redial and g not in by_redial:
                continue
            total += 1
            if item_id in got_all:
                found += 1
            elif len(misses) < 400:
                misses.append((text, [catalog.items[i].display for i in got]))
        gold_items = catalog.with_twins({by_redial.get(g, g) if by_redial else g for g in gold})
        extra += len([i for i in got if i not in gold_items])
    return {"mentions": total, "accuracy": round(found / max(total, 1), 4), "extra": extra, "misses": misses}


def main() -> None:
    """Print the measurements as JSON (``--misses`` also lists missed mentions)."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", default="/work/shared/data")
    ap.add_argument("--dialogs", type=int, default=300)
    ap.add_argument("--misses", default="")
    ap.add_argument("--data", default=str(PACKAGED_DATA_DIR), help="the data folder whose catalog is used")
    args = ap.parse_args()
    shared = Path(args.shared)
    catalog = Catalog.from_items(read_catalog_file(Path(args.data) / "catalog.jsonl.gz"))
    interactions = read_interactions_file(Path(args.data) / "interactions.csv.gz")
    try:
        counts = Counter(i.item_id for i in interactions)
        grounder = Grounder(catalog, interaction_counts=counts)  # type: ignore[call-arg]
    except TypeError:
        grounder = Grounder(catalog)
    by_redial = {it.redial_id: it.id for it in catalog.items.values() if it.redial_id is not None}
    report: dict = {}
    misses: dict = {}
    for style in ("plain", "lower", "typo"):
        cases = _redial_cases(shared / "redial" / "test_data.jsonl", args.dialogs, style)
        res = _accuracy(grounder, cases, by_redial)
        misses[f"redial_{style}"] = res.pop("misses")
        report[f"redial_{style}"] = res
    res = _accuracy(grounder, _inspired_cases(shared / "inspired" / "dev.tsv", grounder), {})
    misses["inspired"] = res.pop("misses")
    report["inspired"] = res
    false = [(s, [m.text for m in grounder.find_titles(s)]) for s in ORDINARY_SENTENCES]
    report["ordinary_false"] = [f for f in false if f[1]]
    report["ordinary_n"] = len(ORDINARY_SENTENCES)
    texts = [
        t for t, _ in _redial_cases(shared / "redial" / "train_data_partial.jsonl", args.dialogs, "plain")
    ]
    with (shared / "redial" / "train_data_partial.jsonl").open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh):
            if lineno >= args.dialogs // 3:
                break
            d = json.loads(line)
            texts += [
                m["text"]
                for m in d["messages"]
                if m["senderWorkerId"] == d["initiatorWorkerId"] and "@" not in m["text"]
            ]
    for t in texts[:50]:
        grounder.find_titles(t)
    times = []
    for t in texts:
        started = time.perf_counter()
        grounder.find_titles(t)
        times.append((time.perf_counter() - started) * 1000)
    report["latency_ms"] = {
        "n": len(times),
        "p50": round(percentile(times, 50), 3),
        "p95": round(percentile(times, 95), 3),
        "max": round(max(times), 2),
    }
    print(json.dumps(report, indent=1))
    if args.misses:
        Path(args.misses).write_text(json.dumps(misses, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
