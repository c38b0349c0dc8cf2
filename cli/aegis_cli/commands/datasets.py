"""`aegis upload` and `aegis datasets list|show|delete`."""

import json
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
from aegis_cli.errors import CliError, usage
from aegis_cli.transfer import upload_reader

AEGIS_FIELDS = ("prompt", "input", "context", "output", "golden_answer")


def _threshold(value, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise usage(f"{where}: the threshold must be an integer from 0 to 100, not {value!r}")
    return value


def parse_metric_option(token: str) -> tuple[str, int | None, dict | None]:
    """`NAME[:THRESHOLD[:ARGS_JSON]]`, e.g. `exact_match:70` or `json_equal:80:{"ignore_extra_keys":true}`."""
    parts = token.split(":", 2)
    name = parts[0].strip()
    if not name:
        raise usage(f"--metric {token!r}: name a metric, e.g. exact_match:70")
    threshold = None
    if len(parts) > 1 and parts[1].strip():
        try:
            threshold = int(parts[1])
        except ValueError:
            raise usage(f"--metric {token!r}: the threshold must be an integer from 0 to 100") from None
        _threshold(threshold, f"--metric {token!r}")
    args = None
    if len(parts) > 2 and parts[2].strip():
        args = parse_json(parts[2], f"--metric {token!r} arguments")
        if not isinstance(args, dict):
            raise usage(f"--metric {token!r}: the arguments must be a JSON object")
    return name, threshold, args


def selected_metrics(options: tuple[str, ...], metrics_file: Path | None) -> dict:
    """The `selected_metrics` part, keyed by metric id, from --metrics-file then --metric (which wins)."""
    wanted: list[tuple[str, int | None, dict | None]] = []
    if metrics_file is not None:
        data = parse_json(f"@{metrics_file}", f"--metrics-file {metrics_file}")
        if not isinstance(data, dict):
            raise usage(f"--metrics-file {metrics_file}: expected an object of metric id or shortname to settings")
        for key, value in data.items():
            where = f"--metrics-file {metrics_file}, metric {key!r}"
            if isinstance(value, dict):
                unknown = set(value) - {"threshold", "metric_args"}
                if unknown:
                    raise usage(f"{where}: unknown setting {sorted(unknown)[0]!r} (threshold, metric_args)")
                threshold = value.get("threshold")
                args = value.get("metric_args")
            else:
                threshold, args = value, None
            if threshold is not None:
                _threshold(threshold, where)
            if args is not None and not isinstance(args, dict):
                raise usage(f"{where}: metric_args must be an object or null")
            wanted.append((str(key), threshold, args))
    for token in options:
        wanted.append(parse_metric_option(token))
    if not wanted:
        raise usage("choose at least one metric: --metric exact_match:70 (or --metrics-file FILE.json)")

    catalog = None
    chosen: dict[str, dict] = {}
    for name, threshold, args in wanted:
        if name.isdigit() and threshold is not None:
            metric_id = int(name)  # nothing to look up; the server checks that the id exists
        else:
            catalog = catalog if catalog is not None else metric_catalog()
            metric_id, entry = resolve_metric_id(catalog, name)
            threshold = entry["default_threshold"] if threshold is None else threshold
        chosen[str(metric_id)] = {"threshold": threshold, "metric_args": args}
    return chosen


def column_mappings(pairs: tuple[str, ...]) -> dict | None:
    if not pairs:
        return None
    mappings = {}
    for item in pairs:
        field_name, sep, column = item.partition("=")
        field_name = field_name.strip().lower()
        if not sep or not column:
            raise usage(f"--map must look like FIELD=COLUMN (e.g. prompt=question), not {item!r}")
        if field_name not in AEGIS_FIELDS:
            raise usage(f"--map {item!r}: the field must be one of {', '.join(AEGIS_FIELDS)}")
        mappings[field_name] = column
    return mappings


def _upload(path: Path, parts: dict, target: str, *, minimal: bool) -> dict:
    with upload_reader(path) as reader:
        return client().post(
            target,
            data=parts,  # httpx sends the fields before the file, so the server stores the file as it arrives
            files={"file": (path.name, reader, "text/csv")},
            minimal=minimal,
        )


def _dry_run(path: Path, parts: dict) -> None:
    """POST /datasets with dry_run=true: the server checks the whole file and every part and stores nothing."""
    report = _upload(path, {**parts, "dry_run": "true"}, "/datasets", minimal=True)
    if "valid" not in report and "id" in report:
        # A server from before dry runs ignores the field and creates the dataset: take it back, and say so.
        client().delete(f"/datasets/{report['id']}")
        raise usage("--dry-run: this server cannot check an upload without storing it; nothing was kept")
    if output.STATE.json:
        output.print_json(report)
    elif report["valid"]:
        output.done(
            f"{path.name} would be accepted: {output.text(report.get('row_count'))} records, fields "
            f"{', '.join(report.get('structure') or [])}. Nothing was stored."
        )
        if report.get("ignored_columns"):
            output.note(f"Ignored columns: {', '.join(report['ignored_columns'])}")
    if not report["valid"]:
        problems = [
            " ".join(
                part
                for part in (
                    f"[{problem.get('part')}]",
                    f"line {problem['line']}" if problem.get("line") is not None else "",
                    f"column {problem['column']}" if problem.get("column") is not None else "",
                    str(problem.get("message")),
                )
                if part
            )
            for problem in report.get("problems", [])
        ]
        more = " (and more)" if report.get("problems_truncated") else ""
        raise CliError(
            f"{path.name} would be refused: {report.get('problem_count', len(problems))} problem(s){more}",
            errors={"problems": problems} if not output.STATE.json else None,
        )


@click.command()
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
@click.option(
    "--metric",
    "-m",
    "metrics",
    multiple=True,
    metavar="NAME[:THRESHOLD[:ARGS]]",
    help="A metric by shortname or id, its pass threshold (default: the metric's), and JSON arguments, e.g. "
    'exact_match:70 or json_equal:80:{"ignore_extra_keys":true}. Repeat for more metrics.',
)
@click.option(
    "--metrics-file",
    type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path),
    help='JSON object of metric id or shortname to a threshold or {"threshold": N, "metric_args": {...}}.',
)
@click.option("--name", help="Dataset name (default: the file name without .csv).")
@click.option("--collection", "collection_id", type=int, help="Put the dataset in this data collection (id).")
@click.option(
    "--map",
    "mappings",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="Read an Aegis field (prompt, input, context, output, golden_answer) from another column. Repeatable.",
)
@click.option("--dry-run", is_flag=True, help="Check the file and metrics on the server without storing anything.")
@json_option
def upload(csv_file, metrics, metrics_file, name, collection_id, mappings, dry_run):
    """Upload CSV_FILE as a dataset with the metrics to run on it."""
    parts = {"selected_metrics": json.dumps(selected_metrics(metrics, metrics_file))}
    if name is not None:
        parts["name"] = name
    if collection_id is not None:
        parts["data_collection_id"] = str(collection_id)
    mapped = column_mappings(mappings)
    if mapped is not None:
        parts["column_mappings"] = json.dumps(mapped)
    if dry_run:
        _dry_run(csv_file, parts)
        return
    # The full answer repeats every record; the summary is all a terminal needs.
    dataset = _upload(csv_file, parts, "/datasets", minimal=True)
    if output.STATE.json:
        output.print_json(dataset)
        return
    count = dataset.get("record_count")
    if count is None and isinstance(dataset.get("records"), list):
        count = len(dataset["records"])
    output.done(f"Created dataset {dataset['id']} {dataset['name']!r} with {output.text(count)} records.")
    output.note(f"Run it: aegis run {dataset['id']} --wait")


@click.group()
def datasets():
    """List, show and delete datasets."""


def _metric_names(selected: dict | None, catalog: list[dict]) -> str:
    names = {str(entry["id"]): entry["shortname"] for entry in catalog}
    items = []
    for metric_id, settings in (selected or {}).items():
        threshold = settings.get("threshold") if isinstance(settings, dict) else settings
        items.append(f"{names.get(str(metric_id), metric_id)}:{threshold}")
    return ", ".join(items)


@datasets.command("list")
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--page-size", type=click.IntRange(1, 10000), default=20, show_default=True)
@click.option("--search", help="Only datasets whose name contains this text.")
@click.option("--mine", "shared", flag_value="mine", help="Only datasets you own.")
@click.option("--shared", "shared", flag_value="shared", help="Only datasets shared with you by your organization.")
@json_option
def datasets_list(page, page_size, search, shared):
    """List your datasets and those shared with you, newest first."""
    params = {"page": page, "page_size": page_size, **shared_param(shared)}
    if search:
        params["search"] = search
    body = client().get("/datasets", params=params)
    if output.STATE.json:
        output.print_json(body)
        return
    catalog = metric_catalog()
    rows = [
        [
            item["id"],
            item["name"],
            _metric_names(item.get("selected_metrics"), catalog),
            ", ".join(item.get("structure") or []),
            item.get("data_collection_id"),
            item.get("org_id"),
            item.get("created_at"),
        ]
        for item in body["items"]
    ]
    output.table(
        "Datasets",
        ["id", "name", "metrics", "fields", "collection", "org", "created"],
        rows,
        caption=page_caption(body.get("meta", {}), "dataset"),
    )


@datasets.command("show")
@click.argument("dataset_id", type=int)
@click.option("--records", "record_count", type=click.IntRange(0, 10000), default=0, help="Also show the first N.")
@json_option
def datasets_show(dataset_id, record_count):
    """Show one dataset: its fields, metrics and record count."""
    dataset = client().get(f"/datasets/{dataset_id}", minimal=True)
    records = None
    if record_count:
        records = client().get(f"/datasets/{dataset_id}/records", params={"page_size": record_count})["items"]
    if output.STATE.json:
        output.print_json(dataset if records is None else {**dataset, "records": records})
        return
    count = dataset.get("record_count")
    if count is None and isinstance(dataset.get("records"), list):
        count = len(dataset["records"])
    user = dataset.get("user") or {}
    output.fields(
        f"Dataset {dataset['id']}",
        [
            ("name", dataset["name"]),
            ("type", (dataset.get("dataset_type") or {}).get("label")),
            ("records", count),
            ("fields", ", ".join(dataset.get("structure") or [])),
            ("column mappings", dataset.get("column_mappings")),
            ("collection", dataset.get("data_collection_id")),
            ("org", dataset.get("org_id")),
            ("owner", user.get("email")),
            ("author", dataset.get("author_email")),
            ("created", dataset.get("created_at")),
            ("updated", dataset.get("updated_at")),
        ],
    )
    catalog = {str(entry["id"]): entry for entry in metric_catalog()}
    rows = []
    for metric_id, settings in (dataset.get("selected_metrics") or {}).items():
        entry = catalog.get(str(metric_id), {})
        rows.append([metric_id, entry.get("shortname"), settings.get("threshold"), settings.get("metric_args")])
    output.table("Metrics", ["id", "shortname", "threshold", "arguments"], rows)
    if records:
        columns = [name for name in AEGIS_FIELDS if name in (dataset.get("structure") or AEGIS_FIELDS)]
        output.table(
            f"First {len(records)} records",
            ["id", *columns],
            [[record["id"], *(record.get(name) for name in columns)] for record in records],
        )


@datasets.command("delete")
@click.argument("dataset_id", type=int)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@json_option
def datasets_delete(dataset_id, yes):
    """Delete a dataset and its records (its runs are kept)."""
    confirm_or_yes(yes, f"Delete dataset {dataset_id} and its records?")
    client().delete(f"/datasets/{dataset_id}")
    if output.STATE.json:
        output.print_json({"id": dataset_id, "deleted": True})
    else:
        output.done(f"Deleted dataset {dataset_id}.")
