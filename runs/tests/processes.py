"""Real Celery processes for the fault tests: workers and beat against a real broker and this test database.

As in test_celery_worker: they only make sense on PostgreSQL (a separate process cannot see a SQLite test database),
and each broker's tests skip when it is not reachable. Every test takes queues of its own (CELERY_QUEUE), deleted
after it, so two runs of these tests on one machine do not take each other's tasks.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from kombu import Connection
from kombu import pools as kombu_pools

from aegis.celery import app as celery_app

REDIS_URL = os.environ.get("TEST_FAULTS_REDIS_URL", "redis://127.0.0.1:6379/12")
AMQP_URL = os.environ.get("TEST_FAULTS_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
PROJECT_DIR = Path(__file__).resolve().parents[2]


def redis_is_up(url: str = REDIS_URL) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:
        return False


def rabbitmq_is_up(url: str = AMQP_URL) -> bool:
    try:
        with Connection(url, connect_timeout=1) as conn:
            conn.ensure_connection(max_retries=0)
        return True
    except Exception:
        return False


needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a worker process cannot see a SQLite test DB"
)
needs_redis = pytest.mark.skipif(not redis_is_up(), reason="Redis is not reachable")
needs_rabbitmq = pytest.mark.skipif(not rabbitmq_is_up(), reason="RabbitMQ is not reachable")


def database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def new_queue() -> str:
    return f"faults-{uuid.uuid4().hex[:12]}"


def delete_queue(url: str, queue: str) -> None:
    try:
        with Connection(url, connect_timeout=2) as conn:
            conn.default_channel.queue_delete(queue)
    except Exception:
        pass  # the broker went away with the test


class CeleryProcess:
    """`celery worker` or `celery beat` in its own process group, logging to a file."""

    def __init__(self, kind: str, *, broker: str, queue: str, log: Path, env: dict | None = None):
        self.kind, self.log_path = kind, log
        command = [sys.executable, "-m", "celery", "-A", "aegis", kind, "-l", "info"]
        if kind == "worker":
            command += ["-c", "1", "-P", "prefork", "--without-gossip", "--without-mingle", "--without-heartbeat"]
            command += ["-n", f"{queue}@%h", "-Q", queue]
        else:
            command += ["-s", str(log.with_suffix(".schedule"))]
        full_env = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": broker,
            "CELERY_QUEUE": queue,
            **(env or {}),
        }
        self._log = open(log, "ab")  # noqa: SIM115  (closed in stop)
        self.process = subprocess.Popen(
            command, cwd=PROJECT_DIR, env=full_env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 30) -> None:
        marker = "ready." if self.kind == "worker" else "beat: Starting"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if marker in self.log():
                return
            if not self.alive():
                pytest.fail(f"celery {self.kind} exited early:\n{self.log()[-3000:]}")
            time.sleep(0.1)
        pytest.fail(f"celery {self.kind} did not start:\n{self.log()[-3000:]}")

    def kill_hard(self) -> None:
        """SIGKILL to the whole process group at once: the main process and its pool, as when a host dies."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _group_alive(self.process.pid):
            time.sleep(0.05)
        assert not _group_alive(self.process.pid), "a pool process outlived the kill"

    def stop(self) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if _group_alive(self.process.pid):
            os.killpg(self.process.pid, signal.SIGKILL)
        self._log.close()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # Zombies count as gone: the kernel has closed their sockets.
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


class Publisher:
    """Points this test process's Celery app (the one the views publish with) at a broker and queue."""

    def __init__(self, settings):
        self._settings = settings
        self._previous = (celery_app.conf.broker_url, celery_app.conf.task_default_queue)

    def use(self, broker: str, queue: str) -> None:
        self._settings.CELERY_BROKER_URL = broker
        self._settings.CELERY_TASK_DEFAULT_QUEUE = queue
        celery_app.conf.broker_url = broker
        celery_app.conf.task_default_queue = queue
        self._reset_pools()

    def restore(self) -> None:
        celery_app.conf.broker_url, celery_app.conf.task_default_queue = self._previous
        self._reset_pools()

    @staticmethod
    def _reset_pools() -> None:
        # Close the publisher's pools and forget them, so the next publish connects to the broker now configured.
        kombu_pools.reset()
        celery_app._pool = celery_app.amqp._producer_pool = None
