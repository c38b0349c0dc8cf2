"""What a run is expected to cost before it starts, for the credit check (402).

A judged evaluation makes a couple of judge calls, each carrying the instructions plus the row's text and
getting a short structured reply. The estimate prices that at the model's rates; the real cost is what the
provider reports, debited as it is incurred. Structural metrics cost nothing.
"""

from decimal import Decimal

from django.db.models import Sum, Value
from django.db.models.functions import Coalesce, Length

from metrics.judges.routing import route_for
from runs.models import RECORD_FIELDS
from runs.scoring import MetricPlan

JUDGE_CALLS_PER_EVALUATION = 2
INSTRUCTION_TOKENS_PER_CALL = 600
REPLY_TOKENS_PER_CALL = 400
CHARS_PER_TOKEN = 4
MILLION = Decimal(1_000_000)


def judged_cost(*, plans: list[MetricPlan], rows: int, chars: int) -> Decimal:
    """`rows` rows holding `chars` characters of text in all, each scored with every plan."""
    total = Decimal(0)
    for plan in plans:
        route = route_for(plan.model_slug) if plan.spec.is_judged and plan.model_slug else None
        if route is None:
            continue
        tokens_in = JUDGE_CALLS_PER_EVALUATION * (INSTRUCTION_TOKENS_PER_CALL * rows + chars // CHARS_PER_TOKEN)
        tokens_out = JUDGE_CALLS_PER_EVALUATION * REPLY_TOKENS_PER_CALL * rows
        total += (tokens_in * route.input_cost_per_million + tokens_out * route.output_cost_per_million) / MILLION
    return total


def text_chars(rows: list[dict]) -> int:
    return sum(len(row.get(name) or "") for row in rows for name in RECORD_FIELDS)


def records_chars(records) -> int:
    """The characters of text in a queryset of records, counted by the database."""
    lengths = [Coalesce(Length(name), Value(0)) for name in RECORD_FIELDS]
    total = records.aggregate(chars=Sum(sum(lengths[1:], lengths[0])))["chars"]
    return total or 0
