"""Private knowledge: ingest documents, retrieve permitted passages, answer with citations.

The gateway holds one `switchgear.knowledge.service.Knowledge`; the other modules are its
parts: readers -> chunker -> embedder -> store (SQLite + sqlite-vec + FTS5) -> retrieve -> cite.
This package's import is light (no numpy, no model): the config loader imports it.
"""

from switchgear.knowledge.acl import Acl, AclError, Reader
from switchgear.knowledge.config import KnowledgeConfig, RouteKnowledge
from switchgear.knowledge.records import Citation, IngestProgress, IngestReport, Passage

__all__ = [
    "Acl",
    "AclError",
    "Citation",
    "IngestProgress",
    "IngestReport",
    "KnowledgeConfig",
    "Passage",
    "Reader",
    "RouteKnowledge",
]
