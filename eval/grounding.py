"""``crsagent eval grounding``: does a film a person names ground to the right catalog item, and does an
invented title stay ungrounded?

Measured with the product's grounder (:attr:`tools.toolkit.Toolkit.grounder`: lexical stages and the
title-embedding stage) over the configured home's catalog:

- **coverage, REDIAL test**: every distinct movie the test dialogues mention, by its label as the dataset
  writes it ("Title (Year)") and by the title alone; right when the grounded item is the one with that REDIAL
  id (or a twin listing of the same film).
- **coverage, INSPIRED dev**: every distinct movie label of ``dev.tsv``; right when the grounded item's title
  or an alias has the label's title and its year is within one of the label's. The catalog is built without
  INSPIRED dev titles (:mod:`tools.data.catalog_build`), so this is what a held-out split sees.
- **false matches**: invented titles (:func:`invented_titles`: template titles that no catalog title or alias
  has), grounded with and without a year; any grounded item is a false match.
- **latency**: ``ground`` p50 / p95 over all the calls above.

Writes ``grounding.json`` and ``report.md`` (with every miss and every false match) to ``out``.
"""

from __future__ import annotations

import csv
import json
import random
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.catalog import Catalog
from tools.grounding import Grounder
from tools.stats import p50_p95
from tools.titles import normalize_title, split_year

__all__ = ["GroundingReport", "invented_titles", "run_grounding_eval"]

_MENTION_RE = re.compile(r"@(\d+)")
_ADJECTIVES = [
    "Crimson",
    "Silent",
    "Broken",
    "Hidden",
    "Electric",
    "Frozen",
    "Velvet",
    "Hollow",
    "Burning",
    "Distant",
    "Paper",
    "Iron",
    "Glass",
    "Golden",
    "Savage",
    "Quiet",
    "Wandering",
    "Lonely",
    "Bitter",
    "Scarlet",
    "Amber",
    "Copper",
    "Restless",
    "Forgotten",
    "Secret",
    "Painted",
    "Northern",
    "Wild",
    "Tender",
]
_NOUNS = [
    "Lighthouse",
    "Orchard",
    "Harbor",
    "Compass",
    "Carousel",
    "Garden",
    "Kingdom",
    "Letter",
    "Mirror",
    "River",
    "Sparrow",
    "Tide",
    "Valley",
    "Violin",
    "Window",
    "Engine",
    "Anthem",
    "Meridian",
    "Lantern",
    "Meadow",
    "Ferry",
    "Quarry",
    "Bridge",
    "Falcon",
    "Harvest",
    "Chapel",
    "Satellite",
    "Canyon",
    "Typewriter",
    "Telescope",
    "Balcony",
    "Pavilion",
    "Glacier",
    "Orchestra",
    "Lagoon",
    "Caravan",
    "Parachute",
]
_NAMES = [
    "Marlowe",
    "Ingrid",
    "Tobias",
    "Delphine",
    "Augustin",
    "Rosalind",
    "Cornelius",
    "Odette",
    "Bartholomew",
    "Philippa",
    "Leopold",
]
_PLACES = [
    "Harrow",
    "Wexford",
    "Tillbury",
    "Marrakesh",
    "Saltmarsh",
    "Ravenna",
    "Kestrel",
    "Bay",
    "Dunmore",
    "Ashcombe",
]
_TEMPLATES = (
    "The {adj} {noun}",
    "{adj} {noun}",
    "The {noun} of {place}",
    "{name}'s {noun}",
    "A {noun} for {name}",
    "The {adj} {noun} of {place}",
    "{noun}s in {place}",
    "Return of the {adj} {noun}",
)


@dataclass
class GroundingReport:
    """The measured figures and the cases behind them."""

    figures: dict[str, Any] = field(default_factory=dict)
    misses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    false_matches: list[dict[str, Any]] = field(default_factory=list)


def invented_titles(catalog: Catalog, n: int = 1000, seed: int = 7) -> list[tuple[str, int]]:
    """``n`` invented ("Title", year) pairs from fixed templates whose whole title no catalog title or alias
    has (compared by key, and by key without spaces); years 1950-2019. Deterministic for a seed."""
    rng = random.Random(seed)
    known = set(catalog.aliases)
    compact = {k.replace(" ", "") for k in known}
    out: list[tuple[str, int]] = []
    seen: set[str] = set()
    while len(out) < n:
        title = rng.choice(_TEMPLATES).format(
            adj=rng.choice(_ADJECTIVES),
            noun=rng.choice(_NOUNS),
            name=rng.choice(_NAMES),
            place=rng.choice(_PLACES),
        )
        key = normalize_title(title)
        if key in seen or key in known or key.replace(" ", "") in compact:
            continue
        seen.add(key)
        out.append((title, rng.randrange(1950, 2020)))
    return out


def _redial_labels(path: Path) -> dict[int, str]:
    """REDIAL movie id -> its label ("Title (Year)") for every movie mentioned in the dialogues of ``path``."""
    labels: dict[int, str] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            dialog = json.loads(line)
            for key, name in (dialog.get("movieMentions") or {}).items():
                if name and str(key).isdigit():
                    labels.setdefault(int(key), " ".join(str(name).split()))
    return labels


def _inspired_labels(path: Path) -> list[str]:
    """The distinct movie labels of an INSPIRED split (``movies`` column of the tsv)."""
    csv.field_size_limit(10**9)
    labels: set[str] = set()
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            labels.update(x.strip() for x in (row.get("movies") or "").split(";") if x.strip())
    return sorted(labels)


class _Timed:
    """``ground`` with its latency recorded."""

    def __init__(self, grounder: Grounder) -> None:
        self.grounder = grounder
        self.ms: list[float] = []

    def __call__(self, text: str) -> int | None:
        started = time.perf_counter()
        match = self.grounder.ground(text)
        self.ms.append((time.perf_counter() - started) * 1000)
        return None if match is None else match.item_id


def _names_title(catalog: Catalog, item_id: int, label: str) -> bool:
    title, year = split_year(label)
    item = catalog.items[item_id]
    names = {normalize_title(n) for n in (item.title, *item.aliases)}
    if normalize_title(title) not in names:
        return False
    return year is None or item.year is None or abs(item.year - year) <= 1


def run_grounding_eval(grounder: Grounder, shared: Path, n_invented: int = 1000) -> GroundingReport:
    """Measure coverage on REDIAL test and INSPIRED dev labels and false matches on invented titles."""
    catalog = grounder.catalog
    ground = _Timed(grounder)
    grounder.warm()
    report = GroundingReport()
    by_redial: dict[int, set[int]] = {}
    for it in catalog.items.values():
        if it.redial_id is not None:
            by_redial[it.redial_id] = {it.id, *catalog.twins.get(it.id, ())}

    labels = _redial_labels(shared / "redial" / "test_data.jsonl")
    for variant in ("label", "title"):
        right, misses = 0, []
        for rid, label in sorted(labels.items()):
            text = label if variant == "label" else split_year(label)[0]
            got = ground(text)
            if got is not None and got in by_redial.get(rid, ()):
                right += 1
            else:
                misses.append({"query": text, "got": None if got is None else catalog.items[got].display})
        report.figures[f"redial_test_{variant}"] = {
            "titles": len(labels),
            "coverage": _share(right, len(labels)),
        }
        report.misses[f"redial_test_{variant}"] = misses

    inspired = _inspired_labels(shared / "inspired" / "dev.tsv")
    right, misses = 0, []
    for label in inspired:
        got = ground(label)
        if got is not None and _names_title(catalog, got, label):
            right += 1
        else:
            misses.append({"query": label, "got": None if got is None else catalog.items[got].display})
    report.figures["inspired_dev_label"] = {"titles": len(inspired), "coverage": _share(right, len(inspired))}
    report.misses["inspired_dev_label"] = misses

    invented = invented_titles(catalog, n_invented)
    for variant in ("with_year", "title"):
        false = 0
        for title, year in invented:
            text = f"{title} ({year})" if variant == "with_year" else title
            got = ground(text)
            if got is not None:
                false += 1
                report.false_matches.append({"query": text, "got": catalog.items[got].display})
        report.figures[f"invented_{variant}"] = {
            "titles": len(invented),
            "false_match_rate": _share(false, len(invented)),
        }

    report.figures["ground_ms"] = {**p50_p95(ground.ms, 3), "calls": len(ground.ms)}
    report.figures["catalog_items"] = len(catalog)
    return report


def _share(k: int, n: int) -> float:
    return round(k / n, 4) if n else 0.0


def write_report(report: GroundingReport, out: Path) -> None:
    """``grounding.json`` (figures, misses, false matches) and ``report.md`` in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    payload = {"figures": report.figures, "misses": report.misses, "false_matches": report.false_matches}
    (out / "grounding.json").write_text(
        json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    f = report.figures
    lines = [
        "# Grounding: named films and invented titles",
        "",
        f"Catalog: {f.get('catalog_items', 0)} items. `ground` p50 {f['ground_ms']['p50']} ms, "
        f"p95 {f['ground_ms']['p95']} ms over {f['ground_ms']['calls']} calls.",
        "",
        "| set | titles | coverage / false-match rate |",
        "|---|---|---|",
    ]
    for name, fig in f.items():
        if isinstance(fig, dict) and "titles" in fig:
            value = fig.get("coverage", fig.get("false_match_rate"))
            kind = "coverage" if "coverage" in fig else "false matches"
            lines.append(f"| {name} | {fig['titles']} | {kind} {value:.4f} |")
    lines += [
        "",
        "INSPIRED dev titles are not in the catalog's sources (held-out style); see the module docstring.",
        "",
    ]
    for name, rows in report.misses.items():
        lines += [f"## Misses: {name} ({len(rows)})", ""]
        lines += [f"- {r['query']} -> {r['got'] or '(nothing)'}" for r in rows]
        lines.append("")
    lines += [f"## False matches on invented titles ({len(report.false_matches)})", ""]
    lines += [f"- {r['query']} -> {r['got']}" for r in report.false_matches]
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
