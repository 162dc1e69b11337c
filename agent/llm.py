"""The LLM client: any OpenAI-compatible endpoint through the ``openai`` package.

Timeouts, retries with backoff (the SDK's), rate-limit handling, and per-turn call and token accounting.
Every call either returns usable, validated output or None; callers then fall back to the offline step.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, SecretStr, ValidationError

from tools.settings import Settings

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)
_JSON_BLOCK = re.compile(r"\{.*\}|\[.*\]", re.DOTALL)


@dataclass
class LLMUsage:
    """Counters of one turn (or of a whole run)."""

    calls: int = 0
    failures: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    ms: float = 0.0
    errors: list[str] = field(default_factory=list)


class LLMClient:
    """A thin, failure-tolerant wrapper around ``openai.OpenAI`` chat completions."""

    def __init__(
        self,
        *,
        base_url: str | None,
        api_key: str | None,
        model: str,
        timeout_s: float = 30.0,
        max_retries: int = 2,
        max_calls_per_turn: int = 4,
        max_tokens_cap: int | None = None,
    ) -> None:
        from openai import OpenAI

        self.model = model
        self.timeout_s = timeout_s
        self.max_calls_per_turn = max_calls_per_turn
        #: an upper bound on every call's ``max_tokens`` (small, slow local models; tests); None = the step's own
        self.max_tokens_cap = max_tokens_cap
        self._client = OpenAI(
            base_url=base_url, api_key=api_key or "not-needed", timeout=timeout_s, max_retries=max_retries
        )
        self._local = threading.local()
        #: never passed on: a completion quoting the key (a hostile or echoing server) is discarded
        self._secrets = tuple(k for k in (api_key,) if k and len(k) >= 8)

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMClient:
        """The agent's LLM client from settings."""
        raw_key = (
            settings.openai_api_key
        )  # a SecretStr, or a plain str when given as a load_settings override
        key = (
            raw_key.get_secret_value()
            if isinstance(raw_key, SecretStr)
            else (str(raw_key) if raw_key else None)
        )
        return cls(
            base_url=settings.openai_base_url,
            api_key=key,
            model=settings.llm_model,
            timeout_s=float(settings.llm_timeout_s),
            max_retries=int(settings.llm_max_retries),
        )

    # per-thread usage of the current turn
    @property
    def usage(self) -> LLMUsage:
        """Counters since the last :meth:`reset_usage` in this thread."""
        usage = getattr(self._local, "usage", None)
        if usage is None:
            usage = self._local.usage = LLMUsage()
        return usage

    def reset_usage(self) -> LLMUsage:
        """Start a new turn's accounting; returns the previous counters."""
        old = self.usage
        self._local.usage = LLMUsage()
        return old

    def chat(
        self, messages: list[dict[str, str]], *, max_tokens: int = 400, temperature: float = 0.2
    ) -> str | None:
        """One chat completion; None when the call fails or the per-turn cap is reached."""
        usage = self.usage
        if usage.calls >= self.max_calls_per_turn:
            usage.errors.append("per-turn LLM call cap reached")
            return None
        usage.calls += 1
        if self.max_tokens_cap is not None:
            max_tokens = min(max_tokens, self.max_tokens_cap)
        t0 = time.perf_counter()
        try:
            resp = self._client.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                max_tokens=max_tokens,
                temperature=temperature,
            )
        except Exception as exc:  # the SDK raises many kinds: connection, timeout, status, rate limit
            usage.failures += 1
            usage.errors.append(f"{type(exc).__name__}")
            log.warning("LLM call failed: %s", type(exc).__name__)
            return None
        finally:
            usage.ms += (time.perf_counter() - t0) * 1000
        try:  # a server may answer 200 with a body that is no chat completion (the SDK then returns it raw)
            counts = getattr(resp, "usage", None)
            if counts is not None:
                usage.prompt_tokens += int(counts.prompt_tokens or 0)
                usage.completion_tokens += int(counts.completion_tokens or 0)
            content = resp.choices[0].message.content if resp.choices else None
        except (AttributeError, IndexError, KeyError, TypeError, ValueError):
            usage.failures += 1
            usage.errors.append("malformed response")
            log.warning("LLM call returned a malformed response")
            return None
        if not isinstance(content, str) or not content.strip():
            usage.failures += 1
            usage.errors.append("empty completion")
            return None
        if any(secret in content for secret in self._secrets):
            usage.failures += 1
            usage.errors.append("completion quoted the API key")
            log.warning("LLM completion quoted the API key; discarded")
            return None
        return content

    def chat_json(
        self, messages: list[dict[str, str]], schema: type[M], *, max_tokens: int = 500
    ) -> M | None:
        """A chat completion parsed and validated as ``schema``; None when unusable."""
        text = self.chat(messages, max_tokens=max_tokens, temperature=0.0)
        if text is None:
            return None
        parsed = parse_json_lenient(text)
        if parsed is None:
            self.usage.failures += 1
            self.usage.errors.append("malformed JSON")
            return None
        try:
            return schema.model_validate(parsed)
        except ValidationError as exc:
            self.usage.failures += 1
            self.usage.errors.append(f"invalid output: {exc.error_count()} errors")
            return None


def parse_json_lenient(text: str) -> Any | None:
    """Parse JSON from a model's answer: strips code fences, takes the outermost object or array."""
    text = text.strip()
    if text.startswith("```"):
        text = re.sub(r"^```[a-zA-Z]*\s*|\s*```$", "", text)
    try:
        return json.loads(text)
    except ValueError:
        pass
    match = _JSON_BLOCK.search(text)
    if match:
        try:
            return json.loads(match.group(0))
        except ValueError:
            return None
    return None
