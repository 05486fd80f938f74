"""The `templates:` section: named system prompts (personas) with variables and examples.

```yaml
templates:
  innkeeper:
    version: 3                       # optional: the stored version this text is
    system: "You are {{ character }}, an innkeeper. Speak in a {{ tone }} tone."
    variables:
      character: {default: Mira}
      tone: {required: true}
    examples:
      - {user: "Any rooms free?", assistant: "One, by the fire."}
routes:
  tavern: {targets: [default], template: innkeeper}
```

The text is a Jinja template (`{{ name }}`, `{% if %}`), rendered in a sandbox with every
variable declared here: one the text uses but does not declare is a config error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Annotated, Protocol

import msgspec

# Names end up in the ledger as `name@version`, so neither may hold `@` or spaces.
TEMPLATE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
Problem = tuple[tuple[str | int, ...], str]


class TemplateVariable(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    default: str | None = None
    required: bool = False
    description: str | None = None


class TemplateExample(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One few-shot exchange, sent after the system prompt as a user and an assistant turn."""

    user: str
    assistant: str


class TemplateConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    system: str
    version: Annotated[int, msgspec.Meta(ge=1)] | None = None
    variables: dict[str, TemplateVariable] = {}
    examples: list[TemplateExample] = []
    description: str | None = None

    def texts(self) -> Iterator[tuple[tuple[str | int, ...], str]]:
        """Each text the template renders, with its path inside the template."""
        yield ("system",), self.system
        for i, example in enumerate(self.examples):
            yield ("examples", i, "user"), example.user
            yield ("examples", i, "assistant"), example.assistant


class HasTemplate(Protocol):
    @property
    def template(self) -> str | None: ...


def template_problems(
    template: TemplateConfig, at: tuple[str | int, ...] = ()
) -> Iterator[Problem]:
    """What is wrong with one template: its names, its Jinja syntax, undeclared variables."""
    from switchgear.templates.render import TemplateSyntaxProblem, variables_used

    for name, variable in template.variables.items():
        where = (*at, "variables", name)
        if not VARIABLE_NAME.match(name):
            yield where, f"variable name `{name}` must be a Python-style identifier"
        if variable.required and variable.default is not None:
            yield where, "a variable is either `required` or has a `default`, not both"
    for path, text in template.texts():
        try:
            used = variables_used(text)
        except TemplateSyntaxProblem as problem:
            yield (*at, *path), f"not a valid template: {problem}"
            continue
        undeclared = sorted(used - set(template.variables))
        if undeclared:
            yield (
                (*at, *path),
                (
                    f"uses {', '.join(f'`{v}`' for v in undeclared)}, which `variables` does not "
                    "declare (give each a `default` or `required: true`)"
                ),
            )


def problems(
    templates: Mapping[str, TemplateConfig], routes: Mapping[str, HasTemplate]
) -> list[Problem]:
    """What is wrong with `templates:` and with the routes that name one."""
    out: list[Problem] = []
    for name, template in templates.items():
        if not TEMPLATE_NAME.match(name):
            out.append(
                (
                    ("templates", name),
                    f"template name `{name}` must be 1-64 letters, digits or `_.:-`",
                )
            )
        out.extend(template_problems(template, ("templates", name)))
    for name, route in routes.items():
        if route.template is not None and route.template not in templates:
            known = ", ".join(sorted(templates)) or "none configured"
            out.append(
                (("routes", name, "template"), f"unknown template `{route.template}` ({known})")
            )
    return out


__all__ = ["TemplateConfig", "TemplateExample", "TemplateVariable", "problems", "template_problems"]
