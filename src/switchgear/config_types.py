"""What the config schema expects at a field, for error messages that say what would be valid.

msgspec reports a bad enum value as "Invalid enum value 'x'" without the choices; walking the
schema's type info to the failing field recovers them, for every `Literal` field at once."""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import inspect


def allowed_values(root: type[Any], path: tuple[str | int, ...]) -> list[str] | None:
    """The values a `Literal` field at `path` accepts, or None when it is not an enum."""
    info: inspect.Type | None = inspect.type_info(root)
    for part in path:
        info = _child(info, part)
        if info is None:
            return None
    literals = [t for t in _alternatives(info) if isinstance(t, inspect.LiteralType)]
    if not literals:
        return None
    return [str(value) for literal in literals for value in literal.values]


def enum_message(root: type[Any], path: tuple[str | int, ...], message: str) -> str:
    """`message`, plus the allowed values when it is msgspec's enum complaint."""
    if not message.startswith("Invalid enum value"):
        return message
    values = allowed_values(root, path)
    if not values:
        return message
    return f"{message}; allowed: {', '.join(values)}"


ANY_KEY = "[...]"  # how msgspec writes a dict key in an error's path


def fill_dict_keys(
    root: type[Any], data: Any, path: tuple[str | int, ...], message: str
) -> tuple[str | int, ...]:
    """`path` with each `[...]` replaced by the dict key whose entry fails with `message`:
    every entry of that dict is tried alone, so the operator is told which one is wrong."""
    if ANY_KEY not in path:
        return path
    at = path.index(ANY_KEY)
    parent = _walk(data, path[:at])
    if not isinstance(parent, dict):
        return path
    for key, entry in parent.items():
        trial = _replace(data, path[:at], {key: entry})
        try:
            msgspec.convert(trial, root, strict=True)
        except msgspec.ValidationError as error:
            if str(error).startswith(message):
                return fill_dict_keys(root, data, (*path[:at], key, *path[at + 1 :]), message)
    return path


def _walk(data: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        if isinstance(data, dict) and isinstance(part, str):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data


def _replace(data: Any, path: tuple[str | int, ...], value: Any) -> Any:
    """A copy of `data` with the node at `path` replaced (only the spine is copied)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        return {**data, head: _replace(data[head], rest, value)}
    copy = list(data)
    copy[int(head)] = _replace(copy[int(head)], rest, value)
    return copy


def _alternatives(info: inspect.Type | None) -> list[inspect.Type]:
    if isinstance(info, inspect.UnionType):
        return list(info.types)
    return [] if info is None else [info]


def _child(info: inspect.Type | None, part: str | int) -> inspect.Type | None:
    for option in _alternatives(info):
        if isinstance(option, inspect.StructType) and isinstance(part, str):
            for field in option.fields:
                if part in (field.encode_name, field.name):
                    return field.type
        elif isinstance(option, inspect.DictType) and isinstance(part, str):
            return option.value_type
        elif isinstance(option, inspect.ListType | inspect.SetType | inspect.FrozenSetType):
            if isinstance(part, int):
                return option.item_type
        elif isinstance(option, inspect.VarTupleType) and isinstance(part, int):
            return option.item_type
    return None
