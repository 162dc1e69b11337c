"""Sentences and clauses of a message, with their character offsets in the raw text.

A stance ("love", "hate", "no") applies inside its own clause: it never crosses a sentence end or a
contrast ("but", "though", "however", "although", "whereas"). "anything but X", "all but", "nothing but"
are not contrasts. Title spans are protected: "Dr. Strangelove" or "Hello, Dolly!" are never split.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: a sentence ends at . ! ? ; or a line break (not inside a number such as 8.5, nor after an abbreviation)
_SENTENCE_END = re.compile(r"(?<!\b(?:mr|ms|dr|st|jr|sr|vs))(?<!\bmrs)[.!?;]+(?!\d)|\n+", re.IGNORECASE)
_CONTRAST = re.compile(
    r",?\s*\b(?<!anything )(?<!all )(?<!nothing )(?:but|though|however|although|whereas|even though)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Clause:
    """One clause: its raw text and where it sits in the message."""

    start: int
    end: int
    text: str
    sentence: int
    after_contrast: bool


def _cuts(pattern: re.Pattern[str], text: str, protected: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return [
        (m.start(), m.end())
        for m in pattern.finditer(text)
        if not any(s < m.end() and m.start() < e for s, e in protected)
    ]


def split_clauses(text: str, protected: list[tuple[int, int]] = ()) -> list[Clause]:  # type: ignore[assignment]
    """Split ``text`` into clauses; ``protected`` spans (titles) are never cut."""
    spans = list(protected)
    clauses: list[Clause] = []
    sentence_starts = [0] + [e for _, e in _cuts(_SENTENCE_END, text, spans)]
    sentence_ends = [s for s, _ in _cuts(_SENTENCE_END, text, spans)] + [len(text)]
    for n, (s_start, s_end) in enumerate(zip(sentence_starts, sentence_ends, strict=True)):
        sentence = text[s_start:s_end]
        pieces = _cuts(_CONTRAST, sentence, [(a - s_start, b - s_start) for a, b in spans])
        starts = [0] + [e for _, e in pieces]
        ends = [s for s, _ in pieces] + [len(sentence)]
        for k, (a, b) in enumerate(zip(starts, ends, strict=True)):
            raw = sentence[a:b]
            if raw.strip():
                clauses.append(Clause(s_start + a, s_start + b, raw.strip(), n, after_contrast=k > 0))
    return clauses
