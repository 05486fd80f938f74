"""Once an admin key exists, every admin route needs it: none answers anonymously, a virtual
key is told it lacks the right (403), and bad query parameters are a 400, never a 500."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.gateway_process import GatewayProcess

ADMIN = "admin-secret-for-hardening"
ADMIN_ROUTES = [
    ("GET", "/admin/keys"),
    ("GET", "/admin/routes"),
    ("GET", "/admin/usage"),
    ("GET", "/admin/models"),
    ("GET", "/admin/audit/verify"),
    ("GET", "/admin/knowledge/collections"),
    ("POST", "/admin/keys"),
]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    process = GatewayProcess(
        tmp_path_factory.mktemp("admin-auth"), env={"SWITCHGEAR_ADMIN_KEY": ADMIN}
    )
    yield process
    process.stop()


@pytest.fixture(scope="module")
def virtual_key(gateway: GatewayProcess) -> str:
    created = gateway.admin(ADMIN, "POST", "/keys", json={"name": "app"})
    assert created.status_code == 201
    secret: str = created.json()["key"]
    return secret


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_no_admin_route_answers_without_the_admin_key(
    gateway: GatewayProcess, virtual_key: str, method: str, path: str
) -> None:
    anonymous = httpx.request(method, f"{gateway.base_url}{path}", json={}, timeout=30)
    assert anonymous.status_code == 401, anonymous.text
    assert anonymous.json()["error"]["code"] == "invalid_admin_key"
    as_app = httpx.request(
        method,
        f"{gateway.base_url}{path}",
        json={},
        headers={"authorization": f"Bearer {virtual_key}"},
        timeout=30,
    )
    assert as_app.status_code == 403, as_app.text
    assert as_app.json()["error"]["code"] == "admin_key_required"


@pytest.mark.parametrize("query", ["since=abc", "until=nan", "since=1e999", "group_by=nope"])
def test_bad_report_parameters_are_a_400(gateway: GatewayProcess, query: str) -> None:
    response = gateway.admin(ADMIN, "GET", f"/usage?{query}")
    assert response.status_code == 400, response.text
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_a_restricted_key_learns_no_other_names(gateway: GatewayProcess) -> None:
    created = gateway.admin(
        ADMIN, "POST", "/keys", json={"name": "narrow", "allowed_models": ["default"]}
    )
    secret = created.json()["key"]
    headers = {"authorization": f"Bearer {secret}"}
    missing = httpx.get(f"{gateway.base_url}/v1/models/nope", headers=headers, timeout=30)
    assert missing.status_code == 404
    message = missing.json()["error"]["message"]
    assert "smollm2-135m-instruct" not in message
    listed = httpx.get(f"{gateway.base_url}/v1/models", headers=headers, timeout=30).json()
    # The one model it may use, under its id and the alias it was allowed.
    assert [m["id"] for m in listed["data"]] == ["smollm2-135m-instruct", "default"]
