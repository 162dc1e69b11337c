"""The word lists of grounding: genre, film and movie-talk words, chat phrases, and the common English words.

They decide when words in a text are a title and when they are ordinary language. The ~2,500 common English
words live in ``common_words.txt`` next to this module (from the wordfreq list, Robyn Speer, CC BY-SA 4.0)
and are read on first use by :func:`common_words` / :func:`very_common_words`.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

#: How many of the commonest words count as "very common" (two-word titles of only these need a marker).
VERY_COMMON_COUNT = 400


def _wordset(words: str) -> frozenset[str]:
    """A frozenset of the whitespace-separated words of ``words``."""
    return frozenset(words.split())


#: Leading articles: alias keys never start with one.
ARTICLES = frozenset({"the", "a", "an"})
#: Small words dropped for the "loose" key and not counted as content.
SMALL_WORDS = _wordset("the a an of and in on at to for from by with or part vs")
#: Words that may sit inside a capitalised title without being capitalised themselves.
TITLE_CONNECTORS = _wordset(
    "the a an of and in on at to for from by with or vs nor but is are was be into over under de la le du"
)
#: Sequel numbers: one right after a title makes it another, unknown film ("The Matrix 5").
SEQUEL_TOKENS = frozenset({*(str(i) for i in range(1, 21)), "ii", "iii", "iv", "vi", "vii", "viii", "ix"})
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
#: Pronouns and auxiliaries: "I have It was great" is no title "It".
PRONOUNS = _wordset("it you her us him them me we they she he i")
AUXILIARIES = _wordset(
    "is was were are am be been has had have will would can could does did do should might must"
)
#: Words after a title that make it an adjective ("a Halloween movie", "Christmas films").
GENERIC_FOLLOWERS = GENERIC_WORDS | frozenset(
    {"type", "kind", "kinds", "stuff", "themed", "ones", "one", "vibe"}
)
#: Abbreviations whose trailing dot ends no sentence ("Mr. Smith", "Vol. 2").
ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "st", "jr", "sr", "vs", "no", "vol", "mt", "ft", "prof"})


@cache
def _common_word_list() -> tuple[str, ...]:
    """The words of ``common_words.txt`` in frequency order (comment lines skipped)."""
    text = resources.files("tools.grounding").joinpath("common_words.txt").read_text(encoding="utf-8")
    return tuple(word for line in text.splitlines() if not line.startswith("#") for word in line.split())


@cache
def common_words() -> frozenset[str]:
    """The ~2,500 commonest English words: a one-word title that is one needs to be written as a title."""
    return frozenset(_common_word_list())


@cache
def very_common_words() -> frozenset[str]:
    """The 400 commonest English words: two-word titles of only these ("Get Out") need a title marker."""
    return frozenset(_common_word_list()[:VERY_COMMON_COUNT])
