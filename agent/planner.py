"""Plan-first planning: one JSON plan of tool calls per turn, validated against the tool registry.

Offline (and as the fallback) the plan is deterministic per intent. With an LLM, the plan it returns is
validated; an invalid plan gets its error back once, then the deterministic plan is used.
"""

from __future__ import annotations

import json
from typing import Any

from agent.llm import LLMClient, parse_json_lenient
from agent.prompts import PLAN_SYSTEM
from agent.state import ParsedTurn, Preferences
from agent.tools import PlanError, tool_catalog_text, validate_plan


def deterministic_plan(
    parsed: ParsedTurn, prefs: Preferences, ranking_size: int, n_items: int
) -> list[dict[str, Any]]:
    """The offline plan for an intent."""
    if parsed.intent == "item_question" and parsed.question_item is not None:
        return [
            {
                "tool": "lookup_item",
                "args": {
                    "item_id": parsed.question_item,
                    "aspect": parsed.question_aspect or "general",
                    "qualifier": parsed.question_qualifier,
                },
            }
        ]
    if parsed.intent in ("chitchat", "reset", "observe"):
        return []
    steps: list[dict[str, Any]] = [{"tool": "filter_items", "args": {}}]
    if prefs.soft or prefs.liked or not prefs.constraints.is_empty():
        steps.append({"tool": "semantic_search", "args": {"n": 300}})
    if prefs.liked or prefs.mentioned_by_agent:
        steps.append({"tool": "collaborative", "args": {"n": 300}})
    steps.append({"tool": "popular", "args": {"n": 150}})
    steps.append({"tool": "rank", "args": {"k": max(ranking_size, n_items), "diversify": False}})
    return steps


def llm_plan(
    llm: LLMClient, parsed: ParsedTurn, prefs: Preferences, message: str
) -> tuple[list[dict[str, Any]] | None, str | None]:
    """Ask the LLM for a plan; one retry with the validation error. Returns (plan, error)."""
    state = {
        "intent": parsed.intent,
        "liked_ids": prefs.liked,
        "disliked_ids": prefs.disliked,
        "constraints": prefs.constraints.model_dump(exclude={"exclude_ids"}),
        "soft": prefs.soft[-1:] if prefs.soft else [],
        "question_item": parsed.question_item,
    }
    messages = [
        {"role": "system", "content": PLAN_SYSTEM.format(tools=tool_catalog_text())},
        {"role": "user", "content": f"State: {json.dumps(state)}\n<user>{message[:1000]}</user>"},
    ]
    error: str | None = None
    for _attempt in range(2):
        text = llm.chat(messages, max_tokens=300, temperature=0.0)
        if text is None:
            return None, "LLM call failed"
        raw = parse_json_lenient(text)
        try:
            steps = validate_plan(raw)
        except PlanError as exc:
            error = str(exc)
            messages += [
                {"role": "assistant", "content": text[:1000]},
                {
                    "role": "user",
                    "content": f"Invalid plan: {error}. Answer with a corrected JSON list only.",
                },
            ]
            continue
        plan = [{"tool": spec.name, "args": args.model_dump()} for spec, args in steps]
        if parsed.intent in ("recommend", "more", "feedback") and plan[-1]["tool"] != "rank":
            plan.append({"tool": "rank", "args": {"k": 50}})
        return plan, None
    return None, error
