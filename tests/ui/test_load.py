"""The load test (``ui/load.py``, ``crsagent bench --load``) against the served web app."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from gradio_client import Client
from typer.testing import CliRunner

from ui.cli.main import app
from ui.load import check_reply, parse_levels, run_load


# ----------------------------------------------------------------------------- the load test
def test_leak_check_detects_a_reply_of_another_session(
    launch_web: Callable[[Any], str], settings: Any
) -> None:
    client = Client(launch_web(settings.model_copy(update={"ui_rate_limit": 0})), verbose=False)
    user = f"leak-{uuid.uuid4().hex[:6]}"
    comedy = client.predict("recommend me a comedy movie", user, "a", api_name="/ask")
    horror = client.predict("recommend me a horror movie", user + "-b", "b", api_name="/ask")
    ok = {"session": "a", "turn": 1, "genre": "comedy", "other_genres": {"horror"}, "disliked": set()}
    assert check_reply(comedy, **ok) == []  # type: ignore[arg-type]
    # B's reply delivered to A: wrong session, a foreign genre, items of the wrong genre
    assert {"session_id", "foreign_genre", "off_genre_item"} <= set(check_reply(horror, **ok))  # type: ignore[arg-type]
    # A's state mixed with B's: a dislike A never said, a wrong turn count, a disliked movie shown again
    mixed = {**comedy, "state": {**comedy["state"], "disliked": [{"id": 1}], "turns": 2}}
    assert {"foreign_dislike", "turn_count"} <= set(check_reply(mixed, **ok))  # type: ignore[arg-type]
    first = comedy["items"][0]["id"]
    assert "disliked_item_shown" in check_reply(comedy, **{**ok, "disliked": {first}})  # type: ignore[arg-type]


def test_load_two_sessions_no_errors_no_leaks(launch_web: Callable[[Any], str], settings: Any) -> None:
    url = launch_web(settings.model_copy(update={"ui_rate_limit": 0}))  # load-test the agent, not the limiter
    result = run_load(url, sessions=2, duration_s=3.0, turn_timeout_s=60)
    print(f"\n[load] {result}")
    assert result["errors"] == 0, result["examples"]
    assert result["leaks"] == 0, result["examples"]
    assert result["turns"] > 2 and result["throughput_tps"] > 0
    assert 0 < result["latency_ms"]["p50"] <= result["latency_ms"]["p95"] <= result["latency_ms"]["max"]
    assert result["duration_s"] < 3.0 + 60


def test_load_against_a_rate_limited_server_reports_errors(
    launch_web: Callable[[Any], str], settings: Any
) -> None:
    url = launch_web(settings.model_copy(update={"ui_rate_limit": 1}))
    result = run_load(url, sessions=1, duration_s=1.0)
    assert result["error_kinds"].get("rate_limited", 0) >= 1 and result["leaks"] == 0


def test_load_helpers_and_cli_errors() -> None:
    assert parse_levels("1,4,16") == [1, 4, 16]
    for bad in ("", "a,b", "0", "1,99"):
        with pytest.raises(ValueError):
            parse_levels(bad)
    with pytest.raises(ValueError):
        run_load("http://127.0.0.1:1/", sessions=0, duration_s=1)

    runner = CliRunner()
    for args in (
        ["--load", "ftp://x"],
        ["--load", "auto", "--sessions", "1,x"],
        ["--load", "auto", "--duration", "0"],
    ):
        res = runner.invoke(app, ["bench", *args])
        assert res.exit_code == 2, (args, res.output)
        assert "Traceback" not in res.output
