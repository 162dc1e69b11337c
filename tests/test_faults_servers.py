"""Faults against real servers: Chroma going away mid-conversation, a process killed mid-turn, two processes
writing the same user's memory at once.

Each test starts its own PostgreSQL cluster / ``chroma run`` server on 127.0.0.1 (tests/servers.py) and indexes
the 24-movie fixture catalog into them, so they run the same in embedded and in server mode. If a server
cannot start, the test fails with its log; nothing is skipped.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).with_name("fixtures")


def _servers() -> Any:
    name = "crsagent_tests_servers"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("servers.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


servers = _servers()


@pytest.fixture(scope="module")
def pg() -> Iterator[Any]:
    """A PostgreSQL cluster of this module's own."""
    cluster = servers.Postgres()
    try:
        cluster.start()
    except servers.ServerFailed as exc:
        cluster.cleanup()
        pytest.fail(f"PostgreSQL could not start: {exc}", pytrace=False)
    yield cluster
    cluster.cleanup()


@pytest.fixture()
def chroma(tmp_path: Path) -> Iterator[Any]:
    """A ``chroma run`` server of this test's own (it may be stopped and started again on the same port)."""
    server = servers.ChromaServer(tmp_path / "chroma-server")
    server.path.mkdir()
    try:
        server.start()
    except servers.ServerFailed as exc:
        server.cleanup()
        pytest.fail(f"the Chroma server could not start: {exc}", pytrace=False)
    yield server
    server.cleanup()


@pytest.fixture(scope="module")
def mini_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 24-movie fixture catalog and its interactions as a crsagent data directory."""
    data = tmp_path_factory.mktemp("mini-data")
    with gzip.open(data / "catalog.jsonl.gz", "wb") as fh:
        fh.write((FIXTURES / "mini_catalog.jsonl").read_bytes())
    with gzip.open(data / "interactions.csv.gz", "wb") as fh:
        fh.write((FIXTURES / "mini_interactions.csv").read_bytes())
    shutil.copy(REPO / "data" / "fusion_weights.json", data)
    return data


def _env(home: Path, data: Path, database_url: str, chroma: Any, chroma_db: str) -> dict[str, str]:
    """The environment of a crsagent process over these servers (explicit: server mode does not re-route it)."""
    return {
        "CRSAGENT_HOME": str(home),
        "CRSAGENT_DATA_DIR": str(data),
        "DATABASE_URL": database_url,
        "CHROMA_URL": chroma.url,
        "CHROMA_DATABASE": chroma_db,
        "CRSAGENT_LLM": "offline",
    }


def _settings(env: dict[str, str]) -> Any:
    from tools.settings import load_settings

    return load_settings(
        home=Path(env["CRSAGENT_HOME"]),
        data_dir=Path(env["CRSAGENT_DATA_DIR"]),
        database_url=env["DATABASE_URL"],
        chroma_url=env["CHROMA_URL"],
        chroma_database=env["CHROMA_DATABASE"],
        llm="offline",
    )


def _indexed(env: dict[str, str]) -> None:
    from tools.indexing import run_index
    from tools.toolkit import Toolkit

    summary = run_index(Toolkit(_settings(env)))
    assert summary.items == 24


def _chroma_fact_ids(store: Any, user: str) -> set[str]:
    return set(store.collection().get(where={"user_id": user}, include=[])["ids"])


def _sql_fact_ids(store: Any, user: str) -> set[str]:
    return {f.id for f in store.list_facts(user)}


# ----------------------------------------------------------------------------- Chroma stopped mid-conversation
def test_chroma_server_stopped_mid_conversation(
    tmp_path: Path, pg: Any, chroma: Any, mini_data: Path
) -> None:
    from agent.graph import MEMORY_QUEUED_NOTE
    from memory.backend import CHROMA_RETRY_S
    from ui.service import Service

    env = _env(tmp_path / "home", mini_data, pg.create_database("chroma_outage"), chroma, "chroma_outage")
    _indexed(env)
    svc = Service(_settings(env))
    try:
        first = svc.ask("I loved Alien. I hate romance movies", user="ann", session="s1")
        assert first.error is None and first.items
        assert {f.key for f in svc.memory.list_facts("ann")} >= {"genre:romance"}

        chroma.stop()  # the Chroma server goes away in the middle of the conversation
        down = svc.ask("I can't stand musicals. I already saw Toy Story", user="ann", session="s1")
        # answered: item vectors are held in memory and memory is recalled from SQL; the write is queued
        assert down.error is None and down.items and "Traceback" not in down.reply
        shown = {i["title"] for i in down.items}
        assert not shown & {"Alien", "Toy Story"}
        assert {f.key for f in svc.memory.list_facts("ann")} >= {"genre:romance", "genre:music"}
        assert svc.memory.pending_sync("ann") >= 1  # kept in the outbox, not lost
        assert MEMORY_QUEUED_NOTE in down.reply  # and the user is told
        assert next(r for r in down.trace if r.get("step") == "remember")["queued"] >= 1

        # a replica (re)started while Chroma is down cannot load the item index: a clear error, not a traceback
        other = Service(_settings(env))
        try:
            refused = other.ask("something funny", user="bob", session="s1")
            assert refused.error == "VectorStoreError"
            assert (
                refused.reply.startswith("Sorry, something went wrong on my side")
                and "try again" in refused.reply
            )

            chroma.start()  # back, on the same port and directory
            time.sleep(CHROMA_RETRY_S + 0.5)  # the store's back-off after a failure
            again = svc.ask("something from the 90s", user="ann", session="s1")
            assert again.error is None and again.items and MEMORY_QUEUED_NOTE not in again.reply
            assert svc.memory.pending_sync() == 0  # the outbox was flushed into Chroma
            assert _chroma_fact_ids(svc.memory, "ann") == _sql_fact_ids(svc.memory, "ann")
            assert {"dislikes romance"} <= {f.text for f in svc.memory.list_facts("ann")}

            recovered = other.ask("something funny", user="bob", session="s1")
            assert recovered.error is None and recovered.items  # the other replica recovers too
        finally:
            other.close()
        state = svc.get_state(user="ann", session="s1")
        assert state["turns"] == 3  # the conversation (in PostgreSQL) lost no turn
    finally:
        svc.close()


# ----------------------------------------------------------------------------- a process killed mid-turn
DRIVER = r"""
import json, sys
from ui.service import Service
from tools.settings import load_settings

user, session, start = sys.argv[1], sys.argv[2], int(sys.argv[3])
messages = json.loads(sys.argv[4])
svc = Service(load_settings())
svc.warm()
print(json.dumps({"ready": True}), flush=True)
for i, text in enumerate(messages[start:], start):
    print(json.dumps({"start": i}), flush=True)
    r = svc.ask(text, user=user, session=session)
    facts = sorted(f.id for f in svc.memory.list_facts(user))
    print(json.dumps({"done": i, "error": r.error, "facts": facts}), flush=True)
"""

MESSAGES = [
    "I loved Alien and The Matrix",
    "I hate romance movies",
    "no musicals please",
    "I already saw Toy Story",
    "I don't like westerns",
    "something from the 90s",
    "I enjoy movies by Christopher Nolan",
    "no documentaries",
    "more like Heat",
    "I dislike war movies",
]


def _run_driver_until_killed(
    env: dict[str, str], start: int, kill_at: int, delay: float, log: Path
) -> list[dict[str, Any]]:
    """Run turns from ``start`` in a subprocess and SIGKILL it ``delay`` s into turn ``kill_at``; the done lines."""
    full_env = {**os.environ, **env, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    with open(log, "ab") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", DRIVER, "kim", "s1", str(start), json.dumps(MESSAGES)],
            stdout=subprocess.PIPE,
            stderr=err,
            env=full_env,
            cwd=REPO,
            text=True,
        )
    done: list[dict[str, Any]] = []
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            event = json.loads(line)
            if "done" in event:
                done.append(event)
            if event.get("start") == kill_at:
                time.sleep(delay)
                proc.send_signal(signal.SIGKILL)
                break
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, (
        f"the driver ended on its own ({proc.returncode}):\n{servers.log_tail(log)}"
    )
    return done


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_process_killed_mid_turn_keeps_every_committed_turn_and_fact(
    backend: str, tmp_path: Path, pg: Any, chroma: Any, mini_data: Path
) -> None:
    from ui.service import Service

    home = tmp_path / "home"
    db = f"sqlite:///{home / 'crsagent.db'}" if backend == "sqlite" else pg.create_database("killed_mid_turn")
    env = _env(home, mini_data, db, chroma, f"killed_{backend}")
    _indexed(env)

    committed: list[dict[str, Any]] = []
    start = 0
    # kill at different moments of a turn: early (parse / recall) and late (execute / remember / checkpoint)
    for kill_at, delay in ((2, 0.02), (4, 0.2)):
        done = _run_driver_until_killed(env, start, kill_at, delay, tmp_path / "driver.log")
        assert [d["done"] for d in done] == list(range(start, kill_at))
        assert all(d["error"] is None for d in done), done
        committed.extend(done)
        start = kill_at + 1  # the killed turn's message is not re-sent: it may or may not have landed

    svc = Service(_settings(env))  # the restart
    try:
        state = svc.get_state(user="kim", session="s1")
        texts = [h.get("text") or h.get("content") for h in state["history"] if h.get("role") == "user"]
        for d in committed:  # every committed turn is in the conversation, in order
            assert MESSAGES[d["done"]] in texts
        positions = [texts.index(MESSAGES[d["done"]]) for d in committed]
        assert positions == sorted(positions)
        assert state["turns"] >= len(committed)

        facts = _sql_fact_ids(svc.memory, "kim")
        for d in committed:  # every memory fact a committed turn reported is still there
            assert set(d["facts"]) <= facts | _replaced_later(d, committed), d
        # no half-written rows: every fact's Chroma write is either done or still queued, and the queue drains
        svc.memory.flush_outbox(force=True)
        assert svc.memory.pending_sync() == 0
        assert _chroma_fact_ids(svc.memory, "kim") == facts
        feedback = svc.memory.list_feedback("kim")
        assert len({f["item_id"] for f in feedback}) == len(feedback)

        after = svc.ask("something with a twist", user="kim", session="s1")  # the conversation goes on
        assert after.error is None and after.reply  # (the fixture catalog may have nothing left that fits)
        assert svc.get_state(user="kim", session="s1")["turns"] == state["turns"] + 1
    finally:
        svc.close()


def _replaced_later(turn: dict[str, Any], committed: list[dict[str, Any]]) -> set[str]:
    """Facts of ``turn`` that a later committed turn no longer reported (a newer fact replaced them)."""
    later = [d for d in committed if d["done"] > turn["done"]]
    if not later:
        return set()
    return set(turn["facts"]) - set(later[-1]["facts"])


# ----------------------------------------------------------------------------- two processes, one user
WRITER = r"""
import json, os, sys, time
from memory.facts import FactIn
from memory.store import MemoryStore
from tools.settings import load_settings
from tools.toolkit import Toolkit

name, go = sys.argv[1], sys.argv[2]
topics = {"p1": ["volcanoes", "jazz", "bicycles", "tax law", "penguins", "origami", "glaciers", "opera"],
          "p2": ["sushi", "chess", "submarines", "tulips", "karate", "astronomy", "beekeeping", "pottery"]}[name]
store = MemoryStore(Toolkit(load_settings()))
store.toolkit.embedder.model  # load before the start signal
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.01)
genres = ["horror", "comedy", "drama", "crime", "western", "war", "romance", "music"]
for i, genre in enumerate(genres):
    store.remember_facts("same", [
        FactIn(f"dislikes {genre}", "dislike", f"genre:{genre}", -1, genre),  # both processes: stored once
        FactIn("watches with the kids on sundays"),                          # both processes: stored once
        FactIn(f"{name} remembers {topics[i]}"),                              # only this process
    ], session=name)
    store.record_feedback("same", 100 + i, "seen", session=name)
print("done", flush=True)
"""


def test_two_processes_write_the_same_users_memory_on_postgresql(
    tmp_path: Path, pg: Any, chroma: Any, mini_data: Path
) -> None:
    from memory.store import MemoryStore
    from tools.toolkit import Toolkit

    env = _env(tmp_path / "home", mini_data, pg.create_database("two_writers"), chroma, "two_writers")
    full_env = {**os.environ, **env, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, name, str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=full_env,
            cwd=REPO,
            text=True,
        )
        for name in ("p1", "p2")
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line.strip() == "ready", proc.stderr.read() if proc.stderr else ""
        go.touch()  # both start writing at the same moment
        outs = [proc.communicate(timeout=300) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=60)
    for proc, (out, err) in zip(procs, outs, strict=True):
        assert proc.returncode == 0 and out.strip() == "done", err[-3000:]

    store = MemoryStore(Toolkit(_settings(env)))
    facts = store.list_facts("same")
    genres = ["horror", "comedy", "drama", "crime", "western", "war", "romance", "music"]
    texts = sorted(f.text for f in facts)
    assert len(texts) == len(set(texts))  # nothing duplicated
    expected = {f"dislikes {g}" for g in genres} | {"watches with the kids on sundays"}
    topics = {
        "p1": ["volcanoes", "jazz", "bicycles", "tax law", "penguins", "origami", "glaciers", "opera"],
        "p2": ["sushi", "chess", "submarines", "tulips", "karate", "astronomy", "beekeeping", "pottery"],
    }
    expected |= {f"{p} remembers {t}" for p, ts in topics.items() for t in ts}
    assert set(texts) == expected  # nothing lost
    assert sorted(f.key for f in facts if f.key.startswith("genre:")) == sorted(f"genre:{g}" for g in genres)
    feedback = store.list_feedback("same")
    assert sorted(f["item_id"] for f in feedback) == [100 + i for i in range(len(genres))]
    store.flush_outbox(force=True)
    assert store.pending_sync() == 0
    assert _chroma_fact_ids(store, "same") == {f.id for f in facts}


# ----------------------------------------------------------------------------- replicas starting together
def test_replicas_starting_together_on_a_new_postgresql_database_all_get_the_schema(pg: Any) -> None:
    """Several app processes opening one new database at the same moment: one creates the schema, the others
    wait for it and accept it (none sees it half-made or 'unversioned')."""
    import threading

    from sqlalchemy import create_engine

    from tools.db.schema import current_revision, head_revision, init_db

    def open_db(engine: Any, delay: float, start: threading.Barrier, errors: list[BaseException]) -> None:
        start.wait()
        time.sleep(delay)  # staggered: some read the version while the first one is still creating tables
        try:
            init_db(engine)
        except BaseException as exc:  # collected and reported below
            errors.append(exc)

    for attempt in range(5):
        url = pg.create_database(f"schema_race_{attempt}")
        engines = [create_engine(url) for _ in range(8)]
        start = threading.Barrier(len(engines))
        errors: list[BaseException] = []

        threads = [
            threading.Thread(target=open_db, args=(engine, 0.02 * i, start, errors))
            for i, engine in enumerate(engines)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        try:
            assert errors == [], errors
            assert all(current_revision(engine) == head_revision() for engine in engines)
        finally:
            for engine in engines:
                engine.dispose()
