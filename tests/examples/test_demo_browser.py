"""The demo in a real browser: headless Chromium driven through Selenium.

One visitor goes through the whole application (sign up, create a note with an
attachment, download it, edit, delete, log out, log in again, a missing page) at desktop
width, then the main pages are checked at phone width.  Every step saves a screenshot
to ``tests/artifacts/screenshots/`` (or ``$CHERRYPIT_ARTIFACTS/screenshots``).

Without Chromium and its driver (Debian: ``chromium`` and ``chromium-driver``) the tests
are skipped, unless ``CHERRYPIT_REQUIRE_BROWSER=1`` (CI), where that is a failure.
"""

from __future__ import annotations

import base64
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.examples.conftest import DemoServer, screenshot_dir

pytestmark = pytest.mark.e2e

WAIT = 10.0
POLL = 0.05
PASSWORD = "pit-and-stone"
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}


def _require(condition: bool, message: str) -> None:
    if condition:
        return
    if os.environ.get("CHERRYPIT_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{message}, and CHERRYPIT_REQUIRE_BROWSER=1 requires it")
    pytest.skip(message)


def _replaced(exc: Exception) -> bool:
    """Is this chromedriver's error for a node of a page that has just been replaced?"""
    return "does not belong to the document" in str(exc)


def _find_binary(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


class Browser:
    """A Chromium session with the few helpers the tests need."""

    def __init__(self, driver: Any, base_url: str, shots: Path, downloads: Path) -> None:
        self.driver = driver
        self.base_url = base_url.rstrip("/")
        self.shots = shots
        self.downloads = downloads

    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    def find(self, css: str) -> Any:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, WAIT, poll_frequency=POLL).until(
            ec.presence_of_element_located((By.CSS_SELECTOR, css))
        )

    def text(self, css: str) -> str:
        return str(self.find(css).text)

    def fill(self, values: dict[str, str]) -> None:
        for name, value in values.items():
            field = self.find(f'[name="{name}"]')
            field.clear()
            field.send_keys(value)

    def click(self, css: str) -> None:
        """Click the element like a user does (a real mouse event through the driver)."""
        from selenium.common.exceptions import WebDriverException

        try:
            self.find(css).click()
        except WebDriverException as exc:
            # chromedriver looks at the clicked node again after the click; when the click
            # already replaced the page, that look fails.  The click happened: callers wait
            # for the next page, and fail there if there is none.
            if not _replaced(exc):
                raise

    def follow(self, css: str = 'main button[type="submit"]') -> None:
        """Click a link or submit button and wait for the next page (the old one goes stale)."""
        from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
        from selenium.webdriver.support.ui import WebDriverWait

        page = self.find("html")

        def gone(_driver: Any) -> bool:
            try:
                page.is_enabled()
            except StaleElementReferenceException:
                return True
            except WebDriverException as exc:
                if _replaced(exc):
                    return True
                raise
            return False

        self.click(css)
        WebDriverWait(self.driver, WAIT, poll_frequency=POLL).until(gone)

    def submit(self, css: str = 'main button[type="submit"]') -> None:
        """Send the form of the page with its submit button; wait for the answer."""
        self.follow(css)

    def path(self) -> str:
        url: str = self.driver.current_url
        return url.removeprefix(self.base_url)

    def shot(self, name: str) -> Path:
        """A full-page PNG of what is shown now."""
        data = self.driver.execute_cdp_cmd(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
        )
        target = self.shots / f"{name}.png"
        target.write_bytes(base64.b64decode(data["data"]))
        return target

    def fits_width(self) -> bool:
        """No horizontal scrolling: nothing is wider than the window."""
        return bool(
            self.driver.execute_script(
                "return document.documentElement.scrollWidth <= window.innerWidth"
            )
        )


@pytest.fixture(scope="module")
def chromium() -> tuple[str, str]:
    """The paths of Chromium and chromedriver, or a skip (a failure in CI) without them."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        _require(False, "selenium is not installed (pip install -e '.[test]')")
    binary = _find_binary("chromium", "chromium-browser", "google-chrome")
    driver = _find_binary("chromedriver")
    _require(binary is not None, "Chromium is not installed (Debian: apt-get install chromium)")
    _require(
        driver is not None,
        "chromedriver is not installed (Debian: apt-get install chromium-driver)",
    )
    assert binary is not None and driver is not None
    return binary, driver


@pytest.fixture(scope="module")
def browser(
    chromium: tuple[str, str], demo: DemoServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Browser]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = chromium
    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI containers run as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,900",
        "--no-first-run",
        "--disable-extensions",
        "--lang=en-US",
    ):
        options.add_argument(argument)
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        driver.execute_cdp_cmd(
            "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
        )
        yield Browser(driver, demo.url, screenshot_dir(), downloads)
    finally:
        driver.quit()


def _wait_for_file(path: Path) -> bytes:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if path.is_file() and path.stat().st_size > 0:
            return path.read_bytes()
        time.sleep(0.05)
    pytest.fail(f"{path.name} was not downloaded (found: {sorted(os.listdir(path.parent))})")


def test_a_visitor_goes_through_the_whole_application(browser: Browser, tmp_path: Path) -> None:
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    browser.open("/")
    assert browser.text("h1") == "Notes that stay yours."
    browser.shot("01-home")

    # Sign-up, with one mistake first.
    browser.follow('a.button[href$="/signup"]')
    browser.find('input[name="username"]')
    browser.fill({"username": "olive", "password": PASSWORD, "confirm": "something else"})
    browser.submit()
    assert browser.text(".field--invalid .field__error") == "The two passwords differ."
    browser.shot("02-signup-error")
    browser.fill({"password": PASSWORD, "confirm": PASSWORD})
    browser.submit()
    assert browser.path() == "/notes/"
    assert browser.text(".flash") == "Welcome, olive! Your account is ready."
    browser.shot("03-notes-empty")

    # Create a note with an attachment.
    browser.follow('.page-head a[href$="/notes/new"]')
    browser.find('input[name="title"]')
    upload = tmp_path / "packing-list.txt"
    upload.write_text("tent\nstove\nmap\n", encoding="utf-8")
    browser.fill({"title": "Weekend in the hills", "body": "Leave Friday at six.\nBring the map."})
    browser.find('input[name="attachment"]').send_keys(str(upload))
    browser.shot("04-note-new")
    browser.submit()
    assert browser.text("h1") == "Weekend in the hills"
    assert browser.text(".flash") == "Note created."
    assert "Bring the map." in browser.text(".note__body")
    browser.shot("05-note-view")

    # Download the attachment.
    browser.click(".attachment__link")  # a download: the page stays
    assert _wait_for_file(browser.downloads / "packing-list.txt") == upload.read_bytes()

    # Edit it.
    browser.follow('a[href$="/edit"]')
    browser.find('input[name="title"]')
    browser.fill({"title": ""})
    browser.submit()
    assert browser.text(".field__error") == "Give the note a title."
    browser.fill({"title": "Weekend in the mountains"})
    browser.submit()
    assert browser.text("h1") == "Weekend in the mountains"
    assert browser.text(".flash") == "Changes saved."

    # Two more notes, so that the list shows a few cards.
    for title, body in [
        ("Cherry clafoutis", "500 g cherries, 3 eggs, 60 g flour, 250 ml milk.\n40 min at 180 °C."),
        ("Books to read", "The Name of the Rose\nInvisible Cities"),
    ]:
        browser.open("/notes/new")
        browser.fill({"title": title, "body": body})
        browser.submit()
    browser.open("/notes/")
    titles = [e.text for e in browser.driver.find_elements("css selector", ".note-card__title")]
    assert titles == ["Books to read", "Cherry clafoutis", "Weekend in the mountains"]
    browser.shot("06-notes-list")

    # Delete one: the page asks first.
    browser.follow(".note-card__link")
    assert browser.text("h1") == "Books to read"
    page = browser.find("html")
    browser.click(".button--danger")
    alert = WebDriverWait(browser.driver, WAIT, poll_frequency=POLL).until(ec.alert_is_present())
    assert alert.text == "Delete “Books to read”? This cannot be undone."
    alert.accept()
    WebDriverWait(browser.driver, WAIT, poll_frequency=POLL).until(ec.staleness_of(page))
    assert browser.path() == "/notes/"
    assert browser.text(".flash") == "Deleted “Books to read”."
    assert len(browser.driver.find_elements("css selector", ".note-card")) == 2

    # Log out; the notes are closed to anonymous visitors.
    browser.submit(".nav__logout button")
    assert browser.path() == "/"
    browser.open("/notes/")
    assert browser.path() == "/login?next=%2Fnotes%2F"

    # Log in again: a wrong password first, then back to the page that was asked for.
    browser.fill({"username": "olive", "password": "wrong password"})
    browser.submit()
    assert browser.text(".alert") == "Wrong user name or password."
    browser.shot("07-login-error")
    browser.fill({"username": "olive", "password": PASSWORD})
    browser.submit()
    assert browser.path() == "/notes/"
    assert browser.text(".note-card__title") == "Cherry clafoutis"

    # A page that does not exist.
    browser.open("/notes/4242/")
    assert browser.text(".error-page__code") == "404"
    assert browser.text("h1") == "Page not found"
    browser.shot("08-error-404")


def test_the_pages_fit_a_phone(browser: Browser) -> None:
    browser.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    try:
        browser.driver.delete_all_cookies()  # a new visitor
        shots = {"phone-01-home": "/", "phone-02-signup": "/signup"}
        for name, path in shots.items():
            browser.open(path)
            browser.find("main")
            assert browser.fits_width(), f"{path} is wider than a phone"
            browser.shot(name)

        browser.open("/login")
        browser.fill({"username": "olive", "password": PASSWORD})
        browser.submit()
        assert browser.text(".note-card__title") == "Cherry clafoutis"
        note = (
            browser.find(".note-card:last-child .note-card__link")
            .get_attribute("href")
            .removeprefix(browser.base_url)
        )
        shots = {
            "phone-03-notes-list": "/notes/",
            "phone-04-note-view": note,
            "phone-05-note-edit": f"{note}edit",
            "phone-06-api-guide": "/api-guide",
        }
        for name, path in shots.items():
            browser.open(path)
            browser.find("main h1")
            assert browser.fits_width(), f"{path} is wider than a phone"
            browser.shot(name)
    finally:
        browser.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
