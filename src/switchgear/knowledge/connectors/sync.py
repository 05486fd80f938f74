"""The one sync engine every connector runs through. Incremental by version token:

1. List the source (cheap: names, version tokens, ACLs). A listing that fails changes nothing.
2. A document whose token and ACL are as last synced is left alone (nothing fetched or
   embedded); one whose ACL alone changed gets `store.set_acl`, which also re-labels its
   chunks and vectors, so a permission removed at the source stops matching the reader's
   principals at once, without re-embedding.
3. A new or changed document is fetched and ingested (`ingest_files`, with its own ACL); one
   that fails is reported and retried next run, and its previous version stays indexed.
4. A document this connector synced before and the source no longer lists is deleted.

Only documents this connector put in the index are ever deleted: a collection can be fed by
several connectors and by uploads.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from switchgear.knowledge.connectors.base import Connector, RemoteDocument, SourceError
from switchgear.knowledge.connectors.state import ConnectorState, Known, SyncReport
from switchgear.knowledge.embedder import Embedder
from switchgear.knowledge.ingest import IngestSettings, SourceFile, fingerprint, ingest_files
from switchgear.knowledge.records import FileOutcome
from switchgear.knowledge.store import KnowledgeStore

log = logging.getLogger("switchgear.knowledge")


@dataclass(frozen=True, slots=True)
class SyncTarget:
    """Where a connector's documents go and how they are ingested."""

    store: KnowledgeStore
    embedder: Embedder
    state: ConnectorState
    settings: IngestSettings

    def token(self, document: RemoteDocument) -> str:
        """What is remembered of a synced document: its version at the source and how it was
        chunked and embedded, so a chunking or model change re-indexes it like an upload."""
        return f"{fingerprint(self.settings, self.embedder)}:{document.version}"


def sync_connector(
    name: str, collection: str, connector: Connector, target: SyncTarget
) -> SyncReport:
    """One run; blocking (run it in a thread). The report is also saved as the status."""
    report = SyncReport(name, collection, time.time())
    target.state.save(report)  # started, not finished: shows as running
    try:
        listed = _listing(connector)
        _apply(name, collection, listed, target, report)
    except SourceError as error:
        report.error = str(error)
    except Exception as error:  # a bug or a store failure must not take the scheduler down
        log.exception("connector %s: sync failed", name)
        report.error = f"internal error ({type(error).__name__}): {error}"
    report.finished_at = time.time()
    if report.error is None:
        report.last_success_at = report.finished_at
    target.state.save(report)
    return report


def _listing(connector: Connector) -> dict[str, RemoteDocument]:
    """The whole listing before anything changes, so a source failing half-way through
    leaves the index untouched."""
    found: dict[str, RemoteDocument] = {}
    for document in connector.list_documents():
        if document.source in found:
            raise SourceError(f"the source lists `{document.source}` twice")
        found[document.source] = document
    return found


def _apply(
    name: str,
    collection: str,
    listed: dict[str, RemoteDocument],
    target: SyncTarget,
    report: SyncReport,
) -> None:
    known = _moved_away(name, collection, target)
    # A document deleted from the index by hand (admin API) is synced again.
    indexed = set(target.store.sources(collection))
    for document in listed.values():
        before = known.get(document.source)
        same = before is not None and before.version == target.token(document)
        if before is not None and same and document.source in indexed:
            report.add(_same_version(name, collection, document, before, target))
            continue
        report.add(_ingest(name, collection, document, target, report))
    for source in sorted(known.keys() - listed.keys()):
        try:
            target.store.delete_document(collection, source)
            target.state.forget(name, source)
            report.add(FileOutcome(source, "removed"))
        except Exception as error:
            log.exception("connector %s: cannot remove %s", name, source)
            report.add(FileOutcome(source, "failed", error=f"cannot remove: {error}"))


def _moved_away(name: str, collection: str, target: SyncTarget) -> dict[str, Known]:
    """What this connector synced into `collection`. Documents it synced into another one
    (its `collection` was changed in the config) are deleted there: they must not stay
    readable under permissions nobody maintains any more."""
    known = target.state.known(name)
    for source, entry in list(known.items()):
        if entry.collection != collection:
            target.store.delete_document(entry.collection, source)
            target.state.forget(name, source)
            del known[source]
    return known


def _same_version(
    name: str, collection: str, document: RemoteDocument, before: Known, target: SyncTarget
) -> FileOutcome:
    acl_key = document.acl.key()
    if before.acl_key == acl_key:
        return FileOutcome(document.source, "unchanged")
    try:
        target.store.set_acl(collection, document.source, document.acl)
    except Exception as error:
        log.exception("connector %s: cannot set the ACL of %s", name, document.source)
        return FileOutcome(document.source, "failed", error=f"cannot set the ACL: {error}")
    target.state.remember(name, collection, document.source, target.token(document), acl_key)
    return FileOutcome(document.source, "acl_updated")


def _ingest(
    name: str,
    collection: str,
    document: RemoteDocument,
    target: SyncTarget,
    report: SyncReport,
) -> FileOutcome:
    try:
        data = document.fetch()
    except Exception as error:  # one unreadable document must not stop the others
        if not isinstance(error, SourceError | OSError):
            log.exception("connector %s: fetching %s failed", name, document.source)
        return FileOutcome(document.source, "failed", error=f"cannot fetch: {error}")
    ingested = ingest_files(
        target.store,
        target.embedder,
        collection,
        [SourceFile(document.source, data=data)],
        document.acl,
        target.settings,
    )
    report.chunks_embedded += ingested.chunks_embedded
    outcome = ingested.files[0]
    if outcome.status != "failed":
        target.state.remember(
            name, collection, document.source, target.token(document), document.acl.key()
        )
    return outcome
