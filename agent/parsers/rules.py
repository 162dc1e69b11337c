"""The offline parser: rules + the catalog (titles, people) turn a user message into a :class:`ParsedTurn`.

It reads grounded title mentions with sentiment ("loved X", "not X", "seen X"), genres and their
negations, years and decades, people from the catalog, rating words, intents and active commands.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from agent.state import ParsedTurn, Sentiment, ShownFeedback, TitleMention
from tools.catalog import Catalog
from tools.genres import GENRE_WORDS
from tools.grounding import Grounder
from tools.titles import fold

NEGATION = re.compile(
    r"\b(no|not|nothing|without|never|hate|hated|hates|dislike|disliked|avoid|except|but not|anything but|"
    r"don ?t (?:like|want|enjoy|care for)|didn ?t (?:like|enjoy)|not (?:into|a fan of|fond of)|can ?t stand|"
    r"no more|tired of|sick of|stop|skip|none of|nor|instead of)\b"
)
NEG_TITLE = re.compile(
    r"\b(hate|hated|dislike|disliked|didn ?t (?:like|enjoy|love)|did not (?:like|enjoy)|not (?:a fan of|into|like)|"
    r"boring|awful|terrible|overrated|can ?t stand|not|no|wasn ?t (?:good|great)|sucked|meh)\b"
)
SEEN_TITLE = re.compile(r"\b(seen|saw|watched|already (?:seen|watched|saw))\b")
#: "I haven't seen X", "never watched X", "not sure if I've seen X": the user has NOT seen it (no stance, no
#: exclusion; it stays a candidate)
UNSEEN_TITLE = re.compile(
    r"\b(?:havent|hasnt|have not|has not|never|not|didnt|did not|dont think ive|do not think i have|"
    r"not sure (?:if|whether) ive|not sure (?:if|whether) i have|yet to|havent yet|have not yet)"
    r"(?: \w+){0,2}? (?:seen|saw|watched|watch|see|heard of)\b"
)
UNWANTED_AFTER = re.compile(
    r"\b(?:dont|do not|never|wont|will not) (?:want|plan|intend|care|need)\b|\bno interest\b"
)
#: "Have you seen X?": a seeker sharing a movie they know (a soft like), not a statement that they saw it
ASKED_SEEN = re.compile(
    r"\b(?:have you (?:ever )?(?:seen|watched)|did you (?:ever )?(?:see|watch)|ever seen)\b"
)
#: strong dislike words anywhere in the clause before the title (bare "not" / "no" count only right before it)
NEG_STRONG = re.compile(
    r"\b(hate|hated|dislike|disliked|didn ?t (?:like|enjoy|love)|did not (?:like|enjoy|love)|not (?:a fan of|into)|"
    r"dont (?:like|enjoy|want)|do not (?:like|enjoy|want)|boring|awful|terrible|overrated|can ?t stand|"
    r"wasn ?t (?:good|great)|sucked|meh|no more|anything but|except|instead of)\b"
)
BUT_NOT = re.compile(r"\b(?:anything but|but not|other than|except)\s*$")
NEG_ADJACENT = re.compile(r"\b(?:not|no|nothing like|but not|not like)\s*$")
#: "not as good as X", "not like X": a comparison with X, which the user rates well
COMPARE_BEFORE = re.compile(
    r"\b(?:as (?:good|great|funny|scary) as|similar to|such as|like|along the lines of)\s*$"
)
LIKED_AFTER = re.compile(
    r"^\W*(?:\w+ ){0,2}?(?:and )?(?:i )?(?:really |absolutely )?(?:loved|liked|enjoyed|love|like|adore)\b|"
    r"^\W*(?:\w+ ){0,3}?(?:was|is|s) (?:\w+ )?(?:great|good|awesome|amazing|excellent|fantastic|funny|hilarious|"
    r"a great|my favou?rite|one of my favou?rites)\b"
)
DISLIKED_AFTER = re.compile(
    r"^\W*(?:was|is|s) (?:so |really |pretty )?(?:boring|bad|awful|terrible|overrated|not good|meh)\b"
)
LIKE_TITLE = re.compile(
    r"\b(love|loved|like|liked|enjoy|enjoyed|favorite|favourite|adore|great|awesome|fan of|similar to|such as)\b"
)
ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "fifth": 5,
    "5th": 5,
    "last": -1,
    "top": 1,
    "number one": 1,
    "number two": 2,
    "number three": 3,
    "#1": 1,
    "#2": 2,
    "#3": 3,
}
RESET = re.compile(
    r"\b(start over|reset|forget (?:everything|all)|new search|clear (?:everything|all|preferences)|from scratch)\b"
)
MORE = re.compile(r"\b(more|others|other ones|something else|another|anything else|different ones|next)\b")
CHITCHAT = re.compile(
    r"^\W*(hi|hello|hey|thanks|thank you|thx|ok|okay|cool|bye|goodbye|good morning|good evening|how are you|yo)\b"
)
QUESTION_ASPECTS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(who (?:directed|made)|director of|directed by whom|who is the director)\b"), "director"),
    (re.compile(r"\b(who (?:is|s|are) in|who stars|starring|cast of|actors? in|who plays)\b"), "stars"),
    (re.compile(r"\b(who wrote|writers? of|screenplay)\b"), "writers"),
    (re.compile(r"\b(what (?:is|s) .* about|plot of|what happens in|story of|about\?|synopsis)\b"), "plot"),
    (re.compile(r"\b(when (?:was|did)|what year|release date|how old is|year of)\b"), "year"),
    (re.compile(r"\b(what genre|which genre|what kind of (?:movie|film) is)\b"), "genres"),
    (re.compile(r"\b(how good is|rating of|is it good|how is it rated|rated)\b"), "rating"),
    (
        re.compile(r"\b(tell me (?:more )?about|info on|information about|what do you know about)\b"),
        "general",
    ),
]
DECADE_WORDS = {
    "twenties": 1920,
    "thirties": 1930,
    "forties": 1940,
    "fifties": 1950,
    "sixties": 1960,
    "seventies": 1970,
    "eighties": 1980,
    "nineties": 1990,
}
LIGHTER = re.compile(
    r"\b(lighter|light hearted|lighthearted|feel good|feelgood|uplifting|cheerful|happy|fun)\b"
)
DARKER = re.compile(r"\b(darker|dark|gritty|bleak|disturbing)\b")
RATED = re.compile(
    r"\b(highly rated|well reviewed|critically acclaimed|acclaimed|top rated|best rated|good reviews|masterpiece)\b"
)
RATING_NUM = re.compile(r"\brated (?:above|over|at least|higher than) (\d(?:\.\d)?)\b")
RECENT = re.compile(r"\b(recent|new releases?|newer|new ones|latest|this year|modern|only new)\b")
OLD = re.compile(r"\b(old|older|classic|classics|vintage|golden age)\b")
CLAUSE_SPLIT = re.compile(r"[.;!?]|\bbut\b|\bhowever\b|\bthough\b|\balthough\b")
FEEDBACK_SPLIT = re.compile(r"[.;!?,]|\bbut\b|\band\b|\bwhile\b")


def _find_all(pattern: re.Pattern[str], text: str) -> list[re.Match[str]]:
    return list(pattern.finditer(text))


class RuleParser:
    """Parses user messages without an LLM. Built once per catalog; parsing takes about a millisecond."""

    def __init__(self, catalog: Catalog, grounder: Grounder, *, current_year: int | None = None) -> None:
        self.catalog = catalog
        self.grounder = grounder
        years = [it.year for it in catalog.items.values() if it.year]
        self.current_year = current_year or (max(years) if years else 2020)
        self.people = self._people_index(catalog)

    @staticmethod
    def _people_index(catalog: Catalog) -> dict[str, str]:
        counts: dict[str, int] = {}
        canon: dict[str, str] = {}
        for it in catalog.items.values():
            for name in (*it.directors, *it.stars[:4]):
                key = fold(name)
                if len(key.split()) >= 2 and len(key) >= 6:
                    counts[key] = counts.get(key, 0) + 1
                    canon.setdefault(key, name)
        return {k: canon[k] for k in counts}

    # ------------------------------------------------------------------ entry point
    def parse(self, text: str, shown_ids: Iterable[int] = ()) -> ParsedTurn:
        """Read one user message. ``shown_ids`` are the items of the previous reply, in order."""
        shown = list(shown_ids)
        raw = text.strip()
        low = fold(raw)
        out = ParsedTurn()
        if not low:
            out.intent = "chitchat"
            return out
        if RESET.search(low):
            out.intent = "reset"
            return out

        mentions = self.grounder.find_titles(raw)
        title_spans = [(m.start, m.end) for m in mentions]
        for m in mentions:
            clause_before = fold(CLAUSE_SPLIT.split(raw[max(0, m.start - 40) : m.start].lower())[-1])
            after = fold(CLAUSE_SPLIT.split(raw[m.end : m.end + 40].lower())[0])
            sentiment = title_sentiment(clause_before, after, fold(raw[max(0, m.start - 40) : m.start]))
            out.mentions.append(TitleMention(item_id=m.match.item_id, text=m.text, sentiment=sentiment))

        masked = self._mask(raw, title_spans)
        mlow = fold(masked)
        self._genres(mlow, out)
        self._years(mlow, out)
        self._people(mlow, out)
        self._rating(mlow, out)
        self._commands(mlow, out)
        self._feedback(raw.lower().replace("'", ""), shown, out)
        self._question(mlow, out, shown)

        has_signal = bool(
            out.mentions
            or out.genres_include
            or out.genres_exclude
            or out.year_min
            or out.year_max
            or out.people_include
            or out.people_exclude
            or out.min_rating
            or out.commands
        )
        content = [w for w in mlow.split() if w not in _STOPWORDS]
        if out.intent == "recommend":
            if out.shown_feedback and not has_signal:
                out.intent = "feedback"
            elif MORE.search(mlow) and not out.genres_include and not out.mentions:
                out.intent = "more"
            elif CHITCHAT.search(low) and not has_signal and len(content) <= 3:
                out.intent = "chitchat"
        if out.intent in ("recommend", "more"):
            out.soft = soft_text(mlow)
        return out

    # ------------------------------------------------------------------ pieces
    @staticmethod
    def _mask(text: str, spans: list[tuple[int, int]]) -> str:
        out, last = [], 0
        for s, e in sorted(spans):
            out.append(text[last:s])
            out.append(" ")
            last = e
        out.append(text[last:])
        return "".join(out)

    def _genres(self, low: str, out: ParsedTurn) -> None:
        for clause in CLAUSE_SPLIT.split(low):
            padded = f" {clause} "
            for word, genre in GENRE_WORDS.items():
                for m in re.finditer(rf"(?<=\s){re.escape(word)}(?=\s)", padded):
                    window = padded[max(0, m.start() - 30) : m.start()]
                    negated = bool(NEGATION.search(window))
                    target = out.genres_exclude if negated else out.genres_include
                    if genre not in target:
                        target.append(genre)
        out.genres_include = [g for g in out.genres_include if g not in out.genres_exclude]

    def _years(self, low: str, out: ParsedTurn) -> None:
        m = re.search(r"\bbetween (\d{4}) and (\d{4})\b", low)
        if m:
            a, b = sorted((int(m.group(1)), int(m.group(2))))
            out.year_min, out.year_max = a, b
            return
        for m in re.finditer(r"\b(?:(19|20)?(\d)0 ?s)\b", low):
            century = m.group(1)
            decade = int(m.group(2)) * 10
            start = (
                int(century) * 100 + decade if century else (1900 + decade if decade >= 20 else 2000 + decade)
            )
            out.year_min, out.year_max = start, start + 9
        for word, start in DECADE_WORDS.items():
            if re.search(rf"\b{word}\b", low):
                out.year_min, out.year_max = start, start + 9
        for m in re.finditer(
            r"\b(after|since|from|newer than|post|before|until|older than|pre|up to) (\d{4})\b", low
        ):
            word, year = m.group(1), int(m.group(2))
            later = word in ("after", "since", "from", "newer than", "post")
            if NEGATION.search(low[max(0, m.start() - 25) : m.start()]):  # "nothing before 1990"
                later = not later
                word = {"before": "from", "older than": "from", "pre": "from"}.get(word, "up to")
            if later:
                out.year_min = year + (1 if word in ("after", "newer than", "post") else 0)
            else:
                out.year_max = year - (1 if word in ("before", "older than", "pre") else 0)
        if out.year_min is None and out.year_max is None:
            if RECENT.search(low):
                out.year_min = self.current_year - 3
            elif OLD.search(low):
                out.year_max = 1979

    def _people(self, low: str, out: ParsedTurn) -> None:
        tokens = low.split()
        i = 0
        while i < len(tokens):
            hit = None
            for n in (3, 2):
                key = " ".join(tokens[i : i + n])
                if len(tokens[i : i + n]) == n and key in self.people:
                    hit = (n, self.people[key])
                    break
            if hit:
                window = " ".join(tokens[max(0, i - 5) : i])
                target = out.people_exclude if NEGATION.search(window) else out.people_include
                if hit[1] not in target:
                    target.append(hit[1])
                i += hit[0]
            else:
                i += 1

    @staticmethod
    def _rating(low: str, out: ParsedTurn) -> None:
        m = RATING_NUM.search(low)
        if m:
            value = float(m.group(1))
            out.min_rating = value if value > 5 else value * 2
        elif RATED.search(low):
            out.min_rating = 7.0

    def _commands(self, low: str, out: ParsedTurn) -> None:
        if re.search(r"\bno more\b|\bnot anymore\b|\bstop (?:showing|recommending)\b", low):
            out.commands.append("no more " + ", ".join(out.genres_exclude or ["of those"]))
        if LIGHTER.search(low) and not NEGATION.search(low[: LIGHTER.search(low).start()][-20:]):  # type: ignore[union-attr]
            for g in ("horror", "war", "thriller"):
                if g not in out.genres_exclude and g not in out.genres_include:
                    out.genres_exclude.append(g)
            out.commands.append("something lighter")
        if DARKER.search(low):
            out.commands.append("something darker")
        if RECENT.search(low) and out.year_min:
            out.commands.append("only recent movies")

    @staticmethod
    def _feedback(low: str, shown: list[int], out: ParsedTurn) -> None:
        if not shown:
            return
        for word, pos in ORDINALS.items():
            for m in re.finditer(rf"\b{re.escape(word)}\b(?: one| movie| film| pick| suggestion)?", low):
                position = len(shown) if pos == -1 else pos
                if position > len(shown):
                    continue
                clause = next((c for c in FEEDBACK_SPLIT.split(low) if m.group(0) in c), low)
                sentiment: Sentiment
                unseen = bool(UNSEEN_TITLE.search(fold(clause)))
                if unseen and not _INTEREST.search(clause):
                    continue  # "I haven't seen the first one": no stance, the item stays a candidate
                if unseen:
                    sentiment = "like"
                elif SEEN_TITLE.search(clause):
                    sentiment = "seen"
                elif NEG_TITLE.search(clause):
                    sentiment = "dislike"
                elif re.search(
                    r"\b((?:sounds?|looks?) (?:good|great|interesting|fun|cool|nice)|like|love|perfect|yes|interested|watch)\b",
                    clause,
                ):
                    sentiment = "like"
                else:
                    continue
                if all(f.position != position for f in out.shown_feedback):
                    out.shown_feedback.append(ShownFeedback(position=position, sentiment=sentiment))
        if not out.shown_feedback and re.search(
            r"\b(seen (?:them|those|all)|watched (?:them|those|all))\b", low
        ):
            out.shown_feedback = [ShownFeedback(position=i + 1, sentiment="seen") for i in range(len(shown))]

    @staticmethod
    def _question(low: str, out: ParsedTurn, shown: list[int]) -> None:
        for pattern, aspect in QUESTION_ASPECTS:
            if not pattern.search(low):
                continue
            target = out.mentions[0].item_id if out.mentions else None
            if target is None and out.shown_feedback:
                target = shown[out.shown_feedback[0].position - 1]
            if target is None:
                for word, pos in ORDINALS.items():
                    if re.search(rf"\b{re.escape(word)}\b", low) and shown:
                        idx = len(shown) - 1 if pos == -1 else pos - 1
                        if 0 <= idx < len(shown):
                            target = shown[idx]
                            break
            if target is None and shown and re.search(r"\b(it|that|this one|that one)\b", low):
                target = shown[0]
            if target is not None:
                out.intent = "item_question"
                out.question_item = target
                out.question_aspect = aspect  # type: ignore[assignment]
                out.shown_feedback = []
                for m in out.mentions:
                    if m.item_id == target:
                        m.sentiment = "neutral"
                return


_INTEREST = re.compile(
    r"\b((?:sounds?|looks?) (?:good|great|interesting|fun|cool|nice)|like|love|perfect|yes|interested|watch)\b"
)


def title_sentiment(before: str, after: str, window: str = "") -> Sentiment:
    """The user's stance on a title from the folded clause ``before`` it, the folded text ``after`` it and
    the folded ``window`` before it across clause breaks ("anything but X").

    "I haven't seen X" is no stance (``neutral``: X stays a candidate, it is neither a dislike nor seen);
    "seen X and loved it" / "have you seen X?" is a like; "seen X" alone is ``seen``; a dislike needs a dislike
    word in the clause or a bare "not" / "no" right before the title ("not X"), but "not as good as X" is a
    comparison in X's favour.
    """
    if UNSEEN_TITLE.search(before):  # "haven't seen X and don't want to" is a dislike
        return "dislike" if UNWANTED_AFTER.search(after) else "neutral"
    if (
        NEG_STRONG.search(before)
        or NEG_ADJACENT.search(before)
        or DISLIKED_AFTER.search(after)
        or BUT_NOT.search(window)
    ):
        return "dislike"
    if COMPARE_BEFORE.search(before) or ASKED_SEEN.search(before):
        return "like"
    seen = list(SEEN_TITLE.finditer(before))
    if seen or re.search(r"^\W*(already|i ?ve seen|seen it)", after):
        liked_too = before[seen[-1].end() :] if seen else ""  # "seen and loved X", not "loved A and seen X"
        return "like" if (LIKE_TITLE.search(liked_too) or LIKED_AFTER.search(after)) else "seen"
    return "like"


def soft_text(low: str) -> str:
    """The free-text taste of a (folded, title-masked) message: negated phrases and filler removed."""
    kept: list[str] = []
    for clause in CLAUSE_SPLIT.split(low):
        clause = NEGATION.split(clause, maxsplit=1)[0] if NEGATION.search(clause) else clause
        kept += [w for w in clause.split() if w not in _STOPWORDS and not w.isdigit()]
    return " ".join(kept)[:300] if len(kept) >= 2 else ""


_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "i",
        "im",
        "i",
        "m",
        "me",
        "my",
        "we",
        "you",
        "your",
        "it",
        "its",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "am",
        "do",
        "does",
        "did",
        "to",
        "of",
        "in",
        "on",
        "for",
        "with",
        "and",
        "or",
        "but",
        "so",
        "that",
        "this",
        "these",
        "those",
        "some",
        "any",
        "something",
        "anything",
        "movie",
        "movies",
        "film",
        "films",
        "watch",
        "watching",
        "want",
        "wanna",
        "would",
        "like",
        "could",
        "can",
        "should",
        "please",
        "maybe",
        "just",
        "really",
        "very",
        "kind",
        "sort",
        "looking",
        "look",
        "for",
        "recommend",
        "recommendation",
        "suggest",
        "show",
        "give",
        "me",
        "one",
        "ones",
        "what",
        "which",
        "who",
        "how",
        "about",
        "tonight",
        "today",
        "now",
        "good",
        "great",
        "nice",
        "hi",
        "hello",
        "hey",
        "thanks",
        "thank",
        "ok",
        "okay",
        "yes",
        "no",
        "not",
        "loved",
        "love",
        "liked",
        "enjoyed",
        "enjoy",
        "similar",
        "also",
        "too",
        "something",
        "else",
        "more",
        "others",
        "seen",
        "saw",
        "watched",
        "already",
        "he",
        "she",
        "they",
        "them",
        "their",
        "there",
        "here",
        "then",
        "than",
    ]
)
