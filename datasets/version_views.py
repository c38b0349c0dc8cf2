"""POST /datasets/{id}/versions: parse the multipart form as POST /datasets does, call datasets.versions."""

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers

from aegis.fields import StrictCharField
from aegis.idempotency import idempotent
from aegis.jsonstream import json_response
from aegis.params import MAX_QUERY_INT
from aegis.parsers import MultiPartParser
from aegis.routing import parse_object_id
from aegis.schema import errors
from aegis.streamed_uploads import streamed_upload
from aegis.uploads import limit_upload_size
from aegis.views import APIView, validated
from datasets.representation import dataset_summary
from datasets.selectors import dataset_get_visible
from datasets.serializers import DatasetSummaryOut, DatasetVersionOut
from datasets.sniff import HEAD_BYTES, reads_as_it_arrives
from datasets.versions import dataset_as_of, dataset_version_create

# The file part of an upload, read as it arrives when the form fields come before it (aegis.streamed_uploads): its
# first bytes are kept for the format sniffing, and a workbook, read by seeking, is spooled as before.
STREAMED_FILE = {"file_field": "file", "streamable": reads_as_it_arrives, "head_bytes": HEAD_BYTES}

VERSION = OpenApiParameter(
    "version",
    {"type": "integer", "minimum": 1, "maximum": MAX_QUERY_INT},
    description="A version number of the dataset (see `versions`); left out: the latest. No such version: 404.",
)


class DatasetVersionCreateInput(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True, help_text="The new version's table, read exactly as the file of POST /datasets."
    )
    selected_metrics = StrictCharField(
        required=False,
        allow_null=True,
        trim_whitespace=False,
        help_text="JSON, as in POST /datasets. Left out: the latest version's metrics.",
    )
    column_mappings = StrictCharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        trim_whitespace=False,
        help_text="JSON, as in POST /datasets. Left out: the latest version's mappings.",
    )
    delimiter = serializers.ChoiceField(
        choices=[",", ";", "\t", "tab", "|"], required=False, allow_null=True, allow_blank=True
    )


class DatasetWithVersionsOut(DatasetSummaryOut):
    versions = DatasetVersionOut(many=True, help_text="Every version, oldest first.")

    class Meta(DatasetSummaryOut.Meta):
        fields = [*DatasetSummaryOut.Meta.fields, "versions"]


class DatasetVersionCreateView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="Upload a new version of a dataset's file (its records; same name and sharing)",
        request={"multipart/form-data": DatasetVersionCreateInput},
        responses={201: DatasetWithVersionsOut, **errors(400, 404, 413, 415)},
    )
    @idempotent  # and so counted against THROTTLE_CREATE_RATE, as POST /datasets
    def post(self, request, id):
        limit_upload_size(request)
        dataset = dataset_get_visible(user=request.user, dataset_id=parse_object_id(id))
        streamed = streamed_upload(request, fields_first=(), **STREAMED_FILE)
        if streamed is not None:
            answer = streamed.attempt(lambda form: self._create(request, dataset, form))
            if answer is not None:
                return answer
            dataset = dataset_get_visible(user=request.user, dataset_id=dataset.pk)  # as it is, the attempt undone
        return self._create(request, dataset, request.data)

    def _create(self, request, dataset, form):
        data = validated(DatasetVersionCreateInput, form)
        dataset = dataset_version_create(
            user=request.user,
            dataset=dataset,
            file=data["file"],
            selected_metrics=data.get("selected_metrics"),
            column_mappings=data.get("column_mappings"),
            delimiter=data.get("delimiter") or None,
        )
        dataset, versions, _ = dataset_as_of(dataset, None)
        response = json_response({**dataset_summary(dataset), "versions": versions}, status=201)
        response["Location"] = reverse("dataset-detail", kwargs={"id": dataset.pk}) + f"?version={dataset.version}"
        return response
