"""BIGRec-style item grounding: map a free-form title (or the titles inside a message) to catalog items.

:meth:`Grounder.ground` maps one title string to the catalog item it names, or to ``None``, in up to four
stages, each stricter about what it accepts than the one before it is about what it proposes: ``id``
(``"#123"``), ``exact`` and ``fuzzy`` (alias keys), ``embedding`` (nearest title embedding).
:meth:`Grounder.find_titles` finds titles inside free text (user messages and generated replies).
Thresholds were calibrated on ``tests/tools/grounding/grounding_cases.jsonl`` (real catalog titles with
typos, missing / wrong years, articles, punctuation and sequel-number variants, plus plausible non-existent
titles).

The modules, from the ground up:

- ``lexicon``: word lists (genre, film and chat words; the common English words of ``common_words.txt``);
- ``tokenizer``: words of a text with spans and folded forms, sentence boundaries, key helpers;
- ``matches``: :class:`ItemMatch` and :class:`Mention`, what grounding returns;
- ``notability``: how well known each item is (popularity and interactions), for same-title films;
- ``index``: the lookup tables built from the catalog (alias keys, variants, fuzzy choices, people);
- ``matcher``: query parsing and the ``exact`` / ``fuzzy`` stages;
- ``embedding_stage``: the ``embedding`` stage and its title-embedding cache;
- ``title_cues`` and ``finder``: when words in a text are a title, and finding them;
- ``speller``: typo repair of unknown words into title words, for finding titles in text;
- ``grounder``: :class:`Grounder`, the entry point that wires the stages.
"""

from tools.grounding.grounder import Grounder
from tools.grounding.matches import ItemMatch, MatchMethod, Mention

__all__ = ["Grounder", "ItemMatch", "MatchMethod", "Mention"]
