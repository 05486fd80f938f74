"""Version bookkeeping inside a store's write transaction, the same SQL on SQLite and Postgres
(only the parameter mark and table names differ).

A superseded document's chunks carry their ACL id negated (`-acl_id`) in every table the
ranking queries filter on (`chunks`, and SQLite's vec0 `chunk_vectors`, whose metadata column
cannot be added to after creation). The ranking queries' `acl_id IN (readable ids)` thus
skips superseded chunks inside the scan that ranks, like an unreadable one, and
`versions: all` adds the negated readable ids (`store.readable_acl_ids`). The document row
keeps the real ACL id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from switchgear.knowledge.acl import PUBLIC
from switchgear.knowledge.versions import VersionFacts, VersionMember, detected_group, superseded_by

_SEPARATOR = "\n"  # between `supersedes` names: a source name never holds a newline


def version_columns(documents: str, blob: str) -> list[str]:
    """Migration `knowledge.m003_versions`: the documents table's version columns. Documents
    stored before it have no signature, so they are matched as near-duplicates once they are
    ingested again (a date or `supersedes` in metadata works at once)."""
    added = [
        "version_group TEXT",
        "effective_date TEXT",
        "supersedes TEXT NOT NULL DEFAULT ''",
        "superseded_by TEXT",
        f"signature {blob}",
    ]
    return [f"ALTER TABLE {documents} ADD COLUMN {column}" for column in added] + [
        f"CREATE INDEX {documents}_version_group ON {documents} (collection_id, version_group)"
    ]


@dataclass(frozen=True, slots=True)
class VersionTables:
    mark: str  # the driver's parameter mark: `?` or `%s`
    documents: str
    chunks: str
    vectors: str | None = None  # a table keyed by `chunk_id` with its own `acl_id` copy
    acl_sets: str = "acl_sets"  # id -> `Acl.key()`, to compare members' readers


def group_of(db: Any, tables: VersionTables, document_id: int) -> tuple[int, str | None]:
    """The document's collection id and version group."""
    row = db.execute(
        f"SELECT collection_id, version_group FROM {tables.documents} WHERE id = {tables.mark}",
        (document_id,),
    ).fetchone()
    return int(row[0]), row[1]


def record_versions(
    db: Any,
    tables: VersionTables,
    document_id: int,
    source: str,
    facts: VersionFacts,
    old_group: str | None,
) -> None:
    """Stores a just-written document's version facts, puts it in its group (explicit, named
    by `supersedes`, or detected) and reorders that group and the one it may have left."""
    t, m = tables, tables.mark
    collection_id, acl_id = db.execute(
        f"SELECT collection_id, acl_id FROM {t.documents} WHERE id = {m}", (document_id,)
    ).fetchone()
    others: list[tuple[str, str | None, bytes]] = []
    if facts.supersedes:
        marks = ", ".join(m for _ in facts.supersedes)
        named = db.execute(
            f"SELECT source, version_group FROM {t.documents} "
            f"WHERE collection_id = {m} AND source IN ({marks})",
            (collection_id, *facts.supersedes),
        ).fetchall()
        others += [(r[0], r[1], b"") for r in named]
    if facts.signature and not facts.version_group:
        # Near-duplicates are looked for among documents with the same readers only: a
        # version nobody of them may read must not hide the one they may.
        similar = db.execute(
            f"SELECT source, version_group, signature FROM {t.documents} "
            f"WHERE collection_id = {m} AND id != {m} AND acl_id = {m} "
            "AND signature IS NOT NULL",
            (collection_id, document_id, acl_id),
        ).fetchall()
        others += [(r[0], r[1], bytes(r[2])) for r in similar]
    group = detected_group(source, facts, others)
    # Newer documents that name this one in `supersedes` (it may arrive after them).
    naming = [
        (r[0], r[1])
        for r in db.execute(
            f"SELECT source, version_group, supersedes FROM {t.documents} "
            f"WHERE collection_id = {m} AND id != {m} AND supersedes != ''",
            (collection_id, document_id),
        ).fetchall()
        if source in _names(r[2])
    ]
    if group is None and naming:
        group = naming[0][1] or naming[0][0]
    db.execute(
        f"UPDATE {t.documents} SET version_group = {m}, effective_date = {m}, "
        f"supersedes = {m}, signature = {m} WHERE id = {m}",
        (
            group,
            facts.effective_date,
            _SEPARATOR.join(facts.supersedes),
            facts.signature,
            document_id,
        ),
    )
    if group is not None:
        # A group is named after its first member: that member (and a newer document naming
        # this one) joins it when it had none yet.
        db.execute(
            f"UPDATE {t.documents} SET version_group = {m} WHERE collection_id = {m} "
            f"AND version_group IS NULL AND source = {m}",
            (group, collection_id, group),
        )
        for other, other_group in naming:
            if other_group is None:
                db.execute(
                    f"UPDATE {t.documents} SET version_group = {m} WHERE collection_id = {m} "
                    f"AND source = {m}",
                    (group, collection_id, other),
                )
    for changed in {old_group, group} - {None}:
        reorder(db, tables, collection_id, changed)


def reorder(db: Any, tables: VersionTables, collection_id: int, group: str | None) -> None:
    """Recomputes which member of `group` is current and who supersedes whom; marks chunks."""
    if group is None:
        return
    t, m = tables, tables.mark
    rows = db.execute(
        f"SELECT d.id, d.source, d.supersedes, d.effective_date, d.ingested_at, "
        f"d.superseded_by, a.key FROM {t.documents} d JOIN {t.acl_sets} a ON a.id = d.acl_id "
        f"WHERE d.collection_id = {m} AND d.version_group = {m}",
        (collection_id, group),
    ).fetchall()
    members = [VersionMember(r[1], _names(r[2]), r[3], float(r[4])) for r in rows]
    readers = {r[1]: frozenset(str(r[6]).split(",")) for r in rows}
    successors = _readable_successors(superseded_by(members), readers)
    for row in rows:
        successor = successors[row[1]]
        if successor != row[5]:
            db.execute(
                f"UPDATE {t.documents} SET superseded_by = {m} WHERE id = {m}",
                (successor, row[0]),
            )
            mark_chunks(db, tables, int(row[0]), successor is not None)


def mark_chunks(db: Any, tables: VersionTables, document_id: int, superseded: bool) -> None:
    """Negates (superseded) or restores the ACL id on the document's chunks."""
    t, m = tables, tables.mark
    sign = "-" if superseded else ""
    db.execute(
        f"UPDATE {t.chunks} SET acl_id = {sign}abs(acl_id) WHERE document_id = {m}",
        (document_id,),
    )
    if t.vectors is not None:
        ids = db.execute(
            f"SELECT id, acl_id FROM {t.chunks} WHERE document_id = {m}", (document_id,)
        ).fetchall()
        for chunk_id, acl_id in ids:
            db.execute(
                f"UPDATE {t.vectors} SET acl_id = {m} WHERE chunk_id = {m}", (acl_id, chunk_id)
            )


def remark_chunks(db: Any, tables: VersionTables, document_id: int) -> None:
    """After the chunks' ACL id was rewritten (`set_acl`): the group reordered (succession
    holds among equal ACLs), and the chunks negated again if still superseded."""
    collection_id, group = group_of(db, tables, document_id)
    reorder(db, tables, collection_id, group)
    row = db.execute(
        f"SELECT superseded_by FROM {tables.documents} WHERE id = {tables.mark}", (document_id,)
    ).fetchone()
    if row is not None and row[0] is not None:
        mark_chunks(db, tables, document_id, True)


def _readable_successors(
    chain: dict[str, str | None], readers: dict[str, frozenset[str]]
) -> dict[str, str | None]:
    """Each member's nearest newer version that everyone who may read it may also read
    (however the group was formed: `supersedes`, `version_group`, an ACL changed since): a
    version a reader may not read must neither hide the one they may nor show its name."""

    def covers(newer: str, older: str) -> bool:
        return PUBLIC in readers[newer] or readers[older] <= readers[newer]

    found: dict[str, str | None] = {}
    for source, newer in chain.items():
        seen: set[str] = set()
        while newer is not None and not covers(newer, source) and newer not in seen:
            seen.add(newer)
            newer = chain.get(newer)
        found[source] = newer
    return found


def _names(stored: str | None) -> tuple[str, ...]:
    return tuple(n for n in (stored or "").split(_SEPARATOR) if n)
