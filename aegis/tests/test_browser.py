"""A person in a real browser (headless system Chromium, `aegis.testing.browser`) against the live test server.

Each page is used as a person would: Swagger UI's Authorize and "Try it out", ReDoc, the browsable API's forms,
the admin. Skipped where no Chromium is installed (`.ci/run` installs one).
"""

from urllib.parse import urlsplit

import pytest

from accounts.models import Organization, User
from accounts.services import api_key_create
from collections_app.models import DataCollection
from datasets.models import Dataset
from runs.models import Evaluation
from runs.services import run_create_from_dataset

pytest.importorskip("selenium", reason="selenium is not installed")
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CSV = "prompt,output,golden_answer\nq1,4,4\nq2,five,5\nq3,7,7\n"
WAIT_S = 30


def wait_for(browser, condition, timeout: float = WAIT_S):
    # A page replaced while a condition reads it (a form's answer arriving) is a reason to look again, not a failure.
    return WebDriverWait(browser, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(condition)


def visible(browser, css: str):
    return wait_for(browser, EC.visibility_of_element_located((By.CSS_SELECTOR, css)))


def csv_file(tmp_path, name: str = "qa.csv") -> str:
    path = tmp_path / name
    path.write_text(CSV, encoding="utf-8")
    return str(path)


def outside_requests(browser, live_server) -> list[str]:
    """Every resource the page fetched (scripts, styles, fonts, images, XHR) from anywhere but the server, less those
    the browser refused to fetch under the page's Content-Security-Policy (it logs each refusal)."""
    host = urlsplit(live_server.url).netloc
    names = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    refused = " ".join(
        entry["message"]
        for entry in browser.get_log("browser")
        if "violates the following Content Security" in entry["message"]
    )
    return [
        name
        for name in names
        if urlsplit(name).scheme in ("http", "https") and urlsplit(name).netloc != host and f"'{name}'" not in refused
    ]


def test_swagger_ui_authorize_and_try_it_out_upload_gives_201(browser, live_server, alice, tmp_path):
    _, key = api_key_create(user=alice, name="swagger")
    browser.get(live_server.url + "/api/docs/")
    visible(browser, "button.authorize").click()
    visible(browser, ".auth-container input").send_keys(key)
    browser.find_element(By.CSS_SELECTOR, ".auth-btn-wrapper button.authorize").click()
    browser.find_element(By.CSS_SELECTOR, ".auth-btn-wrapper button.btn-done").click()

    operation = visible(browser, "#operations-datasets-datasets_create")
    operation.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    wait_for(browser, lambda _: operation.find_elements(By.CSS_SELECTOR, "button.try-out__btn"))
    operation.find_element(By.CSS_SELECTOR, "button.try-out__btn").click()
    # The form as Swagger UI fills it: a real selected_metrics, every optional field empty.
    selected = operation.find_element(By.CSS_SELECTOR, "tr[data-property-name='selected_metrics'] input")
    assert selected.get_attribute("value") == '{"1": {"threshold": 70}}'
    for optional in ("name", "column_mappings", "data_collection_id"):
        field = operation.find_element(By.CSS_SELECTOR, f"tr[data-property-name='{optional}'] input[type=text]")
        assert field.get_attribute("value") == "", optional
    operation.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(csv_file(tmp_path))
    operation.find_element(By.CSS_SELECTOR, "button.execute").click()

    status = visible(browser, "#operations-datasets-datasets_create .live-responses-table tbody .response-col_status")
    assert status.text.strip() == "201", operation.text[-2000:]
    dataset = Dataset.objects.get()
    assert (dataset.name, dataset.user, dataset.record_count) == ("qa", alice, 3)
    assert outside_requests(browser, live_server) == []


def test_help_texts_show_angle_brackets_and_docs_load_nothing_from_outside(browser, live_server, db):
    browser.get(live_server.url + "/api/docs/")
    operation = visible(browser, "#operations-datasets-datasets_create")
    operation.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    wait_for(browser, lambda _: "<metric id>" in operation.text)
    assert outside_requests(browser, live_server) == []

    browser.get(live_server.url + "/api/redoc/")
    wait_for(browser, lambda b: "<metric id>" in b.find_element(By.TAG_NAME, "body").text)
    fonts = browser.execute_script(
        "return document.fonts.ready.then(() => [...document.fonts].filter(f => f.status === 'loaded')"
        ".map(f => f.family))"
    )
    assert {"Roboto", "Montserrat"} <= {family.strip('"') for family in fonts}
    assert outside_requests(browser, live_server) == []


def log_in(browser, live_server, path: str, email: str, password: str):
    browser.get(live_server.url + path)
    visible(browser, "input[name=username]").send_keys(email)
    browser.find_element(By.CSS_SELECTOR, "input[name=password]").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "form [type=submit]").click()


def test_browsable_api_login_lands_on_root_and_upload_form_gives_201(browser, live_server, alice, tmp_path):
    alice.set_password("a-long-password-1")
    alice.save()
    log_in(browser, live_server, "/api-auth/login/", alice.email, "a-long-password-1")
    wait_for(browser, EC.url_to_be(live_server.url + "/api/v1/"))
    assert "/api/v1/datasets" in browser.page_source

    for path in ("/api/v1/datasets", "/api/v1/runs", "/api/v1/metrics"):
        browser.get(live_server.url + path)
        assert browser.find_elements(By.CSS_SELECTOR, ".response-info"), path  # the browsable page, not raw JSON

    browser.get(live_server.url + "/api/v1/datasets")
    form = visible(browser, "form[enctype='multipart/form-data'] input[name=file]").find_element(
        By.XPATH, "./ancestor::form"
    )
    form.find_element(By.NAME, "file").send_keys(csv_file(tmp_path, "from-form.csv"))
    form.find_element(By.NAME, "selected_metrics").send_keys('{"1": {"threshold": 70}}')
    form.find_element(By.CSS_SELECTOR, ".form-actions button").click()

    wait_for(browser, lambda b: "201 Created" in b.find_element(By.CSS_SELECTOR, ".response-info").text)
    dataset = Dataset.objects.get()
    assert (dataset.name, dataset.record_count) == ("from-form", 3)
    browser.get(live_server.url + f"/api/v1/datasets/{dataset.pk}/records")
    assert "q2" in browser.find_element(By.CSS_SELECTOR, ".response-info").text


def test_admin_org_only_collection_dataset_and_run_evaluations(browser, live_server, acme, alice, tmp_path):
    User.objects.create_superuser(email="staff@aegis.test", password="a-long-password-2")
    log_in(browser, live_server, "/admin/login/", "staff@aegis.test", "a-long-password-2")
    visible(browser, "#site-name")

    browser.get(live_server.url + "/admin/collections_app/datacollection/add/")
    visible(browser, "input[name=name]").send_keys("Acme shared set")
    Select(browser.find_element(By.NAME, "org")).select_by_visible_text(str(acme))
    browser.find_element(By.NAME, "_save").click()
    visible(browser, ".messagelist .success")
    collection = DataCollection.objects.get(name="Acme shared set")
    assert (collection.user, collection.org) == (None, acme)

    browser.get(live_server.url + "/admin/datasets/dataset/add/")
    Select(visible(browser, "select[name=org]")).select_by_visible_text(str(acme))
    browser.find_element(By.NAME, "file").send_keys(csv_file(tmp_path, "org-set.csv"))
    browser.find_element(By.NAME, "dataset_name").send_keys("Org set")
    browser.find_element(By.NAME, "_save").click()
    visible(browser, ".messagelist .success")
    dataset = Dataset.objects.get(name="Org set")
    assert (dataset.user, dataset.org, dataset.record_count) == (None, acme, 3)

    run = run_create_from_dataset(user=alice, dataset_id=dataset.pk, is_blocking=True)
    browser.get(live_server.url + f"/admin/runs/run/{run.pk}/change/")
    visible(browser, "a[href*='runs/evaluation']").click()
    rows = wait_for(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#result_list tbody tr"))
    assert len(rows) == Evaluation.objects.filter(run=run).count() == 3
    assert all("exact_match" in row.text for row in rows)
    assert Organization.objects.count() == 1
