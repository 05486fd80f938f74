"""template: a route's persona, or the template a request names (`prompt_id`, the LiteLLM
way), rendered into a system message and few-shot turns ahead of the caller's messages. It
runs before knowledge and guards.in, so the rendered prompt is screened like the rest."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import msgspec

from switchgear.schema.errors import InvalidRequest
from switchgear.schema.requests import ChatCompletionRequest
from switchgear.stages.base import Stage, StageBase
from switchgear.stages.context import StageContext
from switchgear.store.sql import SqlStore
from switchgear.templates.render import VariableProblem, bind_variables, render_messages
from switchgear.templates.versions import TemplateBook, TemplateVersion
from switchgear.trip import Trip


class TemplateStage(StageBase):
    name = "template"
    kinds = frozenset({"chat.completions"})

    def __init__(self, book: TemplateBook, route_templates: dict[str, str]) -> None:
        self.book = book
        self.route_templates = route_templates  # route -> the template its requests get

    async def enter(self, trip: Trip) -> None:
        request = trip.request
        if not isinstance(request, ChatCompletionRequest):
            return
        name = request.prompt_id or self.route_templates.get(trip.model)
        if name is None:
            if request.prompt_version is not None or request.prompt_variables:
                raise InvalidRequest(
                    f"`{trip.model}` has no prompt template; name one with `prompt_id`.",
                    param="prompt_id",
                    code="template_not_found",
                )
            return
        chosen = await self._find(name, request.prompt_version)
        template = chosen.template
        try:
            values = bind_variables(template, chosen.label, request.prompt_variables or {})
            rendered = render_messages(template, values)
        except VariableProblem as problem:
            raise InvalidRequest(
                str(problem), param=problem.param, code="template_variable_invalid"
            ) from problem
        except Exception as error:  # the sandbox refused what the template tried, or it raised
            raise InvalidRequest(
                f"Template `{chosen.label}` failed to render: {error}",
                param="prompt_id",
                code="template_render_failed",
            ) from error
        trip.request = msgspec.structs.replace(
            request,
            messages=[*rendered, *request.messages],
            prompt_id=None,
            prompt_version=None,
            prompt_variables=None,
        )
        trip.template = chosen.label

    async def _find(self, name: str, version: int | None) -> TemplateVersion:
        found = self.book.find(name, version)
        if found is None:  # perhaps put through another replica since this one last read
            await asyncio.to_thread(self.book.reload_if_stale)
            found = self.book.find(name, version)
        if found is not None:
            return found
        versions = self.book.versions_of(name)
        if not versions:
            raise InvalidRequest(
                f"No prompt template `{name}`.", param="prompt_id", code="template_not_found"
            )
        raise InvalidRequest(
            f"Template `{name}` has no version {version} (versions: "
            f"{', '.join(map(str, versions))}).",
            param="prompt_version",
            code="template_version_not_found",
        )


def template_stage(stages: Sequence[Stage]) -> TemplateStage:
    """The gateway's template stage, for the admin API."""
    for stage in stages:
        if isinstance(stage, TemplateStage):
            return stage
    raise LookupError("the pipeline has no template stage")


def build(context: StageContext) -> TemplateStage:
    store = context.ledger.store
    assert isinstance(store, SqlStore), "templates are kept in the SQL store"
    book = TemplateBook(store)
    book.sync_config(context.config.templates)
    routes = {name: r.template for name, r in context.config.routes.items() if r.template}
    return TemplateStage(book, routes)
