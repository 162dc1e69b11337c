"""Fixtures of the UI tests: the web app served on 127.0.0.1 (a free port) from the shared warmed service."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ui.load import free_port, wait_up
from ui.web.app import build_app, serve


@pytest.fixture(scope="session")
def launch_web(service: Any) -> Iterator[Callable[[Any], str]]:
    """Serve the web app (``build_app`` + ``serve``, as ``crsagent ui`` runs it) on 127.0.0.1 with the given
    settings (login and limits); returns its URL. Every app started is closed at the end of the session."""
    apps: list[Any] = []

    def launch(settings: Any) -> str:
        port = free_port()
        app = build_app(service, stream_delay=0.0)
        serve(app, settings, host="127.0.0.1", port=port, block=False, quiet=True)
        apps.append(app)
        url = f"http://127.0.0.1:{port}/"
        wait_up(url)
        return url

    yield launch
    for app in apps:
        app.close()


@pytest.fixture(scope="session")
def web_url(launch_web: Callable[[Any], str], settings: Any) -> str:
    """The web app with the test settings (no login); its URL."""
    return launch_web(settings)
