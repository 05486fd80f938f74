"""Connectors: documents synced from where they live (a folder, a Git repository, a SQL query,
an S3 bucket, Confluence, SharePoint/OneDrive), with each source's permissions carried into
the documents' ACLs.

`base` is the protocol, `sync` the one incremental engine, `state` what it remembers between
runs (in the knowledge database), `hub` the configured connectors of a gateway. Importing this
package stays light: the config imports `config` from here.
"""
