"""Structured output on the embedded model: how many schema-constrained answers are valid and
keep the schema's property order, and what building their grammars costs.

  answers   `switchgear serve` with the embedded model, through the official `openai` client
            over loopback HTTP: every generated schema (schemas.py) as `response_format`
            json_schema with `strict: true`, one request at a time. An answer is valid when it
            parses as JSON (Python's strict parser: no raw control characters in strings)
            and validates against its schema (jsonschema, draft 2020-12, with the formats
            checked); its order is correct when every object lists its properties in the
            schema's order. An answer cut by `max_tokens` is asked again with twice the
            tokens, up to --max-tokens-cap; one still cut counts as invalid. Four requests
            at a time (--concurrency), as the engine batches up to four sequences.
  grammars  in-process, the same schemas: llama.cpp's converter as Switchgear called it
            before (from `json.dumps(schema, sort_keys=True)`), Switchgear's converter, and
            llguidance's compiler when it is importable; text build and llama.cpp's parse.

    .venv/bin/python bench/structured/run.py [--count 200] [--seed 2024] [--grammars-only]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from datetime import time as clock
from pathlib import Path
from typing import Any

import jsonschema
from openai import BadRequestError, OpenAI

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bench.structured.schemas import Case, generate  # noqa: E402
from tests.gateway_process import GatewayProcess  # noqa: E402

FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    # jsonschema checks these only with rfc3339-validator installed; RFC 3339 needs an offset.
    return not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None


@FORMATS.checks("time", raises=ValueError)
def _time(value: object) -> bool:
    return not isinstance(value, str) or clock.fromisoformat(value).tzinfo is not None


def verdict(case: Case, content: str) -> tuple[str | None, bool]:
    """(why the answer is invalid or None, whether every object keeps the schema's order)."""
    try:
        value = json.loads(content)
    except ValueError:
        return "json", False
    validator = jsonschema.Draft202012Validator(case.schema, format_checker=FORMATS)
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    reason = None if error is None else f"schema: {error.validator}"
    return reason, in_schema_order(value, case.schema, case.schema)


def in_schema_order(value: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    if "$ref" in schema:
        schema = root["$defs"][schema["$ref"].rsplit("/", 1)[1]]
    if "anyOf" in schema:
        for option in schema["anyOf"]:
            with_defs = {**option, "$defs": root.get("$defs", {})}
            if jsonschema.Draft202012Validator(with_defs).is_valid(value):
                return in_schema_order(value, option, root)
        return True  # no option matches: already counted as invalid
    if isinstance(value, dict) and "properties" in schema:
        listed = list(schema["properties"])
        written = [key for key in value if key in schema["properties"]]
        if written != [key for key in listed if key in value]:
            return False
        return all(in_schema_order(value[k], schema["properties"][k], root) for k in written)
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return all(in_schema_order(item, schema["items"], root) for item in value)
    return True


def ask(client: OpenAI, case: Case, seed: int, cap: int) -> dict[str, Any]:
    budget, retries = case.max_tokens, 0
    fmt = {"type": "json_schema", "json_schema": {"name": "answer", "schema": case.schema,
           "strict": True}}  # fmt: skip
    started = time.perf_counter()
    while True:
        try:
            reply = client.chat.completions.create(
                model="default",
                messages=[{"role": "user", "content": case.prompt}],
                response_format=fmt,  # type: ignore[arg-type]
                max_tokens=budget,
                seed=seed,
            )
        except BadRequestError as error:
            seconds = time.perf_counter() - started
            return {"reason": f"400: {error.message[:120]}", "order": False, "retries": retries,
                    "finish": "400", "tokens": 0, "seconds": seconds}  # fmt: skip
        finish = reply.choices[0].finish_reason
        if finish != "length" or budget >= cap:
            break
        budget, retries = min(cap, budget * 2), retries + 1
    content = reply.choices[0].message.content or ""
    reason, ordered = verdict(case, content)
    if finish == "length":
        reason = "cut by max_tokens"
    return {
        "reason": reason, "order": ordered, "retries": retries, "finish": finish,
        "tokens": reply.usage.completion_tokens if reply.usage else 0,
        "seconds": time.perf_counter() - started, "content": content,
    }  # fmt: skip


def answers(cases: list[Case], cap: int, concurrency: int) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="switchgear-structured-") as data:
        gateway = GatewayProcess(Path(data))
        try:
            client = OpenAI(
                base_url=f"{gateway.base_url}/v1", api_key="unused", max_retries=0, timeout=600
            )
            # The engine decodes up to four sequences in one batch: four at a time by default.
            with ThreadPoolExecutor(concurrency) as pool:
                futures = [
                    pool.submit(ask, client, case, seed, cap) for seed, case in enumerate(cases)
                ]
                results = []
                for future in futures:
                    results.append(future.result())
                    if len(results) % 20 == 0:
                        valid = sum(r["reason"] is None for r in results)
                        print(f"  {len(results)}/{len(cases)} asked, {valid} valid", flush=True)
            return results
        finally:
            gateway.stop()


def report(cases: list[Case], results: list[dict[str, Any]]) -> None:
    total = len(results)
    valid = sum(r["reason"] is None for r in results)
    ordered = sum(r["order"] for r in results)
    reasons = Counter(r["reason"] for r in results if r["reason"] is not None)
    finishes = Counter(r["finish"] for r in results)
    retried = sum(r["retries"] > 0 for r in results)
    seconds = [r["seconds"] for r in results]
    print(f"valid {valid}/{total}, schema order {ordered}/{total}")
    print(f"invalid by reason {dict(reasons) or '{}'}")
    print(f"finish reasons {dict(finishes)}; {retried} asked again after finish_reason=length")
    print(
        f"latency mean {statistics.mean(seconds):.2f}s p50 {statistics.median(seconds):.2f}s, "
        f"completion tokens mean {statistics.mean(r['tokens'] for r in results):.0f}"
    )
    shown = 0
    for case, result in zip(cases, results, strict=True):
        if (result["reason"] is not None or not result["order"]) and shown < 4:
            shown += 1
            print(f"  {case.name}: {result['reason'] or 'order'}: {result.get('content', '')!r}")


# -- grammar build time ---------------------------------------------------------------------


def grammar_times(cases: list[Case]) -> None:
    import llama_cpp
    from llama_cpp import Llama
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    from switchgear.providers.plugin import embedded_model_path

    llama = Llama(embedded_model_path(), vocab_only=True, verbose=False)
    vocab = llama._model.vocab

    def before(schema: dict[str, Any]) -> str:
        return str(json_schema_to_gbnf(json.dumps(schema, sort_keys=True)))

    builders = {"llama.cpp converter, sorted keys (before)": before}
    try:
        from switchgear.providers.local_json_grammar import response_format_grammar
    except ImportError:
        pass
    else:
        builders["switchgear converter (after)"] = lambda schema: response_format_grammar(
            schema, "response_format.json_schema.schema"
        )
    for label, build in builders.items():
        texts, parses, failed = [], [], 0
        for case in cases:
            started = time.perf_counter()
            try:
                grammar = build(case.schema)
            except Exception:
                failed += 1
                continue
            texts.append(time.perf_counter() - started)
            started = time.perf_counter()
            sampler = llama_cpp.llama_sampler_init_grammar(vocab, grammar.encode(), b"root")
            parses.append(time.perf_counter() - started)
            if not sampler:
                failed += 1
            else:
                llama_cpp.llama_sampler_free(sampler)
        print(
            f"{label}: {failed} failed; " + _times("build", texts) + "; " + _times("parse", parses)
        )
    llguidance_times(cases, llama)


def llguidance_times(cases: list[Case], llama: Any) -> None:
    """llguidance's compile of the same schemas with the model's vocabulary, when it is
    importable (it is not a dependency: see bench/RESULTS.md)."""
    try:
        import llguidance
        import llguidance.llamacpp
    except ImportError:
        print("llguidance: not importable, skipped")
        return
    tokenizer = llguidance.llamacpp.lltokenizer_from_vocab(llama._model.vocab)
    times, failed = [], 0
    for case in cases:
        started = time.perf_counter()
        grammar = llguidance.LLMatcher.grammar_from_json_schema(case.schema)
        matcher = llguidance.LLMatcher(tokenizer, grammar)
        times.append(time.perf_counter() - started)
        failed += matcher.is_error()
    print(f"llguidance {llguidance.__version__}: {failed} failed; " + _times("compile", times))


def _times(label: str, seconds: list[float]) -> str:
    if not seconds:
        return f"{label} -"
    ms = sorted(s * 1000 for s in seconds)
    return (
        f"{label} mean {statistics.mean(ms):.2f} ms, p50 {ms[len(ms) // 2]:.2f}, max {ms[-1]:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--max-tokens-cap", type=int, default=800)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--grammars-only", action="store_true")
    args = parser.parse_args()
    cases = generate(args.count, args.seed)
    print(f"{len(cases)} schemas (seed {args.seed})")
    grammar_times(cases)
    if not args.grammars_only:
        results = answers(cases, args.max_tokens_cap, args.concurrency)
        report(cases, results)


if __name__ == "__main__":
    main()
