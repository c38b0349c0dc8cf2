"""`aegis run`, `aegis runs list|show|wait|cancel|retry|delete` and `aegis report`."""

from pathlib import Path

import click

from aegis_cli import output
from aegis_cli.commands.common import (
    client,
    confirm_or_yes,
    json_option,
    metric_catalog,
    page_caption,
    parse_json,
    resolve_metric_id,
    shared_param,
)
from aegis_cli.errors import usage
from aegis_cli.transfer import save_stream
from aegis_cli.waiting import run_progress, run_status, show_results, wait_for_run

interval_option = click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=2.0,
    show_default=True,
    help="Longest pause between two polls while waiting, in seconds.",
)


def _dataset_metric_args(value: str | None) -> dict | None:
    """`--metric-args` keyed by metric id or shortname, sent keyed by id as the API wants."""
    if value is None:
        return None
    data = parse_json(value, "--metric-args")
    if not isinstance(data, dict) or not all(isinstance(args, dict) for args in data.values()):
        raise usage('--metric-args must be a JSON object like {"exact_match": {"case_sensitive": false}}')
    catalog = None
    resolved = {}
    for key, args in data.items():
        if str(key).isdigit():
            resolved[str(key)] = args
            continue
        catalog = catalog if catalog is not None else metric_catalog()
        metric_id, _ = resolve_metric_id(catalog, str(key))
        resolved[str(metric_id)] = args
    return resolved


def _custom_body(path: Path) -> dict:
    data = parse_json(f"@{path}", f"--custom {path}")
    if isinstance(data, list):
        data = {"evaluations": data}
    if not isinstance(data, dict) or not isinstance(data.get("evaluations"), list):
        raise usage(
            f"--custom {path}: expected a custom run body "
            '{"evaluations": [{"metrics": [...], "data": [...]}]} or just the evaluations list'
        )
    return data


def _started(run: dict, wait: bool, interval: float) -> None:
    if wait:
        show_results(run if run.get("finished_at") else wait_for_run(run["id"], interval=interval))
        return
    if output.STATE.json:
        output.print_json(run)
        return
    total, _, _ = run_progress(run)
    what = f"dataset {run['dataset']!r}" if run.get("dataset") else "custom rows"
    output.done(f"Started run {run['id']} on {what}" + (f": {total} evaluations." if total is not None else "."))
    output.note(f"Follow it: aegis runs wait {run['id']}")


@click.command()
@click.argument("dataset_id", type=int, required=False)
@click.option(
    "--custom",
    "custom_file",
    type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path),
    help="Score rows from a JSON file (the body of POST /runs/custom) instead of a dataset.",
)
@click.option("--threshold", type=click.IntRange(0, 100), help="Run threshold for the overall pass/fail.")
@click.option("--model", "model_slug", help="Judge model slug (see `aegis models`).")
@click.option("--alias", help="A name for the run, unique among yours.")
@click.option(
    "--metric-args",
    help='Dataset runs: per-run metric arguments, JSON or @file, e.g. {"exact_match": {"case_sensitive": false}}.',
)
@click.option("--collection", "collection_id", type=int, help="Custom runs: put the run in this data collection.")
@click.option("--wait", is_flag=True, help="Follow the run to the end and print its results.")
@interval_option
@json_option
def run(dataset_id, custom_file, threshold, model_slug, alias, metric_args, collection_id, wait, interval):
    """Start a run on DATASET_ID (or on --custom FILE.json) and optionally --wait for its results."""
    if (dataset_id is None) == (custom_file is None):
        raise usage("give either a DATASET_ID or --custom FILE.json")
    options = {"threshold": threshold, "model_slug": model_slug, "alias": alias}
    if custom_file is not None:
        if metric_args is not None:
            raise usage("--metric-args is for dataset runs; put metric_args in the --custom file")
        body = {**_custom_body(custom_file), **{k: v for k, v in options.items() if v is not None}}
        if collection_id is not None:
            body["data_collection_id"] = collection_id
        path = "/runs/custom"
    else:
        if collection_id is not None:
            raise usage("--collection is for custom runs; a dataset run takes its dataset's collection")
        body = {"dataset_id": dataset_id, **{k: v for k, v in options.items() if v is not None}}
        resolved_args = _dataset_metric_args(metric_args)
        if resolved_args is not None:
            body["metric_args"] = resolved_args
        path = "/runs/dataset"
    # The CLI waits by polling, so the server can answer at once and score in the background.
    body["is_blocking"] = False
    _started(client().post(path, json=body, minimal=True), wait, interval)


@click.group()
def runs():
    """List, show, follow, cancel, retry and delete runs."""


@runs.command("list")
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--page-size", type=click.IntRange(1, 10000), default=20, show_default=True)
@click.option("--mine", "shared", flag_value="mine", help="Only runs you own.")
@click.option("--shared", "shared", flag_value="shared", help="Only runs shared with you by your organization.")
@json_option
def runs_list(page, page_size, shared):
    """List runs you can see, newest first."""
    params = {"page": page, "page_size": page_size, **shared_param(shared)}
    body = client().feature("GET", "/runs", feature="listing runs", params=params, minimal=True)
    if output.STATE.json:
        output.print_json(body)
        return
    rows = []
    for item in body.get("items", []):
        total, done, _ = run_progress(item)
        rows.append(
            [
                item["id"],
                item.get("alias"),
                item.get("run_type"),
                item.get("dataset") or item.get("dataset_id"),
                run_status(item),
                f"{done}/{total}" if total is not None else None,
                item.get("result"),
                item.get("started_at"),
                item.get("finished_at"),
            ]
        )
    output.table(
        "Runs",
        ["id", "alias", "type", "dataset", "status", "done", "result", "started", "finished"],
        rows,
        caption=page_caption(body.get("meta", {}), "run"),
    )


@runs.command("show")
@click.argument("run_id", type=int)
@click.option("--evaluations", is_flag=True, help="Also list every evaluation (fetches the whole run).")
@json_option
def runs_show(run_id, evaluations):
    """Show a run: its status, progress and aggregate results."""
    body = client().get(f"/runs/{run_id}", minimal=not evaluations)
    if output.STATE.json:
        output.print_json(body)
        return
    total, done, failed = run_progress(body)
    output.fields(
        f"Run {body['id']}",
        [
            ("alias", body.get("alias")),
            ("type", body.get("run_type")),
            ("dataset", body.get("dataset")),
            ("collection", body.get("data_collection")),
            ("status", run_status(body)),
            ("progress", f"{done}/{total} done, {failed} failed" if total is not None else None),
            ("metrics", body.get("number_of_metrics")),
            ("model", body.get("model_slug")),
            ("result", body.get("result")),
            ("threshold", body.get("threshold")),
            ("passed", body.get("is_gte_threshold")),
            ("total cost", body.get("total_cost")),
            ("owner", body.get("user")),
            ("org", body.get("org_id")),
            ("started", body.get("started_at")),
            ("finished", body.get("finished_at")),
        ],
    )
    aggregates = body.get("aggregate_results") or {}
    if aggregates:
        output.table("Aggregate results", ["metric", "score"], sorted(aggregates.items()))
    if evaluations:
        output.table(
            "Evaluations",
            ["id", "row", "metric", "result", "threshold", "passed", "ok", "cost", "explanation"],
            [
                [
                    item["id"],
                    item.get("record_index"),
                    item.get("metric"),
                    item.get("result"),
                    item.get("threshold"),
                    item.get("is_gte_threshold"),
                    item.get("is_success"),
                    item.get("evaluation_cost"),
                    (item.get("explanation") or "")[:120] or None,
                ]
                for item in body.get("evaluations") or []
            ],
        )


@runs.command("wait")
@click.argument("run_id", type=int)
@interval_option
@json_option
def runs_wait(run_id, interval):
    """Follow a run to the end (again after Ctrl-C) and print its results."""
    show_results(wait_for_run(run_id, interval=interval))


@runs.command("cancel")
@click.argument("run_id", type=int)
@json_option
def runs_cancel(run_id):
    """Stop scoring a run's pending evaluations."""
    body = client().feature("POST", f"/runs/{run_id}/cancel", feature="cancelling runs", minimal=True)
    if output.STATE.json:
        output.print_json(body)
    else:
        output.done(f"Run {run_id}: {run_status(body) if isinstance(body, dict) else 'cancelled'}.")


@runs.command("retry")
@click.argument("run_id", type=int)
@click.option("--wait", is_flag=True, help="Follow the run to the end and print its results.")
@interval_option
@json_option
def runs_retry(run_id, wait, interval):
    """Score again the evaluations of a run that failed or were cancelled."""
    body = client().feature("POST", f"/runs/{run_id}/retry", feature="retrying runs", minimal=True)
    if not isinstance(body, dict) or "id" not in body:
        body = client().get(f"/runs/{run_id}", minimal=True)
    if wait:
        show_results(body if body.get("finished_at") else wait_for_run(run_id, interval=interval))
    elif output.STATE.json:
        output.print_json(body)
    else:
        output.done(f"Run {run_id}: {run_status(body)}.")
        output.note(f"Follow it: aegis runs wait {run_id}")


@runs.command("delete")
@click.argument("run_id", type=int)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@json_option
def runs_delete(run_id, yes):
    """Delete a run and its evaluations."""
    confirm_or_yes(yes, f"Delete run {run_id} and its evaluations?")
    client().delete(f"/runs/{run_id}")
    if output.STATE.json:
        output.print_json({"id": run_id, "deleted": True})
    else:
        output.done(f"Deleted run {run_id}.")


@click.command()
@click.argument("run_id", type=int)
@click.option(
    "--output",
    "-o",
    "destination",
    help="Where to write the CSV (default: run_<RUN_ID>_report.csv here; - for stdout).",
)
@click.option("--force", is_flag=True, help="Overwrite the file if it exists.")
@json_option
def report(run_id, destination, force):
    """Download a run's evaluations as CSV."""
    destination = destination or f"run_{run_id}_report.csv"
    if destination != "-":
        target = Path(destination)
        if target.is_dir():
            raise usage(f"{destination} is a directory; name a file with -o")
        if target.exists() and not force:
            raise usage(f"{destination} exists; add --force to overwrite it")
        if not target.parent.is_dir():
            raise usage(f"{target.parent} does not exist")
    headers = {"Accept": "text/csv, application/json;q=0.9"}
    with client().stream("GET", f"/runs/{run_id}/download", headers=headers) as response:
        written_to, size = save_stream(response, destination, f"Run {run_id} report")
    if written_to == "-":
        return
    if output.STATE.json:
        output.print_json({"run_id": run_id, "path": written_to, "bytes": size})
    else:
        output.done(f"Wrote {size} bytes to {written_to}.")
