"""Fixtures of the UI tests: the web app served on 127.0.0.1 (a free port) from the shared warmed service."""

from __future__ import annotations

import socket
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, timeout: float = 30.0) -> None:
    """Wait until ``url`` answers (any HTTP status)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 - a local test server
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture(scope="session")
def web_url(service: Any, settings: Any) -> Iterator[str]:
    """The web app (``build_app`` + ``serve``, as ``crsagent ui`` runs it) on 127.0.0.1; yields its URL."""
    from ui.web import build_app, serve

    port = free_port()
    app = build_app(service, stream_delay=0.0)
    serve(app, settings, host="127.0.0.1", port=port, block=False, quiet=True)
    url = f"http://127.0.0.1:{port}/"
    wait_up(url)
    yield url
    app.close()
