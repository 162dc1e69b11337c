"""The web app's API endpoint from ``gradio_client``, and the optional login, against a served app."""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from gradio_client import Client
from pydantic import SecretStr

from ui.web.app import auth_of


def test_gradio_client_calls_the_ask_endpoint(web_url: str) -> None:
    client = Client(web_url, verbose=False)
    assert "/ask" in client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    session = f"api-{uuid.uuid4().hex[:8]}"
    out = client.predict(
        "A funny sci-fi movie from the 90s, no horror", "api-user", session, 4, api_name="/ask"
    )
    assert out["error"] is None and out["session"] == session and len(out["items"]) == 4
    assert {"id", "title", "year", "genres", "directors", "stars", "score", "why"} == set(out["items"][0])
    assert all(1990 <= i["year"] <= 1999 for i in out["items"])
    first = out["items"][0]["id"]
    again = client.predict(message="not the first one", user="api-user", session=session, api_name="/ask")
    assert again["state"]["turns"] == 2 and first in [d["id"] for d in again["state"]["disliked"]]
    assert first not in [i["id"] for i in again["items"]]


def test_login_from_settings(launch_web: Callable[[Any], str], settings: Any) -> None:
    assert auth_of(settings.model_copy(update={"ui_user": None, "ui_password": None})) is None
    assert auth_of(settings.model_copy(update={"ui_user": "ada", "ui_password": None})) is None
    secured = settings.model_copy(update={"ui_user": "ada", "ui_password": SecretStr("s3cret")})
    assert auth_of(secured) == ("ada", "s3cret")

    url = launch_web(secured)
    with pytest.raises(urllib.error.HTTPError) as denied:  # the API refuses anonymous calls
        urllib.request.urlopen(url + "config", timeout=10)  # noqa: S310 - a local test server
    assert denied.value.code == 401
    with pytest.raises(Exception):  # noqa: B017 - gradio_client raises its own error types
        Client(url, auth=("ada", "wrong"), verbose=False)
    out = Client(url, auth=("ada", "s3cret"), verbose=False).predict(
        "more please", "ada", "", api_name="/ask"
    )
    assert out["error"] is None and out["session"].startswith("web-")
