"""The `local` provider: turns OpenAI requests into prompts and jobs for the in-process engine."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from typing import Any

from switchgear.providers.base import ChatAndText, DeltaStream
from switchgear.providers.local_engine import EngineSettings, LocalEngine, Sampling
from switchgear.providers.local_json_grammar import response_format_grammar
from switchgear.providers.local_tool_reader import ToolAnswerScanner, ToolCallReader
from switchgear.providers.local_tools import (
    ToolPlan,
    plan_tools,
    prompt_messages,
    template_renders_tools,
)
from switchgear.schema.errors import InvalidRequest
from switchgear.schema.requests import (
    ChatCompletionRequest,
    CompletionRequest,
    ResponseFormatJsonObject,
    ResponseFormatJsonSchema,
    ResponseFormatText,
)

_SCHEMA_PARAM = "response_format.json_schema.schema"
# Used when a GGUF carries no chat template of its own.
CHATML_TEMPLATE = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content']"
    " + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def default_threads() -> int:
    # Measured on 2 cores: 1 thread decodes at ~62 tokens/s, 2 passive threads at ~33, because
    # the second core is shared with the HTTP server. Leave half the cores to the server.
    return max(1, (os.cpu_count() or 2) // 2)


class LocalProvider(ChatAndText):
    """Serves one GGUF model in-process."""

    def __init__(self, settings: EngineSettings, default_sampling: Sampling | None = None) -> None:
        self.engine = LocalEngine(settings)
        self._defaults = default_sampling or Sampling()
        self._formatter: Any = None
        self._native_tools = False
        self._grammar_cache: dict[str, Any] = {}

    async def start(self) -> None:
        await asyncio.to_thread(self.engine.load)
        self._formatter = self._build_formatter()

    async def aclose(self) -> None:
        await asyncio.to_thread(self.engine.close)

    def is_ready(self) -> bool:
        return self.engine.is_ready()

    @property
    def context_window(self) -> int:
        return self.engine.settings.context_window

    # -- chat -----------------------------------------------------------------------------

    async def stream_chat(self, model: str, request: ChatCompletionRequest) -> DeltaStream:
        reject_unsupported_chat_fields(model, request)
        plan = plan_tools(request)
        calling = plan is not None and plan.may_call
        if calling and not isinstance(request.response_format, ResponseFormatText | None):
            raise _unsupported(model, "response_format", "response_format together with tools")
        grammar, tokens = await asyncio.to_thread(self._prepare_chat, request, plan)
        max_tokens = self._output_budget(len(tokens), request.output_limit(), "messages")
        sampling = self._sampling(request.temperature, request.top_p, request.seed, request)
        if not calling:
            async for delta in self.engine.generate(
                tokens, max_tokens, sampling, request.stop_sequences(), grammar
            ):
                yield delta
            return
        # Stop sequences end the text before a call, never the call (ToolAnswerScanner).
        scanner = ToolAnswerScanner(request.stop_sequences(), max_tokens)
        reader = ToolCallReader()
        async for delta in self.engine.generate(
            tokens, max_tokens, sampling, [], grammar, scanner=scanner
        ):
            translated = reader.translate(delta)
            if translated is not None:
                yield translated

    def count_chat_tokens(self, model: str, request: ChatCompletionRequest) -> int:
        """The prompt's size as a generation is charged for it: template, tools and all
        (blocking; `count_tokens` calls it off the event loop)."""
        return len(self._chat_tokens(request, plan_tools(request)))

    def _prepare_chat(
        self, request: ChatCompletionRequest, plan: ToolPlan | None
    ) -> tuple[Any, list[int]]:
        """The grammar and the prompt's tokens (blocking: grammar building and tokenizing)."""
        if plan is not None and plan.may_call:
            grammar = self._cached_grammar(plan.grammar_key(), plan.grammar, "tools")
        else:
            grammar = self._grammar_for(request)
        return grammar, self._chat_tokens(request, plan)

    def _chat_tokens(self, request: ChatCompletionRequest, plan: ToolPlan | None) -> list[int]:
        messages = prompt_messages(request.messages, plan, self._native_tools)
        tools = list(plan.tools) if plan is not None and plan.may_call else None
        try:
            rendered = self._formatter(
                messages=messages, tools=tools if self._native_tools else None
            )
        except Exception as error:  # templates raise on role orders they do not accept
            raise InvalidRequest(
                f"The model's chat template rejected the messages: {error}", param="messages"
            ) from error
        tokens: list[int] = self.engine.llama.tokenize(
            rendered.prompt.encode("utf-8"), add_bos=not rendered.added_special, special=True
        )
        return tokens

    # -- text completions -----------------------------------------------------------------

    async def stream_text(
        self, model: str, request: CompletionRequest, prompt: str | list[int], index: int
    ) -> DeltaStream:
        reject_unsupported_text_fields(model, request)
        tokens = await asyncio.to_thread(self._text_tokens, prompt, request.suffix)
        max_tokens = self._output_budget(len(tokens), request.max_tokens, "prompt")
        sampling = self._sampling(request.temperature, request.top_p, request.seed, request)
        async for delta in self.engine.generate(
            tokens, max_tokens, sampling, [*_stops(request.stop)], None, index
        ):
            yield delta

    def _text_tokens(self, prompt: str | list[int], suffix: str | None) -> list[int]:
        llama = self.engine.llama
        if isinstance(prompt, list):
            vocab_size = llama.n_vocab()
            if any(not 0 <= t < vocab_size for t in prompt):
                raise InvalidRequest(
                    f"Prompt token ids must be in [0, {vocab_size}).", param="prompt"
                )
            prompt_tokens = list(prompt)
        else:
            prompt_tokens = llama.tokenize(prompt.encode("utf-8"), add_bos=True, special=False)
        if suffix is None:
            return prompt_tokens
        fim = self._fim_tokens()
        if fim is None:
            raise InvalidRequest(
                "This model has no fill-in-the-middle tokens, so `suffix` is not supported.",
                param="suffix",
                code="unsupported_parameter",
            )
        prefix_id, suffix_id, middle_id = fim
        suffix_tokens = llama.tokenize(suffix.encode("utf-8"), add_bos=False, special=False)
        return [prefix_id, *prompt_tokens, suffix_id, *suffix_tokens, middle_id]

    def _fim_tokens(self) -> tuple[int, int, int] | None:
        import llama_cpp

        vocab = self.engine.llama._model.vocab
        ids = (
            llama_cpp.llama_vocab_fim_pre(vocab),
            llama_cpp.llama_vocab_fim_suf(vocab),
            llama_cpp.llama_vocab_fim_mid(vocab),
        )
        return None if any(i < 0 for i in ids) else ids

    # -- shared ---------------------------------------------------------------------------

    def _output_budget(self, prompt_tokens: int, requested: int | None, where: str) -> int:
        window = self.context_window
        room = window - prompt_tokens
        if room < 1 or (requested is not None and requested > room):
            asked = f" and {requested} in the completion" if requested is not None else ""
            raise InvalidRequest(
                f"This model's maximum context length is {window} tokens. However, you requested "
                f"{prompt_tokens + (requested or 0)} tokens ({prompt_tokens} in the {where}"
                f"{asked}). Please reduce the length of the {where} or completion.",
                param=where,
                code="context_length_exceeded",
            )
        return requested if requested is not None else room

    def _sampling(
        self,
        temperature: float | None,
        top_p: float | None,
        seed: int | None,
        request: ChatCompletionRequest | CompletionRequest,
    ) -> Sampling:
        d = self._defaults
        return Sampling(
            temperature=d.temperature if temperature is None else temperature,
            top_p=d.top_p if top_p is None else top_p,
            top_k=d.top_k,
            min_p=d.min_p,
            presence_penalty=request.presence_penalty or 0.0,
            frequency_penalty=request.frequency_penalty or 0.0,
            seed=seed,
        )

    def _grammar_for(self, request: ChatCompletionRequest) -> Any:
        fmt = request.response_format
        if isinstance(fmt, ResponseFormatJsonSchema) and fmt.json_schema.schema is not None:
            schema: dict[str, Any] | None = fmt.json_schema.schema
        elif isinstance(fmt, ResponseFormatJsonObject | ResponseFormatJsonSchema):
            schema = None
        else:
            return None
        # Its strings are bounded to fit the answer's budget: the room the context leaves
        # when the request sets none (an upper bound: the prompt is not tokenized yet).
        budget = request.output_limit() or self.context_window
        # Keyed on the schema as given, unsorted: its property order is the answer's.
        key = f"{budget}:" + ("" if schema is None else json.dumps(schema))
        return self._cached_grammar(
            key,
            lambda: response_format_grammar(schema, _SCHEMA_PARAM, budget),
            "response_format",
        )

    def _cached_grammar(self, key: str, build: Callable[[], str], param: str) -> Any:
        """A grammar that llama.cpp's parser accepted: one it rejects would otherwise only
        fail in the decode loop, after the request was accepted."""
        import llama_cpp
        from llama_cpp.llama_grammar import LlamaGrammar

        grammar = self._grammar_cache.get(key)
        if grammar is not None:
            return grammar
        text = build()
        vocab = self.engine.llama._model.vocab
        parsed = llama_cpp.llama_sampler_init_grammar(vocab, text.encode("utf-8"), b"root")
        if not parsed:
            raise InvalidRequest(
                f"The {param} cannot be turned into a grammar for the local model.", param=param
            )
        llama_cpp.llama_sampler_free(parsed)
        grammar = LlamaGrammar.from_string(text, verbose=False)
        if len(self._grammar_cache) < 256:
            self._grammar_cache[key] = grammar
        return grammar

    def _build_formatter(self) -> Any:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        llama = self.engine.llama
        model = llama._model
        template = llama.metadata.get("tokenizer.chat_template") or CHATML_TEMPLATE
        self._native_tools = template_renders_tools(template)
        return Jinja2ChatFormatter(
            template=template,
            eos_token=model.token_get_text(model.token_eos()),
            bos_token=model.token_get_text(model.token_bos()),
        )


def _stops(stop: str | list[str] | None) -> list[str]:
    if stop is None:
        return []
    return [stop] if isinstance(stop, str) else list(stop)


def _unsupported(model: str, param: str, what: str) -> InvalidRequest:
    return InvalidRequest(
        f"The local model `{model}` does not support {what}.",
        param=param,
        code="unsupported_parameter",
    )


# Where `n > 1` and logprobs are to be had instead: models behind an OpenAI-style upstream.
_UPSTREAM_HINT = "; send it to a model on an OpenAI-compatible or Azure OpenAI provider"


def reject_unsupported_chat_fields(model: str, request: ChatCompletionRequest) -> None:
    """A field we cannot honour is refused, never silently dropped."""
    if request.n is not None and request.n > 1:
        raise _unsupported(model, "n", "n > 1 (one choice per request)" + _UPSTREAM_HINT)
    if request.functions or request.function_call is not None:
        raise _unsupported(model, "functions", "the deprecated `functions` (use `tools`)")
    if request.logprobs or request.top_logprobs:
        raise _unsupported(model, "logprobs", "logprobs" + _UPSTREAM_HINT)
    if request.logit_bias:
        raise _unsupported(model, "logit_bias", "logit_bias")
    if request.audio is not None or (request.modalities and "audio" in request.modalities):
        raise _unsupported(model, "modalities", "audio output")
    for position, message in enumerate(request.messages):
        if message.has_non_text_parts():
            raise _unsupported(model, f"messages[{position}].content", "non-text content parts")


def reject_unsupported_text_fields(model: str, request: CompletionRequest) -> None:
    if request.n is not None and request.n > 1:
        raise _unsupported(model, "n", "n > 1 (one choice per prompt)" + _UPSTREAM_HINT)
    if request.best_of is not None and request.best_of > 1:
        raise _unsupported(model, "best_of", "best_of > 1")
    if request.logprobs is not None:
        raise _unsupported(model, "logprobs", "logprobs" + _UPSTREAM_HINT)
    if request.logit_bias:
        raise _unsupported(model, "logit_bias", "logit_bias")
