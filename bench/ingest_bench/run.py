"""One run: generate the CSV, serve a throwaway database, upload and read over HTTP, then measure the floors."""

import argparse
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import harness
import psycopg
from harness import peak_rss, proc_status_kb

from ingest_bench import floors
from ingest_bench.client import SELECTED_METRICS, Reply, dataset_id_of, expect, get, multipart_upload
from ingest_bench.data import write_csv
from ingest_bench.environment import PY_SPY, gunicorn, prepare_app, server_env
from ingest_bench.report import Row

# Against the same-shape COPY; "minimal" also against the bare one (the targets).
TARGETS = {"minimal": 1.3, "minimal bare": 2.0, "full": 1.8, "chunked": 1.3, "get": 2.0}
UPLOADS = {  # mode: (label, Prefer: return=minimal, Transfer-Encoding: chunked)
    "minimal": ("Prefer: return=minimal", True, False),
    "full": ("full response", False, False),
    "chunked": ("chunked body, minimal", True, True),
}


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

        database = cleanup.enter_context(harness.throwaway_database("aegis_bench")).name
        env = server_env(database, Path(args.app_dir).resolve())
        key = prepare_app(env)
        log = Path(tempfile.gettempdir()) / f"{database}.gunicorn.log"
        server = cleanup.enter_context(gunicorn(env, key, log))
        db = cleanup.enter_context(psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{database}", autocommit=True))
        profile_dir = Path(args.profile_dir) if args.profile else None

        def profile(name: str):
            """py-spy recording the worker into a file named after `name`, with --profile."""
            output = profile_dir / f"aegis-bench-{args.rows}-{name}.txt" if profile_dir else None
            return harness.py_spy(PY_SPY, server.worker, output, rate=200)

        print(f"database {database}, gunicorn worker {server.worker} on :{server.port}", file=sys.stderr)
        rows.append(Row("worker RSS before the uploads", rss_kb=proc_status_kb(server.worker, "VmRSS")))

        uploads: dict[str, tuple[Reply, int, int | None]] = {}  # the fastest of --repeat for each mode
        stored: list[int] = []
        for attempt in range(args.repeat):
            for mode, (_, minimal, chunked) in UPLOADS.items():
                floors.checkpoint(db)
                fields = {"selected_metrics": SELECTED_METRICS, "name": f"bench-{mode}-{attempt}"}
                with profile(f"post-{mode}-{attempt}"), peak_rss(server.worker) as rss:
                    reply = multipart_upload(
                        server.port, key, csv_path, fields=fields, minimal=minimal, chunked=chunked
                    )
                if mode != "chunked":  # chunked bodies are reported, not required, so older trees can be measured
                    expect(reply, 201, f"POST ({mode})")
                uploaded = dataset_id_of(reply) if reply.status == 201 else None
                stored += [uploaded] if uploaded is not None else []
                if mode not in uploads or (uploaded is not None and reply.seconds < uploads[mode][0].seconds):
                    uploads[mode] = (reply, rss["kb"], uploaded)
                print(f"POST {mode}: HTTP {reply.status} in {reply.seconds:.2f}s", file=sys.stderr)
        page_ms, page_plan = floors.first_page_plan(db, uploads["full"][2])  # right after the load, no ANALYZE

        dataset_id = uploads["minimal"][2]
        user_id = db.execute("SELECT user_id FROM datasets_dataset WHERE id = %s", (dataset_id,)).fetchone()[0]
        for uploaded in stored:
            query = "SELECT count(*) FROM datasets_record WHERE dataset_id = %s"
            count = db.execute(query, (uploaded,)).fetchone()[0]
            if count != args.rows:
                raise RuntimeError(f"dataset {uploaded} has {count} records, expected {args.rows}")

        # The uploads just wrote millions of rows: vacuum now, so autovacuum does not run during a floor.
        db.execute("VACUUM datasets_record")
        same = floors.record_shape(db)
        measured: dict[str, float] = {}
        for kind, shape in floors.variants(same):
            seconds = float("inf")
            for _ in range(args.repeat):
                taken, copied = floors.measure_floor(db, shape, csv_path, dataset_id=dataset_id, user_id=user_id)
                if copied != args.rows:
                    raise RuntimeError(f"COPY loaded {copied} rows, expected {args.rows}")
                seconds = min(seconds, taken)
            measured.setdefault(kind, seconds)
            rows.append(Row(f"COPY FROM file, {kind}", seconds, size=csv_bytes, note=shape.label))
        same_seconds, bare_seconds = measured["same shape"], measured["bare"]
        for mode, (label, _, _) in UPLOADS.items():
            reply, rss_kb, _ = uploads[mode]
            note = f"body sent after {reply.sent:.2f} s" + (", bytes = response" if mode == "full" else "")
            if reply.status != 201:
                rows.append(Row(f"POST /datasets ({label})", note=f"HTTP {reply.status}: {reply.head[:80]!r}"))
                continue
            ratio = reply.seconds / same_seconds
            rows.append(
                Row(f"POST /datasets ({label})", reply.seconds, "same shape", ratio, TARGETS[mode], rss_kb,
                    reply.body_bytes, note)
            )  # fmt: skip
            if mode == "minimal":
                rows.append(
                    Row("  the same, against the bare COPY", reply.seconds, "bare", reply.seconds / bare_seconds,
                        TARGETS["minimal bare"])
                )  # fmt: skip

        floors.checkpoint(db)
        copy_out_seconds, copy_out_bytes = floors.copy_out_json(db, dataset_id)
        rows.append(Row("COPY TO STDOUT row_to_json (baseline)", copy_out_seconds, size=copy_out_bytes))
        with profile("get"), peak_rss(server.worker) as rss:
            reply = get(server.port, key, f"/api/v1/datasets/{dataset_id}")
        expect(reply, 200, "GET dataset")
        rows.append(
            Row("GET /datasets/{id}", reply.seconds, "COPY TO", reply.seconds / copy_out_seconds, TARGETS["get"],
                rss["kb"], reply.body_bytes)
        )  # fmt: skip

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
