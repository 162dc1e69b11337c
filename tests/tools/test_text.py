"""Sentence splitting of catalog text (tools/text.py): real sentence ends, not abbreviations."""

from __future__ import annotations

from tools.data.normalise import truncate_plot
from tools.text import cut_at_sentence, first_sentence, split_sentences

RAMBO = (
    "Col. Trautman sends John Rambo back to Vietnam to look for prisoners. He finds them. "
    "In the U.S. Army, Gen. Patton and Lt. Dan meet J. R. R. Tolkien! Then what? Nothing."
)


def test_abbreviations_initials_and_dotted_words_end_no_sentence() -> None:
    assert split_sentences(RAMBO) == [
        "Col. Trautman sends John Rambo back to Vietnam to look for prisoners.",
        "He finds them.",
        "In the U.S. Army, Gen. Patton and Lt. Dan meet J. R. R. Tolkien!",
        "Then what?",
        "Nothing.",
    ]
    assert first_sentence("Col. Trautman returns. Rambo follows.") == "Col. Trautman returns."
    assert first_sentence('He said "Go." Then he left.') == 'He said "Go."'
    assert first_sentence("") == "" and split_sentences("  ") == []
    assert first_sentence("A story about Dr. Frankenstein") == "A story about Dr. Frankenstein"


def test_cut_keeps_whole_sentences_or_cuts_at_a_word() -> None:
    assert (
        cut_at_sentence(RAMBO, 90)
        == "Col. Trautman sends John Rambo back to Vietnam to look for prisoners. He finds them."
    )
    cut = cut_at_sentence("word " * 50, 40)
    assert cut.endswith("…") and len(cut) <= 40 and "  " not in cut
    assert cut_at_sentence("short.", 40) == "short."
    assert truncate_plot(RAMBO, 90) == cut_at_sentence(RAMBO, 90)
