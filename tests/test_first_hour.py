"""The README's "first hour" runs as written: every `sh` block of that section, in order, in
one shell, as a new user would type it in a fresh folder.

What the test changes, and only this: `make run` (install, then `switchgear serve`) and each
`switchgear serve` start the gateway in the background on a free port and wait for
`/readyz`, stopping the one before (the user's Ctrl-C); `127.0.0.1:8080` becomes that port;
Ollama's address becomes a fake OpenAI-wire upstream's. Then the outputs are checked for what
the README says the user will see.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.examples.blueprint import sh_commands
from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake
from tests.gateway_process import free_port

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(sys.executable).parent.parent
SERVER_LINE = re.compile(r"^(make run|switchgear serve)\b(.*)$")

PRELUDE = r"""
set -euo pipefail
start_gateway() {
  if [ -n "${GW_PID:-}" ]; then kill "$GW_PID"; wait "$GW_PID" || true; fi
  "$SG_BIN/switchgear" serve "$@" --port "$PORT" >>gateway.log 2>&1 &
  GW_PID=$!
  for _ in $(seq 900); do
    if curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; then return 0; fi
    if ! kill -0 "$GW_PID" 2>/dev/null; then cat gateway.log; return 1; fi
    sleep 0.2
  done
  return 1
}
trap 'if [ -n "${GW_PID:-}" ]; then kill "$GW_PID"; fi' EXIT
"""


def first_hour_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return sh_commands(readme.split("## Your first hour", 1)[1].split("\n## ", 1)[0])


def as_run_by_the_test(command: str, port: int, ollama: str) -> str:
    server = SERVER_LINE.match(command)
    if server:
        rest = "" if server.group(1) == "make run" else server.group(2)
        return f"start_gateway{rest}"
    command = command.replace("http://127.0.0.1:11434/v1", f"{ollama}/v1")
    return command.replace("127.0.0.1:8080", f"127.0.0.1:{port}")


def run_first_hour(folder: Path, ollama: str) -> dict[str, str]:
    """Each README command's output (stdout and stderr), keyed by the command."""
    port = free_port()
    commands = first_hour_commands()
    script = PRELUDE + "".join(
        f"\nprintf '\\n::command {i}::\\n'\n{as_run_by_the_test(c, port, ollama)}\n"
        for i, c in enumerate(commands)
    )
    (folder / ".venv").symlink_to(VENV)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SWITCHGEAR_") and key != "VIRTUAL_ENV"
    }
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if str(VENV) not in p)
    env |= {
        "PORT": str(port),
        "SG_BIN": str(VENV / "bin"),
        "SWITCHGEAR_DATA_DIR": str(folder / "data"),
        "SWITCHGEAR_URL": f"http://127.0.0.1:{port}",
    }
    run = subprocess.run(
        ["bash", "-c", script],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, f"the first hour stopped:\n{output[-6000:]}"
    pieces = re.split(r"^::command (\d+)::$", run.stdout, flags=re.M)
    return {
        commands[int(i)]: text.strip() for i, text in zip(pieces[1::2], pieces[2::2], strict=True)
    }


def output_of(outputs: dict[str, str], *fragments: str) -> str:
    found = [out for command, out in outputs.items() if all(f in command for f in fragments)]
    assert len(found) == 1, f"expected one README command containing {fragments}"
    return found[0]


def test_the_first_hour_in_the_readme_works_as_written(tmp_path: Path) -> None:
    ollama = FakeBehaviour(api_key=None)  # type: ignore[arg-type]  # Ollama takes no key
    with run_fake(create_openai_fake(ollama, models=["llama3.2"])) as ollama_url:
        outputs = run_first_hour(tmp_path, ollama_url)

    doctor = output_of(outputs, "switchgear doctor")
    assert "fail" not in doctor.lower().split()

    first = json.loads(output_of(outputs, "Name three colours"))
    assert first["choices"][0]["message"]["content"].strip()

    key = json.loads((tmp_path / "key.json").read_text())
    assert key["key"].startswith("sg-") and key["team"] == "demo"
    assert output_of(outputs, "/v1/models") == "401"

    blocked = json.loads(output_of(outputs, "My IBAN is"))
    assert blocked["error"]["code"] == "pii_blocked"
    assert "DE89" not in json.dumps(blocked)

    answer = json.loads(output_of(outputs, "jane.doe@example.com"))
    sent = [r["json"] for r in ollama.requests if r["json"]]
    assert sent, "the assistant route never reached Ollama"
    assert "jane.doe@example.com" not in json.dumps(sent)
    assert "<EMAIL_1>" in json.dumps(sent)
    assert "jane.doe@example.com" in answer["choices"][0]["message"]["content"]

    assert "28 days" in output_of(outputs, "switchgear search")
    cited = json.loads(output_of(outputs, '"model": "handbook"'))
    assert any("leave.md" in json.dumps(c) for c in cited["citations"])

    usage = output_of(outputs, "switchgear usage")
    assert "demo" in usage and "smollm2-135m-instruct" in usage
    assert "None" not in usage  # an unkeyed request's team is shown as "-"
    assert "assistant" in output_of(outputs, "switchgear routes")
    assert "hash chain verified" in output_of(outputs, "audit verify")
    assert "switchgear_requests_total" in output_of(outputs, "/metrics")
