"""The web app's per-user rate limit (unit and through the real API) and its loopback-only default."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from gradio_client import Client

from ui.cli import ui as cli_ui
from ui.web.app import build_app, rate_limiter_of, serve
from ui.web.handlers import api_ask, run_turn
from ui.web.ratelimit import RATE_LIMIT_MARK, RateLimiter, rate_limit_message
from ui.web.state import WebState


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# ----------------------------------------------------------------------------- the limiter, as plain functions
def test_token_bucket_allows_a_burst_then_refills_at_the_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(6, clock=clock)  # 6 a minute: one every 10 s, bursts of 6
    assert [limiter.acquire("ada") for _ in range(6)] == [0.0] * 6
    wait = limiter.acquire("ada")
    assert wait == pytest.approx(10.0)
    assert limiter.acquire("bob") == 0.0  # per user: another user is not affected
    clock.now += 5
    assert limiter.acquire("ada") == pytest.approx(5.0)  # a refused turn is not counted
    clock.now += 5
    assert limiter.acquire("ada") == 0.0
    assert limiter.acquire("ada") > 0
    clock.now += 3600  # a long pause refills to the burst, not beyond
    assert [limiter.acquire("ada") for _ in range(7)].count(0.0) == 6


def test_limit_off_burst_and_reconfigure() -> None:
    clock = FakeClock()
    off = RateLimiter(0, clock=clock)
    assert not off.enabled and all(off.acquire("x") == 0.0 for _ in range(1000))
    slow = RateLimiter(1, burst=2, clock=clock)
    assert [slow.acquire("x") for _ in range(3)][:2] == [0.0, 0.0] and slow.acquire("x") == pytest.approx(
        60.0
    )
    slow.configure(0)
    assert slow.acquire("x") == 0.0


def test_buckets_are_bounded() -> None:
    clock = FakeClock()
    limiter = RateLimiter(60, clock=clock, max_keys=100)
    for i in range(1000):
        limiter.acquire(f"user-{i}")
        clock.now += 0.01
    assert len(limiter._buckets) <= 100
    assert limiter.acquire("user-999") == 0.0  # recent users keep their bucket


def test_rate_limit_message_is_friendly() -> None:
    assert "1 second." in rate_limit_message(0.2)
    assert "Nothing was lost" in rate_limit_message(12.5) and "13 seconds" in rate_limit_message(12.5)


def test_chat_turn_over_the_limit_runs_nothing_and_keeps_the_message(service: Any, fresh_user: str) -> None:
    limiter = RateLimiter(1, clock=FakeClock())
    st = WebState(user=fresh_user)
    *_, first = run_turn(service, st, "a funny comedy", limiter=limiter)
    assert first.items and first.understood["turns"] == 1
    *_, second = run_turn(service, first, "not the first one", limiter=limiter)
    assert second.history[-2] == {"role": "user", "content": "not the first one"}  # the message is shown
    assert (
        second.history[-1]["content"].startswith(RATE_LIMIT_MARK)
        and "Nothing was lost" in second.history[-1]["content"]
    )
    assert second.items == first.items and second.understood == first.understood  # nothing changed
    assert service.get_state(user=fresh_user, session=first.session)["turns"] == 1  # no turn was run


def test_api_over_the_limit(service: Any, fresh_user: str) -> None:
    limiter = RateLimiter(2, clock=FakeClock())
    session = f"s-{uuid.uuid4().hex[:8]}"  # the test home may be reused between runs
    outs = [api_ask(service, "a scary horror movie", fresh_user, session, limiter=limiter) for _ in range(3)]
    assert [o["error"] for o in outs] == [None, None, "rate_limited"]
    assert outs[2]["retry_after"] == pytest.approx(30.0) and outs[2]["items"] == []
    assert service.get_state(user=fresh_user, session=session)["turns"] == 2
    # another user (the limit is per user) and an empty message (refused before counting) are unaffected
    assert (
        api_ask(service, "a scary horror movie", fresh_user + "-2", session, limiter=limiter)["error"] is None
    )
    assert api_ask(service, "   ", fresh_user, session, limiter=limiter)["error"] == "bad_message"


def test_rate_limit_through_the_served_api(
    launch_web: Callable[[Any], str], settings: Any, fresh_user: str
) -> None:
    url = launch_web(settings.model_copy(update={"ui_rate_limit": 2}))
    client = Client(url, verbose=False)
    session = f"rl-{uuid.uuid4().hex[:6]}"
    outs = [client.predict("a western", fresh_user, session, 3, api_name="/ask") for _ in range(3)]
    assert [o["error"] for o in outs] == [None, None, "rate_limited"]
    assert outs[1]["state"]["turns"] == 2 and "Nothing was lost" in outs[2]["reply"]
    other = client.predict("a western", fresh_user + "-other", session, 3, api_name="/ask")
    assert other["error"] is None


# ----------------------------------------------------------------------------- where the app listens
def test_binds_loopback_by_default_and_refuses_a_public_host_without_login(
    service: Any, settings: Any
) -> None:
    assert inspect.signature(serve).parameters["host"].default == "127.0.0.1"
    app = build_app(service, stream_delay=0.0)
    assert rate_limiter_of(app) is not None and rate_limiter_of(app).per_minute == settings.ui_rate_limit  # type: ignore[union-attr]
    no_login = settings.model_copy(update={"ui_user": None, "ui_password": None})
    for host in ("0.0.0.0", "192.168.1.20", "::"):
        with pytest.raises(ValueError, match="without a login"):
            serve(app, no_login, host=host, port=1, block=False, quiet=True)
    # the ``crsagent ui`` command's default (its --help is checked in tests/ui/cli/test_ui.py) is the loopback too
    assert '"127.0.0.1"' in inspect.getsource(cli_ui)
