"""Validate-only uploads (POST /datasets with dry_run=true) over real HTTP: time and the worker's memory by size.

    .venv/bin/python bench/dry_run.py --rows 1000000            # checks 100,000 and 1,000,000 rows (~1.05 GB)
    .venv/bin/python bench/dry_run.py --rows 1000000 --keep-csv # reuse /tmp/aegis-bench-<rows>.csv next time

A dry run reads and checks every row as an upload does and stores nothing, so its memory must not grow with the
file. The script uses bench/ingest.py's set-up (bench/ingest_bench, bench/harness.py: a throwaway PostgreSQL
database, one gunicorn sync worker on a free loopback port, the same generated CSV, a hand-framed multipart body
sent in chunks), sends a dry run of a file with a tenth of the rows and then of the whole file, and prints for
each the time, rows per second and the worker's peak VmRSS during the request. Memory is flat when the two peaks
agree. Everything it started is stopped and the database dropped at the end, even on failure.
"""

import argparse
import json
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: ingest_bench sits next to it

import harness  # noqa: E402
import psycopg  # noqa: E402
from ingest_bench.client import SELECTED_METRICS, expect, multipart_upload  # noqa: E402
from ingest_bench.data import write_csv  # noqa: E402
from ingest_bench.environment import ROOT, gunicorn, prepare_app, server_env  # noqa: E402


def run(args: argparse.Namespace) -> list[tuple]:
    results = []
    with ExitStack() as cleanup:
        database = cleanup.enter_context(harness.throwaway_database("aegis_bench")).name
        env = server_env(database, ROOT)
        key = prepare_app(env)
        log = Path(tempfile.gettempdir()) / f"{database}.gunicorn.log"
        server = cleanup.enter_context(gunicorn(env, key, log))
        print(f"database {database}, gunicorn worker {server.worker} on :{server.port}", file=sys.stderr)
        for rows in (args.rows // 10, args.rows):
            csv_path = Path(tempfile.gettempdir()) / f"aegis-bench-{rows}.csv"
            if not (args.keep_csv and csv_path.exists()):
                started = time.perf_counter()
                write_csv(csv_path, rows)
                print(f"generated {csv_path} in {time.perf_counter() - started:.1f}s", file=sys.stderr)
            if not args.keep_csv:
                cleanup.callback(csv_path.unlink, missing_ok=True)
            fields = {"selected_metrics": SELECTED_METRICS, "dry_run": "true"}
            with harness.peak_rss(server.worker) as rss:
                reply = multipart_upload(server.port, key, csv_path, fields=fields)
            expect(reply, 200, f"dry run of {rows} rows")
            report = json.loads(reply.head) if reply.body_bytes <= len(reply.head) else {}
            if report.get("row_count") != rows or report.get("valid") is not True:
                raise RuntimeError(f"unexpected dry-run answer: {reply.head[:1000]!r}")
            with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{database}") as db:
                stored = db.execute("SELECT count(*) FROM datasets_record").fetchone()[0]
            if stored != 0:
                raise RuntimeError("a dry run stored records")
            results.append((rows, csv_path.stat().st_size, reply.seconds, rss["kb"]))
        results.append(("VmHWM", None, None, harness.proc_status_kb(server.worker, "VmHWM")))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the larger file (a tenth is run first)")
    parser.add_argument("--keep-csv", action="store_true", help="keep the generated CSVs, and reuse them if present")
    results = run(parser.parse_args())
    print(f"{'rows':>10}  {'file':>10}  {'time':>8}  {'rows/s':>9}  worker peak RSS")
    for rows, size, seconds, rss_kb in results:
        if seconds is None:
            print(f"{rows:>10}  {'':>10}  {'':>8}  {'':>9}  {rss_kb / 1024:.0f} MB (VmHWM at the end)")
            continue
        print(f"{rows:>10,}  {size / 1e6:>7.1f} MB  {seconds:>6.1f} s  {rows / seconds:>9,.0f}  {rss_kb / 1024:.0f} MB")


if __name__ == "__main__":
    main()
