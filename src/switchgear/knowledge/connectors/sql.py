"""Rows of a Postgres query as documents: `id, title, body, updated_at, acl`.

The listing reads `id, updated_at, acl` of every row (no bodies), so a sync notices edited rows
by `updated_at`, deleted ones by their missing id, and permission changes by `acl`; only the
rows that changed are read in full. Each row becomes `<connector>/<id>.<format>`: Markdown
(`# title` then the body), plain text, or HTML (the body as it is, the title as `<title>`).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from switchgear.knowledge.acl import Acl, AclError
from switchgear.knowledge.connectors.base import RemoteDocument, SourceError


@dataclass(frozen=True, slots=True)
class SqlConnector:
    name: str
    dsn: str
    query: str
    format: str
    fallback: Acl

    def list_documents(self) -> Iterator[RemoteDocument]:
        # The configured query is wrapped, never edited: it stays the operator's own SQL.
        rows = self._select(f"SELECT id::text, updated_at, acl FROM ({self.query}) AS q")
        for row_id, updated_at, acl in rows:
            yield RemoteDocument(
                source=f"{self.name}/{_file_name(row_id)}.{self.format}",
                version=str(updated_at),
                acl=self._acl(row_id, acl),
                fetch=self._row_reader(row_id),
            )

    def _acl(self, row_id: str, raw: Any) -> Acl:
        if raw is None:
            return self.fallback
        entries = raw.split(",") if isinstance(raw, str) else list(raw)
        try:
            return Acl.parse(entries)
        except AclError as error:
            # Refusing the listing is safer than guessing who may read the row.
            raise SourceError(f"row {row_id}: {error}") from error

    def _row_reader(self, row_id: str) -> Callable[[], bytes]:
        def read() -> bytes:
            rows = self._select(
                f"SELECT title, body FROM ({self.query}) AS q WHERE id::text = %s", (row_id,)
            )
            if not rows:
                raise SourceError(f"row {row_id} is gone")
            title, body = str(rows[0][0] or row_id), str(rows[0][1] or "")
            return _render(title, body, self.format).encode()

        return read

    def _select(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        import psycopg

        try:
            with psycopg.connect(self.dsn, connect_timeout=10) as db:
                db.read_only = True  # a sync only ever reads the source
                rows: list[Any] = db.execute(sql.encode(), params or None).fetchall()
                return rows
        except psycopg.Error as error:
            raise SourceError(f"query failed: {str(error).strip()}") from error


def _file_name(row_id: str) -> str:
    return row_id.replace("/", "_").replace("\\", "_") or "_"


def _render(title: str, body: str, format_: str) -> str:
    if format_ == "html":
        return f"<html><head><title>{html.escape(title)}</title></head><body>{body}</body></html>"
    if format_ == "md":
        return f"# {title}\n\n{body}\n"
    return f"{title}\n\n{body}\n"
