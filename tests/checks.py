"""Checks shared by the hostile-input and LLM-path tests."""

from __future__ import annotations

import re

from agent import prompts

_WORDS = re.compile(r"[a-z0-9#]+")


def prompt_echo(text: str, n: int = 8) -> str | None:
    """The first run of ``n`` consecutive words of a system prompt found in ``text``."""
    words = _WORDS.findall(text.lower())
    grams = {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}
    for name in ("PARSE_SYSTEM", "PLAN_SYSTEM", "RESPOND_SYSTEM", "CRITIC_SYSTEM"):
        p = _WORDS.findall(getattr(prompts, name).lower())
        for i in range(len(p) - n + 1):
            if tuple(p[i : i + n]) in grams:
                return " ".join(p[i : i + n])
    return None
