"""How often the embedded model's tool calls are valid, and what they cost, in one run:

  prompt only    the same prompts (tools in the system prompt, Hermes convention) generated
                 freely in-process, then every `<tool_call>` block parsed leniently: what
                 the model manages without the grammar (the baseline)
  switchgear     `switchgear serve` with the embedded model, through the official `openai`
                 client over loopback HTTP: forced calls (`required`, a named function, one or
                 several calls), half of them streamed, and `auto`

A call is valid when its arguments parse as JSON and validate against the tool's
`parameters` schema (jsonschema, draft 2020-12) and it names a tool the request allowed. The
requests are written for this bench, apart from the test suite's.

    .venv/bin/python bench/tools/local_tool_calls.py [--count 60] [--max-tokens 400]

Requests run one at a time, so the latencies are per request, not under load; the two runs
go one after the other so they never share the 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import jsonschema
from openai import OpenAI

REPO = Path(__file__).resolve().parents[2]


def obj(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required}


NODE = {
    "type": "object",
    "properties": {
        "label": {"type": "string", "maxLength": 20},
        "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}, "maxItems": 2},
    },
    "required": ["label"],
}
TOOLS: dict[str, tuple[str, dict[str, Any]]] = {
    "track_order": ("Where an order is", obj(["order_id"], order_id={"type": "string",
                    "pattern": "^[A-Z]{2}[0-9]{6}$"}, notify={"type": "boolean"})),
    "refund": ("Refund part of an order", obj(["order_id", "amount", "reason"],
               order_id={"type": "string", "maxLength": 12},
               amount={"type": "number", "exclusiveMinimum": 0, "maximum": 500},
               reason={"enum": ["damaged", "late", "wrong_item", "other"]})),
    "lights": ("Switch lights", obj(["rooms", "on"], rooms={"type": "array", "minItems": 1,
               "maxItems": 3, "items": {"enum": ["kitchen", "hall", "bedroom", "garden"]}},
               on={"type": "boolean"}, brightness={"type": "integer", "minimum": 0,
               "maximum": 100})),
    "translate": ("Translate text", obj(["text", "to"], text={"type": "string", "maxLength": 80},
                  to={"type": "string", "enum": ["fr", "de", "es", "ja"]},
                  formal={"type": ["boolean", "null"]})),
    "compute": ("Evaluate arithmetic", obj(["a", "b", "op"], a={"type": "number"},
                b={"type": "number"}, op={"enum": ["+", "-", "*", "/"]})),
    "reserve_table": ("Reserve a restaurant table", obj(["party", "date", "time"],
                      party={"type": "integer", "minimum": 1, "maximum": 12},
                      date={"type": "string", "format": "date"},
                      time={"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
                      notes={"type": "string", "maxLength": 60})),
    "log_workout": ("Record exercise", obj(["sets"], sets={"type": "array", "maxItems": 4,
                    "minItems": 1, "items": obj(["exercise", "reps"],
                    exercise={"type": "string", "maxLength": 20},
                    reps={"type": "integer", "minimum": 1, "maximum": 50},
                    kg={"type": "number", "minimum": 0, "maximum": 300})})),
    "geocode": ("Coordinates of a place", obj(["place"], place={"type": "string",
                "maxLength": 50}, country={"type": "string", "pattern": "^[A-Z]{2}$"})),
    "send_email": ("Send an email", obj(["to", "subject", "body"], to={"type": "array",
                   "items": {"type": "string", "maxLength": 40}, "minItems": 1, "maxItems": 3},
                   subject={"type": "string", "maxLength": 60},
                   body={"type": "string", "maxLength": 200},
                   priority={"anyOf": [{"enum": ["low", "high"]}, {"type": "null"}]})),
    "outline": ("Store a document outline", {**obj(["root"], root={"$ref": "#/$defs/Node"}),
                "$defs": {"Node": NODE}}),
    "stock_quote": ("A share price", obj(["ticker"], ticker={"type": "string",
                    "pattern": "^[A-Z]{1,5}$"}, exchange={"const": "NASDAQ"})),
    "water_plants": ("Water the garden", obj(["zone", "litres"], zone={"type": "integer",
                     "enum": [1, 2, 3, 4]}, litres={"type": "number", "minimum": 0.5,
                     "maximum": 20})),
}  # fmt: skip
ASKS = {
    "track_order": "Where is my order AB123456?",
    "refund": "The vase in order 77812 arrived broken, refund me 35.50.",
    "lights": "Turn on the kitchen and hall lights at half brightness.",
    "translate": "Say 'good morning, how are you' in German, politely.",
    "compute": "What is 17.5 times 4?",
    "reserve_table": "A table for four on 2026-03-08 at 19:30, by the window.",
    "log_workout": "I did 3 sets: 10 squats at 60 kg, 12 push-ups, 8 deadlifts at 80 kg.",
    "geocode": "Where exactly is the Eiffel Tower?",
    "send_email": "Email bob@example.com that the meeting moved to Friday.",
    "outline": "Outline a talk: intro, two main points with examples, and a conclusion.",
    "stock_quote": "How is Apple stock doing?",
    "water_plants": "Give zone 2 of the garden five litres of water.",
}
NAMES = list(TOOLS)


def cases(count: int) -> list[dict[str, Any]]:
    """Forced calls in four shapes, then `auto`; tools and questions rotate through all 12."""
    out: list[dict[str, Any]] = []
    for i in range(count):
        shape = i % 5
        group = [NAMES[(i * 7 + k * 5) % 12] for k in range(1 + i % 3)]
        ask = group[i % len(group)]
        case: dict[str, Any] = {"tools": group, "ask": ask, "choice": "required"}
        if shape == 1:
            case["choice"] = group[-1]  # named, maybe not the one the question is about
        elif shape == 2:
            case["parallel"] = False
        elif shape == 4:
            case["choice"] = "auto"
        case["stream"] = i % 2 == 1
        out.append(case)
    return out


def tool(name: str) -> dict[str, Any]:
    description, parameters = TOOLS[name]
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": parameters},
    }


def body(case: dict[str, Any], seed: int, max_tokens: int) -> dict[str, Any]:
    choice = case["choice"]
    named = choice not in ("required", "auto")
    params: dict[str, Any] = {
        "model": "default",
        "messages": [{"role": "user", "content": ASKS[case["ask"]]}],
        "tools": [tool(n) for n in case["tools"]],
        "tool_choice": {"type": "function", "function": {"name": choice}} if named else choice,
        "max_tokens": max_tokens,
        "seed": seed,
    }
    if "parallel" in case:
        params["parallel_tool_calls"] = case["parallel"]
    return params


def invalid(case: dict[str, Any], name: str, arguments: str) -> str | None:
    """Why a call is invalid, or None."""
    allowed = case["tools"] if case["choice"] in ("required", "auto") else [case["choice"]]
    if name not in allowed:
        return "name"
    try:
        value = json.loads(arguments)
    except ValueError:
        return "json"
    try:
        jsonschema.Draft202012Validator(TOOLS[name][1]).validate(value)
    except jsonschema.ValidationError:
        return "schema"
    return None


# -- baseline: the prompt alone -------------------------------------------------------------

_BLOCK = re.compile(r"<tool_call>(.*?)(?:</tool_call>|$)", re.S)


async def prompt_only(runs: list[dict[str, Any]], max_tokens: int) -> list[dict[str, Any]]:
    import msgspec

    from switchgear.providers.local import LocalProvider
    from switchgear.providers.local_engine import EngineSettings, Sampling
    from switchgear.providers.local_tools import plan_tools
    from switchgear.providers.plugin import embedded_model_path
    from switchgear.schema.requests import ChatCompletionRequest

    settings = EngineSettings(embedded_model_path(), 8192, 1, 512, 16, False)
    provider = LocalProvider(settings)
    await provider.start()
    results = []
    try:
        for seed, case in enumerate(runs):
            if case["choice"] == "auto":
                continue
            request = msgspec.convert(body(case, seed, max_tokens), ChatCompletionRequest)
            tokens = provider._chat_tokens(request, plan_tools(request))
            started = time.perf_counter()
            text = ""
            async for delta in provider.engine.generate(
                tokens, max_tokens, Sampling(seed=seed), [], None
            ):
                text += delta.text
            calls = []
            for block in _BLOCK.findall(text):
                try:
                    call = json.loads(block)
                    name, arguments = call["name"], json.dumps(call["arguments"])
                except (ValueError, KeyError, TypeError):
                    name, arguments = "", "not a call"
                calls.append(invalid(case, name, arguments) if name else "json")
            results.append(
                {"seconds": time.perf_counter() - started, "calls": calls or ["no call"]}
            )
    finally:
        await provider.aclose()
    return results


# -- switchgear -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def through_gateway(runs: list[dict[str, Any]], max_tokens: int) -> list[dict[str, Any]]:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="switchgear-tools-") as data:
        env = {**os.environ, "SWITCHGEAR_DATA_DIR": data}
        argv = [sys.executable, "-m", "switchgear.cli", "serve", "--port", str(port)]
        log = Path(data) / "gateway.log"
        with log.open("wb") as out:
            process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            root = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120
            while True:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gateway did not start:\n{log.read_text()[-2000:]}")
                try:
                    if httpx.get(f"{root}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            client = OpenAI(base_url=f"{root}/v1", api_key="unused", max_retries=0, timeout=300)
            return [one(client, case, seed, max_tokens) for seed, case in enumerate(runs)]
        finally:
            process.terminate()
            process.wait(timeout=30)


def one(client: OpenAI, case: dict[str, Any], seed: int, max_tokens: int) -> dict[str, Any]:
    params = body(case, seed, max_tokens)
    started = time.perf_counter()
    first_piece = None
    calls: dict[int, dict[str, str]] = {}
    text, finish, used = "", "", 0
    if case["stream"]:
        stream = client.chat.completions.create(
            **params, stream=True, stream_options={"include_usage": True}
        )
        for chunk in stream:
            used = chunk.usage.completion_tokens if chunk.usage else used
            if not chunk.choices:
                continue
            choice = chunk.choices[0]
            text += choice.delta.content or ""
            for piece in choice.delta.tool_calls or ():
                first_piece = first_piece or time.perf_counter() - started
                call = calls.setdefault(piece.index, {"name": "", "arguments": ""})
                if piece.function is not None:
                    call["name"] += piece.function.name or ""
                    call["arguments"] += piece.function.arguments or ""
            finish = choice.finish_reason or finish
    else:
        reply = client.chat.completions.create(**params)
        message, finish = reply.choices[0].message, reply.choices[0].finish_reason
        text, used = message.content or "", reply.usage.completion_tokens if reply.usage else 0
        for i, c in enumerate(message.tool_calls or ()):
            if c.type == "function":
                calls[i] = {"name": c.function.name, "arguments": c.function.arguments}
    seconds = time.perf_counter() - started
    verdicts = [invalid(case, c["name"], c["arguments"]) for c in calls.values()]
    if case["choice"] != "auto" and not verdicts:
        verdicts = ["no call"]
    return {"seconds": seconds, "first": first_piece, "calls": verdicts, "text": bool(text),
            "finish": finish, "tokens": used, "auto": case["choice"] == "auto"}  # fmt: skip


# -- report ---------------------------------------------------------------------------------


def summary(label: str, results: list[dict[str, Any]]) -> None:
    answers = len(results)
    good = sum(all(v is None for v in r["calls"]) for r in results)
    calls = [v for r in results for v in r["calls"]]
    reasons: dict[str, int] = {}
    for verdict in calls:
        if verdict is not None:
            reasons[verdict] = reasons.get(verdict, 0) + 1
    seconds = sorted(r["seconds"] for r in results)
    print(
        f"{label:<22} answers {good}/{answers} all-valid ({100 * good / max(answers, 1):.1f}%), "
        f"calls {calls.count(None)}/{len(calls)} valid, invalid by reason {reasons or '{}'}"
    )
    if seconds:
        p90 = seconds[min(len(seconds) - 1, int(len(seconds) * 0.9))]
        print(
            f"{'':<22} latency mean {statistics.mean(seconds):.2f}s "
            f"p50 {statistics.median(seconds):.2f}s p90 {p90:.2f}s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--max-tokens", type=int, default=400)
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    runs = cases(args.count)
    load = os.getloadavg()[0]
    print(f"{len(runs)} requests, max_tokens {args.max_tokens}, load average {load:.2f}")
    baseline = [] if args.skip_baseline else asyncio.run(prompt_only(runs, args.max_tokens))
    results = through_gateway(runs, args.max_tokens)
    forced = [r for r in results if not r["auto"]]
    if baseline:
        summary("prompt only (forced)", baseline)
    summary("switchgear (forced)", forced)
    for streamed in (False, True):
        part = [r for r, c in zip(results, runs, strict=True) if not r["auto"]
                and c["stream"] == streamed]  # fmt: skip
        summary(f"  {'streamed' if streamed else 'whole'}", part)
    firsts = [r["first"] for r in forced if r["first"] is not None]
    if firsts:
        print(f"{'':<22} first tool-call piece after {statistics.median(firsts):.2f}s (p50)")
    tokens = [r["tokens"] for r in forced if r["tokens"]]
    if tokens:
        print(f"{'':<22} completion tokens mean {statistics.mean(tokens):.0f}")
    finishes: dict[str, int] = {}
    for r in forced:
        finishes[r["finish"]] = finishes.get(r["finish"], 0) + 1
    print(f"{'':<22} finish reasons {finishes}")
    auto = [r for r in results if r["auto"]]
    if auto:
        called = [r for r in auto if r["calls"]]
        print(
            f"switchgear (auto)      answers {len(auto)}: {len(auto) - len(called)} text, "
            f"{len(called)} with calls, "
            f"{sum(all(v is None for v in r['calls']) for r in called)} of them all-valid"
        )


if __name__ == "__main__":
    main()
