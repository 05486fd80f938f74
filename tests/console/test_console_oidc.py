"""Signing in to the console through an identity provider, in a real headless Chromium: a real
OpenID Connect provider (oidc-provider-mock, built on Authlib) runs on a loopback port with a
registered client (its secret checked, a nonce required); the gateway runs the code flow.
Chromium goes through the provider and lands signed in with the role the `groups` claim maps
to; a person with no mapped role, and a callback whose state was tampered with, are refused."""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By

from tests.console.test_console_browser import _no_secret_or_trace, _photograph, _text, _wait
from tests.gateway_process import TEST_ADMIN_KEY, GatewayProcess, free_port

with warnings.catch_warnings():  # the test provider's own use of Authlib's deprecated names
    import authlib.deprecate  # noqa: F401 (it adds an "always" filter; ours must come after it)

    warnings.simplefilter("ignore", DeprecationWarning)
    from oidc_provider_mock import run_server_in_thread

# The provider's grant still uses an Authlib hook Authlib has deprecated: its noise, not ours.
pytestmark = pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning")

PEOPLE = {
    "alice": {"email": "alice@acme.example", "groups": ["switchgear-admins"]},
    "bob": {"email": "bob@acme.example", "groups": ["engineering"]},
    "eve": {"email": "eve@elsewhere.example", "groups": ["contractors"]},
}
CONFIG = """
models:
  - {{id: smol, aliases: [default]}}
console:
  oidc:
    name: Acme SSO
    issuer: {issuer}
    client_id: {client_id}
    client_secret_env: TEST_OIDC_CLIENT_SECRET
    scopes: [openid, email, profile]
    roles: {{claim: groups, admin: [switchgear-admins], viewer: [engineering]}}
"""


class SignInSetup:
    def __init__(self, gateway: GatewayProcess, issuer: str, client_secret: str) -> None:
        self.gateway = gateway
        self.issuer = issuer
        self.client_secret = client_secret


@pytest.fixture(scope="module")
def sign_in_setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignInSetup]:
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # the provider serves plain http on loopback
    with run_server_in_thread(require_client_registration=True, require_nonce=True) as server:
        issuer = f"http://localhost:{server.server_port}"
        port = free_port()
        client = httpx.post(
            f"{issuer}/oauth2/clients",
            json={
                "redirect_uris": [f"http://127.0.0.1:{port}/console/oidc/callback"],
                "token_endpoint_auth_method": "client_secret_basic",
            },
        ).json()
        for sub, claims in PEOPLE.items():
            assert httpx.put(f"{issuer}/users/{sub}", json=claims).status_code == 204
        home: Path = tmp_path_factory.mktemp("console-oidc")
        path = home / "switchgear.yaml"
        path.write_text(CONFIG.format(issuer=issuer, client_id=client["client_id"]))
        env = {
            "SWITCHGEAR_ADMIN_KEY": TEST_ADMIN_KEY,
            "TEST_OIDC_CLIENT_SECRET": client["client_secret"],
        }
        gateway = GatewayProcess(home, path, env=env, port=port)
        try:
            yield SignInSetup(gateway, issuer, client["client_secret"])
        finally:
            gateway.stop()


def _through_the_provider(browser: WebDriver, setup: SignInSetup) -> None:
    """From the console's sign-in page to the provider's authorisation page."""
    browser.delete_all_cookies()
    browser.get(f"{setup.gateway.base_url}/console/login")
    button = browser.find_element(By.ID, "oidc-sign-in")
    assert button.text == "Sign in with Acme SSO"
    button.click()
    _wait(browser, "input[name='sub']", 30)
    assert browser.current_url.startswith(setup.issuer)


def _authorise(browser: WebDriver, sub: str) -> None:
    browser.find_element(By.CSS_SELECTOR, "input[name='sub']").send_keys(sub)
    browser.find_element(By.XPATH, "//button[normalize-space()='Authorize']").click()


def test_chromium_signs_in_through_the_provider_with_the_mapped_role(
    sign_in_setup: SignInSetup, browser: WebDriver
) -> None:
    gateway = sign_in_setup.gateway
    browser.get(f"{gateway.base_url}/console/login")
    _photograph(browser, "login-oidc")
    _through_the_provider(browser, sign_in_setup)
    query = browser.current_url.split("?", 1)[1]
    assert "code_challenge_method=S256" in query and "nonce=" in query and "state=" in query
    _authorise(browser, "alice")
    assert _wait(browser, "#who", 30) == "alice@acme.example (admin)"
    assert browser.current_url.endswith("/console/overview")
    browser.get(f"{gateway.base_url}/console/keys")
    assert browser.find_elements(By.ID, "create-key")  # an admin's controls
    _no_secret_or_trace(browser, sign_in_setup.client_secret)
    audit = gateway.admin(TEST_ADMIN_KEY, "GET", "/audit/verify").json()
    assert audit["ok"] is True

    _through_the_provider(browser, sign_in_setup)
    _authorise(browser, "bob")
    assert _wait(browser, "#who", 30) == "bob@acme.example (viewer)"
    browser.get(f"{gateway.base_url}/console/keys")
    assert browser.find_elements(By.ID, "create-key") == []
    assert _text(browser, "#viewer-note")


def test_a_person_whose_claim_maps_to_no_role_is_refused(
    sign_in_setup: SignInSetup, browser: WebDriver
) -> None:
    _through_the_provider(browser, sign_in_setup)
    _authorise(browser, "eve")
    assert "no console role" in _wait(browser, "#login-error", 30)
    assert browser.find_elements(By.ID, "who") == []
    _photograph(browser, "login-oidc-refused")
    browser.get(f"{sign_in_setup.gateway.base_url}/console/overview")
    assert browser.current_url.endswith("/console/login")  # no session was opened


def test_a_callback_with_a_tampered_state_is_refused(
    sign_in_setup: SignInSetup, browser: WebDriver
) -> None:
    _through_the_provider(browser, sign_in_setup)
    state = re.search(r"[?&]state=([^&]+)", browser.current_url)
    assert state
    browser.get(browser.current_url.replace(state.group(0), state.group(0)[:-4] + "AAAA"))
    _authorise(browser, "alice")  # the provider hands the forged state back to the console
    assert "state did not match" in _wait(browser, "#login-error", 30)
    assert browser.find_elements(By.ID, "who") == []
    browser.get(f"{sign_in_setup.gateway.base_url}/console/overview")
    assert browser.current_url.endswith("/console/login")
