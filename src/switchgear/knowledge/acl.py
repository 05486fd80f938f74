"""Who may read a document, and who is asking.

A document carries an `Acl`: a set of principals, each `public`, `user:NAME`, `team:NAME` or
`app:NAME`. A `Reader` (the caller's key identity) may read a document when any of its own
principals is in that set. The check runs inside the retrieval SQL (see `sqlite_index`); the
Python `allows` here exists for callers that hold a single document and for tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

PUBLIC = "public"
KINDS = ("user", "team", "app")
_NAME = re.compile(r"^[^\s:,][^\s,]*$")


class AclError(ValueError):
    """An ACL entry that is not `public`, `user:NAME`, `team:NAME` or `app:NAME`."""


@dataclass(frozen=True, slots=True)
class Reader:
    """The caller's identity, as the auth step resolved it from the API key. `auditor`
    passes every ACL: only the admin API's audited `scope: "all"` search builds one (no key
    identity can, see `stages.knowledge.reader_of`)."""

    user: str | None = None
    team: str | None = None
    app: str | None = None
    auditor: bool = False

    @classmethod
    def everything(cls) -> Reader:
        """The operator's auditor scope: every document, whatever its ACL."""
        return cls(auditor=True)

    def principals(self) -> tuple[str, ...]:
        """`public` plus one principal per known attribute; this is what the SQL filters on."""
        found = [PUBLIC]
        for kind, name in (("user", self.user), ("team", self.team), ("app", self.app)):
            if name:
                found.append(f"{kind}:{name}")
        return tuple(found)


@dataclass(frozen=True, slots=True)
class Acl:
    principals: frozenset[str]

    @classmethod
    def parse(cls, entries: Iterable[str]) -> Acl:
        """`["team:hr", "user:alice"]` or `["public"]`. Empty is refused: nobody could read it."""
        found: set[str] = set()
        for raw in entries:
            entry = raw.strip()
            if entry.lower() == PUBLIC:
                found.add(PUBLIC)
                continue
            kind, sep, name = entry.partition(":")
            kind = kind.strip().lower()
            name = name.strip()
            if not sep or kind not in KINDS or not _NAME.match(name):
                raise AclError(
                    f"`{raw}` is not an ACL entry: use `public`, `user:NAME`, `team:NAME` "
                    "or `app:NAME`"
                )
            found.add(f"{kind}:{name}")
        if not found:
            raise AclError(
                "an ACL needs at least one entry (`public`, `user:…`, `team:…`, `app:…`)"
            )
        return cls(frozenset(found))

    @classmethod
    def public(cls) -> Acl:
        return cls(frozenset({PUBLIC}))

    def key(self) -> str:
        """A canonical text form, the same for equal ACLs: `team:hr,user:alice`."""
        return ",".join(sorted(self.principals))

    def entries(self) -> list[str]:
        return sorted(self.principals)

    def allows(self, reader: Reader) -> bool:
        return reader.auditor or not self.principals.isdisjoint(reader.principals())
