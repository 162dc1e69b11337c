"""Finding titles inside free text (user messages and generated replies) and grounding them.

Candidates come from four sources: alias-key n-grams over the folded tokens (mapped back to character
spans of the original text), quoted / bold / italic spans, ``Title (Year)`` spans checked with fuzzy
matching, and n-grams with mistyped words repaired (:mod:`tools.grounding.speller`: "the matrx",
"shawshank redemtion"); the longest match wins. A year written loosely next to a title ("heat 95",
"the 1982 parasite", "1995's Heat") picks the film of that year. Precision rules (see :mod:`tools.grounding.title_cues` for the rest):

- chat phrases seen in REDIAL train dialogues as ordinary language ("Check It Out", "Goodbye", "Yes",
  "Love"), genre and film words, numbers and one-letter titles need quotes, bold or a year;
- a film only MovieLens lists (``Item.origin``, 56k obscure titles such as "Looking Forward") needs title
  case, quotes, bold or a year in parentheses ("after 2010" is no After (2009)), and is never reached by
  typo repair;
- a title followed by another sequel number or a ``: Subtitle`` ("The Matrix 5", "Jurassic Park: The Final
  Roar") is a different, unknown film and is not grounded to the original; neither is a title inside a
  person's name from the catalog's cast and crew ("Paul Rudd", "George Lucas").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from rapidfuzz import fuzz

from tools.grounding.index import TitleIndex
from tools.grounding.lexicon import (
    ARTICLES,
    CHAT_PHRASES,
    DOMAIN_COMMON_WORDS,
    GENERIC_FOLLOWERS,
    GENERIC_WORDS,
    GENRE_WORDS,
    SEQUEL_TOKENS,
    SMALL_WORDS,
    TITLE_CONNECTORS,
    common_words,
)
from tools.grounding.matcher import SCORE_EXACT, SCORE_FUZZY, SCORE_SUBTITLE, LexicalMatcher
from tools.grounding.matches import ItemMatch, Mention, item_match
from tools.grounding.title_cues import (
    caps_are_unreliable,
    case_marked,
    in_capitalized_name,
    is_ambiguous,
    strict_words,
)
from tools.grounding.tokenizer import Token, gap_breaks, tokenize

_MAX_NGRAM = 14
_YEAR_AFTER_RE = re.compile(
    r"[!?.]{0,3}\s*[\(\[]\s*((?:18|19|20)\d\d)\s*[\)\]]|[ \t]+((?:18|19|20)\d\d)(?![\w\-–])"
)
#: "heat 95", "heat '95": a two-digit year after a title (then the end of the clause).
_SHORT_YEAR_AFTER_RE = re.compile(
    r"[ \t]+['’]?(\d\d)(?=\s*(?:$|[,.!?;:)\]]|\s(?:and|or|but|was|is|with)\b))", re.IGNORECASE
)
#: "the 1982 parasite", "1995's Heat": a year right before a title.
_YEAR_BEFORE_RE = re.compile(
    r"(?:\bthe[ \t]+((?:18|19|20)\d\d)|\b((?:18|19|20)\d\d)['’]s)[ \t]+$", re.IGNORECASE
)
_YEAR_PAREN_RE = re.compile(r"[\(\[]\s*((?:18|19|20)\d\d)\s*[\)\]]")
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
#: Typo repair in text: a one-word title must be this long and among the catalog's better-known films
#: (see ``TitleIndex.notable_min``), and the typed span this close to the title.
_FUZZY_ONE_WORD_MIN = 6
#: A one-word typo shorter than this needs the title's own article before it or a capital ("the matrx").
_FUZZY_SHORT_WORD = 7
_FUZZY_MIN_RATIO = 80.0
_FUZZY_MAX_PARTIALS = 8


@dataclass(slots=True)
class _Candidate:
    start: int
    end: int
    match: ItemMatch
    priority: int


class TitleFinder:
    """Finds the catalog titles mentioned in a text, with the keys of ``index`` and the stages of ``matcher``."""

    def __init__(self, index: TitleIndex, matcher: LexicalMatcher) -> None:
        self.index = index
        self.matcher = matcher
        self.speller = index.speller

    def find(self, text: str) -> list[Mention]:
        """Every catalog title mentioned in ``text``, grounded, non-overlapping (longest wins), in order."""
        toks = tokenize(text)
        caps_unreliable = caps_are_unreliable(toks)
        candidates: list[_Candidate] = []
        failed_spans: list[tuple[int, int]] = []
        self._explicit_candidates(text, candidates, failed_spans)
        person_spans = self._person_spans(text, toks)
        self._ngram_candidates(text, toks, caps_unreliable, failed_spans, person_spans, candidates)
        self._year_span_candidates(text, toks, candidates)
        self._fuzzy_candidates(text, toks, caps_unreliable, failed_spans, person_spans, candidates)
        # longest span wins, then priority (explicit > year span > n-gram > typo-repaired), then position
        candidates.sort(key=lambda c: (-(c.end - c.start), -c.priority, c.start))
        taken: list[_Candidate] = []
        for cand in candidates:
            if all(cand.end <= t.start or cand.start >= t.end for t in taken):
                taken.append(cand)
        taken.sort(key=lambda c: c.start)
        return [Mention(c.start, c.end, text[c.start : c.end], c.match) for c in taken]

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
                q = self.matcher.parse(content)
                if q is None:
                    continue
                if strict_words(q.key.split()) and q.year is None:
                    continue  # "**Drama**", "*horror*": genre words
                match = self.matcher.match(q)
                if match is None:
                    failed.append((start, end))
                    continue
                out.append(_Candidate(start, end, match, 3))

    def _person_spans(self, text: str, toks: list[Token]) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        for i in range(len(toks)):
            key = toks[i].norm
            for j in range(i + 1, min(len(toks), i + 5)):
                if gap_breaks(text, toks[j - 1], toks[j]):
                    break
                key = f"{key} {toks[j].norm}"
                if key in self.index.people:
                    spans.append((toks[i].start, toks[j].end))
                if key not in self.index.person_prefixes:
                    break
        return spans

    def _ngram_candidates(
        self,
        text: str,
        toks: list[Token],
        caps_unreliable: bool,
        failed: list[tuple[int, int]],
        person_spans: list[tuple[int, int]],
        out: list[_Candidate],
    ) -> None:
        n = len(toks)
        for i in range(n):
            if toks[i].norm in ARTICLES and i + 1 < n:
                continue  # keys never start with an article; the span is extended below
            key = ""
            for j in range(i, min(n, i + _MAX_NGRAM)):
                if j > i and gap_breaks(text, toks[j - 1], toks[j]):
                    break
                key = toks[j].norm if j == i else f"{key} {toks[j].norm}"
                forms = [key]
                alt = toks[j].alt
                if alt:
                    forms.append(f"{key.rsplit(' ', 1)[0]} {alt}" if j > i else alt)
                for form in forms:
                    weak = False
                    ids = self.index.keys.get(form)
                    if ids is None and j - i <= 2:
                        ids = self.index.compact.get(form.replace(" ", "")) if len(form) >= 6 else None
                    if ids is None and j > i:
                        ids, weak = self.index.subtitles.get(form), True
                    if ids:
                        cand = self._ngram_candidate(
                            text, toks, i, j, ids, weak, caps_unreliable, failed, person_spans
                        )
                        if cand is not None:
                            out.append(cand)
                            break
                if key not in self.index.prefixes:
                    break

    def _ngram_candidate(
        self,
        text: str,
        toks: list[Token],
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
        article = i > 0 and toks[i - 1].norm in ARTICLES and not gap_breaks(text, toks[i - 1], toks[i])
        # a year right after the title: "Heat (1995)", "Heat 1995"
        year: int | None = None
        ym = _YEAR_AFTER_RE.match(text, end)
        if ym:
            year = int(ym.group(1) or ym.group(2))
        year_start: int | None = None
        if year is None:
            loose = self._loose_year(text, start, end, ids, " ".join(w.norm for w in words), article)
            if loose is not None:
                year, year_start, year_end = loose
                if year_end > end:
                    ym = _SHORT_YEAR_AFTER_RE.match(text, end)
        movielens_only = self.index.movielens_only.issuperset(ids)
        if movielens_only and year is not None and not (ym and ym.group(1)):
            year, year_start, ym = None, None, None  # "after 2010" is a year, not After (2009)
        nxt = j + 1
        while nxt < len(toks) and toks[nxt].start < end:
            nxt += 1
        next_tok = toks[nxt] if nxt < len(toks) and not gap_breaks(text, toks[j], toks[nxt]) else None
        gap = text[end : next_tok.start] if next_tok is not None else ""
        if year is None and next_tok is not None:
            # a different (unknown) sequel or subtitle: "Matrix 5", "Jurassic Park: The Final Roar"
            if next_tok.norm in SEQUEL_TOKENS or next_tok.raw.lower() in SEQUEL_TOKENS:
                return None
            if gap.strip() in (":", "-", "–", "—") and next_tok.cap:
                return None
        content = [w.norm for w in words]
        phrase = " ".join(content)
        strict = (
            strict_words(content)
            or all(w.isdigit() for w in content)
            or phrase in CHAT_PHRASES
            or (article and f"{toks[i - 1].norm} {phrase}" in CHAT_PHRASES)
            or len(phrase) <= 1
        )
        ambiguous = strict or is_ambiguous(words)
        if ambiguous and year is None:
            if strict:
                return None  # only quotes, bold or a year make these titles
            if not case_marked(words, toks, i, j, caps_unreliable, article):
                return None
            if next_tok is not None and next_tok.norm in GENERIC_FOLLOWERS and gap.strip() in ("", "-"):
                return None  # "a Halloween movie", "Christmas films"
        if weak and year is None and len(content) < 2:
            return None
        # a film only MovieLens lists ("Looking Forward", "Caught Up") in plain words is ordinary language
        if year is None and movielens_only and not case_marked(words, toks, i, j, caps_unreliable, article):
            return None
        if (
            not ambiguous
            and year is None
            and len(content) == 1
            and words[0].cap
            and not caps_unreliable
            and in_capitalized_name(words, toks, i, j, article, names_only=True)
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
        picked = self.matcher.pick(ids, year, surface)
        if picked is None:
            return None
        item = picked.item
        if article and self.index.title_surface[item.id].split(" ", 1)[0] in ARTICLES:
            start = toks[i - 1].start
        if year_start is not None and year_start < start:
            start = year_start
        if ym:
            end = ym.end()
        score = (SCORE_SUBTITLE if weak else SCORE_EXACT) * picked.factor
        return _Candidate(start, end, item_match(item, score, "exact", picked.alternatives), 1)

    def _loose_year(
        self, text: str, start: int, end: int, ids: tuple[int, ...], phrase: str, article: bool
    ) -> tuple[int, int, int] | None:
        """A year written loosely around a title ("heat 95", "the 1982 parasite", "1995's Heat") that
        one of ``ids`` has (one year off tolerated): ``(year, span start, span end)``, or None."""
        sm = _SHORT_YEAR_AFTER_RE.match(text, end)
        if sm and f"{phrase} {int(sm.group(1))}" not in self.index.keys:  # "Area 51" is a title
            yy = int(sm.group(1))
            year = 1900 + yy if yy >= 30 else 2000 + yy
            if self._has_year(ids, year):
                return year, start, sm.end()
        bm = None if article else _YEAR_BEFORE_RE.search(text[max(0, start - 20) : start])
        if bm:
            year = int(bm.group(1) or bm.group(2))
            if self._has_year(ids, year):
                return year, max(0, start - 20) + bm.start(), end
        return None

    def _has_year(self, ids: tuple[int, ...], year: int) -> bool:
        items = self.matcher.catalog.items
        return any(
            (it := items.get(i)) is not None and it.year is not None and abs(it.year - year) <= 1 for i in ids
        )

    def _year_span_candidates(self, text: str, toks: list[Token], out: list[_Candidate]) -> None:
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
                if gap_breaks(text, prev, cur) or cur.sent_start:
                    break
                if not (prev.cap or prev.raw[:1].isdigit() or prev.norm in TITLE_CONNECTORS):
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
                q = self.matcher.parse(title)
                if q is None or (strict_words(q.key.split()) and len(q.key.split()) == 1):
                    continue
                match = self.matcher.match(q)
                if match is not None:
                    out.append(_Candidate(span[s].start, m.end(), match, 2))
                    break

    def _fuzzy_candidates(
        self,
        text: str,
        toks: list[Token],
        caps_unreliable: bool,
        failed: list[tuple[int, int]],
        person_spans: list[tuple[int, int]],
        out: list[_Candidate],
    ) -> None:
        """Titles with typos ("the matrx", "shawshank redemtion"): n-grams with unknown words repaired.

        Each repaired span passes the same precision rules as an exact one (common-word titles need a
        capital, genre words a year, ...); a one-word title must be a long rare word, and the typed span
        must stay close to the title as a whole.
        """
        speller = self.speller
        fixes = {k: f for k, t in enumerate(toks) if (f := speller.fixes(t.norm))}
        if not fixes:
            return
        n = len(toks)
        first, last = min(fixes), max(fixes)
        for i in range(max(0, first - _MAX_NGRAM + 1), last + 1):
            if toks[i].norm in ARTICLES and i + 1 < n:
                continue
            partials: list[tuple[str, list[Token], int]] = [("", [], 0)]
            for j in range(i, min(n, i + _MAX_NGRAM)):
                if j > i and gap_breaks(text, toks[j - 1], toks[j]):
                    break
                forms = [toks[j], *(replace(toks[j], norm=f, alt=None) for f in fixes.get(j, ()))]
                grown: list[tuple[str, list[Token], int]] = []
                for key, chosen, n_fixed in partials:
                    for tok in forms:
                        new_key = f"{key} {tok.norm}" if key else tok.norm
                        fixed = n_fixed + (tok is not toks[j])
                        words = [*chosen, tok]
                        if fixed:
                            ids, weak = self.index.keys.get(new_key), False
                            if ids is None and j > i:
                                ids, weak = self.index.subtitles.get(new_key), True
                            if ids:
                                cand = self._fuzzy_candidate(
                                    text, toks, i, j, words, ids, weak, caps_unreliable, failed, person_spans
                                )
                                if cand is not None:
                                    out.append(cand)
                        if new_key in self.index.prefixes:
                            grown.append((new_key, words, fixed))
                partials = grown[:_FUZZY_MAX_PARTIALS]
                if not partials:
                    break

    def _fuzzy_candidate(
        self,
        text: str,
        toks: list[Token],
        i: int,
        j: int,
        words: list[Token],
        ids: tuple[int, ...],
        weak: bool,
        caps_unreliable: bool,
        failed: list[tuple[int, int]],
        person_spans: list[tuple[int, int]],
    ) -> _Candidate | None:
        if self.index.movielens_only.issuperset(ids):
            return None  # no typo repair towards 56k films only MovieLens lists
        content = [w for w in words if w.norm not in SMALL_WORDS]
        if len(content) == 1:
            word = content[0].norm
            if (
                len(word) < _FUZZY_ONE_WORD_MIN
                or word in common_words()
                or word in DOMAIN_COMMON_WORDS
                or word in GENRE_WORDS
                or word in GENERIC_WORDS
            ):
                return None
        typed = " ".join(t.norm for t in toks[i : j + 1])
        repaired = " ".join(w.norm for w in words)
        ratio = fuzz.ratio(typed, repaired)
        if ratio < _FUZZY_MIN_RATIO:
            return None
        fixed_toks = [*toks[:i], *words, *toks[j + 1 :]]
        cand = self._ngram_candidate(text, fixed_toks, i, j, ids, weak, caps_unreliable, failed, person_spans)
        if cand is None:
            return None
        m = cand.match
        if len(content) == 1:
            if self.index.notability.get(m.item_id, 0.0) < self.index.notable_min:
                return None  # "robery" is no typo of Robbery (2015), "alladin" none of Aladin (2009)
            typed_word = toks[i + words.index(content[0])]
            if len(typed_word.norm) < _FUZZY_SHORT_WORD:
                own_article = cand.start < typed_word.start  # the title's article is in the span
                if not own_article and not (typed_word.cap and not typed_word.sent_start):
                    return None  # "a slice of life" is no Splice
        score = m.score * SCORE_FUZZY * ratio / 100.0
        match = ItemMatch(m.item_id, m.title, m.year, round(score, 4), "fuzzy", m.alternatives)
        return _Candidate(cand.start, cand.end, match, 0)
