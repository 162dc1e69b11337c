"""The explanation audit (``crsagent eval explain``): is every claim of every shown item's "why" true?

Turns come from two places: REDIAL test contexts (seeker utterances fed as user turns, the recommender's as
observed ones, as in :mod:`eval.offline`) and scripted newcomer conversations (``eval/data/
explain_conversations.json``, several sessions of one user, so long-term memory takes part). For every item a
turn shows, each :class:`~agent.state.Reason` is re-checked here against the catalog, the ItemKNN model, the
item vectors, the conversation's own words and preferences and the facts recalled that turn -- by code
independent of :mod:`agent.reasons`, which made them (only the documented thresholds are shared). Two more
checks per item: the "why" is exactly the texts of its reasons (nothing unstructured slips in), and the
plain-text reply names the item on its own numbered line.

The result: claims by kind with the share true, the false ones listed, and whether any reason cites a film
that shares the shown item's title.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from agent.reasons import (
    FANS_MAX_RANK,
    FANS_MIN_SIM,
    SIMILAR_MIN_COS,
    knn_model,
    recalled_facts,
    years_phrase,
)
from agent.state import AgentState, Preferences, Reason, ShownItem
from eval.datasets import Dialog, load_redial
from tools.catalog import Catalog, Item
from tools.item_index import ItemVectors
from tools.recommenders.knn import ItemKNN
from tools.titles import fold, normalize_title

CONVERSATIONS_FILE = Path(__file__).resolve().parent / "data" / "explain_conversations.json"

#: ``ask(message, user, session)`` -> the conversation's state after the turn (persisted, with memory)
AskFn = Callable[[str, str, str], AgentState]


@dataclass
class ClaimCheck:
    """One checked claim: where it was made, on which item, and the verdict with its reason."""

    source: str
    item_id: int
    item: str
    kind: str
    text: str
    ok: bool
    detail: str = ""
    same_title: bool = False


@dataclass
class AuditData:
    """What claims are checked against."""

    catalog: Catalog
    knn: ItemKNN | None = None
    vectors: ItemVectors | None = None


@dataclass
class TurnView:
    """What one turn's claims may rest on: the conversation's preferences, the user's words, recalled facts."""

    prefs: Preferences
    user_messages: list[str] = field(default_factory=list)
    facts: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(cls, state: AgentState) -> TurnView:
        """The view of a finished turn's state."""
        history = state.get("history", [])
        words = [h.get("content", "") for h in history if h.get("role") == "user"]
        return cls(
            prefs=Preferences.model_validate(state.get("prefs") or {}),
            user_messages=words,
            facts=recalled_facts(state.get("trace", [])),
        )


# ------------------------------------------------------------------------------------------ the checks


def _squash(text: str) -> str:
    return " ".join(fold(text).split())


def _people(item: Item, role: str) -> tuple[str, ...]:
    return {"director": item.directors, "star": item.stars, "writer": item.writers}.get(role, ())


def _check_value(value: str, item: Item, wanted: Preferences | None) -> str:
    """ "" when ``item`` has the attribute ``value`` claims (and, with ``wanted``, the conversation asked for
    it); else why not."""
    what, _, arg = value.partition(":")
    c = wanted.constraints if wanted is not None else None
    if what == "genre":
        if arg not in item.genres:
            return f"{item.display} is not {arg}"
        if c is not None and arg not in c.genres_include:
            return f"{arg} was not asked for"
    elif what == "no_genre":
        if arg in item.genres:
            return f"{item.display} is {arg}"
        if c is not None and arg not in c.genres_exclude:
            return f"no {arg} was not asked for"
    elif what == "years":
        lo, _, hi = arg.partition("-")
        y = item.year
        if y is None or (lo and y < int(lo)) or (hi and y > int(hi)):
            return f"{item.display} is not from {arg}"
        if c is not None and (c.year_min or None, c.year_max or None) != (
            int(lo) if lo else None,
            int(hi) if hi else None,
        ):
            return f"years {arg} were not asked for"
    elif what in ("director", "star", "writer"):
        if arg not in _people(item, what):
            return f"{arg} is not a {what} of {item.display}"
        if c is not None and fold(arg) not in {fold(p) for p in c.people_include}:
            return f"{arg} was not asked for"
    elif what == "qualifier":
        if arg not in item.qualifiers:
            return f"{item.display} is not tagged {arg}"
        if wanted is not None and arg not in wanted.qualifiers_boost:
            return f"{arg} was not asked for"
    elif what == "no_qualifier":
        if arg in item.qualifiers or not item.tagged:
            return f"{item.display} is tagged {arg} or has no tags"
        if c is not None and arg not in c.qualifiers_exclude:
            return f"no {arg} was not asked for"
    elif what == "no_person":
        if fold(arg) in {fold(p) for p in (*item.directors, *item.stars, *item.writers)}:
            return f"{arg} is in {item.display}"
        if c is not None and fold(arg) not in {fold(p) for p in c.people_exclude}:
            return f"without {arg} was not asked for"
    else:
        return f"unknown claim {value!r}"
    return ""


def _cited(reason: Reason, item: Item, data: AuditData, view: TurnView) -> tuple[list[Item], str, bool]:
    """The liked items a reason cites, or why it may not cite them (and whether one shares the title)."""
    cited: list[Item] = []
    for i in reason.items:
        other = data.catalog.get(i)
        if other is None:
            return [], f"cites unknown item {i}", False
        if other.id in data.catalog.with_twins([item.id]) or normalize_title(other.title) == normalize_title(
            item.title
        ):
            return [], f"cites {other.display}, which shares the title of {item.display}", True
        if other.id not in view.prefs.liked:
            return [], f"cites {other.display}, which the user did not like", False
        if other.display not in reason.text:
            return [], f"the text does not name {other.display}", False
        cited.append(other)
    return cited, "", False


def _text_names(reason: Reason) -> str:
    """ "" when the reason's text names every attribute its values claim; else the first one it does not."""
    text = fold(reason.text)
    for value in reason.values:
        what, _, arg = value.partition(":")
        if what == "years":
            lo, _, hi = arg.partition("-")
            arg = years_phrase(int(lo) if lo else None, int(hi) if hi else None)
        if fold(arg) not in text:
            return value
    return ""


def check_reason(reason: Reason, item: Item, data: AuditData, view: TurnView) -> tuple[bool, str, bool]:
    """Whether one reason for ``item`` is true: (ok, why not, cites a same-title film)."""
    cited, problem, same = _cited(reason, item, data, view)
    if problem:
        return False, problem, same
    if missing := _text_names(reason):
        return False, f"the text does not say {missing!r}, which its evidence claims", False
    kind = reason.kind
    if kind in ("same_director", "same_star", "fans_of", "similar") and len(cited) != 1:
        return False, f"{kind} must cite one liked item", False
    if kind == "asked":
        if not reason.values:
            return False, "asked: no attribute named", False
        for value in reason.values:
            if bad := _check_value(value, item, view.prefs):
                return False, bad, False
        lasting = {str(f.get("key") or "") for f in view.facts if int(f.get("polarity") or 0) < 0}
        for value in reason.values:
            what, _, arg = value.partition(":")
            key = {"no_genre": "genre:", "no_person": "person:"}.get(what, "") + fold(arg)
            said = any(fold(arg) in _squash(m) for m in view.user_messages)
            if what.startswith("no_") and key in lasting and not said:
                return False, f"{value} came from memory, not from this conversation", False
        if reason.quote and not any(_squash(reason.quote) in _squash(m) for m in view.user_messages):
            return False, f'the user never said "{reason.quote}"', False
        return True, "", False
    if kind == "memory":
        fact = next((f for f in view.facts if str(f.get("fact_id")) == reason.fact_id), None)
        if fact is None:
            return False, f"fact {reason.fact_id!r} was not recalled this turn", False
        if reason.quote and _squash(reason.quote) != _squash(str(fact.get("text") or "")):
            return False, "the quote is not the fact's text", False
        key, polarity = str(fact.get("key") or ""), int(fact.get("polarity") or 0)
        what, _, arg = key.partition(":")
        for value in reason.values:
            v_what, _, v_arg = value.partition(":")
            if bad := _check_value(value, item, None):
                return False, bad, False
            if what == "genre" and not (fold(v_arg) == fold(arg) and (v_what == "genre") == (polarity > 0)):
                return False, f"fact {key} ({polarity:+d}) does not say {value}", False
            if what == "person" and not (
                fold(v_arg) == fold(arg) and (v_what != "no_person") == (polarity > 0)
            ):
                return False, f"fact {key} ({polarity:+d}) does not say {value}", False
            if what not in ("genre", "person"):
                return False, f"fact {key} is not about a genre or a person", False
        return bool(reason.values), "" if reason.values else "memory: no attribute named", False
    if kind in ("same_director", "same_star"):
        role = "director" if kind == "same_director" else "star"
        other = cited[0]
        names = [v.partition(":")[2] for v in reason.values if v.startswith(f"{role}:")]
        if not names:
            return False, f"{kind}: no {role} named", False
        for name in names:
            if name not in _people(item, role) or name not in _people(other, role):
                return False, f"{name} is not a {role} of both {item.display} and {other.display}", False
        return True, "", False
    if kind == "fans_of":
        if data.knn is None:
            return False, "no ItemKNN model to check against", False
        sim, rank = data.knn.neighbour(cited[0].id, item.id)
        if rank is None or rank > FANS_MAX_RANK or sim < FANS_MIN_SIM:
            return (
                False,
                f"not a collaborative neighbour of {cited[0].display} (sim {sim:.4f}, rank {rank})",
                False,
            )
        return True, f"sim {sim:.4f}, rank {rank}", False
    if kind == "similar":
        if data.vectors is None:
            return False, "no item vectors to check against", False
        a, b = data.vectors.vector(item.id), data.vectors.vector(cited[0].id)
        cos = float(np.dot(a, b)) if a is not None and b is not None else 0.0
        return cos >= SIMILAR_MIN_COS, f"cosine {cos:.3f}", False
    if kind == "genres":
        wrong = [v for v in reason.values if _check_value(v, item, None)]
        shown = reason.text.split("/")
        if wrong or not reason.values or sorted(shown) != sorted(v.partition(":")[2] for v in reason.values):
            return False, f"{item.display} genres are {list(item.genres)}", False
        return True, "", False
    if kind == "plot":
        snippet = reason.text.removesuffix("...").strip()
        return (
            item.plot.startswith(snippet) and bool(snippet),
            "" if item.plot.startswith(snippet) else "not the item's plot",
            False,
        )
    return False, f"unknown kind {kind!r}", False


_LINE = re.compile(r"^\s*(\d{1,2})\.\s+(.*)$")


def reply_lists_items(reply: str, shown: Sequence[ShownItem]) -> list[int]:
    """The positions (1-based) of shown items that the plain-text reply does not name on their own numbered
    line, in order."""
    lines = {int(m.group(1)): m.group(2) for ln in reply.splitlines() if (m := _LINE.match(ln))}
    missing = []
    for n, it in enumerate(shown, 1):
        label = f"{it.title} ({it.year})" if it.year else it.title
        if not lines.get(n, "").startswith(label):
            missing.append(n)
    return missing


def audit_state(state: AgentState, data: AuditData, source: str) -> list[ClaimCheck]:
    """Check every claim of every item the turn showed, plus "why = its reasons" and the reply's item lines."""
    from agent.reasons import why_text

    if state.get("parsed", {}).get("intent") not in ("recommend", "more", "feedback"):
        return []
    view = TurnView.of(state)
    shown = [ShownItem.model_validate(s) for s in state.get("shown", [])]
    out: list[ClaimCheck] = []
    missing = set(reply_lists_items(state.get("reply", ""), shown))
    for n, it in enumerate(shown, 1):
        item = data.catalog.get(it.id)
        if item is None:
            out.append(ClaimCheck(source, it.id, it.title, "item", it.title, False, "not a catalog item"))
            continue
        for reason in it.reasons:
            ok, detail, same = check_reason(reason, item, data, view)
            out.append(ClaimCheck(source, item.id, item.display, reason.kind, reason.text, ok, detail, same))
        matches = it.why == why_text(it.reasons)
        out.append(
            ClaimCheck(
                source,
                item.id,
                item.display,
                "why_is_reasons",
                it.why,
                matches,
                "" if matches else "why has unstructured text",
            )
        )
        out.append(
            ClaimCheck(
                source,
                item.id,
                item.display,
                "reply_line",
                f"{n}.",
                n not in missing,
                "" if n not in missing else "the plain-text reply does not name it on its numbered line",
            )
        )
    return out


# ------------------------------------------------------------------------------------------ the turns


def audit_redial(
    run_turn: Callable[[AgentState | None, str, str], AgentState],
    data: AuditData,
    path: Path,
    n_turns: int,
    seed: int = 0,
) -> list[ClaimCheck]:
    """Feed REDIAL test dialogs (a seeded shuffle) through ``run_turn(state, text, role)`` as
    :mod:`eval.offline` does, and audit the item-showing seeker turns until ``n_turns`` were audited."""
    dialogs: list[Dialog] = load_redial(path)
    random.Random(seed).shuffle(dialogs)
    checks: list[ClaimCheck] = []
    audited = 0
    for dialog in dialogs:
        if audited >= n_turns:
            break
        state: AgentState | None = None
        for index, utt in enumerate(dialog.utterances):
            if audited >= n_turns:
                break
            if utt.role != "seeker":
                state = run_turn(state, utt.text, "assistant")
                continue
            state = run_turn(state, utt.text, "user")
            found = audit_state(state, data, f"redial:{dialog.dialog_id}:{index}")
            if found:
                audited += 1
                checks += found
            history = list(state.get("history", []))
            if history and history[-1].get("role") == "assistant":
                history.pop()  # in a logged dialog the agent's reply never happened
            state = {**state, "shown": [], "shown_ever": [], "history": history}
    return checks


def load_conversations(path: Path = CONVERSATIONS_FILE) -> list[dict[str, Any]]:
    """The scripted newcomer conversations: ``[{"id", "turns": [{"session", "text"}]}]``."""
    return list(json.loads(path.read_text(encoding="utf-8")))


def audit_conversations(
    ask: AskFn, data: AuditData, conversations: Iterable[dict[str, Any]], user_prefix: str
) -> list[ClaimCheck]:
    """Play each scripted conversation as one new user (``user_prefix`` + its id) and audit every turn."""
    checks: list[ClaimCheck] = []
    for conv in conversations:
        user = f"{user_prefix}{conv['id']}"
        for n, turn in enumerate(conv["turns"]):
            state = ask(turn["text"], user, str(turn.get("session", "s1")))
            checks += audit_state(state, data, f"newcomer:{conv['id']}:{n}")
    return checks


# ------------------------------------------------------------------------------------------ the report


def summarize(checks: Sequence[ClaimCheck]) -> dict[str, Any]:
    """Claims by kind with the share true, the false ones, and the same-title citations."""
    by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    for c in checks:
        by_kind[c.kind]["total"] += 1
        by_kind[c.kind]["true"] += int(c.ok)
    claims = [c for c in checks if c.kind not in ("why_is_reasons", "reply_line")]
    true = sum(c.ok for c in claims)
    return {
        "n_checks": len(checks),
        "n_claims": len(claims),
        "claims_true": true,
        "claims_true_rate": round(true / len(claims), 4) if claims else 1.0,
        "by_kind": {
            k: {"total": v["total"], "true": v["true"], "rate": round(v["true"] / v["total"], 4)}
            for k, v in sorted(by_kind.items())
        },
        "same_title_citations": sum(c.same_title for c in checks),
        "turns": len({c.source for c in checks}),
        "sources": dict(Counter(c.source.split(":", 1)[0] for c in {c.source: c for c in checks}.values())),
        "false": [asdict(c) for c in checks if not c.ok],
    }


def write_outputs(summary: dict[str, Any], checks: Sequence[ClaimCheck], out: Path) -> None:
    """``summary.json`` and ``claims.jsonl`` (every check) under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(
        json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    with open(out / "claims.jsonl", "w", encoding="utf-8") as fh:
        for c in checks:
            fh.write(json.dumps(asdict(c), ensure_ascii=False) + "\n")


def audit_data(toolkit: Any) -> AuditData:
    """The catalog, the ItemKNN model and the item vectors of a loaded toolkit."""
    return AuditData(catalog=toolkit.catalog, knn=knn_model(toolkit.recommenders), vectors=toolkit.vectors)
