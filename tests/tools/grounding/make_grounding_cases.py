"""Generate ``tests/tools/grounding/grounding_cases.jsonl``, the grounding dev set, from the shipped catalog.

Deterministic (seeded): ``python tests/tools/grounding/make_grounding_cases.py
[--catalog data/catalog.jsonl.gz] [--out tests/tools/grounding/grounding_cases.jsonl] [--seed 13]``.

Each line is ``{"query", "expected_title", "expected_year", "kind"}``. Real cases take catalog titles and
vary them the way people and language models write them: typos, missing / bare / slightly wrong year,
missing article, ``"Title, The"``, lower case, other punctuation, sequel numbers as roman numerals or
digits, stripped accents. Expected for a title without a year is the item the documented rule picks (the
most popular one of that title), and such variants are only made where that choice is clear. Non-existent
cases (expected ``null``) are unknown sequels, real titles with a new subtitle, made-up titles and real
titles with a year far from any catalog item of that title; each is checked against the catalog's keys
(no exact key, nothing within a fuzzy ratio of 80), never against the grounder itself.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

from rapidfuzz import fuzz, process

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.catalog import Item, read_catalog_file  # noqa: E402
from tools.titles import normalize_title  # noqa: E402

ARTICLES = ("The ", "A ", "An ")
TO_ROMAN = {"2": "II", "3": "III", "4": "IV", "5": "V", "6": "VI"}
FROM_ROMAN = {v: k for k, v in TO_ROMAN.items()}
KEYBOARD = {
    "a": "sqw",
    "b": "vn",
    "c": "xv",
    "d": "sf",
    "e": "wr",
    "f": "dg",
    "g": "fh",
    "h": "gj",
    "i": "uo",
    "j": "hk",
    "k": "jl",
    "l": "k",
    "m": "n",
    "n": "bm",
    "o": "ip",
    "p": "o",
    "q": "w",
    "r": "et",
    "s": "ad",
    "t": "ry",
    "u": "yi",
    "v": "cb",
    "w": "qe",
    "x": "zc",
    "y": "tu",
    "z": "x",
}
ADJECTIVES = [
    "Silent",
    "Crimson",
    "Hollow",
    "Broken",
    "Quiet",
    "Distant",
    "Burning",
    "Frozen",
    "Hidden",
    "Forgotten",
    "Velvet",
    "Iron",
    "Paper",
    "Glass",
    "Midnight",
    "Amber",
    "Restless",
    "Scarlet",
    "Wandering",
    "Painted",
    "Crooked",
    "Gilded",
    "Lonely",
    "Copper",
    "Pale",
]
NOUNS = [
    "Harbor",
    "Orchard",
    "Lighthouse",
    "Cartographer",
    "Meadow",
    "Lantern",
    "Quarry",
    "Compass",
    "Carousel",
    "Archive",
    "Tide",
    "Ferry",
    "Signal",
    "Chapel",
    "Glacier",
    "Vineyard",
    "Orbit",
    "Canyon",
    "Monastery",
    "Observatory",
    "Foundry",
    "Harvest",
    "Atlas",
    "Marsh",
    "Beacon",
]
TITLE_WORDS = [
    "Night",
    "Shadow",
    "River",
    "Storm",
    "Heart",
    "Kingdom",
    "Secret",
    "Legacy",
    "Empire",
    "Hunter",
    "Dream",
    "Fire",
    "Island",
    "Moon",
    "Road",
    "Blood",
    "Summer",
    "Winter",
    "Angel",
    "Devil",
    "Stranger",
    "Garden",
    "Silence",
    "Thunder",
    "Justice",
    "Promise",
    "Mirror",
    "Highway",
    "Horizon",
]
PLACES = [
    "Lisbon",
    "Tangier",
    "Nebraska",
    "Marrakesh",
    "Oslo",
    "Patagonia",
    "Kyoto",
    "Tallinn",
    "Reykjavik",
    "Zanzibar",
    "Montana",
    "Bruges",
]
SUBTITLES = [
    "The Final Roar",
    "Reborn",
    "The Lost Crown",
    "Dark Legacy",
    "The Last Frontier",
    "Rise of the Machines Again",
    "Into the Abyss",
    "The Forgotten Kingdom",
    "Dreams",
    "Homecoming Day",
    "Shadow Protocol",
    "The Crimson Dawn",
    "Beyond the Veil",
    "The Reckoning Hour",
    "Eternal Night",
]


def key_of(title: str) -> str:
    return normalize_title(title)


class CatalogView:
    """Keys of the catalog and the documented "without a year" choice per key."""

    def __init__(self, items: list[Item]) -> None:
        self.items = items
        self.by_key: dict[str, list[Item]] = defaultdict(list)
        for it in items:
            for name in (it.title, *it.aliases):
                k = key_of(name)
                if k:
                    self.by_key[k].append(it)
        self.keys = list(self.by_key)
        self.by_sub: dict[str, list[Item]] = defaultdict(list)
        for it in items:
            for name in (it.title, *it.aliases):
                for part in re.split(r"\s*(?::|\s[-–—]\s)\s*", name, maxsplit=1)[1:]:
                    self.by_sub[key_of(part)].append(it)
                    head = re.split(r"\s*(?::|\s[-–—]\s)\s*", name, maxsplit=1)[0]
                    self.by_sub[key_of(head)].append(it)

    def exists(self, title: str) -> bool:
        return key_of(title) in self.by_key

    def near(self, title: str, cutoff: float = 80.0) -> bool:
        """Whether a catalog key with the same numbers is within ``cutoff`` (ratio / token_sort_ratio)."""
        k = key_of(title)
        digits = {t for t in k.split() if t.isdigit()}
        for scorer in (fuzz.ratio, fuzz.token_sort_ratio):
            for hit, _, _ in process.extract(
                k, self.keys, scorer=scorer, processor=None, score_cutoff=cutoff, limit=20
            ):
                if {t for t in hit.split() if t.isdigit()} == digits:
                    return True
        return False

    def clear_default(self, item: Item) -> bool:
        """Whether the item is clearly the most popular one of its title (so a year-less query means it)."""
        for other in self.by_key[key_of(item.title)]:
            if (other.title, other.year) == (item.title, item.year):
                continue
            if other.popularity * 1.5 >= item.popularity:
                return False
        return True

    def determinable(self, item: Item) -> bool:
        """No other item (title or alias, also its subtitle) shares the key with a year within 3 of this one."""
        k = key_of(item.title)
        for other in self.by_key[k] + self.by_sub.get(k, []):
            if (other.title, other.year) == (item.title, item.year):
                continue
            if other.year is None or item.year is None or abs(other.year - item.year) <= 3:
                return False
        return True

    def subset_of_title(self, title: str) -> bool:
        """Whether every word of the title occurs in one catalog title (a shortened real title, not a fake)."""
        words = set(key_of(title).split()) - {"the", "a", "an", "of", "and"}
        return any(words <= set(k.split()) for k in self.keys)

    def unique_key(self, item: Item) -> bool:
        return all((o.title, o.year) == (item.title, item.year) for o in self.by_key[key_of(item.title)])


def typo(title: str, rng: random.Random, edits: int) -> str:
    chars = list(title)
    positions = [
        i
        for i in range(1, len(chars) - 1)
        if chars[i].isalpha() and chars[i - 1].isalpha() and chars[i].isascii()
    ]
    for _ in range(edits):
        if not positions:
            break
        i = rng.choice(positions)
        op = rng.choice(("swap", "delete", "double", "neighbour"))
        if op == "swap" and i + 1 < len(chars) and chars[i + 1].isalpha():
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        elif op == "delete":
            chars[i] = ""
        elif op == "double":
            chars[i] = chars[i] * 2
        else:
            low = chars[i].lower()
            rep = rng.choice(KEYBOARD.get(low, low))
            chars[i] = rep.upper() if chars[i].isupper() else rep
        positions = [p for p in positions if abs(p - i) > 1]
    return "".join(chars)


def strip_accents(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def with_year(title: str, year: int | None) -> str:
    return f"{title} ({year})" if year else title


def real_cases(view: CatalogView, rng: random.Random) -> list[dict[str, object]]:
    eligible = [
        it
        for it in view.items
        if it.year
        and it.popularity > 0
        and 3 <= len(it.title) <= 60
        and re.search(r"[A-Za-z]{3}", it.title)
        and key_of(it.title)
        and not it.title.startswith("(")
        and view.determinable(it)
    ]
    eligible.sort(key=lambda it: it.id)
    popular = sorted(eligible, key=lambda it: (-it.popularity, it.id))[:1500]
    picked = rng.sample(popular, 190) + rng.sample([it for it in eligible if it not in set(popular)], 70)
    cases: list[dict[str, object]] = []
    seen_queries: set[str] = set()

    def add(query: str, item: Item, kind: str) -> bool:
        if query in seen_queries or not query.strip():
            return False
        seen_queries.add(query)
        cases.append({"query": query, "expected_title": item.title, "expected_year": item.year, "kind": kind})
        return True

    kinds = (
        "exact",
        "lower",
        "no_year",
        "wrong_year",
        "typo",
        "article",
        "punct",
        "bare_year",
        "typo",
        "lower_typo",
    )
    for n, item in enumerate(picked):
        title, year = item.title, item.year
        kind = kinds[n % len(kinds)]
        # special variants first when the title allows them
        if re.search(r"\b[2-6]\b", title) and rng.random() < 0.8:
            roman = re.sub(r"\b([2-6])\b", lambda m: TO_ROMAN[m.group(1)], title)
            add(with_year(roman, year), item, "sequel_roman")
        elif re.search(r"\b(II|III|IV|V|VI)\b", title) and rng.random() < 0.8:
            digit = re.sub(r"\b(II|III|IV|V|VI)\b", lambda m: FROM_ROMAN[m.group(1)], title)
            add(with_year(digit, year), item, "sequel_digit")
        if (
            strip_accents(title) != title
            and all(ch.isascii() or ch.isalpha() for ch in title)
            and view.clear_default(item)
        ):
            add(strip_accents(title), item, "accents")
        if kind == "exact":
            add(with_year(title, year), item, kind)
        elif kind == "lower":
            q = title.lower()
            add(q if view.clear_default(item) else with_year(q, year), item, kind)
        elif kind == "no_year":
            if view.clear_default(item):
                add(title, item, kind)
            else:
                add(with_year(title.upper(), year), item, "upper")
        elif kind == "wrong_year":
            delta = rng.choice((-2, -1, 1, 2))
            if view.unique_key(item):
                add(with_year(title, year + delta), item, kind)
            else:
                add(with_year(title, year), item, "exact")
        elif kind in ("typo", "lower_typo"):
            letters = sum(ch.isalpha() for ch in title)
            if letters < 7:
                add(with_year(title, year), item, "exact")
                continue
            edits = 1 if letters < 14 else 2
            q = typo(title, rng, edits)
            if kind == "lower_typo":
                q = q.lower()
            if view.exists(q) or q == title:
                continue
            add(with_year(q, year) if rng.random() < 0.5 or not view.clear_default(item) else q, item, kind)
        elif kind == "article":
            art = next((a for a in ARTICLES if title.startswith(a)), None)
            if art:
                rest = title[len(art) :]
                form = rng.choice(("drop", "trailing"))
                q = rest if form == "drop" else f"{rest}, {art.strip()}"
                add(with_year(q, year), item, f"article_{form}")
            else:
                add(with_year(title, year), item, "exact")
        elif kind == "punct":
            q = title
            q = q.replace(": ", " - ") if ":" in q else q.replace(" - ", ": ")
            q = q.replace("-", " ") if rng.random() < 0.5 else q.replace("-", "")
            q = q.replace("'", "").replace("&", "and") if "&" in q else q.replace("'", "’")
            q = q.replace(",", "").replace(".", "")
            add(with_year(q, year), item, kind)
        elif kind == "bare_year":
            add(f"{title} {year}", item, kind)
    # targeted variants, so every kind of variation is represented
    chosen = set(picked)
    rest = [it for it in popular if it not in chosen]

    def pool(pred: object, k: int) -> list[Item]:
        hits = [it for it in rest if pred(it)]  # type: ignore[operator]
        got = rng.sample(hits, min(k, len(hits)))
        chosen.update(got)
        rest[:] = [it for it in rest if it not in chosen]
        return got

    for item in pool(lambda it: it.title.startswith(ARTICLES) and len(it.title.split()) >= 2, 16):
        art = next(a for a in ARTICLES if item.title.startswith(a))
        rest_title = item.title[len(art) :]
        if rng.random() < 0.5:
            add(with_year(rest_title, item.year), item, "article_drop")
        else:
            add(with_year(f"{rest_title}, {art.strip()}", item.year), item, "article_trailing")
    for item in pool(lambda it: re.search(r"\b([2-6]|II|III|IV|V|VI)\b", it.title) is not None, 14):
        if re.search(r"\b[2-6]\b", item.title):
            q = re.sub(r"\b([2-6])\b", lambda m: TO_ROMAN[m.group(1)], item.title)
            add(q if view.clear_default(item) else with_year(q, item.year), item, "sequel_roman")
        else:
            q = re.sub(r"\b(II|III|IV|V|VI)\b", lambda m: FROM_ROMAN[m.group(1)], item.title)
            add(q if view.clear_default(item) else with_year(q, item.year), item, "sequel_digit")
    for item in pool(
        lambda it: (
            strip_accents(it.title) != it.title and all(ch.isascii() or ch.isalpha() for ch in it.title)
        ),
        6,
    ):
        add(with_year(strip_accents(item.title).lower(), item.year), item, "accents")
    for item in pool(lambda it: re.search(r"[:'\-&.]", it.title) is not None, 14):
        q = re.sub(r"[:'.]", "", item.title).replace("-", " ").replace("&", "and")
        add(with_year(q, item.year), item, "punct")
    for item in pool(
        lambda it: (
            ":" in it.title
            and len(it.title.split(":", 1)[1].split()) >= 2
            and not re.search(r"\d", it.title.split(":", 1)[1])
        ),
        12,
    ):
        sub = item.title.split(":", 1)[1].strip()
        others = view.by_key.get(key_of(sub), []) + view.by_sub.get(key_of(sub), [])
        if any((o.title, o.year) != (item.title, item.year) for o in others):
            continue
        add(with_year(sub, item.year), item, "subtitle_only")
    return cases


def fake_cases(view: CatalogView, rng: random.Random) -> list[dict[str, object]]:
    out: list[str] = [
        "The Matrix 5",
        "Inception 2: Dreams",
        "Jurassic Park: The Final Roar (2027)",
        "The Silent Harbor (2016)",
    ]
    popular = sorted(
        (
            it
            for it in view.items
            if it.year
            and it.popularity > 5
            and 4 <= len(it.title) <= 40
            and re.search(r"[A-Za-z]{4}", it.title)
            and ":" not in it.title
        ),
        key=lambda it: (-it.popularity, it.id),
    )[:1200]
    popular.sort(key=lambda it: it.id)
    sample = rng.sample(popular, 400)
    sequels, subtitled, far_years = [], [], []
    for it in sample:
        title = it.title
        if len(sequels) < 45 and not re.search(r"\d", title):
            n = rng.choice((5, 6, 7, 8))
            form = rng.choice(("{t} {n}", "{t} {r}", "{t} Part {n}", "{t} {n} ({y})"))
            sequels.append(form.format(t=title, n=n, r={5: "V", 6: "VI", 7: "VII", 8: "VIII"}[n], y=2026))
        elif len(subtitled) < 45 and len(title.split()) <= 4:
            sub = rng.choice(SUBTITLES)
            form = rng.choice(("{t}: {s}", "{t} 2: {s}", "{t}: {s} ({y})"))
            subtitled.append(form.format(t=title, s=sub, y=rng.choice((2024, 2025, 2027))))
        elif len(far_years) < 25 and view.unique_key(it) and it.year and it.year < 2000:
            far_years.append(with_year(title, it.year + rng.choice((12, 15, 20, 25))))
    swapped = []
    for it in rng.sample(popular, 300):
        words = it.title.split()
        content = [i for i, w in enumerate(words) if len(w) >= 4 and w[0].isupper() and w.isalpha()]
        if len(words) < 2 or not content or len(swapped) >= 40:
            continue
        i = rng.choice(content)
        words[i] = rng.choice(TITLE_WORDS)
        fake = " ".join(words)
        if not view.subset_of_title(fake):
            swapped.append(fake)
    made_up = []
    while len(made_up) < 50:
        form = rng.choice(
            ("The {a} {n}", "{a} {n}", "The {n} of {p}", "{a} {n}s", "A {n} in {p}", "The {n}'s {n2}")
        )
        t = form.format(
            a=rng.choice(ADJECTIVES), n=rng.choice(NOUNS), n2=rng.choice(NOUNS), p=rng.choice(PLACES)
        )
        made_up.append(with_year(t, rng.choice((None, 2008, 2012, 2016, 2019))))
    cases: list[dict[str, object]] = []
    seen: set[str] = set()
    for group, queries in (
        ("fake_new", out + sequels + subtitled + made_up),
        ("fake_swap", swapped),
        ("fake_year", far_years),
    ):
        for q in queries:
            if q in seen:
                continue
            seen.add(q)
            base = re.sub(r"\s*\(\d{4}\)$", "", q)
            if group == "fake_year":
                year = int(q[-5:-1])
                k = key_of(base)
                same = view.by_key[k] + view.by_sub.get(k, [])
                same += [o for key in view.keys if key.startswith(k + " ") for o in view.by_key[key]]
                if any(o.year and abs(o.year - year) <= 5 for o in same):
                    continue
            elif view.exists(base) or view.near(base, 90.0 if group == "fake_swap" else 80.0):
                continue
            cases.append({"query": q, "expected_title": None, "expected_year": None, "kind": group})
    return cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, default=ROOT / "data" / "catalog.jsonl.gz")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("grounding_cases.jsonl"))
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    view = CatalogView(read_catalog_file(args.catalog))
    cases = real_cases(view, rng) + fake_cases(view, rng)
    with open(args.out, "w", encoding="utf-8") as fh:
        for case in cases:
            fh.write(json.dumps(case, ensure_ascii=False) + "\n")
    n_fake = sum(1 for c in cases if c["expected_title"] is None)
    print(f"wrote {len(cases)} cases ({len(cases) - n_fake} real, {n_fake} non-existent) to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
