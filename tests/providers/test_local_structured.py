"""Structured output on the embedded model: the response_format grammar itself (walked token
by token through llama.cpp's grammar sampler), and the real gateway answering the official
`openai` client's `response_format` and `chat.completions.parse` over loopback HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import httpx
import pytest
from bench.structured.run import ask
from bench.structured.schemas import generate
from openai import OpenAI
from pydantic import BaseModel, Field

from switchgear.providers.local_json_grammar import DATE, response_format_grammar
from switchgear.providers.local_sampling import ConstrainedSampler
from tests.gateway_process import GatewayProcess
from tests.providers.test_local_tools import as_regex

WHERE = "response_format.json_schema.schema"


class Grammar:
    """A response_format grammar, asked whether it accepts a whole answer."""

    def __init__(self, llama: Any, schema: dict[str, Any], max_tokens: int | None = None) -> None:
        from llama_cpp.llama_grammar import LlamaGrammar

        self.llama = llama
        text = response_format_grammar(schema, WHERE, max_tokens)
        self.grammar = LlamaGrammar.from_string(text, False)

    def accepts(self, answer: str) -> bool:
        import llama_cpp

        probe = ConstrainedSampler(self.llama.n_vocab())
        sampler = ConstrainedSampler.open(self.llama._model.vocab, self.grammar)
        try:
            for token in self.llama.tokenize(answer.encode(), add_bos=False, special=False):
                if not probe._allows(sampler, token):
                    return False
                llama_cpp.llama_sampler_accept(sampler, token)
            return probe._allows(sampler, self.llama.token_eos())  # the answer may end here
        finally:
            ConstrainedSampler.close(sampler)


@pytest.fixture(scope="module")
def llama() -> Iterator[Any]:
    from llama_cpp import Llama

    from switchgear.providers.plugin import embedded_model_path

    model = Llama(embedded_model_path(), vocab_only=True, verbose=False)
    yield model
    model.close()


# -- the grammar ------------------------------------------------------------------------------


def test_a_string_holds_escapes_never_raw_control_characters(llama: Any) -> None:
    note = Grammar(llama, {"type": "object", "properties": {"note": {"type": "string"}}})
    assert note.accepts('{"note": "line one\\nline two\\t\\"quoted\\" \\u00e9 \\ud83c\\udf89"}')
    assert note.accepts('{"note": "Zürich, 東京 🎉"}')
    for raw in ("\n", "\t", "\r", "\x00", "\x1b"):
        assert not note.accepts('{"note": "line one' + raw + 'line two"}'), repr(raw)
    assert not note.accepts('{"note": "lone \\ud83c surrogate"}')
    assert not note.accepts('{"note": "bad \\x escape"}')


def test_properties_follow_the_schema_order_optional_ones_anywhere(llama: Any) -> None:
    schema = {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "author": {"type": "string"},
            "year": {"type": "integer"},
            "notes": {"type": "string"},
        },
        "required": ["author", "notes"],
        "additionalProperties": False,
    }
    book = Grammar(llama, schema)
    assert book.accepts('{"title": "Dune", "author": "Herbert", "year": 1965, "notes": "ok"}')
    assert book.accepts('{"author": "Herbert", "notes": "ok"}')
    assert book.accepts('{"title": "Dune", "author": "Herbert", "notes": "ok"}')
    assert not book.accepts('{"author": "Herbert", "notes": "ok", "title": "Dune"}')
    assert not book.accepts('{"author": "Herbert", "title": "Dune", "notes": "ok"}')
    assert not book.accepts('{"title": "Dune", "notes": "ok"}')  # a required one missing


def test_literals_with_quotes_and_backslashes_are_written_exactly(llama: Any) -> None:
    schema = {"const": 'C:\\temp "x"'}
    path = Grammar(llama, {"type": "object", "properties": {"p": schema}, "required": ["p"]})
    assert path.accepts(json.dumps({"p": 'C:\\temp "x"'}))
    assert not path.accepts(json.dumps({"p": "C:temp x"}))


def test_the_date_rule_matches_exactly_the_real_dates() -> None:
    pattern = as_regex(DATE)
    years = [1, 4, 99, 100, 400, 1900, 1996, 2000, 2023, 2024, 2100, 9996, 9999]
    for year in years:
        for ordinal in range(date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal() + 1):
            day = date.fromordinal(ordinal)
            assert pattern.fullmatch(day.isoformat()), day
        for month in range(1, 13):
            for number in range(29, 33):
                text = f"{year:04d}-{month:02d}-{number:02d}"
                try:
                    date.fromisoformat(text)
                except ValueError:
                    assert not pattern.fullmatch(text), text
    for wrong in ("0000-01-01", "2024-00-10", "2024-13-01", "2024-01-00", "2024-1-01"):
        assert not pattern.fullmatch(wrong), wrong


# -- the real gateway -------------------------------------------------------------------------


class Review(BaseModel):
    """Fields deliberately not in alphabetical order."""

    title: str = Field(max_length=40)
    verdict: str = Field(max_length=60)
    author: str = Field(max_length=30)
    stars: int = Field(ge=1, le=5)
    best_quote: str = Field(max_length=60)


@pytest.mark.slow
def test_parse_returns_the_pydantic_model_with_properties_in_schema_order(
    client: OpenAI,
) -> None:
    completion = client.chat.completions.parse(
        model="default",
        messages=[{"role": "user", "content": "Review the film Casablanca, with a quote."}],
        response_format=Review,
        max_tokens=200,
        seed=11,
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "stop"
    review = choice.message.parsed
    assert isinstance(review, Review) and 1 <= review.stars <= 5
    keys = list(json.loads(choice.message.content or "", object_pairs_hook=dict))
    assert keys == ["title", "verdict", "author", "stars", "best_quote"]


@pytest.mark.slow
def test_a_string_that_invites_line_breaks_is_valid_json(client: OpenAI) -> None:
    schema = {
        "type": "object",
        "properties": {
            "poem": {"type": "string", "description": "four lines, one per line"},
            "title": {"type": "string", "maxLength": 30},
        },
        "required": ["poem", "title"],
        "additionalProperties": False,
    }
    fmt: Any = {"type": "json_schema", "json_schema": {"name": "poem", "schema": schema}}
    for seed in range(3):
        reply = client.chat.completions.create(
            model="default",
            messages=[{"role": "user", "content": "Write a four-line poem about the sea."}],
            response_format=fmt,
            max_tokens=300,
            seed=seed,
        )
        content = reply.choices[0].message.content or ""
        assert reply.choices[0].finish_reason == "stop", content
        poem = json.loads(content)  # strict: a raw control character in a string fails
        assert list(poem) == ["poem", "title"] and len(poem["title"]) <= 30


@pytest.mark.slow
def test_twenty_generated_schemas_all_answer_valid_and_in_order(client: OpenAI) -> None:
    """Generated by the bench's generator (bench/structured/schemas.py) with its own seed."""
    cases = generate(20, seed=7)
    # Four at a time: the engine decodes up to four sequences in one batch.
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda seed: ask(client, cases[seed], seed, 800), range(20)))
    failures = [(c.name, r["reason"], r.get("content")) for c, r in zip(cases, results, strict=True)
                if r["reason"] is not None or not r["order"]]  # fmt: skip
    assert not failures


def test_a_schema_keyword_the_grammar_cannot_enforce_gets_a_400(gateway: GatewayProcess) -> None:
    schema = {"type": "object", "properties": {"to": {"type": "string", "format": "email"}}}
    body = {
        "model": "default",
        "messages": [{"role": "user", "content": "Write an email address."}],
        "max_tokens": 20,
        "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}},
    }
    response = httpx.post(f"{gateway.base_url}/v1/chat/completions", json=body, timeout=60)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == f"{WHERE}.properties.to.format"
    assert error["code"] == "unsupported_parameter" and "format" in error["message"]


def test_a_free_text_string_always_ends_so_the_answer_is_whole_json() -> None:
    """A looping model cannot run a string on until `max_tokens` cuts the JSON: free text is
    bounded, a string the schema bounds keeps its own bound, tool arguments are untouched."""
    from switchgear.providers.local_json_bounds import MAX_UNBOUNDED_STRING, with_bounded_strings

    schema = {
        "type": "object",
        "properties": {
            "note": {"type": "string"},
            "code": {"type": "string", "maxLength": 5},
            "day": {"type": "string", "format": "date"},
            "essay": {"type": "string", "minLength": 500},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
    }
    bounded = with_bounded_strings(schema)["properties"]
    assert bounded["note"]["maxLength"] == MAX_UNBOUNDED_STRING
    assert bounded["code"]["maxLength"] == 5 and "maxLength" not in bounded["day"]
    assert bounded["essay"]["maxLength"] == 500
    assert bounded["tags"]["items"]["maxLength"] == MAX_UNBOUNDED_STRING
    assert "maxLength" not in schema["properties"]["note"]  # the caller's schema is not changed


def test_strings_end_inside_free_form_values_and_schema_strings_alike(llama: Any) -> None:
    """A looping model cannot run a string on inside an "any object" value either (there the
    converter's own string rule writes it), nor in a string the schema leaves unbounded."""
    from switchgear.providers.local_json_bounds import MAX_UNBOUNDED_STRING

    free = Grammar(llama, {"type": "object", "properties": {"d": {"type": "object"}}})
    note = Grammar(llama, {"type": "object", "properties": {"note": {"type": "string"}}})
    fits, over = "j" * MAX_UNBOUNDED_STRING, "j" * (MAX_UNBOUNDED_STRING + 1)
    assert free.accepts(json.dumps({"d": {"w": fits}}))
    assert not free.accepts(json.dumps({"d": {"w": over}}))
    assert note.accepts(json.dumps({"note": fits}))
    assert not note.accepts(json.dumps({"note": over}))


def test_a_pattern_with_unbounded_repetition_still_ends(llama: Any) -> None:
    from switchgear.providers.local_json_bounds import MAX_UNBOUNDED_STRING, bounded_pattern

    assert bounded_pattern("^[a-z+]+(-[a-z]*)?$") == (
        f"^[a-z+]{{1,{MAX_UNBOUNDED_STRING}}}(-[a-z]{{0,{MAX_UNBOUNDED_STRING}}})?$"
    )
    word = Grammar(llama, {"type": "object", "properties": {"w": {"pattern": "^[a-z]+$"}}})
    assert word.accepts(json.dumps({"w": "j" * MAX_UNBOUNDED_STRING}))
    assert not word.accepts(json.dumps({"w": "j" * (MAX_UNBOUNDED_STRING + 1)}))


def test_many_strings_share_the_answers_budget_so_it_still_ends_as_json(llama: Any) -> None:
    """With a small `max_tokens` and many strings, each string is bounded shorter, so that
    all of them together cannot run the answer past its budget; one string keeps the most."""
    from switchgear.providers.local_json_bounds import MAX_UNBOUNDED_STRING

    item = {"type": "object", "properties": {"w": {"pattern": "^[a-z]+(-[a-z]+)?$"}}}
    many = {"type": "object", "properties": {"list": {"type": "array", "items": item,
                                                         "maxItems": 3}}}  # fmt: skip
    grammar = Grammar(llama, many, max_tokens=120)
    # 3 items x 2 repetitions = 6 open strings in 120 tokens (at 2 characters a token, half
    # of them for strings): 20 characters each.
    assert grammar.accepts(json.dumps({"list": [{"w": "j" * 20 + "-" + "k" * 20}] * 3}))
    assert not grammar.accepts(json.dumps({"list": [{"w": "j" * 21}]}))
    one = {"type": "object", "properties": {"note": {"type": "string"}}}
    roomy = Grammar(llama, one, max_tokens=800)
    assert roomy.accepts(json.dumps({"note": "j" * MAX_UNBOUNDED_STRING}))
