"""`aegis compare`: two runs side by side (GET /runs/compare), their regressed records, the whole diff as CSV."""

import click

from aegis_cli import output
from aegis_cli.commands.common import client, json_option, metric_catalog, resolve_metric_id
from aegis_cli.transfer import save_stream

# The largest page the records endpoint serves: few round trips for a long list of regressions.
RECORDS_PAGE = 1000
ALL_METRICS = "*"
PREVIEW_CHARS = 60


def _number(value, *, signed: bool = False, percent: bool = False) -> str:
    if value is None:
        return "-"
    value = value * 100 if percent else value
    return f"{value:+.2f}" if signed else f"{value:.2f}"


def _interval(metric: dict) -> str:
    interval = metric.get("mean_delta_interval")
    if interval is None:
        return "-"
    marker = " *" if metric.get("significant") else ""
    return f"[{interval[0]:+.2f}, {interval[1]:+.2f}]{marker}"


def _run_name(ref: dict) -> str:
    version = f", dataset {ref['dataset_id']} v{ref['dataset_version']}" if ref.get("dataset_id") else ""
    return f"{ref['id']} ({ref.get('alias') or '-'}{version}, {ref.get('status')})"


def _show_summary(summary: dict) -> None:
    records = summary["records"]
    output.fields(
        "Comparison",
        [
            ("base", _run_name(summary["base"])),
            ("head", _run_name(summary["head"])),
            ("matching", f"by {summary['matching']}"),
            ("records", f"base {records['base']}, head {records['head']}, matched {records['matched']}"),
            ("only in base", records["only_in_base"]),
            ("only in head", records["only_in_head"]),
        ],
    )
    confidence = round(summary["interval"]["confidence"] * 100)
    output.table(
        "Per metric (head - base)",
        [
            "metric",
            "base mean",
            "head mean",
            "delta",
            f"{confidence}% interval",
            "pass rate delta (pts)",
            "regressions",
            "improvements",
            "errors",
        ],
        [
            [
                metric["metric"],
                _number(metric["base_mean"]),
                _number(metric["head_mean"]),
                _number(metric["mean_delta"], signed=True),
                _interval(metric),
                _number(metric["pass_rate_delta"], signed=True, percent=True),
                metric["regressions"],
                metric["improvements"],
                metric["errors"],
            ]
            for metric in summary["metrics"]
        ],
        caption="* the interval leaves out 0: a change, not noise",
    )
    for side in ("base", "head"):
        only = summary.get(f"metrics_only_in_{side}") or []
        if only:
            output.done(f"Metrics only in {side}: {', '.join(only)}")


def _pair_params(base: int | None, head: int) -> dict:
    return {"head": head} | ({} if base is None else {"base": base})


def _metric_shortname(token: str) -> str:
    _, entry = resolve_metric_id(metric_catalog(), token)
    return entry["shortname"]


def _regressed_records(pair: dict, metric: str | None) -> list[dict]:
    """Every record with a regression (in `metric`, or in any), following the keyset cursor page by page."""
    params = pair | {"change": "regressed", "page_size": RECORDS_PAGE}
    if metric is not None:
        params["metric"] = metric
    records, after = [], None
    while True:
        page = client().get("/runs/compare/records", params=params | ({} if after is None else {"after": after}))
        records += page["items"]
        if not page["meta"].get("has_next") or not page["items"]:
            return records
        after = page["items"][-1]["cursor"]


def _preview(value) -> str:
    text = "" if value is None else str(value).replace("\n", " ")
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


def _show_regressions(records: list[dict], metric: str | None) -> None:
    rows = [
        [
            record["base_record"]["id"],
            record["base_record"]["record_index"],
            name,
            pair["base"]["result"],
            pair["head"]["result"],
            _preview(record["base_record"].get("prompt")),
            _preview(record["head_record"].get("output")),
        ]
        for record in records
        for name, pair in record["metrics"].items()
        if pair["change"] == "regressed" and metric in (None, name)
    ]
    title = "Regressions" + (f" in {metric}" if metric else "")
    output.table(
        title,
        ["record", "row", "metric", "base", "head", "prompt", "head output"],
        rows,
        caption=f"{len(records)} record" + ("" if len(records) == 1 else "s"),
    )


@click.command()
@click.option("--head", type=click.IntRange(min=1), required=True, help="The run being judged.")
@click.option(
    "--base", type=click.IntRange(min=1), help="The run compared against [default: the head's dataset baseline]."
)
@click.option(
    "--regressions",
    "regressions",
    is_flag=False,
    flag_value=ALL_METRICS,
    default=None,
    metavar="[METRIC]",
    help="Also list the records that regressed (passed in base, fail in head), in METRIC (id or shortname) or in any.",
)
@click.option(
    "--csv",
    "csv_path",
    metavar="FILE",
    help="Also download the whole diff, one line per record and metric, to FILE (- for stdout).",
)
@json_option
def compare(head, base, regressions, csv_path):
    """Compare run --head with run --base: per metric means, delta with its interval, pass rates, regressions."""
    pair = _pair_params(base, head)
    summary = client().get("/runs/compare", params=pair)
    metric = None if regressions in (None, ALL_METRICS) else _metric_shortname(regressions)
    listed = _regressed_records(pair, metric) if regressions is not None else None
    if csv_path is not None:
        headers = {"Accept": "text/csv"}
        with client().stream("GET", "/runs/compare/records", params=pair, headers=headers) as response:
            written_to, size = save_stream(response, csv_path, "Comparison diff")
        if written_to != "-":
            output.note(f"Wrote the diff to {written_to} ({size} bytes).")
        if written_to == "-":
            return  # stdout holds the CSV alone
    if output.STATE.json:
        output.print_json(summary if listed is None else {"summary": summary, "regressions": listed})
        return
    _show_summary(summary)
    if listed is not None:
        _show_regressions(listed, metric)
