"""A configured connector, built: the config struct in, the `Connector` the engine lists."""

from __future__ import annotations

import os
from pathlib import Path

from switchgear.knowledge.acl import Acl
from switchgear.knowledge.connectors.base import Connector, PathAcls, SourceError
from switchgear.knowledge.connectors.config import (
    ConfluenceConnectorConfig,
    ConnectorConfig,
    DirectoryConnectorConfig,
    GitConnectorConfig,
    S3ConnectorConfig,
    SharePointConnectorConfig,
    SqlConnectorConfig,
)


def build_connector(
    name: str, config: ConnectorConfig, collection_acl: Acl, data_dir: Path
) -> Connector:
    """`collection_acl`: what documents get when neither the source nor `default_acl` says.
    A missing secret raises `SourceError`, so the status shows it like any other failure."""
    fallback = Acl.parse(config.default_acl) if config.default_acl else collection_acl
    acls = PathAcls.of(config.acl, fallback)
    if isinstance(config, DirectoryConnectorConfig):
        from switchgear.knowledge.connectors.directory import DirectoryConnector

        return DirectoryConnector(name, Path(config.path).expanduser(), acls, config.acl_files)
    if isinstance(config, GitConnectorConfig):
        from switchgear.knowledge.connectors.git import GitConnector

        mirror = data_dir / "connectors" / f"{name}.git"
        return GitConnector(
            name, config.repository, config.branch, mirror, acls, config.subdir, config.acl_files
        )
    if isinstance(config, SqlConnectorConfig):
        from switchgear.knowledge.connectors.sql import SqlConnector

        return SqlConnector(name, _secret(config.dsn_env), config.query, config.format, fallback)
    if isinstance(config, S3ConnectorConfig):
        from switchgear.knowledge.connectors.s3 import S3Connector, S3Credentials

        credentials = S3Credentials(_secret(config.access_key_env), _secret(config.secret_key_env))
        return S3Connector(name, config, credentials, acls)
    if isinstance(config, SharePointConnectorConfig):
        from switchgear.knowledge.connectors.sharepoint import SharePointConnector

        snapshot = data_dir / "connectors" / f"{name}.delta.json"
        return SharePointConnector(name, config, _secret(config.token_env), fallback, snapshot)
    assert isinstance(config, ConfluenceConnectorConfig)
    from switchgear.knowledge.connectors.confluence import ConfluenceConnector

    return ConfluenceConnector(name, config, _secret(config.token_env), fallback)


def _secret(variable: str) -> str:
    value = os.environ.get(variable)
    if not value:
        raise SourceError(f"${variable} is not set")
    return value
