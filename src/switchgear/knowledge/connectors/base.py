"""What every connector gives the sync engine: a listing of remote documents.

A connector's `list_documents()` names every document the source holds now, each with a
version token (a blob sha, an ETag, a version number, an `updated_at`) and the principals the
source lets read it. Listing is cheap; the bytes are fetched only for documents whose token
changed, so a sync with nothing changed reads and embeds nothing. A source that cannot be
listed at all (HTTP 500, a refused login, a missing folder) raises `SourceError`: the engine
then leaves the index as it was instead of reading "no documents" as "every document was
deleted".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Protocol

from switchgear.knowledge.acl import Acl


class SourceError(RuntimeError):
    """The source cannot be listed (unreachable, refused, malformed); nothing is changed."""


@dataclass(frozen=True, slots=True)
class RemoteDocument:
    """One document at its source. `source` is its name in the collection and carries the
    extension that picks the reader (`.md`, `.html`, `.pdf`, …); a title the source keeps
    apart from the text (a wiki page's, a row's) is written into the fetched bytes (`<title>`,
    `# heading`), where the reader finds it as it does in a file."""

    source: str
    version: str
    acl: Acl
    fetch: Callable[[], bytes]


class Connector(Protocol):
    def list_documents(self) -> Iterator[RemoteDocument]:
        """Every document the source holds now; raises `SourceError` when it cannot say."""
        ...


@dataclass(frozen=True, slots=True)
class PathAcls:
    """ACLs for sources named by path: the first glob in `rules` that matches (config order),
    else the `fallback`. Globs match the whole path; `*` crosses folders (`hr/*` covers
    `hr/leave/2025.md`)."""

    rules: tuple[tuple[str, Acl], ...]
    fallback: Acl

    @classmethod
    def of(cls, rules: Mapping[str, Iterable[str]], fallback: Acl) -> PathAcls:
        return cls(tuple((glob, Acl.parse(entries)) for glob, entries in rules.items()), fallback)

    def rule_for(self, path: str) -> Acl | None:
        return next((acl for glob, acl in self.rules if fnmatchcase(path, glob)), None)

    def for_path(self, path: str) -> Acl:
        return self.rule_for(path) or self.fallback


def parse_acl_file(text: str) -> Acl:
    """A sidecar `.acl` file: principals separated by lines or commas, `#` starts a comment."""
    entries = [
        entry
        for line in text.splitlines()
        for entry in line.split("#", 1)[0].split(",")
        if entry.strip()
    ]
    return Acl.parse(entries)


def nearest_sidecar(path: str, sidecars: Mapping[str, Acl]) -> Acl | None:
    """The ACL of the `.acl` file in the document's folder or the closest folder above it;
    `sidecars` maps a folder (`""` for the root, else `a/b`) to its file's ACL."""
    folder = path.rpartition("/")[0]
    while True:
        if folder in sidecars:
            return sidecars[folder]
        if not folder:
            return None
        folder = folder.rpartition("/")[0]
