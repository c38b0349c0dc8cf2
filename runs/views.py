from django.http import HttpResponse, StreamingHttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from aegis.exceptions import RequestShapeError
from aegis.idempotency import idempotent
from aegis.jsonstream import array_body, dumps, json_chunks, json_response
from aegis.pagination import EnvelopePagination
from aegis.params import MAX_QUERY_INT, bool_param, int_param, str_param
from aegis.prefer import wants_minimal
from aegis.routing import parse_object_id
from aegis.schema import errors
from aegis.views import APIView, validated
from runs import lifecycle, services
from runs.export import present_columns, stream_csv
from runs.models import Run
from runs.report import render_report
from runs.report_compare import comparison_context
from runs.representation import evaluate_output, evaluation_item, run_object
from runs.selectors import evaluation_page_rows, model_list, run_evaluations, run_get_visible, run_list
from runs.serializers import (
    EvaluateInput,
    EvaluateOut,
    EvaluationOut,
    LlmModelOut,
    RunCustomCreateInput,
    RunDatasetCreateInput,
    RunListItemOut,
    RunOut,
    RunUpdateInput,
)

RUN_PREFER = [
    OpenApiParameter(
        "Prefer",
        str,
        OpenApiParameter.HEADER,
        required=False,
        description="`return=minimal` (RFC 7240) leaves `evaluations` out; poll `status` and `progress` this way.",
    ),
    OpenApiParameter(
        "Preference-Applied",
        str,
        OpenApiParameter.HEADER,
        response=[200, 201],
        description="`return=minimal` when the body left `evaluations` out.",
    ),
]


def run_response(run, status: int, request=None) -> StreamingHttpResponse:
    """The run object, its evaluations streamed in chunks so a large run never sits whole in memory.

    With `Prefer: return=minimal` (RFC 7240) the evaluations are left out.
    """
    minimal = request is not None and wants_minimal(request)

    def body():
        if minimal:
            yield dumps(run_object(run))
            return
        yield dumps(run_object(run))[:-1] + b',"evaluations":['
        yield from array_body(json_chunks(run_evaluations(run.pk)))
        yield b"]}"

    response = StreamingHttpResponse(body(), status=status, content_type="application/json")
    if minimal:
        response["Preference-Applied"] = "return=minimal"
    response["Vary"] = "Prefer"
    return response


def created(response: StreamingHttpResponse, run_id: int) -> StreamingHttpResponse:
    """A create's 201 names the run it made (for /evaluate, the run holding the evaluation)."""
    response["Location"] = reverse("run-detail", kwargs={"id": run_id})
    return response


class RunDatasetCreateView(APIView):
    @extend_schema(
        summary="Run a dataset's metrics over its records",
        request=RunDatasetCreateInput,
        parameters=RUN_PREFER,
        responses={201: RunOut, **errors(400, 401, 402, 404, 422)},
    )
    @idempotent
    def post(self, request):
        data = validated(RunDatasetCreateInput, request.data)
        run = services.run_create_from_dataset(user=request.user, **data)
        return created(run_response(run_get_visible(user=request.user, run_id=run.pk), 201, request), run.pk)


class RunCustomCreateView(APIView):
    @extend_schema(
        summary="Run metrics over rows sent inline",
        request=RunCustomCreateInput,
        parameters=RUN_PREFER,
        responses={201: RunOut, **errors(400, 401, 402, 404, 422)},
    )
    @idempotent
    def post(self, request):
        data = validated(RunCustomCreateInput, request.data)
        evaluations = [{**block, "data": [dict(row) for row in block["data"]]} for block in data.pop("evaluations")]
        run = services.run_create_custom(user=request.user, evaluations=evaluations, **data)
        return created(run_response(run_get_visible(user=request.user, run_id=run.pk), 201, request), run.pk)


class EvaluateView(APIView):
    @extend_schema(
        summary="Score one row with one metric",
        request=EvaluateInput,
        responses={201: EvaluateOut, **errors(400, 401, 402, 404, 422)},
    )
    @idempotent
    def post(self, request):
        data = validated(EvaluateInput, request.data)
        fields = {name: data.pop(name) for name in ("prompt", "input", "context", "output", "golden_answer")}
        evaluation = services.evaluate(user=request.user, fields=fields, **data)
        body = dumps(evaluate_output(evaluation, fields))
        response = StreamingHttpResponse([body], status=201, content_type="application/json")
        return created(response, evaluation.run_id)


class RunDetailView(APIView):
    @extend_schema(
        summary="Get a run with its evaluations",
        parameters=RUN_PREFER,
        responses={200: RunOut, **errors(401, 404, 422)},
    )
    def get(self, request, id):
        return run_response(run_get_visible(user=request.user, run_id=parse_object_id(id)), 200, request)

    @extend_schema(
        summary="Rename a run or change its sharing",
        request=RunUpdateInput,
        responses={200: RunOut, **errors(400, 401, 403, 404, 422)},
    )
    def put(self, request, id):
        run = run_get_visible(user=request.user, run_id=parse_object_id(id))
        changes = dict(validated(RunUpdateInput, request.data))
        services.run_update(user=request.user, run=run, changes=changes)
        return run_response(run_get_visible(user=request.user, run_id=run.pk), status=200)

    @extend_schema(summary="Delete a run", responses={204: None, **errors(400, 401, 403, 404, 422)})
    def delete(self, request, id):
        run = run_get_visible(user=request.user, run_id=parse_object_id(id))
        services.run_delete(user=request.user, run=run)
        return Response(status=204)


class RunDownloadView(APIView):
    def perform_content_negotiation(self, request, force=False):
        # The CSV is written by the view itself, whatever the client accepts (text/csv included); an error is
        # always the API's JSON body.
        return (JSONRenderer(), JSONRenderer.media_type)

    @extend_schema(
        summary="Download a run's evaluations as CSV",
        parameters=[
            OpenApiParameter(
                "Content-Disposition",
                str,
                OpenApiParameter.HEADER,
                response=[200],
                description='`attachment; filename="run_<id>_report.csv"`',
            )
        ],
        responses={(200, "text/csv"): OpenApiTypes.STR, **errors(401, 404, 422)},
    )
    def get(self, request, id):
        run = run_get_visible(user=request.user, run_id=parse_object_id(id))
        columns = present_columns(run)
        if not columns:
            raise NotFound(f"Run {run.pk} has no evaluations.")
        response = StreamingHttpResponse(stream_csv(run, columns), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="run_{run.pk}_report.csv"'
        return response


REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


class RunReportView(APIView):
    """The run report as an HTML page for a person (from a browser session, the CLI or Swagger)."""

    def perform_content_negotiation(self, request, force=False):
        # The page is written by the view itself; an error stays the API's JSON body.
        return (JSONRenderer(), JSONRenderer.media_type)

    @extend_schema(
        summary="The run report as an HTML page",
        description="Per metric: the mean score, the pass rate against the thresholds and a histogram of scores "
        "(inline SVG); then the failed evaluations with their explanations and the evaluations, each paged by 50, "
        "and a link to the CSV report (GET /runs/{id}/download). Self-contained: nothing is fetched.",
        parameters=[
            OpenApiParameter("page", {"type": "integer", "minimum": 1}, description="Page of the evaluations."),
            OpenApiParameter(
                "failed_page", {"type": "integer", "minimum": 1}, description="Page of the failed evaluations."
            ),
            OpenApiParameter(
                "compare",
                {"type": "integer", "minimum": 1, "maximum": MAX_QUERY_INT},
                description="A base run: the page opens with the comparison of this run with it (as GET "
                "/runs/compare), per metric both histograms side by side, and the regressed records. 404 when you "
                "cannot see it, 400 when the runs cannot be compared.",
            ),
            OpenApiParameter(
                "regressions_page",
                {"type": "integer", "minimum": 1},
                description="With `compare`: page of the regressed records (50 a page).",
            ),
        ],
        responses={(200, "text/html"): OpenApiTypes.STR, **errors(400, 401, 404, 422)},
    )
    def get(self, request, id):
        run = run_get_visible(user=request.user, run_id=parse_object_id(id))
        comparison = comparison_context(
            user=request.user,
            run=run,
            compare_id=int_param(request, "compare", default=None, minimum=1),
            page=int_param(request, "regressions_page", default=1, minimum=1, maximum=10**9),
        )
        html = render_report(
            run,
            page=int_param(request, "page", default=1, minimum=1, maximum=10**9),
            failed_page=int_param(request, "failed_page", default=1, minimum=1, maximum=10**9),
            csv_url=reverse("run-download", kwargs={"id": run.pk}),
            request=request,
            standalone=True,
            extra=comparison,
        )
        response = HttpResponse(html, content_type="text/html; charset=utf-8")
        response["Content-Security-Policy"] = REPORT_CSP
        return response


class LlmModelListView(APIView):
    @extend_schema(summary="List the model catalog", responses={200: LlmModelOut(many=True), **errors(401)})
    def get(self, request):
        return Response(LlmModelOut(model_list(), many=True).data)


RUN_TYPES = {"dataset": Run.RunType.DATASET, "custom": Run.RunType.CUSTOM, "Dataset": Run.RunType.DATASET}
RUN_TYPES["Custom"] = Run.RunType.CUSTOM
STATUSES = [choice.value for choice in Run.Status]


def _choice(request, name: str, choices) -> str | None:
    value = str_param(request, name, max_length=32)
    if value is not None and value not in choices:
        message = f"must be one of {', '.join(sorted(set(map(str, choices))))}."
        raise RequestShapeError(f"Query parameter '{name}': {message}", errors={name: [message]})
    return value


class RunListView(APIView):
    pagination_class = EnvelopePagination

    @extend_schema(
        summary="List the runs you can see, newest first",
        parameters=[
            OpenApiParameter(
                "dataset_id",
                {"type": "integer", "minimum": 1, "maximum": MAX_QUERY_INT},
                description="Runs of this dataset.",
            ),
            OpenApiParameter(
                "data_collection_id",
                {"type": "integer", "minimum": 1, "maximum": MAX_QUERY_INT},
                description="Runs in this collection.",
            ),
            OpenApiParameter("run_type", str, enum=["dataset", "custom"]),
            OpenApiParameter("status", str, enum=STATUSES),
            OpenApiParameter(
                "shared", bool, description="false: only yours; true: only shared with you through your org."
            ),
            OpenApiParameter("search", {"type": "string", "maxLength": 255}, description="Part of the alias."),
        ],
        responses={200: RunListItemOut(many=True), **errors(401, 422)},
    )
    def get(self, request):
        run_type = _choice(request, "run_type", RUN_TYPES)
        queryset = run_list(
            user=request.user,
            dataset_id=int_param(request, "dataset_id", default=None, minimum=1),
            data_collection_id=int_param(request, "data_collection_id", default=None, minimum=1),
            run_type=RUN_TYPES[run_type] if run_type else None,
            status=_choice(request, "status", STATUSES),
            shared=bool_param(request, "shared"),
            search=str_param(request, "search", max_length=255),
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, self)
        return json_response(paginator.envelope([run_object(run) for run in page]))


class RunEvaluationsView(APIView):
    pagination_class = EnvelopePagination

    @extend_schema(
        summary="Page through a run's evaluations, filtered",
        parameters=[
            OpenApiParameter(
                "after_id",
                {"type": "integer", "minimum": 0, "maximum": MAX_QUERY_INT},
                description="Only evaluations with a larger id: keyset paging, fast at any depth.",
            ),
            OpenApiParameter("metric", str, description="A metric shortname."),
            OpenApiParameter("is_success", bool, description="false: the evaluations that failed (not low scores)."),
            OpenApiParameter("is_gte_threshold", bool, description="Whether the result reached its threshold."),
            OpenApiParameter("record_index_min", {"type": "integer", "minimum": 0, "maximum": MAX_QUERY_INT}),
            OpenApiParameter("record_index_max", {"type": "integer", "minimum": 0, "maximum": MAX_QUERY_INT}),
        ],
        responses={200: EvaluationOut(many=True), **errors(401, 404, 422)},
    )
    def get(self, request, id):
        run = run_get_visible(user=request.user, run_id=parse_object_id(id))
        after_id = int_param(request, "after_id", default=0, minimum=0)
        rows, known_total = evaluation_page_rows(
            run,
            after_id=after_id,
            metric=str_param(request, "metric", max_length=64),
            is_success=bool_param(request, "is_success"),
            is_gte_threshold=bool_param(request, "is_gte_threshold"),
            record_index_min=int_param(request, "record_index_min", default=None, minimum=0),
            record_index_max=int_param(request, "record_index_max", default=None, minimum=0),
        )
        paginator = self.pagination_class()
        # After a cursor, the stored total still describes the whole filtered set, and the page needs no count.
        page = paginator.paginate_queryset(rows, request, self, total_items=known_total, keyset=after_id > 0)
        return json_response(paginator.envelope([evaluation_item(row) for row in page]))


class RunCancelView(APIView):
    @extend_schema(
        summary="Cancel a run: its pending evaluations fail as cancelled",
        request=None,
        responses={200: RunListItemOut, **errors(400, 401, 404, 422)},
    )
    def post(self, request, id):
        run = run_get_visible(user=request.user, run_id=parse_object_id(id))
        run = lifecycle.run_cancel(user=request.user, run=run)
        return json_response(run_object(run_get_visible(user=request.user, run_id=run.pk)))


class RunRetryView(APIView):
    @extend_schema(
        summary="Score again, in the background, the evaluations that failed",
        request=None,
        responses={202: RunListItemOut, **errors(401, 402, 404, 422)},
    )
    def post(self, request, id):
        run = run_get_visible(user=request.user, run_id=parse_object_id(id))
        run = lifecycle.run_retry(user=request.user, run=run)
        return json_response(run_object(run_get_visible(user=request.user, run_id=run.pk)), status=202)
