"""The understanding benchmark's gold file (eval/data/NLU.md): loading, and titles resolved to catalog ids.

A gold title is written ``Title (year)`` exactly as in the catalog. The catalog may hold the same title and
year twice (REDIAL lists some movies under two ids): either id counts, so every title is compared through
its *canonical* id, the smallest id of its twin group.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.catalog import Catalog
from tools.titles import normalize_title, split_year

log = logging.getLogger(__name__)

#: the packaged gold files (``nlu_dev.jsonl``, ``nlu_test.jsonl``) and their schema (``NLU.md``)
DATA_DIR = Path(__file__).resolve().parents[1] / "data"

#: the categories of NLU.md
CATEGORIES: tuple[str, ...] = (
    "single_clause",
    "multi_clause",
    "negation_scope",
    "qualifier",
    "relative_time",
    "typo",
    "ambiguous_title",
    "question",
    "chitchat",
    "feedback",
    "people",
    "lasting_vs_oneoff",
)


class GoldError(ValueError):
    """A gold file is missing or malformed; the message names the file and line."""


@dataclass(frozen=True)
class GoldUtterance:
    """One line of a gold file."""

    id: str
    category: str
    text: str
    gold: dict[str, Any]
    shown: tuple[str, ...] = ()
    split: str = ""


def load_gold(path: Path, split: str = "") -> list[GoldUtterance]:
    """Read a gold JSONL file (one utterance a line, blank lines skipped).

    Raises:
        GoldError: the file is missing or unreadable, a line is not a JSON object with ``id``, ``text`` and
            a ``gold`` object, or an id repeats.
    """
    path = Path(path)
    if not path.is_file():
        raise GoldError(f"{path}: gold file not found")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldError(f"{path}: cannot read ({exc})") from exc
    out: list[GoldUtterance] = []
    seen: set[str] = set()
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise GoldError(f"{path}:{lineno}: invalid JSON ({exc.msg})") from exc
        if not isinstance(rec, dict) or not isinstance(rec.get("gold"), dict):
            raise GoldError(f"{path}:{lineno}: expected an object with a 'gold' object")
        uid, text = rec.get("id"), rec.get("text")
        if not isinstance(uid, str) or not uid or not isinstance(text, str):
            raise GoldError(f"{path}:{lineno}: 'id' and 'text' must be strings")
        if uid in seen:
            raise GoldError(f"{path}:{lineno}: duplicate id {uid!r}")
        seen.add(uid)
        shown = rec.get("shown") or []
        if not isinstance(shown, list) or not all(isinstance(s, str) for s in shown):
            raise GoldError(f"{path}:{lineno}: 'shown' must be a list of titles")
        out.append(
            GoldUtterance(
                id=uid,
                category=str(rec.get("category") or "uncategorised"),
                text=text,
                gold=rec["gold"],
                shown=tuple(shown),
                split=split,
            )
        )
    return out


@dataclass
class TitleResolver:
    """``Title (year)`` <-> catalog ids, and the canonical id of a twin group."""

    catalog: Catalog
    _by_display: dict[str, tuple[int, ...]] = field(default_factory=dict, init=False)
    _by_key: dict[tuple[str, int | None], tuple[int, ...]] = field(default_factory=dict, init=False)
    unresolved: set[str] = field(default_factory=set, init=False)

    def __post_init__(self) -> None:
        by_display: dict[str, list[int]] = {}
        by_key: dict[tuple[str, int | None], list[int]] = {}
        for item in self.catalog.items.values():
            by_display.setdefault(item.display, []).append(item.id)
            by_key.setdefault((normalize_title(item.title), item.year), []).append(item.id)
        self._by_display = {k: tuple(sorted(v)) for k, v in by_display.items()}
        self._by_key = {k: tuple(sorted(v)) for k, v in by_key.items()}

    def resolve(self, title: str) -> frozenset[int]:
        """Every catalog id that ``title`` (``Title (year)``) names; empty (and remembered) when none."""
        ids = self._by_display.get(" ".join(title.split()))
        if ids is None:
            name, year = split_year(title)
            ids = self._by_key.get((normalize_title(name), year))
        if not ids:
            self.unresolved.add(title)
            return frozenset()
        return frozenset(self.catalog.with_twins(ids))

    def canon(self, item_id: int) -> int:
        """The smallest id among ``item_id`` and its twins (same title and year)."""
        return min(self.catalog.with_twins([item_id]))

    def label(self, item_id: int) -> str:
        """``Title (year)`` of an id (``#id`` when unknown)."""
        item = self.catalog.get(item_id)
        return item.display if item is not None else f"#{item_id}"
