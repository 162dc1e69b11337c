"""The qualifier vocabulary: topics, moods and content a user can ask for or rule out.

A qualifier is not a genre (genres live in :mod:`tools.genres`). Each has a name (the value in
``ParsedTurn.qualifiers_*``, in gold readings and in the catalog's per-item ``qualifiers``), a short label
for replies, and the words a user says for it. Which catalog items carry a qualifier is decided from the
keywords and tags of the sources in ../shared/data when the catalog is built (see ``tools/data``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Qualifier:
    """One entry of the vocabulary."""

    name: str
    label: str
    words: tuple[str, ...]
    kind: str  # "content", "mood" or "topic"


QUALIFIERS: tuple[Qualifier, ...] = (
    # content
    Qualifier(
        "gore",
        "gore",
        ("gore", "gory", "gorey", "bloody", "blood", "splatter", "gruesome", "graphic violence"),
        "content",
    ),
    Qualifier("violence", "violence", ("violence", "violent", "brutal", "brutality"), "content"),
    Qualifier(
        "sex",
        "sex scenes",
        ("sex", "sex scenes", "nudity", "nude", "sexual", "explicit", "steamy", "raunchy"),
        "content",
    ),
    Qualifier(
        "scary",
        "scary",
        ("scary", "scare", "scares", "frightening", "terrifying", "creepy", "spooky", "jump scares"),
        "content",
    ),
    # mood
    Qualifier(
        "dark",
        "dark / depressing",
        (
            "dark",
            "depressing",
            "bleak",
            "sad",
            "grim",
            "heavy",
            "disturbing",
            "downer",
            "tearjerker",
            "bummer",
        ),
        "mood",
    ),
    Qualifier(
        "feel-good",
        "feel-good",
        (
            "feel good",
            "feelgood",
            "uplifting",
            "heartwarming",
            "wholesome",
            "cheerful",
            "happy",
            "light hearted",
            "lighthearted",
            "cozy",
            "cosy",
            "something light",
            "light movie",
            "light film",
            "light watch",
            "easy watch",
            "easy watching",
        ),
        "mood",
    ),
    Qualifier(
        "twist", "a twist", ("twist", "twists", "plot twist", "twist ending", "surprise ending"), "mood"
    ),
    Qualifier(
        "mind-bending",
        "mind-bending",
        (
            "mind bending",
            "mindbending",
            "mind blowing",
            "mind fuck",
            "surreal",
            "trippy",
            "confusing",
            "cerebral",
            "makes you think",
            "thought provoking",
        ),
        "mood",
    ),
    Qualifier("slow", "slow-paced", ("slow", "slow paced", "slow burn"), "mood"),
    # topic
    Qualifier(
        "time-travel",
        "time travel",
        ("time travel", "time traveling", "time travelling", "time loop", "time machine"),
        "topic",
    ),
    Qualifier("heist", "a heist", ("heist", "heists", "robbery", "bank robbery", "caper"), "topic"),
    Qualifier(
        "music",
        "music",
        ("music", "musician", "musicians", "band", "rock and roll", "singer", "concert", "jazz", "hip hop"),
        "topic",
    ),
    Qualifier(
        "true-story",
        "a true story",
        ("true story", "true stories", "based on a true story", "real events", "real story", "based on real"),
        "topic",
    ),
    Qualifier(
        "based-on-book",
        "based on a book",
        (
            "based on a book",
            "based on a novel",
            "book adaptation",
            "novel adaptation",
            "adapted from a book",
            "from a book",
            "based on the book",
        ),
        "topic",
    ),
    Qualifier(
        "superhero",
        "superheroes",
        ("superhero", "superheroes", "super hero", "comic book", "marvel", "dc comics"),
        "topic",
    ),
    Qualifier("christmas", "Christmas", ("christmas", "xmas", "holiday season", "santa"), "topic"),
    Qualifier(
        "sports", "sports", ("football", "baseball", "basketball", "boxing", "soccer", "hockey"), "topic"
    ),
    Qualifier(
        "space",
        "space",
        ("space", "outer space", "astronaut", "astronauts", "spaceship", "space travel"),
        "topic",
    ),
    Qualifier("zombies", "zombies", ("zombie", "zombies", "undead"), "topic"),
    Qualifier("vampires", "vampires", ("vampire", "vampires", "dracula"), "topic"),
    Qualifier(
        "ghosts",
        "ghosts",
        ("ghost", "ghosts", "haunted", "haunted house", "haunting", "paranormal", "supernatural"),
        "topic",
    ),
    Qualifier("aliens", "aliens", ("alien", "aliens", "extraterrestrial", "ufo", "alien invasion"), "topic"),
    Qualifier(
        "robots",
        "robots / AI",
        ("robot", "robots", "artificial intelligence", "ai", "android", "androids", "cyborg"),
        "topic",
    ),
    Qualifier(
        "dystopia",
        "dystopia",
        ("dystopia", "dystopian", "post apocalyptic", "apocalypse", "apocalyptic", "end of the world"),
        "topic",
    ),
    Qualifier(
        "coming-of-age",
        "coming of age",
        ("coming of age", "growing up", "teen", "teenage", "teenager", "teenagers", "high school"),
        "topic",
    ),
    Qualifier("revenge", "revenge", ("revenge", "vengeance", "payback"), "topic"),
    Qualifier("serial-killer", "a serial killer", ("serial killer", "serial killers", "psychopath"), "topic"),
    Qualifier(
        "animals", "animals", ("animal", "animals", "dog", "dogs", "cat", "cats", "horse", "horses"), "topic"
    ),
    Qualifier(
        "world-war",
        "a world war",
        (
            "world war",
            "world war ii",
            "world war 2",
            "ww2",
            "wwii",
            "world war i",
            "ww1",
            "wwi",
            "nazi",
            "nazis",
        ),
        "topic",
    ),
    Qualifier(
        "martial-arts", "martial arts", ("martial arts", "kung fu", "karate", "samurai", "ninja"), "topic"
    ),
    Qualifier("road-trip", "a road trip", ("road trip", "road movie", "on the road"), "topic"),
    Qualifier("spy", "spies", ("spy", "spies", "espionage", "secret agent", "cia"), "topic"),
    Qualifier(
        "gangster",
        "gangsters",
        ("gangster", "gangsters", "mafia", "mob", "mobster", "mobsters", "organized crime", "cartel"),
        "topic",
    ),
    Qualifier("prison", "prison", ("prison", "jail", "prison break", "inmate", "inmates"), "topic"),
    Qualifier(
        "courtroom", "a courtroom", ("courtroom", "trial", "lawyer", "lawyers", "legal drama"), "topic"
    ),
    Qualifier(
        "disaster",
        "a disaster",
        ("disaster", "natural disaster", "earthquake", "tsunami", "volcano", "shipwreck"),
        "topic",
    ),
    Qualifier("dinosaurs", "dinosaurs", ("dinosaur", "dinosaurs"), "topic"),
    Qualifier("magic", "magic", ("magic", "wizard", "wizards", "witch", "witches", "sorcery"), "topic"),
    Qualifier(
        "politics", "politics", ("politics", "political", "election", "president", "white house"), "topic"
    ),
    Qualifier("cult", "a cult classic", ("cult classic", "cult film", "cult movie"), "topic"),
    Qualifier(
        "award-winning",
        "award-winning",
        ("oscar winning", "oscar winner", "award winning", "won an oscar", "academy award", "oscars"),
        "topic",
    ),
)
"""The whole vocabulary. Names are stable (they appear in gold data and the catalog)."""

QUALIFIER_NAMES: frozenset[str] = frozenset(q.name for q in QUALIFIERS)
#: Moods that a wish rules out by itself: "something light" is no wish for a dark or scary film.
OPPOSITE_MOODS: dict[str, tuple[str, ...]] = {"feel-good": ("dark", "scary", "gore")}
#: Moods a film's genre stands for when its tags are silent: a horror film is scary.
GENRE_MOODS: dict[str, str] = {"horror": "scary"}


def moods_of(qualifiers: tuple[str, ...], genres: tuple[str, ...]) -> tuple[str, ...]:
    """An item's qualifiers plus the moods its genres stand for (:data:`GENRE_MOODS`)."""
    extra = [GENRE_MOODS[g] for g in genres if g in GENRE_MOODS and GENRE_MOODS[g] not in qualifiers]
    return (*qualifiers, *extra) if extra else qualifiers


def qualifier(name: str) -> Qualifier | None:
    """The vocabulary entry called ``name``, or None."""
    return next((q for q in QUALIFIERS if q.name == name), None)
