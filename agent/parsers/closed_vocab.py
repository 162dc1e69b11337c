"""Closed vocabularies for slot values a parser (the LLM's especially) may return in free words: qualifiers,
countries of production and spoken languages. A value outside them is dropped, never guessed."""

from __future__ import annotations

from tools.qualifiers import QUALIFIER_NAMES, QUALIFIERS
from tools.titles import fold

#: catalog country name -> the words people (and models) use for it
COUNTRIES: dict[str, tuple[str, ...]] = {
    "USA": ("usa", "us", "u s", "u s a", "united states", "united states of america", "america", "american"),
    "UK": ("uk", "u k", "united kingdom", "britain", "great britain", "british", "england", "english"),
    "France": ("france", "french"),
    "Germany": ("germany", "german"),
    "Italy": ("italy", "italian"),
    "Spain": ("spain", "spanish"),
    "South Korea": ("south korea", "korea", "korean", "south korean", "republic of korea"),
    "Japan": ("japan", "japanese"),
    "China": ("china", "chinese"),
    "Hong Kong": ("hong kong",),
    "Taiwan": ("taiwan", "taiwanese"),
    "India": ("india", "indian", "bollywood"),
    "Canada": ("canada", "canadian"),
    "Australia": ("australia", "australian"),
    "New Zealand": ("new zealand",),
    "Ireland": ("ireland", "irish"),
    "Mexico": ("mexico", "mexican"),
    "Brazil": ("brazil", "brazilian"),
    "Argentina": ("argentina", "argentinian", "argentine"),
    "Sweden": ("sweden", "swedish"),
    "Denmark": ("denmark", "danish"),
    "Norway": ("norway", "norwegian"),
    "Finland": ("finland", "finnish"),
    "Russia": ("russia", "russian"),
    "Poland": ("poland", "polish"),
    "Netherlands": ("netherlands", "dutch", "holland"),
    "Belgium": ("belgium", "belgian"),
    "Switzerland": ("switzerland", "swiss"),
    "Austria": ("austria", "austrian"),
    "Iran": ("iran", "iranian"),
    "Turkey": ("turkey", "turkish"),
    "Israel": ("israel", "israeli"),
    "Thailand": ("thailand", "thai"),
    "South Africa": ("south africa", "south african"),
    "Nigeria": ("nigeria", "nigerian", "nollywood"),
    "Czech Republic": ("czech republic", "czechia", "czech"),
    "Hungary": ("hungary", "hungarian"),
    "Greece": ("greece", "greek"),
    "Portugal": ("portugal", "portuguese"),
}
_COUNTRY_WORDS = {fold(w): name for name, words in COUNTRIES.items() for w in (name, *words)}

#: ISO 639-1 code -> language names
LANGUAGES: dict[str, tuple[str, ...]] = {
    "en": ("english",),
    "es": ("spanish", "castilian"),
    "fr": ("french",),
    "de": ("german",),
    "it": ("italian",),
    "ja": ("japanese",),
    "ko": ("korean",),
    "zh": ("chinese", "mandarin", "cantonese"),
    "hi": ("hindi",),
    "pt": ("portuguese",),
    "ru": ("russian",),
    "sv": ("swedish",),
    "da": ("danish",),
    "no": ("norwegian",),
    "fi": ("finnish",),
    "nl": ("dutch",),
    "pl": ("polish",),
    "tr": ("turkish",),
    "fa": ("persian", "farsi"),
    "he": ("hebrew",),
    "ar": ("arabic",),
    "th": ("thai",),
    "el": ("greek",),
    "cs": ("czech",),
    "hu": ("hungarian",),
}
_LANGUAGE_WORDS = {w: code for code, words in LANGUAGES.items() for w in (code, *words)}
_QUALIFIER_WORDS = {fold(w): q.name for q in QUALIFIERS for w in (q.name, q.label, *q.words)}


def norm_qualifier(value: object) -> str | None:
    """The vocabulary name of a qualifier given by name or by one of its words ("gory" -> gore), or None."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if text in QUALIFIER_NAMES:
        return text
    return _QUALIFIER_WORDS.get(fold(text))


def norm_country(value: object) -> str | None:
    """The catalog name of a country given by name or adjective ("Korean" -> South Korea), or None."""
    return _COUNTRY_WORDS.get(fold(value)) if isinstance(value, str) else None


def norm_language(value: object) -> str | None:
    """The ISO 639-1 code of a language given by code or name ("Spanish" -> es), or None."""
    return _LANGUAGE_WORDS.get(fold(value)) if isinstance(value, str) else None
