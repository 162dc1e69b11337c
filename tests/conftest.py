"""Shared fixtures: a real crsagent home (SQLite + persistent Chroma + the bundled model) built once."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("CRSAGENT_SHARED_DATA", REPO.parent / "shared" / "data"))
SHARED_REASON = "needs ../shared/data (REDIAL/INSPIRED/MovieLens); absent in a user's clone"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The raw datasets beside the repository (always present in CI)."""
    if not SHARED_DATA.exists():
        pytest.skip(SHARED_REASON)
    return SHARED_DATA


@pytest.fixture(scope="session")
def built_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CRSAGENT_HOME with the shipped catalog indexed: real SQLite, real Chroma, real embedding model."""
    from tools.indexing import run_index
    from tools.settings import load_settings
    from tools.toolkit import Toolkit

    reuse = os.environ.get("CRSAGENT_TEST_HOME")  # developers may reuse an indexed home between runs
    home = Path(reuse) if reuse else tmp_path_factory.mktemp("crsagent-home")
    toolkit = Toolkit(load_settings(home=home))
    run_index(toolkit)
    return home


@pytest.fixture(scope="session")
def settings(built_home: Path):  # type: ignore[no-untyped-def]
    """Settings pointing at the built home (offline LLM)."""
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


# ----------------------------------------------------------------------------- the local LLM server
def _load_llm_server_helper():  # type: ignore[no-untyped-def]
    """tests/llm_server.py, loaded by path (the tests are not an installed package)."""
    import importlib.util
    import sys

    name = "crsagent_tests_llm_server"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("llm_server.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


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
