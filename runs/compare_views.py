"""GET /runs/compare and GET /runs/compare/records: parse, call runs.compare, serialize."""

import csv

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.renderers import JSONRenderer

from aegis.exceptions import RequestShapeError
from aegis.jsonstream import json_response
from aegis.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, EnvelopePagination, page_meta
from aegis.params import MAX_QUERY_INT, int_param, str_param
from aegis.schema import errors
from aegis.views import APIView
from runs.compare import CHANGES, comparison_for, comparison_summary
from runs.compare_records import all_record_rows, record_count, record_page
from runs.compare_serializers import CompareRecordItemOut, CompareSummaryOut
from runs.models import RECORD_FIELDS

RUN_ID = {"type": "integer", "minimum": 1, "maximum": MAX_QUERY_INT}
PAIR = [
    OpenApiParameter(
        "base",
        RUN_ID,
        description="The run compared against. Left out: the head run's dataset baseline (400 when it has none).",
    ),
    OpenApiParameter("head", RUN_ID, required=True, description="The run being judged."),
]
FILTERS = [
    OpenApiParameter("metric", {"type": "string", "maxLength": 64}, description="Only this metric (a shortname)."),
    OpenApiParameter("change", str, enum=list(CHANGES), description="Only records with this change in a metric."),
]


def _comparison(request):
    head = int_param(request, "head", default=None, minimum=1)
    if head is None:
        raise RequestShapeError("Query parameter 'head': required.", errors={"head": ["required"]})
    return comparison_for(user=request.user, base_id=int_param(request, "base", default=None, minimum=1), head_id=head)


def _filters(request) -> dict:
    change = str_param(request, "change", max_length=16)
    if change is not None and change not in CHANGES:
        message = f"must be one of {', '.join(CHANGES)}."
        raise RequestShapeError(f"Query parameter 'change': {message}", errors={"change": [message]})
    return {"metric": str_param(request, "metric", max_length=64), "change": change}


def wants_csv(request) -> bool:
    accepted = [part.split(";")[0].strip().lower() for part in request.headers.get("Accept", "").split(",")]
    return "text/csv" in accepted


class RunCompareView(APIView):
    @extend_schema(
        summary="Compare two runs: per metric means, pass rates, regressions, and a 95% interval of the delta",
        parameters=PAIR,
        responses={200: CompareSummaryOut, **errors(400, 401, 404, 422)},
    )
    def get(self, request):
        return json_response(comparison_summary(_comparison(request)))


class _Echo:
    def write(self, value):
        return value


CSV_COLUMNS = (
    "cursor",
    "metric",
    "change",
    "base_record_id",
    "base_record_index",
    "head_record_id",
    "head_record_index",
    *RECORD_FIELDS,
    "head_output",
    "base_result",
    "base_threshold",
    "base_is_success",
    "base_is_gte_threshold",
    "head_result",
    "head_threshold",
    "head_is_success",
    "head_is_gte_threshold",
)


def _csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _csv_lines(comparison, filters):
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for item in all_record_rows(comparison, **filters):
        base, head = item["base_record"], item["head_record"]
        for metric, change in item["metrics"].items():
            row = {
                "cursor": item["cursor"],
                "metric": metric,
                "change": change["change"],
                "base_record_id": base["id"],
                "base_record_index": base["record_index"],
                "head_record_id": head["id"],
                "head_record_index": head["record_index"],
                **{name: base[name] for name in RECORD_FIELDS},
                "head_output": head["output"],
                **{f"base_{name}": value for name, value in change["base"].items()},
                **{f"head_{name}": value for name, value in change["head"].items()},
            }
            yield writer.writerow([_csv_text(row[name]) for name in CSV_COLUMNS])


class RunCompareRecordsView(APIView):
    # For the OpenAPI document: the JSON answer is the paging envelope around the items.
    pagination_class = EnvelopePagination

    def perform_content_negotiation(self, request, force=False):
        # The CSV is written by the view itself; an error is always the API's JSON body.
        return (JSONRenderer(), JSONRenderer.media_type)

    @extend_schema(
        summary="Page through the matched records of two runs, per metric base and head; Accept: text/csv streams all",
        parameters=[
            *PAIR,
            *FILTERS,
            OpenApiParameter(
                "after",
                {"type": "integer", "minimum": 0, "maximum": MAX_QUERY_INT},
                description="The `cursor` of the last item seen: keyset paging, as fast at any depth.",
            ),
            OpenApiParameter(
                "page", {"type": "integer", "minimum": 1, "maximum": MAX_QUERY_INT, "default": 1}, description="From 1."
            ),
            OpenApiParameter(
                "page_size", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE}
            ),
            OpenApiParameter(
                "Accept",
                str,
                OpenApiParameter.HEADER,
                description="`text/csv`: every matched record (after the filters), one line per record and metric, "
                "with full texts; paging parameters are then ignored.",
            ),
        ],
        responses={
            200: CompareRecordItemOut(many=True),
            (200, "text/csv"): OpenApiTypes.STR,
            **errors(400, 401, 404, 422),
        },
    )
    def get(self, request):
        comparison = _comparison(request)
        filters = _filters(request)
        if wants_csv(request):
            response = StreamingHttpResponse(_csv_lines(comparison, filters), content_type="text/csv")
            name = f"compare_{comparison.base.pk}_{comparison.head.pk}.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        page = int_param(request, "page", default=1, minimum=1)
        page_size = int_param(request, "page_size", default=DEFAULT_PAGE_SIZE, minimum=1, maximum=MAX_PAGE_SIZE)
        after = int_param(request, "after", default=None, minimum=0)
        offset = (page - 1) * page_size
        # The total describes the whole filtered set, whatever the cursor.
        total = record_count(comparison, **filters)
        # A page past the end is empty without a query, so no offset can overflow the database's integers.
        rows = (
            record_page(comparison, after=after, offset=offset, limit=page_size + 1, **filters)
            if offset < total
            else []
        )
        items = rows[:page_size]
        meta = page_meta(
            page=page, page_size=page_size, total_items=total, items_on_page=len(items), has_next=len(rows) > page_size
        )
        return json_response({"items": items, "meta": meta})
