"""Query parameters: empty is not absent (but for `search`), and no parameter may carry NUL to the database."""

import pytest
from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

from aegis.testing import requires_postgres
from datasets.models import Dataset
from datasets.tests.helpers import body, create

NUL_MESSAGE = "must not contain U+0000 (NUL) or an unpaired surrogate: the database cannot store them."


class UncheckedNameFilter(APIView):
    """Reads a parameter around every check, to show what the database itself would say."""

    def get(self, request):
        return Response({"found": Dataset.objects.filter(name=request.query_params["name"]).exists()})


urlpatterns = [
    path("", include("aegis.urls")),
    path("api/v1/unchecked", UncheckedNameFilter.as_view()),
]


def errors(response) -> dict:
    return response.json()["errors"]


# Empty values.


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/api/v1/datasets", "page"),
        ("/api/v1/datasets", "page_size"),
        ("/api/v1/datasets", "dataset_type_id"),
        ("/api/v1/datasets", "shared"),
        ("/api/v1/datasets/all-partial", "shared"),
        ("/api/v1/data-collections", "page"),
        ("/api/v1/data-collections", "page_size"),
        ("/api/v1/data-collections", "shared"),
    ],
)
def test_an_empty_integer_or_boolean_parameter_is_422_naming_it(alice_api, url, name):
    response = alice_api.get(url, {name: ""})
    assert response.status_code == 422
    assert list(errors(response)) == [name]
    assert "must not be empty" in errors(response)[name][0]


@pytest.mark.parametrize("name", ["after_id", "page", "page_size"])
def test_an_empty_records_paging_parameter_is_422_naming_it(alice_api, name):
    dataset = body(create(alice_api))
    response = alice_api.get(f"/api/v1/datasets/{dataset['id']}/records", {name: ""})
    assert response.status_code == 422
    assert list(errors(response)) == [name]


def test_an_empty_search_is_no_filter(alice_api):
    create(alice_api, name="One")
    create(alice_api, name="Two")
    everything = alice_api.get("/api/v1/datasets").json()
    assert alice_api.get("/api/v1/datasets", {"search": ""}).json() == everything
    assert everything["meta"]["total_items"] == 2


def test_a_missing_parameter_still_takes_its_default(alice_api):
    assert alice_api.get("/api/v1/datasets").json()["meta"]["page_size"] == 10


# NUL, wherever it is sent.


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/api/v1/datasets", "search"),
        ("/api/v1/datasets", "page"),
        ("/api/v1/datasets", "dataset_type_id"),
        ("/api/v1/datasets/all-partial", "shared"),
        ("/api/v1/data-collections", "shared"),
        ("/api/v1/datasets", "not_a_parameter"),
        ("/api/v1/metrics", "anything"),
    ],
)
def test_nul_in_any_query_parameter_is_422_naming_it(alice_api, url, name):
    response = alice_api.get(url, {name: "a\x00b"})
    assert response.status_code == 422
    assert response.json() == {"detail": f"Query parameter '{name}': {NUL_MESSAGE}", "errors": {name: [NUL_MESSAGE]}}


def test_nul_in_a_parameter_name_is_422_naming_it_escaped(alice_api):
    response = alice_api.get("/api/v1/datasets?sea%00rch=x")
    assert response.status_code == 422
    assert errors(response) == {"sea\\u0000rch": [NUL_MESSAGE]}


def test_nul_in_a_repeated_parameter_is_found_in_any_of_its_values(alice_api):
    response = alice_api.get("/api/v1/datasets?search=fine&search=%00")
    assert response.status_code == 422
    assert list(errors(response)) == ["search"]


def test_nul_is_refused_before_authentication(anon_api):
    # An unreadable request is refused as such, like a malformed body, whoever sends it.
    assert anon_api.get("/api/v1/datasets", {"search": "\x00"}).status_code == 422
    assert anon_api.get("/api/v1/datasets", {"search": "fine"}).status_code == 401


def test_nul_outside_the_api_is_a_plain_400(admin_client):
    response = admin_client.get("/admin/datasets/dataset/", {"q": "\x00"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.urls(__name__)
def test_the_guard_answers_even_for_parameters_no_helper_reads(alice_api, db):
    response = alice_api.get("/api/v1/unchecked", {"name": "\x00"})
    assert response.status_code == 422
    assert errors(response) == {"name": [NUL_MESSAGE]}


@requires_postgres
@pytest.mark.urls(__name__)
def test_a_value_the_database_refuses_is_422_not_500(alice_api, settings):
    # Past every check (the guard taken away), PostgreSQL's own refusal is still an answer, not a crash.
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("QueryStringGuardMiddleware")]
    alice_api.raise_request_exception = False
    response = alice_api.get("/api/v1/unchecked", {"name": "\x00"})
    assert response.status_code == 422
    assert response.json() == {"detail": "The request contains a value the database cannot store."}
