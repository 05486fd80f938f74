"""Real upstreams on loopback: a second Switchgear serving the embedded model through the
OpenAI-compatible provider, two local engines in one gateway, and llama.cpp's own server.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from openai import OpenAI

from tests.gateway_process import GatewayProcess, free_port


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    process = GatewayProcess(tmp_path_factory.mktemp("upstream"))
    yield process
    process.stop()


@pytest.fixture(scope="module")
def front(
    upstream: GatewayProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    home = tmp_path_factory.mktemp("front")
    config = home / "switchgear.yaml"
    config.write_text(
        f"""
providers:
  inhouse: {{kind: openai_compat, base_url: "{upstream.base_url}/v1", self_hosted: true}}
models:
  - {{id: remote-smol, provider: inhouse, upstream_model: smollm2-135m-instruct,
      supports_tools: false}}
  - {{id: smol-a, aliases: [default]}}
  - {{id: smol-b, context_window: 2048}}
routes:
  chat: {{targets: [remote-smol, smol-a]}}
"""
    )
    process = GatewayProcess(home, config)
    yield process
    process.stop()


def test_a_second_gateway_is_a_real_openai_compatible_upstream(front: GatewayProcess) -> None:
    client = OpenAI(base_url=f"{front.base_url}/v1", api_key="unused", max_retries=0)
    raw = client.chat.completions.with_raw_response.create(
        model="chat",
        messages=[{"role": "user", "content": "Say hi."}],
        max_tokens=6,
        seed=1,
        temperature=0,
    )
    reply = raw.parse()
    assert raw.headers["x-switchgear-target"] == "remote-smol@inhouse"
    assert reply.choices[0].message.content
    assert reply.usage is not None and reply.usage.completion_tokens <= 6
    stream = client.chat.completions.create(
        model="remote-smol",
        messages=[{"role": "user", "content": "Say hi."}],
        max_tokens=6,
        seed=1,
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == reply.choices[0].message.content
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == reply.usage.completion_tokens


def test_the_upstreams_errors_reach_the_client_unchanged(front: GatewayProcess) -> None:
    response = httpx.post(
        f"{front.base_url}/v1/chat/completions",
        json={"model": "remote-smol", "messages": [{"role": "user", "content": "x " * 9000}]},
        timeout=60,
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "context_length_exceeded"


def test_two_local_models_serve_side_by_side(front: GatewayProcess) -> None:
    client = OpenAI(base_url=f"{front.base_url}/v1", api_key="unused", max_retries=0)
    ids = [m.id for m in client.models.list().data]
    assert {"smol-a", "smol-b"} <= set(ids)
    for model in ("smol-a", "smol-b"):
        reply = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "hi"}], max_tokens=3
        )
        assert reply.model == model
    too_long = httpx.post(
        f"{front.base_url}/v1/chat/completions",
        json={"model": "smol-b", "messages": [{"role": "user", "content": "x " * 3000}]},
    )
    assert too_long.status_code == 400 and "2048" in too_long.json()["error"]["message"]


BUILD_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build-llama-server.sh"


def _llama_server_binary() -> str:
    """llama.cpp's own server: the one named in the environment, else the cached build,
    else built now from the pinned sources (once per machine, ~10-20 min; cached after)."""
    explicit = os.environ.get("SWITCHGEAR_LLAMA_SERVER")
    if explicit:
        return explicit
    found = sorted(Path.home().glob(".cache/switchgear/llama.cpp-*/bin/llama-server"))
    if found:
        return str(found[-1])
    built = subprocess.run(
        ["bash", str(BUILD_SCRIPT)], capture_output=True, text=True, check=True, timeout=3600
    )
    return str(Path(built.stdout.strip().splitlines()[-1]) / "llama-server")


@pytest.mark.timeout(3900)  # the first run on a machine builds llama-server
def test_llama_cpp_server_as_an_upstream(tmp_path: Path) -> None:
    binary = _llama_server_binary()
    from switchgear.providers.plugin import embedded_model_path

    port = free_port()
    server = subprocess.Popen(
        [
            binary,
            "-m",
            embedded_model_path(),
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
            "--no-repack",
            "-fa",
            "off",
            "-t",
            "1",
            "-c",
            "2048",
            "--no-webui",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "llama-server did not start"
            time.sleep(0.2)
        config = tmp_path / "switchgear.yaml"
        config.write_text(
            f"""
providers:
  llamacpp: {{kind: openai_compat, base_url: "http://127.0.0.1:{port}/v1", self_hosted: true}}
models:
  - {{id: smol-llamacpp, provider: llamacpp, upstream_model: smollm2}}
"""
        )
        gateway = GatewayProcess(tmp_path / "gw", config)
        try:
            body = {
                "model": "smol-llamacpp",
                "messages": [{"role": "user", "content": "hi"}],
                "max_tokens": 5,
                "stream": True,
            }
            with httpx.stream(
                "POST", f"{gateway.base_url}/v1/chat/completions", json=body, timeout=60
            ) as r:
                assert r.status_code == 200
                events = [
                    json.loads(line[6:]) for line in r.iter_lines() if line.startswith("data: {")
                ]
            assert "".join(
                e["choices"][0]["delta"].get("content") or "" for e in events if e.get("choices")
            )
            assert events[-1]["choices"][0]["finish_reason"] in ("stop", "length")
        finally:
            gateway.stop()
    finally:
        server.terminate()
        server.wait(timeout=30)
