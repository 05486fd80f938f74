"""Renders a template's texts with jinja2's sandbox: the operator's template may not reach
Python internals, and a variable the caller sends is a value, never template code."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment

from switchgear.schema.messages import Message
from switchgear.templates.config import TemplateConfig

# StrictUndefined: a name the text uses without a value fails loudly instead of rendering "".
_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


class TemplateSyntaxProblem(ValueError):
    """A template text jinja2 cannot parse."""


class VariableProblem(ValueError):
    """A request's `prompt_variables` that the template cannot render with; `param` names
    the variable as the caller spelled it (`prompt_variables.tone`)."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


def variables_used(text: str) -> set[str]:
    """The names a text reads (jinja's own analysis, so `{% set %}` locals do not count)."""
    try:
        return set(meta.find_undeclared_variables(_ENV.parse(text)))
    except TemplateSyntaxError as error:
        raise TemplateSyntaxProblem(f"{error.message} (line {error.lineno})") from error
    except RecursionError as error:  # nesting deeper than the parser's stack
        raise TemplateSyntaxProblem("nested too deeply") from error


@lru_cache(maxsize=256)
def _compiled(text: str) -> Template:
    return _ENV.from_string(text)


def bind_variables(
    template: TemplateConfig, label: str, given: Mapping[str, str]
) -> dict[str, str]:
    """Each declared variable's value: the caller's, else its default; an optional one without
    either renders empty. An undeclared or missing required variable is refused."""
    unknown = sorted(set(given) - set(template.variables))
    if unknown:
        declared = ", ".join(f"`{v}`" for v in template.variables) or "none"
        raise VariableProblem(
            f"Template `{label}` has no variable `{unknown[0]}` (its variables: {declared}).",
            f"prompt_variables.{unknown[0]}",
        )
    values: dict[str, str] = {}
    for name, variable in template.variables.items():
        value = given.get(name, variable.default)
        if value is None and variable.required:
            raise VariableProblem(
                f"Template `{label}` needs the variable `{name}`; send it in `prompt_variables`.",
                f"prompt_variables.{name}",
            )
        values[name] = value or ""
    return values


def render_text(text: str, values: Mapping[str, str]) -> str:
    return _compiled(text).render(values)


def render_messages(template: TemplateConfig, values: Mapping[str, str]) -> list[Message]:
    """The system message and the few-shot turns the template puts before the caller's."""
    messages = [Message(role="system", content=render_text(template.system, values))]
    for example in template.examples:
        messages.append(Message(role="user", content=render_text(example.user, values)))
        messages.append(Message(role="assistant", content=render_text(example.assistant, values)))
    return messages


__all__ = [
    "TemplateSyntaxProblem",
    "VariableProblem",
    "bind_variables",
    "render_messages",
    "variables_used",
]
