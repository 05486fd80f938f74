"""API keys and other secrets: known token formats, `key = value` assignments, and long
high-entropy strings."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator

from switchgear.guards import entities as E
from switchgear.guards.entities import Span

_TOKEN_FORMATS = re.compile(
    r"(?<![\w\-])(?:"
    r"sk-(?:proj-|ant-(?:api\d\d-)?|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"  # OpenAI, Anthropic
    r"|(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}"  # AWS access key ids
    r"|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,}"  # GitHub
    r"|glpat-[A-Za-z0-9_\-]{20,}"  # GitLab
    r"|xox[abposr]-[A-Za-z0-9\-]{10,}"  # Slack
    r"|(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}"  # Stripe
    r"|AIza[0-9A-Za-z_\-]{35}"  # Google API keys
    r"|ya29\.[0-9A-Za-z_\-]{20,}"  # Google OAuth tokens
    r"|hf_[A-Za-z0-9]{30,}"  # Hugging Face
    r"|SG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}"  # SendGrid
    r"|eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"  # JWT
    r"|npm_[A-Za-z0-9]{36}|pypi-[A-Za-z0-9_\-]{50,}"  # package registries
    r"|(?:AC|SK)[0-9a-f]{32}"  # Twilio
    r")(?![\w\-])"
)
_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----[\s\S]{0,8192}?-----END (?:[A-Z]+ )*PRIVATE KEY-----"
)
_CONNECTION = re.compile(r"(?<=://)[^\s:/@]{1,64}:[^\s@/]{3,128}(?=@)")
_ASSIGNMENT = re.compile(
    r"(?i)(?<![\w])(?:api[_\-]?key|secret(?:[_\-]?key)?|access[_\-]?token|auth[_\-]?token"
    r"|password|passwd|pwd|client[_\-]?secret|private[_\-]?key)"
    r"[\"']?\s*(?:[:=]|=>)\s*[\"']?([^\s\"',;]{8,})"
    r"|(?i:bearer)\s+([A-Za-z0-9\-._~+/]{16,}=*)"
)
_CANDIDATE = re.compile(r"(?<![\w+/=\-])[A-Za-z0-9+/_\-=.]{24,}(?![\w+/=\-])")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")


def shannon_entropy(value: str) -> float:
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _looks_random(value: str) -> bool:
    if _UUID.match(value) or ("." in value.strip(".") and value.count(".") > 2):
        return False
    classes = sum(
        (any(c.islower() for c in value), any(c.isupper() for c in value),
         any(c.isdigit() for c in value))
    )  # fmt: skip
    if _HEX.match(value):
        return False  # commit hashes and checksums; hex keys are caught by `key = value`
    if classes < 3:
        return False
    return shannon_entropy(value) >= 4.0


def secret_tokens(text: str) -> Iterator[Span]:
    """Known token formats and high-entropy strings (all of which contain a digit)."""
    for m in _TOKEN_FORMATS.finditer(text):
        yield Span(m.start(), m.end(), E.SECRET, 0.99, "pattern")
    for m in _CANDIDATE.finditer(text):
        if _looks_random(m.group()):
            yield Span(m.start(), m.end(), E.SECRET, 0.7, "entropy")


def secret_assignments(text: str) -> Iterator[Span]:
    """`password = ...`, `Bearer ...` and credentials in URLs."""
    if "://" in text:
        for m in _CONNECTION.finditer(text):
            yield Span(m.start(), m.end(), E.SECRET, 0.9, "pattern")
    for m in _ASSIGNMENT.finditer(text):
        group = 1 if m.group(1) is not None else 2
        yield Span(m.start(group), m.end(group), E.SECRET, 0.85, "context")


def private_keys(text: str) -> Iterator[Span]:
    start = text.find("-----BEGIN ")
    while start != -1:
        m = _PRIVATE_KEY.match(text, start)
        if m is not None:
            yield Span(m.start(), m.end(), E.SECRET, 0.99, "pattern")
        start = text.find("-----BEGIN ", start + 1)


def secrets(text: str) -> Iterator[Span]:
    yield from secret_tokens(text)
    yield from secret_assignments(text)
    yield from private_keys(text)
