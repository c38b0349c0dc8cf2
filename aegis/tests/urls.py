"""Views that fail on purpose, to check that every failure reaches the client as JSON."""

from django.core.exceptions import ValidationError
from django.urls import include, path
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from aegis.errors import BusinessRuleError
from aegis.pagination import EnvelopePagination
from aegis.params import bool_param


class Boom(APIView):
    def get(self, request):
        raise RuntimeError("secret internals")


class RuleBroken(APIView):
    def get(self, request):
        raise BusinessRuleError("Name already used.", errors={"name": ["Already used."]})


class DjangoInvalid(APIView):
    def get(self, request):
        raise ValidationError("Bad value.")


class ShapeInvalid(APIView):
    class Input(serializers.Serializer):
        count = serializers.IntegerField()

    def post(self, request):
        self.Input(data=request.data).is_valid(raise_exception=True)
        return Response({})


class Numbers(APIView):
    def get(self, request):
        bool_param(request, "flag")
        paginator = EnvelopePagination()
        page = paginator.paginate_queryset(_NumberQuerySet(25), request, self)
        return paginator.get_paginated_response(page)


class _NumberQuerySet(list):
    def __init__(self, size):
        super().__init__(range(1, size + 1))

    def count(self):
        return len(self)


api = [
    path("boom", Boom.as_view()),
    path("rule", RuleBroken.as_view()),
    path("django-invalid", DjangoInvalid.as_view()),
    path("shape", ShapeInvalid.as_view()),
    path("numbers", Numbers.as_view()),
]
urlpatterns = [path("api/v1/", include(api))]
handler404 = "aegis.exceptions.not_found_handler"
handler500 = "aegis.exceptions.server_error_handler"
