from django.http import StreamingHttpResponse
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from aegis.idempotency import idempotent
from aegis.pagination import EnvelopePagination
from aegis.params import MAX_QUERY_INT, bool_param, int_param, str_param
from aegis.parsers import MultiPartParser, StrictJSONParser
from aegis.prefer import wants_minimal
from aegis.routing import parse_object_id
from aegis.schema import errors
from aegis.uploads import limit_upload_size
from aegis.views import validated
from datasets.models import DatasetType
from datasets.representation import dataset_records, dataset_summary, json_response, stream_dataset
from datasets.selectors import dataset_all_partial, dataset_get_visible, dataset_list
from datasets.serializers import (
    DatasetCreateInput,
    DatasetOut,
    DatasetPartialOut,
    DatasetSummaryOut,
    DatasetTypeOut,
    DatasetUpdateInput,
    RecordOut,
)
from datasets.services import dataset_create, dataset_delete, dataset_update
from runs.selectors import dataset_evaluations, dataset_run_summaries

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


def dataset_response(request, dataset, status: int) -> StreamingHttpResponse:
    minimal = wants_minimal(request)
    body = stream_dataset(
        dataset,
        minimal=minimal,
        runs=dataset_run_summaries(request.user, dataset.pk),
        evaluations=dataset_evaluations(request.user, dataset.pk),
    )
    response = StreamingHttpResponse(body, status=status, content_type="application/json")
    if minimal:
        response["Preference-Applied"] = "return=minimal"
    response["Vary"] = "Prefer"
    return response


class DatasetListCreateView(APIView):
    parser_classes = [MultiPartParser]
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
        summary="Create a dataset from a CSV file",
        request={"multipart/form-data": DatasetCreateInput},
        parameters=[PREFER],
        responses={201: DatasetOut, **errors(400, 404, 413, 415)},
    )
    @idempotent
    def post(self, request):
        limit_upload_size(request)
        data = validated(DatasetCreateInput, request.data)
        upload = data["file"]
        dataset = dataset_create(
            user=request.user,
            file=upload,
            filename=upload.name,
            selected_metrics=data["selected_metrics"],
            column_mappings=data.get("column_mappings"),
            name=data.get("name"),
            data_collection_id=data.get("data_collection_id"),
        )
        response = dataset_response(request, dataset, status=201)
        response["Location"] = reverse("dataset-detail", kwargs={"id": dataset.pk})
        return response


class DatasetDetailView(APIView):
    parser_classes = [StrictJSONParser]

    @extend_schema(summary="Get a dataset with its records", parameters=[PREFER], responses=DatasetOut)
    def get(self, request, id):
        dataset = dataset_get_visible(user=request.user, dataset_id=parse_object_id(id))
        return dataset_response(request, dataset, status=200)

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
            )
        ],
        responses=RecordOut(many=True),
    )
    def get(self, request, id):
        dataset = dataset_get_visible(user=request.user, dataset_id=parse_object_id(id))
        after_id = int_param(request, "after_id", default=0, minimum=0)
        paginator = self.pagination_class()
        # Without a cursor the stored count describes the whole dataset; after one, the rest must be counted.
        known_total = dataset.record_count if after_id == 0 else None
        records = dataset_records(dataset.pk, after_id=after_id)
        page = paginator.paginate_queryset(records, request, self, total_items=known_total)
        return json_response(paginator.envelope(page))


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
