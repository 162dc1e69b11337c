"""The Gradio web app (``crsagent ui``): :mod:`~ui.web.app` builds and serves it, :mod:`~ui.web.handlers`
holds its event handlers as plain functions, :mod:`~ui.web.render` what it shows (cards, chips, the trace),
:mod:`~ui.web.views` the component updates, :mod:`~ui.web.state` the per-browser state and
:mod:`~ui.web.ratelimit` the per-user rate limit."""

from ui.web.app import auth_of, build_app, check_exposure, rate_limiter_of, serve
from ui.web.handlers import (
    FRIENDLY_ERROR,
    TOOLS_TITLE,
    api_ask,
    card_feedback,
    check_message,
    feedback_message,
    remove_chip,
    run_turn,
)
from ui.web.ratelimit import RATE_LIMIT_MARK, RateLimiter, rate_limit_message
from ui.web.render import (
    card_html,
    chips_for,
    memory_facts,
    reply_markdown,
    trace_markdown,
    understood_markdown,
)
from ui.web.state import (
    Options,
    WebState,
    clean_user,
    new_conversation,
    new_visitor_id,
    resolve_user,
)
from ui.web.views import MAX_CARDS

__all__ = [
    "FRIENDLY_ERROR",
    "MAX_CARDS",
    "RATE_LIMIT_MARK",
    "TOOLS_TITLE",
    "Options",
    "RateLimiter",
    "WebState",
    "api_ask",
    "auth_of",
    "build_app",
    "card_feedback",
    "card_html",
    "check_exposure",
    "check_message",
    "chips_for",
    "clean_user",
    "feedback_message",
    "memory_facts",
    "new_conversation",
    "new_visitor_id",
    "rate_limit_message",
    "rate_limiter_of",
    "remove_chip",
    "reply_markdown",
    "resolve_user",
    "run_turn",
    "serve",
    "trace_markdown",
    "understood_markdown",
]
