"""Hypothesis strategies from the JSON Schemas in the gateway's /openapi.json (the subset
msgspec writes: $ref, anyOf, type, properties, required, items, enum, const, bounds), plus
mutations of what they produce, so a fuzzer sends both plausible and broken requests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

JSON_LEAF = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
)
ANY_JSON = st.recursive(
    JSON_LEAF,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def from_schema(
    schema: dict[str, Any], defs: dict[str, Any], depth: int = 0
) -> st.SearchStrategy[Any]:
    if depth > 6:
        return JSON_LEAF
    if "$ref" in schema:
        return from_schema(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, depth + 1)
    if "anyOf" in schema:
        return st.one_of([from_schema(s, defs, depth + 1) for s in schema["anyOf"]])
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([from_schema({**schema, "type": k}, defs, depth) for k in kind])
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        if not properties:
            return st.dictionaries(st.text(max_size=12), ANY_JSON, max_size=3)
        fields = {name: from_schema(sub, defs, depth + 1) for name, sub in properties.items()}
        return st.fixed_dictionaries(
            {k: v for k, v in fields.items() if k in required},
            optional={k: v for k, v in fields.items() if k not in required},
        )
    if kind == "array":
        items = from_schema(schema.get("items", {}), defs, depth + 1)
        return st.lists(items, min_size=schema.get("minItems", 0), max_size=4)
    if kind == "string":
        return st.text(max_size=60)
    if kind == "integer":
        low, high = schema.get("minimum"), schema.get("maximum")
        return st.integers(min_value=low, max_value=high) | st.integers()
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False) | st.integers()
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return ANY_JSON


def mutated(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A generated body with one thing broken: a field dropped, retyped or added."""

    @st.composite
    def mutate(draw: st.DrawFn) -> Any:
        body = draw(valid)
        if not isinstance(body, dict) or not body:
            return draw(ANY_JSON)
        body = dict(body)
        key = draw(st.sampled_from(sorted(body)))
        action = draw(st.sampled_from(["drop", "retype", "add"]))
        if action == "drop":
            del body[key]
        elif action == "retype":
            body[key] = draw(ANY_JSON)
        else:
            body[draw(st.text(min_size=1, max_size=12))] = draw(ANY_JSON)
        return body

    return mutate()
