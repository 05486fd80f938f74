"""Reads the repository's Dockerfile into stages of instructions, as Docker's parser sees them
(continuation lines joined, comment lines dropped, ARG defaults substituted into FROM)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from tests.packaging.repo import REPO

DOCKERFILE = REPO / "Dockerfile"


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: FROM, RUN, ENV, ...
    args: str


@dataclass(frozen=True)
class Stage:
    image: str
    name: str | None
    instructions: list[Instruction]

    def all(self, keyword: str) -> list[str]:
        return [i.args for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> str:
        found = self.all(keyword)
        assert found, f"stage {self.name or self.image} has no {keyword}"
        return found[-1]

    def env(self) -> dict[str, str]:
        """ENV KEY=VALUE pairs (the only form this Dockerfile uses), later ones winning."""
        pairs: dict[str, str] = {}
        for args in self.all("ENV"):
            for match in re.finditer(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)', args):
                pairs[match[1]] = match[2].strip('"')
        return pairs

    def exec_form(self, keyword: str) -> list[str]:
        """The JSON (exec) form of the last CMD, or of the command after HEALTHCHECK's options."""
        args = self.last(keyword)
        if keyword == "HEALTHCHECK":
            args = args.split(" CMD ", 1)[1]
        argv = json.loads(args)
        assert isinstance(argv, list), f"{keyword} is not in exec (JSON) form: {args}"
        return [str(a) for a in argv]


def instructions(text: str) -> list[Instruction]:
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        logical.append(pending + line)
        pending = ""
    if pending:
        logical.append(pending.strip())
    parsed = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        parsed.append(Instruction(keyword.upper(), args.strip()))
    return parsed


def stages(path: Path = DOCKERFILE) -> list[Stage]:
    """Each FROM and what follows it, with the image written as Docker resolves it."""
    global_args: dict[str, str] = {}
    found: list[Stage] = []
    for instruction in instructions(path.read_text()):
        if instruction.keyword == "ARG" and not found:
            arg, _, default = instruction.args.partition("=")
            global_args[arg] = default
        elif instruction.keyword == "FROM":
            words = instruction.args.split()
            image = re.sub(r"\$\{?(\w+)\}?", lambda m: global_args.get(m[1], m[0]), words[0])
            stage_name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            found.append(Stage(image, stage_name, []))
        else:
            assert found, f"{instruction.keyword} before the first FROM"
            found[-1].instructions.append(instruction)
    return found
