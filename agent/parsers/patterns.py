"""The rule parser's word patterns: title stances ("loved X", "not X", "seen X"), intents, questions,
years and ratings, and the filler words left out of the free-text taste."""

from __future__ import annotations

import re

from agent.state import Sentiment

NEGATION = re.compile(
    r"\b(no|not|nothing|without|never|isnt|arent|wasnt|doesnt|hate|hated|hates|dislike|disliked|avoid|except|but not|anything but|"
    r"don ?t (?:like|want|enjoy|care for)|didn ?t (?:like|enjoy)|not (?:into|a fan of|fond of)|can ?t stand|"
    r"no more|tired of|sick of|stop|skip|none of|nor|instead of)\b"
)
NEG_TITLE = re.compile(
    r"\b(hate|hated|dislike|disliked|didn ?t (?:like|enjoy|love)|did not (?:like|enjoy)|not (?:a fan of|into|like)|"
    r"don ?t (?:like|love|want|care for)|do not (?:like|want)|too \w+ for (?:me|us|my \w+)|not for me|nah|"
    r"none of|not (?:my|our) thing|"
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
INTEREST_AFTER = re.compile(
    r"\b(sounds? (?:good|great|interesting|fun|like a good one)|looks? (?:good|great|interesting)|"
    r"(?:will|ll|gonna|going to|want to|hope to|have to|need to|might) (?:check (?:it|that) out|watch|see|give it)|"
    r"on my list|add (?:it|that) to)\b"
)
SIMILAR_AFTER = re.compile(
    r"\b(something similar|similar (?:movie|film|one)|more like (?:it|that|this)|like that one)\b"
)
REFERENCE_BEFORE = re.compile(
    r"\b(?:(?:newer|more recent|more modern|later|older|earlier) than|(?:made|released|came out|out|from) "
    r"(?:after|before)|before|after)\s*$"
)
SEEN_IT_AFTER = re.compile(
    r"^\W*(?:\w+ ){0,2}?(?:ive |i have |already |i already )?(?:seen|watched|saw) (?:it|that|this)\b"
)
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
    r"|^\W*(?:\w+ ){0,3}?(?:was|is|s) (?:way |much |just )?too \w+ for (?:me|us|my \w+)\b"
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
    r"\b(start over|reset|forget (?:everything|all)|new search|clear (?:everything|all|preferences)|from scratch|"
    r"begin again|start again|clean slate|wipe the slate|start afresh|new conversation)\b"
)
MORE = re.compile(
    r"\b(more|(?<!the )others|other ones|something else|another|anything else|different ones|next)\b"
)
CHITCHAT = re.compile(
    r"^\W*(hi|hello|hey|thanks|thank you|thx|ok|okay|cool|bye|goodbye|good morning|good evening|how are you|yo|"
    r"perfect|great|awesome|nice|lovely|sounds good|got it|will do|lol|haha|hah|cheers)\b"
)
#: words of a request for movies: a message without any slot and without these is small talk
REQUEST = re.compile(
    r"\b(recommend|recommendation|suggest|suggestion|want|wanna|looking for|look for|watch|movie|movies|film|films|"
    r"flick|flicks|something|anything|show me|give me|mood|feel like|pick|ideas?|options?|more|others?|else|"
    r"similar|another|tonight|genre|director|actor|actress|seen|saw|loved?|liked?|hate|enjoy|fan)\b"
)
QUESTION_ASPECTS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"\b(how long (?:is|s|does|was)|running time|run ?time|how many (?:minutes|hours)|length of|"
            r"how long it (?:is|runs)|"
            r"is (?:it|that|this|the \w+(?: one)?|number \w+) (?:too |very |really |that )?(?:long|short))\b"
        ),
        "runtime",
    ),
    (
        re.compile(
            r"\b(where ?(?:is|s|was) (?:it|that|this|the \w+(?: one)?|number \w+) (?:from|made)|what country|"
            r"which country|country wise)\b"
        ),
        "country",
    ),
    (re.compile(r"\b(who (?:directed|made)|director of|directed by whom|who is the director)\b"), "director"),
    (re.compile(r"\b(who ?(?:is|s|are) in|who stars|starring|cast of|actors? in|who plays)\b"), "stars"),
    (re.compile(r"\b(who wrote|writers? of|screenplay)\b"), "writers"),
    (
        re.compile(r"\b(what ?(?:is|s)(?: .*)? about|plot of|what happens in|story of|about\?|synopsis)\b"),
        "plot",
    ),
    (re.compile(r"\b(when (?:was|did)|what year|release date|how old is|year of)\b"), "year"),
    (re.compile(r"\b(what genre|which genre|what kind of (?:movie|film) is)\b"), "genres"),
    (
        re.compile(
            r"\b(how good is|rating of|is (?:it|that|this|that one|this one) (?:any )?good|any good|"
            r"how (?:is|s) (?:\w+ ){0,3}?rated|how (?:well|highly|good) (?:is )?(?:\w+ )?rated|"
            r"worth (?:watching|it|a watch)|reviews? of)\b"
        ),
        "rating",
    ),
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
#: "is the first one scary?", "does it have gore?": a question about an item's content (group "what")
CONTENT_QUESTION = re.compile(
    r"^\W*(?:\w+ ){0,3}?(?:is|s|isnt|does|did|has|will|would|was|are) (?:it|that|this|they|that one|this one|the (?:first|second|"
    r"third|fourth|fifth|last|1st|2nd|3rd|4th|5th)(?: one| movie| film)?|#\d|\d|number \w+)? ?(?:have |contain |got )?"
    r"(?:too |very |really |pretty |at all |super |kind of |kinda |a lot of |much |any |a )?(?P<what>\w+(?: \w+)?)"
)
RUNTIME_MAX = re.compile(
    r"\b(?:under|less than|shorter than|no longer than|at most|max|maximum|below|within|not more than|"
    r"not over|tops|(?:nothing|no|not|nothing thats|nothing that s) (?:longer than|over)|no more than|only have|"
    r"got|have)(?: an?)? "
    r"(?P<n>\d+(?:\.\d+)?|one|two|three|an|half an) ?(?P<unit>hours?|hrs?|h|minutes|mins?|m)\b"
    r"(?P<half> and a half)?"
)
RUNTIME_VAGUE_MAX = re.compile(
    r"\b(short|shorter|not too long|not so long|not long|quick|nothing long|nothing too long|not a long|"
    r"not very long|isnt too long|doesnt take too long|under two hours|fairly short|not as long|"
    r"(?:avoid|no|nothing|not|skip|without) (?:anything |something |a movie |movies )?(?:too |that s too |thats too )?long)\b"
)
RUNTIME_MIN = re.compile(
    r"\b(?:(?:a|an|something|really|very|nice) long (?:movie|film|one)|epic|longer ones?|(?:over|more than|at least) "
    r"(?P<n>\d+(?:\.\d+)?|two|three) ?(?P<unit>hours?|hrs?|minutes|mins?))\b"
)
AVOID_POPULAR = re.compile(
    r"\b(might not have seen|may not have seen|might have missed|may have missed|probably havent seen|"
    r"havent heard of|never heard of|hidden gems?|lesser known|less known|little known|under the radar|underrated|"
    r"not the obvious|nothing obvious|obscure|off the beaten (?:path|track)|not too mainstream|not mainstream|"
    r"less mainstream|deep cuts?|overlooked|not the famous ones|not the usual)\b"
)
ANCHOR = re.compile(
    r"\b(?:more|something|anything|movies?|films?|ones?|others?)(?: \w+)?? (?:like|similar to|along the lines of|"
    r"in the vein of|in the style of|closer to) (?:the )?(?P<pos>first|second|third|fourth|fifth|last|1st|2nd|3rd|"
    r"4th|5th|this|that|number \w+|[1-5])(?: one| movie| film| pick)?\b"
)
#: "loved number 3, more in that direction": the anchor is the item the message just praised
ANCHOR_THAT = re.compile(
    r"\b(?:more (?:in that direction|of that|along those lines|like that|like it)|in that vein)\b"
)
LANGUAGE = re.compile(
    r"\b(?:in|spoken in) (?P<a>\w+)\b|\b(?P<b>\w+) (?:language|speaking|spoken|audio|dub|dubbed)\b"
    r"|\b(?P<nosubs>no subtitles|without subtitles|not subtitled|dont want (?:to read )?subtitles|hate subtitles)\b"
)
NEWER_THAN = re.compile(
    r"\b(newer|more recent|later|after|more modern|not as old|but recent|recent(?:ly)? made)\b"
)
OLDER_THAN = re.compile(r"\b(older|earlier|before|not as new|but old)\b")
RATED = re.compile(
    r"\b(highly rated|well reviewed|critically acclaimed|acclaimed|top rated|best rated|good reviews|masterpiece)\b"
)
RATING_NUM = re.compile(r"\brated (?:above|over|at least|higher than) (\d(?:\.\d)?)\b")
RECENT = re.compile(r"\b(recent|new releases?|newer|new ones|latest|this year|modern|only new)\b")
OLD = re.compile(r"\b(old|older|classic|classics|vintage|golden age)\b")
CLAUSE_SPLIT = re.compile(r"[.;!?]|\bbut\b|\bhowever\b|\bthough\b|\balthough\b")
FEEDBACK_SPLIT = re.compile(r"[.;!?,]|\bbut\b|\band\b|\bwhile\b")


def title_sentiment(before: str, after: str, window: str = "") -> Sentiment:
    """The user's stance on a title from the folded clause ``before`` it, the folded text ``after`` it and
    the folded ``window`` before it across clause breaks ("anything but X").

    "I haven't seen X" is no stance (``neutral``: X stays a candidate, it is neither a dislike nor seen);
    "seen X and loved it" / "have you seen X?" is a like; "seen X" alone is ``seen``; a dislike needs a dislike
    word in the clause or a bare "not" / "no" right before the title ("not X"), but "not as good as X" is a
    comparison in X's favour.
    """
    if UNSEEN_TITLE.search(before):  # "haven't seen X and don't want to" is a dislike
        if UNWANTED_AFTER.search(after):
            return "dislike"
        return "like" if INTEREST_AFTER.search(after) else "neutral"  # "... but it sounds good": interest
    if REFERENCE_BEFORE.search(before):  # "newer than X": a reference point, no stance
        return "neutral"
    if (NEG_ADJACENT.search(before) or BUT_NOT.search(window)) and SEEN_IT_AFTER.search(after):
        return "seen"  # "not Titanic, I've seen it"
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
        wants_more = SIMILAR_AFTER.search(after)  # "saw X last night and was hoping for something similar"
        return "like" if (LIKE_TITLE.search(liked_too) or LIKED_AFTER.search(after) or wants_more) else "seen"
    return "like"


def soft_text(low: str) -> str:
    """The free-text taste of a (folded, title-masked) message: negated phrases and filler removed."""
    kept: list[str] = []
    for clause in CLAUSE_SPLIT.split(low):
        clause = NEGATION.split(clause, maxsplit=1)[0] if NEGATION.search(clause) else clause
        kept += [w for w in clause.split() if w not in STOPWORDS and not w.isdigit()]
    return " ".join(kept)[:300] if len(kept) >= 2 else ""


STOPWORDS = frozenset(
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
