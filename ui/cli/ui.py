"""``crsagent ui [--host 127.0.0.1] [--port 7860]``: start the Gradio web app (``ui/web``).

Binds 127.0.0.1 unless ``--host`` says otherwise; set ``CRSAGENT_UI_USER`` and ``CRSAGENT_UI_PASSWORD`` to
require a login.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ui.cli.common import cli_command, cli_settings, err_console, require_index


def _valid_port(port: int) -> int:
    if not 1 <= port <= 65535:
        raise typer.BadParameter("the port must be between 1 and 65535")
    return port


@cli_command
def ui_command(
    host: Annotated[
        str, typer.Option(help="Interface to bind; 0.0.0.0 exposes the app (set a login first).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", callback=_valid_port)] = 7860,
) -> None:
    """Start the web app: chat, recommendation cards with feedback buttons, what the agent understood."""
    # lazy: CLI start-up (gradio, the agent, torch, chromadb)
    from ui.service import Service
    from ui.web import build_app, check_exposure, serve

    settings = cli_settings()
    login = "with login" if check_exposure(settings, host) else "no login"  # refuse before loading anything
    require_index(settings)
    service = Service(settings)
    try:
        err_console.print("[dim]loading models and indexes…[/dim]")
        service.warm()
        err_console.print(f"crsagent web app on http://{host}:{port}/ ({login}); Ctrl+C to stop")
        serve(build_app(service), settings, host=host, port=port, block=True, quiet=True)
    finally:
        service.close()
