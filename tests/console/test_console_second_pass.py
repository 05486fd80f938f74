"""The console's second pass in a real headless Chromium: the playground streams its answer
and shows the stand-ins the model received, two models answer side by side, a key's limits
and budgets are edited (and audited), teams show their spend against budget, and the models
page shows which requests each policy denied."""

from __future__ import annotations

import re

import httpx
import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.console.test_console_browser import (
    _ask,
    _no_secret_or_trace,
    _photograph,
    _sign_in,
    _text,
    _until,
    _wait,
)
from tests.gateway_process import TEST_ADMIN_KEY, GatewayProcess

PERSONAL = "jane.doe@example.com"


def _key(gateway: GatewayProcess, name: str, team: str) -> dict[str, str]:
    created = gateway.admin(TEST_ADMIN_KEY, "POST", "/keys", json={"name": name, "team": team})
    assert created.status_code == 201, created.text
    body: dict[str, str] = created.json()
    return body


def _money(text: str) -> float:
    return float(re.sub(r"[^0-9.]", "", text))


def test_the_playground_streams_and_shows_the_stand_ins_sent_upstream(
    gateway: GatewayProcess, browser: WebDriver
) -> None:
    key = _key(gateway, "streamer", "blue")
    _sign_in(browser, gateway, "", TEST_ADMIN_KEY)
    _wait(browser, "#who")
    browser.get(f"{gateway.base_url}/console/playground")
    # Count the answer's changes as they happen: a streamed answer grows piece by piece.
    browser.execute_script(
        "window.pieces = 0; new MutationObserver(function () { window.pieces += 1; })"
        ".observe(document.querySelector('#result .answer'), "
        "{childList: true, characterData: true, subtree: true});"
    )
    Select(browser.find_element(By.ID, "model")).select_by_visible_text("masked")
    browser.find_element(By.ID, "key").send_keys(key["key"])
    browser.find_element(By.ID, "prompt").send_keys(f"Write one line to {PERSONAL} about lunch")
    browser.find_element(By.ID, "send").click()
    _wait(browser, "#result[data-done='true'] .pane-facts dl")
    assert browser.execute_script("return window.pieces") > 2
    assert _text(browser, "#result .answer")
    assert _text(browser, "#result .target").startswith("smol")
    assert _money(_text(browser, "#result .cost")) > 0
    assert "pseudonymize" in _text(browser, "#result .guards")
    stand_ins = _text(browser, "#result .stand-ins")
    assert re.search(r"<EMAIL[A-Z_]*_1>", stand_ins), stand_ins
    facts = _text(browser, "#result .pane-facts")
    assert PERSONAL not in facts and key["key"] not in browser.page_source
    _photograph(browser, "playground-streamed")

    # The route that keeps no request text says which kind of stand-in went, not which value.
    _ask(browser, gateway, "private", key["key"], f"Say hello to {PERSONAL}")
    assert "redact" in _text(browser, "#result .guards")
    assert "Nothing was pseudonymised" in _text(browser, "#result .stand-ins")
    assert PERSONAL not in _text(browser, "#result .pane-facts")


def test_an_answer_from_a_collection_shows_its_citations(
    gateway: GatewayProcess, browser: WebDriver
) -> None:
    text = "# Trains\n\nTrips under six hours go by train, in second class.\n"
    uploaded = gateway.admin(
        TEST_ADMIN_KEY,
        "POST",
        "/knowledge/collections/policies/documents",
        files=[("file", ("travel/trains.md", text))],
    )
    assert uploaded.status_code == 200, uploaded.text
    key = _key(gateway, "traveller", "blue")
    _sign_in(browser, gateway, "", TEST_ADMIN_KEY)
    _wait(browser, "#who")
    _ask(browser, gateway, "policy-desk", key["key"], "How do I travel for a five hour trip?")
    assert _text(browser, "#result .answer")
    assert "travel/trains.md" in _text(browser, "#result .citations")
    _photograph(browser, "playground-citations")


def test_two_models_answer_the_same_prompt_side_by_side(
    gateway: GatewayProcess, browser: WebDriver
) -> None:
    key = _key(gateway, "comparer", "blue")
    _sign_in(browser, gateway, "", TEST_ADMIN_KEY)
    _wait(browser, "#who")
    browser.get(f"{gateway.base_url}/console/compare")
    Select(browser.find_element(By.ID, "model-left")).select_by_visible_text("chat")
    Select(browser.find_element(By.ID, "model-right")).select_by_visible_text("private")
    browser.find_element(By.ID, "key").send_keys(key["key"])
    browser.find_element(By.ID, "prompt").send_keys("Name a colour.")
    browser.find_element(By.ID, "send").click()
    for side in ("left", "right"):
        _wait(browser, f"#{side}[data-done='true'] .pane-facts dl")
        assert _text(browser, f"#{side} .answer")
        assert _text(browser, f"#{side} .target").startswith("smol")
    assert _text(browser, "#left .pane-model") == "chat"
    assert _text(browser, "#right .pane-model") == "private"
    left_id, right_id = _text(browser, "#left .request-id"), _text(browser, "#right .request-id")
    assert left_id and right_id and left_id != right_id
    _no_secret_or_trace(browser, key["key"])
    _photograph(browser, "compare-answers")


def test_an_admin_edits_a_keys_limits_and_budgets_and_the_change_is_audited(
    gateway: GatewayProcess, browser: WebDriver
) -> None:
    key = _key(gateway, "to-limit", "blue")
    _sign_in(browser, gateway, "", TEST_ADMIN_KEY)
    _wait(browser, "#who")
    browser.get(f"{gateway.base_url}/console/keys")
    row = browser.find_element(By.XPATH, f"//tr[@data-key-id='{key['id']}']")
    row.find_element(By.CSS_SELECTOR, "details.edit-limits summary").click()
    row.find_element(By.CSS_SELECTOR, "input.limit-rpm").send_keys("7")
    row.find_element(By.CSS_SELECTOR, "input.budget-daily").send_keys("2.5")
    _photograph(browser, "keys-edit-limits")
    row.find_element(By.CSS_SELECTOR, "button.save-limits").click()
    edited = f"//tr[@data-key-id='{key['id']}']"
    _until(browser, lambda b: "rpm 7" in b.find_element(By.XPATH, edited).text)
    stored = gateway.admin(TEST_ADMIN_KEY, "GET", f"/keys/{key['id']}").json()
    assert stored["limits"] == {"rpm": 7} and stored["budgets"] == {"daily": 2.5}
    spend = browser.find_element(By.XPATH, f"{edited}/td[@class='spend']").text
    assert spend.endswith("/ $2.500000 a day")

    browser.get(f"{gateway.base_url}/console/audit?action=keys.update")
    entries = _text(browser, "#audit")
    assert key["id"] in entries and "console:admin-key" in entries and '"rpm":7' in entries
    assert "Chain verified" in _wait(browser, "#chain-state", 30)


def test_teams_show_their_keys_and_spend_against_budget(
    gateway: GatewayProcess, browser: WebDriver
) -> None:
    key = _key(gateway, "blue-spender", "blue")
    reply = httpx.post(
        f"{gateway.base_url}/v1/chat/completions",
        headers={"authorization": f"Bearer {key['key']}"},
        json={"model": "chat", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8},
        timeout=120,
    )
    assert reply.status_code == 200, reply.text
    usage = gateway.admin(TEST_ADMIN_KEY, "GET", "/usage?group_by=team").json()["data"]
    blue_cost = next(r["cost"] for r in usage if r["team"] == "blue")
    _sign_in(browser, gateway, "", TEST_ADMIN_KEY)
    _wait(browser, "#who")
    browser.get(f"{gateway.base_url}/console/teams")
    row = browser.find_element(By.CSS_SELECTOR, "#teams tr[data-team='blue']")
    assert "blue-spender" in row.find_element(By.CSS_SELECTOR, ".scope-keys").text
    today = row.find_element(By.CSS_SELECTOR, ".spend-daily").text
    month = row.find_element(By.CSS_SELECTOR, ".spend-monthly").text
    assert "/ $5.000000" in today and "/ $50.000000" in month
    assert blue_cost > 0  # the page shows what the usage report counts, to the microdollar
    assert _money(today.split("/")[0]) == pytest.approx(blue_cost, abs=1e-6)
    assert _money(month.split("/")[0]) == _money(today.split("/")[0])  # all spent today
    _no_secret_or_trace(browser, key["key"])
    _photograph(browser, "teams")


def test_the_models_page_shows_which_requests_each_policy_denied(
    gateway: GatewayProcess, browser: WebDriver
) -> None:
    red = _key(gateway, "red-caller", "red")
    refused = httpx.post(
        f"{gateway.base_url}/v1/chat/completions",
        headers={"authorization": f"Bearer {red['key']}"},
        json={"model": "chat", "messages": [{"role": "user", "content": "hi"}]},
        timeout=60,
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "policy_violation"
    request_id = refused.headers["x-request-id"]
    _sign_in(browser, gateway, "", TEST_ADMIN_KEY)
    _wait(browser, "#who")
    browser.get(f"{gateway.base_url}/console/models")
    policy = browser.find_element(By.CSS_SELECTOR, "section[data-policy='red-team-stays-off-smol']")
    assert policy.find_element(By.CSS_SELECTOR, ".denied-count").text.startswith("1 denied")
    denials = policy.find_element(By.CSS_SELECTOR, "table.denials").text
    assert request_id in denials and red["id"] in denials and "red" in denials
    assert "models smol" in policy.text and "teams red" in policy.text
    _no_secret_or_trace(browser, red["key"])
    browser.execute_script("arguments[0].scrollIntoView()", policy)
    _photograph(browser, "models-policies")
