"""Run writes: create (dataset, custom, single evaluation), update and delete. Every rule lives here."""

import secrets
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from itertools import islice
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from accounts.credits import payer_for
from accounts.models import User
from accounts.ownership import check_delete_allowed, check_org_id_change, org_id_of, org_in_collection
from aegis.db import constraint_violation, violates
from aegis.errors import BusinessRuleError, NotFound
from aegis.locks import KEY_SHARE, NO_KEY_UPDATE, lock_row
from collections_app.models import DataCollection
from collections_app.selectors import collection_for_linking
from datasets.models import Dataset, Record
from metrics import registry
from metrics.availability import DEFAULT_MODEL_SLUG
from metrics.registry import RECORD_FIELDS
from runs import billing, estimates
from runs.models import ALIAS_MAX_LENGTH, Evaluation, Run, RunRecord
from runs.plans import check_model_slugs, custom_plans, dataset_plans, single_plan
from runs.scoring import MetricPlan, Row, finish_run_if_complete, write_evaluations
from runs.tasks import schedule_scoring, score_now

READ_CHUNK = 5000
ALIAS_CONSTRAINT = "run_alias_unique_per_user"
ALIAS_ATTEMPTS = 5


def run_create_from_dataset(
    *,
    user: User,
    dataset_id: int,
    threshold: int | None = None,
    model_slug: str | None = None,
    metric_args: dict[str, Any] | None = None,
    is_blocking: bool = False,
    alias: str | None = None,
) -> Run:
    dataset = Dataset.objects.visible_to(user).select_related("data_collection").filter(pk=dataset_id).first()
    if dataset is None:
        # A 400, not a 404: the URL is fine, the dataset_id in the body is what is wrong.
        raise BusinessRuleError(f"Dataset {dataset_id} not found.", errors={"dataset_id": ["not found"]})
    check_model_slugs(model_slug)
    model_slug = model_slug or DEFAULT_MODEL_SLUG
    plans = dataset_plans(dataset=dataset, metric_args=metric_args, model_slug=model_slug)
    # The latest version's records (datasets.versions); the version is read again under the lock below.
    records = Record.objects.filter(dataset_id=dataset.pk, id__gte=dataset.records_from_id)
    record_count = records.count()
    if record_count == 0:
        raise NotFound(f"Dataset {dataset.pk} has no records.")
    if any(plan.spec.is_judged for plan in plans):
        cost = estimates.judged_cost(plans=plans, rows=record_count, chars=estimates.records_chars(records))
        _check_credits(user, cost)

    collection = dataset.data_collection
    # A run shares what it runs on: the dataset's org, else its collection's; a borrowed dataset, the caller's org.
    users_org = org_id_of(user)
    borrowed = dataset.user_id != user.pk and users_org is not None
    org_id = dataset.org_id or (collection.org_id if collection else None) or (users_org if borrowed else None)
    with transaction.atomic():
        version, records_from_id = _hold_dataset(dataset)
        records = Record.objects.filter(dataset_id=dataset.pk, id__gte=records_from_id)
        run = _save_run(
            user=user,
            run_type=Run.RunType.DATASET,
            alias=alias,
            alias_base=dataset.name,
            dataset=dataset,
            dataset_version=version,
            collection=collection,
            org_id=org_id,
            threshold=threshold,
            model_slug=model_slug,
            metric_count=len(plans),
        )
        rows = records.order_by("id").values_list("id", *RECORD_FIELDS).iterator(chunk_size=READ_CHUNK)
        index = 0
        # One COPY per chunk: the server-side cursor must not be read while a COPY is in progress.
        while chunk := list(islice(rows, READ_CHUNK)):
            batch = [
                (Row(dict(zip(RECORD_FIELDS, values, strict=True)), index + offset, record_id=record_id), plans)
                for offset, (record_id, *values) in enumerate(chunk)
            ]
            write_evaluations(run=run, rows=batch, score=is_blocking)
            index += len(chunk)
        _schedule(run, is_blocking)
    return _finish_blocking(run, plans, is_blocking)


def run_create_custom(
    *,
    user: User,
    evaluations: list[dict[str, Any]],
    threshold: int | None = None,
    model_slug: str | None = None,
    is_blocking: bool = False,
    data_collection_id: int | None = None,
    alias: str | None = None,
) -> Run:
    if not evaluations:
        raise BusinessRuleError("At least one evaluation block is required.", errors={"evaluations": ["empty"]})
    plans_per_block = custom_plans(blocks=evaluations, threshold=threshold, model_slug=model_slug)
    collection = collection_for_linking(user=user, org=None, collection_id=data_collection_id)
    cost = sum(
        (
            estimates.judged_cost(plans=plans, rows=len(block["data"]), chars=estimates.text_chars(block["data"]))
            for block, plans in zip(evaluations, plans_per_block, strict=True)
        ),
        Decimal(0),
    )
    _check_credits(user, cost)
    with transaction.atomic():
        org_id = _hold_collection(collection)
        run = _save_run(
            user=user,
            run_type=Run.RunType.CUSTOM,
            alias=alias,
            alias_base="custom-run",
            dataset=None,
            collection=collection,
            org_id=org_id,
            threshold=threshold,
            model_slug=model_slug or DEFAULT_MODEL_SLUG,
            metric_count=len({plan.spec.id for plans in plans_per_block for plan in plans}),
        )
        for block, plans in zip(evaluations, plans_per_block, strict=True):
            stored = RunRecord.objects.bulk_create(
                [RunRecord(run=run, **{name: row.get(name) for name in RECORD_FIELDS}) for row in block["data"]],
                batch_size=1000,
            )
            rows = [(Row(block["data"][i], i, run_record_id=record.pk), plans) for i, record in enumerate(stored)]
            write_evaluations(run=run, rows=rows, score=is_blocking)
        _schedule(run, is_blocking)
    return _finish_blocking(run, [plan for plans in plans_per_block for plan in plans], is_blocking)


def evaluate(
    *,
    user: User,
    metric_shortname: str,
    fields: dict[str, Any],
    threshold: int | None = None,
    model_slug: str | None = None,
    metric_args: dict[str, Any] | None = None,
) -> Evaluation:
    """Score one row with one metric, always blocking, inside an implicit custom run."""
    check_model_slugs(model_slug)
    model_slug = model_slug or DEFAULT_MODEL_SLUG
    plan = single_plan(shortname=metric_shortname, threshold=threshold, model_slug=model_slug, metric_args=metric_args)
    _check_credits(user, estimates.judged_cost(plans=[plan], rows=1, chars=estimates.text_chars([fields])))
    with transaction.atomic():
        run = _save_run(
            user=user,
            run_type=Run.RunType.CUSTOM,
            alias=None,
            alias_base=f"evaluate {metric_shortname}",
            dataset=None,
            collection=None,
            org_id=None,
            threshold=threshold,
            model_slug=model_slug,
            metric_count=1,
        )
        record = RunRecord.objects.create(run=run, **{name: fields.get(name) for name in RECORD_FIELDS})
        write_evaluations(run=run, rows=[(Row(fields, 0, run_record_id=record.pk), [plan])], score=True)
    _finish_blocking(run, [plan], True)
    return Evaluation.objects.select_related("run_record").get(run=run)


def check_retry_credits(*, user: User, run: Run, evaluations: QuerySet[Evaluation]) -> None:
    """A retry that would call a judge needs credits for it, from the run's payer."""
    plans = []
    for row in evaluations.values("metric_id", "model_slug").annotate(rows=Count("id")).order_by():
        spec = registry.get(row["metric_id"])
        if spec is not None and spec.is_judged:
            plan = MetricPlan(spec=spec, threshold=0, model_slug=row["model_slug"], args={})
            plans.append((plan, row["rows"]))
    cost = sum((estimates.judged_cost(plans=[plan], rows=rows, chars=0) for plan, rows in plans), Decimal(0))
    if cost > 0:
        billing.check_balance(payer=payer_for(owner_id=run.user_id, org_id=run.org_id), estimated_cost=cost)


def _hold_collection(collection: DataCollection | None) -> int | None:
    """Inside the creating transaction: the run's collection, held until the run is in (aegis.locks), and its org."""
    if collection is None:
        return None
    held = lock_row(DataCollection, collection.pk, strength=KEY_SHARE, fields=("org_id",))
    if held is None:
        raise NotFound(f"Data collection {collection.pk} not found.")
    org_id: int | None = held["org_id"]
    return org_id


def _hold_dataset(dataset: Dataset) -> tuple[int, int]:
    """Inside the creating transaction: the dataset (and its collection, first) held until the run is in, so that
    deleting either waits for the run instead of failing on it, or the run failing at commit. Returns the version
    held (a new version waits for the run) and where its records start."""
    collection_id = dataset.data_collection_id
    collection_gone = collection_id is not None and lock_row(DataCollection, collection_id) is None
    fields = ("data_collection_id", "version", "records_from_id")
    held = lock_row(Dataset, dataset.pk, strength=KEY_SHARE, fields=fields)
    if held is None:
        raise BusinessRuleError(f"Dataset {dataset.pk} not found.", errors={"dataset_id": ["not found"]})
    if collection_gone or held["data_collection_id"] != collection_id:
        message = f"Dataset {dataset.pk} moved to another data collection while this request ran; send it again."
        raise BusinessRuleError(message, errors={"dataset_id": ["changed"]})
    return held["version"], held["records_from_id"]


def _check_credits(user: User, estimated_cost: Decimal) -> None:
    """Structural runs cost nothing and are never refused; a judged one needs credits for its estimate."""
    if estimated_cost > 0:
        billing.check_balance(payer=payer_for(owner_id=user.pk, org_id=None), estimated_cost=estimated_cost)


def _schedule(run: Run, is_blocking: bool) -> None:
    if not is_blocking:
        schedule_scoring(run.pk)


def _finish_blocking(run: Run, plans: list[MetricPlan], is_blocking: bool) -> Run:
    """After the commit: a blocking run's judged evaluations are judged now, then the run is finished."""
    if is_blocking:
        if any(plan.spec.is_judged for plan in plans):
            score_now(run.pk)
        finish_run_if_complete(run.pk)
        run.refresh_from_db()
    return run


# Aliases: unique per account; a generated one never collides, even for two runs started in the same second.


def _duplicate_alias(alias: str) -> BusinessRuleError:
    message = f"A run with alias '{alias}' already exists in your account."
    return BusinessRuleError(message, errors={"alias": [message]})


def _generated_aliases(base: str, started_at: datetime) -> Iterator[str]:
    stamp = started_at.strftime("%Y-%m-%d %H:%M:%S")
    yield f"{base[: ALIAS_MAX_LENGTH - len(stamp) - 1]} {stamp}"
    for _ in range(ALIAS_ATTEMPTS):
        suffix = secrets.token_hex(3)
        yield f"{base[: ALIAS_MAX_LENGTH - len(stamp) - len(suffix) - 3]} {stamp} #{suffix}"


def _save_run(
    *, user: User, alias: str | None, alias_base: str, collection: DataCollection | None, **fields: Any
) -> Run:
    started_at = timezone.now()
    candidates: Iterable[str] = [alias] if alias is not None else _generated_aliases(alias_base, started_at)
    for candidate in candidates:
        if Run.objects.filter(user=user, alias=candidate).exists():
            continue
        try:
            with transaction.atomic():
                return Run.objects.create(
                    user=user,
                    author_email=user.email,
                    alias=candidate,
                    data_collection=collection,
                    started_at=started_at,
                    **fields,
                )
        except IntegrityError as exc:
            if violates(exc, ALIAS_CONSTRAINT):
                continue  # taken by a concurrent request between the check and the insert
            raise
    if alias is not None:
        raise _duplicate_alias(alias)
    raise BusinessRuleError("Could not generate a unique alias; please send one.", errors={"alias": ["collision"]})


# Update and delete.


def run_update(*, user: User, run: Run, changes: dict[str, Any]) -> Run:
    """Apply the sent fields of PUT /runs/{id}. `run` is already known to be visible to `user`."""
    is_dataset_run = run.dataset_id is not None or run.run_type == Run.RunType.DATASET
    sharing = {"org_id", "data_collection_id"} & set(changes)
    if sharing and is_dataset_run:
        raise BusinessRuleError(
            "A dataset run takes its sharing from its dataset; change it there.",
            errors={name: ["not allowed on a dataset run"] for name in sorted(sharing)},
        )
    if "org_id" in changes:
        check_org_id_change(user=user, row=run, org_id=changes["org_id"])
    if "data_collection_id" in changes:
        _apply_collection(user=user, run=run, changes=changes)
    if "org_id" in changes:
        run.org_id = changes["org_id"]
    if "alias" in changes:
        run.alias = changes["alias"]
        if (
            run.user_id is not None
            and Run.objects.filter(user_id=run.user_id, alias=run.alias).exclude(pk=run.pk).exists()
        ):
            raise _duplicate_alias(run.alias)
    # Only what the request changes is written: a cascade may have moved the run since it was read.
    sent = (("alias", "alias"), ("org", "org_id"), ("data_collection", "data_collection_id"))
    fields = [field for field, name in sent if name in changes]
    # The database decides between two renames racing for one alias.
    with constraint_violation({ALIAS_CONSTRAINT: lambda: _duplicate_alias(run.alias)}), transaction.atomic():
        if "data_collection" in fields and run.data_collection_id is not None:
            held = lock_row(DataCollection, run.data_collection_id, strength=KEY_SHARE, fields=("org_id",))
            if held is None:
                raise NotFound(f"Data collection {run.data_collection_id} not found.")
            if run.data_collection is None or held["org_id"] != run.data_collection.org_id:
                message = "The data collection's sharing changed while this request ran; send it again."
                raise BusinessRuleError(message, errors={"data_collection_id": ["changed"]})
        if lock_row(Run, run.pk, strength=NO_KEY_UPDATE) is None:
            raise NotFound(f"Run {run.pk} not found.")
        run.save(update_fields=fields)
    return run


def _apply_collection(*, user: User, run: Run, changes: dict[str, Any]) -> None:
    collection_id = changes["data_collection_id"]
    if collection_id is None:
        run.data_collection = None
        return
    collection = collection_for_linking(user=user, org=None, collection_id=collection_id)
    assert collection is not None  # an id was given: found, or NotFound
    if collection.org_id is None and collection.user_id != user.pk:
        raise BusinessRuleError(
            "That collection is private to someone else.", errors={"data_collection_id": ["private"]}
        )
    if collection.org_id is not None:
        changes["org_id"] = org_in_collection(row=run, collection_org_id=collection.org_id, changes=changes, noun="run")
    elif changes.get("org_id") is not None:
        raise BusinessRuleError(
            "A run in a private collection cannot be shared in the same request.", errors={"org_id": ["not null"]}
        )
    run.data_collection = collection


def run_delete(*, user: User, run: Run) -> None:
    """The owner deletes; an org-only run is deleted by an admin of its org. Anyone else who can see it: 403."""
    check_delete_allowed(user=user, row=run, noun="run")
    still_referred = "The run could not be deleted: other data still refers to it."
    with constraint_violation({}, otherwise=lambda: BusinessRuleError(still_referred)), transaction.atomic():
        # Children first, each a single DELETE: the ORM need not load a large run's evaluations.
        Evaluation.objects.filter(run=run).delete()
        RunRecord.objects.filter(run=run).delete()
        run.delete()


def detach_evaluations_from_records(record_ids: QuerySet[Any, Any]) -> None:
    """Before dataset records are deleted: the evaluations of them stay, in their runs, pointing at no record."""
    Evaluation.objects.filter(record_id__in=record_ids).update(record=None)
