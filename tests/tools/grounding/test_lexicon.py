"""The word lists: the common English words come from the packaged text resource, in frequency order."""

from __future__ import annotations

from tools.grounding.lexicon import VERY_COMMON_COUNT, common_words, very_common_words


def test_common_words_load_from_the_resource() -> None:
    words = common_words()
    assert 2_500 <= len(words) <= 2_600
    assert {"the", "heat", "up", "teeth"} <= words
    assert not any(w.startswith(("#", '"')) for w in words)


def test_very_common_words_are_the_first_ones() -> None:
    very = very_common_words()
    assert len(very) == VERY_COMMON_COUNT
    assert very < common_words()
    assert "the" in very and "teeth" not in very
