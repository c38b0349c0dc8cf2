import json

from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotAcceptable, UnsupportedMediaType
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from aegis.idempotency import idempotent
from aegis.jsonstream import json_response
from aegis.pagination import EnvelopePagination
from aegis.params import MAX_QUERY_INT, bool_param, int_param, str_param
from aegis.parsers import MultiPartParser, StrictJSONParser
from aegis.prefer import wants_minimal
from aegis.routing import parse_object_id
from aegis.schema import errors
from aegis.streamed_uploads import streamed_upload
from aegis.uploads import limit_upload_size
from aegis.views import APIView, validated
from datasets.export import dataset_csv_chunks
from datasets.models import DatasetType
from datasets.record_echo import RecordEcho
from datasets.representation import dataset_records, dataset_summary, stream_dataset
from datasets.selectors import dataset_all_partial, dataset_get_visible, dataset_list
from datasets.serializers import (
    DatasetCreateInput,
    DatasetDryRunOut,
    DatasetOut,
    DatasetPartialOut,
    DatasetSummaryOut,
    DatasetTypeOut,
    DatasetUpdateInput,
    RecordOut,
)
from datasets.services import dataset_dry_run, dataset_upload
from datasets.version_views import STREAMED_FILE, VERSION
from datasets.versions import dataset_as_of
from runs.selectors import dataset_evaluations, dataset_run_summaries
from workspace.dataset_services import dataset_delete, dataset_update

PREFER = OpenApiParameter(
    "Prefer",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="`return=minimal` leaves `records` and the runs' `evaluations` out and adds `record_count`.",
)
SHARED = OpenApiParameter(
    "shared", bool, required=False, description="false: only yours; true: only shared with you through your org."
)


IGNORED_COLUMNS_HEADER = "Aegis-Ignored-Columns"
IGNORED_COLUMNS_SHOWN = 50
IGNORED_NAME_CHARS = 100
IGNORED_COLUMNS = OpenApiParameter(
    IGNORED_COLUMNS_HEADER,
    str,
    OpenApiParameter.HEADER,
    response=[200, 201],
    description="The named columns of the file that no record field was read from, as a JSON array of strings "
    '(ASCII, with \\u escapes), e.g. `["notes", "Golden Answr"]`; `[]` when every column was used. At most '
    f"{IGNORED_COLUMNS_SHOWN} names, each cut at {IGNORED_NAME_CHARS} characters (a dry run's body lists them all).",
)


def ignored_columns_header(names: list[str]) -> str:
    return json.dumps([name[:IGNORED_NAME_CHARS] for name in names[:IGNORED_COLUMNS_SHOWN]], ensure_ascii=True)


def require_multipart(request) -> None:
    """A 415 that says what POST /datasets takes, before DRF's generic one."""
    content_type = request.content_type or ""
    if content_type.split(";", 1)[0].strip().lower() == "multipart/form-data":
        return
    sent = content_type.split(";", 1)[0].strip() or "no Content-Type"
    hint = (
        " Rows as JSON go in a JSON Lines file (one object per line), sent as that `file` part."
        if "json" in sent.lower()
        else ""
    )
    raise UnsupportedMediaType(
        sent,
        detail=f"POST /datasets takes multipart/form-data, not {sent}: send the table as the form part `file` and "
        "selected_metrics (and any other field) as form fields, e.g. curl -F file=@data.csv "
        f'-F \'selected_metrics={{"1": {{"threshold": 70}}}}\'.{hint}',
    )


def wants_csv(request) -> bool:
    """Accept names text/csv and not JSON: a client asking for the dataset as a CSV file."""
    accept = request.META.get("HTTP_ACCEPT", "").lower()
    types = {part.split(";", 1)[0].strip() for part in accept.split(",")}
    return "text/csv" in types and not types & {"application/json", "application/*", "*/*", "text/html"}


def dataset_response(
    request, dataset, status: int, version: int | None = None, echo: RecordEcho | None = None
) -> StreamingHttpResponse:
    """`echo`: the records as an upload wrote them, when it kept them (datasets.record_echo)."""
    minimal = wants_minimal(request)
    dataset, versions, id_range = dataset_as_of(dataset, version)
    body = stream_dataset(
        dataset,
        minimal=minimal,
        runs=dataset_run_summaries(request.user, dataset.pk, dataset.baseline_run_id),
        evaluations=dataset_evaluations(request.user, dataset.pk),
        versions=versions,
        id_range=id_range,
        records=None if echo is None else echo.chunks(),
    )
    response = StreamingHttpResponse(body, status=status, content_type="application/json")
    if minimal:
        response["Preference-Applied"] = "return=minimal"
    response["Vary"] = "Prefer"
    return response


class DatasetListCreateView(APIView):
    parser_classes = [MultiPartParser]
    serializer_class = DatasetCreateInput  # the browsable API's upload form
    pagination_class = EnvelopePagination

    @extend_schema(
        summary="List datasets",
        parameters=[
            OpenApiParameter(
                "dataset_type_id",
                {"type": "integer", "minimum": 1, "maximum": MAX_QUERY_INT},
                description="Left out: the CUSTOM type.",
            ),
            SHARED,
            OpenApiParameter(
                "search",
                {"type": "string", "maxLength": 255},
                description="Case-insensitive match on the name; empty is no filter.",
            ),
        ],
        responses={200: DatasetSummaryOut(many=True), **errors(404)},
    )
    def get(self, request):
        queryset = dataset_list(
            user=request.user,
            dataset_type_id=int_param(request, "dataset_type_id", default=None, minimum=1),
            shared=bool_param(request, "shared"),
            search=str_param(request, "search", max_length=255),
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, self)
        return json_response(paginator.envelope([dataset_summary(dataset) for dataset in page]))

    @extend_schema(
        summary="Create a dataset from a CSV, .xlsx or JSON Lines file (or check one with dry_run)",
        request={"multipart/form-data": DatasetCreateInput},
        parameters=[PREFER, IGNORED_COLUMNS],
        responses={
            201: DatasetOut,
            200: OpenApiResponse(DatasetDryRunOut, description="dry_run=true: nothing was stored."),
            **errors(400, 404, 413, 415),
        },
    )
    @idempotent
    def post(self, request):
        limit_upload_size(request)
        require_multipart(request)
        streamed = streamed_upload(request, fields_first=("selected_metrics",), **STREAMED_FILE)
        if streamed is not None:
            answer = streamed.attempt(lambda form: self._create(request, form))
            if answer is not None:
                return answer
        return self._create(request, request.data)

    def _create(self, request, form):
        data = validated(DatasetCreateInput, form)
        upload = data["file"]
        parts = {
            "user": request.user,
            "file": upload,
            "filename": upload.name,
            "selected_metrics": data["selected_metrics"],
            "column_mappings": data.get("column_mappings"),
            "name": data.get("name"),
            "data_collection_id": data.get("data_collection_id"),
            "delimiter": data.get("delimiter") or None,
        }
        if data["dry_run"]:
            report = dataset_dry_run(**parts)
            response = json_response(report)
            response[IGNORED_COLUMNS_HEADER] = ignored_columns_header(report["ignored_columns"])
            return response
        created = dataset_upload(**parts, keep_records=not wants_minimal(request))
        response = dataset_response(request, created.dataset, status=201, echo=created.echo)
        response["Location"] = reverse("dataset-detail", kwargs={"id": created.dataset.pk})
        response[IGNORED_COLUMNS_HEADER] = ignored_columns_header(created.ignored_columns)
        return response


class DatasetDetailView(APIView):
    parser_classes = [StrictJSONParser]

    def perform_content_negotiation(self, request, force=False):
        try:
            return super().perform_content_negotiation(request, force)
        except NotAcceptable:
            if request.method == "GET" and wants_csv(request):
                return (JSONRenderer(), JSONRenderer.media_type)  # get() redirects; an error stays JSON
            raise

    @extend_schema(
        summary="Get a dataset with its records",
        parameters=[PREFER, VERSION],
        responses={
            200: DatasetOut,
            303: OpenApiResponse(
                description="`Accept: text/csv` (without JSON): see Other at `Location`, /datasets/{id}/download."
            ),
            **errors(404),
        },
    )
    def get(self, request, id):
        dataset = dataset_get_visible(user=request.user, dataset_id=parse_object_id(id))
        if wants_csv(request):
            response = HttpResponseRedirect(reverse("dataset-download", kwargs={"id": dataset.pk}))
            response.status_code = 303
            return response
        return dataset_response(
            request, dataset, status=200, version=int_param(request, "version", default=None, minimum=1)
        )

    @extend_schema(
        summary="Update a dataset (only the sent fields apply)",
        request=DatasetUpdateInput,
        responses={200: DatasetSummaryOut, **errors(400, 403, 415)},
    )
    def put(self, request, id):
        dataset = dataset_get_visible(user=request.user, dataset_id=parse_object_id(id))
        changes = dict(validated(DatasetUpdateInput, request.data))
        dataset_update(user=request.user, dataset=dataset, changes=changes)
        return json_response(dataset_summary(dataset_get_visible(user=request.user, dataset_id=dataset.pk)))

    @extend_schema(summary="Delete a dataset and its records", responses={204: None, **errors(400, 403)})
    def delete(self, request, id):
        dataset = dataset_get_visible(user=request.user, dataset_id=parse_object_id(id))
        dataset_delete(user=request.user, dataset=dataset)
        return Response(status=204)


class DatasetRecordsView(APIView):
    pagination_class = EnvelopePagination

    @extend_schema(
        summary="Page through a dataset's records",
        parameters=[
            OpenApiParameter(
                "after_id",
                {"type": "integer", "minimum": 0, "maximum": MAX_QUERY_INT},
                description="Only records with a larger id: keyset paging.",
            ),
            VERSION,
        ],
        responses=RecordOut(many=True),
    )
    def get(self, request, id):
        dataset = dataset_get_visible(user=request.user, dataset_id=parse_object_id(id))
        after_id = int_param(request, "after_id", default=0, minimum=0)
        paginator = self.pagination_class()
        # Without a cursor the stored count describes the whole dataset; after one, the rest must be counted.
        dataset, _, id_range = dataset_as_of(dataset, int_param(request, "version", default=None, minimum=1))
        known_total = dataset.record_count if after_id == 0 else None
        records = dataset_records(dataset.pk, after_id=after_id, id_range=id_range)
        page = paginator.paginate_queryset(records, request, self, total_items=known_total)
        return json_response(paginator.envelope(page))


class DatasetDownloadView(APIView):
    def perform_content_negotiation(self, request, force=False):
        # The CSV is written by the view itself, whatever the client accepts; an error is the API's JSON body.
        return (JSONRenderer(), JSONRenderer.media_type)

    @extend_schema(
        summary="Download a dataset's records as CSV",
        description="UTF-8, a header row of the dataset's structure, one row per record in id order, null as an "
        "empty cell. Uploading the file again (POST /datasets, no column_mappings) gives the same records.",
        parameters=[
            OpenApiParameter(
                "Content-Disposition",
                str,
                OpenApiParameter.HEADER,
                response=[200],
                description='`attachment; filename="<dataset name>.csv"`',
            )
        ],
        responses={(200, "text/csv"): OpenApiTypes.STR, **errors(401, 404, 422)},
    )
    def get(self, request, id):
        dataset = dataset_get_visible(user=request.user, dataset_id=parse_object_id(id))
        response = StreamingHttpResponse(dataset_csv_chunks(dataset), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, f"{dataset.name}.csv")
        return response


class DatasetAllPartialView(APIView):
    @extend_schema(
        summary="All visible custom datasets, in brief",
        parameters=[SHARED],
        responses=DatasetPartialOut(many=True),
    )
    def get(self, request):
        queryset = dataset_all_partial(user=request.user, shared=bool_param(request, "shared"))
        return Response(DatasetPartialOut(queryset, many=True).data)


class DatasetTypeListView(APIView):
    @extend_schema(summary="List dataset types", responses=DatasetTypeOut(many=True))
    def get(self, request):
        return Response(DatasetTypeOut(DatasetType.objects.all(), many=True).data)
