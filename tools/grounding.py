"""BIGRec-style item grounding: map a free-form title (or the titles inside a message) to catalog items.

:meth:`Grounder.ground` maps one title string to the catalog item it names, or to ``None``, in up to four
stages, each stricter about what it accepts than the one before it is about what it proposes:

1. ``id``: ``"#123"`` / ``"id:123"`` for an item id of the catalog.
2. ``exact``: the normalised alias key (:func:`tools.titles.normalize_title`: folded, article-free, roman
   numerals as digits), then the same key without spaces ("spiderman" = "Spider-Man"), then without small
   words ("lord rings"), then a subtitle alone ("The Last Jedi"). Years are honoured: with a year the item
   of that year wins (one year off is tolerated, two or three cost score, more is no match); without a
   year the most popular item of that title wins (an exact article match, "Heat" vs "The Heat", counts 1.5x, 3x when the query has the article).
3. ``fuzzy``: rapidfuzz over every alias key, as given and with sorted tokens (token_sort_ratio), with a
   length-dependent edit budget, a sequel-number check ("Matrix 5" is not "Matrix") and the year check.
4. ``embedding``: nearest title embedding (all-MiniLM-L6-v2 over title strings only, cached as ``.npy``
   under ``cache_dir``), accepted only above a calibrated cosine and when every word of the query occurs in
   the candidate's title (so a new subtitle or sequel never grounds to the original).

Thresholds were calibrated on ``tests/tools/grounding_cases.jsonl`` (real catalog titles with typos,
missing / wrong years, articles, punctuation and sequel-number variants, plus plausible non-existent titles).

:meth:`Grounder.find_titles` finds titles inside free text (user messages and generated replies): alias-key
n-grams over the folded tokens (mapped back to character spans of the original text), quoted / bold /
italic spans and ``Title (Year)`` spans checked with fuzzy matching; the longest match wins. Precision rules:

- titles that are common words ("Up", "It", "Heat", "Her": the ~2,500 commonest English words, movie-talk
  words, words of four letters or fewer, two-word titles of very common words like "Get Out") count only
  when written as a title: capitalised mid-sentence (not in Title Case or ALL CAPS text), quoted, bold, or
  followed by a year;
- genre and film words ("Horror", "Drama", "Movies"), numbers, one-letter titles and chat phrases seen in
  REDIAL train dialogues as ordinary language ("Check It Out", "Goodbye", "Yes", "Love") need quotes,
  bold or a year; a capital letter is not enough;
- a title followed by another sequel number or a ``: Subtitle`` ("The Matrix 5", "Jurassic Park: The Final
  Roar") is a different, unknown film and is not grounded to the original; neither is a title inside a
  person's name from the catalog's cast and crew ("Paul Rudd", "George Lucas").
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from tools.catalog import Catalog, Item
from tools.embeddings import Embedder
from tools.titles import fold, move_article, normalize_title, split_year

log = logging.getLogger(__name__)

MatchMethod = Literal["exact", "fuzzy", "embedding", "id"]

#: Inputs longer than this are not titles: ``ground`` returns None without looking.
MAX_TITLE_CHARS = 300
#: Year difference accepted at full score; up to ``YEAR_SLACK`` is accepted at a lower score.
YEAR_TOLERANCE = 1
YEAR_SLACK = 3
#: Calibrated thresholds (see the module docstring).
FUZZY_MIN_RATIO = 80.0
FUZZY_SPLIT_MIN_RATIO = 90.0
EMBEDDING_MIN_COS = 0.80
EMBEDDING_TOKEN_MIN_RATIO = 80.0
EMBEDDING_TOP_K = 8
#: Scores of the stages (multiplied by the year factor); ``fuzzy`` also scales with the similarity.
_SCORE_EXACT = 1.0
_SCORE_COMPACT = 0.98
_SCORE_LOOSE = 0.95
_SCORE_SUBTITLE = 0.9
_SCORE_FUZZY = 0.95
_YEAR_NEAR = 0.9  # two or three years off
_YEAR_UNKNOWN = 0.85  # the query has a year, the item has none
_ARTICLE_BONUS = 1.5  # the query's words equal the item's title ("Heat" for "Heat", not "The Heat")
_ARTICLE_BONUS_STRONG = 3.0  # ... including a leading article the query wrote ("The Boy", not "Boy")
_ALIAS_BONUS = 1.2  # the query's words equal one of the item's aliases
_MAX_NGRAM = 14


def _wordset(words: str) -> frozenset[str]:
    """A frozenset of the whitespace-separated words of ``words``."""
    return frozenset(words.split())


_ARTICLES = frozenset({"the", "a", "an"})
#: Small words dropped for the "loose" key and not counted as content.
_SMALL_WORDS = _wordset("the a an of and in on at to for from by with or part vs")
#: Words that may sit inside a capitalised title without being capitalised themselves.
_TITLE_CONNECTORS = _wordset(
    "the a an of and in on at to for from by with or vs nor but is are was be into over under de la le du"
)
_ROMAN = {"ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8"}
_SEQUEL_TOKENS = frozenset({*(str(i) for i in range(1, 21)), "ii", "iii", "iv", "vi", "vii", "viii", "ix"})
#: Pure genre labels: a title made only of these never matches as a title unless a year follows it
#: (or it is quoted): "i want a horror movie" is about a genre.
GENRE_WORDS = _wordset(
    """action adventure animation animated anime biography biographical biopic comedy comedies crime
    documentary documentaries drama dramas dramedy family fantasy history historical horror horrors music
    musical musicals mystery mysteries noir romance romances romantic romcom sci fi scifi science fiction
    sport sports thriller thrillers war western westerns superhero superheroes slasher slashers indie
    foreign teen kids children childrens suspense psychological satire parody spoof mockumentary
    martial arts disaster heist spy espionage"""
)
#: Words about films themselves; as strict as genre words when alone.
GENERIC_WORDS = _wordset(
    """movie movies film films flick flicks cinema show shows series tv sequel sequels prequel trilogy
    franchise remake remakes reboot cartoon cartoons genre genres classic classics episode episodes
    season seasons documentary"""
)
#: Movie-talk words that are no common English words but still often mean a kind of film, not a title.
DOMAIN_COMMON_WORDS = _wordset(
    """monster monsters ghost ghosts zombie zombies vampire vampires werewolf werewolves alien aliens
    creature creatures killer killers twisted twist twists scary creepy gory gore funny hilarious
    cheesy gritty violent feelgood tearjerker robot robots dinosaur dinosaurs shark sharks pirate pirates
    witch witches wizard wizards magic dragon dragons princess princesses fairy survival revenge
    apocalypse apocalyptic dystopian dystopia gangster gangsters mafia mob cops detective detectives
    boxing dance christmas halloween thanksgiving easter valentine valentines holiday holidays
    adult adults teenage teenagers thrills chills suspenseful heartwarming inspiring inspirational
    emotional intense psycho crazy awesome amazing cute sweet epic legend legends hero heroes villain
    villains ninja ninjas samurai cowboy cowboys outlaw outlaws soldier soldiers spies"""
)
#: Words and phrases that are catalog titles but that movie chat uses as ordinary language far more often
#: than as titles: title keys seen >= 3 times as plain text and >= 2x as often as the film was mentioned in
#: REDIAL train-split dialogues (hand-curated: first names and chat phrases kept, real title uses dropped),
#: plus greetings, interjections and months. In text only quotes, bold or a year make them titles.
CHAT_PHRASES = frozenset(
    line.strip()
    for line in """
    check it out|checking out|goodbye|sounds good|good morning|good luck|good night|goodnight|hahaha|haha
    greetings|gotcha|thats it|lets go|you laugh|merry christmas|happy birthday|be cool|marvel|actors|trailer
    trailers|serial|murder mystery|special effects|amazon|netflix|hulu|buddy|popcorn|originals|date movie
    date night|girls night|sad movie|road trip|hysterical|supernatural|haunted|hollywood|obsessed|loving
    hidden|comedian|virus|psychopath|hunger|getaway|furious|cabin|bridesmaid|blood and guts|twins|silence
    bound|dolls|forgotten|sixth|tracks|rubber|sniper|hitman|mermaid|little boy|beast|kung fu|santa|spider
    panther|walker|simba|walking dead|old boy|kevin|bruce|jennifer|oscar|oscars|chase|julia|keanu|morgan
    wilson|jackie|eddie|arnold|sparks|hitchcock|roman|scarlett|vincent|helen|tommy|hoffman|goldie|danny
    bronson|harvey|dennis|hitler|hawaii|alaska|dahmer|gnomes|brides|bears|clown|scarecrow|nightmare
    take care|anything else|sure thing|true story|love story|my family|good kids|old school|something new
    real life|good time|black and white|just looking|way back|our house|over the top|all the way|young adult
    one day|oh god|up there|my best friend|in time|i love you|best friends|true crime|the end|the one
    the rock|haven|vacation|sisters|brothers|hello|hi|hey|yes|yeah|yep|no|nope|ok|okay|you|me|love|loved
    good|great|wow|thanks|thank you|bye|good bye|goodnight|lol|omg|sorry|please|sure|cool|nice|awesome
    welcome|january|february|march|april|may|june|july|august|september|october|november|december
    """.replace("\n", "|").split("|")
    if line.strip()
)
_PRONOUNS = _wordset("it you her us him them me we they she he i")
_AUXILIARIES = _wordset(
    "is was were are am be been has had have will would can could does did do should might must"
)
_GENERIC_FOLLOWERS = GENERIC_WORDS | frozenset(
    {"type", "kind", "kinds", "stuff", "themed", "ones", "one", "vibe"}
)

_TOKEN_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|&")
_ID_RE = re.compile(r"^\s*(?:#|id\s*[:=]\s*|item\s*[:#]?\s*)(\d{1,12})\s*$", re.IGNORECASE)
_BARE_YEAR_RE = re.compile(r"^(.*\S)\s*[,\-–]?\s+((?:18|19|20)\d\d)$")
_YEAR_AFTER_RE = re.compile(
    r"[!?.]{0,3}\s*[\(\[]\s*((?:18|19|20)\d\d)\s*[\)\]]|[ \t]+((?:18|19|20)\d\d)(?![\w\-–])"
)
_YEAR_PAREN_RE = re.compile(r"[\(\[]\s*((?:18|19|20)\d\d)\s*[\)\]]")
_WRAPPERS = "\"'“”‘’«»*_`[]{}<>~"
_SENTENCE_GAP_RE = re.compile(r"[.!?;]\s|\n|[\"“”*()\[\]«»|]")
_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "st", "jr", "sr", "vs", "no", "vol", "mt", "ft", "prof"})
_EXPLICIT_RES = (
    re.compile(r"\*\*(?P<c>[^*\n]{1,150}?)\*\*"),
    re.compile(r"__(?P<c>[^_\n]{1,150}?)__"),
    re.compile(r"(?<![\w*])\*(?P<c>[^*\s][^*\n]{0,149}?)\*(?![\w*])"),
    re.compile(r"(?<![\w_])_(?P<c>[^_\s][^_\n]{0,149}?)_(?![\w_])"),
    re.compile(r"\"(?P<c>[^\"\n]{1,150}?)\""),
    re.compile(r"“(?P<c>[^”\n]{1,150}?)”"),
    re.compile(r"(?<![\w'])'(?P<c>[^'\s][^\n]{0,149}?)'(?![\w'])"),
    re.compile(r"‘(?P<c>[^’\n]{1,150}?)’(?!\w)"),
    re.compile(r"«(?P<c>[^»\n]{1,150}?)»"),
)
_MAX_EXPLICIT_WORDS = 12


@dataclass(frozen=True, slots=True)
class ItemMatch:
    """A catalog item that a title was grounded to, with the stage that found it and its score (0..1]."""

    item_id: int
    title: str
    year: int | None
    score: float
    method: MatchMethod


@dataclass(frozen=True, slots=True)
class Mention:
    """A title found inside free text: ``text == source[start:end]``, grounded to ``match``."""

    start: int
    end: int
    text: str
    match: ItemMatch


@dataclass(frozen=True, slots=True)
class _Query:
    """A title string parsed for lookup."""

    key: str  # normalize_title form
    surface: str  # folded, article kept
    year: int | None
    digits: frozenset[str]
    display: str  # title text without the year (for embeddings)


@dataclass(slots=True)
class _Tok:
    """A word of a text with its character span and folded form."""

    start: int
    end: int
    raw: str
    norm: str
    alt: str | None  # possessive-free form ("inceptions" from "Inception's")
    cap: bool
    sent_start: bool = False


@dataclass(slots=True)
class _Candidate:
    start: int
    end: int
    match: ItemMatch
    priority: int


# --------------------------------------------------------------------------- helpers


def _clean(text: str) -> str:
    """Straighten typographic apostrophes so "Schindler’s" folds like "Schindler's"."""
    return text.replace("’", "'").replace("‘", "'").replace("`", "'").replace("´", "'")


def _strip_wrappers(text: str) -> str:
    text = text.strip()
    for _ in range(3):
        stripped = text.strip(_WRAPPERS).strip().rstrip(".,;:!?").strip()
        if stripped == text:
            break
        text = stripped
    return text


def _digit_tokens(key: str) -> frozenset[str]:
    """Sequel / number tokens of a normalised key ("toy story 3" -> {"3"})."""
    return frozenset(t for t in key.split() if t.isdigit())


def _loose(key: str) -> str:
    return " ".join(t for t in key.split() if t not in _SMALL_WORDS)


def _surface(title: str) -> str:
    base, _ = split_year(_clean(title))
    return fold(move_article(base))


def _allowed_edits(length: int) -> int:
    """Edit budget of the fuzzy stage for a key this long (optimal string alignment: a swap is one edit)."""
    if length <= 4:
        return 0
    if length <= 8:
        return 1
    if length <= 14:
        return 2
    if length <= 24:
        return 3
    return 4


def _token_edits(length: int) -> int:
    """Edit budget of one word: a different short word ("moon" / "man") is no typo."""
    if length <= 5:
        return 1
    return 2


def _tokens_align(query: str, key: str) -> bool:
    """Word-level check of a fuzzy candidate.

    With as many words in the same order, each word is within its own edit budget (two-letter words
    only in longer titles); with the words reordered, at most one edit in all; with a different word
    count, the strings must be very close.
    """
    qt, kt = query.split(), key.split()
    if len(qt) != len(kt):
        return fuzz.ratio(query, key) >= FUZZY_SPLIT_MIN_RATIO
    in_order = True
    for x, y in zip(qt, kt, strict=True):
        if x == y:
            continue
        budget = _token_edits(len(y)) if len(y) > 2 or len(query) >= 10 else 0
        if x[:1] != y[:1]:
            budget = min(budget, 1)  # typos seldom hit a word's first letter
        if OSA.distance(x, y, score_cutoff=budget + 1) > budget:
            in_order = False
            break
    if in_order:
        return True
    edits = 0
    for x, y in zip(sorted(qt), sorted(kt), strict=True):
        edits += OSA.distance(x, y, score_cutoff=2)
        if edits > 1:
            return False
    return True


def _year_factor(item_year: int | None, year: int | None) -> float:
    """Score factor for an item's year against the query's (0 = incompatible)."""
    if year is None:
        return 1.0
    if item_year is None:
        return _YEAR_UNKNOWN
    diff = abs(item_year - year)
    if diff <= YEAR_TOLERANCE:
        return 1.0
    if diff <= YEAR_SLACK:
        return _YEAR_NEAR
    return 0.0


def _hash_titles(model_ref: str, texts: Iterable[str]) -> str:
    digest = hashlib.sha1(model_ref.encode("utf-8"))
    for text in texts:
        digest.update(b"\n")
        digest.update(text.encode("utf-8"))
    return digest.hexdigest()[:20]


def _tokenize(text: str) -> list[_Tok]:
    """Word tokens of ``text`` with spans; folded forms use the same rules as alias keys."""
    toks: list[_Tok] = []
    for m in _TOKEN_RE.finditer(text):
        raw = m.group()
        parts = ["and"] if raw == "&" else fold(_clean(raw)).split()
        if not parts:
            continue
        possessive = raw.lower().endswith(("'s", "’s"))
        for k, part in enumerate(parts):
            norm = _ROMAN.get(part, part)
            alt = None
            if (
                possessive
                and k == len(parts) - 1
                and norm.endswith("s")
                and norm[:-1] not in VERY_COMMON_WORDS
            ):
                alt = norm[:-1]  # "Inception's" -> "inception", but "it's" stays "its"
            toks.append(_Tok(m.start(), m.end(), raw, norm, alt, raw[:1].isupper()))
    for tok in toks:
        tok.sent_start = _is_sentence_start(text, tok.start)
    return toks


def _is_sentence_start(text: str, pos: int) -> bool:
    """True when nothing but markup, bullets or sentence punctuation precedes ``pos`` in its sentence."""
    i = pos - 1
    while i >= 0:
        ch = text[i]
        if ch == "\n":
            return True
        if ch.isspace() or ch in "*_\"'“”‘’«»#>-–—•([{`~":
            i -= 1
            continue
        if ch in ".!?:;":  # also "1." list markers
            word = re.search(r"(\w+)$", text[:i]) if ch == "." else None
            return not (word is not None and word.group(1).lower() in _ABBREVIATIONS)
        return False
    return True


def _gap_breaks(text: str, left: _Tok, right: _Tok) -> bool:
    """Whether the characters between two tokens end a title (sentence punctuation, markup, newline)."""
    if left.end == right.start and left.start == right.start:
        return False  # parts of one token
    gap = text[left.end : right.start]
    if not gap:
        return False
    if _SENTENCE_GAP_RE.search(gap + " "):
        if gap.startswith(".") and (left.norm in _ABBREVIATIONS or len(left.norm) == 1):
            return "\n" in gap
        return True
    return False


# --------------------------------------------------------------------------- grounder


class Grounder:
    """Maps titles (and titles inside text) to catalog items; see the module docstring.

    Construction indexes the catalog's alias keys (a few hundred ms for ~8k items) and loads the title
    embeddings when ``cache_dir`` already holds them; otherwise they are computed on the first query that
    reaches the embedding stage and saved there. Thread-safe for concurrent readers.
    """

    def __init__(
        self, catalog: Catalog, embedder: Embedder | None = None, cache_dir: Path | None = None
    ) -> None:
        started = time.perf_counter()
        self.catalog = catalog
        self.embedder = embedder
        self.cache_dir = cache_dir
        self._lock = threading.Lock()
        self._vectors: np.ndarray | None = None
        self._vector_ids: list[int] = sorted(catalog.items)
        self._embedding_failed = False
        self._build_indexes()
        self._cache_path = self._embedding_cache_path()
        if self._cache_path is not None and self._cache_path.exists():
            self._load_vectors(self._cache_path)
        log.debug(
            "grounder over %d items built in %.0f ms", len(catalog), (time.perf_counter() - started) * 1000
        )

    # ------------------------------------------------------------------ indexes

    def _build_indexes(self) -> None:
        items = self.catalog.items
        keys: dict[str, list[int]] = {}
        surfaces: dict[int, set[str]] = {}
        self._title_surface: dict[int, str] = {it.id: _surface(it.title) for it in items.values()}
        subtitles: dict[str, list[int]] = {}
        for item in items.values():
            names = [item.title, *item.aliases]
            surf = surfaces.setdefault(item.id, set())
            for name in names:
                name = _clean(name)
                key = normalize_title(name)
                if not key:
                    continue
                keys.setdefault(key, []).append(item.id)
                surf.add(_surface(name))
                for sub in self._subtitle_keys(name):
                    if sub != key:
                        subtitles.setdefault(sub, []).append(item.id)
        # keys the catalog itself holds (e.g. from the database) that are not "<key> <year>" variants
        for key, ids in self.catalog.aliases.items():
            if key in keys:
                continue
            head, _, tail = key.rpartition(" ")
            if head and tail.isdigit() and all(items[i].year == int(tail) for i in ids if i in items):
                continue
            keys[key] = [i for i in ids if i in items]
        self._keys: dict[str, tuple[int, ...]] = {k: tuple(dict.fromkeys(v)) for k, v in keys.items() if v}
        self._surfaces = surfaces
        people = self._people_names(items.values())
        self._subtitles: dict[str, tuple[int, ...]] = {
            k: tuple(dict.fromkeys(v))
            for k, v in subtitles.items()
            if k not in self._keys and k not in people
        }
        compact: dict[str, list[int]] = {}
        loose: dict[str, list[int]] = {}
        for key, ids in self._keys.items():
            c = key.replace(" ", "")
            if len(c) >= 4 and c not in self._keys:
                compact.setdefault(c, []).extend(ids)
            lk = _loose(key)
            if lk != key and len(lk.split()) >= 2 and lk not in self._keys:
                loose.setdefault(lk, []).extend(ids)
        self._compact = {k: tuple(dict.fromkeys(v)) for k, v in compact.items()}
        self._loose = {k: tuple(dict.fromkeys(v)) for k, v in loose.items()}
        # fuzzy choices: every key and subtitle, as given and token-sorted
        self._choices: list[str] = list(self._keys) + list(self._subtitles)
        self._choices_sorted: list[str] = [" ".join(sorted(c.split())) for c in self._choices]
        self._n_exact_choices = len(self._keys)
        # n-gram lookup for find_titles: key prefixes (in tokens)
        prefixes: set[str] = set()
        for key in (*self._keys, *self._subtitles):
            parts = key.split()
            for n in range(1, len(parts)):
                prefixes.add(" ".join(parts[:n]))
        self._prefixes = frozenset(prefixes)
        # people names, so "George Lucas" does not ground "Lucas"
        person_prefixes: set[str] = set()
        for name in people:
            parts = name.split()
            for n in range(1, len(parts)):
                person_prefixes.add(" ".join(parts[:n]))
        self._people = frozenset(people)
        self._person_prefixes = frozenset(person_prefixes)

    @staticmethod
    def _people_names(items: Iterable[Item]) -> set[str]:
        """Folded full names (two words or more) of the catalog's directors, stars and writers."""
        people: set[str] = set()
        for item in items:
            for name in (*item.directors, *item.stars, *item.writers):
                folded = fold(_clean(name))
                if " " in folded:
                    people.add(folded)
        return people

    @staticmethod
    def _subtitle_keys(title: str) -> list[str]:
        """Keys of the parts around a colon or dash ("Star Wars: The Last Jedi" -> "star wars", "last jedi")."""
        base, _ = split_year(title)
        parts = re.split(r"\s*(?::|\s[-–—]\s)\s*", base, maxsplit=1)
        if len(parts) != 2:
            return []
        out = []
        for part in parts:
            key = normalize_title(part)
            if len(key.split()) >= 2 and _loose(key):
                out.append(key)
        return out

    # ------------------------------------------------------------------ parsing

    def _parse(self, title: str, bare_year: bool = True) -> _Query | None:
        """Split a title into its key, surface form and year ("(1999)", or a bare trailing "1999")."""
        text = _strip_wrappers(_clean(title))
        if not text:
            return None
        base, year = split_year(text)
        base = _strip_wrappers(base)
        key = normalize_title(base)
        if bare_year and year is None and key not in self._keys:
            m = _BARE_YEAR_RE.match(base)
            if m:
                head_key = normalize_title(m.group(1))
                if head_key:
                    base, year, key = m.group(1).strip(), int(m.group(2)), head_key
        if not key:
            return None
        return _Query(key, fold(move_article(base)), year, _digit_tokens(key), move_article(base))

    # ------------------------------------------------------------------ public API

    def ground(self, title: str) -> ItemMatch | None:
        """The catalog item that ``title`` names ("Dune (1984)", "matrx", "Godfather Part II"), or None.

        Never raises: empty, whitespace-only and over-long (> 300 characters) inputs give None.
        """
        if not isinstance(title, str) or not title.strip() or len(title) > MAX_TITLE_CHARS:
            return None
        try:
            by_id = self._ground_id(title)
            if by_id is not None:
                return by_id
            query = self._parse(title)
            if query is None:
                return None
            found = self._ground_lexical(query)
            if found is None and query.year is not None and split_year(_clean(title).strip())[1] is None:
                # the trailing number may be part of the title ("Blaade Runner 2049")
                whole = self._parse(title, bare_year=False)
                found = self._ground_lexical(whole) if whole is not None else None
            return found or self._ground_embedding(query)
        except Exception:  # grounding must never break a turn
            log.exception("grounding failed for %r", title[:80])
            return None

    def ground_many(self, titles: Sequence[str]) -> list[ItemMatch | None]:
        """:meth:`ground` for each title, in order (repeated titles are grounded once)."""
        memo: dict[str, ItemMatch | None] = {}
        out: list[ItemMatch | None] = []
        for title in titles:
            key = title if isinstance(title, str) else ""
            if key not in memo:
                memo[key] = self.ground(key)
            out.append(memo[key])
        return out

    def find_titles(self, text: str) -> list[Mention]:
        """Every catalog title mentioned in ``text``, grounded, non-overlapping (longest wins), in order."""
        if not isinstance(text, str) or not text.strip():
            return []
        try:
            return self._find_titles(text)
        except Exception:
            log.exception("find_titles failed on a %d-character text", len(text))
            return []

    def warm(self) -> None:
        """Compute (or load) the title embeddings now instead of on the first embedding lookup."""
        self._title_vectors()

    # ------------------------------------------------------------------ stages

    def _match(self, item: Item, score: float, method: MatchMethod) -> ItemMatch:
        return ItemMatch(item.id, item.title, item.year, round(float(score), 4), method)

    def _ground_id(self, title: str) -> ItemMatch | None:
        m = _ID_RE.match(title)
        if not m:
            return None
        item = self.catalog.items.get(int(m.group(1)))
        return self._match(item, 1.0, "id") if item else None

    def _pick(self, ids: Iterable[int], year: int | None, surface: str) -> tuple[Item, float] | None:
        """The best item among same-title candidates.

        Year first (exact, then within tolerance), then popularity, weighted up when the query's words equal
        the item's own title (1.5x; 3x with the query's leading article) or one of its aliases (1.2x), then
        metadata completeness (duplicates), then the lower id.
        """
        best: tuple[tuple[float, int, float, int, int], Item, float] | None = None
        for item_id in ids:
            item = self.catalog.items.get(item_id)
            if item is None:
                continue
            factor = _year_factor(item.year, year)
            if factor <= 0.0:
                continue
            same_year = int(year is not None and item.year == year)
            bonus = 1.0
            if surface == self._title_surface.get(item.id):
                bonus = _ARTICLE_BONUS_STRONG if surface.split(" ", 1)[0] in _ARTICLES else _ARTICLE_BONUS
            elif surface in self._surfaces.get(item.id, ()):
                bonus = _ALIAS_BONUS
            pop = (max(item.popularity, 0.0) + 1.0) * bonus
            completeness = bool(item.plot) + bool(item.genres) + bool(item.directors or item.stars)
            rank = (factor, same_year, pop, completeness, -item.id)
            if best is None or rank > best[0]:
                best = (rank, item, factor)
        return (best[1], best[2]) if best else None

    def _ground_exact(self, q: _Query) -> ItemMatch | None:
        for index, key, score in (
            (self._keys, q.key, _SCORE_EXACT),
            (self._compact, q.key.replace(" ", ""), _SCORE_COMPACT),
            (self._loose, _loose(q.key), _SCORE_LOOSE),
            (self._subtitles, q.key, _SCORE_SUBTITLE),
        ):
            ids = index.get(key)
            if not ids:
                continue
            picked = self._pick(ids, q.year, q.surface)
            if picked:
                item, factor = picked
                return self._match(item, score * factor, "exact")
            if index is self._keys:
                return None  # the title exists, but not with that year
        return None

    def _ground_fuzzy(self, q: _Query) -> ItemMatch | None:
        if len(q.key) < 5:
            return None
        sorted_key = " ".join(sorted(q.key.split()))
        scores: dict[int, float] = {}
        for query, choices in ((q.key, self._choices), (sorted_key, self._choices_sorted)):
            for _, score, idx in process.extract(
                query, choices, scorer=fuzz.ratio, processor=None, limit=8, score_cutoff=FUZZY_MIN_RATIO
            ):
                scores[idx] = max(scores.get(idx, 0.0), float(score))
        best: tuple[tuple[float, float], Item, float] | None = None
        for idx, ratio in scores.items():
            key = self._choices[idx]
            if _digit_tokens(key) != q.digits:
                continue
            budget = _allowed_edits(min(len(key), len(q.key)))
            dist = min(
                OSA.distance(q.key, key, score_cutoff=budget + 1),
                OSA.distance(sorted_key, self._choices_sorted[idx], score_cutoff=budget + 1),
            )
            if idx >= self._n_exact_choices:
                budget = min(budget, 1)  # a subtitle alone is already a loose match
            if dist > budget or not _tokens_align(q.key, key):
                continue
            ids = self._keys.get(key) or self._subtitles.get(key, ())
            picked = self._pick(ids, q.year, q.surface)
            if not picked:
                continue
            item, factor = picked
            weight = 1.0 if idx < self._n_exact_choices else _SCORE_SUBTITLE
            score = _SCORE_FUZZY * (ratio / 100.0) * factor * weight
            rank = (score, item.popularity)
            if best is None or rank > best[0]:
                best = (rank, item, score)
        if best is None:
            return None
        return self._match(best[1], best[2], "fuzzy")

    def _ground_lexical(self, q: _Query) -> ItemMatch | None:
        found = self._ground_exact(q)
        if found is not None:
            return found
        alt = self._article_typo_variant(q)
        if alt is not None:
            found = self._ground_exact(alt)
            if found is not None:  # a one-letter slip in "The": as good as a fuzzy match
                return ItemMatch(
                    found.item_id, found.title, found.year, round(found.score * _SCORE_FUZZY, 4), "fuzzy"
                )
        return self._ground_fuzzy(q) or (self._ground_fuzzy(alt) if alt is not None else None)

    @staticmethod
    def _article_typo_variant(q: _Query) -> _Query | None:
        """The query without a mistyped leading "The" ("Teh Holiday", "thr cell"), if it has one."""
        first, _, rest = q.key.partition(" ")
        if not rest or first == "the" or first in COMMON_WORDS or not 2 <= len(first) <= 4:
            return None
        if OSA.distance(first, "the") > 1:
            return None
        return _Query(rest, f"the {rest}", q.year, _digit_tokens(rest), q.display.split(" ", 1)[-1])

    def _ground_embedding(self, q: _Query) -> ItemMatch | None:
        if self.embedder is None or self._embedding_failed:
            return None
        vectors = self._title_vectors()
        if vectors is None or len(vectors) == 0:
            return None
        vec = self.embedder.query(q.display)
        sims = vectors @ vec
        k = min(EMBEDDING_TOP_K, len(sims))
        top = np.argpartition(-sims, k - 1)[:k]
        q_tokens = q.key.split()
        for idx in sorted(top.tolist(), key=lambda i: -float(sims[i])):
            cos = float(sims[idx])
            if cos < EMBEDDING_MIN_COS:
                break
            item = self.catalog.items[self._vector_ids[idx]]
            factor = _year_factor(item.year, q.year)
            if factor <= 0.0 or (q.year is not None and item.year is None):
                continue
            if not any(self._covers(q_tokens, q.digits, name) for name in (item.title, *item.aliases)):
                continue
            return self._match(item, cos * factor, "embedding")
        return None

    @staticmethod
    def _covers(q_tokens: list[str], q_digits: frozenset[str], name: str) -> bool:
        """Every query word occurs (up to a typo) in the item's title, and sequel numbers agree."""
        key = normalize_title(_clean(name))
        if _digit_tokens(key) != q_digits:
            return False
        words = key.split()
        for tok in q_tokens:
            if tok in words:
                continue
            if len(tok) < 4 or not words:
                return False
            if (
                process.extractOne(tok, words, scorer=fuzz.ratio, score_cutoff=EMBEDDING_TOKEN_MIN_RATIO)
                is None
            ):
                return False
        return True

    # ------------------------------------------------------------------ title embeddings

    def _embedding_texts(self) -> list[str]:
        return [move_article(split_year(self.catalog.items[i].title)[0]) for i in self._vector_ids]

    def _embedding_cache_path(self) -> Path | None:
        if self.cache_dir is None or self.embedder is None:
            return None
        model_ref = str(getattr(self.embedder, "_model_ref", None) or "bundled:all-MiniLM-L6-v2")
        digest = _hash_titles(
            model_ref, (f"{i}\t{t}" for i, t in zip(self._vector_ids, self._embedding_texts(), strict=True))
        )
        return Path(self.cache_dir) / f"grounding-titles-{digest}.npy"

    def _load_vectors(self, path: Path) -> bool:
        try:
            vectors = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable title-embedding cache %s (%s)", path, exc)
            return False
        if vectors.ndim != 2 or vectors.shape[0] != len(self._vector_ids):
            log.warning("ignoring title-embedding cache %s of shape %s", path, vectors.shape)
            return False
        self._vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        return True

    def _title_vectors(self) -> np.ndarray | None:
        if self._vectors is not None or self.embedder is None:
            return self._vectors
        with self._lock:
            if self._vectors is not None:
                return self._vectors
            path = self._cache_path
            if path is not None and path.exists() and self._load_vectors(path):
                return self._vectors
            started = time.perf_counter()
            try:
                vectors = self.embedder.encode(self._embedding_texts(), batch_size=256)
            except Exception as exc:  # the model may be missing; grounding goes on without this stage
                log.warning("title embeddings unavailable, embedding stage disabled (%s)", exc)
                self._embedding_failed = True
                return None
            log.info("embedded %d titles in %.1f s", len(vectors), time.perf_counter() - started)
            if path is not None:
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    tmp = path.with_suffix(".tmp.npy")
                    np.save(tmp, vectors)
                    tmp.replace(path)
                except OSError as exc:
                    log.warning("cannot cache title embeddings at %s (%s)", path, exc)
            self._vectors = vectors
            return vectors

    # ------------------------------------------------------------------ find_titles

    def _find_titles(self, text: str) -> list[Mention]:
        toks = _tokenize(text)
        caps_unreliable = self._caps_unreliable(toks)
        candidates: list[_Candidate] = []
        failed_spans: list[tuple[int, int]] = []
        self._explicit_candidates(text, candidates, failed_spans)
        person_spans = self._person_spans(text, toks)
        self._ngram_candidates(text, toks, caps_unreliable, failed_spans, person_spans, candidates)
        self._year_span_candidates(text, toks, candidates)
        # longest span wins, then priority (explicit > year span > n-gram), then position
        candidates.sort(key=lambda c: (-(c.end - c.start), -c.priority, c.start))
        taken: list[_Candidate] = []
        for cand in candidates:
            if all(cand.end <= t.start or cand.start >= t.end for t in taken):
                taken.append(cand)
        taken.sort(key=lambda c: c.start)
        return [Mention(c.start, c.end, text[c.start : c.end], c.match) for c in taken]

    @staticmethod
    def _caps_unreliable(toks: list[_Tok]) -> bool:
        """True for Title Case or ALL CAPS texts, where a capital letter says nothing about titles."""
        words = [t for t in toks if t.raw[:1].isalpha() and not t.sent_start and t.raw != "I"]
        if len(words) < 3:
            return False
        return sum(1 for t in words if t.cap) / len(words) > 0.6

    def _explicit_candidates(self, text: str, out: list[_Candidate], failed: list[tuple[int, int]]) -> None:
        seen: set[tuple[int, int]] = set()
        for regex in _EXPLICIT_RES:
            for m in regex.finditer(text):
                start, end = m.span("c")
                content = text[start:end]
                lead = len(content) - len(content.lstrip())
                content = content.strip()
                start += lead
                trimmed = content.rstrip(".,;:!?")
                if trimmed.endswith(("!", "?")) and len(trimmed) < len(content):
                    trimmed = content  # keep "Airplane!"
                content = trimmed
                end = start + len(content)
                if not content or (start, end) in seen or len(content.split()) > _MAX_EXPLICIT_WORDS:
                    continue
                seen.add((start, end))
                q = self._parse(content)
                if q is None:
                    continue
                if self._strict_words(q.key.split()) and q.year is None:
                    continue  # "**Drama**", "*horror*": genre words
                match = self._ground_lexical(q)
                if match is None:
                    failed.append((start, end))
                    continue
                out.append(_Candidate(start, end, match, 3))

    def _person_spans(self, text: str, toks: list[_Tok]) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        for i in range(len(toks)):
            key = toks[i].norm
            for j in range(i + 1, min(len(toks), i + 5)):
                if _gap_breaks(text, toks[j - 1], toks[j]):
                    break
                key = f"{key} {toks[j].norm}"
                if key in self._people:
                    spans.append((toks[i].start, toks[j].end))
                if key not in self._person_prefixes:
                    break
        return spans

    @staticmethod
    def _strict_words(words: Sequence[str]) -> bool:
        """Only genre / film words (and small words): such a title needs a year or quotes."""
        content = [w for w in words if w not in _SMALL_WORDS]
        return bool(content) and all(w in GENRE_WORDS or w in GENERIC_WORDS for w in content)

    def _ngram_candidates(
        self,
        text: str,
        toks: list[_Tok],
        caps_unreliable: bool,
        failed: list[tuple[int, int]],
        person_spans: list[tuple[int, int]],
        out: list[_Candidate],
    ) -> None:
        n = len(toks)
        for i in range(n):
            if toks[i].norm in _ARTICLES and i + 1 < n:
                continue  # keys never start with an article; the span is extended below
            key = ""
            for j in range(i, min(n, i + _MAX_NGRAM)):
                if j > i and _gap_breaks(text, toks[j - 1], toks[j]):
                    break
                key = toks[j].norm if j == i else f"{key} {toks[j].norm}"
                forms = [key]
                alt = toks[j].alt
                if alt:
                    forms.append(f"{key.rsplit(' ', 1)[0]} {alt}" if j > i else alt)
                for form in forms:
                    weak = False
                    ids = self._keys.get(form)
                    if ids is None and j - i <= 2:
                        ids = self._compact.get(form.replace(" ", "")) if len(form) >= 6 else None
                    if ids is None and j > i:
                        ids, weak = self._subtitles.get(form), True
                    if ids:
                        cand = self._ngram_candidate(
                            text, toks, i, j, ids, weak, caps_unreliable, failed, person_spans
                        )
                        if cand is not None:
                            out.append(cand)
                            break
                if key not in self._prefixes:
                    break

    def _ngram_candidate(
        self,
        text: str,
        toks: list[_Tok],
        i: int,
        j: int,
        ids: tuple[int, ...],
        weak: bool,
        caps_unreliable: bool,
        failed: list[tuple[int, int]],
        person_spans: list[tuple[int, int]],
    ) -> _Candidate | None:
        words = toks[i : j + 1]
        start, end = words[0].start, words[-1].end
        article = i > 0 and toks[i - 1].norm in _ARTICLES and not _gap_breaks(text, toks[i - 1], toks[i])
        # a year right after the title: "Heat (1995)", "Heat 1995"
        year: int | None = None
        ym = _YEAR_AFTER_RE.match(text, end)
        if ym:
            year = int(ym.group(1) or ym.group(2))
        nxt = j + 1
        while nxt < len(toks) and toks[nxt].start < end:
            nxt += 1
        next_tok = toks[nxt] if nxt < len(toks) and not _gap_breaks(text, toks[j], toks[nxt]) else None
        gap = text[end : next_tok.start] if next_tok is not None else ""
        if year is None and next_tok is not None:
            # a different (unknown) sequel or subtitle: "Matrix 5", "Jurassic Park: The Final Roar"
            if next_tok.norm in _SEQUEL_TOKENS or next_tok.raw.lower() in _SEQUEL_TOKENS:
                return None
            if gap.strip() in (":", "-", "–", "—") and next_tok.cap:
                return None
        content = [w.norm for w in words]
        phrase = " ".join(content)
        strict = (
            self._strict_words(content)
            or all(w.isdigit() for w in content)
            or phrase in CHAT_PHRASES
            or (article and f"{toks[i - 1].norm} {phrase}" in CHAT_PHRASES)
            or len(phrase) <= 1
        )
        ambiguous = strict or self._is_ambiguous(words)
        if ambiguous and year is None:
            if strict:
                return None  # only quotes, bold or a year make these titles
            if not self._case_marked(words, toks, i, j, caps_unreliable, article):
                return None
            if next_tok is not None and next_tok.norm in _GENERIC_FOLLOWERS and gap.strip() in ("", "-"):
                return None  # "a Halloween movie", "Christmas films"
        if weak and year is None and len(content) < 2:
            return None
        if (
            not ambiguous
            and year is None
            and len(content) == 1
            and words[0].cap
            and not caps_unreliable
            and self._in_capitalized_name(words, toks, i, j, article, names_only=True)
        ):
            return None
        # a failed quoted / bold title that starts with this one ("**The Matrix Reborn**")
        for fs, fe in failed:
            if fs <= start < fe and (start - fs) <= 4 and end < fe:
                return None
        for ps, pe in person_spans:
            if ps <= start and end <= pe and (ps, pe) != (start, end):
                return None
        surface = " ".join(w.norm for w in words)
        if article:
            surface = f"{toks[i - 1].norm} {surface}"
        picked = self._pick(ids, year, surface)
        if picked is None:
            return None
        item, factor = picked
        if article and _surface(item.title).split(" ", 1)[0] in _ARTICLES:
            start = toks[i - 1].start
        if ym:
            end = ym.end()
        score = (_SCORE_SUBTITLE if weak else _SCORE_EXACT) * factor
        return _Candidate(start, end, self._match(item, score, "exact"), 1)

    @staticmethod
    def _is_ambiguous(words: list[_Tok]) -> bool:
        """Titles that are also ordinary words: they need a marker (capital, quotes, year) to count."""
        content = [w.norm for w in words if w.norm not in _SMALL_WORDS] or [w.norm for w in words]
        if len(words) == 1 or len(content) == 1:
            word = content[0]
            letters = sum(ch.isalpha() for ch in word)
            return letters <= 4 or word in COMMON_WORDS or word in DOMAIN_COMMON_WORDS
        if len(words) == 2:
            return all(
                w in VERY_COMMON_WORDS or w in GENRE_WORDS or w in GENERIC_WORDS or w in DOMAIN_COMMON_WORDS
                for w in content
            )
        return False

    @staticmethod
    def _case_marked(
        words: list[_Tok], toks: list[_Tok], i: int, j: int, caps_unreliable: bool, article: bool
    ) -> bool:
        """Written like a title: every significant word capitalised, and not only because a sentence starts."""
        if caps_unreliable:
            return False
        significant = [w for w in words if w.norm not in _TITLE_CONNECTORS] or words
        if not all(w.cap or w.raw[:1].isdigit() for w in significant):
            return False
        if all(w.raw.isupper() and len(w.raw) > 1 for w in significant):
            return False  # "I LOVE action films": emphasis, not a title
        first = words[0]
        if first.sent_start and len(significant) == 1 and not article:
            return False
        if len(significant) == 1:
            if Grounder._in_capitalized_name(words, toks, i, j, article):
                return False
            nxt = toks[j + 1] if j + 1 < len(toks) else None
            # a pronoun doing a pronoun's job: "I have It was great"
            if first.norm in _PRONOUNS and nxt is not None and nxt.norm in _AUXILIARIES:
                return False
        return True

    @staticmethod
    def _in_capitalized_name(
        words: list[_Tok], toks: list[_Tok], i: int, j: int, article: bool, *, names_only: bool = False
    ) -> bool:
        """A one-word title right next to another capitalised word ("Paul Rudd", "Ricky Bobby", "Heat Wave")
        is part of a longer name, not this title (possessives like "Mann's Heat" excepted). With
        ``names_only`` the neighbour must also be no common word ("Deadpool Did you see it" is a title)."""

        def name_like(tok: _Tok) -> bool:
            if not tok.cap or tok.raw == "I" or tok.raw.startswith(("I'", "I’")):
                return False
            return not (names_only and (tok.norm in COMMON_WORDS or tok.norm in _SMALL_WORDS))

        first = words[0]
        prev = toks[i - 2] if article and i > 1 else (toks[i - 1] if not article and i > 0 else None)
        anchor = toks[i - 1].start if article else first.start
        if (
            prev is not None
            and name_like(prev)
            and not prev.sent_start
            and not prev.raw.lower().endswith(("'s", "’s"))
            and prev.end + 1 >= anchor
        ):
            return True
        nxt = toks[j + 1] if j + 1 < len(toks) else None
        return nxt is not None and name_like(nxt) and nxt.start - words[-1].end <= 1

    def _year_span_candidates(self, text: str, toks: list[_Tok], out: list[_Candidate]) -> None:
        """``Title (Year)`` written without markup and not found exactly (typos): fuzzy-check the words before."""
        ends = {c.end for c in out}
        for m in _YEAR_PAREN_RE.finditer(text):
            if m.end() in ends:
                continue
            before = [t for t in toks if t.end <= m.start()]
            if not before:
                continue
            # walk back over capitalised words and connectors, at most 10 words, within the sentence
            k = len(before) - 1
            if text[before[k].end : m.start()].strip():
                continue
            span = [before[k]]
            while k > 0 and len(span) < 10:
                prev, cur = before[k - 1], before[k]
                if _gap_breaks(text, prev, cur) or cur.sent_start:
                    break
                if not (prev.cap or prev.raw[:1].isdigit() or prev.norm in _TITLE_CONNECTORS):
                    break
                span.insert(0, prev)
                k -= 1
            while span and not (span[0].cap or span[0].raw[:1].isdigit()):
                span.pop(0)
            tries = 0
            for s in range(len(span)):
                if tries >= 3:
                    break
                if not (span[s].cap or span[s].raw[:1].isdigit()):
                    continue
                tries += 1
                title = f"{text[span[s].start : span[-1].end]} ({m.group(1)})"
                q = self._parse(title)
                if q is None or (self._strict_words(q.key.split()) and len(q.key.split()) == 1):
                    continue
                match = self._ground_lexical(q)
                if match is not None:
                    out.append(_Candidate(span[s].start, m.end(), match, 2))
                    break


# --------------------------------------------------------------------------- word lists

#: The ~2,500 commonest alphabetic English words in frequency order (top of the wordfreq 3.1 "en" list).
#: A one-word title that is one of them ("Heat", "Up", "Signs") only matches inside text when written as
#: a title; the first 400 make multi-word titles of only such words ("Get Out") need the same.
_COMMON_WORDS_TEXT = """
the to and of a in i is for that you it on with this was be as are have at he not by but from my or we
an your all so his they me if one can will just like about up out what has when more do no were who had
their there her which time get been would she new people how some also them now other its our than good
only after first him into know see two make over think any then could back these us want because go well
said way most much very where even should may here need really did right work year years being day too
going before off why made still take got many never those life say world down great through last s while
best such love man home long look something use same used both every am come part state three around
between always better find help high little old since another does own things under during game thing
give house place school again next each mr without against end found must show big feel sure team ever
family keep might please put money free second someone away left number city days lot name night play
until company doing few let real called different having set thought done however getting god government
group looking public top women business care start system times week already anything case nothing
person today change enough everything full live making point read told yet bad four hard mean once
support tell including music power seen states stop water based believe call head men national small
took white came far job side though try went yes actually american later less line order party run says
service country open season shit thank children everyone general trying united using area black d
following law makes together war whole car face five kind maybe per president story working course games
health hope important least means news within able book early friends information local oh post t thanks
video young ago others social talk court fact given guys half hand level mind often single become body
coming control death food guy hours office pay problem south true almost fuck history known large lost m
research room several started taking university win wrong along anyone else girl john matter pretty
remember air bit friend hit needs nice playing probably saying understand yeah york class close comes
idea international looks past possible wanted b cause due happy human members months move question r
series wait woman ask community data late leave north saw special watch c either fucking future light
low million morning police short stay taken age buy deal rather reason red report soon third turn
whether among check development form further heart minutes myself services yourself act although asked
child fire fun living major media phone players art behind building easy gonna market near non plan
political quite six talking west works according available e education final former front kids list
ready sometimes son street bring college current example experience heard london meet program type baby
chance father march process song study word across action clear gave gets himself month outside self
students words board cost cut dr field held instead main moment mother road seems thinking town wants de
department energy fight fine force hear issue played points price re rest results running shows space
summer term wife america beautiful date goes killed land miss project sex shot site strong account co
especially eyes include june parents period position record similar total w above club common died film
happened knew lead likely military perfect personal security share st tv won x april center county
couple dead english happen hold industry inside issues online player private problems return rights
sense star test view weeks break british companies event higher hour l member middle needed present
result sorry takes training wish answer boy design finally girls gold gone guess interest july king
learn policy society added al alone average bank brought certain church east hands hot longer medical
movie original park performance press received role sent themselves tried worked worth areas became bill
books cool director exactly giving ground meeting n provide questions relationship september sound
source usually value evidence follow lives official ok production rate reading round save stand stuff
tax whatever amount blue countries david drive eat fall fast federal feeling felt green league
management match model p picture size step trust central changes england forward groups hey key mom o
page paid range review science trade uk upon various attention brother cannot character chief cup
football hate james led looked lower natural october property quality send style u vote amazing august
blood china complete dog economic hell involved itself language lord november oil related serious stage
terms title add article attack born damn decided decision enjoy entire french january kill met perhaps
poor release situation technology turned website written choice code considered continue council cover
currently door election european events f financial foreign hair increase legal lose michael pick race
seem seven sign simple simply staff super union walk washington bed began built career changed crazy
daily daughter december die difficult figure hospital knows loss modern ones paper parts popular
published safe starting systems version voice whose writing army australia earth forget goal h huge
internet listen okay practice rules sea sir success towards v waiting ways access base below created
deep followed la lol mark missing offer pass professional released risk schools sleep table ten truth
ball box build card cases dark district europe george india mine minister note percent piece products
recent seeing straight visit wall wanna wrote allowed boys culture etc fans february gives growth
included married officer pain paul places respect response river rock shall speak specific standard
tonight write y album century charge cold create effect eight except eye funny ii limited moving network
peace provided recently required sales spent store student tomorrow track via watching weight addition
ahead allow anti association beat brown capital chinese committee conference difference double expect
gas island moved normal plans population potential pressure radio russian station text treatment western
ass beginning california campaign certainly completely content credit cross described despite female
focus g hi husband ice individual interesting j join kept leading loved message miles nearly particular
previous quickly region reported section sort speed travel consider contact drop fair feet jesus kid
link positive sale throughout tour welcome absolutely additional beyond conditions earlier extra forces
immediately jobs leaving minute nature numbers quick sell significant studies unless winning agree
canada clean computer construction episode favorite income justice levels manager movement photo posted
safety san scene sold sounds spend statement sun teams ability announced asking calling coach collection
continued costs definitely designed expected friday gun happens heavy includes knowledge particularly
search subject train wide wow author centre claim dad developed fear fit generally german global goals
gotta hotel interested judge lady leader letter lines material named nobody opportunity plus pre product
regular secretary sister stories unit workers annual anymore bar battle brain contract degree families
features finished floor france growing hurt image insurance majority meant opening opinion physical pro
reach rule seriously sports stupid successful active administration approach australian biggest cancer
civil dance defense direction independent master none reasons russia ship stock trump weekend wonder
worst africa awesome band beach cash clearly commercial compared effort ended fan fighting imagine
impact lack latest learning multiple older operation organization passed pictures protect secret senior
spring sunday telling wear activities address analysis anyway bought calls choose christmas color
commission competition details direct dream easily finish grand increased indian k literally luck
marriage names necessary patients resources rich skin speaking supposed sweet thus touch yesterday
caught closed congress damage directly disease doctor doubt drink driving established facebook feels
fish gay germany glad greater grow largest machine notice overall planning professor programs records
reports shown sit trip associated basic captain carry cars crime effective effects explain fully highly
holding japan laws male mrs parties plant reality smith spot texas winter worse advice agreement award
block broken caused challenge characters christian comment equipment eventually helped holy killing
lived lots nation otherwise peter prices primary purpose rates responsible shop showing sick teacher
theory uses william agency avoid camera catch cell coast comments drug economy environment executive
foot hall mass meaning mission nine officers operations politics pop produced ran saturday status
therefore trial truly weather activity app application claims coffee complex condition division evening
flight freedom google heat highest interview library located location murder obama offered putting queen
seconds showed sitting standing stars walking accept actual appear attempt broke channel distance eating
exchange fat fell finding glass learned losing mobile northern opened placed powerful prior protection
reached receive religious ride robert royal screen serve signed slow species speech traffic tree types
vs wearing whom wonderful agreed airport animals appears begin benefits bottom cities demand engine
everybody famous ideas investment keeping lie notes partner plays raised runs sad solution songs sources
southern square stopped structure thomas traditional twice wind worry americans appeared becomes brand
bus cent chicago count covered critical digital forced fourth fresh lake mental mentioned missed mostly
mouth owner photos previously realize remain scale score separate smart starts surface throw tom totally
twitter views wedding acting actions african arms benefit budget click estate failed faith fashion
feature fund generation hearing hill jack larger louis metal mid paris profile pull push returned rose
seat seemed sexual target understanding village agent animal apply authority basis becoming chris draw
dude employees enter ex follows foundation gain http individuals japanese leaders memory prime projects
ring rise selling served silver soul spread supply waste weird adult apparently artist chairman edition
engineering grade happening healthy institute method mike monday nations obviously option prison
provides remains senate smaller somebody stone strength users wild window winner arrived bag bet camp
cast christ continues correct dangerous ed extremely firm greatest handle improve indeed leaves movies
negative prevent removed richard spirit television till trouble usa videos advantage apart aware cat
customers decide dinner dollars eastern fifth function gift helping herself impossible influence items
joe los marketing mary materials nor produce progress proud require shooting shut standards tells thinks
van wood background birth bridge carried charles classes completed concept copy dear dogs drugs efforts
garden host housing inc israel journal labor leadership length lucky neither onto patient possibly prove
rare setting skills software thousands tough units ad alive apple balance birthday bitch boss cards
changing connection dress easier fellow florida horse knowing liked magic managed map net owned request
stick turns vehicle volume wake aid beauty believed billion busy buying cells concerned conversation
corner criminal cultural develop driver ends existing farm file fix fly frank guide images investigation
mexico operating paying presented raise responsibility roll slightly suggest surprise technical thoughts
treat unique variety violence weapons yours youth appreciate bigger breaking discovered dont dry edge
evil excited forever funds helps henry injury iron lovely mad magazine martin models offers ordered
parliament prepared reference religion sites somewhere stated strategy teachers web wine accounts
angeles arm audience bay blog closer core democratic description dropped excellent exist figures forms
guard honest issued joined jones lee lies likes medicine mention mountain nuclear orders port presence
reaction reduce shoot sides solid spanish sport steps stress taste tea victory afternoon assistant
britain citizens classic clothes decisions electric emergency entered entirely facts failure festival
flat fuel harry hello houses ill initial introduced johnson kick links mail massive matters pair picked
pieces plane plenty prince proper providing quarter regional scott session shape sky teaching toward
transfer upper useful valley watched willing windows zone accident advanced alternative anywhere
articles awards bear boat bringing capacity cheap climate communities discussion drinking duty fantastic
feelings flying governor hundred industrial joint mix museum options path plants policies promise
proposed purchase rain remove signs spending steel steve supporting terrible tired treated turning vice
warm afraid arts beer border canadian command crew crowd dating dick elements enemy ensure environmental
filled fixed forest intelligence intended labour limit moon ocean powers profit proof republican
soldiers suit wins appearance asian attorney banks behavior ben bodies brothers buildings chair creating
debt domestic expensive grew historical homes honestly honor im jump launch listed minimum native noted
originally planned pm ray sets suddenly supreme survey tech trees update user writer yellow younger
ancient attacks charges combined communication connected contains download email ending exercise express
flow formed girlfriend hero illegal increasing joke loan methods officials performed planet
relationships restaurant scotland selected shared shopping soft stuck sugar suggested supported
surprised taught transport accepted adding affairs allows appeal applied appropriate artists boston ca
confirmed device drama entry era factor feed golden grant grown heads hoping keeps lawyer legs lying
measures mistake ms muslim organizations platform pool pulled regarding relations requires route saved
schedule scientific shoes smoke squad teach testing tests values walked williams ya abuse angry
businesses candidate comfortable concern developing discuss elections emotional et everywhere facilities
falling fox guns hole holiday interests internal ireland italian italy jersey laugh leg letters liberal
listening ll loves lunch max milk pack payment perform recorded relatively sector sharing snow storm
streets strike studio sub weak youtube actor advance apartment asia chain chapter committed confidence
cook cute equal fake finance focused hits identity journey kitchen korea leads maintain measure mm
numerous owners posts properties quiet revealed specifically split task taxes taylor twenty urban acts
affected aircraft applications approved approximately argument arrested claimed conflict considering
corporate debate determined distribution documents escape extended factors faster fault fill films
flowers friendly ladies lay lights millions mixed phase properly pure reduced requirements residents
revenue sam sat secure smile strange talent temperature thousand tony troops truck votes ah authorities
basically besides bird blame bob bowl causes chicken collected context coverage determine display dying
elected examples experienced falls false fired forgot funding identified iii incredible inspired
launched ma meat ministry mode neck noticed novel obvious passing positions remaining scored shirt shots
slowly stadium stores surgery trading tuesday vision whenever worried zero alex allowing begins champion
charged cream crisis daniel delivered editor estimated eu giant iran jail jim kingdom literature mayor
minor moments opposite orange ourselves pages remained selection serving signal stream struggle suicide
talked theme thursday tiny typically un unfortunately usual vehicles virginia voted voting walls wave
alcohol assembly breakfast bright brings capable carrying chosen combination conservative customer
cutting desire destroyed draft drunk essential fail familiar finds granted guilty humans hundreds id
improved jewish largely laughing markets medium ohio opportunities papers perfectly recommend referred
relevant seek sending solo spoke stands talks ticket unable upset wing answers birds bomb creative cycle
dealing directed don educational entertainment extreme facility fields goods hang holds info mainly
maximum newspaper offering painting republic reserve returns row salt scared scottish shares statistics
switch territory threat tickets wales adults affect appointed armed aside assistance bell blow bond
boyfriend careful circumstances communications concerns controlled corporation cry danger deals delivery
deserve devices dollar dreams empty enjoyed explained faces folks fucked gender instance kim kinda
matches mile motion moves nick pacific prize realized reasonable receiving register resolution rural
ryan saving sees singing spain tools typical universe warning wars wednesday admit attitude branch
brazil conducted decades dedicated definition drawing favor flag frame guest ha heaven independence
institutions jackson kiss load plot possibility random recovery rent replace represent reviews scenes
seeking senator sentence teeth
"""
_COMMON_LIST = _COMMON_WORDS_TEXT.split()
COMMON_WORDS = frozenset(_COMMON_LIST)
VERY_COMMON_WORDS = frozenset(_COMMON_LIST[:400])
