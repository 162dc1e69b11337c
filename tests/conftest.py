"""Shared fixtures: a real crsagent home (SQLite + persistent Chroma + the bundled model) built once.

Server mode (``CRSAGENT_TEST_SERVERS=1``, the second pass of ``make test``): the same suite runs against a
real PostgreSQL cluster and a real ``chroma run`` server started for the session on 127.0.0.1
(tests/servers.py). Every crsagent ``Settings`` created without its own ``DATABASE_URL`` / ``CHROMA_URL`` --
in this process and in ``crsagent`` subprocesses -- goes to its own PostgreSQL database and Chroma database,
one per ``CRSAGENT_HOME``. If the servers cannot start, the run stops with their log; nothing is skipped.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from memory.store import MemoryStore
    from tools.embeddings import Embedder
    from tools.toolkit import Toolkit

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
SERVER_MODE = os.environ.get("CRSAGENT_TEST_SERVERS", "") not in ("", "0")

#: Tests about embedded storage itself (the files under CRSAGENT_HOME); server mode skips them, saying why.
#: Tests that touch storage (the database, the vector store, persisted sessions and memory), by module or
#: test: marked ``storage``, they run in both passes of ``make test``; the server-mode pass runs only these
#: (``pytest -m storage``). Every other test's result does not depend on where the data lives. The fault
#: tests (tests/test_faults_servers.py) start their own servers, so the first pass covers them.
STORAGE_MODULES = (
    "tests/agent/test_conversation.py",
    "tests/memory/test_hooks.py",
    "tests/memory/test_policy_service.py",
    "tests/memory/test_store.py",
    "tests/test_hostile.py::test_service_never_crashes_and_stays_grounded",
    "tests/test_hostile.py::test_web_api_and_handlers_with_hostile_input",
    "tests/test_settings.py",
    "tests/tools/db/",
    "tests/tools/recommenders/test_training.py",
    "tests/tools/test_catalog.py",
    "tests/tools/test_hard_filter.py",
    "tests/tools/test_hard_filter_metadata.py",
    "tests/tools/test_item_index.py",
    "tests/tools/test_shipped_vectors.py",
    "tests/ui/cli/test_ask.py",
    "tests/ui/cli/test_catalog.py",
    "tests/ui/cli/test_chat.py",
    "tests/ui/cli/test_common.py",
    "tests/ui/cli/test_db.py",
    "tests/ui/cli/test_index.py",
    "tests/ui/cli/test_memory.py",
    "tests/ui/test_load.py",
    "tests/ui/web/test_handlers.py",
)

EMBEDDED_ONLY = {
    "tests/test_settings.py::test_defaults_and_derived_paths": "checks the embedded defaults (SQLite file, Chroma dir)",
    "tests/tools/db/test_engine.py::test_unwritable_home_is_a_clear_error": "the SQLite file needs a writable home",
    "tests/ui/cli/test_common.py::test_unwritable_home": "the SQLite file needs a writable home",
}


def _load_helper(name: str, filename: str):  # type: ignore[no-untyped-def]
    """A helper module of tests/, loaded by path (the tests are not an installed package)."""
    import importlib.util
    import sys

    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(filename))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def pytest_configure(config: pytest.Config) -> None:
    """In server mode: start PostgreSQL and Chroma for the whole session and route every home to them."""
    if not SERVER_MODE or hasattr(config, "_crsagent_servers"):
        return
    import tempfile
    import time

    servers = _load_helper("crsagent_tests_servers", "servers.py")
    t0 = time.monotonic()
    stack = contextlib.ExitStack()
    try:
        pg, chroma = stack.enter_context(servers.running_servers())
    except servers.ServerFailed as exc:
        stack.close()
        pytest.exit(
            f"server mode (CRSAGENT_TEST_SERVERS=1): the test servers could not start: {exc}", returncode=1
        )
    router = servers.Router.from_servers(pg, chroma)
    router.install()
    hook_dir = servers.subprocess_hook_dir(Path(tempfile.mkdtemp(prefix="crsagent-route-")))
    stack.callback(shutil.rmtree, hook_dir, True)
    os.environ[servers.ROUTES_ENV] = router.env_value()
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(hook_dir), os.environ.get("PYTHONPATH", "")) if p
    )
    config._crsagent_servers = (stack, router, pg, chroma)  # type: ignore[attr-defined]
    import atexit
    import signal

    atexit.register(stack.close)  # also when the session ends abnormally

    def _terminated(signum: int, frame: object) -> None:  # `kill PID` / CI cancel: unwind, stop the servers
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, _terminated)
    config._crsagent_servers_note = (  # type: ignore[attr-defined]
        f"server mode: PostgreSQL {pg.url()} and Chroma {chroma.url} up in {time.monotonic() - t0:.1f}s"
    )


def pytest_report_header(config: pytest.Config) -> str | None:
    return getattr(config, "_crsagent_servers_note", None)


def pytest_unconfigure(config: pytest.Config) -> None:
    held = getattr(config, "_crsagent_servers", None)
    if held is not None:
        held[1].uninstall()
        held[0].close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith(STORAGE_MODULES):
            item.add_marker(pytest.mark.storage)
        reason = EMBEDDED_ONLY.get(item.nodeid.split("[")[0]) if SERVER_MODE else None
        if reason:
            item.add_marker(pytest.mark.skip(reason=f"embedded mode only: {reason}"))


@pytest.fixture(autouse=True)
def _still_routed_to_the_servers() -> Iterator[None]:
    """Server mode: fail the test that left ``tools.settings.Settings`` unrouted (e.g. by reloading the module),
    since every later test would silently fall back to embedded storage."""
    yield
    if SERVER_MODE:
        from tools.settings import Settings

        hook = Settings.__dict__.get("model_post_init")
        assert hasattr(hook, "_crsagent_original"), (
            "this test replaced tools.settings.Settings: later tests would not reach the servers"
        )


SHARED_DATA = Path(os.environ.get("CRSAGENT_SHARED_DATA", REPO.parent / "shared" / "data"))
SHARED_REASON = "needs ../shared/data (REDIAL/INSPIRED/MovieLens); absent in a user's clone"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The raw datasets beside the repository (always present in CI)."""
    if not SHARED_DATA.exists():
        pytest.skip(SHARED_REASON)
    return SHARED_DATA


@pytest.fixture(scope="session")
def _indexed(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The session's index of the shipped catalog: (home, what ``run_index`` reported)."""
    from tools.indexing import run_index
    from tools.settings import load_settings
    from tools.toolkit import Toolkit

    reuse = os.environ.get("CRSAGENT_TEST_HOME")  # developers may reuse an indexed home between runs
    if SERVER_MODE:  # the session's servers are new: index into them (the home only keeps models)
        reuse = None
    home = Path(reuse) if reuse else tmp_path_factory.mktemp("crsagent-home")
    toolkit = Toolkit(load_settings(home=home))
    return home, run_index(toolkit)


@pytest.fixture(scope="session")
def built_home(_indexed) -> Path:  # type: ignore[no-untyped-def]
    """A CRSAGENT_HOME with the shipped catalog indexed: real SQLite, real Chroma, real embedding model."""
    return _indexed[0]


@pytest.fixture(scope="session")
def index_summary(_indexed):  # type: ignore[no-untyped-def]
    """What indexing the shipped catalog into :func:`built_home` did (a fresh home: everything new)."""
    if os.environ.get("CRSAGENT_TEST_HOME") and not SERVER_MODE:
        pytest.skip("CRSAGENT_TEST_HOME reuses an indexed home: this session indexed nothing")
    return _indexed[1]


@pytest.fixture(scope="session")
def settings(built_home: Path):  # type: ignore[no-untyped-def]
    """Settings pointing at the built home (offline LLM); in server mode, at its databases on the servers."""
    from tools.settings import load_settings

    return load_settings(home=built_home, llm="offline", database_url=None, chroma_url=None)


@pytest.fixture(scope="session")
def service(settings):  # type: ignore[no-untyped-def]
    """One warmed-up service over the built home, shared by the integration tests."""
    from ui.service import Service

    svc = Service(settings)
    svc.warm()
    yield svc
    svc.close()


@pytest.fixture()
def fresh_user(request: pytest.FixtureRequest) -> Iterator[str]:
    """A user id unique to the test."""
    yield f"user-{request.node.name}"


# ----------------------------------------------------------------------------- memory stores over fresh homes
# (used by tests/memory and tests/ui/cli; the project is imported inside the fixtures, as above, so that the
# environment set at the top of this file comes first)
@pytest.fixture(scope="session")
def shared_embedder() -> Embedder:
    """The bundled all-MiniLM-L6-v2, loaded once for every memory test."""
    from tools.embeddings import Embedder
    from tools.settings import load_settings

    embedder = Embedder(load_settings())
    _ = embedder.model
    return embedder


@pytest.fixture()
def make_toolkit(shared_embedder: Embedder) -> Callable[..., Toolkit]:
    """A toolkit over a home directory (SQLite + embedded Chroma there), sharing the loaded model."""
    from tools.settings import load_settings
    from tools.toolkit import Toolkit

    def make(home: Path, **overrides: Any) -> Toolkit:
        settings = load_settings(
            **{"home": home, "database_url": None, "chroma_path": None, "chroma_url": None, **overrides}
        )
        toolkit = Toolkit(settings)
        toolkit.__dict__["embedder"] = shared_embedder  # the cached_property's slot: no second model load
        return toolkit

    return make


@pytest.fixture()
def store(tmp_path: Path, make_toolkit: Callable[..., Toolkit]) -> MemoryStore:
    """A memory store over a fresh home."""
    from memory.store import MemoryStore

    return MemoryStore(make_toolkit(tmp_path / "home"))


# ----------------------------------------------------------------------------- the local LLM server
def _load_llm_server_helper():  # type: ignore[no-untyped-def]
    """tests/llm_server.py, loaded by path (the tests are not an installed package)."""
    return _load_helper("crsagent_tests_llm_server", "llm_server.py")


@pytest.fixture(scope="session")
def llm_server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A real OpenAI-compatible server (``transformers serve`` + SmolLM2-135M-Instruct) on 127.0.0.1, one
    per test session. Yields an object with ``base_url`` (``http://127.0.0.1:PORT/v1``) and ``model``.

    Skips only when the dev extra is not installed (a user's plain clone; never in CI); any other failure
    to start fails the tests that use it, with the server's log."""
    helper = _load_llm_server_helper()
    try:
        helper.check_installed()
    except helper.DevExtraMissing as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the LLM tests: {exc}", pytrace=False)
        pytest.skip(str(exc))
    try:
        with helper.running_server(tmp_path_factory.mktemp("llm-server")) as server:
            yield server
    except helper.ServerFailed as exc:
        pytest.fail(f"the local LLM test server could not start: {exc}", pytrace=False)
