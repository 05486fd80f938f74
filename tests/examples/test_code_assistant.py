"""examples/code-assistant: its README run as written against a real gateway; Continue's
fill-in-the-middle and chat requests replayed, a stand-in code model that honours `suffix`
(the example's own `fim_upstream.py`, served by the test to read what it received)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

from tests.examples.blueprint import EXAMPLES, run_blueprint, table_rows
from tests.fakes.serve import run_fake

MIDDLE = "line.quantity * line.unit_cents for line in self.lines)"


def stand_in() -> ModuleType:
    path = EXAMPLES / "code-assistant" / "fim_upstream.py"
    spec = importlib.util.spec_from_file_location("fim_upstream", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_continue_fim_goes_to_the_code_model_and_chat_to_the_embedded_one(
    tmp_path: Path,
) -> None:
    received: list[dict[str, Any]] = []
    with run_fake(stand_in().create_app(received)) as url:
        # The test serves the stand-in itself: its README line becomes a no-op.
        replace = {"127.0.0.1:9121": url[7:], "python fim_upstream.py --port 9121": ":"}
        run = run_blueprint("code-assistant", tmp_path, replace)

    served = [line.split(" | ") for line in run.output_of("python continue_replay.py").splitlines()]
    assert served[0] == ["fim prompt+suffix", "qwen2.5-coder-1.5b@coder", repr(MIDDLE)]
    assert served[1] == ["fim template", "qwen2.5-coder-1.5b@coder", repr(MIDDLE)]
    assert served[2] == [
        "fim on the embedded model",
        "-",
        "'refused 400 unsupported_parameter (suffix)'",
    ]
    assert served[3][:2] == ["chat", "smollm2-135m-instruct@local"] and served[3][2] != "''"

    # What the code model got: Continue's two shapes, prefix and suffix intact, streamed,
    # under the upstream's own model name; never the chat, never the refused ones.
    cart = (EXAMPLES / "code-assistant" / "project" / "shop" / "cart.py").read_text()
    first, second = received
    assert first["model"] == second["model"] == "qwen2.5-coder:1.5b"
    assert cart.startswith(first["prompt"]) and first["prompt"].endswith("return sum(")
    assert cart.endswith(first["suffix"]) and first["suffix"].startswith("\n\n    def is_empty")
    assert first["stream"] is True and first["max_tokens"] == 256
    # All seven of the template's stop words, as Continue sends them to a self-hosted server.
    assert first["stop"][:4] == ["<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<file_sep>"]
    assert len(first["stop"]) == len(second["stop"]) == 7
    assert (
        second["prompt"]
        == f"<fim_prefix>{first['prompt']}<fim_suffix>{first['suffix']}<fim_middle>"
    )
    assert "suffix" not in second

    usage = {row["model"]: row for row in table_rows(run.output_of("switchgear usage"))}
    assert usage["qwen2.5-coder-1.5b"]["requests"] == "2"
    assert usage["smollm2-135m-instruct"]["requests"] == "1"
    print(f"continue_replay.py took {run.seconds_of('python continue_replay.py'):.2f} s")
