"""OpenAI's Files and Batch APIs through the official `openai` SDK against a real gateway:
each line is one trip (ledgered under the batch's key), output and error files in OpenAI's
format, bad lines refused at upload with their number, other keys see nothing, cancel, and
the embedded model answering a batch of its own."""

from __future__ import annotations

import io
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from openai import OpenAI

from tests.fakes.behaviour import FakeBehaviour
from tests.fakes.openai_server import create_openai_fake
from tests.fakes.serve import run_fake
from tests.gateway_process import TEST_ADMIN_KEY, GatewayProcess, keyed_gateway

CONFIG = """
providers:
  api: {{kind: openai_compat, base_url: "{url}/v1", api_key_env: FAKE_KEY}}
models:
  - {{id: smollm2-135m-instruct, aliases: [default]}}
  - {{id: gpt-fake, provider: api, upstream_model: gpt-4o-mini}}
batch: {{concurrency: 2}}
"""


def chat_line(custom_id: str, text: str, model: str = "gpt-fake") -> dict[str, Any]:
    body = {"model": model, "messages": [{"role": "user", "content": text}], "max_tokens": 8}
    return {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": body}


def jsonl(lines: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def finished(client: OpenAI, batch_id: str, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = client.batches.retrieve(batch_id)
        if batch.status in ("completed", "failed", "expired", "cancelled"):
            return batch
        time.sleep(0.2)
    raise AssertionError(f"batch {batch_id} still {batch.status}")


def results(client: OpenAI, file_id: str | None) -> list[dict[str, Any]]:
    if file_id is None:
        return []
    text = client.files.content(file_id).text
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GatewayProcess, list[str]]]:
    behaviour = FakeBehaviour(api_key="test-key")
    with run_fake(create_openai_fake(behaviour)) as url:
        home = tmp_path_factory.mktemp("batches")
        config = CONFIG.format(url=url)
        with keyed_gateway(home, config, "bulk", "other", env={"FAKE_KEY": "test-key"}) as made:
            yield made


def sdk(process: GatewayProcess, key: str) -> OpenAI:
    return OpenAI(base_url=f"{process.base_url}/v1", api_key=key, max_retries=0)


def test_a_batch_answers_every_line_once_through_the_sdk(
    setup: tuple[GatewayProcess, list[str]],
) -> None:
    process, (bulk, _) = setup
    client = sdk(process, bulk)
    lines = [chat_line(f"req-{n}", f"Highlight of match {n}") for n in range(6)]
    uploaded = client.files.create(file=("matches.jsonl", jsonl(lines)), purpose="batch")
    assert uploaded.purpose == "batch" and uploaded.filename == "matches.jsonl"
    batch = client.batches.create(
        input_file_id=uploaded.id,
        endpoint="/v1/chat/completions",
        completion_window="24h",
        metadata={"tournament": "spring cup"},
    )
    assert batch.request_counts is not None and batch.request_counts.total == 6
    done = finished(client, batch.id)
    assert done.status == "completed" and done.metadata == {"tournament": "spring cup"}
    assert done.request_counts is not None and done.request_counts.completed == 6
    assert done.error_file_id is None
    out = results(client, done.output_file_id)
    assert sorted(r["custom_id"] for r in out) == [f"req-{n}" for n in range(6)]
    by_id = {r["custom_id"]: r for r in out}
    answer = by_id["req-3"]["response"]
    assert answer["status_code"] == 200 and answer["body"]["object"] == "chat.completion"
    assert "Highlight of match 3" in answer["body"]["choices"][0]["message"]["content"]
    with sqlite3.connect(process.db_path) as db:
        rows = db.execute(
            "SELECT key_id FROM usage WHERE endpoint = 'batch.chat.completions'"
        ).fetchall()
    assert len(rows) == 6 and len({key for (key,) in rows}) == 1 and rows[0][0] is not None


def test_a_bad_line_is_refused_at_upload_with_its_number(
    setup: tuple[GatewayProcess, list[str]],
) -> None:
    process, (bulk, _) = setup
    client = sdk(process, bulk)
    broken = {"custom_id": "c", "method": "POST", "url": "/v1/chat/completions",
              "body": {"model": "gpt-fake"}}  # fmt: skip
    lines = [chat_line("a", "fine"), chat_line("b", "fine"), broken]
    with pytest.raises(openai.BadRequestError) as refused:
        client.files.create(file=("bad.jsonl", jsonl(lines)), purpose="batch")
    assert "Line 3" in refused.value.message and "messages" in refused.value.message
    duplicate = [chat_line("same", "one"), chat_line("same", "two")]
    with pytest.raises(openai.BadRequestError) as twice:
        client.files.create(file=("dup.jsonl", jsonl(duplicate)), purpose="batch")
    assert "Line 2" in twice.value.message and "custom_id" in twice.value.message
    names = [f.filename for f in client.files.list()]
    assert "bad.jsonl" not in names and "dup.jsonl" not in names


def test_a_failing_line_goes_to_the_error_file_and_the_rest_are_answered(
    setup: tuple[GatewayProcess, list[str]],
) -> None:
    process, (bulk, _) = setup
    client = sdk(process, bulk)
    lines = [chat_line("ok-1", "fine"), chat_line("missing", "x", model="no-such-model")]
    uploaded = client.files.create(file=("mixed.jsonl", jsonl(lines)), purpose="batch")
    batch = client.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    done = finished(client, batch.id)
    assert done.status == "completed"
    assert done.request_counts is not None
    assert (done.request_counts.completed, done.request_counts.failed) == (1, 1)
    [failed] = results(client, done.error_file_id)
    assert failed["custom_id"] == "missing" and failed["response"]["status_code"] == 404
    assert failed["response"]["body"]["error"]["code"] == "model_not_found"
    assert [r["custom_id"] for r in results(client, done.output_file_id)] == ["ok-1"]


def test_another_key_sees_neither_the_files_nor_the_batches(
    setup: tuple[GatewayProcess, list[str]],
) -> None:
    process, (bulk, other) = setup
    mine, theirs = sdk(process, bulk), sdk(process, other)
    uploaded = mine.files.create(file=("private.jsonl", jsonl([chat_line("p", "hi")])),
                                 purpose="batch")  # fmt: skip
    batch = mine.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    with pytest.raises(openai.NotFoundError):
        theirs.files.retrieve(uploaded.id)
    with pytest.raises(openai.NotFoundError):
        theirs.files.content(uploaded.id)
    with pytest.raises(openai.NotFoundError):
        theirs.batches.retrieve(batch.id)
    with pytest.raises(openai.BadRequestError):  # not their file to run
        theirs.batches.create(
            input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
        )
    assert batch.id not in [b.id for b in theirs.batches.list()]
    assert batch.id in [b.id for b in mine.batches.list()]


def test_cancelled_and_deleted(setup: tuple[GatewayProcess, list[str]]) -> None:
    process, (bulk, _) = setup
    client = sdk(process, bulk)
    lines = [chat_line(f"c-{n}", "slow") for n in range(300)]
    uploaded = client.files.create(file=("many.jsonl", jsonl(lines)), purpose="batch")
    batch = client.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    cancelling = client.batches.cancel(batch.id)
    assert cancelling.status in ("cancelling", "cancelled")
    done = finished(client, batch.id)
    assert done.status == "cancelled" and done.cancelled_at is not None
    assert done.request_counts is not None and done.request_counts.completed < 300
    deleted = client.files.delete(uploaded.id)
    assert deleted.deleted is True
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(uploaded.id)


def test_the_embedded_model_answers_a_batch(tmp_path: Path) -> None:
    with keyed_gateway(tmp_path, "batch: {concurrency: 2}\n", "bulk") as (process, [bulk]):
        client = sdk(process, bulk)
        lines = [chat_line(f"e-{n}", "Say hi", model="default") for n in range(2)]
        uploaded = client.files.create(file=io.BytesIO(jsonl(lines)), purpose="batch")
        batch = client.batches.create(
            input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
        )
        done = finished(client, batch.id, timeout=300)
        out = results(client, done.output_file_id)
        assert done.status == "completed" and len(out) == 2
        assert all(r["response"]["body"]["model"] == "smollm2-135m-instruct" for r in out)
        assert TEST_ADMIN_KEY not in json.dumps(out)
