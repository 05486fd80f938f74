"""Runs an example's README as written: every `sh` block, in order, in one shell, from a fresh
folder laid out like a clone (`.venv`, `tests/`, `examples/<name>/`).

What the test changes, and only this (the same as `tests/test_first_hour.py`): a
`switchgear serve … &` line starts the gateway in the background on a free port and waits for
`/readyz`; `127.0.0.1:8080` becomes that port; a `python -m tests.fakes.serve …` line is left
out, because the test serves that fake itself (to read what it received), and the fake's
address in the commands and in the example's files becomes the test's fake. Each command's
output and wall time are kept, keyed by the command.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.gateway_process import free_port

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
VENV = Path(sys.executable).parent.parent
SERVER_LINE = re.compile(r"^switchgear serve\b(.*?)(?:\s*>\s*\S+\s+2>&1)?\s*&\s*$")
FAKE_LINE = re.compile(r"^python -m tests\.fakes\.serve\b")
# What a local run of the example leaves in its folder: a fresh clone has none of it.
LEFT_BEHIND = shutil.ignore_patterns("data", "__pycache__", "*.log", "*.key.json", "cart.json")

PRELUDE = r"""
set -euo pipefail
exec 2>&1  # a command's errors are part of what the user sees
start_gateway() {
  if [ -n "${GW_PID:-}" ]; then kill "$GW_PID"; wait "$GW_PID" || true; fi
  switchgear serve "$@" --port "$PORT" >>"$LOG" 2>&1 &
  GW_PID=$!
  for _ in $(seq 900); do
    if curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; then return 0; fi
    if ! kill -0 "$GW_PID" 2>/dev/null; then cat "$LOG"; return 1; fi
    sleep 0.1
  done
  return 1
}
mark() { printf '\n::command %s %s::\n' "$1" "$(date +%s.%N)"; }
trap 'if [ -n "${GW_PID:-}" ]; then kill "$GW_PID" 2>/dev/null || true; fi' EXIT
"""


def sh_commands(markdown: str) -> list[str]:
    """The commands of every ```sh block, a continued line (`\\`) or heredoc kept whole."""
    commands: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", markdown, re.S):
        lines = block.splitlines()
        while lines:
            command = lines.pop(0)
            heredoc = re.search(r"<<'(\w+)'", command)
            while command.endswith("\\") or heredoc:
                if not lines:
                    break
                line = lines.pop(0)
                command += "\n" + line
                if heredoc and line == heredoc.group(1):
                    heredoc = None
            if command.strip() and not command.lstrip().startswith("#"):
                commands.append(command)
    return commands


@dataclass
class BlueprintRun:
    outputs: dict[str, str]  # command -> its stdout and stderr
    seconds: dict[str, float]  # command -> wall time
    folder: Path  # the example's copy, where its commands ran
    gateway_log: str

    def output_of(self, *fragments: str) -> str:
        return self.outputs[self._command(fragments)]

    def seconds_of(self, *fragments: str) -> float:
        return self.seconds[self._command(fragments)]

    def _command(self, fragments: tuple[str, ...]) -> str:
        found = [c for c in self.outputs if all(f in c for f in fragments)]
        assert len(found) == 1, f"expected one README command containing {fragments}: {found}"
        return found[0]


def run_blueprint(name: str, home: Path, fakes: dict[str, str] | None = None) -> BlueprintRun:
    """Run `examples/<name>/README.md`'s commands in a copy under `home`. `fakes` maps an
    address the example uses for a stand-in provider (`127.0.0.1:9101`) to the test's own."""
    port = free_port()
    replace = {"127.0.0.1:8080": f"127.0.0.1:{port}", **(fakes or {})}
    folder = home / "examples" / name
    shutil.copytree(EXAMPLES / name, folder, ignore=LEFT_BEHIND)
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix in (".yaml", ".py", ".md"):
            text = path.read_text(encoding="utf-8")
            for old, new in replace.items():
                text = text.replace(old, new)
            path.write_text(text, encoding="utf-8")
    (home / ".venv").symlink_to(VENV)
    (home / "tests").symlink_to(ROOT / "tests")
    commands = sh_commands((EXAMPLES / name / "README.md").read_text(encoding="utf-8"))
    script = PRELUDE + "".join(
        f"\nmark {i}\n{_as_run_by_the_test(c, replace)}\n" for i, c in enumerate(commands)
    )
    script += f"\nmark {len(commands)}\n"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SWITCHGEAR_", "OPENAI_", "ANTHROPIC_")) and key != "VIRTUAL_ENV"
    }
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if str(VENV) not in p)
    log = home / "gateway.log"
    env |= {
        "PORT": str(port),
        "LOG": str(log),
        "SWITCHGEAR_URL": f"http://127.0.0.1:{port}",
        "XDG_DATA_HOME": str(home / "xdg"),  # nothing lands in the real home's data folder
    }
    run = subprocess.run(
        ["bash", "-c", script], cwd=home, env=env, capture_output=True, text=True, timeout=300
    )
    gateway_log = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    assert run.returncode == 0, (
        f"the README of {name} stopped:\n{run.stdout[-4000:]}\n{run.stderr[-4000:]}\n"
        f"gateway log:\n{gateway_log[-3000:]}"
    )
    pieces = re.split(r"^::command (\d+) ([\d.]+)::$", run.stdout, flags=re.M)
    marks = [(int(i), float(t), text) for i, t, text in zip(*[iter(pieces[1:])] * 3, strict=True)]
    outputs: dict[str, str] = {}
    seconds: dict[str, float] = {}
    for (i, began, text), (_, ended, _) in itertools.pairwise(marks):
        outputs[commands[i]] = text.strip()
        seconds[commands[i]] = ended - began
    return BlueprintRun(outputs, seconds, folder, gateway_log)


def _as_run_by_the_test(command: str, replace: dict[str, str]) -> str:
    server = SERVER_LINE.match(command)
    if server:
        return f"start_gateway{server.group(1)}"
    if FAKE_LINE.match(command):
        return ": the test serves this fake itself"
    for old, new in replace.items():
        command = command.replace(old, new)
    return command


def table_rows(text: str) -> list[dict[str, str]]:
    """The rows of a table the CLI prints (`switchgear usage`), cut at its header's columns."""
    header, *rows = text.strip("\n").splitlines()
    starts = [m.start() for m in re.finditer(r"\S+", header)]
    names = [name.lower() for name in header.split()]
    cut = [*starts[1:], None]
    return [
        {n: row[a:b].strip() for n, a, b in zip(names, starts, cut, strict=True)} for row in rows
    ]
