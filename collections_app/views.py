from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from aegis.pagination import EnvelopePagination
from aegis.params import bool_param
from aegis.routing import parse_object_id
from aegis.views import validated
from collections_app.selectors import collection_get_visible, collection_list
from collections_app.serializers import DataCollectionCreateInput, DataCollectionOut
from collections_app.services import collection_create


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
        return paginator.get_paginated_response(DataCollectionOut(page, many=True).data)

    @extend_schema(
        summary="Create a private data collection",
        request=DataCollectionCreateInput,
        responses={201: DataCollectionOut},
    )
    def post(self, request):
        data = validated(DataCollectionCreateInput, request.data)
        collection = collection_create(user=request.user, name=data["name"])
        collection = collection_get_visible(user=request.user, collection_id=collection.pk)
        return Response(DataCollectionOut(collection).data, status=201)


class DataCollectionDetailView(APIView):
    @extend_schema(summary="Get a data collection", responses=DataCollectionOut)
    def get(self, request, id):
        collection = collection_get_visible(user=request.user, collection_id=parse_object_id(id))
        return Response(DataCollectionOut(collection).data)
