"""A real gateway with the console, a headless Chromium driven by Selenium, and a small HTTP
client that speaks the console's forms (multipart, as its pages send them)."""

from __future__ import annotations

import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from tests.gateway_process import TEST_ADMIN_KEY, GatewayProcess, keyed_gateway

# The embedded model, priced by the hour so a request has a visible cost, behind a route, an
# alias whose guard policy redacts e-mail addresses, and a route that pseudonymises them and
# keeps its requests (so the console can show the stand-ins the model received), and one that
# answers from a collection (with citations). The blue
# team has budgets; a registry policy keeps the red team off the model.
CONFIG = """
models:
  - {id: smol, aliases: [default, private], cost_per_hour: 36, licence: Apache-2.0}
routes:
  chat: {targets: [smol]}
  masked: {targets: [smol], retention: {store: full, expire_days: 1}}
  policy-desk: {targets: [smol], knowledge: {collection: policies, top_k: 2}}
knowledge:
  collections:
    policies: {description: Travel policies, acl: [public]}
guards:
  routes: {private: redact, masked: pseudo}
  policies:
    off: {}
    redact: {pii: {action: redact, use_model: false}}
    pseudo: {pii: {action: pseudonymize, use_model: false}}
governance:
  teams:
    blue: {budgets: {daily: 5, monthly: 50}}
  policies:
    - {name: red-team-stays-off-smol, deny: {models: [smol]}, when: {teams: [red]}}
"""
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".screenshots" / "console"
SIZES = ((1280, 800), (390, 844))
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    with keyed_gateway(tmp_path_factory.mktemp("console"), CONFIG) as (process, _):
        yield process


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    chromium = shutil.which("chromium")
    chromedriver = shutil.which("chromedriver")
    assert chromium and chromedriver, "Debian's chromium and chromium-driver are needed"
    with tempfile.TemporaryDirectory() as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for flag in (
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--disable-background-networking", "--disable-sync",
            "--disable-component-update", f"--user-data-dir={profile}", "--window-size=1280,800",
        ):  # fmt: skip
            options.add_argument(flag)
        driver = webdriver.Chrome(options=options, service=Service(chromedriver))
        driver.implicitly_wait(0)
        try:
            yield driver
        finally:
            driver.quit()


def multipart(fields: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """A multipart/form-data body, as the console's forms send it."""
    boundary = "sgtest" + uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    body = ("".join(parts) + f"--{boundary}--\r\n").encode()
    return body, {"content-type": f"multipart/form-data; boundary={boundary}"}


class ConsoleClient:
    """One browser-like session against the console, over plain HTTP."""

    def __init__(self, gateway: GatewayProcess) -> None:
        self.http = httpx.Client(base_url=gateway.base_url, timeout=120)

    def post(self, path: str, fields: dict[str, str]) -> httpx.Response:
        body, headers = multipart(fields)
        return self.http.post(path, content=body, headers=headers)

    def sign_in(self, name: str, password: str) -> httpx.Response:
        return self.post("/console/login", {"name": name, "password": password})

    def csrf(self) -> str:
        page = self.http.get("/console/keys")
        assert page.status_code == 200, page.text
        match = CSRF.search(page.text)
        assert match, page.text
        return match.group(1)

    def close(self) -> None:
        self.http.close()


@pytest.fixture()
def console(gateway: GatewayProcess) -> Iterator[ConsoleClient]:
    client = ConsoleClient(gateway)
    yield client
    client.close()


def add_console_user(gateway: GatewayProcess, name: str, password: str, role: str) -> None:
    reply = gateway.admin(
        TEST_ADMIN_KEY,
        "POST",
        "/console/users",
        json={"name": name, "password": password, "role": role},
    )
    assert reply.status_code == 201, reply.text
