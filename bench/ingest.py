"""End-to-end benchmark of dataset CSV ingestion and retrieval, against PostgreSQL's own COPY.

    .venv/bin/python bench/ingest.py --rows 100000
    .venv/bin/python bench/ingest.py --rows 1000000 --profile   # also py-spy every request (times get noisier)
    .venv/bin/python bench/ingest.py --rows 100000 --repeat 3   # the fastest of 3 of each (a busy machine)
    .venv/bin/python bench/ingest.py --app-dir /tmp/aegis-src    # serve another tree (e.g. `git archive HEAD`)

It creates a throwaway database, migrates it, makes a user and an API key, starts gunicorn (one sync worker)
on a free loopback port, generates a CSV under /tmp, and then measures over real HTTP:

- POST /api/v1/datasets with `Prefer: return=minimal`, and again with the full (streamed) response,
  and once more sent with `Transfer-Encoding: chunked`, against `COPY ... FROM '<file>'` into scratch tables
  with datasets_record's columns: the same shape (its constraints and index, read from the catalog), each
  constraint taken away in turn, and the bare table (primary key only); see ingest_bench/floors.py;
- GET /api/v1/datasets/{id} against `COPY (SELECT row_to_json(r) ...) TO STDOUT` of the same records;
- the first page of records (EXPLAIN ANALYZE of the LIMIT 100 query, and GET .../records if it exists);
- the worker's peak RSS during each request (VmRSS sampled every 20 ms) and its VmHWM at the end.

Everything it started is stopped and the database dropped at the end, even on failure.
"""

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: ingest_bench sits next to it

from ingest_bench.environment import PY_SPY, PYTHON, ROOT  # noqa: E402
from ingest_bench.report import print_table  # noqa: E402
from ingest_bench.run import run  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=100_000, help="CSV data rows (100000 is about 105 MB)")
    parser.add_argument(
        "--app-dir", default=str(ROOT), help="the Aegis source tree to serve (default: this work tree's root)"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="measure each upload and floor this many times and keep the fastest"
    )
    parser.add_argument("--keep-csv", action="store_true", help="keep the generated CSV, and reuse it if present")
    parser.add_argument("--profile", action="store_true", help="record py-spy profiles of the worker per request")
    parser.add_argument("--profile-dir", default="/tmp", help="where --profile writes (default /tmp)")
    args = parser.parse_args()
    if args.profile and not shutil.which(str(PY_SPY)):
        parser.error(f"--profile needs py-spy: {PYTHON.parent / 'pip'} install py-spy")
    print_table(run(args))


if __name__ == "__main__":
    main()
