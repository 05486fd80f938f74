"""What `switchgear doctor` found: one finding per check, printed as a line or as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Literal

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True, slots=True)
class Finding:
    status: Status
    check: str  # what was checked: `config`, `store`, `provider openai`…
    finding: str  # what doctor saw, in a phrase
    fix: str | None = None  # what to do about it; only when the status is not ok


def ok(check: str, finding: str) -> Finding:
    return Finding("ok", check, finding)


def warn(check: str, finding: str, fix: str) -> Finding:
    return Finding("warn", check, finding, fix)


def fail(check: str, finding: str, fix: str) -> Finding:
    return Finding("fail", check, finding, fix)


def format_text(findings: list[Finding]) -> str:
    """`ok|warn|fail <check>: <finding>`, one line each (the status padded so the checks line
    up), and the fix indented on the line after."""
    lines = []
    for f in findings:
        lines.append(f"{f.status:<4} {f.check}: {f.finding}")
        if f.fix:
            lines.append(f"     fix: {f.fix}")
    return "\n".join(lines)


def format_json(findings: list[Finding]) -> str:
    body = {"ok": passed(findings), "checks": [asdict(f) for f in findings]}
    return json.dumps(body, indent=2)


def passed(findings: list[Finding]) -> bool:
    """Warnings do not fail the run: they name something worth a look, not a broken setup."""
    return all(f.status != "fail" for f in findings)
