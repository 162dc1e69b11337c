"""The offline parser: rules + the catalog (titles, people) turn a user message into a :class:`ParsedTurn`.

The message is split into sentences and clauses (:mod:`agent.parsers.clauses`); a stance applies inside its
own clause (:mod:`agent.parsers.cues`) to the genres, qualifiers, countries and people found there
(:mod:`agent.parsers.vocab`) and to grounded titles. Years (also relative to a named title), running time,
language, ratings, "I might not have seen", "more like the second one", feedback on shown items and
questions about them are read from the whole message. Every value keeps the clause it came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from agent.parsers.clauses import Clause, split_clauses
from agent.parsers.cues import find_cues, said_for_now, stance_at
from agent.parsers.feedback import read_feedback
from agent.parsers.patterns import (
    ANCHOR,
    ANCHOR_THAT,
    AVOID_POPULAR,
    CHITCHAT,
    CONTENT_QUESTION,
    DECADE_WORDS,
    LANGUAGE,
    MORE,
    NEGATION,
    NEWER_THAN,
    OLD,
    OLDER_THAN,
    ORDINALS,
    QUESTION_ASPECTS,
    RATED,
    RATING_NUM,
    RECENT,
    REQUEST,
    RESET,
    RUNTIME_MAX,
    RUNTIME_MIN,
    RUNTIME_VAGUE_MAX,
    STOPWORDS,
    soft_text,
    title_sentiment,
)
from agent.parsers.tables import ParserTables
from agent.parsers.vocab import LANGUAGE_WORDS, Target
from agent.state import ParsedTurn, ShownFeedback, Span, TitleMention
from tools.catalog import Catalog
from tools.grounding import Grounder, Mention
from tools.qualifiers import QUALIFIERS
from tools.titles import fold

MAX_TARGETS = 40
_NUMBER_WORDS = {"one": 1.0, "two": 2.0, "three": 3.0, "an": 1.0, "half an": 0.5}
_QUALIFIER_OF_WORD = {fold(w): q.name for q in QUALIFIERS for w in q.words}
#: small talk about the agent itself ("do you like movies yourself?")
_ABOUT_ME = re.compile(
    r"\b(?:do|are|have) you (?:like|love|enjoy|watch|have a favou?rite|a fan|a robot|real)\b"
)
_HABIT = re.compile(
    r"\b(never|always|i only|i usually|i generally|i prefer|i mostly|i tend to|soft spot for|i love|i adore)\b"
)
#: nouns after which a vocabulary word describes a film instead of naming one ("a haunted house movie")
_DESCRIBED = frozenset(
    [
        "movie",
        "movies",
        "film",
        "films",
        "flick",
        "flicks",
        "one",
        "ones",
        "story",
        "stories",
        "thriller",
        "thrillers",
        "comedy",
        "comedies",
        "drama",
        "dramas",
        "horror",
        "documentary",
        "documentaries",
        "romance",
        "western",
        "westerns",
        "animation",
        "cartoon",
    ]
)
#: spans that read as a quantity, not a title ("under 90 minutes", "the 80s")
_NOT_A_TITLE = re.compile(r"^(?:\d+(?:\.\d+)?|one|two|three) ?(?:minutes?|mins?|hours?|hrs?)$|^\d0 ?s$")
_ORDINAL_WORD = re.compile(
    r"\b(first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th|top|number one|number two|number three|"
    r"number four|number five)\b|#([1-5])|\bnumber ([1-5])\b"
)


#: "recent" = the catalog's newest this many years (its newest film's year counts as now)
RECENT_YEARS = 3


class RuleParser:
    """Parses user messages without an LLM. Built once per catalog; parsing takes about a millisecond."""

    def __init__(
        self,
        catalog: Catalog,
        grounder: Grounder,
        *,
        current_year: int | None = None,
        tables: ParserTables | None = None,
    ) -> None:
        self.catalog = catalog
        self.grounder = grounder
        tables = tables if tables is not None else ParserTables.build(catalog)
        self.current_year = current_year or tables.current_year
        self.vocab = tables.vocab
        self.people = self.vocab.people
        self.typos = tables.typos

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

        found = [m for m in self.grounder.find_titles(raw) if not self._not_a_title(raw, m.start, m.end)]
        title_spans = [(m.start, m.end) for m in found]
        clauses = split_clauses(raw, title_spans)
        for m in found:
            clause = _clause_of(clauses, m.start)
            c_start, c_end = (clause.start, clause.end) if clause else (0, len(raw))
            # "I can't stand musicals, and I already saw Toy Story": a new statement starts after ", and I"
            before = re.split(r"\band (?=i |we |my )|, ", fold(raw[c_start : m.start].replace(",", " , ")))[
                -1
            ]
            after = fold(raw[m.end : c_end])
            sentiment = title_sentiment(before, after, fold(raw[max(0, m.start - 40) : m.start]))
            alternatives = list(m.match.alternatives)
            out.mentions.append(
                TitleMention(
                    item_id=m.match.item_id, text=m.text, sentiment=sentiment, alternatives=alternatives
                )
            )
            out.spans.append(Span(slot=sentiment, value=str(m.match.item_id), text=_words(clause, raw)))

        masked = _mask(raw, title_spans)
        mlow = self.typos.fix(fold(masked))
        lasting_before: dict[int, bool] = {}
        for clause in clauses:
            clause_low = self.typos.fix(
                fold(_mask(raw[clause.start : clause.end], _shift(title_spans, clause.start)))
            )
            inherit = clause.after_contrast and lasting_before.get(clause.sentence, False)
            lasting_before[clause.sentence] = self._stances(clause_low, clause, out, inherit)
        self._years(mlow, raw, clauses, found, shown, out)
        self._rating(mlow, out)
        self._runtime(mlow, out)
        self._language(mlow, out)
        if AVOID_POPULAR.search(mlow):
            out.avoid_popular = True
            out.spans.append(
                Span(slot="avoid_popular", value="true", text=_sentence_of(raw, AVOID_POPULAR, clauses))
            )
        self._lasting_bounds(mlow, out)
        self._commands(mlow, out)
        self._anchor(mlow, shown, out)
        self._feedback(raw.lower().replace("'", ""), shown, out)
        likes = [f for f in out.shown_feedback if f.sentiment == "like"]
        if out.anchor_item is None and len(likes) == 1 and ANCHOR_THAT.search(mlow):
            out.anchor_item = shown[likes[0].position - 1]  # "loved number 3, more in that direction"
            out.spans.append(Span(slot="anchor_item", value=f"#{likes[0].position}", text=raw))
        question = self._question(mlow, raw, out, shown)
        if question is not None:
            return self._with_request(question, raw, clauses, shown)

        has_signal = bool(
            out.avoid_popular
            or out.mentions
            or out.genres_include
            or out.genres_exclude
            or out.year_min
            or out.year_max
            or out.people_include
            or out.people_exclude
            or out.min_rating
            or out.commands
            or out.qualifiers_include
            or out.qualifiers_exclude
            or out.qualifiers_less
            or out.countries
            or out.language
            or out.runtime_max
            or out.runtime_min
            or out.anchor_item is not None
        )
        content = [w for w in mlow.split() if w not in STOPWORDS]
        if out.intent == "recommend":
            if MORE.search(mlow) and not has_signal:
                out.intent = "more"  # "the second one is boring, show me more" keeps its feedback
            elif out.shown_feedback and not has_signal:
                out.intent = "feedback"
            elif not has_signal and (
                (CHITCHAT.search(low) and len(content) <= 3)
                or not REQUEST.search(mlow)
                or _ABOUT_ME.search(mlow)
            ):
                out.intent = "chitchat"
        if out.intent in ("recommend", "more"):
            out.soft = soft_text(mlow)
        return out

    # ------------------------------------------------------------------ stances in one clause
    def _stances(self, low: str, clause: Clause, out: ParsedTurn, inherit_lasting: bool) -> bool:
        """Apply each target's stance in one folded clause; returns whether the clause states lasting taste."""
        cues = find_cues(low)
        targets = self.vocab.targets(low)[:MAX_TARGETS]  # a wall of repeated words stays fast
        starts = [t.start for t in targets]
        any_lasting = False
        for t in targets:
            cue = stance_at(low, cues, t.start, t.end, starts)
            if _too_much(low, t.start):
                continue  # "the first one was too scary for me": a reason, not a wish
            polarity = cue.polarity if cue else "+"
            lasting = cue.lasting and not said_for_now(low, t.start, t.end) if cue else False
            if inherit_lasting and cue is not None and cue.polarity != "+" and not cue.lasting:
                lasting = True  # "I love horror but not gore"
            any_lasting = any_lasting or lasting
            slot = _slot_for(t, polarity)
            if slot is None:
                continue
            slot_name, joined = slot
            near = cue is not None and cue.start < t.start and len(low[cue.start : t.start].split()) <= 5
            words = _raw_words(clause.text, low, cue.start if near and cue else t.start, t.end)
            for value in joined.split("+"):  # "romcom" is romance and comedy
                values: list[str] = getattr(out, slot_name)
                if value not in values:
                    values.append(value)
                out.spans.append(Span(slot=slot_name, value=value, text=words, lasting=lasting))
        out.genres_include = [g for g in out.genres_include if g not in out.genres_exclude]
        out.people_include = [p for p in out.people_include if p not in out.people_exclude]
        out.qualifiers_include = [q for q in out.qualifiers_include if q not in out.qualifiers_exclude]
        return any_lasting or bool(any(c.lasting for c in cues))

    # ------------------------------------------------------------------ whole-message slots
    def _years(
        self,
        low: str,
        raw: str,
        clauses: list[Clause],
        found: list[Mention],
        shown: list[int],
        out: ParsedTurn,
    ) -> None:
        if self._relative_years(raw, clauses, found, shown, out):
            # "a 2010s horror, more recent than The Conjuring": a decade said alongside keeps the tighter bound
            tens = re.search(r"\b(19|20)(\d)0 ?s\b", low)
            if tens:
                start = int(tens.group(1)) * 100 + int(tens.group(2)) * 10
                out.year_min = max(out.year_min or start, start)
                out.year_max = min(out.year_max or start + 9, start + 9)
                out.spans.append(Span(slot="year_max", value=str(out.year_max), text=tens.group(0)))
            return
        said: list[str] = []  # the user's words for the years
        m = re.search(r"\b(?:between (\d{4}) and|from (\d{4}) to) (\d{4})\b", low)
        exact = re.search(r"\b(?:came out|released|made|out|come out) in (\d{4})\b", low)
        if m:
            a, b = sorted((int(m.group(1) or m.group(2)), int(m.group(3))))
            out.year_min, out.year_max = a, b
            said.append(m.group(0))
        elif exact:
            out.year_min = out.year_max = int(exact.group(1))
            said.append(exact.group(0))
        else:
            for m in re.finditer(r"\b(?:(19|20)?(\d)0 ?s)\b", low):
                century = m.group(1)
                decade = int(m.group(2)) * 10
                start = (
                    int(century) * 100 + decade
                    if century
                    else (1900 + decade if decade >= 20 else 2000 + decade)
                )
                # "the 60s or 70s": from the first to the end of the last
                out.year_min = start if out.year_min is None else min(out.year_min, start)
                out.year_max = start + 9 if out.year_max is None else max(out.year_max, start + 9)
                said.append(m.group(0))
            for word, start in DECADE_WORDS.items():
                if re.search(rf"\b{word}\b", low):
                    out.year_min = start if out.year_min is None else min(out.year_min, start)
                    out.year_max = start + 9 if out.year_max is None else max(out.year_max, start + 9)
                    said.append(word)
            for m in re.finditer(
                r"\b(after|since|from|newer than|post|before|until|older than|pre|up to) (\d{4})\b", low
            ):
                word, year = m.group(1), int(m.group(2))
                said.append(m.group(0))
                later = word in ("after", "since", "from", "newer than", "post")
                if NEGATION.search(low[max(0, m.start() - 45) : m.start()]):  # "nothing before 1990"
                    later = not later
                    word = {"before": "from", "older than": "from", "pre": "from"}.get(word, "up to")
                if later:
                    out.year_min = year + (1 if word in ("after", "newer than", "post") else 0)
                else:
                    out.year_max = year - (1 if word in ("before", "older than", "pre") else 0)
            recent, old = RECENT.search(low), OLD.search(low)
            if out.year_min is None and out.year_max is None:
                if recent:
                    out.year_min = (
                        self.current_year - RECENT_YEARS + 1
                    )  # 2020 on the shipped catalog (NLU.md)
                    said.append(recent.group(0))
                elif old:
                    out.year_max = 1979
                    said.append(old.group(0))
        text = ", ".join(said) or raw
        for slot in ("year_min", "year_max"):
            value = getattr(out, slot)
            if value is not None:
                out.spans.append(Span(slot=slot, value=str(value), text=text))

    def _relative_years(
        self,
        raw: str,
        clauses: list[Clause],
        found: list[Mention],
        shown: list[int],
        out: ParsedTurn,
    ) -> bool:
        """ "like Heat but newer", "older than the first one": years relative to a named or shown item."""
        sentences: dict[int, list[Clause]] = {}
        for c in clauses:
            sentences.setdefault(c.sentence, []).append(c)
        for parts in sentences.values():
            start, end = parts[0].start, parts[-1].end
            low = fold(_mask(raw[start:end], _shift([(m.start, m.end) for m in found], start)))
            newer, older = NEWER_THAN.search(low), OLDER_THAN.search(low)
            if not (newer or older) or re.search(r"\b\d{4}\b", low):
                continue
            anchor = next((m.match.item_id for m in found if start <= m.start < end), None)
            if anchor is None and shown:
                pos = _ordinal(low)
                if pos is not None and pos <= len(shown):
                    anchor = shown[pos - 1]
            item = self.catalog.get(anchor) if anchor is not None else None
            if item is None or not item.year:
                continue
            text = raw[start:end].strip()
            if re.search(r"\bnot (?:any )?older than\b", low):  # "not older than Coco": Coco's year or later
                out.year_min = item.year
                out.spans.append(Span(slot="year_min", value=str(out.year_min), text=text))
            elif re.search(r"\bnot (?:any )?newer than\b", low):
                out.year_max = item.year
                out.spans.append(Span(slot="year_max", value=str(out.year_max), text=text))
            elif newer:
                out.year_min = item.year + 1
                out.spans.append(Span(slot="year_min", value=str(out.year_min), text=text))
            else:
                out.year_max = item.year - 1
                out.spans.append(Span(slot="year_max", value=str(out.year_max), text=text))
            return True
        return False

    @staticmethod
    def _rating(low: str, out: ParsedTurn) -> None:
        m = RATING_NUM.search(low)
        stars = re.search(r"\b(?:above|over|at least) (\d(?:\.\d)?) stars?\b", low)
        rated = RATED.search(low)
        if m:
            value = float(m.group(1))
            out.min_rating = value if value > 5 else value * 2
        elif stars:
            out.min_rating = min(10.0, float(stars.group(1)) * 2)
        elif rated:
            out.min_rating = 7.0
        words = m or stars or rated
        if out.min_rating is not None and words is not None:
            out.spans.append(Span(slot="min_rating", value=f"{out.min_rating:g}", text=words.group(0)))

    @staticmethod
    def _runtime(low: str, out: ParsedTurn) -> None:
        if re.search(r"\bhow long\b", low):
            return  # a question about running time, not a wish
        m = RUNTIME_MAX.search(low)
        if m:
            out.runtime_max = _minutes(m.group("n"), m.group("unit")) + (30 if m.group("half") else 0)
            out.spans.append(Span(slot="runtime_max", value=str(out.runtime_max), text=m.group(0)))
            return
        m = RUNTIME_VAGUE_MAX.search(low)
        if m:
            out.runtime_max = 120
            out.spans.append(Span(slot="runtime_max", value="120", text=m.group(0)))
            return
        m = RUNTIME_MIN.search(low)
        if m:
            out.runtime_min = _minutes(m.group("n"), m.group("unit")) if m.group("n") else 150
            out.spans.append(Span(slot="runtime_min", value=str(out.runtime_min), text=m.group(0)))

    @staticmethod
    def _language(low: str, out: ParsedTurn) -> None:
        for m in LANGUAGE.finditer(low):
            code = "en" if m.group("nosubs") else LANGUAGE_WORDS.get(m.group("a") or m.group("b") or "")
            if code:
                out.language = code
                out.spans.append(Span(slot="language", value=code, text=m.group(0)))
                return

    @staticmethod
    def _lasting_bounds(low: str, out: ParsedTurn) -> None:
        """Years and language said as a habit ("I never watch anything made before 1970", "I always watch
        movies in English") are lasting taste too."""
        if not _HABIT.search(low) or said_for_now(low, len(low)):
            return
        for span in out.spans:
            if span.slot in ("year_min", "year_max", "language"):
                span.lasting = True

    @staticmethod
    def _commands(low: str, out: ParsedTurn) -> None:
        if re.search(r"\bno more\b|\bnot anymore\b|\bstop (?:showing|recommending)\b", low):
            out.commands.append("no more " + ", ".join(out.genres_exclude or ["of those"]))
        if RECENT.search(low) and out.year_min is not None and out.year_min >= 2000 and not out.mentions:
            out.commands.append("only recent movies")  # not for "like X but newer" (relative to X)

    @staticmethod
    def _anchor(low: str, shown: list[int], out: ParsedTurn) -> None:
        if not shown:
            return
        m = ANCHOR.search(low)
        if not m:
            return
        word = m.group("pos")
        pos = (
            1
            if word in ("this", "that")
            else int(word)
            if word.isdigit()
            else ORDINALS.get(word, _ordinal(word) or 0)
        )
        position = len(shown) if pos == -1 else pos
        if 1 <= position <= len(shown):
            out.anchor_item = shown[position - 1]
            out.spans.append(Span(slot="anchor_item", value=f"#{position}", text=m.group(0)))

    @staticmethod
    def _feedback(low: str, shown: list[int], out: ParsedTurn) -> None:
        anchored = ANCHOR.search(low.replace("#", ""))
        skip = anchored.group(0) if anchored else ""
        for f in read_feedback(low, len(shown), skip=skip, pronouns=not out.mentions):
            out.shown_feedback.append(ShownFeedback(position=f.position, sentiment=f.sentiment))
            out.spans.append(Span(slot="feedback", value=f"{f.position}:{f.sentiment}", text=f.text))

    def _not_a_title(self, raw: str, start: int, end: int) -> bool:
        """A found span that reads as a quantity ("90 minutes"), a person's name ("Emma Stone", "Peter
        Jackson's") or a description ("a haunted house movie", "a Mexican horror film"), not a title, unless
        it carries a year."""
        low = fold(raw[start:end])
        if _NOT_A_TITLE.search(low):
            return True
        if re.search(r"\b(19|20)\d\d\b", low):
            return False
        name = low[:-1] if low.endswith("s") and low not in self.people else low
        previous = fold(raw[max(0, start - 30) : start]).split()[-1:]
        if name in self.people or " ".join([*previous, name]) in self.people:
            return True
        if re.search(r"\b(?:first|second|third|fourth|fifth|last) one\b", low):
            return True  # "saw the first one in cinemas" is feedback, not the film "First One In"
        bare = re.sub(r"^(?:the|a|an) ", "", low)
        if bare not in self.vocab.words and bare not in LANGUAGE_WORDS:
            return False
        following = fold(raw[end : end + 30]).split()[:1]
        before = fold(raw[max(0, start - 10) : start]).split()[-1:]
        described = bool(following) and (following[0] in _DESCRIBED or following[0] in self.vocab.words)
        written_low = raw[start:end] == raw[start:end].lower()  # "a haunted house movie", not a title
        in_language = before == ["in"] and bare in LANGUAGE_WORDS  # "in Italian"
        return described or written_low or in_language

    def _with_request(
        self, question: ParsedTurn, raw: str, clauses: list[Clause], shown: list[int]
    ) -> ParsedTurn:
        """A question plus a request in other sentences ("is the first one scary? either way I'd like something
        lighter"): the request's reading with the question kept; a question alone stays a question."""
        sentences: dict[int, list[Clause]] = {}
        for c in clauses:
            sentences.setdefault(c.sentence, []).append(c)
        rest = [
            raw[parts[0].start : parts[-1].end]
            for parts in sentences.values()
            if self._question(fold(raw[parts[0].start : parts[-1].end]), raw, ParsedTurn(), shown) is None
        ]
        if not rest or len(rest) == len(sentences):
            return question
        request = self.parse(". ".join(rest), shown)
        if request.intent not in ("recommend", "more") or not request.spans:
            return question
        return request.model_copy(
            update={
                "intent": "recommend",
                "question_item": question.question_item,
                "question_aspect": question.question_aspect,
                "question_qualifier": question.question_qualifier,
                "spans": [*question.spans, *request.spans],
            }
        )

    def _question(self, low: str, raw: str, out: ParsedTurn, shown: list[int]) -> ParsedTurn | None:
        """A question about one item (named, or shown and referred to by position or "it"): a fresh
        reading with only the question, so its words do not become wishes ("is the first one scary?")."""
        aspect: str | None = None
        qualifier: str | None = None
        for pattern, name in QUESTION_ASPECTS:
            if pattern.search(low):
                aspect = name
                break
        if aspect is None:
            m = CONTENT_QUESTION.search(low)
            if m and (
                low.startswith(("is ", "does ", "did ", "has ", "will ", "would ", "was ", "are ", "isnt "))
                or "?" in raw
            ):
                qualifier, aspect = self._content_word(m.group("what"))
        if aspect is None:
            return None
        target = out.mentions[0].item_id if out.mentions else None
        if target is None and shown:
            pos = _ordinal(low) or _ordinal(raw.lower())  # "#3" is gone from the folded text
            if pos is not None:
                idx = len(shown) - 1 if pos == -1 else pos - 1
                if 0 <= idx < len(shown):
                    target = shown[idx]
            elif re.search(r"\b(it|that|this|this one|that one|they)\b", low):
                target = shown[0]
        if target is None:
            return None
        mentions = [
            m.model_copy(update={"sentiment": "neutral"}) for m in out.mentions if m.item_id == target
        ]
        return ParsedTurn(
            intent="item_question",
            question_item=target,
            question_aspect=aspect,  # type: ignore[arg-type]
            question_qualifier=qualifier,
            mentions=mentions,
            spans=[Span(slot="question", value=aspect, text=low)],
        )

    def _content_word(self, words: str) -> tuple[str | None, str | None]:
        """("scary" -> qualifier scary, aspect content); a genre word asks about genres."""
        for candidate in (words, words.split()[0]):
            if candidate in _QUALIFIER_OF_WORD:
                return _QUALIFIER_OF_WORD[candidate], "content"
            kind_value = self.vocab.words.get(candidate)
            if kind_value and kind_value[0] == "genre":
                return None, "genres"
        return None, None


def _slot_for(t: Target, polarity: str) -> tuple[str, str] | None:
    """The ParsedTurn list a target goes to under a polarity, or None when it has no slot there (polarity
    "0": "a drama is okay" says no wish either way)."""
    if polarity == "0":
        return None
    if t.kind == "genre" and polarity == "less" and _QUALIFIER_OF_WORD.get(t.word) == "scary":
        return "qualifiers_less", "scary"  # "not too scary" tones horror down; "no horror" rules it out
    if t.kind == "genre":
        return ("genres_include" if polarity == "+" else "genres_exclude"), t.value
    if t.kind == "person":
        return ("people_include" if polarity == "+" else "people_exclude"), t.value
    if t.kind == "country":
        return ("countries", t.value) if polarity == "+" else None
    slot = {"+": "qualifiers_include", "-": "qualifiers_exclude", "less": "qualifiers_less"}.get(polarity)
    if slot is None:
        return None
    return slot, t.value


def _too_much(low: str, start: int) -> bool:
    before = low[:start].split()[-3:]
    return (
        bool(before)
        and before[-1] == "too"
        and not (
            len(before) > 1 and before[-2] in ("not", "nothing", "anything", "isnt", "arent", "wasnt", "so")
        )
    )


def _ordinal(low: str) -> int | None:
    m = _ORDINAL_WORD.search(low)
    if not m:
        return None
    if m.group(2) or m.group(3):
        return int(m.group(2) or m.group(3))
    return ORDINALS.get(m.group(1)) or {"number four": 4, "number five": 5}.get(m.group(1))


def _minutes(n: str, unit: str) -> int:
    value = _NUMBER_WORDS.get(n) or float(n)
    return int(round(value * 60)) if unit.startswith("h") else int(round(value))


def _clause_of(clauses: list[Clause], pos: int) -> Clause | None:
    return next((c for c in clauses if c.start <= pos < c.end), None)


_RAW_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def _raw_words(raw: str, low: str, start: int, end: int) -> str:
    """The user's own words for the folded span ``low[start:end]`` of the clause ``raw`` (at most eight words;
    the whole clause, verbatim, when the two do not align: a quote is never words the user did not write)."""
    raw_tokens = list(_RAW_TOKEN.finditer(raw))
    first = len(low[:start].split())
    last = len(low[:end].split())
    if len(raw_tokens) != len(low.split()) or last <= first:
        return raw
    first = max(first, last - 8)
    return raw[raw_tokens[first].start() : raw_tokens[last - 1].end()]


def _words(clause: Clause | None, raw: str) -> str:
    return clause.text if clause else raw


def _sentence_of(raw: str, pattern: re.Pattern[str], clauses: list[Clause]) -> str:
    for c in clauses:
        if pattern.search(fold(c.text)):
            return c.text
    return raw


def _shift(spans: list[tuple[int, int]], offset: int) -> list[tuple[int, int]]:
    return [(s - offset, e - offset) for s, e in spans]


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    out, last = [], 0
    for s, e in sorted(spans):
        if e <= 0 or s >= len(text):
            continue
        s, e = max(0, s), min(len(text), e)
        out.append(text[last:s])
        out.append(" ")
        last = e
    out.append(text[last:])
    return "".join(out)
