"""What the benchmark scripts share: throwaway databases, processes they start and stop, a loopback HTTP client,
hand-framed multipart bodies, /proc readers and py-spy. Plain Python and psycopg; Django only inside functions.

A script next to this file imports it as `harness`: run as `.venv/bin/python bench/<name>.py`, its own folder is
first on sys.path. A script that then puts the project root first (to import the apps) still finds it.
"""

import contextlib
import ctypes
import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
GUNICORN = VENV_BIN / "gunicorn"
ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
LOCAL_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
# The settings of a deployed server answering on loopback, over plain HTTP.
DEPLOYED = {"DEBUG": "0", "SECRET_KEY": "bench-only", "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "0"}
PR_SET_PDEATHSIG = 1


# --- the database ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Database:
    name: str
    url: str  # the server's URL with this database's name as its path


def postgres_server() -> str | None:
    """DATABASE_URL's server (default the local one), or None, said on stderr, when it is not PostgreSQL."""
    server = os.environ.get("DATABASE_URL", LOCAL_SERVER)
    if server.startswith("postgres"):
        return server
    print("DATABASE_URL must point at PostgreSQL", file=sys.stderr)
    return None


@contextlib.contextmanager
def throwaway_database(prefix: str, *, server: str = ADMIN_DSN, drop_timeout: float | None = None):
    """Creates `<prefix>_<pid>_<random>` on `server`'s PostgreSQL and drops it when the block ends, even on failure.

    With `drop_timeout` (seconds) the drop is bounded and a failed one only said: a DROP waits for every backend
    of the server to acknowledge it, so one stuck session of someone else's would otherwise hang the script."""
    parts = urlsplit(server)
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield Database(name, urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", "")))
    finally:
        options = "" if drop_timeout is None else f"-c statement_timeout={int(drop_timeout * 1000)}"
        try:
            with psycopg.connect(admin, autocommit=True, options=options) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        except psycopg.Error as exc:
            if drop_timeout is None:
                raise
            print(f"could not drop database {name} ({type(exc).__name__}: {exc}); drop it by hand", file=sys.stderr)


def setup_django(environ: dict[str, str], defaults: dict[str, str] | None = None) -> None:
    """Sets `environ` (and `defaults` where unset) in os.environ, sets Django up in this process and migrates."""
    os.environ.update(environ)
    for name, value in {**(defaults or {}), "DJANGO_SETTINGS_MODULE": "aegis.settings"}.items():
        os.environ.setdefault(name, value)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def bench_dataset(rows: Iterable[tuple], *, thresholds: dict[int, int], structure: list[str], name: str = "bench"):
    """The bench user (no credit limit) and its CUSTOM dataset of `rows` (tuples in RECORD_FIELDS order) written
    by COPY as an upload writes them, record_count set, in one transaction; returns (user, dataset)."""
    from django.db import transaction

    from accounts.models import User
    from datasets.ingest import write_records
    from datasets.models import Dataset, DatasetType

    user = User.objects.create_user(email="bench@aegis.local")
    with transaction.atomic():
        dataset = Dataset.objects.create(
            user=user,
            author_email=user.email,
            dataset_type=DatasetType.objects.get(name="CUSTOM"),
            name=name,
            selected_metrics={
                str(i): {"threshold": threshold, "metric_args": None} for i, threshold in thresholds.items()
            },
            structure=structure,
        )
        dataset.record_count = write_records(dataset_id=dataset.pk, user_id=user.pk, rows=rows)
        Dataset.objects.filter(pk=dataset.pk).update(record_count=dataset.record_count)
    return user, dataset


def close_django_connections() -> None:
    """Closes this process's Django connections (if Django got that far), so that its database can be dropped."""
    with contextlib.suppress(Exception):
        from django.db import connections

        connections.close_all()


def manage(env: dict[str, str], *args: str, cwd: Path = ROOT) -> str:
    """`manage.py <args>` of the tree at `cwd`, in a subprocess; its stdout, or a RuntimeError with its output."""
    done = subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


# --- processes -------------------------------------------------------------------------------------------------------


def _die_with_parent() -> None:
    """Runs in the child before exec: the kernel sends SIGTERM to it if the benchmark dies, even by SIGKILL."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start(command: list[str], *, cwd: Path, env: dict, log: Path, stdout=None) -> subprocess.Popen:
    """Starts `command` in a process group of its own (so that its children are stopped with it), dying with this
    process; its output goes to `log`, or only its stderr when `stdout` (e.g. subprocess.PIPE) is given."""
    with log.open("wb") as log_file:
        return subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=stdout if stdout is not None else log_file,
            stderr=log_file if stdout is not None else subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )


def stop(process: subprocess.Popen | None, *, grace: float, group: bool = False, signum: int = signal.SIGTERM) -> None:
    """Sends `signum`, and SIGKILL to whatever is left after `grace` seconds; reaps the process.

    With `group`, both go to its process group and the grace lasts until the whole group is gone (a pool child
    still shutting down could otherwise touch Redis after it was flushed)."""
    if process is None:
        return

    def send(number: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            if group:
                os.killpg(process.pid, number)
            else:
                process.send_signal(number)  # nothing once it is reaped

    def alive() -> bool:
        if process.poll() is None:  # also reaps the leader, so that a finished one does not count as alive
            return True
        if not group:
            return False
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return False
        return True

    send(signum)
    deadline = time.monotonic() + grace
    while alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    if alive():
        send(signal.SIGKILL)
    process.wait()


@contextlib.contextmanager
def py_spy(executable: Path, pid: int, output: Path | str | None, *, rate: int, idle: bool = False):
    """Records a py-spy profile (raw collapsed stacks; with `idle`, waits too) of `pid` while the block runs, when
    `output` is set."""
    if output is None:
        yield
        return
    command = [str(executable), "record", "--pid", str(pid), "--format", "raw", "--rate", str(rate)]
    command += ["--output", str(output), *(["--idle"] if idle else [])]
    recorder = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # attached before the clock starts
    try:
        yield
    finally:
        stop(recorder, grace=60, signum=signal.SIGINT)


# --- /proc -----------------------------------------------------------------------------------------------------------


def proc_status_kb(pid: int, field_name: str) -> int:
    """A kB field of /proc/<pid>/status (VmRSS, VmHWM...); OSError once the process is gone."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    raise LookupError(field_name)


def rss_kb(pid: int) -> int:
    """VmRSS of `pid`, 0 once it is gone."""
    try:
        return proc_status_kb(pid, "VmRSS")
    except (OSError, LookupError):
        return 0


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of `pid` so far; 0 once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    user, system = stat.rsplit(")", 1)[1].split()[11:13]
    return (int(user) + int(system)) / os.sysconf("SC_CLK_TCK")


def children_of(pid: int) -> list[int]:
    """The pids of `pid`'s children (a gunicorn master's workers, a Celery worker's pool); none once it is gone."""
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@contextlib.contextmanager
def peak_rss(pid: int, interval: float = 0.02):
    """Samples VmRSS of `pid` every `interval` seconds; the yielded dict's "kb" holds the peak when the block ends."""
    result = {"kb": proc_status_kb(pid, "VmRSS")}
    done = threading.Event()

    def sample():
        while not done.is_set():
            result["kb"] = max(result["kb"], proc_status_kb(pid, "VmRSS"))
            done.wait(interval)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield result
    finally:
        done.set()
        thread.join()


# --- HTTP on loopback ------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Reply:
    status: int
    seconds: float  # from the first byte sent to the last byte read
    body: bytes


def request(
    port: int, method: str, path: str, *, key: str, body: bytes = b"", headers=None, timeout: float = 120
) -> Reply:
    """One request on a new connection, as a client that does not keep it would send (a sync worker closes it)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        started = time.perf_counter()
        all_headers = {"Authorization": f"Bearer {key}", **(headers or {})}
        connection.request(method, path, body=body or None, headers=all_headers)
        response = connection.getresponse()
        data = response.read()
        return Reply(response.status, time.perf_counter() - started, data)
    finally:
        connection.close()


def multipart_framing(
    fields: dict[str, str], file_name: str, content_type: str = "text/csv"
) -> tuple[str, bytes, bytes]:
    """A multipart/form-data body around a file's content: the Content-Type header, the form fields and the file
    part's head sent before the content, and the closing tail sent after it."""
    boundary = f"aegis-bench-{uuid.uuid4().hex}"
    preamble = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{part}"\r\n\r\n{value}\r\n'
        for part, value in fields.items()
    )
    preamble += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    )
    return f"multipart/form-data; boundary={boundary}", preamble.encode(), f"\r\n--{boundary}--\r\n".encode()


# --- gunicorn --------------------------------------------------------------------------------------------------------


@dataclass
class Gunicorn:
    port: int
    master: subprocess.Popen
    log: Path
    workers: list[int] = field(default_factory=list)  # their pids, once it answers

    @property
    def worker(self) -> int:
        return self.workers[0]


@contextlib.contextmanager
def gunicorn(
    *,
    cwd: Path,
    env: dict,
    log: Path,
    key: str,
    workers: int = 1,
    timeout: int = 120,
    options: tuple[str, ...] = (),
    ready_path: str = "/api/v1/dataset-types",
) -> Iterator[Gunicorn]:
    """gunicorn serving the tree at `cwd` with `workers` sync workers on a free loopback port, once it answers
    `ready_path` with an authenticated 200. Stopped at the end; its log removed, or kept (and named) on failure."""
    port = free_port()
    command = [str(GUNICORN), "aegis.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    served = Gunicorn(port, start([*command, "--timeout", str(timeout), *options], cwd=cwd, env=env, log=log), log)
    try:
        served.workers = _wait_until_serving(served, key, ready_path, workers)
        yield served
    except BaseException:
        print(f"gunicorn log kept: {log}", file=sys.stderr)
        raise
    else:
        log.unlink(missing_ok=True)
    finally:
        stop(served.master, grace=30, group=True)


def _wait_until_serving(served: Gunicorn, key: str, path: str, workers: int, timeout: float = 60) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if served.master.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({served.master.returncode}); see {served.log}")
        with contextlib.suppress(OSError):
            if request(served.port, "GET", path, key=key).status == 200:
                children = children_of(served.master.pid)
                if len(children) == workers:
                    return children
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not become ready in {timeout:g}s; see {served.log}")


def unwind_on_sigterm() -> None:
    """A SIGTERM then unwinds like Ctrl-C, so that every clean-up of the script still runs."""

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
