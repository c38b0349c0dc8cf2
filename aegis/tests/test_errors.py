import pytest

pytestmark = [pytest.mark.urls("aegis.tests.urls")]


def test_unhandled_error_is_json_500_without_traceback(alice_api):
    alice_api.raise_request_exception = False
    response = alice_api.get("/api/v1/boom")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Internal server error."}
    assert b"secret internals" not in response.content


def test_business_rule_error_is_400_with_field_errors(alice_api):
    response = alice_api.get("/api/v1/rule")
    assert response.status_code == 400
    assert response.json() == {"detail": "Name already used.", "errors": {"name": ["Already used."]}}


def test_django_validation_error_becomes_400_not_500(alice_api):
    response = alice_api.get("/api/v1/django-invalid")
    assert response.status_code == 400
    assert response.json() == {"detail": "Bad value."}


def test_serializer_validation_error_is_422_with_field_errors(alice_api):
    response = alice_api.post("/api/v1/shape", {"count": "many"}, format="json")
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "The request is not valid."
    assert body["errors"] == {"count": ["A valid integer is required."]}


def test_malformed_json_is_422(alice_api):
    response = alice_api.post("/api/v1/shape", data=b"{not json", content_type="application/json")
    assert response.status_code == 422
    assert "JSON" in response.json()["detail"]


def test_unsupported_media_type_is_json_415(alice_api):
    response = alice_api.post("/api/v1/shape", data=b"count=1", content_type="text/plain")
    assert response.status_code == 415
    assert "Unsupported media type" in response.json()["detail"]


def test_wrong_method_is_json_405_with_allow_header(alice_api):
    response = alice_api.delete("/api/v1/numbers")
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "DELETE" not allowed.'}
    assert "GET" in response["Allow"]


def test_unknown_api_route_is_json_404(alice_api):
    response = alice_api.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_routes_answer_with_and_without_trailing_slash(alice_api):
    assert alice_api.get("/api/v1/numbers").status_code == 200
    assert alice_api.get("/api/v1/numbers/").status_code == 200


def test_bad_boolean_query_parameter_is_422(alice_api):
    response = alice_api.get("/api/v1/numbers", {"flag": "maybe"})
    assert response.status_code == 422
    assert response.json()["errors"] == {"flag": ["must be true or false."]}
