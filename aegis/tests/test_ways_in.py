"""The ways in for a person: the root paths, the browsable API for browsers, and the OpenAPI document as the docs
pages and generated clients read it. (The same, in a real browser and a generated client: test_browser.py,
test_generated_client.py.)"""

import json

import pytest
import yaml
from django.core.management import call_command

from datasets.tests.helpers import body, create

HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"  # a browser's Accept


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/api", "/api/", "/api/v1", "/api/v1/"])
def test_api_roots_answer_json_maps(anon_api, settings, debug, path):
    settings.DEBUG = debug
    response = anon_api.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["datasets"] == "http://testserver/api/v1/datasets"
    assert response.json()["docs"] == "http://testserver/api/docs"


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
@pytest.mark.parametrize("path", ["/api/nope", "/api/v1/nope", "/api/v1/datasets/1/nope", "/api/v2/datasets"])
def test_unknown_paths_under_api_are_json_404_with_debug_too(alice_api, settings, debug, method, path):
    settings.DEBUG = debug
    response = getattr(alice_api, method)(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_root_redirects_to_the_docs(anon_api, db):
    response = anon_api.get("/")
    assert (response.status_code, response["Location"]) == (302, "/api/docs/")


def test_login_without_next_lands_on_the_api_root(client, alice):
    alice.set_password("a-long-password-1")
    alice.save()
    page = client.get("/api-auth/login/")
    response = client.post(
        "/api-auth/login/",
        {
            "username": alice.email,
            "password": "a-long-password-1",
            "csrfmiddlewaretoken": page.cookies["csrftoken"].value,
        },
    )
    assert (response.status_code, response["Location"]) == (302, "/api/v1/")


def test_browsers_get_html_for_views_that_render_json_themselves(alice_api):
    created = create(alice_api)
    assert created.status_code == 201
    dataset_id = body(created)["id"]
    for path in ("/api/v1/datasets", f"/api/v1/datasets/{dataset_id}", f"/api/v1/datasets/{dataset_id}/records"):
        as_json = alice_api.get(path, HTTP_ACCEPT="application/json")
        as_page = alice_api.get(path, HTTP_ACCEPT=HTML)
        assert as_json["Content-Type"] == "application/json", path
        assert as_page["Content-Type"] == "text/html; charset=utf-8", path
        assert as_page.status_code == as_json.status_code == 200
        assert "response-info" in as_page.content.decode(), path
    upload_form = alice_api.get("/api/v1/datasets", HTTP_ACCEPT=HTML).content.decode()
    assert 'enctype="multipart/form-data"' in upload_form and 'name="selected_metrics"' in upload_form
    # Field help is text: the placeholder reaches the page escaped, so the browser shows it instead of a tag.
    assert "{&quot;&lt;metric id&gt;&quot;: {&quot;threshold&quot;" in upload_form
    assert "<metric id>" not in upload_form
    # A browser still gets the answer's own headers, and the status.
    minimal = alice_api.get(f"/api/v1/datasets/{dataset_id}", HTTP_ACCEPT=HTML, HTTP_PREFER="return=minimal")
    assert minimal["Preference-Applied"] == "return=minimal"
    missing = alice_api.get("/api/v1/runs/987654", HTTP_ACCEPT=HTML)
    assert missing.status_code == 404 and missing["Content-Type"] == "text/html; charset=utf-8"


def test_json_clients_get_the_same_bytes_whatever_else_they_accept(alice_api):
    dataset_id = body(create(alice_api))["id"]
    path = f"/api/v1/datasets/{dataset_id}"
    bodies = {
        accept: b"".join(alice_api.get(path, **({"HTTP_ACCEPT": accept} if accept else {})).streaming_content)
        for accept in (None, "*/*", "application/json")
    }
    assert len(set(bodies.values())) == 1


@pytest.fixture(scope="module")
def schema(django_db_blocker, tmp_path_factory):
    target = tmp_path_factory.mktemp("schema") / "schema.yaml"
    with django_db_blocker.unblock():
        call_command("spectacular", "--file", str(target))
    return yaml.safe_load(target.read_text())


def operation(schema, method: str, path: str) -> dict:
    return schema["paths"][path][method]


def test_prefer_operations_answer_either_shape_each_with_its_required_fields(schema):
    components = schema["components"]["schemas"]
    for method, path, code in [
        ("post", "/api/v1/datasets", "201"),
        ("get", "/api/v1/datasets/{id}", "200"),
        ("post", "/api/v1/runs/dataset", "201"),
        ("get", "/api/v1/runs/{id}", "200"),
    ]:
        response = operation(schema, method, path)["responses"][code]
        refs = [
            choice["$ref"].rsplit("/", 1)[-1] for choice in response["content"]["application/json"]["schema"]["anyOf"]
        ]
        assert refs[1] == refs[0].replace("Full", "Minimal"), path
        assert set(response["headers"]) >= {"Preference-Applied", "Vary"}, path
    assert {"records", "evaluations"} <= set(components["DatasetFullOut"]["required"])
    assert "record_count" not in components["DatasetFullOut"]["properties"]
    assert "record_count" in components["DatasetMinimalOut"]["required"]
    assert "records" not in components["DatasetMinimalOut"]["properties"]
    assert "evaluations" not in components["RunMinimalOut"]["properties"]


def test_fields_every_answer_carries_are_required(schema):
    components = schema["components"]["schemas"]
    for name, field in [
        ("DatasetSummaryOut", "updated_at"),
        ("DatasetPartialOut", "updated_at"),
        ("DataCollectionOut", "updated_at"),
        ("DatasetTypeOut", "description"),
        ("DataCollectionOut", "runs"),
    ]:
        assert field in components[name]["required"], (name, field)
    assert "errors" not in components["ErrorOut"]["required"]  # only with field problems


def test_every_401_names_its_scheme(schema):
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            assert "WWW-Authenticate" in op["responses"]["401"]["headers"], (method, path)


def test_upload_form_fields_are_ready_for_docs_pages_and_generated_clients(schema):
    form = schema["components"]["schemas"]["DatasetCreateInputRequest"]
    properties = form["properties"]
    assert json.loads(properties["selected_metrics"]["example"]) == {"1": {"threshold": 70}}
    for name in ("column_mappings", "name", "data_collection_id", "delimiter"):
        assert name not in form["required"]
        assert "nullable" not in properties[name], name
        assert properties[name]["example"] == "", name
    assert all("NullEnum" not in choice.get("$ref", "") for choice in properties["delimiter"]["oneOf"])
    assert properties["selected_metrics"]["description"].startswith('JSON: {"&lt;metric id&gt;": ')


def test_docs_pages_load_only_from_this_server(client, db):
    for path in ("/api/docs/", "/api/redoc/"):
        response = client.get(path)
        policy = response["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "img-src 'self' data:" in policy
        assert b"googleapis" not in response.content and b"cdn." not in response.content
    assert b"/static/aegis/docs-fonts.css" in client.get("/api/redoc/").content
