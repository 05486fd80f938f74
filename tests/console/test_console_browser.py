"""An operator in a real headless Chromium: signs in with the admin key, creates a key and
sees its secret once, tries it in the playground (target, cost, guard decisions), finds the
request in the overview and the key in the audit log, revokes it and sees the next request
refused. Every page is photographed at laptop and phone size; none shows a secret."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.console.conftest import SCREENSHOTS, SIZES, add_console_user
from tests.gateway_process import TEST_ADMIN_KEY, GatewayProcess

PAGES = ("overview", "keys", "teams", "audit", "playground", "compare", "models", "users")


def _wait(browser: WebDriver, css: str, seconds: float = 120) -> str:
    found = _until(browser, ready.visibility_of_element_located((By.CSS_SELECTOR, css)), seconds)
    return str(found.text)


def _until(browser: WebDriver, condition: Callable[[WebDriver], Any], seconds: float = 30) -> Any:
    """`condition` once it holds; a page being replaced meanwhile (stale elements) is waited out."""
    waiting = WebDriverWait(browser, seconds, ignored_exceptions=(StaleElementReferenceException,))
    return waiting.until(condition)


def _text(browser: WebDriver, css: str) -> str:
    return str(browser.find_element(By.CSS_SELECTOR, css).text)


def _no_secret_or_trace(browser: WebDriver, *secrets: str) -> None:
    source = browser.page_source
    assert TEST_ADMIN_KEY not in source
    assert "Traceback" not in source and "Internal Server Error" not in source
    for secret in secrets:
        assert secret not in source


def _photograph(browser: WebDriver, name: str) -> None:
    """The page as a laptop (1280x800) and a phone (390x844) show it: the viewport itself."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in SIZES:
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        browser.execute_script("window.dispatchEvent(new Event('resize'))")
        time.sleep(0.4)  # the charts redraw 200 ms after a resize; not an assertion
        path = SCREENSHOTS / f"{name}-{width}x{height}.png"
        assert browser.save_screenshot(str(path)) and path.stat().st_size > 5000
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def _sign_in(browser: WebDriver, gateway: GatewayProcess, name: str, password: str) -> None:
    browser.delete_all_cookies()
    browser.get(f"{gateway.base_url}/console/login")
    browser.find_element(By.ID, "name").send_keys(name)
    browser.find_element(By.ID, "password").send_keys(password)
    browser.find_element(By.ID, "sign-in").click()


def _ask(browser: WebDriver, gateway: GatewayProcess, model: str, key: str, prompt: str) -> None:
    """A prompt sent from the playground, waited for until its answer has streamed in and the
    ledger's facts are shown beside it."""
    browser.get(f"{gateway.base_url}/console/playground")
    Select(browser.find_element(By.ID, "model")).select_by_visible_text(model)
    browser.find_element(By.ID, "key").send_keys(key)
    browser.find_element(By.ID, "prompt").send_keys(prompt)
    browser.find_element(By.ID, "send").click()
    _wait(browser, "#result[data-done='true'] .pane-facts dl")


def test_an_operator_runs_a_key_through_its_life_in_the_console(
    gateway: GatewayProcess, browser: WebDriver
) -> None:
    base = gateway.base_url
    browser.get(f"{base}/console/login")
    _photograph(browser, "login")
    _sign_in(browser, gateway, "", TEST_ADMIN_KEY)
    assert _wait(browser, "#who") == "admin-key (admin)"

    # A key, its secret shown once.
    browser.get(f"{base}/console/keys")
    browser.find_element(By.ID, "key-name").send_keys("browser-app")
    browser.find_element(By.ID, "key-team").send_keys("blue")
    browser.find_element(By.ID, "key-rpm").send_keys("60")
    browser.find_element(By.ID, "key-budget").send_keys("5")
    browser.find_element(By.ID, "create-key-button").click()
    secret = _wait(browser, "#new-secret")
    assert secret.startswith("sg-")
    browser.get(f"{base}/console/keys")
    row = browser.find_element(By.XPATH, "//table[@id='keys']//tr[td[1]='browser-app']")
    key_id = str(row.get_attribute("data-key-id"))
    assert "active" in row.text and secret[:10] in row.text
    _no_secret_or_trace(browser, secret)

    # The playground: through the guarded alias, the e-mail address is redacted and counted.
    _ask(browser, gateway, "private", secret, "Say hello to jane.doe@example.com")
    assert _text(browser, "#result .answer")
    assert _text(browser, "#result .target").startswith("smol")
    cost = float(re.sub(r"[^0-9.]", "", _text(browser, "#result .cost")))
    assert cost > 0
    guards = _text(browser, "#result .guards")
    assert "pii" in guards and "redact" in guards and "EMAIL" in guards.upper()
    request_id = _text(browser, "#result .request-id")
    assert request_id
    _photograph(browser, "playground-answer")
    _no_secret_or_trace(browser, secret, "jane.doe@example.com")

    # Its spend today against its budget, on the keys page.
    browser.get(f"{base}/console/keys")
    row = browser.find_element(By.XPATH, f"//tr[@data-key-id='{key_id}']")
    assert "rpm 60" in row.text
    assert row.find_element(By.CSS_SELECTOR, ".spend").text == f"${cost:,.6f} / $5.000000 a day"

    # The overview: the request in the latest table, counted in the tiles, drawn in charts.
    browser.get(f"{base}/console/overview")
    assert request_id in _text(browser, "#recent")
    assert int(_text(browser, "#total-requests")) >= 1
    assert "pii" in _text(browser, "#guard-events")
    drawn = ".chart[data-drawn='true'] canvas"
    _until(browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, drawn)) == 4)
    assert "smol" in _text(browser, "#groups")

    # The audit log: the key's creation, searchable by action, and the chain verified.
    browser.get(f"{base}/console/audit")
    assert "Chain verified" in _wait(browser, "#chain-state", 30)
    browser.find_element(By.ID, "filter-action").send_keys("keys.create")
    browser.find_element(By.ID, "search").click()
    _until(browser, lambda b: "keys.create" in b.current_url and key_id in _text(b, "#audit"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#audit tbody tr")
    assert all("keys.create" in r.text for r in rows)
    assert any("console:admin-key" in r.text for r in rows)
    assert request_id not in _text(browser, "#audit")  # the filter hid the request entries

    # Revoked, the same key is refused on its next request.
    browser.get(f"{base}/console/keys")
    row = browser.find_element(By.XPATH, f"//tr[@data-key-id='{key_id}']")
    row.find_element(By.CSS_SELECTOR, "button.revoke").click()
    state = f"//tr[@data-key-id='{key_id}']/td[@class='state']"
    _until(browser, lambda b: "revoked" in b.find_element(By.XPATH, state).text)
    _ask(browser, gateway, "chat", secret, "Hello again")
    refusal = _text(browser, "#result .refusal")
    assert "revoked" in refusal.lower() or "invalid" in refusal.lower()
    assert _text(browser, "#result .answer") == ""
    _photograph(browser, "playground-refused")

    for page in PAGES:
        browser.get(f"{base}/console/{page}")
        _wait(browser, "main h1")
        _no_secret_or_trace(browser, secret)
        _photograph(browser, page)


def test_a_viewer_sees_no_controls_in_the_browser(
    gateway: GatewayProcess, browser: WebDriver
) -> None:
    created = gateway.admin(TEST_ADMIN_KEY, "POST", "/keys", json={"name": "seen-by-viewer"})
    assert created.status_code == 201
    add_console_user(gateway, "victor", "viewer-password-2", "viewer")
    _sign_in(browser, gateway, "victor", "viewer-password-2")
    assert _wait(browser, "#who") == "victor (viewer)"
    browser.get(f"{gateway.base_url}/console/keys")
    assert "seen-by-viewer" in _text(browser, "#keys")
    assert browser.find_elements(By.ID, "create-key") == []
    assert browser.find_elements(By.CSS_SELECTOR, "button.revoke") == []
    assert _text(browser, "#viewer-note")
    browser.get(f"{gateway.base_url}/console/users")
    assert browser.find_elements(By.ID, "add-user") == []
    _no_secret_or_trace(browser)


def test_wrong_passwords_are_rate_limited_on_the_sign_in_page(
    gateway: GatewayProcess, browser: WebDriver
) -> None:
    add_console_user(gateway, "wanda", "wanda-password-1", "admin")
    for n in range(5):
        _sign_in(browser, gateway, "wanda", f"not-it-{n}")
        assert _wait(browser, "#login-error") == "Wrong name or password."
    _sign_in(browser, gateway, "wanda", "wanda-password-1")
    assert "Too many failed sign-ins" in _wait(browser, "#login-error")
    assert browser.find_elements(By.ID, "who") == []


def test_an_upload_is_retrieved_for_one_team_and_hidden_from_another(
    gateway: GatewayProcess, browser: WebDriver, tmp_path: Path
) -> None:
    document = tmp_path / "parking.md"
    document.write_text("# Parking\n\nThe blue team parks on level three of the north garage.\n")
    _sign_in(browser, gateway, "", TEST_ADMIN_KEY)
    _wait(browser, "#who")
    browser.get(f"{gateway.base_url}/console/knowledge")
    browser.find_element(By.ID, "collection-name").send_keys("handbook")
    browser.find_element(By.CSS_SELECTOR, "#create-collection button").click()
    _wait(browser, "section.collection[data-collection='handbook']")
    Select(browser.find_element(By.ID, "upload-collection")).select_by_visible_text("handbook")
    browser.find_element(By.ID, "upload-file").send_keys(str(document))
    browser.find_element(By.ID, "upload-acl").send_keys("team:blue")
    browser.find_element(By.ID, "upload-button").click()
    handbook = "section.collection[data-collection='handbook']"
    _until(browser, lambda b: "parking.md" in _text(b, handbook), 120)
    assert "team:blue" in _text(browser, handbook)

    def search_as(team: str) -> str:
        browser.get(f"{gateway.base_url}/console/knowledge")
        search = browser.find_element(By.ID, "knowledge-search")
        Select(search.find_element(By.ID, "search-collection")).select_by_visible_text("handbook")
        search.find_element(By.ID, "search-team").send_keys(team)
        search.find_element(By.ID, "search-query").send_keys("where does the team park")
        search.find_element(By.ID, "search-button").click()
        return _wait(browser, "#passages")

    assert "level three of the north garage" in search_as("blue")
    _photograph(browser, "knowledge")
    hidden = search_as("red")
    assert "north garage" not in hidden and "Nothing this reader may see" in hidden
    _no_secret_or_trace(browser)
    audit = gateway.admin(TEST_ADMIN_KEY, "GET", "/audit/verify").json()
    assert audit["ok"] is True
