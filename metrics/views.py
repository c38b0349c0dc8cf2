from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from aegis.routing import parse_object_id
from metrics.models import Metric
from metrics.selectors import metric_entry, metric_list
from metrics.serializers import MetricOut


class MetricListView(APIView):
    @extend_schema(responses=MetricOut(many=True), summary="List the metric catalog")
    def get(self, request):
        return Response(MetricOut(metric_list(), many=True).data)


class MetricDetailView(APIView):
    @extend_schema(responses=MetricOut, summary="Get a metric")
    def get(self, request, id):
        return Response(MetricOut(metric_entry(get_object_or_404(Metric, pk=parse_object_id(id)))).data)
