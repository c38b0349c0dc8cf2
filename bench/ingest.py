"""End-to-end benchmark of dataset CSV ingestion and retrieval, against PostgreSQL's own COPY.

    .venv/bin/python bench/ingest.py --rows 100000
    .venv/bin/python bench/ingest.py --rows 1000000 --profile   # also py-spy every request (times get noisier)
    .venv/bin/python bench/ingest.py --app-dir /tmp/aegis-src    # serve another tree (e.g. `git archive HEAD`)

It creates a throwaway database, migrates it, makes a user and an API key, starts gunicorn (one sync worker)
on a free loopback port, generates a CSV under /tmp, and then measures over real HTTP:

- POST /api/v1/datasets with `Prefer: return=minimal`, and again with the full (streamed) response,
  against `COPY ... FROM '<file>'` into a scratch table shaped like datasets_record (same columns, defaults,
  pk, (dataset_id, id) index and deferred foreign keys);
- GET /api/v1/datasets/{id} against `COPY (SELECT row_to_json(r) ...) TO STDOUT` of the same records;
- the first page of records (EXPLAIN ANALYZE of the LIMIT 100 query, and GET .../records if it exists);
- the worker's peak RSS during each request (VmRSS sampled every 20 ms) and its VmHWM at the end.

Everything it started is stopped and the database dropped at the end, even on failure.
"""

import argparse
import csv
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
PY_SPY = ROOT / ".venv" / "bin" / "py-spy"
ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
EMAIL = "bench@aegis.local"
FIELDS = ("prompt", "input", "context", "output", "golden_answer")
RECORD_COLUMNS = ("id", "user_id", "dataset_id", *FIELDS, "created_at", "updated_at")
SELECTED_METRICS = '{"1":{"threshold":70}}'
CHUNK = 1 << 20
TARGETS = {"minimal": 1.5, "full": 2.5, "get": 2.0}


# --- CSV -----------------------------------------------------------------------------------------------------------

WORDS = (
    "the", "model", "answer", "context", "retrieval", "latency", "prompt", "token", "grounded", "policy",
    "refund", "order", "customer", "account", "invoice", "shipping", "evaluation", "metric", "faithfulness",
    "relevance", "summary", "question", "document", "passage", "citation", "résumé", "naïve", "café",
)  # fmt: skip
PUNCTUATION = ("", "", "", "", ",", ".", ";", ' "quoted"', ", and", "'s")


def text_pool(rng: random.Random, size: int = 4096, length: int = 200) -> list[str]:
    """Sentences of about `length` characters, some with commas and double quotes so the CSV needs quoting."""
    pool = []
    for _ in range(size):
        words: list[str] = []
        while sum(len(word) + 1 for word in words) < length - 12:
            words.append(rng.choice(WORDS) + rng.choice(PUNCTUATION))
        pool.append(" ".join(words))
    return pool


def write_csv(path: Path, rows: int, seed: int = 7) -> None:
    """Streams `rows` rows of 5 ~200-character cells to `path` (world-readable, so the postgres server can COPY it)."""
    rng = random.Random(seed)
    pool = text_pool(rng)
    tmp = path.with_suffix(".partial")
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(FIELDS)
        for row in range(rows):
            picks = rng.choices(pool, k=5)
            writer.writerow([f"#{row} {text}" for text in picks])
    tmp.chmod(0o644)
    tmp.replace(path)


# --- HTTP ----------------------------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    seconds: float
    body_bytes: int
    head: bytes  # the first bytes of the body, for the dataset id and error messages
    sent: float | None = None  # seconds until the request body was fully sent (the server had read it)


def read_reply(connection: http.client.HTTPConnection, started: float, sent: float | None = None) -> Reply:
    response = connection.getresponse()
    head, total = b"", 0
    while chunk := response.read(CHUNK):
        if len(head) < 4096:
            head += chunk[: 4096 - len(head)]
        total += len(chunk)
    return Reply(response.status, time.perf_counter() - started, total, head, sent)


def multipart_upload(port: int, key: str, csv_path: Path, *, name: str, minimal: bool) -> Reply:
    """POST the CSV as multipart/form-data, framed by hand and sent in chunks (the file is never held in memory)."""
    boundary = f"aegis-bench-{uuid.uuid4().hex}"
    fields = {"selected_metrics": SELECTED_METRICS, "name": name}
    preamble = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{part}"\r\n\r\n{value}\r\n'
        for part, value in fields.items()
    )
    preamble += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{csv_path.name}"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    )
    head, tail = preamble.encode(), f"\r\n--{boundary}--\r\n".encode()
    headers = {
        "Authorization": f"Bearer {key}",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Content-Length": str(len(head) + csv_path.stat().st_size + len(tail)),
    }
    if minimal:
        headers["Prefer"] = "return=minimal"

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    try:
        started = time.perf_counter()
        connection.putrequest("POST", "/api/v1/datasets")
        for header, value in headers.items():
            connection.putheader(header, value)
        connection.endheaders(head)
        try:
            with csv_path.open("rb") as handle:
                while chunk := handle.read(CHUNK):
                    connection.send(chunk)
            connection.send(tail)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early (an error); read that answer below
        return read_reply(connection, started, time.perf_counter() - started)
    finally:
        connection.close()


def get(port: int, key: str, path: str) -> Reply:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    try:
        started = time.perf_counter()
        connection.request("GET", path, headers={"Authorization": f"Bearer {key}"})
        return read_reply(connection, started)
    finally:
        connection.close()


def expect(reply: Reply, status: int, what: str) -> None:
    if reply.status != status:
        raise RuntimeError(f"{what}: HTTP {reply.status}, expected {status}: {reply.head[:1000]!r}")


def dataset_id_of(reply: Reply) -> int:
    """The id is the first key of the streamed object: '{"id":123,...'."""
    text = reply.head.decode("utf-8", "replace")
    return int(text.split('"id":', 1)[1].split(",", 1)[0])


# --- Process memory ------------------------------------------------------------------------------------------------


def proc_status_kb(pid: int, field_name: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    raise LookupError(field_name)


@contextmanager
def peak_rss(pid: int, interval: float = 0.02):
    """Samples VmRSS of `pid` every `interval` seconds; the yielded dict's "kb" holds the peak when the block ends."""
    result = {"kb": proc_status_kb(pid, "VmRSS")}
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            result["kb"] = max(result["kb"], proc_status_kb(pid, "VmRSS"))
            stop.wait(interval)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield result
    finally:
        stop.set()
        thread.join()


@contextmanager
def py_spy(pid: int, output: Path | None):
    """Records a py-spy profile (collapsed stacks) of `pid` for the duration of the block, when `output` is set."""
    if output is None:
        yield
        return
    command = [str(PY_SPY), "record", "--pid", str(pid), "--format", "raw", "--output", str(output), "--rate", "200"]
    recorder = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1.0)  # let it attach before the request starts
    try:
        yield
    finally:
        recorder.send_signal(signal.SIGINT)
        try:
            recorder.wait(timeout=60)
        except subprocess.TimeoutExpired:
            recorder.kill()
            recorder.wait()


# --- Environment: database and server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def throwaway_database():
    name = f"aegis_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def server_env(database: str, app_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "x",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "MAX_UPLOAD_BYTES": "2000000000",
        "AEGIS_BENCH_APP_DIR": str(app_dir),
    }


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(PYTHON), "manage.py", *args],
        cwd=env["AEGIS_BENCH_APP_DIR"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def prepare_app(env: dict[str, str]) -> str:
    """Migrates, creates the bench user and returns a fresh API key."""
    manage(env, "migrate", "--noinput")
    manage(
        env, "shell", "-c", f"from accounts.models import User; User.objects.create_user(email='{EMAIL}', password='x')"
    )
    return manage(env, "create_api_key", EMAIL).strip().splitlines()[-1]


@dataclass
class Server:
    port: int
    master: subprocess.Popen
    log: Path
    worker: int = field(default=0)


@contextmanager
def gunicorn(env: dict[str, str], key: str, log: Path):
    port = free_port()
    command = [str(GUNICORN), "aegis.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "600"]
    with log.open("wb") as log_file:
        master = subprocess.Popen(
            command, cwd=env["AEGIS_BENCH_APP_DIR"], env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
    server = Server(port, master, log)
    try:
        server.worker = wait_until_ready(server, key)
        yield server
    except BaseException:
        print(f"gunicorn log kept: {log}", file=sys.stderr)
        raise
    else:
        log.unlink(missing_ok=True)
    finally:
        master.terminate()
        try:
            master.wait(timeout=30)
        except subprocess.TimeoutExpired:
            master.kill()
            master.wait()


def wait_until_ready(server: Server, key: str, timeout: float = 60) -> int:
    """Waits for an authenticated 200 from the API; returns the worker's pid (the master's only child)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.master.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({server.master.returncode}); see {server.log}")
        try:
            if get(server.port, key, "/api/v1/dataset-types").status == 200:
                children = Path(f"/proc/{server.master.pid}/task/{server.master.pid}/children").read_text().split()
                if len(children) == 1:
                    return int(children[0])
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not become ready in {timeout}s; see {server.log}")


# --- Database-side baselines ---------------------------------------------------------------------------------------


def checkpoint(db: psycopg.Connection) -> None:
    """Flushes dirty buffers so one measurement does not pay for the previous one's writes."""
    db.execute("CHECKPOINT")


def create_scratch_table(db: psycopg.Connection, *, dataset_id: int, user_id: int) -> None:
    """A table shaped like datasets_record: same columns, types, defaults, identity pk, (dataset_id, id) index and
    deferred foreign keys; dataset_id/user_id default to an existing dataset so the 5-column COPY fills them."""
    db.execute("DROP TABLE IF EXISTS bench_copy_baseline")
    db.execute("CREATE TABLE bench_copy_baseline (LIKE datasets_record INCLUDING ALL)")
    db.execute(
        sql.SQL(
            "ALTER TABLE bench_copy_baseline ALTER dataset_id SET DEFAULT {}, ALTER user_id SET DEFAULT {}, "
            "ADD FOREIGN KEY (dataset_id) REFERENCES datasets_dataset (id) DEFERRABLE INITIALLY DEFERRED, "
            "ADD FOREIGN KEY (user_id) REFERENCES accounts_user (id) DEFERRABLE INITIALLY DEFERRED"
        ).format(sql.Literal(dataset_id), sql.Literal(user_id))
    )


def copy_from_file(db: psycopg.Connection, csv_path: Path) -> tuple[float, int]:
    statement = sql.SQL("COPY bench_copy_baseline ({}) FROM {} WITH (FORMAT csv, HEADER true)").format(
        sql.SQL(", ").join(map(sql.Identifier, FIELDS)), sql.Literal(str(csv_path))
    )
    started = time.perf_counter()
    with db.transaction():
        rows = db.execute(statement).rowcount
    return time.perf_counter() - started, rows


def copy_out_json(db: psycopg.Connection, dataset_id: int) -> tuple[float, int]:
    statement = sql.SQL("COPY (SELECT row_to_json(r) FROM datasets_record r WHERE dataset_id = {}) TO STDOUT").format(
        sql.Literal(dataset_id)
    )
    total = 0
    started = time.perf_counter()
    with db.cursor() as cursor, cursor.copy(statement) as copy:
        for data in copy:
            total += len(data)
    return time.perf_counter() - started, total


def first_page_plan(db: psycopg.Connection, dataset_id: int) -> tuple[float, str]:
    """Execution time (ms) and the node types of EXPLAIN ANALYZE for the first 100 records of a dataset."""
    statement = sql.SQL(
        "EXPLAIN (ANALYZE, FORMAT JSON) SELECT {} FROM datasets_record WHERE dataset_id = {} ORDER BY id LIMIT 100"
    ).format(sql.SQL(", ").join(map(sql.Identifier, RECORD_COLUMNS)), sql.Literal(dataset_id))
    (result,) = db.execute(statement).fetchone()
    plan = result[0] if isinstance(result, list) else json.loads(result)[0]
    nodes, node = [], plan["Plan"]
    while node:
        nodes.append(node["Node Type"] + (f" on {node['Index Name']}" if "Index Name" in node else ""))
        node = (node.get("Plans") or [None])[0]
    return plan["Execution Time"], " > ".join(nodes)


# --- The run -------------------------------------------------------------------------------------------------------


@dataclass
class Row:
    what: str
    seconds: float | None = None
    baseline: str = ""
    ratio: float | None = None
    target: float | None = None
    rss_kb: int | None = None
    size: int | None = None
    note: str = ""


def run(args: argparse.Namespace) -> list[Row]:
    csv_path = Path(tempfile.gettempdir()) / f"aegis-bench-{args.rows}.csv"
    rows: list[Row] = []
    with ExitStack() as cleanup:
        if not (args.keep_csv and csv_path.exists()):
            started = time.perf_counter()
            write_csv(csv_path, args.rows)
            print(f"generated {csv_path} in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        if not args.keep_csv:
            cleanup.callback(csv_path.unlink, missing_ok=True)
        csv_bytes = csv_path.stat().st_size
        rows.append(Row(f"CSV: {args.rows:,} rows", size=csv_bytes))

        database = cleanup.enter_context(throwaway_database())
        env = server_env(database, Path(args.app_dir).resolve())
        key = prepare_app(env)
        log = Path(tempfile.gettempdir()) / f"{database}.gunicorn.log"
        server = cleanup.enter_context(gunicorn(env, key, log))
        db = cleanup.enter_context(psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{database}", autocommit=True))
        profile_dir = Path(args.profile_dir) if args.profile else None

        def profile(name: str) -> Path | None:
            return profile_dir / f"aegis-bench-{args.rows}-{name}.txt" if profile_dir else None

        print(f"database {database}, gunicorn worker {server.worker} on :{server.port}", file=sys.stderr)

        uploads = {}
        for mode in ("minimal", "full"):
            checkpoint(db)
            with py_spy(server.worker, profile(f"post-{mode}")), peak_rss(server.worker) as rss:
                reply = multipart_upload(server.port, key, csv_path, name=f"bench-{mode}", minimal=mode == "minimal")
            expect(reply, 201, f"POST ({mode})")
            uploads[mode] = (reply, rss["kb"], dataset_id_of(reply))
            print(f"POST {mode}: {reply.seconds:.2f}s", file=sys.stderr)
        page_ms, page_plan = first_page_plan(db, uploads["full"][2])  # right after the load, no ANALYZE

        dataset_id = uploads["minimal"][2]
        user_id = db.execute("SELECT user_id FROM datasets_dataset WHERE id = %s", (dataset_id,)).fetchone()[0]
        stored = db.execute("SELECT count(*) FROM datasets_record WHERE dataset_id = %s", (dataset_id,)).fetchone()[0]
        if stored != args.rows:
            raise RuntimeError(f"dataset {dataset_id} has {stored} records, expected {args.rows}")

        create_scratch_table(db, dataset_id=dataset_id, user_id=user_id)
        checkpoint(db)
        copy_seconds, copied = copy_from_file(db, csv_path)
        if copied != args.rows:
            raise RuntimeError(f"COPY loaded {copied} rows, expected {args.rows}")
        rows.append(Row("COPY FROM file (baseline)", copy_seconds, size=csv_bytes, note="scratch table, same shape"))
        for mode in ("minimal", "full"):
            reply, rss_kb, _ = uploads[mode]
            rows.append(
                Row(
                    f"POST /datasets ({'Prefer: return=minimal' if mode == 'minimal' else 'full response'})",
                    reply.seconds,
                    "COPY FROM",
                    reply.seconds / copy_seconds,
                    TARGETS[mode],
                    rss_kb,
                    reply.body_bytes,
                    f"body sent after {reply.sent:.2f} s" + (", bytes = response" if mode == "full" else ""),
                )
            )

        checkpoint(db)
        copy_out_seconds, copy_out_bytes = copy_out_json(db, dataset_id)
        rows.append(Row("COPY TO STDOUT row_to_json (baseline)", copy_out_seconds, size=copy_out_bytes))
        with py_spy(server.worker, profile("get")), peak_rss(server.worker) as rss:
            reply = get(server.port, key, f"/api/v1/datasets/{dataset_id}")
        expect(reply, 200, "GET dataset")
        rows.append(
            Row(
                "GET /datasets/{id}",
                reply.seconds,
                "COPY TO",
                reply.seconds / copy_out_seconds,
                TARGETS["get"],
                rss["kb"],
                reply.body_bytes,
            )
        )

        with peak_rss(server.worker) as rss:
            reply = get(server.port, key, f"/api/v1/datasets/{dataset_id}/records?page_size=100")
        if reply.status == 200:
            rows.append(
                Row("GET /datasets/{id}/records?page_size=100", reply.seconds, rss_kb=rss["kb"], size=reply.body_bytes)
            )
        else:
            rows.append(Row("GET /datasets/{id}/records", note=f"skipped: HTTP {reply.status}"))
        rows.append(Row("first page in DB: LIMIT 100 by id", page_ms / 1000, note=page_plan))
        rows.append(Row("worker VmHWM at end", rss_kb=proc_status_kb(server.worker, "VmHWM")))
    return rows


def print_table(rows: list[Row]) -> None:
    header = ("measurement", "time", "vs", "ratio", "target", "ok", "worker RSS", "bytes", "note")
    lines = [header]
    for row in rows:
        seconds = (
            "" if row.seconds is None else f"{row.seconds * 1000:.1f} ms" if row.seconds < 1 else f"{row.seconds:.2f} s"
        )
        ratio = "" if row.ratio is None else f"{row.ratio:.2f}x"
        target = "" if row.target is None else f"<={row.target}x"
        ok = "" if row.target is None else ("PASS" if row.ratio <= row.target else "MISS")
        rss = "" if row.rss_kb is None else f"{row.rss_kb / 1024:.0f} MB"
        size = (
            "" if row.size is None else f"{row.size / 1e6:,.1f} MB" if row.size >= 1e6 else f"{row.size / 1e3:.1f} kB"
        )
        lines.append((row.what, seconds, row.baseline, ratio, target, ok, rss, size, row.note))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for number, line in enumerate(lines):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
        if number == 0:
            print("  ".join("-" * width for width in widths))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=100_000, help="CSV data rows (100000 is about 105 MB)")
    parser.add_argument(
        "--app-dir", default=str(ROOT), help="the Aegis source tree to serve (default: this work tree's root)"
    )
    parser.add_argument("--keep-csv", action="store_true", help="keep the generated CSV, and reuse it if present")
    parser.add_argument("--profile", action="store_true", help="record py-spy profiles of the worker per request")
    parser.add_argument("--profile-dir", default=tempfile.gettempdir(), help="where --profile writes (default /tmp)")
    args = parser.parse_args()
    if args.profile and not shutil.which(str(PY_SPY)):
        parser.error(f"--profile needs py-spy: {PYTHON.parent / 'pip'} install py-spy")
    print_table(run(args))


if __name__ == "__main__":
    main()
