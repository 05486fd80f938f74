"""The local model's answer when it may call tools: stop sequences that end its text but never a
call, and the reader that turns the grammar-shaped text into OpenAI tool-call pieces.

The grammar (local_tool_grammar.py) guarantees the shape, so the reader is a plain streaming
scanner. Answers that may hold several calls also end early: a 135M model allowed several
calls tends to write the same call, or small variations of it, until max_tokens. A call
identical to an earlier one is dropped and ends the answer (a client would only run it
twice), and no call is begun that max_tokens is unlikely to leave room for.
"""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
from typing import Any

from switchgear.providers.local_tool_grammar import TOOL_CALL_CLOSE, TOOL_CALL_OPEN
from switchgear.providers.stop_scanner import StopScanner
from switchgear.schema.generation import FINISH_STOP, FINISH_TOOL_CALLS, Delta, ToolCallDelta

_HEAD = re.compile(r'\s*\{\s*"name"\s*:\s*"([^"]*)"\s*,\s*"arguments"\s*:\s*(?=\{)')


def _held_tag_prefix(text: str) -> int:
    """How many characters at the end of `text` could begin the opening tag."""
    for length in range(min(len(TOOL_CALL_OPEN) - 1, len(text)), 0, -1):
        if TOOL_CALL_OPEN.startswith(text[-length:]):
            return length
    return 0


class ToolAnswerScanner:
    """The engine's scanner (its thread, one `feed` per token) for an answer that may hold
    calls. Stop sequences end the text before the first call, never a call (a `stop` of "\\n"
    would cut every call). It follows the calls with a reader of its own and ends the answer
    right after a complete call when the model repeats one, or when max_tokens could not hold
    another call as long as the longest so far: a later call cut by the budget would be
    dropped anyway (see ToolCallReader), so the answer ends on whole calls with the usage the
    engine counted."""

    def __init__(self, stops: list[str], max_tokens: int) -> None:
        self._scanner = StopScanner(stops)
        self._held = ""
        self._calling = False
        self._calls = ToolCallReader()
        self._budget = max_tokens
        self._tokens = 0
        self._last_call_end = 0
        self._longest_call = 0
        self.stopped = False

    @property
    def matched(self) -> str | None:
        return self._scanner.matched

    def feed(self, text: str) -> str:
        self._tokens += 1
        if self._calling:
            self._follow(text)
            return text
        buffer = self._held + text
        tag = buffer.find(TOOL_CALL_OPEN)
        if tag >= 0:
            before = self._scanner.feed(buffer[:tag])
            self._held = ""
            if self._scanner.stopped:
                self.stopped = True
                return before
            self._calling = True
            self._last_call_end = self._tokens - 1
            self._follow(buffer[tag:])
            return before + self._scanner.flush() + buffer[tag:]
        keep = _held_tag_prefix(buffer)
        self._held = buffer[len(buffer) - keep :]
        out = self._scanner.feed(buffer[: len(buffer) - keep])
        self.stopped = self._scanner.stopped
        return out

    def _follow(self, text: str) -> None:
        closed = self._calls.closed
        self._calls.translate(Delta(text=text))
        if self._calls.repeated:
            self.stopped = True
        elif self._calls.closed > closed:
            self._longest_call = max(self._longest_call, self._tokens - self._last_call_end)
            self._last_call_end = self._tokens
            if self._budget - self._tokens < self._longest_call * 5 // 4 + 4:
                self.stopped = True

    def flush(self) -> str:
        if self.stopped:
            return ""
        held, self._held = self._held, ""
        out = self._scanner.feed(held)
        self.stopped = self._scanner.stopped
        return out if self.stopped else out + self._scanner.flush()


class ToolCallReader:
    """Text and OpenAI tool-call pieces from the streamed answer. The first call streams as
    generated (its first piece carries the id and name); later calls are held until complete,
    so that a repeat of an earlier call, or one cut by max_tokens, is dropped whole."""

    def __init__(self) -> None:
        self._state = "text"  # text -> head -> arguments -> tail -> text ... | done
        self._buffer = ""
        self._depth = 0
        self._in_string = False
        self._escaped = False
        self._name = ""
        self._arguments = ""
        self._held: list[ToolCallDelta] = []
        self._seen: list[tuple[str, Any]] = []
        self.calls = 0  # complete calls sent
        self.closed = 0  # calls whose closing tag has been read

    @property
    def repeated(self) -> bool:
        """A call repeated an earlier one: it was dropped, and the answer is over."""
        return self._state == "done"

    def translate(self, delta: Delta) -> Delta | None:
        """The client's delta for one of the engine's; None when there is nothing to send yet."""
        text, pieces = self._feed(delta.text)
        if delta.finish_reason is None:
            if not text and not pieces:
                return None
            return dataclasses.replace(delta, text=text, tool_calls=tuple(pieces))
        if self._state == "text" and not self.calls:
            text += self._buffer  # a partial tag at the very end is text after all
        # A held call cut by max_tokens is dropped: only whole calls leave after the first.
        finish = delta.finish_reason
        if self.calls and (finish == FINISH_STOP or self._state == "done"):
            finish = FINISH_TOOL_CALLS
        stop = delta.stop_sequence if finish != FINISH_TOOL_CALLS else None
        return dataclasses.replace(
            delta, text=text, tool_calls=tuple(pieces), finish_reason=finish, stop_sequence=stop
        )

    def _feed(self, text: str) -> tuple[str, list[ToolCallDelta]]:
        out: list[str] = []
        pieces: list[ToolCallDelta] = []
        self._buffer += text
        while self._buffer and self._state != "done":
            if self._state == "text":
                tag = self._buffer.find(TOOL_CALL_OPEN)
                cut = tag if tag >= 0 else len(self._buffer) - _held_tag_prefix(self._buffer)
                if not self.calls:  # between calls the grammar allows only whitespace
                    out.append(self._buffer[:cut])
                if tag < 0:
                    self._buffer = self._buffer[cut:]
                    break
                self._buffer = self._buffer[tag + len(TOOL_CALL_OPEN) :]
                self._state = "head"
            elif self._state == "head":
                head = _HEAD.match(self._buffer)
                if head is None:
                    break
                call_id = f"call_{secrets.token_urlsafe(18)}"
                self._name = head.group(1)
                self._emit(pieces, ToolCallDelta(self.calls, id=call_id, name=self._name))
                self._buffer = self._buffer[head.end() :]
                self._state, self._depth, self._arguments = "arguments", 0, ""
            elif self._state == "arguments":
                end = self._arguments_end()
                piece = self._buffer if end < 0 else self._buffer[:end]
                self._arguments += piece
                self._emit(pieces, ToolCallDelta(self.calls, arguments=piece))
                self._buffer = "" if end < 0 else self._buffer[end:]
                if end >= 0:
                    self._state = "tail"
                    self._call_complete(pieces)
            else:
                close = self._buffer.find(TOOL_CALL_CLOSE)
                if close < 0:
                    break
                self._buffer = self._buffer[close + len(TOOL_CALL_CLOSE) :]
                self._state = "text"
                self.closed += 1
        return "".join(out), _merged(pieces)

    def _emit(self, pieces: list[ToolCallDelta], piece: ToolCallDelta) -> None:
        (self._held if self.calls else pieces).append(piece)

    def _call_complete(self, pieces: list[ToolCallDelta]) -> None:
        try:
            call: tuple[str, Any] = (self._name, json.loads(self._arguments))
        except ValueError:  # not expected under the grammar; compared as text then
            call = (self._name, self._arguments)
        held, self._held = self._held, []
        if call in self._seen:
            self._state = "done"
            return
        self._seen.append(call)
        pieces.extend(held)
        self.calls += 1

    def _arguments_end(self) -> int:
        """Where the arguments object closes in the buffer (-1: not yet), tracking JSON
        strings so braces inside them do not count."""
        for position, char in enumerate(self._buffer):
            if self._in_string:
                if self._escaped:
                    self._escaped = False
                elif char == "\\":
                    self._escaped = True
                elif char == '"':
                    self._in_string = False
            elif char == '"':
                self._in_string = True
            elif char in "{[":
                self._depth += 1
            elif char in "}]":
                self._depth -= 1
                if self._depth == 0:
                    return position + 1
        return -1


def _merged(pieces: list[ToolCallDelta]) -> list[ToolCallDelta]:
    """Consecutive argument pieces of one call as one (the head stays its own piece)."""
    out: list[ToolCallDelta] = []
    for piece in pieces:
        last = out[-1] if out else None
        if last is not None and last.index == piece.index and piece.id is None and last.id is None:
            out[-1] = dataclasses.replace(last, arguments=last.arguments + piece.arguments)
        elif piece.id is not None or piece.arguments:
            out.append(piece)
    return out
