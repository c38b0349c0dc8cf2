"""Which metrics a run applies, with which threshold, model and arguments."""

from aegis.errors import BusinessRuleError, NotFound
from datasets.models import Dataset
from metrics import registry
from metrics.args import MetricArgsError, resolve_args
from metrics.availability import DEFAULT_MODEL_SLUG, RouteMemo, metric_problem
from metrics.models import LlmModel, Metric
from metrics.selection import METRIC_ID
from runs.scoring import MetricPlan


def first_set(*values):
    return next((value for value in values if value is not None), None)


def check_model_slugs(*slugs: str | None) -> None:
    """Every named model must be in the catalog; an unknown slug is a 404."""
    wanted = {slug for slug in slugs if slug is not None}
    known = set(LlmModel.objects.filter(slug__in=wanted).values_list("slug", flat=True))
    missing = sorted(wanted - known)
    if missing:
        raise NotFound(f"Model {missing[0]!r} not found.")


def _args_error(problems: list[str]) -> BusinessRuleError:
    return BusinessRuleError("Invalid metric_args: " + "; ".join(problems), errors={"metric_args": problems})


def _active_catalog(metric_ids) -> dict[int, Metric]:
    return {metric.id: metric for metric in Metric.objects.filter(id__in=list(metric_ids))}


def dataset_plans(*, dataset: Dataset, metric_args: dict | None, model_slug: str) -> list[MetricPlan]:
    """The dataset's selected metrics, each with the run's `metric_args` laid over the dataset's own."""
    selected = dataset.selected_metrics or {}
    if not selected:
        raise NotFound(f"Dataset {dataset.pk} has no metrics configured.")
    overrides = metric_args or {}
    bad_keys = [key for key in overrides if not METRIC_ID.fullmatch(str(key))]
    if bad_keys:
        raise _args_error([f"key {key!r} is not an integer metric id" for key in bad_keys])
    catalog = _active_catalog(int(key) for key in selected)
    plans, problems = [], []
    routes: RouteMemo = {}
    for key, entry in selected.items():
        spec, metric = registry.get(int(key)), catalog.get(int(key))
        if spec is None or metric is None:
            problems.append(f"metric {key}: unknown metric id")
            continue
        if problem := metric_problem(metric=metric, spec=spec, model_slug=model_slug, routes=routes):
            problems.append(f"metric {key} ({spec.shortname}) is {problem}")
            continue
        try:
            # Keys for metrics the dataset does not select are ignored: only selected ids are looked up.
            args = resolve_args(spec, entry.get("metric_args"), overrides.get(key))
        except MetricArgsError as exc:
            problems.extend(exc.messages)
            continue
        plans.append(MetricPlan(spec=spec, threshold=entry["threshold"], model_slug=model_slug, args=args))
    if problems:
        raise BusinessRuleError("Invalid metrics: " + "; ".join(problems), errors={"metrics": problems})
    return plans


def custom_plans(*, blocks: list[dict], threshold: int | None, model_slug: str | None) -> list[list[MetricPlan]]:
    """One list of plans per evaluation block. Precedence: metric object, block, top level, then defaults."""
    items = [
        (block, item if isinstance(item, dict) else {"metric": item}) for block in blocks for item in block["metrics"]
    ]
    shortnames = {item["metric"] for _, item in items}
    catalog = {metric.shortname: metric for metric in Metric.objects.filter(shortname__in=shortnames)}
    check_model_slugs(
        model_slug, *(block.get("model_slug") for block in blocks), *(i.get("model_slug") for _, i in items)
    )

    problems: list[str] = []
    routes: RouteMemo = {}
    plans_by_block: dict[int, list[MetricPlan]] = {id(block): [] for block in blocks}
    for block, item in items:
        shortname = item["metric"]
        spec, metric = registry.by_shortname(shortname), catalog.get(shortname)
        if spec is None or metric is None:
            problems.append(f"unknown metric {shortname!r}")
            continue
        plan_model = first_set(item.get("model_slug"), block.get("model_slug"), model_slug, DEFAULT_MODEL_SLUG)
        if problem := metric_problem(metric=metric, spec=spec, model_slug=plan_model, routes=routes):
            problems.append(f"metric {shortname!r} is {problem}")
            continue
        try:
            args = resolve_args(spec, item.get("metric_args"))
        except MetricArgsError as exc:
            problems.extend(exc.messages)
            continue
        plan = MetricPlan(
            spec=spec,
            threshold=first_set(item.get("threshold"), block.get("threshold"), threshold, metric.default_threshold),
            model_slug=plan_model,
            args=args,
        )
        plans_by_block[id(block)].append(plan)
    if problems:
        raise BusinessRuleError("Invalid metrics: " + "; ".join(problems), errors={"metrics": problems})
    if not items:
        raise NotFound("No metrics were given for any evaluation block.")
    empty = [index for index, block in enumerate(blocks) if not block["metrics"]]
    if empty:
        # Its rows would be stored and never scored; the spec's 404 for "no metrics resolved" covers it.
        raise NotFound(f"evaluations.{empty[0]}.metrics is empty: every evaluation block needs at least one metric.")
    return [plans_by_block[id(block)] for block in blocks]


def single_plan(*, shortname: str, threshold: int | None, model_slug: str, metric_args: dict | None) -> MetricPlan:
    """The metric of POST /evaluate: an unknown shortname is a 404 there, an inactive one a 400."""
    spec, metric = registry.by_shortname(shortname), Metric.objects.filter(shortname=shortname).first()
    if spec is None or metric is None:
        raise NotFound(f"Metric {shortname!r} not found.")
    if problem := metric_problem(metric=metric, spec=spec, model_slug=model_slug):
        raise BusinessRuleError(f"Metric {shortname!r} is {problem}.", errors={"metric_shortname": [problem]})
    try:
        args = resolve_args(spec, metric_args)
    except MetricArgsError as exc:
        raise _args_error(exc.messages) from None
    return MetricPlan(
        spec=spec, threshold=first_set(threshold, metric.default_threshold), model_slug=model_slug, args=args
    )
