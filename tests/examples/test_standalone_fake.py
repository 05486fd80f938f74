"""The examples' READMEs start a fake provider with `python -m tests.fakes.serve …` where no
real key is at hand; the blueprint tests serve that fake themselves, so this checks the
command itself: it answers in OpenAI's wire format and prints each request it received."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx

from tests.examples.blueprint import ROOT
from tests.gateway_process import free_port


def test_the_readmes_fake_command_serves_and_prints_what_it_received() -> None:
    port = free_port()
    command = [sys.executable, "-m", "tests.fakes.serve", "openai", "--port", str(port)]
    fake = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                reply = httpx.post(
                    f"http://127.0.0.1:{port}/v1/chat/completions",
                    headers={"authorization": "Bearer test-key"},
                    json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
                )
                break
            except httpx.ConnectError:
                assert fake.poll() is None and time.monotonic() < deadline, "fake did not start"
                time.sleep(0.1)
        assert reply.json()["choices"][0]["message"]["content"] == "fake-openai says: hi"
        assert fake.stdout is not None
        printed = json.loads(fake.stdout.readline())
        assert printed == {
            "path": "/v1/chat/completions",
            "body": {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
        }
    finally:
        fake.terminate()
        fake.wait(timeout=10)
