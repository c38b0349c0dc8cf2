"""The run report: an HTML page per run (GET /runs/{id}/report) and the same report on the admin's run page."""

import re

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from datasets.tests.helpers import body
from runs.models import Evaluation
from runs.report_chart import histogram_svg
from runs.tests.helpers import dataset_run, make_dataset

pytestmark = pytest.mark.django_db


def finished_run(client, content: bytes | None = None, **fields) -> dict:
    dataset = make_dataset(client, **({"content": content} if content else {}))
    response = dataset_run(client, dataset["id"], is_blocking=True, **fields)
    assert response.status_code == 201, body(response)
    return body(response)


def report(client, run_id: int, **params):
    return client.get(f"/api/v1/runs/{run_id}/report", params)


def bars(html: str, metric: str) -> list[int]:
    figure = re.search(rf'<figure data-metric="{metric}">(.*?)</figure>', html, re.S).group(1)
    return [int(count) for count in re.findall(r'data-count="(\d+)"', figure)]


def test_the_report_shows_aggregates_pass_rates_histograms_and_failures(alice_api):
    run = finished_run(alice_api, alias="March baseline")
    response = report(alice_api, run["id"])
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    html = response.content.decode()
    assert "March baseline" in html
    # exact_match: q1 scores 100, q2 scores 0, q3 cannot be scored (no golden answer); threshold 70.
    row = re.search(r'<tr data-metric="exact_match">(.*?)</tr>', html, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", " ", cell).split() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells == [
        ["exact_match", "Exact", "match"], ["70"], ["3"], ["2"], ["1"], ["0"], ["50.00"], ["50.0%", "(1", "of", "2)"],
    ]  # fmt: skip
    assert bars(html, "exact_match") == [1, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert bars(html, "json_equal") == [1, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="histogram"') == 2
    assert "Failed evaluations (2)" in html
    assert "golden_answer is required by exact_match but is missing" in html
    assert f'href="/api/v1/runs/{run["id"]}/download"' in html
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")


def test_the_csv_link_of_the_report_downloads_the_report(alice_api):
    run = finished_run(alice_api)
    link = re.search(r'class="csv-link" href="([^"]+)"', report(alice_api, run["id"]).content.decode()).group(1)
    response = alice_api.get(link)
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"


def test_text_from_the_data_is_escaped(alice_api):
    run = finished_run(alice_api, content=b"prompt,output,golden_answer\nq,<script>x</script>,\n", alias="<b>al</b>")
    html = report(alice_api, run["id"]).content.decode()
    assert "<script>" not in html and "<b>al</b>" not in html
    assert "&lt;b&gt;al&lt;/b&gt;" in html


def test_evaluations_are_paged_by_fifty(alice_api):
    rows = "".join(f"q{index},a,{'a' if index % 2 else 'b'}\n" for index in range(40))
    run = finished_run(alice_api, content=f"prompt,output,golden_answer\n{rows}".encode())
    assert run["progress"]["total"] == 80
    first = report(alice_api, run["id"]).content.decode()
    assert "Page 1 of 2" in first and 'href="?page=2&amp;failed_page=1#evaluations"' in first
    second = report(alice_api, run["id"], page=2).content.decode()
    table = re.search(r'<table class="evaluations">(.*?)</table>', second, re.S).group(1)
    assert table.count("<tr>") == 30 + 1  # the header row
    last = Evaluation.objects.filter(run_id=run["id"]).order_by("id").last()
    assert f'<td class="num">{last.id}</td>' in table


@pytest.mark.parametrize("params", [{"page": "0"}, {"page": "x"}, {"failed_page": ""}])
def test_bad_page_numbers_are_422(alice_api, params):
    run = finished_run(alice_api)
    response = report(alice_api, run["id"], **params)
    assert response.status_code == 422 and response["Content-Type"] == "application/json"


def test_a_run_you_cannot_see_is_a_json_404(alice_api, carol_api, bob_api):
    run = finished_run(alice_api)
    for client in (carol_api, bob_api):
        response = report(client, run["id"])
        assert response.status_code == 404 and body(response)["detail"] == f"Run {run['id']} not found."


def test_no_key_is_401(alice_api, anon_api):
    run = finished_run(alice_api)
    assert report(anon_api, run["id"]).status_code == 401


def test_a_browser_session_sees_the_report_too(alice_api, alice):
    run = finished_run(alice_api)
    session = APIClient()
    session.force_login(alice)
    response = report(session, run["id"])
    assert response.status_code == 200 and b'class="histogram"' in response.content


def test_the_histogram_puts_scores_in_ranges_of_ten_with_100_in_the_last():
    svg = histogram_svg([3, 0, 0, 0, 0, 1, 0, 0, 0, 6], title="t & <u>", threshold=70)
    assert re.findall(r'data-count="(\d+)"', svg) == ["3", "0", "0", "0", "0", "1", "0", "0", "0", "6"]
    assert "t &amp; &lt;u&gt;" in svg and 'class="threshold"' in svg


def test_bins_follow_the_scores(alice_api):
    run = finished_run(alice_api)
    Evaluation.objects.filter(run_id=run["id"], metric_shortname="exact_match", result=0).update(result=45.5)
    Evaluation.objects.filter(run_id=run["id"], metric_shortname="exact_match", result=100).update(result=9.99)
    assert bars(report(alice_api, run["id"]).content.decode(), "exact_match") == [1, 0, 0, 0, 1, 0, 0, 0, 0, 0]


# The admin's run page.


@pytest.fixture
def staff_client(client, db):
    User.objects.create_superuser(email="staff@aegis.test", password="pw-123456!")
    client.login(email="staff@aegis.test", password="pw-123456!")
    return client


def test_the_admin_run_page_shows_the_report(staff_client, alice_api):
    run = finished_run(alice_api)
    response = staff_client.get(f"/admin/runs/run/{run['id']}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<tr data-metric="exact_match">' in html and html.count('class="histogram"') == 2
    assert "golden_answer is required by exact_match but is missing" in html
    csv_link = re.search(r'class="csv-link" href="([^"]+)"', html).group(1)
    assert csv_link == f"/admin/runs/run/{run['id']}/report.csv"
    download = staff_client.get(csv_link)
    assert download.status_code == 200 and download["Content-Type"] == "text/csv"
    assert b"".join(download.streaming_content).startswith(b"alias,prompt,output,golden_answer")


def test_the_admin_pages_evaluations_and_ignores_bad_page_numbers(staff_client, alice_api):
    run = finished_run(alice_api)
    for page in ("2", "x", "-1"):
        assert staff_client.get(f"/admin/runs/run/{run['id']}/change/", {"page": page}).status_code == 200


def test_the_admin_csv_of_an_unknown_run_is_404(staff_client):
    assert staff_client.get("/admin/runs/run/999999/report.csv").status_code == 404


def test_the_admin_csv_needs_staff(client, alice_api, alice):
    run = finished_run(alice_api)
    client.force_login(alice)
    response = client.get(f"/admin/runs/run/{run['id']}/report.csv")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# The comparison view: ?compare=<base run id>.

EXACT = {"1": {"threshold": 70, "metric_args": None}}
# Base ignores case, head does not: a row whose output differs from its golden answer only in case regresses.
IGNORE_CASE, STRICT = {"1": {"case_sensitive": False}}, {"1": {"case_sensitive": True}}


def compared_runs(client, rows: str) -> tuple[int, int, dict]:
    rows = f"prompt,output,golden_answer\n{rows}".encode()
    dataset = make_dataset(client, content=rows, metrics=EXACT, name="Compared")
    base = dataset_run(client, dataset["id"], is_blocking=True, metric_args=IGNORE_CASE, alias="lenient")
    head = dataset_run(client, dataset["id"], is_blocking=True, metric_args=STRICT, alias="strict")
    return body(base)["id"], body(head)["id"], dataset


def cells(html: str, pattern: str) -> list[str]:
    row = re.search(pattern, html, re.S).group(1)
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def test_the_comparison_view_shows_both_distributions_the_delta_and_the_regressions(alice_api):
    # q1 regresses (Paris/paris), q2 passes in both, q3 fails in both.
    base, head, _ = compared_runs(alice_api, "q1,Paris,paris\nq2,Rome,Rome\nq3,Oslo,Bergen\n")

    response = report(alice_api, head, compare=base)

    assert response.status_code == 200
    assert "default-src 'none'" in response["Content-Security-Policy"]
    html = response.content.decode()
    assert f"Compared with run #{base} lenient" in html
    assert "3 records by record" in html
    assert cells(html, r'<tr data-compare-metric="exact_match">(.*?)</tr>')[:4] == [
        "exact_match", "66.67", "33.33", "-33.33",
    ]  # fmt: skip
    figure = re.search(r'<figure data-compare-metric="exact_match">(.*?)</figure>', html, re.S).group(1)
    base_bars = re.findall(r'class="bar base"[^>]*data-count="(\d+)"', figure)
    head_bars = re.findall(r'class="bar head"[^>]*data-count="(\d+)"', figure)
    assert (base_bars[0], base_bars[-1], head_bars[0], head_bars[-1]) == ("1", "2", "2", "1")
    assert 'class="threshold"' in figure
    assert "Regressions (1 records" in html
    regressions = re.search(r'<table class="regressions">(.*?)</table>', html, re.S).group(1)
    assert regressions.count("<tr>") == 1 + 1
    assert cells(regressions, r"<tbody>(.*)</tbody>")[2:] == ["exact_match", "100.00 / 70", "0.00 / 70", "q1"] + [
        "Paris", "Paris",
    ]  # fmt: skip
    # The run's own report follows, and its pagers keep the comparison.
    assert '<tr data-metric="exact_match">' in html
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")


def test_regressions_are_paged_by_fifty_and_the_pagers_keep_the_comparison(alice_api):
    rows = "".join(f"q{index},Paris,paris\n" for index in range(60))
    base, head, _ = compared_runs(alice_api, rows)

    first = report(alice_api, head, compare=base).content.decode()
    assert "Regressions (60 records" in first
    assert re.search(r'<table class="regressions">(.*?)</table>', first, re.S).group(1).count("<tr>") == 1 + 50
    assert f'href="?compare={base}&amp;regressions_page=2#regressions"' in first
    assert f'href="?page=2&amp;failed_page=1&amp;compare={base}#evaluations"' in first
    second = report(alice_api, head, compare=base, regressions_page=2).content.decode()
    table = re.search(r'<table class="regressions">(.*?)</table>', second, re.S).group(1)
    assert table.count("<tr>") == 1 + 10 and "<td>q59</td>" in table and "<td>q9</td>" not in table
    assert "No regressions on this page." in report(alice_api, head, compare=base, regressions_page=3).content.decode()


def test_the_report_links_to_the_comparison_with_the_datasets_baseline(alice_api):
    base, head, dataset = compared_runs(alice_api, "q1,Paris,paris\n")
    assert "baseline-link" not in report(alice_api, head).content.decode()

    alice_api.put(f"/api/v1/datasets/{dataset['id']}", {"baseline_run_id": base}, format="json")

    html = report(alice_api, head).content.decode()
    link = re.search(r'class="baseline-link" href="([^"]+)"', html).group(1)
    assert link == f"?compare={base}#comparison"
    assert "baseline-link" not in report(alice_api, base).content.decode()  # the baseline itself
    assert f"Compared with run #{base}" in report(alice_api, head, compare=base).content.decode()


def test_an_invisible_base_is_a_json_404_and_other_datasets_a_400(alice_api, carol_api):
    base, head, _ = compared_runs(alice_api, "q1,Paris,paris\n")
    carols = finished_run(carol_api)

    hidden = report(alice_api, head, compare=carols["id"])
    assert hidden.status_code == 404 and body(hidden)["detail"] == f"Run {carols['id']} not found."
    assert report(carol_api, carols["id"], compare=head).status_code == 404
    other = finished_run(alice_api)
    refused = report(alice_api, head, compare=other["id"])
    assert refused.status_code == 400 and "different datasets" in body(refused)["detail"]
    for params in ({"compare": "0"}, {"compare": "x"}, {"compare": base, "regressions_page": "0"}):
        assert report(alice_api, head, **params).status_code == 422
