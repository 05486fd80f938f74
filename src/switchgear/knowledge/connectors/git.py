"""A Git repository at one branch, through the `git` command line.

The repository (a local path, bare or not, or any URL `git clone` takes) is mirrored into a
bare clone under the data folder; each sync fetches the branch and lists its tree with
`git ls-tree`. The version token of a file is its blob sha, so the files that differ between
the last synced commit and the new one are exactly those whose sha changed (renames are a
removal and an addition). Sources are `<connector>/<path in the repository>`; permissions
come from the config's globs, then `.acl` files committed in the tree, then the default.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from switchgear.knowledge.acl import Acl, AclError
from switchgear.knowledge.connectors.base import (
    PathAcls,
    RemoteDocument,
    SourceError,
    nearest_sidecar,
    parse_acl_file,
)

ACL_FILE = ".acl"
GIT_TIMEOUT_S = 300


@dataclass(frozen=True, slots=True)
class TreeEntry:
    path: str
    blob: str


@dataclass(frozen=True, slots=True)
class GitConnector:
    name: str
    repository: str
    branch: str
    mirror: Path
    acls: PathAcls
    subdir: str = ""
    acl_files: bool = True

    def list_documents(self) -> Iterator[RemoteDocument]:
        commit = self._update()
        entries = self._tree(commit)
        sidecars = self._sidecars(entries) if self.acl_files else {}
        prefix = self.subdir.strip("/")
        for entry in entries:
            name = PurePosixPath(entry.path).name
            if name.startswith((".", "~$")) or any(
                part.startswith(".") for part in PurePosixPath(entry.path).parts[:-1]
            ):
                continue
            if prefix and not entry.path.startswith(prefix + "/"):
                continue
            acl = self.acls.rule_for(entry.path) or nearest_sidecar(entry.path, sidecars)
            yield RemoteDocument(
                source=f"{self.name}/{entry.path}",
                version=entry.blob,
                acl=acl or self.acls.fallback,
                fetch=self._blob_reader(entry.blob),
            )

    def _update(self) -> str:
        """Clones on first use, fetches the branch after; the branch's commit sha."""
        if not (self.mirror / "HEAD").exists():
            self.mirror.parent.mkdir(parents=True, exist_ok=True)
            self._git(
                "clone", "--bare", "--quiet", "--", self.repository, str(self.mirror), bare=False
            )
        refspec = f"+refs/heads/{self.branch}:refs/heads/{self.branch}"
        self._git("fetch", "--quiet", "--prune", "--", self.repository, refspec)
        return self._git("rev-parse", "--verify", f"refs/heads/{self.branch}^{{commit}}").strip()

    def _tree(self, commit: str) -> list[TreeEntry]:
        out = self._git("ls-tree", "-r", "-z", "--full-tree", commit)
        entries = []
        for record in out.split("\0"):
            if not record:
                continue
            meta, _, path = record.partition("\t")
            mode, kind, blob = meta.split(" ")
            if kind == "blob" and mode != "120000":  # symlinks are not documents
                entries.append(TreeEntry(path, blob))
        return entries

    def _sidecars(self, entries: list[TreeEntry]) -> dict[str, Acl]:
        found = {}
        for entry in entries:
            path = PurePosixPath(entry.path)
            if path.name == ACL_FILE:
                folder = "" if str(path.parent) == "." else str(path.parent)
                try:
                    found[folder] = parse_acl_file(self._blob_reader(entry.blob)().decode())
                except (UnicodeDecodeError, AclError) as error:
                    raise SourceError(f"{entry.path} at {self.branch}: {error}") from error
        return found

    def _blob_reader(self, blob: str) -> Callable[[], bytes]:
        def read() -> bytes:
            return self._run(["cat-file", "blob", blob], bare=True).stdout

        return read

    def _git(self, *args: str, bare: bool = True) -> str:
        return self._run(list(args), bare=bare).stdout.decode("utf-8", "replace")

    def _run(self, args: list[str], *, bare: bool) -> subprocess.CompletedProcess[bytes]:
        command = ["git", *(["--git-dir", str(self.mirror)] if bare else []), *args]
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                timeout=GIT_TIMEOUT_S,
                check=False,
                env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},  # fail, never wait for a login
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise SourceError(f"git {args[0]}: {error}") from error
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise SourceError(f"git {args[0]} failed: {message[-1] if message else done}")
        return done
