import pytest
import yaml
from django.core.management import call_command


def test_schema_generates_and_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    assert schema["components"]["securitySchemes"]["BearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key: `sk_` followed by 32 hex characters.",
    }
    assert all(path.startswith("/api/v1/") for path in schema["paths"])


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/", "/api/redoc/"])
def test_docs_are_served(client, db, url):
    assert client.get(url).status_code == 200


def test_demo_command_prints_a_working_key(db, capsys):
    from rest_framework.test import APIClient

    call_command("seed_demo")
    call_command("seed_demo")  # idempotent
    raw_key = capsys.readouterr().out.strip().splitlines()[-1].split()[-1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    assert client.get("/api/v1/metrics").status_code == 200


def test_every_schema_reference_resolves(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(target))
    schema = yaml.safe_load(target.read_text())

    def references(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    yield value
                else:
                    yield from references(value)
        elif isinstance(node, list):
            for item in node:
                yield from references(item)

    components = schema["components"]["schemas"]
    dangling = {ref for ref in references(schema) if ref.rsplit("/", 1)[-1] not in components}
    assert dangling == set()
