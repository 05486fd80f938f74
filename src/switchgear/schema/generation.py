"""What a provider yields: text deltas, then one final delta per choice with its finish reason
(the last of them with the usage)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass


@dataclass(slots=True, frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def as_dict(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }


@dataclass(slots=True, frozen=True)
class ToolCallDelta:
    """A piece of one tool call, OpenAI-style: `id` and `name` on its first piece, then
    `arguments` (a JSON text) arriving in fragments. `index` tells the calls of one answer apart.
    """

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


@dataclass(slots=True, frozen=True)
class TopLogprob:
    """One of the likeliest tokens at a position, sampled or not."""

    token: str
    logprob: float | None
    utf8_bytes: tuple[int, ...] | None = None  # where the upstream gives them


@dataclass(slots=True, frozen=True)
class TokenLogprob:
    """One sampled token of an answer with its log probability, as the upstream reported it.
    `logprob` is None only where a legacy completions upstream gave null."""

    token: str
    logprob: float | None
    utf8_bytes: tuple[int, ...] | None = None
    top: tuple[TopLogprob, ...] = ()

    def utf8(self) -> bytes:
        """The token's text as bytes: a token may hold half of a multi-byte character, which
        only its `bytes` spell exactly."""
        return bytes(self.utf8_bytes) if self.utf8_bytes is not None else self.token.encode("utf-8")


@dataclass(slots=True, frozen=True)
class Delta:
    """A piece of one choice of an answer (`index`); `finish_reason` comes only on the choice's
    last delta, and `usage` once per answer, on the last delta of all."""

    text: str = ""
    finish_reason: str | None = None
    usage: Usage | None = None
    index: int = 0
    tool_calls: tuple[ToolCallDelta, ...] = ()
    # On the last delta of an answer ended by one of the request's stop sequences, where the
    # provider says which (the Messages API reports it).
    stop_sequence: str | None = None
    # The tokens the upstream sampled for this piece, when the request asked for logprobs.
    # They may run ahead of `text` (a guard holding text back lets them pass); the API edge
    # sends a token only once the text the client got spells it (see `LogprobGate`).
    logprobs: tuple[TokenLogprob, ...] = ()


class LogprobGate:
    """Releases one choice's token logprobs only where they spell exactly the answer text the
    client received, byte for byte, in order.

    Logprob tokens are answer text too: a guard that rewrote the text (a redacted value, a
    restored pseudonym) or cut it (content filter) must not let the original tokens out. Once
    the tokens and the text disagree, the rest of the choice's logprobs are dropped: after a
    rewrite no later token can be placed in the text honestly. Tokens the text never reaches
    (cut off, or left behind by a stop sequence) are dropped at the end.
    """

    def __init__(self) -> None:
        self._text = b""  # text sent but not yet spelled by a released token
        self._tokens: list[TokenLogprob] = []  # tokens received but not yet spelled by text
        self._chars = 0  # characters spelled by released tokens, for `text_offset`
        self.diverged = False

    def feed(
        self, text: str, tokens: tuple[TokenLogprob, ...] = ()
    ) -> list[tuple[int, TokenLogprob]]:
        """The tokens that may go out with `text` now, each with its character offset in the
        choice's text."""
        if self.diverged:
            return []
        self._text += text.encode("utf-8")
        self._tokens.extend(tokens)
        released: list[tuple[int, TokenLogprob]] = []
        while self._tokens:
            spelled = self._tokens[0].utf8()
            if not self._text.startswith(spelled):
                if not spelled.startswith(self._text):  # the text went another way
                    self.diverged = True
                    self._tokens.clear()
                break  # the text has not reached the end of this token yet
            # Characters start at every byte that is not a UTF-8 continuation byte; a token
            # that starts inside a character is placed at that character.
            inside = bool(spelled) and spelled[0] & 0xC0 == 0x80
            released.append((self._chars - inside, self._tokens.pop(0)))
            self._text = self._text[len(spelled) :]
            self._chars += sum(1 for byte in spelled if byte & 0xC0 != 0x80)
        return released

    def finish(self) -> None:
        """The choice ended: tokens its text never reached are dropped."""
        self._tokens.clear()


FINISH_STOP = "stop"
FINISH_LENGTH = "length"
FINISH_TOOL_CALLS = "tool_calls"
FINISH_CONTENT_FILTER = "content_filter"

# A stream of deltas. Always an async generator, so `aclose()` exists and stops the work
# behind it (an upstream connection, a decode loop) as soon as the consumer lets go.
DeltaStream = AsyncGenerator[Delta, None]
