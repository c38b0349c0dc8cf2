"""The parts of bench/ingest.py: data (the CSV), client (HTTP requests), environment (the app in a throwaway database,
gunicorn serving it), floors (PostgreSQL's own COPY into scratch tables), report (the table) and run (the measurements).
What other benchmarks share too (databases, processes, /proc, py-spy, multipart framing) is bench/harness.py."""
