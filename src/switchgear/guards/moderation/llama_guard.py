"""The LLM judge: Llama Guard 3's prompt format sent to any configured route, its verdict
(`safe`, or `unsafe` and a line of S-codes) parsed and mapped to OpenAI's categories."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from switchgear.guards.moderation.base import BackendFailed, ModerationResult, result_from_scores

Complete = Callable[[str], Awaitable[str]]

CATEGORIES = {
    "S1": "Violent Crimes",
    "S2": "Non-Violent Crimes",
    "S3": "Sex-Related Crimes",
    "S4": "Child Sexual Exploitation",
    "S5": "Defamation",
    "S6": "Specialized Advice",
    "S7": "Privacy",
    "S8": "Intellectual Property",
    "S9": "Indiscriminate Weapons",
    "S10": "Hate",
    "S11": "Suicide & Self-Harm",
    "S12": "Sexual Content",
    "S13": "Elections",
    "S14": "Code Interpreter Abuse",
}
# Llama Guard codes -> OpenAI moderation categories (S6, S7, S8, S13 have no OpenAI twin).
TO_OPENAI: dict[str, tuple[str, ...]] = {
    "S1": ("violence", "illicit/violent"),
    "S2": ("illicit",),
    "S3": ("sexual",),
    "S4": ("sexual/minors", "sexual"),
    "S5": ("harassment",),
    "S9": ("violence", "illicit/violent"),
    "S10": ("hate",),
    "S11": ("self-harm",),
    "S12": ("sexual",),
    "S14": ("illicit",),
}


def build_prompt(
    conversation: Sequence[tuple[str, str]], *, role: str = "User", special_tokens: bool = False
) -> str:
    """`conversation` is (role, text) pairs with role "User" or "Agent"; the verdict is about
    the last message of `role`. With `special_tokens`, the Llama 3 chat header tokens are
    included (for a raw completion endpoint); without, send it as one user message."""
    categories = "\n".join(f"{code}: {name}." for code, name in CATEGORIES.items())
    turns = "\n\n".join(f"{who}: {text}" for who, text in conversation)
    body = (
        f"Task: Check if there is unsafe content in '{role}' messages in conversations according"
        " our safety policy with the below categories.\n\n"
        f"<BEGIN UNSAFE CONTENT CATEGORIES>\n{categories}\n<END UNSAFE CONTENT CATEGORIES>\n\n"
        f"<BEGIN CONVERSATION>\n\n{turns}\n\n<END CONVERSATION>\n\n"
        f"Provide your safety assessment for ONLY THE LAST {role} message in the above"
        " conversation:\n - First line must read 'safe' or 'unsafe'.\n"
        " - If unsafe, a second line must include a comma-separated list of violated categories."
    )
    if not special_tokens:
        return body
    return (
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n"
        f"{body}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
    )


def parse_verdict(answer: str) -> tuple[bool, list[str]]:
    """(unsafe, codes). Raises `BackendFailed` for anything that is not a verdict."""
    lines = [line.strip() for line in answer.strip().splitlines() if line.strip()]
    if not lines:
        raise BackendFailed("empty Llama Guard verdict")
    head = lines[0].lower().rstrip(".")
    if head == "safe":
        return False, []
    if head != "unsafe":
        raise BackendFailed("unreadable Llama Guard verdict")
    codes: list[str] = []
    for raw in (lines[1] if len(lines) > 1 else "").replace(" ", "").split(","):
        code = raw.upper()
        if code in CATEGORIES:
            codes.append(code)
        elif code:
            raise BackendFailed("unknown Llama Guard category in verdict")
    return True, codes


def verdict_result(unsafe: bool, codes: list[str]) -> ModerationResult:
    scores: dict[str, float] = {}
    for code in codes:
        for category in TO_OPENAI.get(code, ()):
            scores[category] = 1.0
    return result_from_scores(scores)


class LlamaGuardModerator:
    name = "llama_guard"
    stream_chunk_chars = 400

    def __init__(
        self, complete: Complete, *, special_tokens: bool = False, route: str = "judge"
    ) -> None:
        self._complete = complete
        self.model_name = f"llama-guard-3:{route}"
        self.special_tokens = special_tokens
        self.last_codes: list[list[str]] = []  # Llama Guard's own codes, for the ledger

    async def judge(self, conversation: Sequence[tuple[str, str]], role: str) -> ModerationResult:
        prompt = build_prompt(conversation, role=role, special_tokens=self.special_tokens)
        try:
            answer = await self._complete(prompt)
        except BackendFailed:
            raise
        except Exception as error:
            raise BackendFailed(f"Llama Guard route failed: {type(error).__name__}") from error
        unsafe, codes = parse_verdict(answer)
        self.last_codes.append(codes)
        return verdict_result(unsafe, codes)

    async def moderate(self, inputs: list[str]) -> list[ModerationResult]:
        return [await self.judge([("User", text)], "User") for text in inputs]
