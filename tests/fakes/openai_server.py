"""A fake OpenAI upstream: Chat Completions, legacy Completions and Models, plus Azure paths.

The answer is scripted: ``"fake-openai says: "`` followed by the text of the last user (or tool)
message. Usage counts whitespace-separated words, and a stream sends one word per chunk, so
streamed and non-streamed usage agree. With ``tools`` the fake calls a tool (arguments
``{"city": "Paris"}``) when the last message is a user question mentioning the weather, or when
``tool_choice`` requires or names one.

With ``n`` > 1 there is one choice per ``index``; choice ``j`` > 0 answers
``"fake-openai choice j says: "`` followed by the same text, and a stream interleaves the
choices word by word, as OpenAI does. Each word piece is one token: ``logprobs`` (chat:
``logprobs: true`` and ``top_logprobs``; legacy: ``logprobs: <int>``) gives token ``k`` the
log probability ``-(k + 1) / 10``, and ``top_logprobs`` lists the token itself first, then
``alt1``, ``alt2``… each 1.0 less likely, in the documented shapes of both endpoints.

Azure OpenAI requests (``/openai/deployments/{deployment}/...?api-version=...`` with an
``api-key`` header) get the same answers in Azure's shape: its error bodies, the content filter
fields, and the first stream chunk with empty ``choices`` that Azure sends before any text.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ._shared import (
    Completion,
    SSEEvent,
    complete,
    count_tokens,
    dumps,
    early_fault,
    json_response,
    new_id,
    pick_tool,
    read_request,
    split_json,
    sse_response,
    word_pieces,
)
from .behaviour import FakeBehaviour, Mode

DEFAULT_MODELS = ("gpt-4o-mini", "gpt-4o")
ANSWER_PREFIX = "fake-openai says: "
TOOL_ARGUMENTS = '{"city": "Paris"}'
LEGACY_DEFAULT_MAX_TOKENS = 16  # the documented default of /v1/completions
_FINGERPRINT = "fp_fake0000"
_GARBAGE = 'data: {"id": "chatcmpl-garbage", this is not json\n\n'
_DONE = "data: [DONE]\n\n"
_AZURE = "/openai/deployments/{deployment}"
_FINISH = {"end": "stop", "stop_sequence": "stop", "length": "length"}
_FILTER_SAFE = {
    name: {"filtered": False, "severity": "safe"}
    for name in ("hate", "self_harm", "sexual", "violence")
}


def _error(
    status: int,
    message: str,
    kind: str,
    param: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return Response(dumps(body), status, headers, "application/json")


class _OpenAIErrors:
    """Error bodies of api.openai.com."""

    def refused(self) -> Response:
        return _error(501, "mode 'refuse' cannot be served; use serve.closed_port_url()", "fake")

    def server_error(self) -> Response:
        message = "The server had an error while processing your request. Sorry about that!"
        return _error(500, message, "server_error")

    def rate_limited(self, retry_after: int) -> Response:
        headers = {
            "retry-after": str(retry_after),
            "x-ratelimit-limit-requests": "3",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": f"{retry_after}s",
        }
        message = (
            "Rate limit reached for requests in organization org-fake on requests per min "
            f"(RPM): Limit 3, Used 3, Requested 1. Please try again in {retry_after}s."
        )
        return _error(429, message, "requests", None, "rate_limit_exceeded", headers)

    def unauthorised(self, key: str | None) -> Response:
        if not key:
            message = (
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
            )
            return _error(401, message, "invalid_request_error")
        # Masked like the real message, so a leaked key never lands in test logs in full.
        message = f"Incorrect API key provided: {key[:3]}***{key[-4:]}."
        return _error(401, message, "invalid_request_error", None, "invalid_api_key")


def _azure_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    body = {"error": {"code": str(status), "message": message}}
    return Response(dumps(body), status, headers, "application/json")


class _AzureErrors(_OpenAIErrors):
    """Azure OpenAI answers auth, rate limit and routing errors in its own shape."""

    def rate_limited(self, retry_after: int) -> Response:
        message = (
            "Requests to the ChatCompletions_Create Operation have exceeded call rate limit of "
            f"your current OpenAI S0 pricing tier. Please retry after {retry_after} second."
        )
        return _azure_error(429, message, {"retry-after": str(retry_after)})

    def unauthorised(self, key: str | None) -> Response:
        message = (
            "Access denied due to invalid subscription key or wrong API endpoint. Make sure to "
            "provide a valid key for an active subscription and use a correct regional API "
            "endpoint for your resource."
        )
        return _azure_error(401, message)


def _presented_key(request: Request, azure: bool) -> str | None:
    if azure:
        return request.headers.get("api-key")
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [
            str(part.get("text", ""))
            for part in content
            if isinstance(part, dict) and part.get("type") == "text"
        ]
        return " ".join(texts)
    return ""


def _stops(stop: Any) -> list[str]:
    if isinstance(stop, str):
        return [stop]
    if isinstance(stop, list):
        return [item for item in stop if isinstance(item, str)]
    return []


def _usage(prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _tool_call(tools: Any, tool_choice: Any, question: str | None) -> str | None:
    names = [
        str(tool["function"]["name"])
        for tool in (tools if isinstance(tools, list) else [])
        if isinstance(tool, dict) and isinstance(tool.get("function"), dict)
    ]
    forced = None
    if isinstance(tool_choice, dict) and isinstance(tool_choice.get("function"), dict):
        forced = str(tool_choice["function"].get("name"))
    choice = tool_choice if isinstance(tool_choice, str) else "auto"
    return pick_tool(names, choice, forced, question)


class _Call:
    """One authorised request being answered."""

    def __init__(
        self, request: Request, body: dict[str, Any], mode: Mode, delay: float, id_prefix: str
    ) -> None:
        self.id = new_id(id_prefix, 29)
        self.azure = "deployment" in request.path_params
        self.model = str(body.get("model") or request.path_params.get("deployment", ""))
        self.stream = body.get("stream") is True
        options = body.get("stream_options")
        self.include_usage = isinstance(options, dict) and options.get("include_usage") is True
        self.mode = mode
        self.delay = delay
        self.created = int(time.time())
        self.headers = {"x-request-id": new_id("req_", 32)}

    def sse(self, frames: list[SSEEvent]) -> Response:
        if self.azure:
            # Azure reports the prompt filter verdict first, in a chunk without choices.
            verdict = {
                "choices": [],
                "created": 0,
                "id": "",
                "model": "",
                "object": "",
                "prompt_filter_results": [
                    {"prompt_index": 0, "content_filter_results": _FILTER_SAFE}
                ],
            }
            frames = [SSEEvent(f"data: {dumps(verdict)}\n\n"), *frames]
        frames.append(SSEEvent(_DONE))
        return sse_response(frames, self.mode, _GARBAGE, self.delay, self.headers)

    def chunk(self, obj: str, choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        head: dict[str, Any] = {"id": self.id, "object": obj, "created": self.created}
        head["model"] = self.model
        if obj == "chat.completion.chunk":
            head["service_tier"] = "default"  # legacy completions have none
        head.update(system_fingerprint=_FINGERPRINT, choices=choices)
        if self.include_usage:
            head["usage"] = None  # documented: every chunk but the last carries usage: null
        head.update(extra)
        return head


def _frame(payload: dict[str, Any], content: bool = False) -> SSEEvent:
    return SSEEvent(f"data: {dumps(payload)}\n\n", content)


def _answer_prefix(choice: int) -> str:
    return ANSWER_PREFIX if choice == 0 else f"fake-openai choice {choice} says: "


def _logprob(position: int, alternative: int = 0) -> float:
    return round(-(position + 1) / 10 - alternative, 4)


def _top(token: str, position: int, count: int) -> list[tuple[str, float]]:
    """The likeliest tokens at a position: the sampled one, then `alt1`, `alt2`…"""
    return [(token if m == 0 else f"alt{m}", _logprob(position, m)) for m in range(count)]


def _chat_token(token: str, position: int, top: int) -> dict[str, Any]:
    def one(text: str, logprob: float) -> dict[str, Any]:
        return {"token": text, "logprob": logprob, "bytes": list(text.encode())}

    return {
        **one(token, _logprob(position)),
        "top_logprobs": [one(*t) for t in _top(token, position, top)],
    }


def _legacy_logprobs(pieces: list[str], first: int, offset: int, top: int) -> dict[str, Any]:
    """Legacy completions' parallel lists for `pieces`, token `first` onwards, the first of
    them at character `offset` of the choice's text."""
    offsets = [offset + sum(map(len, pieces[:k])) for k in range(len(pieces))]
    return {
        "tokens": pieces,
        "token_logprobs": [_logprob(first + k) for k in range(len(pieces))],
        "top_logprobs": [dict(_top(p, first + k, top)) for k, p in enumerate(pieces)],
        "text_offset": offsets,
    }


def _choices(body: dict[str, Any]) -> int:
    n = body.get("n")
    return n if isinstance(n, int) and n > 0 else 1


def _chat(call: _Call, body: dict[str, Any]) -> Response:
    messages: list[Any] = body["messages"]
    prompt_tokens = sum(count_tokens(_text_of(m.get("content"))) for m in messages)
    spoken = [m for m in messages if m.get("role") in ("user", "tool")]
    echo = _text_of(spoken[-1].get("content")) if spoken else ""
    question = echo if messages[-1].get("role") == "user" else None
    tool = _tool_call(body.get("tools"), body.get("tool_choice", "auto"), question)
    n = _choices(body)
    if tool is not None:
        return _chat_tool(call, tool, prompt_tokens, n)
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    stops = _stops(body.get("stop"))
    answers = [complete(_answer_prefix(j) + echo, max_tokens, stops) for j in range(n)]
    top = body.get("top_logprobs") or 0
    return _chat_text(call, answers, prompt_tokens, top if body.get("logprobs") is True else None)


def _chat_text(
    call: _Call, answers: list[Completion], prompt_tokens: int, top: int | None
) -> Response:
    """`top`: None without logprobs, else how many likeliest tokens each position lists."""
    usage = _usage(prompt_tokens, sum(count_tokens(a.text) for a in answers))
    pieces = [word_pieces(a.text) for a in answers]

    def logprobs(tokens: list[str], first: int) -> dict[str, Any] | None:
        if top is None:
            return None
        content = [_chat_token(t, first + k, top) for k, t in enumerate(tokens)]
        return {"content": content, "refusal": None}

    if not call.stream:
        choices = []
        for j, answer in enumerate(answers):
            message: dict[str, Any] = {"role": "assistant", "content": answer.text}
            message.update(refusal=None, annotations=[])
            finish = _FINISH[answer.kind]
            choices.append(_body_choice(call, j, message, finish, logprobs(pieces[j], 0)))
        return _chat_body(call, choices, usage)
    first = {"role": "assistant", "content": "", "refusal": None}
    frames = [_frame(_delta(call, first, index=j)) for j in range(len(answers))]
    for k in range(max(map(len, pieces))):  # word by word, each choice in turn
        for j, words in enumerate(pieces):
            if k < len(words):
                delta = {"content": words[k]}
                frames.append(_frame(_delta(call, delta, None, j, logprobs([words[k]], k)), True))
    for j, answer in enumerate(answers):
        frames.append(_frame(_delta(call, {}, _FINISH[answer.kind], j)))
    if call.include_usage:
        frames.append(_frame(call.chunk("chat.completion.chunk", [], usage=usage)))
    return call.sse(frames)


def _chat_tool(call: _Call, name: str, prompt_tokens: int, n: int) -> Response:
    """Every choice calls the tool, each call with its own id."""
    ids = [new_id("call_", 24) for _ in range(n)]
    usage = _usage(prompt_tokens, n * count_tokens(f"{name} {TOOL_ARGUMENTS}"))
    if not call.stream:
        choices = []
        for j, call_id in enumerate(ids):
            function = {"name": name, "arguments": TOOL_ARGUMENTS}
            tool_call = {"id": call_id, "type": "function", "function": function}
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [tool_call],
                "refusal": None,
                "annotations": [],
            }
            choices.append(_body_choice(call, j, message, "tool_calls", None))
        return _chat_body(call, choices, usage)
    frames = []
    for j, call_id in enumerate(ids):
        function = {"name": name, "arguments": ""}
        opening = {"index": 0, "id": call_id, "type": "function", "function": function}
        first = {"role": "assistant", "content": None, "tool_calls": [opening], "refusal": None}
        frames.append(_frame(_delta(call, first, index=j)))
    for piece in split_json(TOOL_ARGUMENTS):
        for j in range(n):
            fragment = {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}
            frames.append(_frame(_delta(call, fragment, index=j), True))
    frames += [_frame(_delta(call, {}, "tool_calls", j)) for j in range(n)]
    if call.include_usage:
        frames.append(_frame(call.chunk("chat.completion.chunk", [], usage=usage)))
    return call.sse(frames)


def _delta(
    call: _Call,
    delta: dict[str, Any],
    finish: str | None = None,
    index: int = 0,
    logprobs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    choice = {"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": finish}
    return call.chunk("chat.completion.chunk", [choice])


def _body_choice(
    call: _Call,
    index: int,
    message: dict[str, Any],
    finish: str,
    logprobs: dict[str, Any] | None,
) -> dict[str, Any]:
    choice = {"index": index, "message": message, "logprobs": logprobs, "finish_reason": finish}
    if call.azure:
        choice["content_filter_results"] = _FILTER_SAFE
    return choice


def _chat_body(call: _Call, choices: list[dict[str, Any]], usage: dict[str, Any]) -> Response:
    body: dict[str, Any] = {
        "id": call.id,
        "object": "chat.completion",
        "created": call.created,
        "model": call.model,
        "choices": choices,
        "usage": usage,
        "service_tier": "default",
        "system_fingerprint": _FINGERPRINT,
    }
    if call.azure:
        body["prompt_filter_results"] = [
            {"prompt_index": 0, "content_filter_results": _FILTER_SAFE}
        ]
    return json_response(body, call.mode, headers=call.headers)


def _prompts(prompt: Any) -> list[str] | None:
    """The four documented prompt forms: text, texts, token ids, lists of token ids."""
    if isinstance(prompt, str):
        return [prompt]
    if not isinstance(prompt, list) or not prompt:
        return None
    if all(isinstance(item, str) for item in prompt):
        return [str(item) for item in prompt]
    if all(isinstance(item, int) for item in prompt):
        return [" ".join(str(item) for item in prompt)]
    if all(isinstance(item, list) and all(isinstance(t, int) for t in item) for item in prompt):
        return [" ".join(str(t) for t in item) for item in prompt]
    return None


def _legacy(call: _Call, body: dict[str, Any], prompts: list[str]) -> Response:
    """Choice `p * n + j` is choice `j` of prompt `p`, as OpenAI numbers them."""
    max_tokens = body.get("max_tokens", LEGACY_DEFAULT_MAX_TOKENS)
    stops = _stops(body.get("stop"))
    n = _choices(body)
    answers = [
        complete(_answer_prefix(j) + prompt, max_tokens, stops)
        for prompt in prompts
        for j in range(n)
    ]
    usage = _usage(
        sum(count_tokens(prompt) for prompt in prompts),
        sum(count_tokens(answer.text) for answer in answers),
    )
    top = body.get("logprobs")
    top = top if isinstance(top, int) and not isinstance(top, bool) else None

    def logprobs(pieces: list[str], first: int, offset: int) -> dict[str, Any] | None:
        return None if top is None else _legacy_logprobs(pieces, first, offset, top)

    if not call.stream:
        choices = [
            {
                "text": a.text,
                "index": i,
                "logprobs": logprobs(word_pieces(a.text), 0, 0),
                "finish_reason": _FINISH[a.kind],
            }
            for i, a in enumerate(answers)
        ]
        result = call.chunk("text_completion", choices, usage=usage)
        return json_response(result, call.mode, headers=call.headers)
    frames = []
    for index, answer in enumerate(answers):
        offset = 0
        for k, piece in enumerate(word_pieces(answer.text)):
            lp = logprobs([piece], k, offset)
            choice = {"text": piece, "index": index, "logprobs": lp, "finish_reason": None}
            frames.append(_frame(call.chunk("text_completion", [choice]), True))
            offset += len(piece)
        last = {"text": "", "index": index, "logprobs": None, "finish_reason": _FINISH[answer.kind]}
        frames.append(_frame(call.chunk("text_completion", [last])))
    if call.include_usage:
        frames.append(_frame(call.chunk("text_completion", [], usage=usage)))
    return call.sse(frames)


def create_openai_fake(
    behaviour: FakeBehaviour, *, models: Sequence[str] = DEFAULT_MODELS
) -> Starlette:
    """An OpenAI (and Azure OpenAI) upstream whose faults and key come from `behaviour`."""

    async def admit(request: Request) -> tuple[Any, Mode] | Response:
        """Record, authenticate and apply the early faults; the parsed body when admitted."""
        recorded = await read_request(request, behaviour)
        azure = "deployment" in request.path_params
        errors = _AzureErrors() if azure else _OpenAIErrors()
        if azure and "api-version" not in request.query_params:
            return _azure_error(404, "Resource not found")
        key = _presented_key(request, azure)
        if key != behaviour.api_key:
            return errors.unauthorised(key)
        mode = behaviour.take_fault()
        fault = await early_fault(mode, request, behaviour, errors)
        return fault if fault is not None else (recorded["json"], mode)

    async def chat_completions(request: Request) -> Response:
        admitted = await admit(request)
        if isinstance(admitted, Response):
            return admitted
        body, mode = admitted
        invalid = _invalid_body(body, request, ("model", "messages"))
        if invalid is not None:
            return invalid
        return _chat(_Call(request, body, mode, behaviour.chunk_delay, "chatcmpl-"), body)

    async def completions(request: Request) -> Response:
        admitted = await admit(request)
        if isinstance(admitted, Response):
            return admitted
        body, mode = admitted
        invalid = _invalid_body(body, request, ("model", "prompt"))
        if invalid is not None:
            return invalid
        prompts = _prompts(body["prompt"])
        if prompts is None:
            return _error(400, "Invalid prompt.", "invalid_request_error", "prompt")
        call = _Call(request, body, mode, behaviour.chunk_delay, "cmpl-")
        return _legacy(call, body, prompts)

    async def list_models(request: Request) -> Response:
        admitted = await admit(request)
        if isinstance(admitted, Response):
            return admitted
        data = [
            {"id": model, "object": "model", "created": 1_700_000_000, "owned_by": "openai"}
            for model in models
        ]
        return json_response({"object": "list", "data": data}, admitted[1])

    async def invalid_url(request: Request, exc: Exception) -> Response:
        # OpenAI answers unknown paths and wrong methods alike, with a JSON 404.
        if "deployment" in request.path_params or request.url.path.startswith("/openai/"):
            return _azure_error(404, "Resource not found")
        message = f"Invalid URL ({request.method} {request.url.path})"
        return _error(404, message, "invalid_request_error")

    routes = [
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/completions", completions, methods=["POST"]),
        Route("/v1/models", list_models, methods=["GET"]),
        Route(f"{_AZURE}/chat/completions", chat_completions, methods=["POST"]),
        Route(f"{_AZURE}/completions", completions, methods=["POST"]),
    ]
    handlers = {404: invalid_url, 405: invalid_url}
    return Starlette(routes=routes, exception_handlers=handlers)


def _invalid_body(body: Any, request: Request, required: Sequence[str]) -> Response | None:
    if not isinstance(body, dict):
        message = (
            "We could not parse the JSON body of your request. (HINT: This likely means you "
            "aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, "
            "but what was sent was not valid JSON.)"
        )
        return _error(400, message, "invalid_request_error")
    for name in required:
        if name == "model" and "deployment" in request.path_params:
            continue  # Azure takes the model from the deployment in the path
        if name == "model" and not body.get("model"):
            return _error(400, "you must provide a model parameter", "invalid_request_error")
        if name not in body:
            message = f"Missing required parameter: '{name}'."
            return _error(400, message, "invalid_request_error", name, "missing_required_parameter")
    messages = body.get("messages", [{}])
    if not isinstance(messages, list) or not messages:
        message = "Invalid 'messages': empty array. Expected an array with minimum length 1."
        return _error(400, message, "invalid_request_error", "messages", "empty_array")
    if not all(isinstance(item, dict) for item in messages):
        message = "Invalid type for 'messages': expected an array of objects."
        return _error(400, message, "invalid_request_error", "messages", "invalid_type")
    return None
