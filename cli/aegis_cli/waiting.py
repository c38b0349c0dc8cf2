"""Following a run until it is done, with a bar of evaluations done out of total, and its results as a table."""

from time import sleep

from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from aegis_cli import output
from aegis_cli.commands.common import client
from aegis_cli.errors import CliError, Interrupted

FINISHED_STATUSES = {"finished", "completed", "succeeded", "done", "failed", "error", "cancelled", "canceled"}
BAD_STATUSES = {"failed", "error", "cancelled", "canceled"}
FIRST_POLL_S = 0.25


def run_progress(run: dict) -> tuple[int | None, int, int]:
    """(total, done, failed): the server's `progress` when it sends one, else counted from the evaluations."""
    progress = run.get("progress")
    if isinstance(progress, dict) and isinstance(progress.get("total"), int):
        return progress["total"], int(progress.get("done") or 0), int(progress.get("failed") or 0)
    evaluations = run.get("evaluations")
    if isinstance(evaluations, list):
        done = sum(1 for item in evaluations if item.get("finished_at"))
        failed = sum(1 for item in evaluations if item.get("finished_at") and item.get("is_success") is False)
        return len(evaluations), done, failed
    return None, 0, 0


def run_status(run: dict) -> str:
    status = run.get("status")
    if isinstance(status, str) and status:
        return status.lower()
    return "finished" if run.get("finished_at") else "running"


def is_finished(run: dict) -> bool:
    return bool(run.get("finished_at")) or run_status(run) in FINISHED_STATUSES


def wait_for_run(run_id: int, *, interval: float) -> dict:
    """Poll the run (its summary only: `Prefer: return=minimal`) until it is finished, and return it."""
    bar = Progress(
        SpinnerColumn(),
        TextColumn(f"Run {run_id}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("evaluations, {task.fields[failed]} failed"),
        TimeElapsedColumn(),
        console=output.stderr(),
        disable=output.STATE.quiet,
    )
    delay = FIRST_POLL_S
    try:
        with bar:
            task = bar.add_task("run", total=None, failed=0)
            while True:
                run = client().get(f"/runs/{run_id}", minimal=True)
                total, done, failed = run_progress(run)
                bar.update(task, total=total, completed=done, failed=failed)
                if is_finished(run):
                    return run
                sleep(delay)
                delay = min(delay * 1.5, interval)
    except KeyboardInterrupt:
        raise Interrupted(
            f"Stopped waiting; run {run_id} goes on on the server. Resume with: aegis runs wait {run_id}"
        ) from None


def show_results(run: dict) -> None:
    """The aggregate table (per-metric means), the overall result and the cost; exit 1 if the run ended badly."""
    if output.STATE.json:
        output.print_json(run)
    else:
        aggregates = run.get("aggregate_results") or {}
        total, done, failed = run_progress(run)
        counts = f"{done}/{total} done, {failed} failed" if total is not None else None
        output.table(
            f"Run {run['id']} results",
            ["metric", "score"],
            [[name, score] for name, score in sorted(aggregates.items())] or [["(no successful evaluation)", None]],
        )
        output.fields(
            None,
            [
                ("alias", run.get("alias")),
                ("evaluations", counts),
                ("result", run.get("result")),
                ("threshold", run.get("threshold")),
                ("passed", run.get("is_gte_threshold")),
                ("total cost", run.get("total_cost")),
                ("status", run_status(run)),
                ("finished", run.get("finished_at")),
            ],
        )
    status = run_status(run)
    if status in BAD_STATUSES:
        raise CliError(f"run {run['id']} ended {status}")
