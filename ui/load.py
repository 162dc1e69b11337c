"""Load test of the running web app (``crsagent bench --load URL``): N concurrent simulated sessions through
the ``/ask`` API (``gradio_client``) for a bounded time, on 127.0.0.1.

Each simulated session is its own user with its own genre (``GENRES``; at most one session per genre at a
time) and runs short conversations of :data:`SCRIPT`: "recommend me a <genre> movie", "not the first one",
"more", "more please", then a new conversation. Reported per level N: turns, throughput (turns/s), p50 / p95
turn latency (client side, ms), errors (no reply, an exception, a timeout or a reply with ``error`` set;
a ``rate_limited`` reply is an error too: load-test a server without a limit, ``CRSAGENT_UI_RATE_LIMIT=0``,
as ``--load auto`` does) and cross-session leaks.

A leak is any sign that a reply was computed from another conversation's state. Every reply is checked
against what only its own session said: the session id it came back with, the turn count of the
conversation, the genre constraint understood (exactly the session's own genre: another session's genre
there is a leak), the disliked movies understood (only ones this user disliked), every item shown (of the
session's own genre, and never a movie this user disliked). Because no two concurrent sessions share a genre
or a user, state mixed across sessions shows up as a foreign genre, a foreign dislike, an off-genre item or
a wrong turn count.
"""

from __future__ import annotations

import contextlib
import io
import logging
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from gradio_client import Client

from tools.settings import Settings
from tools.stats import p50_p95
from ui.service import Service
from ui.web.app import auth_of, build_app, serve

log = logging.getLogger(__name__)

#: Genres the rule parser reads from "recommend me a <genre> movie", one per concurrent session.
GENRES: tuple[str, ...] = (
    "comedy", "drama", "action", "thriller", "adventure", "romance", "crime", "horror", "family", "fantasy",
    "sci-fi", "mystery", "animation", "biography", "documentary", "history", "war", "western", "sport",
)  # fmt: skip
#: One simulated conversation; ``{genre}`` is the session's own genre.
SCRIPT: tuple[str, ...] = ("recommend me a {genre} movie", "not the first one", "more", "more please")
MAX_SESSIONS = len(GENRES)


@dataclass
class _Worker:
    """One simulated user: its genre, what it disliked, its measurements."""

    user: str
    genre: str
    others: frozenset[str]
    disliked: set[int] = field(default_factory=set)
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    leaks: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    conversations: int = 0


def check_reply(
    out: Any,
    *,
    session: str,
    turn: int,
    genre: str,
    other_genres: frozenset[str] | set[str],
    disliked: set[int],
) -> list[str]:
    """The leak kinds a ``/ask`` reply shows for a session that asked for ``genre`` (and nothing from
    ``other_genres``), sent ``turn`` messages so far and disliked only ``disliked``. Empty when clean."""
    leaks: list[str] = []
    if not isinstance(out, dict):
        return leaks
    if out.get("session") != session:
        leaks.append("session_id")
    state = out.get("state") or {}
    if state.get("turns") != turn:
        leaks.append("turn_count")
    wanted = set((state.get("constraints") or {}).get("genres_include") or [])
    if wanted & set(other_genres):
        leaks.append("foreign_genre")
    elif genre not in wanted:
        leaks.append("own_genre_lost")
    if {d.get("id") for d in state.get("disliked") or []} - disliked:
        leaks.append("foreign_dislike")
    for item in out.get("items") or []:
        genres = {str(g).lower() for g in item.get("genres") or []}
        if genre not in genres:
            leaks.append("off_genre_item")
            break
    if {i.get("id") for i in out.get("items") or []} & disliked:
        leaks.append("disliked_item_shown")
    return leaks


class _Start:
    """The common start of all sessions, once every client is connected (connecting is not measured)."""

    def __init__(self, parties: int, duration_s: float, timeout_s: float) -> None:
        self.barrier = threading.Barrier(parties + 1, action=self._open, timeout=timeout_s)
        self.duration_s = duration_s
        self.t0 = 0.0
        self.deadline = 0.0

    def _open(self) -> None:
        self.t0 = time.monotonic()
        self.deadline = self.t0 + self.duration_s

    def ready(self) -> float:
        """Wait until every session (and the coordinator) is ready; returns the deadline. A session that
        waited too long for the others starts alone."""
        try:
            self.barrier.wait()
        except threading.BrokenBarrierError:
            if not self.deadline:
                self._open()
        return self.deadline


def _run_worker(
    worker: _Worker,
    url: str,
    start: _Start,
    *,
    auth: tuple[str, str] | None,
    turn_timeout_s: float,
    n_items: int,
) -> None:
    """Conversations of :data:`SCRIPT` until the deadline (a turn started before it is finished)."""
    try:
        client = Client(url, auth=auth, verbose=False)
    except Exception as exc:  # the server is down or refuses us: every planned turn would fail
        worker.errors[f"connect: {type(exc).__name__}"] += 1
        worker.examples.append(f"{worker.user}: cannot connect: {exc}"[:300])
        start.ready()
        return
    deadline = start.ready()
    try:
        while time.monotonic() < deadline:
            worker.conversations += 1
            session = f"{worker.user}-c{worker.conversations}"
            previous: list[dict[str, Any]] = []
            for turn, template in enumerate(SCRIPT, 1):
                if time.monotonic() >= deadline:
                    return
                message = template.format(genre=worker.genre)
                if message == "not the first one" and previous:
                    worker.disliked.add(int(previous[0]["id"]))
                t0 = time.perf_counter()
                try:
                    job = client.submit(message, worker.user, session, n_items, api_name="/ask")
                    out = job.result(timeout=turn_timeout_s)
                except Exception as exc:  # a timeout, a dropped connection, a server error
                    worker.errors[type(exc).__name__] += 1
                    worker.examples.append(f"{session} turn {turn}: {type(exc).__name__}: {exc}"[:300])
                    break  # the conversation's state is unknown now: start a new one
                worker.latencies_ms.append((time.perf_counter() - t0) * 1000)
                if not isinstance(out, dict) or out.get("error"):
                    kind = str(out.get("error")) if isinstance(out, dict) else "bad_reply"
                    worker.errors[kind] += 1
                    worker.examples.append(f"{session} turn {turn}: error {kind}")
                    break
                leaks = check_reply(
                    out,
                    session=session,
                    turn=turn,
                    genre=worker.genre,
                    other_genres=worker.others,
                    disliked=worker.disliked,
                )
                for kind in leaks:
                    worker.leaks[kind] += 1
                if leaks:
                    worker.examples.append(f"{session} turn {turn} {message!r}: {', '.join(leaks)}")
                previous = list(out.get("items") or [])
    finally:
        with contextlib.suppress(Exception):
            client.close()


def run_load(
    url: str,
    sessions: int,
    duration_s: float,
    *,
    auth: tuple[str, str] | None = None,
    turn_timeout_s: float = 60.0,
    n_items: int = 5,
) -> dict[str, Any]:
    """Run ``sessions`` concurrent simulated sessions against the web app at ``url`` for ``duration_s``
    seconds; returns ``{"sessions", "duration_s", "turns", "conversations", "throughput_tps", "latency_ms":
    {"p50", "p95", "max"}, "errors", "error_kinds", "leaks", "leak_kinds", "examples"}``.

    Bounded: each session stops starting turns at the deadline, and a turn is abandoned (an error) after
    ``turn_timeout_s``. Raises ValueError for a bad number of sessions or duration."""
    if not 1 <= sessions <= MAX_SESSIONS:
        raise ValueError(f"sessions must be between 1 and {MAX_SESSIONS} (one genre per session)")
    if not 0 < duration_s <= 3600:
        raise ValueError("the duration must be between 0 and 3600 seconds")
    run = uuid.uuid4().hex[:6]
    genres = GENRES[:sessions]
    workers = [
        _Worker(user=f"load-{run}-{i}-{g}", genre=g, others=frozenset(genres) - {g})
        for i, g in enumerate(genres)
    ]
    start = _Start(sessions, duration_s, timeout_s=turn_timeout_s)
    with ThreadPoolExecutor(max_workers=sessions, thread_name_prefix="load") as pool:
        futures = [
            pool.submit(_run_worker, w, url, start, auth=auth, turn_timeout_s=turn_timeout_s, n_items=n_items)
            for w in workers
        ]
        start.ready()  # connecting the clients is not measured
        for f in futures:
            f.result()
    elapsed = time.monotonic() - start.t0
    latencies = [x for w in workers for x in w.latencies_ms]
    errors: Counter[str] = sum((w.errors for w in workers), Counter())
    leaks: Counter[str] = sum((w.leaks for w in workers), Counter())
    return {
        "sessions": sessions,
        "duration_s": round(elapsed, 2),
        "turns": len(latencies),
        "conversations": sum(w.conversations for w in workers),
        "throughput_tps": round(len(latencies) / elapsed, 2) if elapsed > 0 else 0.0,
        "latency_ms": {
            **p50_p95(latencies, 1),
            "max": round(max(latencies, default=0.0), 1),
        },
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "leaks": sum(leaks.values()),
        "leak_kinds": dict(leaks),
        "examples": [x for w in workers for x in w.examples][:20],
    }


def parse_levels(text: str) -> list[int]:
    """``"1,4,16"`` -> ``[1, 4, 16]``; raises ValueError for anything else."""
    try:
        levels = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"--sessions must be comma-separated numbers, like 1,4,16 (got {text!r})") from None
    if not levels or any(not 1 <= n <= MAX_SESSIONS for n in levels):
        raise ValueError(f"each number of sessions must be between 1 and {MAX_SESSIONS} (got {text!r})")
    return levels


def run_load_levels(
    url: str,
    levels: Sequence[int],
    duration_s: float,
    *,
    auth: tuple[str, str] | None = None,
    turn_timeout_s: float = 60.0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """:func:`run_load` for each number of sessions in ``levels``, one after the other:
    ``{"url", "duration_s", "levels": {"N": result, ...}}`` (the ``load.json`` schema)."""
    out: dict[str, Any] = {"url": url, "duration_s": duration_s, "levels": {}}
    for n in levels:
        if progress:
            progress(f"load: {n} session(s) for {duration_s:g} s against {url}")
        out["levels"][str(n)] = run_load(url, n, duration_s, auth=auth, turn_timeout_s=turn_timeout_s)
    return out


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def local_app(settings: Settings, *, port: int | None = None) -> Iterator[tuple[str, tuple[str, str] | None]]:
    """Serve the web app for a load test on 127.0.0.1 (``--load auto``), with the per-user rate limit
    off (a load test measures the agent, not the limiter); yields (URL, login or None)."""
    settings = settings.model_copy(update={"ui_rate_limit": 0})
    service = Service(settings)
    app = None
    try:
        service.warm()
        app = build_app(service, stream_delay=0.0)
        port = port or free_port()
        serve(app, settings, host="127.0.0.1", port=port, block=False, quiet=True)
        wait_up(f"http://127.0.0.1:{port}/")
        yield f"http://127.0.0.1:{port}/", auth_of(settings)
    finally:
        if app is not None:
            with contextlib.redirect_stdout(io.StringIO()):  # gradio prints "Closing server…" on stdout
                app.close()
        service.close()


def wait_up(url: str, timeout: float = 60.0) -> None:
    """Wait until ``url`` answers (any HTTP status); raises the last connection error after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 - our own server on 127.0.0.1
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
