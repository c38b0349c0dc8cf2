"""The README's curl lines, run as written against the live test server (only the host and port are swapped).

The database starts as `bash scripts/demo` leaves it (ids from 1, the demo dataset is dataset 1), `KEY` is the key
the demo command prints, and `data.csv` (and `data-v2.csv`, its next version) are small CSVs in the working
directory, as the README asks. Lines that
delete run last, so the lines after them in the README still find what they name. The judged-metrics section needs
a real LLM provider and is left out.
"""

import re
import shlex
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, models

README = Path(__file__).resolve().parents[2] / "README.md"
README_BASE_URL = "http://127.0.0.1:8000"
NEEDS_A_PROVIDER = "## LLM-judged metrics"
DATA_CSV = 'prompt,output,golden_answer\nq1,"{""a"": 1}","{""a"": 1, ""b"": 2}"\nq2,four,4\n'
# The statuses the README itself says these lines answer with.
EXPECTED_ERRORS = {"/api/v1/runs/1/cancel": 400}  # "Cancelling a finished run is a 400."

pytestmark = [
    pytest.mark.django_db(transaction=True, reset_sequences=True, serialized_rollback=True),
    pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed"),
]


@pytest.fixture(autouse=True)
def sequences_past_the_restored_rows():
    """The ids start from 1 here (reset_sequences); the rows the next tests get back (serialized_rollback) keep their
    own ids, so each sequence is left far past them, or the next insert would reuse one."""
    yield
    if connection.vendor != "postgresql":
        return  # SQLite's flush clears its sequences along with the rows
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if isinstance(model._meta.pk, models.AutoField):  # BigAutoField included
                table, column = model._meta.db_table, model._meta.pk.column
                cursor.execute("SELECT setval(pg_get_serial_sequence(%s, %s), 1000000)", [table, column])


def readme_curl_commands(text: str) -> list[list[str]]:
    """Each `curl ...` command of the README's sh blocks as its words (quotes may span lines; comments dropped)."""
    before, after = text.split(NEEDS_A_PROVIDER, 1)
    text = before + after.split("\n## ", 1)[-1]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL):
        pending = ""
        for line in block.splitlines():
            pending += line + "\n"
            if line.endswith("\\"):
                continue
            try:
                words = shlex.split(pending.replace("\\\n", " "), comments=True)  # backslash-newline joins lines
            except ValueError:  # a quote still open: the command goes on
                continue
            pending = ""
            if words[:1] == ["curl"]:
                commands.append(words)
    return commands


def test_readme_has_curl_lines_for_every_part():
    commands = readme_curl_commands(README.read_text())
    assert len(commands) >= 15
    for path in ("/datasets", "/runs/dataset", "/runs/custom", "/evaluate", "/data-collections", "/download"):
        assert any(path in word for words in commands for word in words), path


def test_readme_curl_lines_run_against_the_live_server(live_server, tmp_path, capsys):
    call_command("seed_demo", base_url=live_server.url)
    key = capsys.readouterr().out.strip().splitlines()[-1].split()[-1]
    (tmp_path / "data.csv").write_text(DATA_CSV)
    (tmp_path / "data-v2.csv").write_text(DATA_CSV + "q3,five,5\n")  # "a new file for a dataset"
    commands = readme_curl_commands(README.read_text())
    deletes = [words for words in commands if "DELETE" in words]
    failures = []
    for words in [words for words in commands if words not in deletes] + deletes:
        shown = " ".join(words)
        assert any(word.startswith(README_BASE_URL) for word in words), shown
        live = [word.replace(README_BASE_URL, live_server.url).replace("$KEY", key) for word in words]
        # Quiet, and the status on a last line of its own (a line's own -o still writes its body to its file).
        done = subprocess.run(
            ["curl", "-sS", "-w", "\n%{http_code}", *live[1:]],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        status = int(done.stdout.rsplit("\n", 1)[-1] or 0)
        path = urlsplit(next(word for word in live if word.startswith(live_server.url))).path
        expected = EXPECTED_ERRORS.get(path)
        if done.returncode != 0 or (status != expected if expected else not 200 <= status < 300):
            failures.append(f"{shown}\n  -> exit {done.returncode}, HTTP {status}: {done.stdout[-300:]}{done.stderr}")
    assert failures == [], "\n".join(failures)
    assert (tmp_path / "report.csv").read_text().count("\n") >= 2
