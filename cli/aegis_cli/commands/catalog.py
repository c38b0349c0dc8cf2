"""`aegis metrics`, `aegis models` and `aegis evaluate`."""

import json

import click

from aegis_cli import output
from aegis_cli.commands.common import client, json_option, metric_catalog, parse_pairs, resolve_metric_id


def _arg_text(arg: dict) -> str:
    text = f"{arg['name']}: {arg['type']}"
    if arg.get("required"):
        text += " (required)"
    elif arg.get("default") is not None:
        text += f" = {json.dumps(arg['default'])}"
    return text


@click.command()
@click.argument("metric", required=False)
@click.option("--category", help="Only this category (e.g. Structural, General, RAG, Safety, Security).")
@click.option("--active", is_flag=True, help="Only metrics usable now.")
@json_option
def metrics(metric, category, active):
    """List the metric catalog, or show one METRIC (shortname or id) with its arguments."""
    catalog = metric_catalog()
    if metric is not None:
        _, entry = resolve_metric_id(catalog, metric)
        if output.STATE.json:
            output.print_json(entry)
            return
        output.fields(
            f"Metric {entry['id']}: {entry['shortname']}",
            [
                ("name", entry.get("name")),
                ("category", entry.get("category")),
                ("active", entry.get("is_active")),
                ("inactive reason", entry.get("inactive_reason")),
                ("default threshold", entry.get("default_threshold")),
                ("description", entry.get("description")),
            ],
        )
        output.table(
            "Arguments",
            ["name", "type", "default", "required", "description"],
            [
                [arg["name"], arg["type"], arg.get("default"), arg.get("required"), arg.get("description")]
                for arg in entry.get("args") or []
            ],
        )
        return
    selected = [
        entry
        for entry in catalog
        if (category is None or entry.get("category", "").lower() == category.lower())
        and (not active or entry.get("is_active"))
    ]
    if output.STATE.json:
        output.print_json(selected)
        return
    output.table(
        "Metrics",
        ["id", "shortname", "name", "category", "active", "threshold", "arguments"],
        [
            [
                entry["id"],
                entry["shortname"],
                entry.get("name"),
                entry.get("category"),
                entry.get("is_active"),
                entry.get("default_threshold"),
                ", ".join(_arg_text(arg) for arg in entry.get("args") or []) or None,
            ]
            for entry in selected
        ],
        caption=f"{len(selected)} metrics; `aegis metrics SHORTNAME` shows one with its arguments",
    )


@click.command()
@json_option
def models():
    """List the judge models and their prices per million tokens."""
    catalog = client().get("/models")
    if output.STATE.json:
        output.print_json(catalog)
        return
    output.table(
        "Models",
        ["slug", "name", "supplier", "provider", "input $/M tokens", "output $/M tokens"],
        [
            [
                entry["slug"],
                entry.get("name"),
                entry.get("supplier"),
                entry.get("provider"),
                entry.get("input_cost_per_million_tokens"),
                entry.get("output_cost_per_million_tokens"),
            ]
            for entry in catalog
        ],
    )


@click.command()
@click.argument("shortname")
@click.option("--output", "output_text", help="The model's answer to score.")
@click.option("--golden", "golden_answer", help="The expected answer.")
@click.option("--input", "input_text", help="The user's input.")
@click.option("--context", help="The retrieved context.")
@click.option("--prompt", help="The prompt (system or template).")
@click.option(
    "--arg",
    "args",
    multiple=True,
    metavar="NAME=VALUE",
    help="A metric argument; JSON values are typed (true, 5, [1,2]), others are text. Repeatable.",
)
@click.option("--threshold", type=click.IntRange(0, 100), help="Pass threshold (default: the metric's).")
@click.option("--model", "model_slug", help="Judge model slug, for LLM-judged metrics.")
@json_option
def evaluate(shortname, output_text, golden_answer, input_text, context, prompt, args, threshold, model_slug):
    """Score one row with one metric, e.g. aegis evaluate exact_match --output 4 --golden 4."""
    body = {
        "metric_shortname": shortname,
        "output": output_text,
        "golden_answer": golden_answer,
        "input": input_text,
        "context": context,
        "prompt": prompt,
        "threshold": threshold,
        "model_slug": model_slug,
    }
    body = {key: value for key, value in body.items() if value is not None}
    metric_args = parse_pairs(args, "--arg")
    if metric_args:
        body["metric_args"] = metric_args
    result = client().post("/evaluate", json=body)
    if output.STATE.json:
        output.print_json(result)
        return
    output.fields(
        f"{result.get('metric_shortname', shortname)} (evaluation {result.get('id')}, run {result.get('run_id')})",
        [
            ("result", result.get("result")),
            ("threshold", result.get("threshold")),
            ("passed", result.get("is_gte_threshold")),
            ("scored", result.get("is_success")),
            ("explanation", result.get("explanation")),
            ("model", result.get("model_slug")),
            ("cost", result.get("evaluation_cost")),
        ],
    )
