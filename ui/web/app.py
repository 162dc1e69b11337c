"""The Gradio web app (``crsagent ui``): a chat with recommendation cards, feedback buttons and a side panel.

Layout: the chat (Gradio's messages format; the reply text streams in, tool steps appear as a collapsible
"🔧 plan / tools" message with the plan, the tools, their timings and any fallback), under it the cards of
the latest recommendations (title, year, genres, director / stars, a one-line plot and the "why") with the
buttons 👍 like, 👎 not for me, seen it and more like this, and on the right what the agent understood (likes,
dislikes, constraints: each removable with one click) and the settings.

Each browser is its own visitor: an anonymous id kept in the browser's localStorage (Gradio's
``BrowserState``, encrypted with a secret kept in ``CRSAGENT_HOME/web_secret``) names its memory, so two
visitors never share one; with a login the user is the login name; a name typed in the side panel is
optional (the same memory on another device). One control, "🆕 New conversation" (the chat's own 🗑 does
the same), starts a new conversation.

The handlers are plain functions (:mod:`ui.web.handlers`); :func:`build_app` only wires them to components.
The app binds 127.0.0.1 unless told otherwise, asks for a login when ``CRSAGENT_UI_USER`` /
``CRSAGENT_UI_PASSWORD`` are set (and refuses to bind any other interface without one), refuses messages
longer than ``CRSAGENT_MAX_MESSAGE_CHARS`` with a clear message, limits each user to
``CRSAGENT_UI_RATE_LIMIT`` turns per minute (:class:`~ui.web.ratelimit.RateLimiter`; chat, card buttons and
API alike), shows errors as friendly chat messages (never a traceback) and exposes one API endpoint for
``gradio_client``::

    from gradio_client import Client
    Client("http://127.0.0.1:7860/").predict("a funny sci-fi movie", "me", "s1", api_name="/ask")
    # -> {"reply": str, "items": [{"id", "title", "year", ...}], "session": "s1", "error": None}
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import gradio as gr

from tools.settings import Settings
from ui.service import Service
from ui.web.handlers import api_ask, card_feedback, remove_chip, run_turn
from ui.web.ratelimit import RateLimiter
from ui.web.render import understood_markdown
from ui.web.state import (
    Feedback,
    WebState,
    new_conversation,
    new_session_id,
    new_visitor_id,
    resolve_user,
    valid_visitor_id,
)
from ui.web.views import MAX_CARDS, MAX_CHIPS, cards_view, full_view, give_back, options_of, stream

EXAMPLES = (
    "A funny sci-fi movie from the 90s, no horror",
    "Something like Heat (1995) but newer",
    "A feel-good animated film for the whole family",
)
FEEDBACK_BUTTONS: tuple[tuple[Feedback, str], ...] = (
    ("like", "👍 Like"),
    ("dislike", "👎 Not for me"),
    ("seen", "👁 Seen it"),
    ("more", "🔁 More like this"),
)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
_LIMITER_ATTR = "crsagent_rate_limiter"
#: The localStorage key of the browser's visitor id, and the file of the secret that encrypts it.
VISITOR_KEY = "crsagent-visitor"
SECRET_FILE = "web_secret"
NAME_INFO = (
    "Optional. Without a name this browser keeps its own private memory; type a name to use the same "
    "memory on another device."
)
log = logging.getLogger(__name__)

CSS = """
.gradio-container { max-width: 1320px !important; margin: auto; }
#crs-header h1 { margin: 0; font-size: 1.6rem; }
#crs-header p { margin: 2px 0 0; opacity: .75; }
#rec-heading { margin-top: 6px; }
#rec-grid { display: grid !important; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 12px !important; }
.rec-card { border: 1px solid var(--border-color-primary); border-radius: 14px !important;
  padding: 12px 12px 8px !important; background: var(--background-fill-primary);
  box-shadow: 0 1px 3px rgba(0,0,0,.06); gap: 8px !important; min-width: 0 !important;
  align-self: stretch !important; height: auto !important; }
.rec-card:hover { box-shadow: 0 4px 14px rgba(79,70,229,.15); }
.rec-card-body { display: flex; flex-direction: column; gap: 6px; }
.rec-head { line-height: 1.3; }
.rec-rank { background: var(--color-accent); color: white; border-radius: 999px; min-width: 22px; height: 22px;
  display: inline-flex; align-items: center; justify-content: center; font-size: .8rem; font-weight: 700;
  margin-right: 6px; vertical-align: 1px; }
.rec-title { font-weight: 700; font-size: 1.02rem; line-height: 1.25; }
.rec-year { opacity: .6; font-size: .9rem; margin-left: 6px; white-space: nowrap; }
.rec-tags { display: flex; flex-wrap: wrap; gap: 4px; }
.rec-tag { background: var(--color-accent-soft); color: var(--color-accent); border-radius: 999px;
  padding: 1px 8px; font-size: .75rem; }
.rec-people { font-size: .82rem; opacity: .85; }
.rec-plot { font-size: .85rem; line-height: 1.35; }
.rec-why { font-size: .82rem; background: var(--background-fill-secondary); border-radius: 8px; padding: 5px 8px; }
.rec-score { font-size: .72rem; opacity: .6; }
.rec-actions { gap: 4px !important; flex-wrap: wrap !important; margin-top: auto !important; }
.rec-actions button { min-width: 0 !important; flex: 1 1 45% !important; font-size: .78rem !important;
  padding: 4px 6px !important; }
.chip button, button.chip { border-radius: 999px !important; font-size: .8rem !important; padding: 2px 10px !important;
  min-width: 0 !important; }
#chips { flex-wrap: wrap !important; gap: 6px !important; }
#chips > * { flex: 0 0 auto !important; min-width: 0 !important; }
#chat button[aria-label="Clear"] { display: none !important; }
"""


def _theme() -> Any:
    return gr.themes.Soft(primary_hue="indigo", secondary_hue="slate", radius_size="lg")


# ----------------------------------------------------------------------------- the app
@dataclass
class _Layout:
    """The components the handlers read and write."""

    state: gr.State
    visitor: gr.BrowserState
    chatbot: gr.Chatbot
    box: gr.Textbox
    send: gr.Button
    rec_heading: gr.Markdown
    card_cols: list[gr.Column]
    card_bodies: list[gr.HTML]
    card_buttons: list[tuple[int, Feedback, gr.Button]]
    understood: gr.Markdown
    chips: list[gr.Button]
    user_box: gr.Textbox
    n_items: gr.Slider
    detail: gr.Radio
    backend: gr.Radio
    new_btn: gr.Button

    @property
    def views(self) -> list[Any]:
        """The outputs of every turn handler, in the order of :func:`~ui.web.views.full_view`."""
        return [
            self.chatbot,
            self.state,
            self.rec_heading,
            *self.card_cols,
            *self.card_bodies,
            self.understood,
            *self.chips,
        ]


def build_app(service: Service, *, stream_delay: float = 0.012) -> gr.Blocks:
    """The web app's Blocks (launch it with :func:`serve`, which adds the theme, CSS and login)."""
    settings = service.settings
    # per user name, shared by the chat, the cards and /ask; serve() sets it from the settings it serves with
    limiter = RateLimiter(settings.ui_rate_limit)
    with gr.Blocks(title="crsagent · movie recommender", fill_width=False) as app:
        layout = _layout(
            n_default=max(1, min(MAX_CARDS, settings.n_items)),
            llm_ready=service.context.llm is not None,
            secret=visitor_secret(settings.home),
        )
        _wire(app, layout, service, limiter, stream_delay)
    setattr(app, _LIMITER_ATTR, limiter)  # noqa: B010 - an attribute of our own on gradio's Blocks
    return app


def visitor_secret(home: Path) -> str:
    """The secret that encrypts the visitor id in the browser, kept in ``home/web_secret`` (made once,
    readable by the owner only) so that a visitor keeps its memory across restarts of the app; a random
    one for this process when the home cannot keep it."""
    path = Path(home) / SECRET_FILE
    try:
        if path.exists():
            secret = path.read_text(encoding="utf-8").strip()
            if len(secret) >= 16:
                return secret
        path.parent.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(24)
        path.write_text(secret, encoding="utf-8")
        path.chmod(0o600)
        return secret
    except OSError as exc:
        log.warning("cannot keep the web secret in %s (%s): visitor ids last until a restart", path, exc)
        return secrets.token_urlsafe(24)


def _layout(n_default: int, llm_ready: bool, secret: str) -> _Layout:
    """Create the components (inside the app's Blocks): the chat and the cards, the side panel."""
    state = gr.State(WebState())
    visitor = gr.BrowserState(None, storage_key=VISITOR_KEY, secret=secret)
    gr.HTML(
        "<div id='crs-header'><h1>🎬 crsagent</h1><p>Tell me what you feel like watching. I recommend real "
        "movies from the catalog, explain why, and learn from your 👍 / 👎.</p></div>"
    )
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=480):
            chatbot = gr.Chatbot(
                label="Chat",
                show_label=False,
                height=440,
                layout="bubble",
                elem_id="chat",
                buttons=["copy"],
                placeholder="**What would you like to watch?**<br>Try one of the examples, or describe a mood, "
                "a genre, a movie you loved.",
                examples=[{"text": t} for t in EXAMPLES],
                feedback_options=None,
            )
            with gr.Row(equal_height=True):
                box = gr.Textbox(
                    show_label=False,
                    placeholder="e.g. a funny sci-fi movie from the 90s, no horror",
                    scale=6,
                    elem_id="msg",
                    autofocus=True,
                    max_lines=6,
                    submit_btn=False,
                )
                send = gr.Button("Send", variant="primary", scale=1, min_width=90, elem_id="send")
                new_btn = gr.Button(
                    "🆕 New conversation", scale=1, min_width=150, elem_id="new-conversation", size="md"
                )
            rec_heading = gr.Markdown(
                "### 🍿 Recommendations  <small>react with 👍 / 👎 and I adapt</small>",
                elem_id="rec-heading",
                visible=False,
            )
            card_cols: list[gr.Column] = []
            card_bodies: list[gr.HTML] = []
            card_buttons: list[tuple[int, Feedback, gr.Button]] = []
            with gr.Row(elem_id="rec-grid", equal_height=False):
                for i in range(MAX_CARDS):
                    with gr.Column(
                        visible=False, elem_classes="rec-card", elem_id=f"card-{i}", min_width=220
                    ) as col:
                        body = gr.HTML(elem_id=f"card-{i}-body")
                        with gr.Row(elem_classes="rec-actions"):
                            for kind, label in FEEDBACK_BUTTONS:
                                b = gr.Button(
                                    label, size="sm", elem_id=f"card-{i}-{kind}", variant="secondary"
                                )
                                card_buttons.append((i, kind, b))
                    card_cols.append(col)
                    card_bodies.append(body)
        with gr.Column(scale=1, min_width=280):
            with gr.Accordion("🧠 What I understood", open=True):
                understood = gr.Markdown(understood_markdown(WebState()), elem_id="understood")
                with gr.Row(elem_id="chips"):
                    chips = [
                        gr.Button("", visible=False, size="sm", elem_classes="chip", elem_id=f"chip-{j}")
                        for j in range(MAX_CHIPS)
                    ]
            with gr.Accordion("⚙️ Settings", open=True):
                user_box = gr.Textbox(
                    label="Your name (optional)",
                    value="",
                    placeholder="anonymous",
                    info=NAME_INFO,
                    elem_id="user",
                    max_lines=1,
                )
                n_items = gr.Slider(
                    1, MAX_CARDS, value=n_default, step=1, label="Number of items", elem_id="n-items"
                )
                detail = gr.Radio(
                    ["short", "full"], value="short", label="Explanation detail", elem_id="detail"
                )
                backend = gr.Radio(
                    ["offline engine", "configured LLM"],
                    value="configured LLM" if llm_ready else "offline engine",
                    label="Language model",
                    interactive=llm_ready,
                    elem_id="backend",
                    info=None if llm_ready else "No LLM endpoint is configured (CRSAGENT_LLM=offline).",
                )
    return _Layout(
        state=state,
        visitor=visitor,
        chatbot=chatbot,
        box=box,
        send=send,
        rec_heading=rec_heading,
        card_cols=card_cols,
        card_bodies=card_bodies,
        card_buttons=card_buttons,
        understood=understood,
        chips=chips,
        user_box=user_box,
        n_items=n_items,
        detail=detail,
        backend=backend,
        new_btn=new_btn,
    )


def _wire(
    app: gr.Blocks, layout: _Layout, service: Service, limiter: RateLimiter, stream_delay: float
) -> None:
    """Connect the handlers to the components (inside the app's Blocks) and add the ``/ask`` API endpoint."""
    view_outputs = layout.views
    turn_inputs = [layout.state, layout.n_items, layout.detail, layout.backend]

    def on_load(stored: Any, st: WebState, request: gr.Request) -> list[Any]:
        """A page (re)load: this browser's visitor id (made once, kept in its localStorage), the login."""
        visitor = valid_visitor_id(stored) or new_visitor_id()
        login = str(getattr(request, "username", None) or "")
        st = replace(
            st,
            visitor=visitor,
            login=login,
            user=resolve_user(None, visitor, login) if login or not st.user else st.user,
            session=st.session or new_session_id(),
        )
        box = (
            gr.update(value=login, interactive=False, info="Signed in: your memory follows your login.")
            if login
            else gr.skip()
        )
        return [visitor, st, box]

    app.load(
        on_load,
        [layout.visitor, layout.state],
        [layout.visitor, layout.state, layout.user_box],
        api_visibility="private",
    )

    def on_send(
        message: str, st: WebState, n: float, det: str, back: str, request: gr.Request
    ) -> Iterator[list[Any]]:
        opts = options_of(n, det, back)
        turn = run_turn(
            service,
            st,
            message,
            opts,
            stream_delay=stream_delay,
            limiter=limiter,
            rate_key=rate_key(st, request),
        )
        yield from stream(service, turn, det)

    pending = gr.State("")
    for trigger in (layout.box.submit, layout.send.click):
        trigger(
            lambda m: ("", m), layout.box, [layout.box, pending], queue=False, api_visibility="private"
        ).then(
            on_send,
            [pending, *turn_inputs],
            view_outputs,
            api_visibility="private",
            concurrency_id="turn",
        ).then(give_back, [pending, layout.state], layout.box, queue=False, api_visibility="private")

    def on_example(
        evt: gr.SelectData, st: WebState, n: float, det: str, back: str, request: gr.Request
    ) -> Iterator[list[Any]]:
        text = evt.value.get("text", "") if isinstance(evt.value, dict) else str(evt.value)
        yield from on_send(text, st, n, det, back, request)

    layout.chatbot.example_select(
        on_example,
        turn_inputs,
        view_outputs,
        api_visibility="private",
        concurrency_id="turn",
    )

    def make_feedback(index: int, kind: Feedback) -> Callable[..., Iterator[list[Any]]]:
        def on_feedback(
            st: WebState, n: float, det: str, back: str, request: gr.Request
        ) -> Iterator[list[Any]]:
            opts = options_of(n, det, back)
            turn = card_feedback(
                service,
                st,
                index,
                kind,
                opts,
                stream_delay=stream_delay,
                limiter=limiter,
                rate_key=rate_key(st, request),
            )
            yield from stream(service, turn, det)

        return on_feedback

    for i, kind, button in layout.card_buttons:
        button.click(
            make_feedback(i, kind),
            turn_inputs,
            view_outputs,
            api_visibility="private",
            concurrency_id="turn",
        )

    def make_remove(index: int) -> Callable[..., list[Any]]:
        def on_remove(st: WebState, det: str) -> list[Any]:
            return full_view(service, remove_chip(service, st, index), det)

        return on_remove

    for j, chip in enumerate(layout.chips):
        chip.click(make_remove(j), [layout.state, layout.detail], view_outputs, api_visibility="private")

    def on_new(st: WebState, name: str, det: str) -> list[Any]:
        """The one reset control: a new conversation (empty chat, no cards, nothing understood) for the same
        user; long-term memory stays."""
        user = resolve_user(name, st.visitor, st.login) if st.visitor or st.login else st.user
        return full_view(service, new_conversation(st, user), det)

    # "🆕 New conversation" and the chat's own 🗑 (hidden by the CSS) do the same
    for reset in (layout.new_btn.click, layout.chatbot.clear):
        reset(on_new, [layout.state, layout.user_box, layout.detail], view_outputs, api_visibility="private")

    def on_user(st: WebState, name: str, det: str) -> list[Any]:
        user = resolve_user(name, st.visitor, st.login) if st.visitor or st.login else st.user
        if st.login or user == st.user:
            return [gr.skip()] * len(view_outputs)
        return full_view(service, new_conversation(st, user), det)

    layout.user_box.submit(
        on_user, [layout.state, layout.user_box, layout.detail], view_outputs, api_visibility="private"
    )
    layout.user_box.blur(
        on_user, [layout.state, layout.user_box, layout.detail], view_outputs, api_visibility="private"
    )
    layout.detail.change(
        lambda st, det: cards_view(service, st, det),
        [layout.state, layout.detail],
        [layout.rec_heading, *layout.card_cols, *layout.card_bodies],
        api_visibility="private",
    )

    def ask(message: str, user: str = "api", session: str = "", n_items: int = 0) -> dict[str, Any]:
        """One turn of a persisted conversation: returns {"reply", "items", "session", "state", "error"}.
        Reuse the returned session id to continue the conversation. Over the user's rate limit, error is
        "rate_limited" and nothing was run."""
        return api_ask(service, message, user, session, n_items, limiter=limiter)

    gr.api(ask, api_name="ask")


def rate_key(st: WebState, request: Any) -> str:
    """Whose rate limit a turn counts against: a login or typed name; an anonymous visitor counts against
    its client address (a new visitor id per request would otherwise escape the limit)."""
    if st.login or (st.user and st.user != st.visitor):
        return st.user
    client = getattr(request, "client", None)
    host = getattr(client, "host", None)
    return f"anonymous@{host}" if host else st.user or "anonymous"


def rate_limiter_of(app: Any) -> RateLimiter | None:
    """The rate limiter of an app made by :func:`build_app`."""
    limiter = getattr(app, _LIMITER_ATTR, None)
    return limiter if isinstance(limiter, RateLimiter) else None


def auth_of(settings: Settings) -> tuple[str, str] | None:
    """The Gradio login from ``CRSAGENT_UI_USER`` / ``CRSAGENT_UI_PASSWORD`` (None when either is unset)."""
    user, password = settings.ui_user, settings.ui_password
    secret = password.get_secret_value() if password is not None else ""
    if user and secret:
        return (user, secret)
    return None


def check_exposure(settings: Settings, host: str) -> tuple[str, str] | None:
    """The login of ``settings``; raises ValueError when ``host`` is not the loopback interface and there is
    no login (an exposed app must ask for one)."""
    auth = auth_of(settings)
    if host not in LOOPBACK_HOSTS and auth is None:
        raise ValueError(
            f"refusing to serve on {host} without a login: set CRSAGENT_UI_USER and CRSAGENT_UI_PASSWORD, "
            "or keep the default --host 127.0.0.1"
        )
    return auth


def serve(
    app: gr.Blocks,
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    block: bool = True,
    quiet: bool = False,
) -> Any:
    """Launch the app with the theme, CSS, the login (when configured) and the per-user rate limit of
    ``settings`` (``ui_rate_limit`` turns per minute). ``block=False`` returns at once.

    Raises ValueError for any ``host`` other than the loopback interface when no login is configured."""
    auth = check_exposure(settings, host)
    limiter = rate_limiter_of(app)
    if limiter is not None:
        limiter.configure(settings.ui_rate_limit)
    app.queue(default_concurrency_limit=4)
    return app.launch(
        server_name=host,
        server_port=port,
        auth=auth,
        auth_message="crsagent: please log in" if auth else None,
        prevent_thread_lock=not block,
        show_error=False,
        quiet=quiet,
        theme=_theme(),
        css=CSS,
        footer_links=["api"],
        inbrowser=False,
        share=False,
    )
