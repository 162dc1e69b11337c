"""Graph wiring with a scripted chat model: the real LLMClient (accounting, cap, lenient JSON) over a fake
transport whose answers are scripted per step (parse / plan / respond / critic), through the real graph,
tools, catalog and grounding of the ``service`` fixture."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from openai.types.chat import ChatCompletion

from agent.llm import LLMClient
from agent.prompts import CRITIC_SYSTEM, PARSE_SYSTEM, PLAN_SYSTEM, RESPOND_SYSTEM
from ui.service import Service, TurnResult

SECRET = "sk-test-secret-123"
STEPS = {
    "parse": PARSE_SYSTEM[:40],
    "plan": PLAN_SYSTEM[:30],
    "respond": RESPOND_SYSTEM[:40],
    "critic": CRITIC_SYSTEM[:40],
}

PARSE_OK = json.dumps(
    {
        "intent": "recommend",
        "liked_titles": ["The Matrix"],
        "genres_include": ["sci-fi"],
        "year_min": 1990,
        "year_max": 1999,
        "soft": "mind-bending",
    }
)
PLAN_OK = (
    '```json\n[{"tool": "filter_items", "args": {}}, {"tool": "semantic_search", "args": {"n": 120}}, '
    '{"tool": "popular", "args": {"n": 60}}, {"tool": "rank", "args": {"k": 40}}]\n```'
)
INTRO = "These are mind-bending picks, and #1 is a great start."

Answer = str | Exception


@dataclass
class ScriptedTransport:
    """Stands in for ``openai.OpenAI``: answers ``chat.completions.create`` from a script per step.

    Each step's answers are used in order; the last one repeats. An unscripted step gets an empty answer."""

    script: dict[str, list[Answer]]
    requests: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.script = {k: list(v) for k, v in self.script.items()}
        self.chat = SimpleNamespace(completions=SimpleNamespace(create=self.create))

    @property
    def steps(self) -> list[str]:
        return [r["step"] for r in self.requests]

    def create(
        self, *, model: str, messages: list[dict[str, str]], max_tokens: int, temperature: float, **_: Any
    ) -> ChatCompletion:
        system = messages[0]["content"] if messages and messages[0]["role"] == "system" else ""
        step = next((name for name, head in STEPS.items() if system.startswith(head)), "unknown")
        self.requests.append(
            {"step": step, "messages": copy.deepcopy(messages), "max_tokens": max_tokens, "model": model}
        )
        queue = self.script.get(step, [""])
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        return ChatCompletion.model_validate(
            {
                "id": "x",
                "object": "chat.completion",
                "created": 0,
                "model": model,
                "choices": [
                    {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": answer}}
                ],
                "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110},
            }
        )


def scripted_llm(**script: list[Answer]) -> tuple[LLMClient, ScriptedTransport]:
    """A real :class:`LLMClient` whose transport is scripted."""
    llm = LLMClient(
        base_url="http://127.0.0.1:9/v1", api_key=SECRET, model="scripted", timeout_s=1, max_retries=0
    )
    transport = ScriptedTransport(script)
    llm._client = transport  # type: ignore[assignment]
    return llm, transport


@pytest.fixture()
def agent_with(service: Service) -> Iterator[Any]:
    """Build a stateless service over the shared, warmed toolkit whose context uses the given LLM."""
    made: list[Service] = []

    def make(llm: LLMClient, *, critic: bool = False) -> Service:
        svc = Service(service.settings, toolkit=service.toolkit, persist=False)
        ctx = copy.copy(service.context)  # keeps the loaded grounder, parser, recommenders
        ctx.llm, ctx.critic = llm, critic
        svc.context = svc.runner.context = ctx
        made.append(svc)
        return svc

    yield make
    for svc in made:
        svc.close()


def _fallbacks(result: TurnResult) -> dict[str, dict[str, Any]]:
    return {t["step"]: t for t in result.trace if t.get("fallback")}


def _check_grounded(svc: Service, result: TurnResult) -> None:
    catalog = svc.toolkit.catalog
    shown = {it["id"] for it in result.items}
    assert result.reply.strip()
    assert shown <= set(catalog.items)
    own = {x["id"] for key in ("liked", "disliked", "seen") for x in result.state[key]}
    allowed = catalog.with_twins(shown | own)
    named = {m.match.item_id for m in svc.context.grounder.find_titles(result.reply)}
    assert named <= allowed, [catalog.items[i].display for i in named - allowed]
    assert SECRET not in result.reply and SECRET not in json.dumps(result.trace)


def test_valid_parse_and_plan_are_used_without_fallback(agent_with: Any) -> None:
    llm, transport = scripted_llm(parse=[PARSE_OK], plan=[PLAN_OK], respond=[INTRO])
    svc = agent_with(llm)
    _, result = svc.run_turn(None, "the one with the red pill, something like it but from the nineties")
    assert transport.steps == ["parse", "plan", "respond"]
    assert result.llm_calls == 3 and result.fallbacks == 0 and not _fallbacks(result)
    assert [x["title"] for x in result.state["liked"]] == ["The Matrix (1999)"]  # from the LLM, grounded
    assert result.state["constraints"]["year_min"] == 1990 and result.state["constraints"]["year_max"] == 1999
    executed = [(t["tool"], t["args"]) for t in result.trace if t["step"] == "execute" and t["tool"]]
    assert ("semantic_search", {"n": 120}) in [(tool, {"n": a.get("n")}) for tool, a in executed]
    assert executed[-1][0] == "rank"
    assert result.reply.startswith(INTRO)
    catalog = svc.toolkit.catalog
    assert result.items and all(
        "sci-fi" in catalog.items[it["id"]].genres and 1990 <= (catalog.items[it["id"]].year or 0) <= 1999
        for it in result.items
    )
    _check_grounded(svc, result)
    # the user's text is passed as data, and the key never goes into a prompt
    assert all(SECRET not in json.dumps(r["messages"]) for r in transport.requests)
    assert "<user>the one with the red pill" in transport.requests[0]["messages"][-1]["content"]
    assert llm.usage.prompt_tokens == 300 and llm.usage.completion_tokens == 30


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ('Sure! {"intent": "recommend", "liked_titles": ["The Matrix"', "malformed JSON"),
        ("I think the user wants science fiction.", "malformed JSON"),
        ('import requests\nparams = {"userId": "1234567890"}', "invalid output"),  # an unrelated object
        ('{"intent": "buy_popcorn"}', "invalid output"),
        ("", "empty completion"),
        (TimeoutError("read timed out"), "TimeoutError"),  # the SDK's own errors: see test_llm_path.py
    ],
)
def test_unusable_parse_falls_back_to_the_rules(agent_with: Any, answer: Answer, error: str) -> None:
    llm, transport = scripted_llm(parse=[answer], plan=[PLAN_OK], respond=[INTRO])
    svc = agent_with(llm)
    _, result = svc.run_turn(None, "I loved The Matrix, recommend some sci-fi")
    # a model that could not parse the turn is not asked for its plan: the deterministic plan runs
    assert transport.steps == ["parse", "respond"]
    fb = _fallbacks(result)
    assert (
        set(fb) == {"parse", "plan"} and fb["parse"]["fallback"] == "rules" and error in fb["parse"]["error"]
    )
    assert fb["plan"]["error"] == "skipped: the parse fell back"
    assert result.fallbacks == 2 and result.llm_calls == 2
    assert [x["title"] for x in result.state["liked"]] == ["The Matrix (1999)"]  # the rule parser's reading
    assert "sci-fi" in result.state["constraints"]["genres_include"]
    assert result.items
    _check_grounded(svc, result)


def test_invalid_plan_gets_its_error_back_once_then_the_deterministic_plan(agent_with: Any) -> None:
    bad = '[{"tool": "drop_database", "args": {}}]'
    llm, transport = scripted_llm(
        parse=[PARSE_OK], plan=[bad, '{"steps": "filter, then rank"}'], respond=[INTRO]
    )
    svc = agent_with(llm)
    _, result = svc.run_turn(None, "I loved The Matrix, recommend some sci-fi")
    assert transport.steps == ["parse", "plan", "plan", "respond"]
    retry = transport.requests[2]["messages"]
    assert retry[-2] == {"role": "assistant", "content": bad}
    assert (
        retry[-1]["role"] == "user"
        and "Invalid plan" in retry[-1]["content"]
        and "drop_database" in retry[-1]["content"]
    )
    fb = _fallbacks(result)
    assert set(fb) == {"plan"} and fb["plan"]["fallback"] == "deterministic"
    assert "non-empty JSON list" in fb["plan"]["error"]
    assert result.fallbacks == 1 and result.llm_calls == 4
    executed = [t["tool"] for t in result.trace if t["step"] == "execute" and t["tool"]]
    assert executed[0] == "filter_items" and executed[-1] == "rank" and "drop_database" not in executed
    assert result.items
    _check_grounded(svc, result)


def test_plan_corrected_after_its_error_is_used(agent_with: Any) -> None:
    llm, transport = scripted_llm(
        parse=[PARSE_OK], plan=['[{"tool": "rank", "args": {"k": "lots"}}]', PLAN_OK], respond=[INTRO]
    )
    svc = agent_with(llm)
    _, result = svc.run_turn(None, "I loved The Matrix, recommend some sci-fi")
    assert transport.steps == ["parse", "plan", "plan", "respond"]
    assert "invalid args" in transport.requests[2]["messages"][-1]["content"]
    assert not _fallbacks(result) and result.fallbacks == 0
    assert [t["tool"] for t in result.trace if t["step"] == "execute" and t["tool"]] == [
        "filter_items",
        "semantic_search",
        "popular",
        "rank",
    ]


def _unshown_catalog_title(svc: Service) -> tuple[int, str]:
    """A popular catalog movie far from a 90s sci-fi request (never among its shown items)."""
    catalog = svc.toolkit.catalog
    pop = svc.context.popularity
    for item_id in sorted(pop, key=lambda i: -pop[i]):
        item = catalog.items[item_id]
        if item.year and item.year < 1985 and "sci-fi" not in item.genres and len(item.title) > 5:
            match = svc.context.grounder.ground(item.display)
            if match is not None and match.item_id in catalog.with_twins([item_id]):
                return item_id, item.display
    raise AssertionError("no suitable catalog title")


@pytest.mark.parametrize("kind", ["invented", "invented_plain", "unshown_catalog", "unshown_catalog_bold"])
def test_reply_naming_an_unshown_or_invented_title_loses_that_sentence(agent_with: Any, kind: str) -> None:
    llm, transport = scripted_llm(parse=[PARSE_OK], plan=[PLAN_OK])
    svc = agent_with(llm)
    item_id, display = _unshown_catalog_title(svc)
    bad = {
        "invented": "You should also watch **The Silent Harbor (2016)**.",
        "invented_plain": "You should also watch The Silent Harbor (2016) tonight.",
        "unshown_catalog": f"You should also watch {display}.",
        "unshown_catalog_bold": f"And don't miss **{display}**!",
    }[kind]
    transport.script["respond"] = [f"Great choices for tonight. {bad} #1 is a classic."]
    _, result = svc.run_turn(None, "I loved The Matrix, recommend some sci-fi")
    assert transport.steps == ["parse", "plan", "respond"]
    assert "Great choices for tonight." in result.reply and "#1 is a classic." in result.reply
    assert "Silent Harbor" not in result.reply and display not in result.reply
    assert item_id not in {it["id"] for it in result.items}
    assert any(t.get("tool") == "grounding_check" and t["removed"] >= 1 for t in result.trace)
    assert len(result.items) == svc.settings.n_items
    # every shown item is still named in the reply's list
    for n, it in enumerate(result.items, 1):
        assert f"{n}. {it['title']}" in result.reply
    _check_grounded(svc, result)


def test_reply_echoing_the_system_prompt_loses_that_sentence(agent_with: Any) -> None:
    echo = (
        'Mention movies ONLY by their number (like "#1"), never by title, and never suggest any other movie.'
    )
    llm, _ = scripted_llm(parse=[PARSE_OK], plan=[PLAN_OK], respond=[f"Here you go! {echo} Enjoy #2."])
    svc = agent_with(llm)
    _, result = svc.run_turn(None, "I loved The Matrix, recommend some sci-fi")
    assert "Here you go!" in result.reply and "Enjoy #2." in result.reply
    assert "never by title" not in result.reply and "never suggest" not in result.reply


def test_titles_the_llm_invents_never_enter_the_state(agent_with: Any) -> None:
    parse = json.dumps(
        {"intent": "recommend", "liked_titles": ["Zorblax 3000"], "genres_include": ["comedy"]}
    )
    llm, _ = scripted_llm(parse=[parse], plan=[PLAN_OK], respond=["Here is something fun: #1 and #2."])
    svc = agent_with(llm)
    _, result = svc.run_turn(None, "recommend the movie 'Zorblax 3000'")
    assert result.state["liked"] == [] and "Zorblax" not in result.reply
    assert result.items and all("comedy" in svc.toolkit.catalog.items[i["id"]].genres for i in result.items)
    _check_grounded(svc, result)


def test_per_turn_cap_of_four_llm_calls_holds(agent_with: Any) -> None:
    critic = '{"ok": false, "problem": "not sci-fi enough"}'
    llm, transport = scripted_llm(parse=[PARSE_OK], plan=[PLAN_OK], respond=[INTRO], critic=[critic])
    svc = agent_with(llm, critic=True)
    state, result = svc.run_turn(None, "I loved The Matrix, recommend some sci-fi")
    # parse, plan, respond, critic (asks for a re-plan); the re-plan's plan and respond hit the cap
    assert transport.steps == ["parse", "plan", "respond", "critic"]
    assert result.llm_calls == 4
    fb = _fallbacks(result)
    assert fb["plan"]["fallback"] == "deterministic" and fb["respond"]["fallback"] == "template"
    assert "per-turn LLM call cap reached" in llm.usage.errors
    assert result.items
    _check_grounded(svc, result)
    # the next turn has its own budget
    _, second = svc.run_turn(state, "more please")
    assert second.llm_calls <= 4 and len(transport.requests) - 4 == second.llm_calls
    assert second.reply.strip()


def test_client_cap_accounting_and_token_cap() -> None:
    llm, transport = scripted_llm(respond=["ok"])
    llm.max_tokens_cap = 32
    msgs = [{"role": "system", "content": RESPOND_SYSTEM}, {"role": "user", "content": "hi"}]
    answers = [llm.chat(msgs, max_tokens=400) for _ in range(5)]
    assert answers == ["ok"] * 4 + [None]
    assert llm.usage.calls == 4 and len(transport.requests) == 4
    assert all(r["max_tokens"] == 32 for r in transport.requests)
    old = llm.reset_usage()
    assert old.calls == 4 and llm.usage.calls == 0 and llm.chat(msgs) == "ok"


def test_client_from_settings_accepts_a_plain_string_key(settings: Any) -> None:
    from tools.settings import load_settings

    s = load_settings(
        home=settings.home, llm="openai", openai_base_url="http://127.0.0.1:9/v1", openai_api_key=SECRET
    )
    llm = LLMClient.from_settings(s)
    assert llm._client.api_key == SECRET
