"""The run report in a real browser (headless system Chromium, `aegis.testing.browser`), as a person opens it:
signed in through the browsable API's login, and on the admin's run page. Skipped where no Chromium is installed."""

import io

import pytest

from accounts.models import User
from datasets.services import dataset_create
from runs.services import run_create_from_dataset

pytest.importorskip("selenium", reason="selenium is not installed")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# exact_match over four rows: 100, 0, 100 and one that cannot be scored (no golden answer).
CSV = b"prompt,output,golden_answer\nq1,4,4\nq2,five,5\nq3,7,7\nq4,8,\n"
WAIT_S = 30


def finished_run(user):
    upload = io.BytesIO(CSV)
    dataset = dataset_create(
        user=user, file=upload, filename="qa.csv", selected_metrics='{"1": {"threshold": 70}}', name="QA"
    )
    return run_create_from_dataset(user=user, dataset_id=dataset.pk, is_blocking=True, alias="Browser run")


def log_in(browser, live_server, path: str, email: str, password: str, then: str):
    browser.get(f"{live_server.url}{path}?next={then}")
    WebDriverWait(browser, WAIT_S).until(EC.visibility_of_element_located((By.NAME, "username"))).send_keys(email)
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "form [type=submit]").click()
    WebDriverWait(browser, WAIT_S).until(EC.url_contains(then))


def drawn_bars(browser, metric: str) -> list[tuple[int, float]]:
    """(count, rendered height in CSS pixels) of each bar of a metric's histogram, as the browser laid it out."""
    figure = browser.find_element(By.CSS_SELECTOR, f'figure[data-metric="{metric}"]')
    return [
        (int(bar.get_attribute("data-count")), bar.rect["height"])
        for bar in figure.find_elements(By.CSS_SELECTOR, "svg rect.bar")
    ]


def assert_report_rendered(browser):
    bars = drawn_bars(browser, "exact_match")
    assert [count for count, _ in bars] == [1, 0, 0, 0, 0, 0, 0, 0, 0, 2]
    heights = [height for _, height in bars]
    assert heights[9] > heights[0] > 0 and heights[1:9] == [0] * 8
    svg = browser.find_element(By.CSS_SELECTOR, 'figure[data-metric="exact_match"] svg')
    assert svg.is_displayed() and svg.size["width"] > 200
    assert browser.find_element(By.CSS_SELECTOR, "svg line.threshold").is_displayed()
    pass_rate = browser.find_element(By.CSS_SELECTOR, 'tr[data-metric="exact_match"] .pass-rate').text
    assert pass_rate == "66.7% (2 of 3)"
    failed = browser.find_element(By.CSS_SELECTOR, "table.failed").text
    assert "golden_answer is required by exact_match but is missing" in failed
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.evaluations tbody tr")) == 4


def test_a_signed_in_user_opens_the_report_with_its_charts(browser, live_server, alice):
    alice.set_password("a-long-password-1")
    alice.save()
    run = finished_run(alice)
    report = f"/api/v1/runs/{run.pk}/report"
    log_in(browser, live_server, "/api-auth/login/", alice.email, "a-long-password-1", then=report)
    assert browser.title == f"Run {run.pk}: Browser run - Aegis report"
    assert_report_rendered(browser)
    link = browser.find_element(By.CSS_SELECTOR, "a.csv-link")
    assert link.get_attribute("href") == f"{live_server.url}/api/v1/runs/{run.pk}/download"
    fetched = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert fetched == []  # one self-contained page: no script, style sheet, font or image fetched


def test_staff_see_the_same_report_on_the_admin_run_page(browser, live_server, alice):
    User.objects.create_superuser(email="staff@aegis.test", password="a-long-password-2")
    run = finished_run(alice)
    page = f"/admin/runs/run/{run.pk}/change/"
    log_in(browser, live_server, "/admin/login/", "staff@aegis.test", "a-long-password-2", then=page)
    assert_report_rendered(browser)
    link = browser.find_element(By.CSS_SELECTOR, "a.csv-link")
    assert link.get_attribute("href") == f"{live_server.url}/admin/runs/run/{run.pk}/report.csv"
