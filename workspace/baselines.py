"""A dataset's baseline: one of its runs, the one the others are compared with."""

from accounts.models import User
from aegis.errors import BusinessRuleError
from datasets.models import Dataset
from runs.models import Run


def baseline_run_id_for(*, user: User, dataset: Dataset, run_id: int | None) -> int | None:
    """The baseline a PUT /datasets/{id} may set: null, or a run on this dataset that the caller can see."""
    if run_id is None:
        return None
    on_dataset = Run.objects.visible_to(user).filter(pk=run_id, dataset_id=dataset.pk).exists()
    if not on_dataset:
        message = f"Run {run_id} is not a run on dataset {dataset.pk} that you can see."
        raise BusinessRuleError(message, errors={"baseline_run_id": [message]})
    return run_id
