"""A gateway in its default keyless mode trusts loopback callers, so a web page the developer
opens must not be able to use that trust: cross-site and DNS-rebinding requests are refused,
in the API's JSON error shape, and a refused request changes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.gateway_process import GatewayProcess

EVIL = "http://evil.example"
CONFIG = """
server:
  cors_origins: ["http://chat.example.com"]
"""


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    home = tmp_path_factory.mktemp("cross-site")
    config = home / "switchgear.yaml"
    config.write_text(CONFIG)
    process = GatewayProcess(home, config)
    yield process
    process.stop()


def keys(gateway: GatewayProcess) -> list[object]:
    listed = httpx.get(f"{gateway.base_url}/admin/keys", timeout=30)
    assert listed.status_code == 200, listed.text
    data: list[object] = listed.json()["data"]
    return data


def refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["code"] == code


def test_a_cross_site_form_post_cannot_create_a_key(gateway: GatewayProcess) -> None:
    response = httpx.post(
        f"{gateway.base_url}/admin/keys",
        content=b'{"name": "pwned"}',
        headers={"origin": EVIL, "content-type": "text/plain"},
        timeout=30,
    )
    refused(response, 403, "cross_origin_refused")
    assert "key" not in response.text
    assert keys(gateway) == []  # nothing was created, no local caller is locked out


def test_a_cross_site_upload_is_refused(gateway: GatewayProcess) -> None:
    response = httpx.post(
        f"{gateway.base_url}/admin/knowledge/collections/docs/documents",
        files={"file": ("x.md", b"# planted", "text/markdown")},
        headers={"origin": EVIL},
        timeout=30,
    )
    refused(response, 403, "cross_origin_refused")
    listed = httpx.get(f"{gateway.base_url}/admin/knowledge/collections", timeout=30)
    assert "docs" not in listed.text


def test_a_rebound_host_name_gets_nothing(gateway: GatewayProcess) -> None:
    for path in ("/admin/keys", "/v1/models", "/admin/routes"):
        response = httpx.get(
            f"{gateway.base_url}{path}", headers={"host": "rebind.evil.example"}, timeout=30
        )
        refused(response, 403, "host_not_allowed")


def test_fetch_metadata_marks_cross_site_requests_even_without_origin(
    gateway: GatewayProcess,
) -> None:
    response = httpx.get(
        f"{gateway.base_url}/admin/keys", headers={"sec-fetch-site": "cross-site"}, timeout=30
    )
    refused(response, 403, "cross_origin_refused")


def test_admin_bodies_must_be_json(gateway: GatewayProcess) -> None:
    response = httpx.post(
        f"{gateway.base_url}/admin/keys",
        content=b'{"name": "x"}',
        headers={"content-type": "text/plain"},
        timeout=30,
    )
    refused(response, 415, "unsupported_media_type")
    assert keys(gateway) == []


def test_the_gateways_own_origin_and_plain_clients_are_served(gateway: GatewayProcess) -> None:
    own = gateway.base_url
    assert httpx.get(f"{own}/admin/keys", headers={"origin": own}, timeout=30).status_code == 200
    assert httpx.get(f"{own}/admin/keys", headers={"host": "localhost"}, timeout=30).is_success


def test_v1_answers_only_the_origins_the_operator_listed(gateway: GatewayProcess) -> None:
    foreign = httpx.get(f"{gateway.base_url}/v1/models", headers={"origin": EVIL}, timeout=30)
    refused(foreign, 403, "cross_origin_refused")
    allowed = "http://chat.example.com"
    preflight = httpx.options(
        f"{gateway.base_url}/v1/chat/completions",
        headers={
            "origin": allowed,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type",
        },
        timeout=30,
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == allowed
    listed = httpx.get(f"{gateway.base_url}/v1/models", headers={"origin": allowed}, timeout=30)
    assert listed.status_code == 200
    assert listed.headers["access-control-allow-origin"] == allowed
    # A listed origin still gets nothing from the admin API.
    admin = httpx.get(f"{gateway.base_url}/admin/keys", headers={"origin": allowed}, timeout=30)
    refused(admin, 403, "cross_origin_refused")


def test_v1_refuses_text_plain_bodies_but_takes_curls_default(gateway: GatewayProcess) -> None:
    body = b'{"model": "default", "prompt": "hi", "max_tokens": 1}'
    plain = httpx.post(
        f"{gateway.base_url}/v1/completions",
        content=body,
        headers={"content-type": "text/plain"},
        timeout=60,
    )
    refused(plain, 415, "unsupported_media_type")
    curl = httpx.post(
        f"{gateway.base_url}/v1/completions",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded"},
        timeout=60,
    )
    assert curl.status_code == 200, curl.text
