from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from aegis.idempotency import idempotent
from aegis.jsonstream import json_response
from aegis.pagination import EnvelopePagination
from aegis.params import bool_param
from aegis.parsers import StrictJSONParser
from aegis.routing import parse_object_id
from aegis.schema import errors
from aegis.views import APIView, validated
from collections_app.representation import collection_object
from collections_app.serializers import DataCollectionCreateInput, DataCollectionOut, DataCollectionUpdateInput
from workspace.collection_selectors import collection_get_visible, collection_list
from workspace.collection_services import collection_create, collection_delete, collection_update


class DataCollectionListCreateView(APIView):
    pagination_class = EnvelopePagination

    @extend_schema(
        summary="List data collections",
        parameters=[OpenApiParameter("shared", bool, required=False)],
        responses=DataCollectionOut(many=True),
    )
    def get(self, request):
        queryset = collection_list(user=request.user, shared=bool_param(request, "shared"))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, self)
        return json_response(paginator.envelope([collection_object(collection) for collection in page]))

    @extend_schema(
        summary="Create a data collection, optionally with datasets",
        request=DataCollectionCreateInput,
        responses={201: DataCollectionOut, **errors(400, 404, 415)},
    )
    @idempotent
    def post(self, request):
        data = validated(DataCollectionCreateInput, request.data)
        collection = collection_create(user=request.user, name=data["name"], dataset_ids=data.get("dataset_ids"))
        collection = collection_get_visible(user=request.user, collection_id=collection.pk)
        location = reverse("collection-detail", kwargs={"id": collection.pk})
        response = json_response(collection_object(collection), status=201)
        response["Location"] = location
        return response


class DataCollectionDetailView(APIView):
    parser_classes = [StrictJSONParser]

    @extend_schema(summary="Get a data collection", responses=DataCollectionOut)
    def get(self, request, id):
        collection = collection_get_visible(user=request.user, collection_id=parse_object_id(id))
        return json_response(collection_object(collection))

    @extend_schema(
        summary="Update a data collection (only the sent fields apply)",
        request=DataCollectionUpdateInput,
        responses={200: DataCollectionOut, **errors(400, 403, 415)},
    )
    def put(self, request, id):
        collection = collection_get_visible(user=request.user, collection_id=parse_object_id(id))
        changes = dict(validated(DataCollectionUpdateInput, request.data))
        collection_update(user=request.user, collection=collection, changes=changes)
        collection = collection_get_visible(user=request.user, collection_id=collection.pk)
        return json_response(collection_object(collection))

    @extend_schema(
        summary="Delete a data collection (its datasets and runs stay)", responses={204: None, **errors(400, 403)}
    )
    def delete(self, request, id):
        collection = collection_get_visible(user=request.user, collection_id=parse_object_id(id))
        collection_delete(user=request.user, collection=collection)
        return Response(status=204)
