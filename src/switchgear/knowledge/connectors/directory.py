"""A folder tree: each file one document, version = size and modification time (ns).

Sources are `<connector>/<path in the folder>`. Permissions, first that applies: the config's
`acl` globs (matched against the path in the folder), the nearest `.acl` sidecar file in the
document's folder or above it, the connector's default. Hidden files and folders are skipped,
as `switchgear ingest` does, and so are symbolic links.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from switchgear.knowledge.acl import Acl, AclError
from switchgear.knowledge.connectors.base import (
    PathAcls,
    RemoteDocument,
    SourceError,
    nearest_sidecar,
    parse_acl_file,
)

ACL_FILE = ".acl"


@dataclass(frozen=True, slots=True)
class DirectoryConnector:
    name: str
    root: Path
    acls: PathAcls
    acl_files: bool = True

    def list_documents(self) -> Iterator[RemoteDocument]:
        if not self.root.is_dir():
            raise SourceError(f"{self.root} is not a folder")
        sidecars, files = self._walk()
        for relative, path in files:
            acl = self.acls.rule_for(relative) or nearest_sidecar(relative, sidecars)
            try:
                stat = path.stat()
            except OSError:
                continue  # deleted while listing: the next sync sees it gone
            yield RemoteDocument(
                source=f"{self.name}/{relative}",
                version=f"{stat.st_size}:{stat.st_mtime_ns}",
                acl=acl or self.acls.fallback,
                fetch=path.read_bytes,
            )

    def _walk(self) -> tuple[dict[str, Acl], list[tuple[str, Path]]]:
        sidecars: dict[str, Acl] = {}
        files: list[tuple[str, Path]] = []
        try:
            for directory, subdirs, names in os.walk(self.root, onerror=_raise):
                subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
                folder = Path(directory).relative_to(self.root).as_posix()
                folder = "" if folder == "." else folder
                if self.acl_files and ACL_FILE in names:
                    sidecars[folder] = _sidecar(Path(directory) / ACL_FILE)
                for name in sorted(names):
                    path = Path(directory) / name
                    # A link could point anywhere the gateway may read: never followed.
                    if not name.startswith((".", "~$")) and not path.is_symlink():
                        files.append((f"{folder}/{name}".lstrip("/"), path))
        except OSError as error:
            raise SourceError(f"cannot list {self.root}: {error}") from error
        return sidecars, files


def _sidecar(path: Path) -> Acl:
    """A bad `.acl` file fails the whole listing: guessing wider permissions would leak."""
    try:
        return parse_acl_file(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, AclError) as error:
        raise SourceError(f"{path}: {error}") from error


def _raise(error: OSError) -> None:
    raise error
