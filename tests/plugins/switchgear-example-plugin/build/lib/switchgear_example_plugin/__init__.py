"""An example third-party plugin: a provider kind (`shouting`: answers the last user message
in capitals), a PII recogniser (`EMPLOYEE_ID`, like `EMP-123456`) and a pipeline stage
(`example.trace`: appends each finished trip's door and status to a file)."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncGenerator, Callable, Iterator
from typing import Any

from switchgear.guards.entities import Span
from switchgear.plugins import PiiRecognizer, ProviderKind, ProviderSetup, StageKind, hookimpl
from switchgear.schema.generation import Delta, Usage
from switchgear.schema.requests import TextPrompt
from switchgear.stages.base import StageBase

_EMPLOYEE_ID = re.compile(r"\bEMP-\d{6}\b")


class ShoutingProvider:
    def __init__(self, setup: ProviderSetup) -> None:
        assert setup.settings is not None
        self.suffix = str(setup.settings.options.get("suffix", "!"))

    async def send(self, model: str, request: Any) -> AsyncGenerator[Delta, None]:
        if isinstance(request, TextPrompt):
            text = str(request.prompt)
        else:
            text = request.messages[-1].text()
        answer = text.upper() + self.suffix
        yield Delta(text=answer)
        yield Delta(finish_reason="stop", usage=Usage(len(text.split()), len(answer.split())))

    def is_ready(self) -> bool:
        return True

    async def start(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


def employee_ids(text: str) -> Iterator[Span]:
    for match in _EMPLOYEE_ID.finditer(text):
        yield Span(match.start(), match.end(), "EMPLOYEE_ID", 0.99, "pattern")


class TraceStage(StageBase):
    name = "example.trace"
    kinds = None

    def finish(self, trip: Any, outcome: BaseException | None) -> None:
        path = os.environ.get("EXAMPLE_TRACE_FILE")
        if path:
            status = "ok" if outcome is None else type(outcome).__name__
            with open(path, "a", encoding="utf-8") as out:
                out.write(f"{trip.endpoint} {status}\n")


@hookimpl
def register_providers(register: Callable[[ProviderKind], None]) -> None:
    register(ProviderKind("shouting", ShoutingProvider))


@hookimpl
def register_pii_recognizers(register: Callable[[PiiRecognizer], None]) -> None:
    register(PiiRecognizer("employee_id", ("EMPLOYEE_ID",), employee_ids))


@hookimpl
def register_stages(register: Callable[[StageKind], None]) -> None:
    register(StageKind("example.trace", lambda context: TraceStage()))
