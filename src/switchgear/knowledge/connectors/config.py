"""`knowledge.connectors`: where documents are synced from, by name.

```yaml
knowledge:
  connectors:
    handbook:
      type: directory
      collection: hr
      path: /srv/handbook
      schedule_seconds: 600          # 0 (the default): only when asked (API, console, CLI)
      acl: {"payroll/*": ["team:finance"], "*": ["team:hr"]}   # first matching glob wins
    runbooks: {type: git, collection: ops, repository: /srv/git/runbooks.git, branch: main}
    tickets:
      type: sql
      collection: support
      dsn_env: TICKETS_DSN
      query: SELECT id, title, body, updated_at, acl FROM faq
    archive:
      type: s3
      collection: legal
      endpoint_url: https://s3.eu-west-1.amazonaws.com
      bucket: contracts
      access_key_env: ARCHIVE_KEY_ID
      secret_key_env: ARCHIVE_SECRET
    wiki:
      type: confluence
      collection: eng
      base_url: https://example.atlassian.net
      space_ids: ["98306"]
      email: bot@example.com
      token_env: CONFLUENCE_TOKEN
    shared: {type: sharepoint, collection: docs, drive_id: "b!…", token_env: GRAPH_TOKEN}
```

Secrets are never in the file: each is the name of an environment variable (`*_env`).
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from switchgear.knowledge.acl import Acl, AclError


class ConnectorBase(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, tag_field="type"):
    collection: str
    # Seconds between scheduled syncs; 0: manual only.
    schedule_seconds: Annotated[int, msgspec.Meta(ge=0)] = 0
    # Path glob -> principals, first match wins (path-based sources: directory, git).
    acl: dict[str, list[str]] = {}
    # For documents the source gives no permissions for; None: the collection's ACL.
    default_acl: list[str] | None = None

    def __post_init__(self) -> None:
        from switchgear.knowledge.config import check_collection_name  # imports this module

        check_collection_name(self.collection)
        try:
            for entries in self.acl.values():
                Acl.parse(entries)
            if self.default_acl is not None:
                Acl.parse(self.default_acl)
        except AclError as error:
            raise ValueError(str(error)) from error


class DirectoryConnectorConfig(ConnectorBase, tag="directory"):
    path: str
    # Read a `.acl` file (principals, one a line) in a folder as the ACL of everything under
    # it; a glob in `acl` still wins over it.
    acl_files: bool = True
    # Sync on every change under `path` (watchfiles when installed, else polling).
    watch: bool = False
    poll_seconds: Annotated[float, msgspec.Meta(gt=0)] = 5.0


class GitConnectorConfig(ConnectorBase, tag="git"):
    # A local path (bare or not) or a file:// URL; it is cloned (bare) into the data folder.
    repository: str
    branch: str = "main"
    # Only files under this folder of the repository; their sources keep the full path.
    subdir: str = ""
    acl_files: bool = True


class SqlConnectorConfig(ConnectorBase, tag="sql"):
    # The env variable holding the Postgres connection string.
    dsn_env: str
    # Returns columns id, title, body, updated_at, acl (a text[] or comma-separated text of
    # principals; NULL: `default_acl`). Each row is one document, `<id>.<format>`.
    query: str
    format: Annotated[str, msgspec.Meta(pattern=r"^(md|txt|html)$")] = "md"


class ConfluenceConnectorConfig(ConnectorBase, tag="confluence"):
    base_url: str
    space_ids: list[str]
    email: str
    token_env: str
    attachments: bool = True
    # A page restricted to a group is readable by `team:<group name>`; to a user by
    # `user:<accountId>`, or by what this maps that account id to.
    users: dict[str, str] = {}
    page_limit: Annotated[int, msgspec.Meta(ge=1, le=250)] = 50


class S3ConnectorConfig(ConnectorBase, tag="s3"):
    # Path-style requests to `<endpoint_url>/<bucket>/<key>` (AWS, MinIO, Ceph, R2, …).
    endpoint_url: str
    bucket: str
    access_key_env: str
    secret_key_env: str
    prefix: str = ""
    region: str = "us-east-1"
    # An object tag whose value lists who may read it (`team:hr user:ceo`, space-separated:
    # tag values cannot hold commas); null: only the `acl` globs and `default_acl`.
    acl_tag: str | None = "switchgear-acl"
    max_keys: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 1000


class SharePointConnectorConfig(ConnectorBase, tag="sharepoint"):
    """A SharePoint document library or OneDrive, through Microsoft Graph."""

    drive_id: str
    # The env variable holding an OAuth bearer token for Graph (Files.Read.All or
    # Sites.Read.All); getting and refreshing it is the deployment's job.
    token_env: str
    graph_url: str = "https://graph.microsoft.com/v1.0"
    # A grant to a user becomes `user:<email>` (or `user:<id>` without one), to a group
    # `team:<group name>`; these map a Graph user or group id to another name.
    users: dict[str, str] = {}
    groups: dict[str, str] = {}


ConnectorConfig = (
    DirectoryConnectorConfig
    | GitConnectorConfig
    | SqlConnectorConfig
    | S3ConnectorConfig
    | ConfluenceConnectorConfig
    | SharePointConnectorConfig
)
# Connector names are sources' first folder and URL path parts: kept plain.
ConnectorName = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
Connectors = dict[ConnectorName, ConnectorConfig]
