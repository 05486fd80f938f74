"""Tool calling on the embedded model: the grammar pieces, the prompt convention, the streaming
reader, and the real gateway answering the official `openai` client over loopback HTTP."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from typing import Any

import httpx
import jsonschema
import msgspec
import pytest
from openai import OpenAI

from switchgear.providers.local_tool_grammar import checked_parameters, tool_call_grammar
from switchgear.providers.local_tool_numbers import integer_rule, numeric_rule
from switchgear.providers.local_tool_reader import ToolAnswerScanner, ToolCallReader
from switchgear.providers.local_tools import plan_tools, prompt_messages
from switchgear.schema.errors import InvalidRequest
from switchgear.schema.generation import Delta, Usage
from switchgear.schema.requests import ChatCompletionRequest
from tests.gateway_process import GatewayProcess

# -- tools of many shapes ---------------------------------------------------------------------

POINT = {
    "type": "object",
    "properties": {
        "x": {"type": "number", "minimum": -100, "maximum": 100},
        "y": {"type": "number", "minimum": -100, "maximum": 100},
    },
    "required": ["x", "y"],
}
SCHEMAS: dict[str, tuple[str, dict[str, Any]]] = {
    "get_weather": (
        "Weather forecast for a city",
        {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7},
            },
            "required": ["city"],
        },
    ),
    "set_timer": (
        "Start a kitchen timer",
        {
            "type": "object",
            "properties": {
                "minutes": {"type": "number", "exclusiveMinimum": 0, "maximum": 120},
                "label": {"type": "string", "maxLength": 30},
            },
            "required": ["minutes"],
            "additionalProperties": False,
        },
    ),
    "book_flight": (
        "Book a flight between two airports",
        {
            "type": "object",
            "properties": {
                "origin": {"type": "string", "pattern": "^[A-Z]{3}$"},
                "destination": {"type": "string", "pattern": "^[A-Z]{3}$"},
                "date": {"type": "string", "format": "date"},
                "passengers": {"type": "integer", "minimum": 1, "maximum": 9},
                "cabin": {"type": "string", "enum": ["economy", "business", "first"]},
            },
            "required": ["origin", "destination", "date"],
        },
    ),
    "create_contact": (
        "Save a contact in the address book",
        {
            "type": "object",
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 40},
                "phone": {"type": ["string", "null"], "maxLength": 20},
                "address": {
                    "type": "object",
                    "properties": {
                        "street": {"type": "string", "maxLength": 40},
                        "city": {"type": "string", "maxLength": 30},
                        "zip": {"type": "string", "pattern": "^[0-9]{5}$"},
                    },
                    "required": ["city", "zip"],
                    "additionalProperties": False,
                },
            },
            "required": ["name", "address"],
        },
    ),
    "add_todo": (
        "Add items to the to-do list",
        {
            "type": "object",
            "properties": {
                "items": {
                    "type": "array",
                    "items": {"type": "string", "maxLength": 40},
                    "minItems": 1,
                    "maxItems": 5,
                },
                "priority": {"type": "integer", "minimum": -2, "maximum": 2},
                "done": {"type": "boolean"},
            },
            "required": ["items", "priority"],
        },
    ),
    "rate_movie": (
        "Rate a movie",
        {
            "type": "object",
            "properties": {
                "title": {"type": "string", "maxLength": 60},
                "stars": {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 6},
                "review": {"type": "string", "maxLength": 80},
            },
            "required": ["title", "stars"],
        },
    ),
    "convert_currency": (
        "Convert money between currencies",
        {
            "type": "object",
            "properties": {
                "amount": {"type": "number", "minimum": 0, "maximum": 1000000},
                "source": {"type": "string", "enum": ["USD", "EUR", "GBP", "JPY"]},
                "target": {"type": "string", "enum": ["USD", "EUR", "GBP", "JPY"]},
            },
            "required": ["amount", "source", "target"],
        },
    ),
    "schedule_meeting": (
        "Put a meeting in the calendar",
        {
            "type": "object",
            "properties": {
                "attendees": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string", "maxLength": 30},
                            "optional": {"type": "boolean"},
                        },
                        "required": ["name"],
                    },
                    "minItems": 1,
                    "maxItems": 3,
                },
                "start": {"type": "string", "format": "date-time"},
                "duration_minutes": {"type": "integer", "minimum": 15, "maximum": 240},
            },
            "required": ["attendees", "start", "duration_minutes"],
        },
    ),
    "search_docs": (
        "Search the company documents",
        {
            "type": "object",
            "properties": {
                "query": {"type": "string", "maxLength": 60},
                "filters": {
                    "anyOf": [
                        {
                            "type": "object",
                            "properties": {"year": {"type": "integer", "minimum": 1990}},
                            "required": ["year"],
                        },
                        {"type": "null"},
                    ]
                },
                "limit": {"type": "integer", "minimum": 1, "maximum": 20, "default": 5},
            },
            "required": ["query", "filters"],
        },
    ),
    "get_time": ("The current time", {"type": "object", "properties": {}}),
    "draw_shape": (
        "Draw a shape on the canvas",
        {
            "type": "object",
            "$defs": {"Point": POINT},
            "properties": {
                "shape": {"type": "string", "enum": ["line", "triangle", "square"]},
                "points": {
                    "type": "array",
                    "items": {"$ref": "#/$defs/Point"},
                    "minItems": 1,
                    "maxItems": 4,
                },
                "closed": {"const": True},
            },
            "required": ["shape", "points", "closed"],
        },
    ),
    "set_thermostat": (
        "Set the heating",
        {
            "type": "object",
            "properties": {
                "temperature": {"type": "number", "minimum": 10.5, "maximum": 30},
                "mode": {"type": "string", "enum": ["heat", "cool", "auto"]},
                "room": {"type": "integer", "enum": [1, 2, 3]},
            },
            "required": ["temperature", "mode"],
        },
    ),
}
PROMPTS = {
    "get_weather": "Will it rain in Lisbon over the next three days?",
    "set_timer": "Set a timer for twelve minutes for the eggs.",
    "book_flight": "Book me a flight from Boston to Denver on 2025-07-14 for two people.",
    "create_contact": "Save Maria Lopez, she lives at 12 Oak Street, Springfield 62704.",
    "add_todo": "Remind me to buy milk and call the bank, it's urgent.",
    "rate_movie": "I watched Jaws yesterday, I'd give it four stars.",
    "convert_currency": "How much is 250 euros in dollars?",
    "schedule_meeting": "Set up a 30 minute meeting with Ann and Bo tomorrow at 10am.",
    "search_docs": "Find the 2021 reports about solar panels.",
    "get_time": "What time is it?",
    "draw_shape": "Draw a triangle with corners at (0,0), (10,0) and (5,8).",
    "set_thermostat": "Make the living room warmer, 22 degrees please.",
}
NAMES = list(SCHEMAS)


def tool(name: str) -> dict[str, Any]:
    description, parameters = SCHEMAS[name]
    function = {"name": name, "description": description, "parameters": parameters}
    return {"type": "function", "function": function}


def forced_cases() -> Iterator[dict[str, Any]]:
    """50 requests with a forced call: every tool alone, named among others, several tools at
    once with and without parallel calls. (At most three tools each: on 2 cores the prompt's
    prefill, ~100 tokens a tool, is most of the time a request takes.)"""
    for i, name in enumerate(NAMES):  # 12: one tool, "required"
        yield {"tools": [name], "ask": name, "choice": "required"}
        # 12: a named function among three tools; the question is about another tool
        others = [NAMES[(i + 1) % 12], NAMES[(i + 5) % 12]]
        yield {"tools": [name, *others], "ask": others[0], "choice": name}
    for i in range(12):  # 12: three tools, parallel calls allowed
        group = [NAMES[(i + k * 4) % 12] for k in range(3)]
        yield {"tools": group, "ask": group[i % 3], "choice": "required"}
    for i in range(14):  # 14: two or three tools, exactly one call
        group = [NAMES[(i * 5 + k) % 12] for k in range(2 + i % 2)]
        yield {"tools": group, "ask": group[-1], "choice": "required", "parallel": False}


CASES = list(forced_cases())


def chat_params(case: dict[str, Any], seed: int) -> dict[str, Any]:
    choice = case["choice"]
    params: dict[str, Any] = {
        "model": "default",
        "messages": [{"role": "user", "content": PROMPTS[case["ask"]]}],
        "tools": [tool(n) for n in case["tools"]],
        "tool_choice": (
            choice if choice == "required" else {"type": "function", "function": {"name": choice}}
        ),
        "max_tokens": 400,
        "seed": seed,
    }
    if "parallel" in case:
        params["parallel_tool_calls"] = case["parallel"]
    return params


def streamed_calls(client: OpenAI, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """The calls as the SDK's chunks deliver them, assembled the way OpenAI documents."""
    calls: dict[int, dict[str, Any]] = {}
    finish = ""
    for chunk in client.chat.completions.create(**params, stream=True):
        if not chunk.choices:
            continue
        choice = chunk.choices[0]
        assert not choice.delta.content
        for piece in choice.delta.tool_calls or ():
            call = calls.setdefault(piece.index, {"id": None, "name": "", "arguments": "", "n": 0})
            if piece.id:
                assert call["id"] is None and piece.function and piece.function.name
                call["id"] = piece.id
            if piece.function and piece.function.name:
                call["name"] += piece.function.name
            if piece.function and piece.function.arguments:
                call["arguments"] += piece.function.arguments
                call["n"] += 1
        finish = choice.finish_reason or finish
    return [calls[i] for i in sorted(calls)], finish


def whole_calls(client: OpenAI, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    reply = client.chat.completions.create(**params)
    message = reply.choices[0].message
    assert message.content is None
    calls = [
        {"id": c.id, "name": c.function.name, "arguments": c.function.arguments, "n": 1}
        for c in message.tool_calls or ()
        if c.type == "function"
    ]
    return calls, reply.choices[0].finish_reason


# -- the real gateway -------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
def test_forced_calls_parse_and_validate_against_their_schemas(
    client: OpenAI, streamed: bool
) -> None:
    """The 50 requests between the two runs, every kind of case in both."""
    fetch = streamed_calls if streamed else whole_calls
    positions = [p for p in range(len(CASES)) if (p % 4 in (1, 2)) == streamed]

    def run(position: int) -> tuple[int, list[dict[str, Any]], str]:
        calls, finish = fetch(client, chat_params(CASES[position], seed=position))
        return position, calls, finish

    assert len(CASES) == 50
    # Four at a time: the engine decodes up to four sequences in one batch.
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(run, positions))
    ids: set[str] = set()
    for position, calls, finish in results:
        case = CASES[position]
        assert finish == "tool_calls", (position, calls)
        assert calls, position
        if case["choice"] != "required" or not case.get("parallel", True):
            assert len(calls) == 1, (position, calls)
        allowed = case["tools"] if case["choice"] == "required" else [case["choice"]]
        for call in calls:
            assert call["name"] in allowed, (position, call)
            assert re.fullmatch(r"call_[A-Za-z0-9_-]{24}", call["id"]), call["id"]
            assert call["id"] not in ids
            ids.add(call["id"])
            arguments = json.loads(call["arguments"])
            jsonschema.Draft202012Validator(SCHEMAS[call["name"]][1]).validate(arguments)
    if streamed:  # the first call's arguments arrive as generated, in several pieces
        firsts = [calls[0] for _, calls, _ in results if len(calls[0]["arguments"]) > 12]
        assert firsts and all(call["n"] >= 3 for call in firsts)


@pytest.mark.slow
def test_none_never_calls_a_tool(client: OpenAI) -> None:
    for seed, name in enumerate(["get_weather", "set_timer", "get_time"]):
        reply = client.chat.completions.create(
            model="default",
            messages=[{"role": "user", "content": PROMPTS[name]}],
            tools=[tool(name)],  # type: ignore[list-item]
            tool_choice="none",
            max_tokens=40,
            seed=seed,
        )
        choice = reply.choices[0]
        assert choice.message.tool_calls is None
        assert choice.finish_reason in ("stop", "length")
        assert choice.message.content


@pytest.mark.slow
def test_auto_answers_with_text_or_valid_calls(client: OpenAI) -> None:
    kinds = set()
    asks = ["get_weather", "book_flight", "get_time", "set_timer", "rate_movie", "add_todo"]
    for seed, name in enumerate(asks):
        reply = client.chat.completions.create(
            model="default",
            messages=[{"role": "user", "content": PROMPTS[name]}],
            tools=[tool(n) for n in dict.fromkeys(["get_weather", name])],  # type: ignore[misc]
            max_tokens=150,
            seed=seed,
        )
        choice = reply.choices[0]
        if choice.message.tool_calls:
            kinds.add("calls")
            assert choice.finish_reason == "tool_calls"
            for call in choice.message.tool_calls:
                assert call.type == "function"
                arguments = json.loads(call.function.arguments)
                jsonschema.Draft202012Validator(SCHEMAS[call.function.name][1]).validate(arguments)
        else:
            kinds.add("text")
            assert choice.finish_reason in ("stop", "length")
            assert choice.message.content and "<tool_call>" not in choice.message.content
    assert kinds  # which of the two a 135M model picks is its own business


@pytest.mark.slow
def test_a_tool_result_gets_a_text_answer(client: OpenAI) -> None:
    messages: list[Any] = [{"role": "user", "content": PROMPTS["get_weather"]}]
    first = client.chat.completions.create(
        model="default",
        messages=messages,
        tools=[tool("get_weather")],  # type: ignore[list-item]
        tool_choice="required",
        parallel_tool_calls=False,
        max_tokens=100,
        seed=1,
    )
    (call,) = first.choices[0].message.tool_calls or []
    messages += [
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": '{"rain": "no", "high_c": 24}'},
    ]
    second = client.chat.completions.create(
        model="default",
        messages=messages,
        tools=[tool("get_weather")],  # type: ignore[list-item]
        tool_choice="none",
        max_tokens=40,
        seed=2,
    )
    assert second.choices[0].message.tool_calls is None
    assert second.choices[0].message.content
    alone = client.chat.completions.create(
        model="default", messages=messages[:1], max_tokens=1, seed=3
    )
    # The call and its result were written into the prompt, not dropped.
    assert alone.usage is not None and second.usage is not None
    result_tokens = 20  # <tool_call>...</tool_call> and <tool_response>...</tool_response>
    assert second.usage.prompt_tokens > alone.usage.prompt_tokens + result_tokens


BAD_TOOLS = [
    ({"type": "code_interpreter"}, "tools[0].type", "unsupported_parameter"),
    (
        {"type": "function", "function": {"description": "no name"}},
        "tools[0].function.name",
        "invalid_value",
    ),
    (
        {"type": "function", "function": {"name": "has space"}},
        "tools[0].function.name",
        "invalid_value",
    ),
    (
        {"type": "function", "function": {"name": "f", "parameters": {"type": "string"}}},
        "tools[0].function.parameters",
        "invalid_value",
    ),
    (
        {
            "type": "function",
            "function": {
                "name": "f",
                "parameters": {
                    "type": "object",
                    "properties": {"tags": {"type": "array", "uniqueItems": True}},
                },
            },
        },
        "tools[0].function.parameters.properties.tags.uniqueItems",
        "unsupported_parameter",
    ),
    (
        {
            "type": "function",
            "function": {
                "name": "f",
                "parameters": {
                    "type": "object",
                    "properties": {"n": {"type": "integer", "minimum": 5, "maximum": 1}},
                },
            },
        },
        "tools[0].function.parameters.properties.n",
        "invalid_value",
    ),
]


@pytest.mark.parametrize(("bad", "param", "code"), BAD_TOOLS)
def test_bad_tool_definitions_get_openai_400s(
    gateway: GatewayProcess, bad: dict[str, Any], param: str, code: str
) -> None:
    body = {"model": "default", "messages": [{"role": "user", "content": "hi"}], "tools": [bad]}
    assert_400(gateway, body, param, code)


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"tool_choice": {"type": "function", "function": {"name": "nope"}}}, "tool_choice"),
        ({"tool_choice": "sometimes"}, "tool_choice"),
    ],
)
def test_bad_tool_choice_gets_openai_400s(
    gateway: GatewayProcess, extra: dict[str, Any], param: str
) -> None:
    body = {
        "model": "default",
        "messages": [{"role": "user", "content": "hi"}],
        "tools": [tool("get_time")],
        **extra,
    }
    assert_400(gateway, body, param, "invalid_value")


def assert_400(gateway: GatewayProcess, body: dict[str, Any], param: str, code: str) -> None:
    response = httpx.post(f"{gateway.base_url}/v1/chat/completions", json=body, timeout=60)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    assert error["param"].startswith(param) and error["message"]
    assert error["code"] == code


# -- grammar pieces ---------------------------------------------------------------------------


def as_regex(rule: str) -> re.Pattern[str]:
    """The numeric rules use only GBNF that reads the same as a regex once literals are
    unquoted and spaces dropped, so Python can check them exhaustively."""
    unquoted = re.sub(r'"([^"]*)"', lambda m: re.escape(m.group(1)), rule)
    return re.compile(unquoted.replace(" ", ""))


@pytest.mark.parametrize("low", [None, -120, -10, -1, 0, 1, 7, 10, 37, 100])
def test_integer_rule_matches_exactly_the_integers_in_bounds(low: int | None) -> None:
    for high in [None, -100, -9, -1, 0, 5, 9, 10, 42, 99, 100, 250, 1000]:
        if low is not None and high is not None and low > high:
            continue
        pattern = as_regex(integer_rule(low, high))
        for value in range(-1500, 1500):
            inside = (low is None or value >= low) and (high is None or value <= high)
            assert bool(pattern.fullmatch(str(value))) == inside, (low, high, value)
        assert not any(pattern.fullmatch(s) for s in ("01", "-0", "007", "-01", "+1"))


NUMBERS = sorted({Fraction(n, d) for n in range(-400, 400) for d in (1, 2, 4, 10)})


@pytest.mark.parametrize(
    "bounds",
    [
        {"minimum": 0, "maximum": 1},
        {"exclusiveMinimum": 0, "exclusiveMaximum": 1},
        {"minimum": -1.5, "exclusiveMaximum": 2.5},
        {"exclusiveMinimum": 0.5},
        {"maximum": -0.25},
        {"minimum": -3, "maximum": -1},
        {"minimum": -10, "exclusiveMaximum": 10},
    ],
)
def test_number_rule_never_leaves_its_bounds(bounds: dict[str, float]) -> None:
    pattern = as_regex(numeric_rule({"type": "number", **bounds}))
    matched = 0
    for value in NUMBERS:
        text = str(int(value)) if value.denominator == 1 else str(float(value))
        inside = jsonschema.Draft202012Validator({"type": "number", **bounds}).is_valid(
            float(value)
        )
        if pattern.fullmatch(text):
            assert inside, (bounds, text)
            matched += 1
        elif value.denominator == 1 and inside:
            raise AssertionError(f"the integer {text} is inside {bounds} but not generated")
    assert matched


def test_every_tool_grammar_parses_in_llama_cpp() -> None:
    import llama_cpp
    from llama_cpp import Llama

    from switchgear.providers.plugin import embedded_model_path

    vocab = Llama(embedded_model_path(), vocab_only=True, verbose=False)._model.vocab
    schemas = [(n, checked_parameters(SCHEMAS[n][1], n)) for n in NAMES]
    for many, text_first in [(False, False), (True, False), (True, True)]:
        grammar = tool_call_grammar(schemas, many=many, text_first=text_first)
        sampler = llama_cpp.llama_sampler_init_grammar(vocab, grammar.encode(), b"root")
        assert sampler, grammar
        llama_cpp.llama_sampler_free(sampler)


def with_a(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": {"a": schema}}


@pytest.mark.parametrize(
    ("schema", "param"),
    [
        (with_a({"type": "number", "multipleOf": 2}), "a.multipleOf"),
        (with_a({"not": {"type": "null"}}), "a.not"),
        (with_a({"type": "string", "pattern": "^.+$"}), "a.pattern"),
        (with_a({"type": "string", "pattern": "[ -~]"}), "a.pattern"),
        (with_a({"type": "string", "pattern": "^[a-z]+$", "maxLength": 3}), "a.maxLength"),
        (with_a({"$ref": "https://x.test/s.json"}), "a.$ref"),
        (with_a({"type": "date"}), "a.type"),
        (with_a({"type": "integer", "minimum": 1e30}), "p.properties.a"),
        ({"type": "object", "required": ["b"], "additionalProperties": False}, "p.required"),
        ({"type": "object", "minProperties": 1}, "p.minProperties"),
    ],
)
def test_schemas_the_grammar_cannot_enforce_are_refused(schema: dict[str, Any], param: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        checked_parameters(schema, "p")
    assert refused.value.param is not None and refused.value.param.endswith(param)


def test_a_recursive_schema_is_cut_at_a_bounded_depth() -> None:
    node = {
        "type": "object",
        "properties": {
            "label": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}, "maxItems": 2},
        },
        "required": ["label"],
    }
    tree = {
        "type": "object",
        "$defs": {"Node": node},
        "properties": {"root": {"$ref": "#/$defs/Node"}},
    }
    level, depth = checked_parameters(tree, "p")["properties"]["root"], 1
    while level["properties"]["children"]["maxItems"] != 0:
        level, depth = level["properties"]["children"]["items"], depth + 1
    assert depth == 3  # the third level's children can only be []
    endless = {**node, "required": ["label", "children"]}
    endless["properties"] = {**node["properties"], "children": {"$ref": "#/$defs/Node"}}
    with pytest.raises(InvalidRequest) as refused:
        checked_parameters({**tree, "$defs": {"Node": endless}, "required": ["root"]}, "p")
    assert refused.value.param == "p"


def test_named_choice_outside_tools_and_choice_without_tools_are_refused() -> None:
    def request(**fields: Any) -> ChatCompletionRequest:
        fields.setdefault("messages", [{"role": "user", "content": "hi"}])
        return msgspec.convert({"model": "m", **fields}, ChatCompletionRequest)

    with pytest.raises(InvalidRequest) as refused:
        plan_tools(request(tool_choice="required"))
    assert refused.value.param == "tool_choice"
    choice = {"type": "function", "function": {"name": "nope"}}
    with pytest.raises(InvalidRequest) as refused:
        plan_tools(request(tools=[tool("get_time")], tool_choice=choice))
    assert refused.value.param == "tool_choice.function.name"
    plan = plan_tools(request(tools=[tool("get_time"), tool("set_timer")], tool_choice="auto"))
    assert plan is not None and plan.choice == "auto" and plan.parallel


# -- prompt and reader ------------------------------------------------------------------------


def test_tools_calls_and_results_are_written_in_the_hermes_convention() -> None:
    request = msgspec.convert(
        {
            "model": "m",
            "messages": [
                {"role": "developer", "content": "Be brief."},
                {"role": "user", "content": "Time?"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {"id": "call_1", "type": "function",
                         "function": {"name": "get_time", "arguments": "{}"}},
                        {"id": "call_2", "type": "function",
                         "function": {"name": "set_timer", "arguments": '{"minutes": 1}'}},
                    ],
                },
                {"role": "tool", "tool_call_id": "call_1", "content": "10:04"},
                {"role": "tool", "tool_call_id": "call_2", "content": "started"},
            ],
            "tools": [tool("get_time")],
        },
        ChatCompletionRequest,
    )  # fmt: skip
    messages = prompt_messages(request.messages, plan_tools(request), native=False)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    system = messages[0]["content"]
    assert system.startswith("Be brief.\n\n# Tools\n")
    listed = json.dumps(tool("get_time"), separators=(",", ":"))
    assert f"<tools>\n{listed}\n</tools>" in system
    assert messages[2]["content"] == (
        '<tool_call>\n{"name": "get_time", "arguments": {}}\n</tool_call>\n'
        '<tool_call>\n{"name": "set_timer", "arguments": {"minutes": 1}}\n</tool_call>'
    )
    assert messages[3]["content"] == (
        "<tool_response>\n10:04\n</tool_response>\n<tool_response>\nstarted\n</tool_response>"
    )


def test_a_template_with_a_tool_section_renders_tools_itself() -> None:
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = (
        "{% if tools %}TOOLS:{% for t in tools %}{{ t.function.name }};{% endfor %}\n{% endif %}"
        "{% for m in messages %}{{ m.role }}:{{ m.content }}"
        "{% for c in m.tool_calls or [] %}"
        "[{{ c.function.name }}{{ c.function.arguments | tojson }}]{% endfor %}\n{% endfor %}"
    )
    request = msgspec.convert(
        {
            "model": "m",
            "messages": [
                {"role": "user", "content": "Time?"},
                {"role": "assistant", "tool_calls": [{"id": "c", "type": "function",
                 "function": {"name": "get_time", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "c", "content": "10:04"},
            ],
            "tools": [tool("get_time")],
        },
        ChatCompletionRequest,
    )  # fmt: skip
    plan = plan_tools(request)
    assert plan is not None
    formatter = Jinja2ChatFormatter(template=template, eos_token="", bos_token="")
    rendered = formatter(
        messages=prompt_messages(request.messages, plan, native=True), tools=list(plan.tools)
    )
    # (trim_blocks drops the newline after each block tag, as HF's own rendering does)
    assert rendered.prompt == "TOOLS:get_time;user:Time?assistant:[get_time{}]tool:10:04"


def read(pieces: list[str], finish: str = "stop") -> list[Delta]:
    reader = ToolCallReader()
    out = [reader.translate(Delta(text=p)) for p in pieces]
    out.append(reader.translate(Delta(finish_reason=finish, usage=Usage(1, len(pieces)))))
    return [d for d in out if d is not None]


def test_the_reader_streams_text_then_each_call_in_pieces() -> None:
    answer = (
        'Sure. <tool_c<tool_call>\n{"name": "set_timer", "arguments": {"label": "a}\\"{", '
        '"minutes": 3}}\n</tool_call>\n<tool_call>\n{"name": "get_time", "arguments": {}}\n'
        "</tool_call>"
    )
    deltas = read([answer[i : i + 3] for i in range(0, len(answer), 3)])
    assert "".join(d.text for d in deltas) == "Sure. <tool_c"
    calls = [c for d in deltas for c in d.tool_calls]
    heads = [c for c in calls if c.id is not None]
    assert [(c.index, c.name, c.arguments) for c in heads] == [
        (0, "set_timer", ""),
        (1, "get_time", ""),
    ]
    assert calls[0] is heads[0]  # a call's first piece carries its id and name
    first = "".join(c.arguments for c in calls if c.index == 0)
    assert json.loads(first) == {"label": 'a}"{', "minutes": 3}
    assert "".join(c.arguments for c in calls if c.index == 1) == "{}"
    assert len([c for c in calls if c.index == 0]) > 5
    assert deltas[-1].finish_reason == "tool_calls"


def test_the_reader_leaves_plain_text_and_cut_calls_alone() -> None:
    assert [d.text for d in read(["Hello <tool", "s>"])] == ["Hello ", "<tools>", ""]
    cut = read(['<tool_call>\n{"name": "f", "arguments": {"a": "b'], finish="length")
    assert cut[-1].finish_reason == "length"
    assert "".join(c.arguments for d in cut for c in d.tool_calls) == '{"a": "b'


def test_stop_sequences_end_the_text_but_never_a_call() -> None:
    scanner = ToolAnswerScanner(["\n", "}"], max_tokens=100)
    call = '<tool_call>\n{"name": "f", "arguments": {}}\n</tool_call>'
    assert scanner.feed("ok <tool_") == "ok "
    assert scanner.feed(call[6:]) == call
    assert not scanner.stopped
    stopped = ToolAnswerScanner(["\n"], max_tokens=100)
    assert stopped.feed("one\ntwo") == "one" and stopped.stopped


def call_text(arguments: str) -> str:
    return f'<tool_call>\n{{"name": "f", "arguments": {arguments}}}\n</tool_call>'


def test_a_repeated_call_is_dropped_and_ends_the_answer() -> None:
    answer = [call_text('{"a": 1}'), "\n", call_text('{"a": 2}'), "\n", call_text('{"a": 1}')]
    scanner = ToolAnswerScanner([], max_tokens=100)
    stopped = []
    for piece in answer:
        assert scanner.feed(piece) == piece
        stopped.append(scanner.stopped)
    assert stopped == [False, False, False, False, True]
    reader = ToolCallReader()
    deltas = [reader.translate(Delta(text=piece)) for piece in answer]
    deltas.append(reader.translate(Delta(finish_reason="stop", usage=Usage(1, 5))))
    calls = [c for d in deltas if d is not None for c in d.tool_calls]
    assert [(c.index, c.name) for c in calls if c.id] == [(0, "f"), (1, "f")]
    assert "".join(c.arguments for c in calls if c.index == 1) == '{"a": 2}'
    assert deltas[-1] is not None and deltas[-1].finish_reason == "tool_calls"


def test_no_call_is_begun_that_max_tokens_cannot_hold() -> None:
    pieces = [*call_text('{"a": 1}')]  # one character a token: this call takes 61 of them
    assert len(pieces) > 30
    scanner = ToolAnswerScanner([], max_tokens=len(pieces) * 2)
    for piece in pieces:
        scanner.feed(piece)
    assert scanner.stopped  # 61 left, and the next call may need 61 * 5 / 4 + 4 of them
    roomy = ToolAnswerScanner([], max_tokens=len(pieces) * 3)
    for piece in pieces:
        roomy.feed(piece)
    assert not roomy.stopped


def test_a_later_call_cut_by_max_tokens_is_dropped_whole() -> None:
    reader = ToolCallReader()
    cut = [call_text('{"a": 1}'), "\n", call_text('{"a": 2}')[:30]]
    deltas = [reader.translate(Delta(text=piece)) for piece in cut]
    deltas.append(reader.translate(Delta(finish_reason="length", usage=Usage(1, 3))))
    calls = [c for d in deltas if d is not None for c in d.tool_calls]
    assert {c.index for c in calls} == {0}
    assert deltas[-1] is not None and deltas[-1].finish_reason == "length"
