from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from aegis.routing import parse_object_id
from aegis.schema import errors
from aegis.views import validated
from datasets.representation import array_body, dumps, json_chunks
from runs import services
from runs.export import present_columns, stream_csv
from runs.selectors import cost_text, is_gte, model_list, run_evaluations, run_get_visible, run_object
from runs.serializers import (
    EvaluateInput,
    EvaluateOut,
    LlmModelOut,
    RunCustomCreateInput,
    RunDatasetCreateInput,
    RunOut,
    RunUpdateInput,
)


def run_response(run, status: int) -> StreamingHttpResponse:
    """The run object, its evaluations streamed in chunks so a large run never sits whole in memory."""

    def body():
        yield dumps(run_object(run))[:-1] + b',"evaluations":['
        yield from array_body(json_chunks(run_evaluations(run.pk)))
        yield b"]}"

    return StreamingHttpResponse(body(), status=status, content_type="application/json")


class RunDatasetCreateView(APIView):
    @extend_schema(
        summary="Run a dataset's metrics over its records",
        request=RunDatasetCreateInput,
        responses={201: RunOut, **errors(400, 401, 402, 404, 422)},
    )
    def post(self, request):
        data = validated(RunDatasetCreateInput, request.data)
        run = services.run_create_from_dataset(user=request.user, **data)
        return run_response(run_get_visible(user=request.user, run_id=run.pk), status=201)


class RunCustomCreateView(APIView):
    @extend_schema(
        summary="Run metrics over rows sent inline",
        request=RunCustomCreateInput,
        responses={201: RunOut, **errors(400, 401, 402, 404, 422)},
    )
    def post(self, request):
        data = validated(RunCustomCreateInput, request.data)
        evaluations = [{**block, "data": [dict(row) for row in block["data"]]} for block in data.pop("evaluations")]
        run = services.run_create_custom(user=request.user, evaluations=evaluations, **data)
        return run_response(run_get_visible(user=request.user, run_id=run.pk), status=201)


class EvaluateView(APIView):
    @extend_schema(
        summary="Score one row with one metric",
        request=EvaluateInput,
        responses={201: EvaluateOut, **errors(400, 401, 402, 404, 422)},
    )
    def post(self, request):
        data = validated(EvaluateInput, request.data)
        fields = {name: data.pop(name) for name in ("prompt", "input", "context", "output", "golden_answer")}
        evaluation = services.evaluate(user=request.user, fields=fields, **data)
        body = {
            "id": evaluation.pk,
            "run_id": evaluation.run_id,
            "model_slug": evaluation.model_slug,
            "metric_args": evaluation.metric_args,
            "is_success": evaluation.is_success,
            "is_gte_threshold": is_gte(evaluation.result, evaluation.threshold),
            "threshold": evaluation.threshold,
            **fields,
            "started_at": evaluation.started_at,
            "result": evaluation.result,
            "explanation": evaluation.explanation,
            "evaluation_cost": cost_text(evaluation.evaluation_cost),
            "finished_at": evaluation.finished_at,
            "metric_shortname": evaluation.metric_shortname,
            "eval_metadata": evaluation.eval_metadata,
        }
        return StreamingHttpResponse([dumps(body)], status=201, content_type="application/json")


class RunDetailView(APIView):
    @extend_schema(summary="Get a run with its evaluations", responses={200: RunOut, **errors(401, 404, 422)})
    def get(self, request, id):
        return run_response(run_get_visible(user=request.user, run_id=parse_object_id(id)), status=200)

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
    @extend_schema(
        summary="Download a run's evaluations as CSV",
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


class LlmModelListView(APIView):
    @extend_schema(summary="List the model catalog", responses={200: LlmModelOut(many=True), **errors(401)})
    def get(self, request):
        return Response(LlmModelOut(model_list(), many=True).data)
