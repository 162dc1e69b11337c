"""The lookup tables of grounding, built once from the catalog: alias keys and their variants, fuzzy
choices, key prefixes for n-gram search in text, and the names of the catalog's people."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from tools.catalog import Catalog, Item
from tools.catalog_cache import code_digest
from tools.grounding.notability import notability_scores, notable_threshold
from tools.grounding.speller import Speller
from tools.grounding.tokenizer import loose_key
from tools.titles import fold, fold_title, normalize_title, straighten_apostrophes, subtitle_parts

#: File-name prefix of the index's start-up copy in the home's models directory (:mod:`tools.catalog_cache`).
TITLE_INDEX_PREFIX = "title-index-"


class TitleIndex:
    """Every key under which a catalog item can be named, built from its title, aliases and people.

    - ``keys``: normalised alias key -> item ids (plus keys the catalog holds that are no ``"<key> <year>"``);
    - ``compact`` ("spiderman"), ``loose`` ("lord rings") and ``subtitles`` ("last jedi"): variants of the
      keys that are no keys themselves;
    - ``title_surface`` / ``surfaces``: the folded title (article kept) of each item, and of each of its names;
    - ``choices`` / ``choices_sorted``: the fuzzy stage's strings (keys, then subtitles, of items that are not
      MovieLens-only), as given and with sorted tokens; the first ``n_exact_choices`` are keys;
    - ``prefixes``: token prefixes of keys and subtitles, so n-gram search in text stops early;
    - ``people`` / ``person_prefixes``: folded full names of directors, stars and writers (and their prefixes);
    - ``notability`` / ``groups``: how well known each item is and its duplicate group
      (:mod:`tools.grounding.notability`), from the catalog and ``interaction_counts`` (item id -> count);
      ``notable_min``: the notability of the better-known films (a one-word title found by typo repair
      must reach it);
    - ``movielens_only``: the items only MovieLens lists (stricter rules in free text);
    - ``speller``: typo repair towards the words of the other titles (:mod:`tools.grounding.speller`).
    """

    @staticmethod
    def code_digest() -> str:
        """A hash of the code that builds the index, so a start-up copy made by other code is never used."""
        here = Path(__file__).resolve().parent
        names = ("index.py", "notability.py", "tokenizer.py", "lexicon.py", "speller.py")
        return code_digest(*(here / n for n in names), here.parent / "titles.py")

    def __init__(self, catalog: Catalog, interaction_counts: Mapping[int, float] | None = None) -> None:
        items = catalog.items
        self.movielens_only = frozenset(i for i, it in items.items() if it.origin == "movielens")
        self.notability, self.groups = notability_scores(catalog, interaction_counts)
        self.notable_min = notable_threshold(self.notability.values())
        keys: dict[str, list[int]] = {}
        surfaces: dict[int, set[str]] = {}
        self.title_surface: dict[int, str] = {
            it.id: fold_title(straighten_apostrophes(it.title)) for it in items.values()
        }
        subtitles: dict[str, list[int]] = {}
        for item in items.values():
            names = [item.title, *item.aliases]
            surf = surfaces.setdefault(item.id, set())
            for name in names:
                name = straighten_apostrophes(name)
                key = normalize_title(name)
                if not key:
                    continue
                keys.setdefault(key, []).append(item.id)
                surf.add(fold_title(name))
                for sub in subtitle_keys(name):
                    if sub != key:
                        subtitles.setdefault(sub, []).append(item.id)
        # keys the catalog itself holds (e.g. from the database) that are not "<key> <year>" variants
        for key, ids in catalog.aliases.items():
            if key in keys:
                continue
            head, _, tail = key.rpartition(" ")
            if head and tail.isdigit() and all(items[i].year == int(tail) for i in ids if i in items):
                continue
            keys[key] = [i for i in ids if i in items]
        self.keys: dict[str, tuple[int, ...]] = {k: tuple(dict.fromkeys(v)) for k, v in keys.items() if v}
        self.surfaces: dict[int, tuple[str, ...]] = {i: tuple(sorted(v)) for i, v in surfaces.items()}
        people = people_names(items.values())
        self.subtitles: dict[str, tuple[int, ...]] = {
            k: tuple(dict.fromkeys(v)) for k, v in subtitles.items() if k not in self.keys and k not in people
        }
        compact: dict[str, list[int]] = {}
        loose: dict[str, list[int]] = {}
        for key, ids in self.keys.items():
            c = key.replace(" ", "")
            if len(c) >= 4 and c not in self.keys:
                compact.setdefault(c, []).extend(ids)
            lk = loose_key(key)
            if lk != key and len(lk.split()) >= 2 and lk not in self.keys:
                loose.setdefault(lk, []).extend(ids)
        self.compact = {k: tuple(dict.fromkeys(v)) for k, v in compact.items()}
        self.loose = {k: tuple(dict.fromkeys(v)) for k, v in loose.items()}

        # fuzzy choices: every key and subtitle, as given and token-sorted; a MovieLens-only film must be named
        # exactly (typo tolerance over 56k more obscure titles would invent matches and cost 10x the time)
        def known(ids: tuple[int, ...]) -> bool:
            return any(i not in self.movielens_only for i in ids)

        fuzzy_keys = [k for k, ids in self.keys.items() if known(ids)]
        self.choices: list[str] = fuzzy_keys + [k for k, ids in self.subtitles.items() if known(ids)]
        self.choices_sorted: list[str] = [" ".join(sorted(c.split())) for c in self.choices]
        self.n_exact_choices = len(fuzzy_keys)
        # n-gram lookup for find_titles: key prefixes (in tokens)
        self.prefixes = frozenset(_token_prefixes((*self.keys, *self.subtitles)))
        # people names, so "George Lucas" does not ground "Lucas"
        self.people = frozenset(people)
        self.person_prefixes = frozenset(_token_prefixes(people))
        dialogue_keys = [  # typo repair never aims at films only MovieLens lists
            k
            for table in (self.keys, self.subtitles)
            for k, ids in table.items()
            if not self.movielens_only.issuperset(ids)
        ]
        self.speller = Speller(dialogue_keys, self.people)


def _token_prefixes(phrases: Iterable[str]) -> set[str]:
    """Every proper token prefix of every phrase ("star wars episode" -> "star", "star wars")."""
    prefixes: set[str] = set()
    for phrase in phrases:
        parts = phrase.split()
        for n in range(1, len(parts)):
            prefixes.add(" ".join(parts[:n]))
    return prefixes


def people_names(items: Iterable[Item]) -> set[str]:
    """Folded full names (two words or more) of the catalog's directors, stars and writers."""
    people: set[str] = set()
    for item in items:
        for name in (*item.directors, *item.stars, *item.writers):
            folded = fold(straighten_apostrophes(name))
            if " " in folded:
                people.add(folded)
    return people


def subtitle_keys(title: str) -> list[str]:
    """Keys of the parts around a colon or dash ("Star Wars: The Last Jedi" -> "star wars", "last jedi")."""
    out = []
    for part in subtitle_parts(title):
        key = normalize_title(part)
        if len(key.split()) >= 2 and loose_key(key):
            out.append(key)
    return out
