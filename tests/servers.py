"""Real database servers for the tests: a throwaway PostgreSQL cluster and a ``chroma run`` server.

Both listen on 127.0.0.1 only, on a free port, with their files in a temp dir, and are stopped (and the
files removed) at the end. When one cannot start, :class:`ServerFailed` says why with the tail of its log;
nothing is skipped silently.

PostgreSQL: the binaries are found on PATH (``initdb``, ``pg_ctl``) or in Debian's
``/usr/lib/postgresql/<version>/bin`` (``apt-get install postgresql``; ``make dev`` installs it as root).
PostgreSQL refuses to run as root: as root the cluster runs as the ``postgres`` OS user (created by the
Debian package) through ``runuser``. The cluster trusts local TCP connections (127.0.0.1 only) and runs
with ``fsync=off`` (a throwaway cluster: the tests crash clients, never the database server).

Server mode (``CRSAGENT_TEST_SERVERS=1``, see tests/conftest.py): a :class:`Router` sends every crsagent
``Settings`` that would use embedded storage (no ``DATABASE_URL`` / ``CHROMA_URL``) to the servers, one
PostgreSQL database and one Chroma database per ``CRSAGENT_HOME`` (created on first use), so homes stay as
isolated as their embedded SQLite file and Chroma directory are. Subprocesses (``crsagent ...`` run by the
tests) get the same routing through a ``sitecustomize`` module on ``PYTHONPATH`` (:func:`subprocess_hook_dir`).
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

READY_TIMEOUT_S = 90.0
#: Environment variable carrying the routing of server mode to subprocesses (JSON: pg, chroma).
ROUTES_ENV = "CRSAGENT_TEST_SERVER_ROUTES"


class ServerFailed(RuntimeError):
    """A server could not be installed, started or reached; the message says why (with its log's tail)."""


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def log_tail(path: Path, lines: int = 30) -> str:
    """The last lines of a log file (or a note that there is none)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


# ----------------------------------------------------------------------------- PostgreSQL
def postgres_bin_dir() -> Path:
    """The directory of ``initdb`` / ``pg_ctl``: PATH first, then Debian's /usr/lib/postgresql/*/bin."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if candidates:
        return Path(candidates[-1]).parent
    raise ServerFailed(
        "PostgreSQL is not installed (no initdb on PATH or in /usr/lib/postgresql/*/bin): "
        "run `make dev` as root or `sudo apt-get install postgresql`"
    )


def _run_as() -> list[str]:
    """The command prefix that runs PostgreSQL as a non-root user (empty when not root)."""
    if os.geteuid() != 0:
        return []
    import pwd

    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise ServerFailed(
            "running as root and there is no `postgres` OS user to run PostgreSQL as "
            "(Debian's postgresql package creates it)"
        ) from exc
    runuser = shutil.which("runuser")
    if runuser is None:
        raise ServerFailed(
            "running as root and `runuser` is missing: cannot start PostgreSQL as the postgres user"
        )
    return [runuser, "-u", "postgres", "--"]


class Postgres:
    """A throwaway PostgreSQL cluster on 127.0.0.1 (superuser ``postgres``, trust auth)."""

    def __init__(self) -> None:
        self.bin = postgres_bin_dir()
        self.prefix = _run_as()
        # Not under pytest's tmp_path: that is private to the test user, and the server may run as `postgres`.
        self.root = Path(tempfile.mkdtemp(prefix="crsagent-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port = 0
        self._created: set[str] = set()
        self._lock = threading.Lock()
        if self.prefix:
            shutil.chown(self.root, "postgres", "postgres")
        os.chmod(self.root, 0o755)  # noqa: S103 - the test user reads the log

    def _pg(
        self, tool: str, *args: str, timeout: float = READY_TIMEOUT_S
    ) -> subprocess.CompletedProcess[str]:
        cmd = [*self.prefix, str(self.bin / tool), *args]
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ServerFailed(f"{tool} failed: {exc}\n{log_tail(self.log)}") from exc

    def start(self) -> None:
        """initdb (first time) and start the cluster; waits until it accepts connections."""
        if not self.data.exists():
            out = self._pg(
                "initdb",
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            )
            if out.returncode != 0:
                raise ServerFailed(
                    f"initdb failed (exit {out.returncode}):\n{out.stdout[-2000:]}{out.stderr[-2000:]}"
                )
        self.port = self.port or free_port()
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {self.root} -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=400 -c shared_buffers=64MB"
        )
        out = self._pg(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-t",
            str(int(READY_TIMEOUT_S)),
            "-o",
            options,
            "start",
        )
        if out.returncode != 0:
            raise ServerFailed(
                f"PostgreSQL did not start on 127.0.0.1:{self.port} (pg_ctl exit {out.returncode}: "
                f"{out.stderr.strip()[-500:]}); server log:\n{log_tail(self.log)}"
            )
        try:
            self.execute("SELECT 1")
        except Exception as exc:
            raise ServerFailed(
                f"PostgreSQL started but does not answer on 127.0.0.1:{self.port} ({exc}); "
                f"server log:\n{log_tail(self.log)}"
            ) from exc

    def stop(self) -> None:
        """Stop the cluster (fast shutdown)."""
        if self.data.exists():
            self._pg("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", timeout=60)

    def cleanup(self) -> None:
        """Stop and remove the cluster's files."""
        with contextlib.suppress(ServerFailed):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres", driver: str = "postgresql+psycopg") -> str:
        """The SQLAlchemy URL of one database of the cluster."""
        return f"{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str, database: str = "postgres") -> list[tuple[Any, ...]]:
        """Run one statement (autocommit) and return its rows."""
        import psycopg

        with psycopg.connect(
            self.url(database, driver="postgresql"), autocommit=True, connect_timeout=10
        ) as conn:
            cur = conn.execute(sql)  # type: ignore[arg-type]
            return list(cur.fetchall()) if cur.description else []

    def create_database(self, name: str) -> str:
        """Create the database if it does not exist (safe across processes); returns its URL."""
        import psycopg

        with self._lock:
            if name not in self._created:
                try:
                    self.execute(f'CREATE DATABASE "{name}"')
                except psycopg.errors.DuplicateDatabase:
                    pass
                except psycopg.errors.UniqueViolation:  # two processes creating it at the same moment
                    pass
                self._created.add(name)
        return self.url(name)


# ----------------------------------------------------------------------------- Chroma
def chroma_executable() -> str:
    """The ``chroma`` command of this environment (chromadb's CLI)."""
    beside = Path(sys.executable).with_name("chroma")
    if beside.exists():
        return str(beside)
    found = shutil.which("chroma")
    if found is None:
        raise ServerFailed("the `chroma` command (from the chromadb package) is not installed")
    return found


class ChromaServer:
    """``chroma run`` on 127.0.0.1 over a directory; can be stopped and started again on the same port."""

    def __init__(self, path: Path | None = None, port: int | None = None) -> None:
        self.own_dir = path is None
        self.path = path or Path(tempfile.mkdtemp(prefix="crsagent-chroma-"))
        self.log = self.path.parent / f"{self.path.name}.chroma.log"
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        """Whether the heartbeat endpoint answers."""
        try:
            with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=2):  # noqa: S310 - local server
                return True
        except (urllib.error.URLError, OSError):
            return False

    def start(self) -> None:
        """Start the server and wait until its heartbeat answers."""
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
        env.pop(ROUTES_ENV, None)  # the server's own Python needs no routing
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [
                    chroma_executable(),
                    "run",
                    "--path",
                    str(self.path),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self.alive():
            if self.process.poll() is not None:
                raise ServerFailed(
                    f"chroma run exited with {self.process.returncode} on 127.0.0.1:{self.port}; "
                    f"its log:\n{log_tail(self.log)}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise ServerFailed(
                    f"chroma run did not answer on {self.url} within {READY_TIMEOUT_S:.0f}s; "
                    f"its log:\n{log_tail(self.log)}"
                )
            time.sleep(0.2)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the server (SIGTERM; SIGKILL after 20 s) and wait until the port is closed."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        self.process = None

    def cleanup(self) -> None:
        """Stop and remove the server's files (when it made its own directory)."""
        self.stop()
        if self.own_dir:
            shutil.rmtree(self.path, ignore_errors=True)
            with contextlib.suppress(OSError):
                self.log.unlink()

    def create_database(self, name: str) -> None:
        """Create a database in the default tenant (nothing when it exists)."""
        create_chroma_database(self.port, name)


def create_chroma_database(port: int, name: str) -> None:
    """Create a database in the default tenant of the Chroma server on 127.0.0.1:port (nothing when it exists)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    admin = chromadb.AdminClient(
        ChromaSettings(
            chroma_api_impl="chromadb.api.fastapi.FastAPI",
            chroma_server_host="127.0.0.1",
            chroma_server_http_port=port,
            anonymized_telemetry=False,
        )
    )
    try:
        admin.get_database(name)
    except Exception:  # chromadb raises NotFoundError (or a ValueError on older versions)
        try:
            admin.create_database(name)
        except Exception as exc:  # another process created it in between
            if "already exists" not in str(exc).lower():
                raise


# ----------------------------------------------------------------------------- both, and the routing
@contextlib.contextmanager
def running_servers() -> Iterator[tuple[Postgres, ChromaServer]]:
    """A started PostgreSQL cluster and Chroma server, cleaned up afterwards."""
    pg = Postgres()
    chroma = ChromaServer()
    try:
        pg.start()
        chroma.start()
        yield pg, chroma
    finally:
        chroma.cleanup()
        pg.cleanup()


def home_key(home: Path) -> str:
    """The database name (PostgreSQL and Chroma) of one CRSAGENT_HOME."""
    return "h_" + hashlib.sha1(str(Path(home).expanduser().resolve()).encode()).hexdigest()[:24]  # noqa: S324


class Router:
    """Sends embedded-storage settings to the servers: one PostgreSQL + one Chroma database per home."""

    def __init__(self, pg_base_url: str, chroma_url: str) -> None:
        self.pg_base_url = pg_base_url.rsplit("/", 1)[0]  # postgresql+psycopg://postgres@127.0.0.1:PORT
        self.chroma_url = chroma_url
        self.enabled = True
        self._made: set[str] = set()
        self._lock = threading.Lock()

    @classmethod
    def from_servers(cls, pg: Postgres, chroma: ChromaServer) -> Router:
        return cls(pg.url(), chroma.url)

    def env_value(self) -> str:
        return json.dumps({"pg": self.pg_base_url, "chroma": self.chroma_url})

    def _ensure(self, name: str) -> None:
        with self._lock:
            if name in self._made:
                return
            import psycopg

            with psycopg.connect(
                f"{self.pg_base_url.replace('+psycopg', '')}/postgres", autocommit=True
            ) as conn:
                exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
                if not exists:
                    with contextlib.suppress(
                        psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation
                    ):
                        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
            self._made.add(name)  # the Chroma database is created by crsagent's chroma_client on first use

    def route(self, settings: Any) -> None:
        """Point ``settings`` at the servers, each part unless it names its own (``DATABASE_URL``, ``CHROMA_URL``)."""
        if not self.enabled:
            return
        name = home_key(settings.home)
        if settings.database_url is None:
            self._ensure(name)
            settings.database_url = f"{self.pg_base_url}/{name}"
        if settings.chroma_url is None:
            settings.chroma_url = self.chroma_url
            settings.chroma_database = name

    def install(self) -> None:
        """Route every ``tools.settings.Settings`` created from now on in this process."""
        from tools.settings import Settings

        original = Settings.__dict__["model_post_init"]
        original = getattr(original, "_crsagent_original", original)
        router = self

        def model_post_init(self: Any, context: object) -> None:
            original(self, context)
            router.route(self)

        model_post_init._crsagent_original = original  # type: ignore[attr-defined]
        Settings.model_post_init = model_post_init  # type: ignore[method-assign]

    @staticmethod
    def uninstall() -> None:
        from tools.settings import Settings

        current = Settings.__dict__["model_post_init"]
        original = getattr(current, "_crsagent_original", None)
        if original is not None:
            Settings.model_post_init = original  # type: ignore[method-assign]


SITECUSTOMIZE = '''\
"""Written by tests/servers.py: routes crsagent subprocesses of a server-mode test run to the test servers."""
import importlib.util, os, sys
_spec = importlib.util.spec_from_file_location("crsagent_tests_servers", {servers!r})
_mod = importlib.util.module_from_spec(_spec)
sys.modules["crsagent_tests_servers"] = _mod
_spec.loader.exec_module(_mod)
_mod.install_from_env()
'''


def subprocess_hook_dir(root: Path) -> Path:
    """A directory holding a ``sitecustomize.py`` that installs the routing in every Python subprocess
    started with it on ``PYTHONPATH`` and ``CRSAGENT_TEST_SERVER_ROUTES`` in its environment."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "sitecustomize.py").write_text(SITECUSTOMIZE.format(servers=str(Path(__file__).resolve())))
    return root


def install_from_env() -> None:
    """In a subprocess: install the routing described by ``CRSAGENT_TEST_SERVER_ROUTES`` (if set)."""
    raw = os.environ.get(ROUTES_ENV)
    if not raw:
        return
    routes = json.loads(raw)
    try:
        import tools.settings  # noqa: F401 - only crsagent processes are routed
    except ImportError:
        return
    Router(routes["pg"] + "/postgres", routes["chroma"]).install()
