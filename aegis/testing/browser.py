"""A real headless Chromium for tests: the `browser` fixture (registered as a plugin by the root conftest.py).

It drives the system's own browser and driver (Debian's `chromium` and `chromium-driver`), never one that Selenium
Manager would download; tests using it skip cleanly where either is missing or selenium is not installed. When a
test fails, a screenshot and the page's HTML are written under that test's pytest temporary directory (never in the
repository) and their paths printed.

    def test_docs(browser, live_server):
        browser.get(live_server.url + "/api/docs/")
"""

import os
from pathlib import Path

import pytest

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
CHROMEDRIVER_CANDIDATES = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")
WINDOW_SIZE = "1400,1000"
# Long enough for a cold Chromium on a loaded two-core machine; the page itself comes from a loopback server.
PAGE_LOAD_TIMEOUT_S = 60


def _first_executable(paths: tuple[str, ...], env_name: str) -> str | None:
    chosen = os.environ.get(env_name)
    for path in (chosen,) if chosen else paths:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def find_browser() -> tuple[str, str] | None:
    """(chromium, chromedriver) paths, or None where either is absent. AEGIS_CHROMIUM / AEGIS_CHROMEDRIVER override."""
    chromium = _first_executable(CHROMIUM_CANDIDATES, "AEGIS_CHROMIUM")
    driver = _first_executable(CHROMEDRIVER_CANDIDATES, "AEGIS_CHROMEDRIVER")
    if chromium is None or driver is None:
        return None
    return chromium, driver


def start_chromium(chromium: str, driver: str, downloads: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--metrics-recording-only",
        "--password-store=basic",
        f"--window-size={WINDOW_SIZE}",
    ):
        options.add_argument(argument)
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
            "credentials_enable_service": False,
            "profile.password_manager_enabled": False,
        },
    )
    # An explicit driver path means Selenium Manager is never consulted, so nothing is downloaded.
    service = Service(executable_path=driver)
    browser = webdriver.Chrome(service=service, options=options)
    browser.set_page_load_timeout(PAGE_LOAD_TIMEOUT_S)
    return browser


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _save_failure_evidence(browser, directory: Path) -> list[Path]:
    saved = []
    try:
        shot = directory / "screenshot.png"
        if browser.save_screenshot(str(shot)):
            saved.append(shot)
        page = directory / "page.html"
        page.write_text(f"<!-- {browser.current_url} -->\n{browser.page_source}", encoding="utf-8")
        saved.append(page)
    except Exception as error:  # the browser may be what broke; the test's own failure is the one to report
        print(f"could not save the browser's state: {error}")
    return saved


@pytest.fixture
def browser(request, tmp_path_factory):
    """A fresh headless Chromium WebDriver (selenium) for one test; quit afterwards."""
    pytest.importorskip("selenium", reason="selenium is not installed")
    found = find_browser()
    if found is None:
        pytest.skip("no system Chromium and chromedriver (apt-get install chromium chromium-driver)")
    directory = tmp_path_factory.mktemp("browser")
    downloads = directory / "downloads"
    downloads.mkdir()
    # The driver starts a loopback server and Chromium profiles live in /tmp; no proxy must be used for loopback.
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    driver = start_chromium(*found, downloads=downloads)
    driver.downloads_dir = downloads
    try:
        yield driver
        failed = any(
            getattr(getattr(request.node, f"report_{when}", None), "failed", False) for when in ("setup", "call")
        )
        if failed:
            for path in _save_failure_evidence(driver, directory):
                print(f"browser evidence: {path}")
    finally:
        driver.quit()


def chromium_available() -> bool:
    """For `skipif` marks outside the fixture: True where the system browser, its driver and selenium are there."""
    return find_browser() is not None and _selenium_importable()


def _selenium_importable() -> bool:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return False
    return True
