"""The web app's views: a :class:`~ui.web.state.WebState` turned into the updates of the Gradio components
(the chat, the card slots, the side panel), and the streaming of a handler's states into them."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import gradio as gr

from ui.service import Service
from ui.web.handlers import FRIENDLY_ERROR
from ui.web.ratelimit import RATE_LIMIT_MARK
from ui.web.render import card_html, understood_markdown
from ui.web.state import Options, WebState

log = logging.getLogger(__name__)

#: Card slots under the chat (the most items a turn can show) and chip slots in the side panel.
MAX_CARDS = 10
MAX_CHIPS = 16


def options_of(n: float, det: str, back: str) -> Options:
    """The settings panel's values (number of items, explanation detail, language model) as :class:`Options`."""
    return Options(
        n_items=int(n), detail="full" if det == "full" else "short", offline=back != "configured LLM"
    )


def cards_view(service: Service, st: WebState, det: str) -> list[Any]:
    """The recommendations heading, the card columns and the card bodies for the state's items."""
    out: list[Any] = [gr.update(visible=bool(st.items))]
    cols, bodies = [], []
    for i in range(MAX_CARDS):
        if i < len(st.items):
            item = st.items[i]
            cat = service.toolkit.catalog.items.get(item["id"])
            cols.append(gr.update(visible=True))
            bodies.append(card_html(item, i + 1, cat.plot if cat else "", det, st.understood.get("turns", 0)))
        else:
            cols.append(gr.update(visible=False))
            bodies.append("")
    return out + cols + bodies


def panel_view(st: WebState) -> list[Any]:
    """The side panel: the text of what was understood and the removable chips."""
    buttons = [
        gr.update(value=st.chips[j][1], visible=True) if j < len(st.chips) else gr.update(visible=False)
        for j in range(MAX_CHIPS)
    ]
    return [understood_markdown(st), *buttons]


def full_view(service: Service, st: WebState, det: str) -> list[Any]:
    """Every output of a handler: the chat, the state, the cards and the side panel."""
    return [st.history, st, *cards_view(service, st, det), *panel_view(st)]


def streaming_view(st: WebState) -> list[Any]:
    """The outputs while a reply streams in: the chat and the state only (the rest is left as it is)."""
    return [st.history, st, *([gr.skip()] * (1 + 2 * MAX_CARDS + 1 + MAX_CHIPS))]


def stream(service: Service, gen: Iterator[WebState], det: str) -> Iterator[list[Any]]:
    """The views of a streaming handler: the chat as it grows, then everything once the turn is done. A
    failure becomes a friendly chat message (never a traceback in the browser)."""
    last: WebState | None = None
    try:
        for st in gen:
            last = st
            yield streaming_view(st)
    except Exception:  # never a traceback in the browser
        log.exception("web handler failed")
        if last is not None:
            last = replace(last, history=[*last.history, {"role": "assistant", "content": FRIENDLY_ERROR}])
    if last is not None:
        yield full_view(service, last, det)


def give_back(message: str, st: WebState) -> Any:
    """A message refused by the rate limit goes back into the text box: nothing typed is lost."""
    last = st.history[-1] if st.history else {}
    limited = last.get("role") == "assistant" and str(last.get("content", "")).startswith(RATE_LIMIT_MARK)
    return message if limited else gr.skip()
